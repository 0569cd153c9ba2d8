// Server-Sent Events over fetch, so the bearer token goes in a header (EventSource
// cannot send one). Reconnects with Last-Event-ID after the last event seen, so nothing
// sent while the line was down is missed; a 404 means the endpoint is not deployed.
import { headers } from "./api.js";

function parse(block) {
  const event = { type: "message", data: "", id: null };
  const data = [];
  for (const line of block.split("\n")) {
    if (!line || line.startsWith(":")) continue;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event.type = value;
    else if (field === "data") data.push(value);
    else if (field === "id") event.id = value;
    else if (field === "retry") event.retry = Number(value);
  }
  event.data = data.join("\n");
  return event;
}

/**
 * Follows `path` until `stop()`; calls onEvent({type, data, id}), onState("open" |
 * "retrying" | "unavailable" | "refused").
 */
export function follow(path, { onEvent, onState }) {
  let lastId = null;
  let retry = 2000;
  let stopped = false;
  let controller = null;

  async function connect() {
    controller = new AbortController();
    const extra = lastId ? { "Last-Event-ID": lastId, Accept: "text/event-stream" } : { Accept: "text/event-stream" };
    const response = await fetch(path, { headers: headers(extra), signal: controller.signal });
    if (response.status === 404) return onState("unavailable");
    if (response.status === 401 || response.status === 403) return onState("refused");
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    onState("open");
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value.replace(/\r\n?/g, "\n");
      let end;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const event = parse(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (event.retry) retry = event.retry;
        if (event.id !== null) lastId = event.id;
        if (event.data) onEvent(event);
      }
    }
    throw new Error("stream ended");
  }

  (async () => {
    while (!stopped) {
      try {
        await connect();
        return; // unavailable or refused: no point retrying
      } catch {
        if (stopped) return;
        onState("retrying");
        await new Promise((resolve) => setTimeout(resolve, retry));
      }
    }
  })();

  return {
    stop() {
      stopped = true;
      controller?.abort();
    },
  };
}
