// Altitude labels beside the operations in the air at the chosen instant, as HTML
// markers (the offline style has no glyphs for map text, and HTML follows the page's
// language and direction).
import { EVENTS, on } from "./config.js";
import { maplibregl } from "./vendor.js";
import { band } from "./i18n.js";
import { labelPoint } from "./shapes.js";
import * as scene from "./scene.js";

let map = null;
let markers = [];

function name(op) {
  const properties = op.geojson.features[0]?.properties || {};
  return properties.callsign || op.id;
}

function redraw() {
  if (!map) return;
  for (const marker of markers) marker.remove();
  markers = [];
  for (const { op, pieces } of scene.at().operations) {
    const piece = pieces[0];
    const element = document.createElement("div");
    element.className = scene.conflicts().has(op.id) ? "alt-label conflict" : "alt-label";
    element.textContent = `${name(op)} · ${band(piece.lower, piece.upper, piece.reference)}`;
    element.setAttribute("aria-hidden", "true"); // the side panel lists the same, readably
    markers.push(
      new maplibregl.Marker({ element, anchor: "bottom" }).setLngLat(labelPoint(piece.polygon[0])).addTo(map),
    );
  }
}

on(EVENTS.mapReady, ({ map: ready }) => {
  map = ready;
  redraw();
});
for (const event of [EVENTS.plan, EVENTS.instant, EVENTS.language, EVENTS.verdict]) on(event, redraw);
