// The duty officer's screen, put together: language first (the sign-in dialog is
// translated), then sign-in, then the map and the plan the party may see, then the
// live parts (inbox, tracks). Marks the first paint of the map with the plan on it.
import { $ } from "./config.js";
import { ApiError } from "./api.js";
import { hasPlan } from "./scene.js";
import { initLanguage } from "./i18n.js";
import { signIn, signOut } from "./auth.js";
import { addBasemapDetail, createMap } from "./mapview.js";
import { initTimebar } from "./timebar.js";
import { initTabs } from "./tabs.js";
import { initDraw } from "./draw.js";
import { initPlanner } from "./planner.js";
import { initGeojsonIo } from "./geojson_io.js";
import { startLoading } from "./loader.js";
import { startInbox } from "./inbox.js";
import { startTracks } from "./tracks.js";
import "./airspace.js";
import "./labels.js";
import "./legend.js";
import "./gantt.js";

/** The first frame drawn with the plan on the map: what the duty officer waits for. */
function firstPaint(map) {
  return new Promise((resolve) => {
    const check = () => {
      if (!hasPlan()) return;
      map.off("idle", check);
      performance.mark("deconflict:map-painted");
      document.body.dataset.mapPainted = "true";
      resolve();
    };
    map.on("idle", check);
  });
}

async function start() {
  const mapReady = createMap(); // the map loads while the rest gets ready
  await initLanguage();
  initTabs();
  initTimebar();
  initDraw();
  initPlanner();
  initGeojsonIo();
  $("signOut").addEventListener("click", signOut);
  const session = await signIn();
  performance.mark("deconflict:signed-in");
  // The plan is fetched while the map loads; the map draws it once both are there.
  const loading = startLoading(session).then(
    () => performance.mark("deconflict:plan-loaded"),
    (error) => {
      if (error instanceof ApiError && error.status === 401) signOut(); // expired or revoked
      $("mapStatus").textContent = String(error.message || error);
    },
  );
  const map = await mapReady;
  performance.mark("deconflict:map-loaded");
  const painted = firstPaint(map);
  await loading;
  painted.then(addBasemapDetail);
  startInbox(session);
  startTracks();
  document.body.dataset.ready = "true";
}

start();
