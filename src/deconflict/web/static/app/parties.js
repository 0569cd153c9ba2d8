// Party colours: the signed-in party is always blue; other parties take the next
// colour of a palette in id order, so both duty officers see stable colours.
const OWN = "#3b82f6";
const OTHERS = ["#ef4444", "#f59e0b", "#a855f7", "#10b981", "#ec4899", "#14b8a6"];
let own = null;
let known = [];

export function setParties(self, ids) {
  own = self;
  known = [...new Set(ids)].filter((id) => id !== self).sort();
}

export function isOwn(party) {
  return own !== null && party === own;
}

export function ownParty() {
  return own;
}

export function colour(party) {
  if (isOwn(party)) return OWN;
  let index = known.indexOf(party);
  if (index < 0) {
    known.push(party);
    index = known.length - 1;
  }
  return OTHERS[index % OTHERS.length];
}

export function others() {
  return known.slice();
}
