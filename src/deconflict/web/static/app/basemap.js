// The offline basemap: Natural Earth land (its outlines are the coastlines) and borders,
// shipped in the package (static/basemap, built from world-atlas), and a graticule made
// here. No glyphs, no sprites, no tiles: the style references nothing outside this
// origin. The first frame uses 1:110m (small, fast); 1:50m is added after it and takes
// over from zoom DETAIL_ZOOM. Tiles are cut only down to the zoom the data's scale
// supports (maxzoom) and stretched beyond: cutting a world of 1:50m coastline into
// zoom-8 tiles costs seconds and shows nothing finer.

const DETAIL_ZOOM = 3.5;

function graticule(step = 5) {
  const lines = [];
  for (let lon = -180; lon <= 180; lon += step) {
    const line = [];
    for (let lat = -85; lat <= 85; lat += 2.5) line.push([lon, lat]);
    lines.push(line);
  }
  for (let lat = -80; lat <= 80; lat += step) {
    const line = [];
    for (let lon = -180; lon <= 180; lon += 2.5) line.push([lon, lat]);
    lines.push(line);
  }
  return { type: "Feature", properties: {}, geometry: { type: "MultiLineString", coordinates: lines } };
}

const url = (name) => new URL(`/static/basemap/${name}`, location.href).href;

function layers(scale, zoom) {
  return [
    { id: `land-${scale}`, type: "fill", source: `land-${scale}`, ...zoom, paint: { "fill-color": "#1f2a24" } },
    {
      id: `coastline-${scale}`,
      type: "line",
      source: `land-${scale}`,
      ...zoom,
      paint: { "line-color": "#6b8a7a", "line-width": 0.9 },
    },
    {
      id: `borders-${scale}`,
      type: "line",
      source: `borders-${scale}`,
      ...zoom,
      paint: { "line-color": "#8b7d6b", "line-width": 1, "line-dasharray": [3, 2] },
    },
  ];
}

export function basemapStyle() {
  return {
    version: 8,
    sources: {
      "land-110m": { type: "geojson", data: url("land-110m.json"), tolerance: 0.6, maxzoom: 4 },
      "borders-110m": { type: "geojson", data: url("borders-110m.json"), tolerance: 0.6, maxzoom: 4 },
      graticule: { type: "geojson", data: graticule() },
    },
    layers: [
      { id: "sea", type: "background", paint: { "background-color": "#0b2234" } },
      { id: "graticule", type: "line", source: "graticule", paint: { "line-color": "#1e3a52", "line-width": 0.7 } },
      ...layers("110m", {}),
    ],
  };
}

/** Adds the 1:50m basemap under the first overlay layer, `before`. */
export function addDetail(map, before) {
  map.addSource("land-50m", { type: "geojson", data: url("land-50m.json"), tolerance: 0.6, maxzoom: 6 });
  map.addSource("borders-50m", { type: "geojson", data: url("borders-50m.json"), tolerance: 0.6, maxzoom: 6 });
  for (const layer of layers("50m", { minzoom: DETAIL_ZOOM })) map.addLayer(layer, before);
  for (const layer of layers("110m", {})) map.setLayerZoomRange(layer.id, 0, DETAIL_ZOOM);
}
