// Declarations (the API's GeoJSON) as drawable pieces: each a polygon footprint with its
// altitude band and time window. Circles become polygons; a route becomes one corridor
// per leg, occupied only during that leg's window (plus the time buffer), as the engine
// compiles it (docs/geojson.md). Display only: the conflict check is the server's.

const EARTH_RADIUS = 6371008.8;
const DEG = Math.PI / 180;

function destination([lon, lat], bearing, metres) {
  const angular = metres / EARTH_RADIUS;
  const φ1 = lat * DEG;
  const λ1 = lon * DEG;
  const φ2 = Math.asin(Math.sin(φ1) * Math.cos(angular) + Math.cos(φ1) * Math.sin(angular) * Math.cos(bearing));
  const λ2 =
    λ1 +
    Math.atan2(Math.sin(bearing) * Math.sin(angular) * Math.cos(φ1), Math.cos(angular) - Math.sin(φ1) * Math.sin(φ2));
  return [λ2 / DEG, φ2 / DEG];
}

export function circle(centre, radius, steps = 64) {
  const ring = [];
  for (let i = 0; i <= steps; i++) ring.push(destination(centre, (2 * Math.PI * i) / steps, radius));
  return ring;
}

/** The stadium around segment a–b (half-width w, metres), in a local tangent plane. */
export function corridor(a, b, w, capSteps = 8) {
  const lat0 = ((a[1] + b[1]) / 2) * DEG;
  const kx = Math.cos(lat0) * EARTH_RADIUS * DEG;
  const ky = EARTH_RADIUS * DEG;
  const ax = a[0] * kx,
    ay = a[1] * ky,
    bx = b[0] * kx,
    by = b[1] * ky;
  const heading = Math.atan2(by - ay, bx - ax);
  const ring = [];
  const arc = (cx, cy, from) => {
    for (let i = 0; i <= capSteps; i++) {
      const angle = from + (Math.PI * i) / capSteps;
      ring.push([(cx + w * Math.cos(angle)) / kx, (cy + w * Math.sin(angle)) / ky]);
    }
  };
  arc(bx, by, heading - Math.PI / 2);
  arc(ax, ay, heading + Math.PI / 2);
  ring.push(ring[0]);
  return ring;
}

export function distance(a, b) {
  const φ1 = a[1] * DEG,
    φ2 = b[1] * DEG;
  const h = Math.sin((φ2 - φ1) / 2) ** 2 + Math.cos(φ1) * Math.cos(φ2) * Math.sin(((b[0] - a[0]) * DEG) / 2) ** 2;
  return 2 * EARTH_RADIUS * Math.asin(Math.sqrt(h));
}

export function bearing(a, b) {
  const φ1 = a[1] * DEG,
    φ2 = b[1] * DEG,
    Δλ = (b[0] - a[0]) * DEG;
  return Math.atan2(
    Math.sin(Δλ) * Math.cos(φ2),
    Math.cos(φ1) * Math.sin(φ2) - Math.sin(φ1) * Math.cos(φ2) * Math.cos(Δλ),
  );
}

const ms = (text) => Date.parse(text);

function polygonsOf(geometry, properties) {
  if (geometry.type === "Polygon") return [geometry.coordinates];
  if (geometry.type === "MultiPolygon") return geometry.coordinates;
  if (geometry.type === "Point") return [[circle(geometry.coordinates, Number(properties.radius) || 1000)]];
  return [];
}

function linesOf(geometry) {
  if (geometry.type === "LineString") return [geometry.coordinates];
  if (geometry.type === "MultiLineString") return geometry.coordinates;
  return [];
}

/** The pieces of one declaration: {polygon, lower, upper, reference, start, end, leg}. */
export function pieces(document, fallback = {}) {
  const out = [];
  for (const feature of document.features || []) {
    const p = feature.properties || {};
    const reference = p.altitude_reference || "W84";
    const start = p.start ? ms(p.start) : ms(fallback.start);
    const end = p.end ? ms(p.end) : ms(fallback.end);
    const geometry = feature.geometry;
    if (p.kind === "operation" && geometry.type === "LineString") {
      out.push(...routeLegs(geometry.coordinates, p, reference, fallback));
    } else if (p.kind === "line" && linesOf(geometry).length) {
      for (const line of linesOf(geometry))
        for (let i = 0; i + 1 < line.length; i++)
          out.push({
            polygon: [corridor(line[i], line[i + 1], Number(p.buffer) || 0)],
            lower: p.altitude_lower,
            upper: p.altitude_upper,
            reference,
            start,
            end,
            line: [line[i], line[i + 1]],
          });
    } else {
      for (const polygon of polygonsOf(geometry, p))
        out.push({ polygon, lower: p.altitude_lower, upper: p.altitude_upper, reference, start, end });
    }
  }
  return out;
}

function routeLegs(points, p, reference, fallback) {
  const buffer = (Number(p.time_buffer) || 0) * 1000;
  const vertical = Number(p.vertical_half_width) || 0;
  let times = (p.times || []).map(ms);
  if (times.length !== points.length) {
    // Redacted or unusual views: spread the operation's window over the legs by length.
    const lengths = points.slice(1).map((q, i) => distance(points[i], q));
    const total = lengths.reduce((a, b) => a + b, 0) || 1;
    const t0 = ms(fallback.start) + buffer,
      t1 = ms(fallback.end) - buffer;
    times = [t0];
    for (const length of lengths) times.push(times.at(-1) + ((t1 - t0) * length) / total);
  }
  const legs = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i],
      b = points[i + 1];
    const altitudes = [a[2] ?? 0, b[2] ?? 0];
    legs.push({
      polygon: [corridor(a, b, Number(p.half_width) || 500)],
      lower: Math.min(...altitudes) - vertical,
      upper: Math.max(...altitudes) + vertical,
      reference,
      start: times[i] - buffer,
      end: times[i + 1] + buffer,
      line: [a, b],
      leg: i,
    });
  }
  return legs;
}

export const activeAt = (piece, time) => piece.start <= time && time < piece.end;

/** A point inside the polygon's bounding box centre, good enough for a label. */
export function labelPoint(ring) {
  let minX = Infinity,
    minY = Infinity,
    maxX = -Infinity,
    maxY = -Infinity;
  for (const [x, y] of ring) {
    minX = Math.min(minX, x);
    maxX = Math.max(maxX, x);
    minY = Math.min(minY, y);
    maxY = Math.max(maxY, y);
  }
  return [(minX + maxX) / 2, (minY + maxY) / 2];
}
