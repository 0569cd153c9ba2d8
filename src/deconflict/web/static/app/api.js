// The native API (/v1), called with the signed-in token. Errors are RFC 9457 problems;
// a 404 on a whole endpoint (a part of the service not deployed) is `NotAvailable`.

let token = null;

export function useToken(value) {
  token = value;
}

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

export class NotAvailable extends ApiError {}

export function headers(extra = {}) {
  return { Authorization: `Bearer ${token}`, ...extra };
}

export async function call(method, path, { body, headers: extra, endpoint = false } = {}) {
  const init = { method, headers: headers(extra) };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = { detail: text };
  }
  if (!response.ok) {
    // The router's own 404 ("Not Found", no object named) means the endpoint is absent.
    const missing = response.status === 404 && (endpoint || data?.detail === "Not Found");
    throw new (missing ? NotAvailable : ApiError)(response.status, data);
  }
  return { data, etag: response.headers.get("ETag"), status: response.status };
}

/** Every page of a paged listing (`next_offset`), e.g. /v1/operations. */
export async function all(path, key) {
  const items = [];
  let offset = 0;
  for (;;) {
    const separator = path.includes("?") ? "&" : "?";
    const { data } = await call("GET", `${path}${separator}limit=500&offset=${offset}`);
    items.push(...data[key]);
    if (data.next_offset == null) return items;
    offset = data.next_offset;
  }
}
