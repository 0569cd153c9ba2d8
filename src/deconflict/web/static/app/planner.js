// Planning: the form and the drawn points become a declaration (GeoJSON, the API's
// format); check it (what-if), see its conflicts and the verified suggestions, apply
// one, submit, edit an operation of one's own (If-Match), cancel one, approve one.
import { EVENTS, emit, on } from "./config.js";
import { ApiError, call } from "./api.js";
import { distance as metres, number, t, timeOfDay } from "./i18n.js";
import { registerAction } from "./airspace.js";
import { getPoints, setDrawing, setPoints, setShape } from "./draw.js";
import { fromUtcInput } from "./timebar.js";
import { setSource } from "./mapview.js";
import { reload } from "./loader.js";
import { bearing, distance } from "./shapes.js";
import * as scene from "./scene.js";

const FOOT = 0.3048;
const UNIT_M = { m: 1, ft: FOOT, FL: 100 * FOOT };
const field = (id) => document.getElementById(`plan-${id}`);
let session = null;
let editing = null; // {id, version} while an operation of one's own is being changed
let imported = null; // a FeatureCollection read from a file, sent as it is until edited

const shape = () => document.querySelector('input[name="shape"]:checked').value;
const iso = (ms) => new Date(ms).toISOString().replace(".000Z", "Z");
const toInput = (ms) => new Date(ms).toISOString().slice(0, 16);

function band() {
  const factor = UNIT_M[field("altitude-unit").value];
  return {
    lower: Number(field("lower").value) * factor,
    upper: Number(field("upper").value) * factor,
    reference: field("altitude-unit").value === "FL" ? "STD" : "AMSL",
  };
}

/** The draft as the API's GeoJSON: one feature, this party's, kind operation. */
export function draftDocument() {
  if (imported) return imported;
  const points = getPoints();
  const { lower, upper, reference } = band();
  const start = fromUtcInput(field("start").value);
  const end = fromUtcInput(field("end").value);
  const properties = { party: session.party, kind: "operation", altitude_reference: reference };
  if (field("callsign").value.trim()) properties.callsign = field("callsign").value.trim();
  let geometry;
  if (shape() === "route") {
    // Waypoint times spread over [start, end] in proportion to the legs' lengths.
    const lengths = points.slice(1).map((p, i) => distance(points[i], p));
    const total = lengths.reduce((a, b) => a + b, 0) || 1;
    let elapsed = 0;
    const times = [iso(start)];
    for (const length of lengths) {
      elapsed += length;
      times.push(iso(start + ((end - start) * elapsed) / total));
    }
    const middle = (lower + upper) / 2;
    geometry = {
      type: "LineString",
      coordinates: points.map(([lon, lat]) => [lon, lat, Math.round(middle * 10) / 10]),
    };
    Object.assign(properties, {
      times,
      half_width: field("half-width").value.trim(),
      vertical_half_width: Math.max(1, (upper - lower) / 2),
    });
  } else {
    geometry = { type: "Polygon", coordinates: [[...points, points[0]]] };
    Object.assign(properties, { altitude_lower: lower, altitude_upper: upper, start: iso(start), end: iso(end) });
  }
  const id = field("id").value.trim();
  return { type: "FeatureCollection", features: [{ type: "Feature", id, geometry, properties }] };
}

function result() {
  return document.getElementById("plan-result");
}

function say(text, good) {
  const box = result();
  box.replaceChildren();
  const line = document.createElement("p");
  line.className = `verdict ${good ? "good" : "bad"}`;
  line.textContent = text;
  box.append(line);
  return box;
}

function conflictText(c) {
  return t("conflict_with", {
    other: c.other,
    party: c.other_party,
    kind: t(`kind_${c.other_kind}`),
    horizontal: metres(c.min_horizontal_gap_m),
    vertical: number(Math.round(c.min_vertical_gap_m)),
    from: timeOfDay(Date.parse(c.first.start)),
  });
}

function suggestionText(s) {
  if (s.kind === "delay") return t("suggest_delay", { minutes: number(s.amount / 60, 1) });
  if (s.kind === "altitude")
    return t(s.amount >= 0 ? "suggest_climb" : "suggest_descend", { amount: number(Math.abs(s.amount)) });
  if (s.kind === "offset") return t("suggest_offset", { amount: metres(Math.abs(s.amount)) });
  return s.text;
}

