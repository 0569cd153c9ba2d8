// The timeline: each party's operations as bars over the plan's span, one row
// per operation, lowest altitude band first, with the chosen instant as a cursor.
// Bars are buttons: picking one selects the operation and moves the instant into it.
import { $, EVENTS, emit, on } from "./config.js";
import { band, shortTime, t } from "./i18n.js";
import { colour } from "./parties.js";
import { bounds, setInstant } from "./timebar.js";
import * as scene from "./scene.js";

const percent = (ms, [from, to]) => `${(100 * (ms - from)) / (to - from)}%`;

function lowest(pieces) {
  return Math.min(...pieces.map((p) => p.lower));
}

function axis(range) {
  const row = document.createElement("div");
  row.className = "gantt-axis";
  row.setAttribute("aria-hidden", "true");
  const ticks = document.createElement("div");
  ticks.className = "ticks";
  const hour = 3600_000;
  const step = [1, 2, 3, 6, 12].map((h) => h * hour).find((h) => (range[1] - range[0]) / h <= 6) ?? 24 * hour;
  for (let tick = Math.ceil(range[0] / step) * step; tick <= range[1]; tick += step) {
    const label = document.createElement("span");
    label.style.insetInlineStart = percent(tick, range);
    label.textContent = shortTime(tick);
    ticks.append(label);
  }
  row.append(document.createElement("span"), ticks);
  return row;
}

function cursor(range) {
  const line = document.createElement("div");
  line.className = "gantt-cursor";
  line.style.insetInlineStart = percent(scene.time(), range);
  return line;
}

/** The plan's span (and the instant), padded, within the time bar's reach. */
function span() {
  const [from, to] = bounds();
  const times = scene.plan().operations.flatMap(({ op }) => [Date.parse(op.start), Date.parse(op.end)]);
  if (!times.length) return [from, to];
  const pad = 30 * 60_000;
  return [Math.max(from, Math.min(...times, scene.time()) - pad), Math.min(to, Math.max(...times, scene.time()) + pad)];
}

let range = [0, 1];

function render() {
  const root = $("gantt");
  range = span();
  const byParty = new Map();
  for (const entry of scene.plan().operations) {
    if (!entry.pieces.length) continue;
    if (!byParty.has(entry.op.party)) byParty.set(entry.op.party, []);
    byParty.get(entry.op.party).push(entry);
  }
  root.replaceChildren(axis(range));
  for (const [party, entries] of [...byParty].sort(([a], [b]) => a.localeCompare(b))) {
    const group = document.createElement("section");
    group.className = "gantt-group";
    const heading = document.createElement("h3");
    heading.textContent = party;
    group.append(heading);
    entries.sort((a, b) => lowest(a.pieces) - lowest(b.pieces) || a.op.start.localeCompare(b.op.start));
    for (const { op, pieces } of entries) {
      const lower = lowest(pieces);
      const upper = Math.max(...pieces.map((p) => p.upper));
      const bandText = band(lower, upper, pieces[0].reference);
      const name = op.geojson.features[0]?.properties?.callsign || op.id;
      const row = document.createElement("div");
      row.className = "gantt-row";
      const label = document.createElement("span");
      label.className = "gantt-name";
      label.textContent = name;
      label.title = bandText;
      const track = document.createElement("div");
      track.className = "gantt-track";
      const start = Date.parse(op.start),
        end = Date.parse(op.end);
      const bar = document.createElement("button");
      bar.type = "button";
      bar.className = scene.conflicts().has(op.id) ? "gantt-bar conflict" : "gantt-bar";
      bar.dataset.id = op.id;
      bar.style.insetInlineStart = percent(start, range);
      bar.style.inlineSize = percent(range[0] + (end - start), range);
      bar.style.background = colour(op.party);
      if (["cancelled", "ended"].includes(op.state)) bar.style.opacity = "0.35";
      bar.setAttribute(
        "aria-label",
        t("gantt_bar", {
          name,
          band: bandText,
          start: shortTime(start),
          end: shortTime(end),
          state: t(`state_${op.state}`),
        }),
      );
      bar.addEventListener("click", () => {
        if (!(start <= scene.time() && scene.time() < end)) setInstant(start);
        emit(EVENTS.select, { id: op.id });
      });
      track.append(bar, cursor(range));
      row.append(label, track);
      group.append(row);
    }
    root.append(group);
  }
}

function moveCursors() {
  if (scene.time() < range[0] || scene.time() > range[1]) return render();
  for (const line of document.querySelectorAll(".gantt-cursor"))
    line.style.insetInlineStart = percent(scene.time(), range);
}

for (const event of [EVENTS.plan, EVENTS.language, EVENTS.verdict]) on(event, render);
on(EVENTS.instant, moveCursors);
