// The map: MapLibre on the offline basemap, with the scenario's layers on top. Redraws
// what occupies the airspace at the chosen instant; zones hatched when they are other
// parties'; operations as footprints extruded by their altitude band (tilt with "3D").
import { $, EVENTS, emit, on } from "./config.js";
import { MAPLIBRE_CSS, maplibregl } from "./vendor.js";
import { addDetail, basemapStyle } from "./basemap.js";
import { colour, isOwn } from "./parties.js";
import * as scene from "./scene.js";

const EXAGGERATION = 3; // altitudes are drawn three times taller, to be seen at all
const EMPTY = { type: "FeatureCollection", features: [] };
let map = null;
let framed = false;
let ready = false; // overlays added (isStyleLoaded() is false while sources load)

function stylesheet() {
  const link = document.createElement("link");
  link.rel = "stylesheet";
  link.href = MAPLIBRE_CSS;
  document.head.append(link);
}

function hatch(party) {
  const name = `hatch-${party}`;
  if (map.hasImage(name)) return name;
  const size = 16;
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  const context = canvas.getContext("2d");
  context.strokeStyle = colour(party);
  context.globalAlpha = 0.35;
  context.lineWidth = 1.5;
  context.beginPath();
  for (let offset = -size; offset <= size; offset += 8) {
    context.moveTo(offset, size);
    context.lineTo(offset + size, 0);
  }
  context.stroke();
  map.addImage(name, context.getImageData(0, 0, size, size));
  return name;
}

const collection = (features) => ({ type: "FeatureCollection", features });

function zoneFeatures(zones) {
  return zones.flatMap(({ zone, pieces }) =>
    pieces.map((piece) => ({
      type: "Feature",
      properties: {
        id: zone.id,
        party: zone.party,
        kind: zone.kind,
        colour: colour(zone.party),
        own: isOwn(zone.party),
        pattern: isOwn(zone.party) ? "" : hatch(zone.party),
        conflict: scene.conflicts().has(zone.id),
      },
      geometry: { type: "Polygon", coordinates: piece.polygon },
    })),
  );
}

function operationFeatures(operations) {
  return operations.flatMap(({ op, pieces }) =>
    pieces.map((piece) => ({
      type: "Feature",
      properties: {
        id: op.id,
        party: op.party,
        state: op.state,
        colour: colour(op.party),
        base: Math.max(0, piece.lower) * EXAGGERATION,
        height: Math.max(piece.upper, piece.lower + 50) * EXAGGERATION,
        conflict: scene.conflicts().has(op.id) || op.overridden_by.length > 0,
        pending: op.state === "pending",
      },
      geometry: { type: "Polygon", coordinates: piece.polygon },
    })),
  );
}

function routeLines(operations) {
  return operations.flatMap(({ op, pieces }) =>
    pieces
      .filter((piece) => piece.line && piece.leg !== undefined)
      .map((piece) => ({
        type: "Feature",
        properties: { id: op.id, colour: colour(op.party) },
        geometry: { type: "LineString", coordinates: piece.line.map(([x, y]) => [x, y]) },
      })),
  );
}

/**
 * The first time the plan is drawn, bring every zone and operation into view (left as
 * it is when they are in view already: a new zoom would mean a new set of tiles to cut
 * before the first frame).
 */
function frame() {
  const rings = [...scene.plan().zones, ...scene.plan().operations].flatMap((e) => e.pieces.map((p) => p.polygon[0]));
  if (!rings.length) return false;
  const bounds = new maplibregl.LngLatBounds();
  for (const ring of rings) for (const point of ring) bounds.extend(point);
  const view = map.getBounds();
  if (!(view.contains(bounds.getSouthWest()) && view.contains(bounds.getNorthEast()))) {
    map.fitBounds(bounds, { padding: 30, duration: 0 });
  }
  return true;
}

function redraw() {
  if (!ready) return;
  if (!framed && scene.hasPlan()) framed = frame();
  const now = scene.at();
  map.getSource("zones").setData(collection(zoneFeatures(now.zones)));
  map.getSource("operations").setData(collection(operationFeatures(now.operations)));
  map.getSource("routes").setData(collection(routeLines(now.operations)));
  const el = $("map");
  el.dataset.operations = now.operations
    .map(({ op }) => op.id)
    .sort()
    .join(" ");
  el.dataset.zones = now.zones
    .map(({ zone }) => zone.id)
    .sort()
    .join(" ");
}

