// Drawing a plan's outline: clicks on the map add points (a route's waypoints or a
// volume's corners), mirrored in the "Points" text field, which can be typed instead
// (keyboard users, exact coordinates). Shows the draft on the map.
import { EVENTS, emit, on } from "./config.js";
import { setSource } from "./mapview.js";

let map = null;
let drawing = false;
let points = [];
let shape = "route";
const field = () => document.getElementById("plan-coordinates");
const button = () => document.getElementById("plan-draw");

const round = (value) => Math.round(value * 10000) / 10000;

export function getPoints() {
  return points.map((p) => p.slice());
}

export function setShape(value) {
  shape = value;
  render();
}

function draftFeatures() {
  const features = points.map((p) => ({
    type: "Feature",
    properties: {},
    geometry: { type: "Point", coordinates: p },
  }));
  if (shape === "volume" && points.length >= 3) {
    features.push({
      type: "Feature",
      properties: {},
      geometry: { type: "Polygon", coordinates: [[...points, points[0]]] },
    });
  } else if (points.length >= 2) {
    features.push({ type: "Feature", properties: {}, geometry: { type: "LineString", coordinates: points } });
  }
  return features;
}

function render() {
  field().value = points.map(([lon, lat]) => `${lon}, ${lat}`).join("\n");
  setSource("draft", draftFeatures());
  emit(EVENTS.draft, { points: getPoints() });
}

export function setPoints(next) {
  points = next.map(([lon, lat]) => [round(lon), round(lat)]);
  render();
}

/** The typed points; the field keeps the user's text as it is while they type. */
function parseField() {
  const parsed = [];
  for (const line of field().value.split(/[\n;]+/)) {
    const numbers = line
      .split(/[,\s]+/)
      .filter(Boolean)
      .map(Number);
    if (numbers.length >= 2 && numbers.every(Number.isFinite)) parsed.push([numbers[0], numbers[1]]);
  }
  points = parsed;
  setSource("draft", draftFeatures());
  emit(EVENTS.draft, { points: getPoints() });
}

export function setDrawing(active) {
  drawing = active;
  document.body.dataset.drawing = String(active);
  button().setAttribute("aria-pressed", String(active));
  if (map) map.getCanvas().style.cursor = active ? "crosshair" : "";
  if (map) map.doubleClickZoom[active ? "disable" : "enable"]();
}

export function initDraw() {
  button().addEventListener("click", () => setDrawing(!drawing));
  document.getElementById("plan-clear").addEventListener("click", () => setPoints([]));
  field().addEventListener("input", parseField);
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && drawing) setDrawing(false);
  });
}

on(EVENTS.mapReady, ({ map: ready }) => {
  map = ready;
  map.on("click", (event) => {
    if (!drawing) return;
    points.push([round(event.lngLat.lng), round(event.lngLat.lat)]);
    render();
  });
  map.on("dblclick", () => drawing && setDrawing(false));
});