function applySuggestion(s) {
  imported = null;
  if (s.kind === "delay") {
    field("start").value = toInput(fromUtcInput(field("start").value) + s.amount * 1000);
    field("end").value = toInput(fromUtcInput(field("end").value) + s.amount * 1000);
  } else if (s.kind === "altitude") {
    const factor = UNIT_M[field("altitude-unit").value];
    field("lower").value = String(Math.ceil((Number(field("lower").value) * factor + s.amount) / factor));
    field("upper").value = String(Math.ceil((Number(field("upper").value) * factor + s.amount) / factor));
  } else if (s.kind === "offset") {
    const points = getPoints();
    const right = bearing(points[0], points.at(-1)) + Math.PI / 2;
    const dx = (s.amount * Math.sin(right)) / (111320 * Math.cos((points[0][1] * Math.PI) / 180));
    const dy = (s.amount * Math.cos(right)) / 110540;
    setPoints(points.map(([lon, lat]) => [lon + dx, lat + dy]));
  }
  check();
}

function showConflicts(conflicts, suggestions, headline, good) {
  emit(EVENTS.verdict, { conflicts });
  setSource(
    "conflicts",
    conflicts
      .flatMap((c) => [c.first, c.worst])
      .map((p) => ({ type: "Feature", properties: {}, geometry: { type: "Point", coordinates: p.position } })),
  );
  const box = say(headline, good);
  if (conflicts.length) {
    const list = document.createElement("ul");
    list.id = "plan-conflicts";
    for (const c of conflicts) {
      const item = document.createElement("li");
      item.textContent = conflictText(c);
      list.append(item);
    }
    box.append(list);
  }
  if (suggestions?.length) {
    const title = document.createElement("h3");
    title.textContent = t("suggestions");
    const list = document.createElement("ul");
    list.id = "plan-suggestions";
    for (const s of suggestions) {
      const item = document.createElement("li");
      item.append(suggestionText(s), " ");
      const apply = document.createElement("button");
      apply.type = "button";
      apply.textContent = t("apply");
      apply.addEventListener("click", () => applySuggestion(s));
      item.append(apply);
      list.append(item);
    }
    box.append(title, list);
  }
}

function invalid() {
  if (imported) return null;
  if (!/^[A-Za-z0-9._:~-]{1,128}$/.test(field("id").value.trim())) return t("invalid_id");
  const points = getPoints();
  if (points.length < (shape() === "route" ? 2 : 3))
    return t(shape() === "route" ? "need_two_points" : "need_three_points");
  if (!(fromUtcInput(field("end").value) > fromUtcInput(field("start").value))) return t("end_after_start");
  if (!(band().upper > band().lower)) return t("upper_above_lower");
  return null;
}

function problem(error) {
  say(error instanceof ApiError ? `${t("refused")}: ${error.message}` : String(error), false);
}

export async function check() {
  result().replaceChildren(); // the answer shown is always this request's
  const wrong = invalid();
  if (wrong) return say(wrong, false);
  try {
    const { data } = await call("POST", "/v1/operations:check", { body: { plans: [draftDocument()] } });
    const verdict = data.results[0];
    showConflicts(verdict.conflicts, verdict.suggestions, t(`would_be_${verdict.would_be}`), verdict.clear);
  } catch (error) {
    problem(error);
  }
}

async function submit(event) {
  event.preventDefault();
  result().replaceChildren();
  const wrong = invalid();
  if (wrong) return say(wrong, false);
  const document_ = draftDocument();
  try {
    const { data } = editing
      ? await call("PUT", `/v1/operations/${encodeURIComponent(editing.id)}`, {
          body: document_,
          headers: { "If-Match": `"${editing.version}"` },
        })
      : await call("POST", "/v1/operations", { body: document_, headers: { "Idempotency-Key": crypto.randomUUID() } });
    showConflicts(data.conflicts || [], [], t(`submitted_${data.state}`, { id: data.id }), true);
    editing = null;
    await reload();
    emit(EVENTS.select, { id: data.id });
  } catch (error) {
    if (error instanceof ApiError && error.status === 409 && error.problem.conflicts) {
      showConflicts(error.problem.conflicts, error.problem.suggestions, t("rejected_conflicts"), false);
    } else {
      problem(error);
    }
  }
}

