// What every page of the back office shares: the staff member's session,
// calls to POST /office/actions, the header, errors and notices, French dates.
//
// The session: the access token (locally from POST /office/session, in AWS
// from Cognito's token endpoint) is kept in sessionStorage, so it belongs to
// this tab alone and is gone when the tab is closed (an office computer may be
// shared: nothing outlives the tab, unlike localStorage or a cookie); it is
// sent only where a script puts it (no cookie, so no cross-site request can
// act with it); and the pages' strict CSP (no inline script, nothing from
// elsewhere) keeps other scripts from reading it.

const TOKEN_KEY = 'examreg.office.session';

// ---------------------------------------------------------------------------
// Building the page.

/** French typography: no line break before « : ; ! ? » % » nor after « « ». */
export function nbsp(text) {
  return String(text).replace(/ ([:;!?»%])/g, '\u00a0$1').replace(/« /g, '«\u00a0');
}

/** Builds an element: el('p', {class: 'x'}, 'text', child). Text is never parsed as HTML. */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === 'text') node.textContent = nbsp(value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(nbsp(child)));
  }
  return node;
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

// ---------------------------------------------------------------------------
// The session.

function base64UrlDecode(text) {
  const padded = text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/**
 * What the token says of its bearer, for display only (the server verifies
 * the token and checks the role of every action): {email, roles}.
 */
function claimsOf(token) {
  try {
    const claims = JSON.parse(base64UrlDecode(token.split('.')[1]));
    let groups = claims['cognito:groups'] || [];
    if (typeof groups === 'string') groups = groups.replace(/^\[|\]$/g, '').split(/[\s,]+/).filter(Boolean);
    return {
      email: claims.email || claims.username || claims['cognito:username'] || claims.sub || '',
      roles: groups,
    };
  } catch {
    return null;
  }
}

/**
 * Keeps the access token for this tab, until `expiresIn` seconds from now
 * by this computer's clock (not the token's `exp`: the local runner's clock
 * is simulated, and a desk computer's clock may be off).
 */
export function saveSession(accessToken, expiresIn) {
  const expires = Date.now() + (Number(expiresIn) || 3600) * 1000;
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify({ token: accessToken, expires }));
}

export function clearSession() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** The session of this tab, or null when there is none or it has expired. */
export function session() {
  let stored;
  try {
    stored = JSON.parse(sessionStorage.getItem(TOKEN_KEY) || 'null');
  } catch {
    stored = null;
  }
  if (!stored || typeof stored.token !== 'string' || stored.expires <= Date.now()) return null;
  const claims = claimsOf(stored.token) || { email: '', roles: [] };
  return { token: stored.token, email: claims.email, roles: claims.roles, role: highestRole(claims.roles) };
}

const ROLES = ['lecteur', 'gestionnaire', 'responsable'];
export const ROLE_LABEL = { lecteur: 'lecteur', gestionnaire: 'gestionnaire', responsable: 'responsable' };

function highestRole(roles) {
  let best = null;
  for (const role of ROLES) if (roles.includes(role)) best = role;
  return best;
}

/** Whether the session's role includes `role` (responsable ⊃ gestionnaire ⊃ lecteur). */
export function may(current, role) {
  return Boolean(current && current.role) && ROLES.indexOf(current.role) >= ROLES.indexOf(role);
}

/** How the office signs in here: {sign_in: 'local'} or Cognito's endpoints. */
export async function signInConfig() {
  try {
    const response = await fetch('/office/config', { headers: { Accept: 'application/json' } });
    if (response.ok) return await response.json();
  } catch { /* below */ }
  return { sign_in: 'local' };
}

/** Sends a visitor with no session to the sign-in page, and back here after. */
function toSignIn(reason) {
  const here = window.location.pathname + window.location.search;
  const query = new URLSearchParams({ retour: here });
  if (reason) query.set('motif', reason);
  window.location.replace(`/gestion/connexion?${query}`);
}

