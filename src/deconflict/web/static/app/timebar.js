// The time bar: scrub through the plan (24 h back, 24 h ahead), type an instant, play
// at speed, or jump to now. Announces the instant to every other module.
import { $, EVENTS, TIME_WINDOW_MS, emit, on } from "./config.js";
import { instant, t } from "./i18n.js";

const STEP_MS = 60 * 1000;
let origin = Date.now();
let current = origin;
let playing = null;

function toLocalInput(ms) {
  return new Date(ms).toISOString().slice(0, 16); // the datetime field is read as UTC
}

/** A datetime-local value, read as UTC (the screen's planning times are UTC). */
export function fromUtcInput(value) {
  return Date.parse(`${value}:00Z`);
}

export function setInstant(ms) {
  const range = $("timeRange");
  current = Math.min(Math.max(ms, Number(range.min)), Number(range.max));
  range.value = String(current);
  range.setAttribute("aria-valuetext", instant(current));
  $("timeInput").value = toLocalInput(current);
  $("timeLabel").textContent = instant(current);
  emit(EVENTS.instant, { time: current });
}

function stop() {
  clearInterval(playing);
  playing = null;
  $("timePlay").setAttribute("aria-pressed", "false");
  $("timePlay").textContent = t("play");
}

function play() {
  if (playing) return stop();
  const button = $("timePlay");
  button.setAttribute("aria-pressed", "true");
  button.textContent = t("pause");
  const tick = 200;
  playing = setInterval(() => {
    const next = current + Number($("timeSpeed").value) * tick;
    if (next >= Number($("timeRange").max)) stop();
    setInstant(next);
  }, tick);
}

export function initTimebar() {
  const range = $("timeRange");
  origin = Math.floor(Date.now() / STEP_MS) * STEP_MS;
  range.min = String(origin - TIME_WINDOW_MS);
  range.max = String(origin + TIME_WINDOW_MS);
  range.step = String(STEP_MS);
  range.addEventListener("input", () => setInstant(Number(range.value)));
  $("timeInput").addEventListener("change", (event) => {
    const ms = fromUtcInput(event.target.value);
    if (!Number.isNaN(ms)) setInstant(ms);
  });
  $("timePlay").addEventListener("click", play);
  $("timeNow").addEventListener("click", () => setInstant(Date.now()));
  on(EVENTS.language, () => {
    $("timeLabel").textContent = instant(current);
    range.setAttribute("aria-valuetext", instant(current));
    $("timePlay").textContent = t(playing ? "pause" : "play");
  });
  setInstant(Date.now());
}

export function bounds() {
  const range = $("timeRange");
  return [Number(range.min), Number(range.max)];
}
