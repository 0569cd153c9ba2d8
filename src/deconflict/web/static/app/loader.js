// Fetches what the signed-in party may see (the server decides: need-to-know) and hands
// it to the scene; again after every change and every half minute.
import { all, call } from "./api.js";
import { setParties } from "./parties.js";
import { setPlan } from "./scene.js";

const REFRESH_MS = 30_000;
let session = null;
let timer = null;

export async function reload() {
  const [operations, zones] = await Promise.all([
    all("/v1/operations", "operations"),
    call("GET", "/v1/zones").then(({ data }) => data.zones),
  ]);
  let parties = [...operations.map((o) => o.party), ...zones.map((z) => z.party)];
  try {
    const { data } = await call("GET", "/v1/parties");
    parties = parties.concat(data.parties.map((p) => p.id));
  } catch {
    // Listing parties may be refused to some tokens; the plan names them anyway.
  }
  setParties(session.party, parties);
  setPlan(operations, zones);
}

/** Many notices may ask for a reload at once (a backlog): one reload serves them all. */
let queued = null;
export function reloadSoon(delay = 500) {
  queued ??= new Promise((resolve) => setTimeout(resolve, delay)).then(() => {
    queued = null;
    return reload();
  });
  return queued;
}

export async function startLoading(s) {
  session = s;
  await reload();
  clearInterval(timer);
  timer = setInterval(() => reload().catch(() => {}), REFRESH_MS);
}
