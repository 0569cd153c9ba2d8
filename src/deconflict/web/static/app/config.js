// Every element the screen drives, and every event its modules exchange, named once.
// Modules talk through `bus` (an EventTarget) so that each has one job and none needs
// to know who listens.

/** Elements, by id in index.html. */
export const SELECTORS = {
  map: "#map",
  legend: "#legend",
  mapStatus: "#map-status",
  partyBadge: "#party-badge",
  language: "#language",
  toggle3d: "#toggle-3d",
  signOut: "#sign-out",
  tabs: '[role="tab"]',
  activeList: "#active-list",
  selection: "#selection",
  tracksStatus: "#tracks-status",
  alertList: "#alert-list",
  gantt: "#gantt",
  planForm: "#plan-form",
  planResult: "#plan-result",
  inboxCount: "#inbox-count",
  inboxStatus: "#inbox-status",
  channelStatus: "#channel-status",
  noticeList: "#notice-list",
  hotlineForm: "#hotline-form",
  hotlineTo: "#hotline-to",
  hotlineText: "#hotline-text",
  timePlay: "#time-play",
  timeSpeed: "#time-speed",
  timeNow: "#time-now",
  timeRange: "#time-range",
  timeInput: "#time-input",
  timeLabel: "#time-label",
  login: "#login",
  loginForm: "#login-form",
  loginToken: "#login-token",
  loginError: "#login-error",
};

/** Events on `bus`; `detail` is described beside each. */
export const EVENTS = {
  signedIn: "signed-in", // {session}
  language: "language", // {locale}
  instant: "instant", // {time: ms since epoch}
  plan: "plan", // {operations, zones}: what the server says is planned
  select: "select", // {id}: an operation or zone the user picked
  draft: "draft", // {document|null}: the plan being drawn, as a FeatureCollection
  verdict: "verdict", // {conflicts}: conflicts of the last check or submission
  tracks: "tracks", // {tracks, alerts}
  mapReady: "map-ready", // {map}
};

export const bus = new EventTarget();

export function emit(name, detail) {
  bus.dispatchEvent(new CustomEvent(name, { detail }));
}

export function on(name, handler) {
  bus.addEventListener(name, (event) => handler(event.detail));
}

export function $(name) {
  return document.querySelector(SELECTORS[name]);
}

/** How far the time bar reaches either side of now (the issue: past and next 24 h). */
export const TIME_WINDOW_MS = 24 * 3600 * 1000;