function addOverlays() {
  for (const name of ["zones", "operations", "routes", "conflicts", "draft", "tracks", "track-vectors", "alert-pairs"])
    map.addSource(name, { type: "geojson", data: EMPTY });
  const byColour = ["get", "colour"];
  map.addLayer({
    id: "zones-own",
    type: "fill",
    source: "zones",
    filter: ["==", ["get", "own"], true],
    paint: { "fill-color": byColour, "fill-opacity": 0.08 },
  });
  map.addLayer({
    id: "zones-others",
    type: "fill",
    source: "zones",
    filter: ["==", ["get", "own"], false],
    paint: { "fill-pattern": ["get", "pattern"] },
  });
  map.addLayer({
    id: "zones-outline",
    type: "line",
    source: "zones",
    paint: {
      "line-color": ["case", ["get", "conflict"], "#ff2d2d", byColour],
      "line-width": ["case", ["get", "conflict"], 3, 1.5],
      "line-dasharray": [4, 2],
    },
  });
  // Footprints: flat in 2D; in 3D extruded over their altitude band (a tall extrusion
  // seen from straight above would lean away from its footprint, so 2D stays flat).
  map.addLayer({
    id: "operations-2d",
    type: "fill",
    source: "operations",
    paint: { "fill-color": ["case", ["get", "conflict"], "#ff2d2d", byColour], "fill-opacity": 0.4 },
  });
  map.addLayer({
    id: "operations-3d",
    type: "fill-extrusion",
    source: "operations",
    layout: { visibility: "none" },
    paint: {
      "fill-extrusion-color": ["case", ["get", "conflict"], "#ff2d2d", byColour],
      "fill-extrusion-base": ["get", "base"],
      "fill-extrusion-height": ["get", "height"],
      "fill-extrusion-opacity": 0.55,
    },
  });
  map.addLayer({
    id: "operations-outline",
    type: "line",
    source: "operations",
    paint: {
      "line-color": ["case", ["get", "conflict"], "#ff2d2d", byColour],
      "line-width": ["case", ["get", "conflict"], 3, 1.2],
    },
  });
  map.addLayer({
    id: "routes",
    type: "line",
    source: "routes",
    paint: { "line-color": "#ffffff", "line-width": 1, "line-dasharray": [2, 2] },
  });
  map.addLayer({
    id: "draft-fill",
    type: "fill",
    source: "draft",
    filter: ["==", ["geometry-type"], "Polygon"],
    paint: { "fill-color": "#facc15", "fill-opacity": 0.25 },
  });
  map.addLayer({
    id: "draft-line",
    type: "line",
    source: "draft",
    filter: ["!=", ["geometry-type"], "Point"],
    paint: { "line-color": "#facc15", "line-width": 2 },
  });
  map.addLayer({
    id: "draft-points",
    type: "circle",
    source: "draft",
    filter: ["==", ["geometry-type"], "Point"],
    paint: { "circle-color": "#facc15", "circle-radius": 4, "circle-stroke-color": "#000", "circle-stroke-width": 1 },
  });
  map.addLayer({
    id: "alert-pairs",
    type: "line",
    source: "alert-pairs",
    paint: { "line-color": "#ff2d2d", "line-width": 2, "line-dasharray": [1, 1] },
  });
  map.addLayer({
    id: "track-vectors",
    type: "line",
    source: "track-vectors",
    paint: { "line-color": byColour, "line-width": 1.5 },
  });
  map.addLayer({
    id: "tracks",
    type: "circle",
    source: "tracks",
    paint: {
      "circle-color": byColour,
      "circle-radius": 4,
      "circle-stroke-color": ["case", ["get", "alert"], "#ff2d2d", "#000"],
      "circle-stroke-width": ["case", ["get", "alert"], 3, 1],
    },
  });
  map.addLayer({
    id: "conflicts",
    type: "circle",
    source: "conflicts",
    paint: { "circle-color": "#ff2d2d", "circle-radius": 7, "circle-stroke-color": "#fff", "circle-stroke-width": 2 },
  });
  for (const layer of ["operations-2d", "operations-3d", "zones-own", "zones-others"]) {
    map.on("click", layer, (event) => {
      if (document.body.dataset.drawing === "true") return; // the click adds a point instead
      emit(EVENTS.select, { id: event.features[0].properties.id });
    });
    map.on("mouseenter", layer, () => (map.getCanvas().style.cursor = "pointer"));
    map.on("mouseleave", layer, () => (map.getCanvas().style.cursor = ""));
  }
}

export function setSource(name, features) {
  map?.getSource(name)?.setData(collection(features));
}

function toggle3d() {
  const button = $("toggle3d");
  const on3d = button.getAttribute("aria-pressed") !== "true";
  button.setAttribute("aria-pressed", String(on3d));
  map.setLayoutProperty("operations-3d", "visibility", on3d ? "visible" : "none");
  map.setLayoutProperty("operations-2d", "visibility", on3d ? "none" : "visible");
  map.easeTo({ pitch: on3d ? 55 : 0, bearing: on3d ? -15 : 0, duration: 600 });
}

/** The map, once its style and overlays are loaded. */
export function createMap() {
  stylesheet();
  map = new maplibregl.Map({
    container: $("map"),
    style: basemapStyle(),
    center: [39.0, 35.3],
    zoom: 5.6,
    maxPitch: 70,
    attributionControl: { compact: true, customAttribution: "Natural Earth" },
  });
  // Bottom-left: the legend takes the top corner on the reading side, in either direction.
  map.addControl(new maplibregl.NavigationControl({ visualizePitch: true }), "bottom-left");
  map.addControl(new maplibregl.ScaleControl({ unit: "nautical" }), "bottom-right");
  map.keyboard.enable();
  $("toggle3d").addEventListener("click", toggle3d);
  window.deconflict = { ...(window.deconflict || {}), map }; // for tests and the console
  return new Promise((resolve) => {
    map.on("load", () => {
      addOverlays();
      ready = true;
      on(EVENTS.plan, redraw);
      on(EVENTS.instant, redraw);
      on(EVENTS.verdict, redraw);
      redraw();
      emit(EVENTS.mapReady, { map });
      resolve(map);
    });
  });
}

/** The finer basemap, once the first frame is up (it would only delay that frame). */
export function addBasemapDetail() {
  addDetail(map, "zones-own");
}

export function fitTo(bounds) {
  map?.fitBounds(bounds, { padding: 40, duration: 0 });
}
