// The inbox: notices and hotline messages as they arrive (SSE), those still to be
// acknowledged first with their deadline counting down, escalated ones in red; one click
// acknowledges. Also the channel's status per counterpart, and a hotline composer.
import { $, EVENTS, on } from "./config.js";
import { ApiError, NotAvailable, call } from "./api.js";
import { follow } from "./sse.js";
import { duration, number, t, timeOfDay } from "./i18n.js";
import { others } from "./parties.js";
import { reloadSoon } from "./loader.js";

/** The notices API (docs/api.md); one place to follow it if a path changes. */
export const PATHS = {
  list: "/v1/notices?state=all&limit=500",
  stream: "/v1/stream",
  acknowledge: (id) => `/v1/notices/${encodeURIComponent(id)}:ack`,
  hotline: "/v1/hotline",
  status: "/v1/channel/status",
  one: (id) => `/v1/notices/${encodeURIComponent(id)}`,
};

const notices = new Map(); // id → notice, to this party or sent from this screen
const SENT_POLL_MS = 3000; // how often the sender looks for the acknowledgement
let available = true;
let session = null;
const started = Date.now(); // notices before this are in the plan already loaded

const when = (value) => (value == null ? null : typeof value === "number" ? value * 1000 : Date.parse(value));
const pending = (n) => n.needs_ack && !n.acknowledged_at;

function escalated(n) {
  return pending(n) && ((n.escalation_step || 0) > 0 || (when(n.deadline) ?? Infinity) < Date.now());
}

function order(a, b) {
  const mine = (n) => pending(n) && n.to === session?.party;
  if (mine(a) !== mine(b)) return mine(a) ? -1 : 1;
  if (mine(a)) return (when(a.deadline) ?? Infinity) - (when(b.deadline) ?? Infinity);
  return (when(b.created_at) ?? 0) - (when(a.created_at) ?? 0);
}

function countdown(n) {
  const left = ((when(n.deadline) ?? 0) - Date.now()) / 1000;
  return left >= 0 ? t("due_in", { time: duration(left) }) : t("overdue_by", { time: duration(-left) });
}

async function acknowledge(n, button) {
  button.disabled = true;
  try {
    const { data } = await call("POST", PATHS.acknowledge(n.id), { body: {} });
    notices.set(n.id, { ...n, ...data, acknowledged_at: data.acknowledged_at || new Date().toISOString() });
    render();
    reloadSoon().catch(() => {}); // an acknowledgement may release a pending operation
  } catch (error) {
    button.disabled = false;
    $("inboxStatus").textContent = error instanceof ApiError ? error.message : String(error);
  }
}

function render() {
  const list = $("noticeList");
  list.replaceChildren();
  const sorted = [...notices.values()].sort(order);
  for (const n of sorted) {
    const item = document.createElement("li");
    item.dataset.id = n.id;
    item.className = [pending(n) ? "unacknowledged" : "acknowledged", escalated(n) ? "escalated" : ""].join(" ").trim();
    const head = document.createElement("div");
    const kind = document.createElement("strong");
    kind.textContent = t(`notice_${n.kind}`) === `notice_${n.kind}` ? n.kind : t(`notice_${n.kind}`);
    const who = n.from === session?.party ? t("to_party", { party: n.to }) : t("from_party", { party: n.from });
    head.append(kind, ` · ${who} · ${timeOfDay(when(n.created_at))}`);
    const text = document.createElement("p");
    text.textContent = n.text;
    item.append(head, text);
    const outgoing = n.from === session?.party;
    item.classList.toggle("outgoing", outgoing);
    if (outgoing && !n.acknowledged_at) {
      const waiting = document.createElement("span");
      waiting.className = "awaiting-ack";
      waiting.textContent = t("awaiting_their_ack", { party: n.to });
      item.append(waiting);
    } else if (pending(n)) {
      const deadline = document.createElement("span");
      deadline.className = escalated(n) ? "deadline late" : "deadline";
      deadline.dataset.deadline = String(when(n.deadline));
      deadline.textContent = countdown(n);
      const button = document.createElement("button");
      button.type = "button";
      button.className = "acknowledge";
      button.textContent = t("acknowledge");
      button.disabled = !session?.canWrite || n.to !== session?.party;
      button.addEventListener("click", () => acknowledge(n, button));
      item.append(deadline, " ", button);
    } else if (n.acknowledged_at) {
      const done = document.createElement("span");
      done.className = "acknowledged-at";
      done.textContent = t("acknowledged_at", {
        time: timeOfDay(when(n.acknowledged_at)),
        by: n.acknowledged_by || "",
      });
      item.append(done);
    }
    list.append(item);
  }
  const waiting = sorted.filter((n) => pending(n) && n.to === session?.party).length;
  list.setAttribute("aria-label", t("inbox"));
  $("inboxCount").textContent = waiting ? String(waiting) : "";
}