/** Ends the session: forgets the token here, and at Cognito in AWS. */
export async function signOut() {
  clearSession();
  const config = await signInConfig();
  if (config.sign_in === 'cognito' && config.logout_url) {
    window.location.assign(config.logout_url);
    return;
  }
  window.location.assign('/gestion/connexion?motif=deconnexion');
}

/**
 * The header of a page that needs a session: who is signed in, the menu
 * for their role, the sign-out button. Resolves to the session, or sends
 * the visitor to the sign-in page (and resolves to null).
 */
export function initChrome() {
  const current = session();
  if (!current) {
    toSignIn(null);
    return null;
  }
  for (const node of $$('[data-when]')) node.hidden = node.dataset.when !== 'in';
  for (const node of $$('[data-role]')) node.hidden = !may(current, node.dataset.role);
  const who = $('#who');
  if (who) {
    who.textContent = '';
    who.append(
      el('span', { class: 'visually-hidden' }, 'Connecté : '),
      el('strong', { text: current.email || 'agent' }),
      current.role ? ` – profil ${ROLE_LABEL[current.role]}` : ' – aucun profil attribué',
    );
  }
  $('#sign-out')?.addEventListener('click', () => { signOut(); });
  return current;
}

// ---------------------------------------------------------------------------
// The office's actions.

const NETWORK_PROBLEM = {
  status: 0,
  code: 'network_error',
  title: 'Connexion impossible',
  detail: "Le service n'a pas pu être joint. Vérifiez votre connexion, puis réessayez.",
  errors: [],
};

/** A fetch that never rejects: {ok, status, data} or {ok: false, status, problem}. */
export async function request(path, init) {
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    return { ok: false, status: 0, problem: { ...NETWORK_PROBLEM } };
  }
  let data = null;
  if ((response.headers.get('Content-Type') || '').includes('json')) {
    try {
      data = await response.json();
    } catch {
      data = null;
    }
  }
  if (response.ok && !(data && data.error)) return { ok: true, status: response.status, data };
  return { ok: false, status: response.status, problem: problemOf(response.status, data) };
}

/** A problem+json answer, or the console's {"error": {...}} shape, as one problem. */
function problemOf(status, data) {
  if (data && typeof data === 'object' && data.code) {
    return { ...data, errors: Array.isArray(data.errors) ? data.errors : [] };
  }
  if (data && data.error && data.error.code) {
    const { code, message, field } = data.error;
    return {
      status, code, title: "L'action n'a pas abouti", detail: message,
      errors: field ? [{ field, code, message }] : [],
    };
  }
  return {
    status,
    code: 'unexpected',
    title: 'Une erreur est survenue',
    detail: `Le service a répondu par une erreur inattendue (${status}). Réessayez dans quelques instants.`,
    errors: [],
  };
}

/**
 * Runs one action of the office (the console's event without `actor`).
 * A missing or expired session sends to the sign-in page.
 */
export async function action(event) {
  const current = session();
  if (!current) {
    toSignIn('expiree');
    return { ok: false, status: 401, problem: { ...NETWORK_PROBLEM, code: 'unauthenticated' } };
  }
  const answer = await request('/office/actions', {
    method: 'POST',
    headers: { Accept: 'application/json', 'Content-Type': 'application/json', Authorization: `Bearer ${current.token}` },
    body: JSON.stringify(event),
  });
  if (!answer.ok && answer.status === 401) {
    clearSession();
    toSignIn('expiree');
  }
  return answer;
}

// ---------------------------------------------------------------------------
// Errors and notices (DSFR: a summary first, each message beside its field).

let summaryCount = 0;

