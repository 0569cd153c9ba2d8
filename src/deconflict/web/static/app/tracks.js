// Live tracks: each aircraft the party may see, with a heading vector (where it will be
// in two minutes at its ground speed), and the pairs of open alerts joined in red.
// Live means now: while the time bar looks elsewhere, tracks are hidden.
import { $, EVENTS, on } from "./config.js";
import { t, altitude } from "./i18n.js";
import { call } from "./api.js";
import { follow } from "./sse.js";
import { colour } from "./parties.js";
import { setSource } from "./mapview.js";
import * as scene from "./scene.js";

const VECTOR_S = 120;
const LIVE_WINDOW_MS = 10 * 60 * 1000;
const EARTH_RADIUS = 6371008.8;
let latest = [];
const open = new Map(); // alert id → alert
let state = "connecting";
let drawn = null; // what the map shows now, to skip identical redraws

function ahead(track) {
  const d = ((track.ground_speed || 0) * VECTOR_S) / EARTH_RADIUS;
  const heading = ((track.track || 0) * Math.PI) / 180;
  const lat = track.lat + (d * Math.cos(heading) * 180) / Math.PI;
  const lon = track.lon + ((d * Math.sin(heading)) / Math.cos((track.lat * Math.PI) / 180)) * (180 / Math.PI);
  return [lon, lat];
}

function render() {
  const live = Math.abs(scene.time() - Date.now()) < LIVE_WINDOW_MS;
  const shown = live ? latest : [];
  const alerted = new Set([...open.values()].flatMap((a) => a.aircraft || []));
  // The stream sends the states every second: redraw the map only when they changed.
  const key = JSON.stringify([shown.map((tr) => [tr.aircraft, tr.lon, tr.lat, tr.track]), [...alerted]]);
  if (key !== drawn) {
    drawn = key;
    drawTracks(shown, alerted);
  }
  describe(live);
}

function drawTracks(shown, alerted) {
  setSource(
    "tracks",
    shown.map((track) => ({
      type: "Feature",
      properties: { colour: colour(track.party), alert: alerted.has(track.aircraft) },
      geometry: { type: "Point", coordinates: [track.lon, track.lat] },
    })),
  );
  setSource(
    "track-vectors",
    shown.map((track) => ({
      type: "Feature",
      properties: { colour: colour(track.party) },
      geometry: { type: "LineString", coordinates: [[track.lon, track.lat], ahead(track)] },
    })),
  );
  const where = new Map(shown.map((track) => [track.aircraft, [track.lon, track.lat]]));
  setSource(
    "alert-pairs",
    [...open.values()]
      .filter((a) => (a.aircraft || []).length === 2 && a.aircraft.every((id) => where.has(id)))
      .map((a) => ({
        type: "Feature",
        properties: {},
        geometry: { type: "LineString", coordinates: a.aircraft.map((id) => where.get(id)) },
      })),
  );
}

function describe(live) {
  const status = $("tracksStatus");
  if (state === "unavailable") status.textContent = t("tracks_unavailable");
  else if (!live) status.textContent = t("tracks_hidden");
  else status.textContent = t("tracks_count", { count: latest.length });
  const list = $("alertList");
  list.replaceChildren();
  for (const alert of open.values()) {
    const item = document.createElement("li");
    item.className = "error";
    const byId = new Map(latest.map((track) => [track.aircraft, track]));
    const heights = (alert.aircraft || [])
      .map((id) => byId.get(id))
      .filter(Boolean)
      .map((tr) => altitude(tr.alt, tr.altitude_reference));
    item.textContent = t("alert_line", {
      kind: t(`alert_${alert.kind}`),
      aircraft: (alert.aircraft || []).join(" – "),
      heights: heights.join(" / "),
    });
    list.append(item);
  }
}

function onEvent(event) {
  const body = JSON.parse(event.data);
  if (event.type === "tracks") latest = body.tracks;
  if (event.type === "alert") {
    const alert = body.alert;
    if (alert.closed_at) open.delete(alert.id);
    else open.set(alert.id, alert);
  }
  render();
}

export async function startTracks() {
  try {
    const { data } = await call("GET", "/v1/alerts", { endpoint: true });
    for (const alert of data.alerts) open.set(alert.id, alert);
  } catch {
    // Absent or refused: the stream below says which, and the panel shows it.
  }
  follow("/v1/tracks/stream", {
    onEvent,
    onState(next) {
      state = next;
      render();
    },
  });
}

on(EVENTS.instant, render);
on(EVENTS.language, render);
