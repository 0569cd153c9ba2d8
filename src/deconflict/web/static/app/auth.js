// Sign-in with a bearer token: kept for this browser tab only (sessionStorage), checked
// against the API once, and its claims read to show whom the screen acts for.
import { $, EVENTS, emit, on } from "./config.js";
import { ApiError, call, useToken } from "./api.js";
import { t } from "./i18n.js";

const KEY = "deconflict.token";

/** The JWT's claims (not verified here: the server verifies every call). */
export function claims(token) {
  const part = token.split(".")[1];
  if (!part) throw new Error("not a JWT");
  const base64 = part.replace(/-/g, "+").replace(/_/g, "/");
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/**
 * A session for the token. A typed token is proved by one read; one kept from earlier in
 * this tab is trusted until it expires (the server still checks every call, and a
 * refusal signs out), which saves a round trip before the first paint.
 */
async function tryToken(token, { verify = true } = {}) {
  const payload = claims(token);
  useToken(token);
  if (verify || !(payload.exp * 1000 > Date.now())) await call("GET", "/v1/zones");
  const scopes = String(payload.scope || "").split(" ");
  return {
    token,
    party: payload.party ?? null,
    subject: payload.sub,
    scopes,
    canWrite: scopes.includes("deconflict.write") || scopes.includes("deconflict.admin"),
    expires: payload.exp * 1000,
  };
}

function showBadge(session) {
  const badge = $("partyBadge");
  badge.replaceChildren();
  const who = document.createElement("strong");
  who.textContent = session.party ?? t("administrator");
  badge.append(t("signed_in_as"), " ", who);
}

let current = null;
on(EVENTS.signedIn, ({ session }) => (current = session));
on(EVENTS.language, () => current && showBadge(current));

export function signOut() {
  sessionStorage.removeItem(KEY);
  location.reload();
}

/** Resolves with the session once a token works; asks for one until then. */
export async function signIn() {
  const stored = sessionStorage.getItem(KEY);
  if (stored) {
    try {
      const session = await tryToken(stored, { verify: false });
      showBadge(session);
      emit(EVENTS.signedIn, { session });
      return session;
    } catch {
      sessionStorage.removeItem(KEY);
    }
  }
  const dialog = $("login");
  const form = $("loginForm");
  const field = $("loginToken");
  const error = $("loginError");
  dialog.showModal();
  field.focus();
  return new Promise((resolve) => {
    form.addEventListener("submit", async function submitted(event) {
      event.preventDefault();
      error.textContent = "";
      const token = field.value.trim();
      try {
        const session = await tryToken(token);
        sessionStorage.setItem(KEY, token);
        form.removeEventListener("submit", submitted);
        dialog.close();
        showBadge(session);
        emit(EVENTS.signedIn, { session });
        resolve(session);
      } catch (failure) {
        error.textContent =
          failure instanceof ApiError ? `${t("login_refused")}: ${failure.message}` : t("login_not_token");
      }
    });
    // Escape must not leave an unusable screen behind the dialog.
    dialog.addEventListener("cancel", (event) => event.preventDefault());
  });
}