function describedBy(input, id, add) {
  const ids = (input.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
  const next = add ? [...new Set([...ids, id])] : ids.filter((x) => x !== id);
  if (next.length) input.setAttribute('aria-describedby', next.join(' '));
  else input.removeAttribute('aria-describedby');
}

/** Removes the error messages and summaries inside `root`. */
export function clearErrors(root) {
  for (const message of $$('.field-error', root)) {
    for (const input of $$(`[aria-describedby~="${message.id}"]`)) {
      describedBy(input, message.id, false);
      input.removeAttribute('aria-invalid');
    }
    message.remove();
  }
  for (const field of $$('.has-error', root)) field.classList.remove('has-error');
  for (const summary of $$('.error-summary', root)) summary.remove();
}

/** Shows `message` beside the input `target`; returns the input. */
export function showFieldError(target, message) {
  const id = `${target.id}-error`;
  let node = document.getElementById(id);
  if (node) {
    node.append(el('br'), message);
  } else {
    node = el('p', { class: 'field-error', id }, el('span', { class: 'visually-hidden', text: 'Erreur : ' }), message);
    target.before(node);
  }
  target.setAttribute('aria-invalid', 'true');
  describedBy(target, id, true);
  (target.closest('.field') || target).classList.add('has-error');
  return target;
}

/**
 * Shows a problem: each field error beside its field (found by
 * `resolve(field)`), and a summary with links to them before `anchor`,
 * which takes the focus.
 */
export function showProblem(anchor, problem, resolve = () => null) {
  const items = [];
  for (const error of problem.errors || []) {
    const target = resolve(error.field);
    if (target) {
      showFieldError(target, error.message);
      items.push(el('li', {}, el('a', { href: `#${target.id}`, 'data-focus': target.id, text: error.message })));
    } else {
      items.push(el('li', { text: error.message }));
    }
  }
  summaryCount += 1;
  const titleId = `error-summary-title-${summaryCount}`;
  const detail = items.length ? null : problem.detail;
  const summary = el(
    'div',
    { class: 'error-summary', tabindex: '-1', role: 'group', 'aria-labelledby': titleId, 'data-code': problem.code },
    el('h2', { id: titleId, text: problem.title || 'Une erreur est survenue' }),
    detail ? el('p', { text: detail }) : null,
    items.length ? el('ul', {}, items) : null,
  );
  summary.addEventListener('click', (event) => {
    const link = event.target.closest('a[data-focus]');
    const input = link && document.getElementById(link.dataset.focus);
    if (!input) return;
    event.preventDefault();
    input.focus();
  });
  anchor.before(summary);
  summary.focus();
  return summary;
}

/**
 * Checks a form's required fields in the browser before anything is sent:
 * `checks` is [[input, message-if-empty-or-invalid, valid?]]. Shows them as
 * the server's errors are shown; true when all are fine.
 */
export function checkFields(anchor, checks) {
  const errors = [];
  for (const [input, message, valid] of checks) {
    const ok = valid ? valid(input.value) : input.value.trim() !== '';
    if (!ok) errors.push({ field: input.id, message });
  }
  if (!errors.length) return true;
  showProblem(
    anchor,
    { code: 'validation_failed', title: errors.length > 1 ? 'Des informations manquent' : 'Une information manque', errors },
    (field) => document.getElementById(field),
  );
  return false;
}

/** A success, information or warning box before `anchor`. */
export function showNotice(anchor, kind, title, text, { focus = true, extra = null } = {}) {
  const box = el(
    'div',
    { class: `notice ${kind}`, tabindex: '-1', role: focus ? null : 'status' },
    title ? el('h2', { text: title }) : null,
    text ? el('p', { text }) : null,
    extra,
  );
  anchor.before(box);
  if (focus) box.focus();
  return box;
}

/** Says `text` in the page's live region (`#annonce`), kept visible as a success notice. */
export function announce(text, kind = 'success') {
  const region = $('#annonce');
  if (!region) return;
  region.textContent = '';
  region.className = `announce notice ${kind}`;
  // A fresh node, so that the same text twice is announced twice.
  window.setTimeout(() => { region.append(el('p', { text })); }, 50);
}

/** Disables a form's submit button while `work` runs. */
export async function busy(form, work) {
  const buttons = $$('button', form);
  for (const button of buttons) button.disabled = true;
  try {
    return await work();
  } finally {
    for (const button of buttons) button.disabled = false;
  }
}

// ---------------------------------------------------------------------------
// French words for the API's codes, dates in Paris time.

export const DIPLOMA = {
  BAC_PRO: 'Baccalauréat professionnel',
  MC: 'Mention complémentaire',
  BP: 'Brevet professionnel',
  CAP: "Certificat d'aptitude professionnelle",
};
export const DIPLOMA_SHORT = { BAC_PRO: 'Bac pro', MC: 'MC', BP: 'BP', CAP: 'CAP' };

export const STATUSES = ['registered', 'complete', 'validated', 'cancelled', 'withdrawn'];
export const STATUS = {
  registered: 'Enregistrée',
  complete: 'Complète',
  validated: 'Validée',
  cancelled: 'Annulée',
  withdrawn: 'Retirée',
};
const STATUS_BADGE = {
  registered: 'info', complete: 'warning', validated: 'success', cancelled: 'error', withdrawn: 'neutral',
  missing: 'neutral', received: 'warning', rejected: 'error',
};

/** A status as a badge: the server's French label, the colour of the code. */
export function badge(code, label) {
  const text = label || STATUS[code] || code;
  return el('span', { class: `badge badge-${STATUS_BADGE[code] || 'neutral'}` }, text.charAt(0).toUpperCase() + text.slice(1));
}

const DATE_TIME = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long', timeStyle: 'short' });
const DATE = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long' });

function frenchFormat(format, date) {
  return format.formatToParts(date).map((part) => (part.type === 'day' && part.value === '1' ? '1er' : part.value)).join('');
}

/** « 26 octobre 2021 à 10:00 » (Paris time). */
export function formatInstant(iso) {
  return iso ? frenchFormat(DATE_TIME, new Date(iso)) : '';
}

/** « 17 mai 1990 » for a calendar day (YYYY-MM-DD) or an instant (Paris day). */
export function formatDate(value) {
  if (!value) return '';
  const day = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T12:00:00Z`) : new Date(value);
  return frenchFormat(DATE, day);
}

/** The Paris offset (« +01:00 ») on a calendar day, at noon. */
function parisOffset(day) {
  const name = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Paris', timeZoneName: 'longOffset' })
    .formatToParts(new Date(`${day}T12:00:00Z`))
    .find((p) => p.type === 'timeZoneName').value;
  const match = /GMT([+-]\d{2}:\d{2})/.exec(name);
  return match ? match[1] : '+00:00';
}

/** The end of a calendar day in Paris, as the instant the API takes for `until`. */
export function endOfParisDay(day) {
  return `${day}T23:59:59${parisOffset(day)}`;
}

/** The Paris calendar day of an instant (YYYY-MM-DD). */
export function parisDay(iso) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date(iso));
}

export function isDay(value) {
  return /^\d{4}-\d{2}-\d{2}$/.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`));
}

