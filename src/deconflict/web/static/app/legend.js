// The map's legend: each party's colour, hatching for other parties' zones, conflicts.
import { $, EVENTS, on } from "./config.js";
import { t } from "./i18n.js";
import { colour, others, ownParty } from "./parties.js";

function item(swatchClass, swatchColour, text) {
  const li = document.createElement("li");
  const swatch = document.createElement("span");
  swatch.className = `swatch ${swatchClass}`;
  swatch.style.color = swatchColour;
  if (!swatchClass) swatch.style.background = swatchColour;
  li.append(swatch, text);
  return li;
}

function render() {
  const list = document.createElement("ul");
  if (ownParty()) list.append(item("", colour(ownParty()), t("legend_own", { party: ownParty() })));
  for (const party of others()) list.append(item("hatched", colour(party), t("legend_other", { party })));
  list.append(item("", "#ff2d2d", t("legend_conflict")));
  $("legend").setAttribute("aria-label", t("legend"));
  $("legend").replaceChildren(list);
}

for (const event of [EVENTS.plan, EVENTS.language]) on(event, render);
