// Calls to the examreg JSON API. The session travels in the HttpOnly cookie
// set by POST /auth/login: no token is ever stored or read by a script.

const NETWORK_PROBLEM = {
  status: 0,
  code: 'network_error',
  title: 'Connexion impossible',
  detail: "Le service n'a pas pu être joint. Vérifiez votre connexion à Internet, puis réessayez.",
  errors: [],
};

/**
 * Calls the API. Resolves to {ok, status, data} on success and to
 * {ok: false, status, problem} on an error (never rejects).
 */
export async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    return { ok: false, status: 0, problem: NETWORK_PROBLEM };
  }
  noteSessionUse(path, response.status);
  let data = null;
  const type = response.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (response.ok) return { ok: true, status: response.status, data };
  const problem = data && typeof data === 'object' && data.code ? data : {
    status: response.status,
    code: 'unexpected',
    title: 'Une erreur est survenue',
    detail: `Le service a répondu par une erreur inattendue (${response.status}). Réessayez dans quelques instants.`,
  };
  problem.errors = Array.isArray(problem.errors) ? problem.errors : [];
  return { ok: false, status: response.status, problem };
}

/** The calendar, with the offset between the server's clock and ours. */
export async function calendar() {
  const answer = await api('GET', '/calendar');
  if (!answer.ok) return answer;
  answer.data.offset = Date.parse(answer.data.now) - Date.now();
  return answer;
}

/** The server's current instant, in milliseconds (the local runner's clock is simulated). */
export function serverNow(calendarData) {
  return Date.now() + (calendarData ? calendarData.offset : 0);
}

// ---------------------------------------------------------------------------
// The session's idle timeout, as the page can know it. The cookie is
// HttpOnly and the API does not say when a session ends: the rule is
// SECURITY.md « Sessions » (services/sessions.rs): 30 minutes without an
// authenticated request, the last-seen time being written at most once a
// minute. So the page counts from its own last authenticated request, a
// minute early. The 12-hour absolute end is not known here: a 401 then
// opens the sign-in dialog (session.js).

/** 30 minutes without a request end a session (domain/account.rs SESSION_IDLE_PERIOD). */
export const SESSION_IDLE_MS = 30 * 60 * 1000;
/** The server records a use at most once a minute (SESSION_SEEN_STEP): a minute of margin. */
const SESSION_SEEN_STEP_MS = 60 * 1000;
/** Routes that read no session, so do not extend one. */
const PUBLIC_ROUTES = new Set(['/calendar', '/catalogue', '/health']);

let lastUse = null;

function noteSessionUse(path, status) {
  if (status === 401) {
    lastUse = null;
  } else if (status !== 0 && !PUBLIC_ROUTES.has(path.split('?')[0])) {
    lastUse = Date.now();
  }
}

/** When the session will have been idle too long (ms since the epoch, this browser's clock); null if unknown. */
export function sessionIdleEnd() {
  return lastUse === null ? null : lastUse + SESSION_IDLE_MS - SESSION_SEEN_STEP_MS;
}

/** Milliseconds since the last authenticated request (Infinity if none). */
export function sinceLastUse() {
  return lastUse === null ? Infinity : Date.now() - lastUse;
}