/** « 77 octets », « 1,2 Mo ». */
export function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} octets`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toLocaleString('fr-FR', { maximumFractionDigits: 1 })} Ko`;
  return `${(bytes / 1024 / 1024).toLocaleString('fr-FR', { maximumFractionDigits: 1 })} Mo`;
}

/** A link to a candidate's dossier page. */
export function dossierLink(item, text) {
  return el('a', { href: `/gestion/dossier?email=${encodeURIComponent(item.email)}` }, text);
}

/** « Martin, Hélène » */
export function fullName(item) {
  const last = item.last_name || '';
  const first = item.first_names || '';
  return last && first ? `${last.toUpperCase()} ${first}` : last || first || item.email;
}

/** A table with a caption, column headers and rows of cells (nodes or texts). */
export function table(caption, headers, rows, { numeric = [] } = {}) {
  // The wrapper scrolls sideways on a narrow screen: reachable by keyboard, named.
  return el(
    'div',
    { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': caption },
    el(
      'table',
      {},
      el('caption', {}, caption),
      el('thead', {}, el('tr', {}, headers.map((h, i) => el('th', { scope: 'col', class: numeric.includes(i) ? 'num' : null }, h)))),
      el('tbody', {}, rows.map((row) => el('tr', {}, row.map((cell, i) => (
        i === 0 && row.header !== false
          ? el('th', { scope: 'row' }, cell)
          : el('td', { class: numeric.includes(i) ? 'num' : null }, cell)
      ))))),
    ),
  );
}
