// What the server says is planned, kept as drawable pieces, and what of it occupies the
// airspace at the chosen instant. One place, so the map, the labels, the list and the
// timeline always agree.
import { EVENTS, emit, on } from "./config.js";
import { activeAt, pieces } from "./shapes.js";

const state = {
  operations: [], // [{op, pieces}]
  zones: [], // [{zone, pieces}]
  time: Date.now(),
  conflicts: new Set(), // ids of declarations in conflict with the last check/submission
  loaded: false, // a plan arrived from the server
};

export function setPlan(operations, zones) {
  state.operations = operations.map((op) => ({ op, pieces: pieces(op.geojson, op) }));
  state.loaded = true;
  state.zones = zones.filter((z) => !z.withdrawn).map((zone) => ({ zone, pieces: pieces(zone.geojson) }));
  emit(EVENTS.plan, { operations: state.operations, zones: state.zones });
}

export function hasPlan() {
  return state.loaded;
}

export function time() {
  return state.time;
}

export function plan() {
  return { operations: state.operations, zones: state.zones };
}

export function conflicts() {
  return state.conflicts;
}

export function operation(id) {
  return state.operations.find((entry) => entry.op.id === id)?.op;
}

/** Operations that fly at `time` (cancelled and ended ones free the airspace). */
export function at(time = state.time) {
  const live = (op) => !["cancelled", "ended"].includes(op.state);
  return {
    operations: state.operations
      .filter(({ op }) => live(op))
      .map(({ op, pieces }) => ({ op, pieces: pieces.filter((piece) => activeAt(piece, time)) }))
      .filter(({ pieces }) => pieces.length > 0),
    zones: state.zones
      .map(({ zone, pieces }) => ({ zone, pieces: pieces.filter((piece) => activeAt(piece, time)) }))
      .filter(({ pieces }) => pieces.length > 0),
  };
}

on(EVENTS.instant, ({ time }) => {
  state.time = time;
});

on(EVENTS.verdict, ({ conflicts }) => {
  state.conflicts = new Set((conflicts || []).map((c) => c.other));
});
