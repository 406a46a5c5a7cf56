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
