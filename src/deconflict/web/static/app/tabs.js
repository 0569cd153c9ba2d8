// The side panel's tabs (WAI-ARIA tabs pattern): click or arrow keys to switch, Home and
// End for the first and last; arrows follow the reading direction (mirrored in Arabic).
import { SELECTORS } from "./config.js";

function select(tab) {
  for (const other of document.querySelectorAll(SELECTORS.tabs)) {
    const chosen = other === tab;
    other.setAttribute("aria-selected", String(chosen));
    other.tabIndex = chosen ? 0 : -1;
    document.getElementById(other.getAttribute("aria-controls")).hidden = !chosen;
  }
}

export function initTabs() {
  const tabs = [...document.querySelectorAll(SELECTORS.tabs)];
  for (const tab of tabs) {
    tab.addEventListener("click", () => select(tab));
    tab.addEventListener("keydown", (event) => {
      const rtl = document.documentElement.dir === "rtl";
      const step = { ArrowRight: rtl ? -1 : 1, ArrowLeft: rtl ? 1 : -1 }[event.key];
      let next = null;
      if (step) next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
      if (event.key === "Home") next = tabs[0];
      if (event.key === "End") next = tabs.at(-1);
      if (next) {
        event.preventDefault();
        select(next);
        next.focus();
      }
    });
  }
}