function tick() {
  for (const span of document.querySelectorAll(".notice-list .deadline")) {
    const n = notices.get(span.closest("li").dataset.id);
    if (n) span.textContent = countdown(n);
    if (n && escalated(n) && !span.classList.contains("late")) render();
  }
}

const SILENT_AFTER_S = 120; // no heartbeat for this long: the counterpart's screen is away

function linkState(link) {
  if (link.suspended) return "suspended";
  const beat = link.last_heartbeat?.[link.counterpart];
  if (beat == null || Date.now() / 1000 - beat > SILENT_AFTER_S) return "silent";
  return "up";
}

async function channelStatus() {
  try {
    const { data } = await call("GET", PATHS.status, { endpoint: true });
    const list = $("channelStatus");
    list.replaceChildren();
    for (const link of data.links || []) {
      const item = document.createElement("li");
      const state = linkState(link);
      item.dataset.counterpart = link.counterpart;
      item.dataset.state = state;
      item.textContent = t("channel_line", {
        party: link.counterpart,
        state: t(`channel_${state}`),
        theirs: number(link.inbound?.unacknowledged ?? 0),
        ours: number(link.outbound?.unacknowledged ?? 0),
      });
      if (state !== "up") item.className = "error";
      list.append(item);
    }
  } catch {
    // The status is a convenience; the list of notices below is what matters.
  }
}

/** The sender sees the acknowledgement arrive: its notice is read back until acked. */
async function followSent(id) {
  for (;;) {
    try {
      const { data } = await call("GET", PATHS.one(id));
      notices.set(id, data);
      render();
      if (data.acknowledged_at) return;
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 404) return;
    }
    await new Promise((resolve) => setTimeout(resolve, SENT_POLL_MS));
  }
}

function unavailable() {
  available = false;
  $("inboxStatus").textContent = t("inbox_unavailable");
  $("hotlineForm").hidden = true;
}

async function sendHotline(event) {
  event.preventDefault();
  const text = $("hotlineText").value.trim();
  if (!text) return;
  try {
    const { data } = await call("POST", PATHS.hotline, { body: { to: $("hotlineTo").value, text } });
    $("hotlineText").value = "";
    await followSent(data.id);
    $("inboxStatus").textContent = t("hotline_sent");
  } catch (error) {
    $("inboxStatus").textContent = error instanceof NotAvailable ? t("inbox_unavailable") : error.message;
  }
}

function fillRecipients() {
  const select = $("hotlineTo");
  const chosen = select.value;
  select.replaceChildren(...others().map((party) => new Option(party, party)));
  if (chosen) select.value = chosen;
}

export async function startInbox(s) {
  session = s;
  $("hotlineForm").addEventListener("submit", sendHotline);
  try {
    const { data } = await call("GET", PATHS.list, { endpoint: true });
    for (const n of data.notices || []) notices.set(n.id, n);
  } catch (error) {
    if (error instanceof NotAvailable) return unavailable();
  }
  render();
  channelStatus();
  setInterval(tick, 1000);
  setInterval(channelStatus, 15_000);
  follow(PATHS.stream, {
    onEvent(event) {
      const body = JSON.parse(event.data);
      const n = body.notice || body;
      if (!n.id) return;
      notices.set(n.id, { ...notices.get(n.id), ...n });
      render();
      const fresh = (when(n.created_at) ?? 0) > started;
      if (fresh && ["operation", "conflict", "override"].some((w) => String(n.kind).startsWith(w)))
        reloadSoon().catch(() => {});
    },
    onState(state) {
      if (state === "unavailable") unavailable();
      else if (available) $("inboxStatus").textContent = t(`stream_${state}`);
    },
  });
}

on(EVENTS.plan, fillRecipients);
on(EVENTS.language, () => available && render());
