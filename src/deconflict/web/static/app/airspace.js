// The side panel's "Airspace" tab: what occupies the airspace at the chosen instant, as
// a list (the map's content, readable by keyboard and screen reader), and the details
// and actions of the operation or zone the user picked.
import { $, EVENTS, emit, on } from "./config.js";
import { band, t, timeOfDay } from "./i18n.js";
import { colour, isOwn, ownParty } from "./parties.js";
import * as scene from "./scene.js";

let session = null;
let selected = null;
const actions = {}; // filled by other modules: edit(op), cancel(op), approve(op)

export function registerAction(name, handler) {
  actions[name] = handler;
}

function dot(party) {
  const span = document.createElement("span");
  span.className = "dot";
  span.style.background = colour(party);
  return span;
}

function nameOf(op) {
  return op.geojson.features[0]?.properties?.callsign || op.id;
}

function renderList() {
  const list = $("activeList");
  list.replaceChildren();
  const now = scene.at();
  if (!now.operations.length) {
    const empty = document.createElement("li");
    empty.className = "note";
    empty.textContent = t("nothing_at_instant");
    list.append(empty);
  }
  for (const { op, pieces } of now.operations) {
    const item = document.createElement("li");
    item.dataset.id = op.id;
    const button = document.createElement("button");
    button.type = "button";
    const label = document.createElement("span");
    label.textContent = nameOf(op);
    const bandText = document.createElement("span");
    bandText.className = "band";
    bandText.textContent = band(pieces[0].lower, pieces[0].upper, pieces[0].reference);
    button.append(dot(op.party), label, bandText);
    if (scene.conflicts().has(op.id)) button.append(` ⚠ ${t("in_conflict")}`);
    button.addEventListener("click", () => emit(EVENTS.select, { id: op.id }));
    item.append(button);
    list.append(item);
  }
}

function definition(list, term, value) {
  const dt = document.createElement("dt");
  dt.textContent = term;
  const dd = document.createElement("dd");
  dd.textContent = value;
  list.append(dt, dd);
}

function actionButton(key, handler) {
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = t(key);
  button.id = `selection-${key}`;
  button.addEventListener("click", handler);
  return button;
}

function renderSelection() {
  const box = $("selection");
  box.replaceChildren();
  if (!selected) return;
  const op = scene.operation(selected);
  const zone = op ? null : scene.plan().zones.find((z) => z.zone.id === selected)?.zone;
  const subject = op || zone;
  if (!subject) return;
  const heading = document.createElement("h3");
  heading.textContent = op ? nameOf(op) : subject.geojson.features[0]?.properties?.name || subject.id;
  const list = document.createElement("dl");
  definition(list, t("identifier"), subject.id);
  definition(list, t("party"), subject.party);
  if (op) {
    const props = op.geojson.features[0]?.properties || {};
    definition(list, t("state"), t(`state_${op.state}`));
    definition(list, t("window"), `${timeOfDay(Date.parse(op.start))} – ${timeOfDay(Date.parse(op.end))}`);
    if (props.mission) definition(list, t("mission"), props.mission);
    if (op.detail !== "full") definition(list, t("detail"), t("detail_volumes"));
    if (op.awaiting.length) definition(list, t("awaiting"), op.awaiting.join(", "));
    if (op.overridden_by.length) definition(list, t("overridden_by"), op.overridden_by.join(", "));
  } else {
    definition(list, t("kind"), t(`kind_${subject.kind}`));
  }
  box.append(heading, list);
  if (op && session?.canWrite) {
    const row = document.createElement("div");
    row.className = "row";
    const open = !["cancelled", "ended"].includes(op.state);
    if (isOwn(op.party) && open) {
      row.append(actionButton("edit", () => actions.edit?.(op)));
      row.append(actionButton("cancel_operation", () => actions.cancel?.(op)));
    }
    if (op.state === "pending" && op.awaiting.includes(ownParty())) {
      row.append(actionButton("approve", () => actions.approve?.(op)));
    }
    box.append(row);
  }
}

on(EVENTS.signedIn, ({ session: s }) => (session = s));
on(EVENTS.select, ({ id }) => {
  selected = id;
  renderSelection();
});
for (const event of [EVENTS.plan, EVENTS.instant, EVENTS.language, EVENTS.verdict]) {
  on(event, () => {
    renderList();
    renderSelection();
  });
}