function resetForm() {
  editing = null;
  imported = null;
  field("id").disabled = false;
  field("id").value = `${session.party ?? "plan"}-${Date.now().toString(36)}`;
  const start = Math.ceil((scene.time() + 3600_000) / 600_000) * 600_000;
  field("start").value = toInput(start);
  field("end").value = toInput(start + 3600_000);
  field("callsign").value = "";
  document.getElementById("plan-editing").textContent = "";
  setPoints([]);
  emit(EVENTS.verdict, { conflicts: [] });
  setSource("conflicts", []);
  result().replaceChildren();
}

/** Loads a one-feature Polygon or route declaration into the form. */
export function loadDocument(document_, { id, version } = {}) {
  const feature = document_.features[0];
  const p = feature.properties || {};
  const route = feature.geometry.type === "LineString";
  if (!route && feature.geometry.type !== "Polygon") return false;
  document.querySelector(`input[name="shape"][value="${route ? "route" : "volume"}"]`).checked = true;
  setShape(route ? "route" : "volume");
  const coordinates = route ? feature.geometry.coordinates : feature.geometry.coordinates[0].slice(0, -1);
  setPoints(coordinates);
  const flight = p.altitude_reference === "STD";
  field("altitude-unit").value = flight ? "FL" : "m";
  const factor = UNIT_M[field("altitude-unit").value];
  const [lower, upper] = route
    ? [
        Math.min(...coordinates.map((c) => c[2] ?? 0)) - (p.vertical_half_width || 0),
        Math.max(...coordinates.map((c) => c[2] ?? 0)) + (p.vertical_half_width || 0),
      ]
    : [p.altitude_lower, p.altitude_upper];
  field("lower").value = String(Math.round(lower / factor));
  field("upper").value = String(Math.round(upper / factor));
  const times = route ? [p.times?.[0], p.times?.at(-1)] : [p.start, p.end];
  if (times[0] && times[1]) {
    field("start").value = toInput(Date.parse(times[0]));
    field("end").value = toInput(Date.parse(times[1]));
  }
  if (route && p.half_width) field("half-width").value = `${p.half_width} m`;
  field("callsign").value = p.callsign || "";
  field("id").value = id || String(feature.id ?? p.id ?? field("id").value);
  field("id").disabled = Boolean(version);
  editing = version ? { id, version } : null;
  document.getElementById("plan-editing").textContent = version ? t("editing", { id, version }) : "";
  return true;
}

export function setImported(collection, name) {
  imported = null;
  if (collection.features.length === 1 && loadDocument(collection)) {
    say(t("imported_into_form", { name }), true);
    return;
  }
  imported = collection; // sent unchanged: shapes the form cannot show (circles, several parts)
  say(t("imported_as_is", { name, count: collection.features.length }), true);
}

async function cancelOperation(op) {
  const button = document.getElementById("selection-cancel_operation");
  if (button && button.dataset.confirm !== "yes") {
    button.dataset.confirm = "yes";
    button.textContent = t("confirm_cancel");
    return;
  }
  try {
    await call("POST", `/v1/operations/${encodeURIComponent(op.id)}:cancel`, {
      headers: { "If-Match": `"${op.version}"` },
    });
    await reload();
  } catch (error) {
    problem(error);
  }
}

async function approve(op) {
  try {
    await call("POST", `/v1/operations/${encodeURIComponent(op.id)}:approve`);
    await reload();
  } catch (error) {
    problem(error);
  }
}

function edit(op) {
  document.getElementById("tab-plan").click();
  if (!loadDocument(op.geojson, { id: op.id, version: op.version })) say(t("cannot_edit_shape"), false);
}

export function initPlanner() {
  const form = document.getElementById("plan-form");
  form.addEventListener("submit", submit);
  document.getElementById("plan-check").addEventListener("click", check);
  document.getElementById("plan-reset").addEventListener("click", resetForm);
  for (const radio of document.querySelectorAll('input[name="shape"]'))
    radio.addEventListener("change", () => setShape(shape()));
  form.addEventListener("input", (event) => {
    if (event.target.type !== "file") imported = null;
  });
  registerAction("edit", edit);
  registerAction("cancel", cancelOperation);
  registerAction("approve", approve);
  on(EVENTS.signedIn, ({ session: s }) => {
    session = s;
    resetForm();
    for (const control of form.querySelectorAll("button, input, select, textarea")) {
      if (!s.canWrite && control.id !== "plan-export" && control.id !== "export-all") control.disabled = true;
    }
  });
  setDrawing(false);
}
