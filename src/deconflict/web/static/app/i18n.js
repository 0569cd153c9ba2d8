// Languages: the strings of the screen (static/i18n/<locale>.json), the page direction
// (Arabic mirrors the whole layout, not just the text), and numbers, units and times
// formatted per locale. Times are UTC with local time beside them.
import { $, EVENTS, emit } from "./config.js";

export const LOCALES = { en: "ltr", ru: "ltr", ar: "rtl" };
const KEY = "deconflict.locale";
let locale = "en";
let strings = {};
let fallback = {};

async function load(name) {
  const response = await fetch(`/static/i18n/${name}.json`);
  return response.json();
}

export function current() {
  return locale;
}

/** The string for `key` with `{name}` placeholders filled; English if untranslated. */
export function t(key, params = {}) {
  const text = strings[key] ?? fallback[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in params ? String(params[name]) : `{${name}}`));
}

function translateDocument() {
  document.documentElement.lang = locale;
  document.documentElement.dir = LOCALES[locale];
  document.title = t("title");
  for (const element of document.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
  for (const element of document.querySelectorAll("[data-i18n-aria]")) {
    element.setAttribute("aria-label", t(element.dataset.i18nAria));
  }
}

export async function setLocale(name) {
  if (!(name in LOCALES)) name = "en";
  strings = name === "en" ? fallback : await load(name);
  locale = name;
  localStorage.setItem(KEY, name);
  $("language").value = name;
  translateDocument();
  emit(EVENTS.language, { locale });
}

export async function initLanguage() {
  fallback = await load("en");
  strings = fallback;
  const preferred = localStorage.getItem(KEY) || navigator.language.slice(0, 2);
  await setLocale(preferred in LOCALES ? preferred : "en");
  $("language").addEventListener("change", (event) => setLocale(event.target.value));
}

// --- numbers, units, times ---------------------------------------------------------

const FOOT = 0.3048;
const NAUTICAL_MILE = 1852;

export function number(value, digits = 0) {
  return new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(value);
}

function unit(value, name, digits = 0) {
  return new Intl.NumberFormat(locale, {
    style: "unit",
    unit: name,
    unitDisplay: "short",
    maximumFractionDigits: digits,
  }).format(value);
}

/** Russian aviation counts metres; English and Arabic (ICAO practice) feet. */
export function altitude(metres, reference) {
  if (reference === "STD")
    return t("flight_level", { level: number(Math.round(metres / FOOT / 100)).padStart(3, number(0)) });
  return locale === "ru" ? unit(Math.round(metres), "meter") : unit(Math.round(metres / FOOT / 10) * 10, "foot");
}

export function band(lower, upper, reference) {
  return `${altitude(lower, reference)} – ${altitude(upper, reference)}`;
}

/** Horizontal distances: nautical miles (ICAO), kilometres in Russian. */
export function distance(metres) {
  if (locale === "ru") return unit(metres / 1000, "kilometer", 1);
  return t("nautical_miles", { value: number(metres / NAUTICAL_MILE, 1) });
}

export function duration(seconds) {
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return unit(minutes, "minute");
  return unit(minutes / 60, "hour", 1);
}

function clock(ms, timeZone) {
  return new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", hour12: false, timeZone }).format(ms);
}

/** "25 Nov 14:35 UTC (15:35 local)" in the screen's language. */
export function instant(ms) {
  const day = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", timeZone: "UTC" }).format(ms);
  return t("time_utc_local", { day, utc: clock(ms, "UTC"), local: clock(ms, undefined) });
}

/** A time of day in UTC with local beside it, e.g. for windows and deadlines. */
export function timeOfDay(ms) {
  return t("clock_utc_local", { utc: clock(ms, "UTC"), local: clock(ms, undefined) });
}

export function shortTime(ms) {
  return clock(ms, "UTC");
}
