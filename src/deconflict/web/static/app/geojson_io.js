// GeoJSON files in and out: import a declaration into the planner, export the draft or
// every operation the party can see (the format of docs/geojson.md).
import { t } from "./i18n.js";
import { draftDocument, setImported } from "./planner.js";
import * as scene from "./scene.js";

function download(name, collection) {
  const blob = new Blob([JSON.stringify(collection, null, 2)], { type: "application/geo+json" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

async function importFile(event) {
  const file = event.target.files[0];
  if (!file) return;
  const result = document.getElementById("plan-result");
  try {
    const collection = JSON.parse(await file.text());
    if (collection.type !== "FeatureCollection" || !Array.isArray(collection.features))
      throw new Error(t("not_feature_collection"));
    setImported(collection, file.name);
  } catch (error) {
    result.textContent = `${t("import_failed")}: ${error.message}`;
  }
  event.target.value = "";
}

export function initGeojsonIo() {
  document.getElementById("plan-import").addEventListener("change", importFile);
  document.getElementById("plan-export").addEventListener("click", () => {
    const draft = draftDocument();
    download(`${draft.features[0]?.id || "draft"}.geojson`, draft);
  });
  document.getElementById("export-all").addEventListener("click", () => {
    const features = scene.plan().operations.flatMap(({ op }) => op.geojson.features);
    download("operations.geojson", { type: "FeatureCollection", features });
  });
}
