// What every page shares: the header's state, error display, French dates.

import { api } from './api.js';

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
// The header: signed in or not, and logging out.

/**
 * Asks who is signed in, shows the matching links and wires the logout
 * button. Resolves to the account ({email, status, created_at, email_deliverable}) or null.
 */
export async function initChrome() {
  const answer = await api('GET', '/me');
  const me = answer.ok ? answer.data : null;
  for (const node of $$('[data-when]')) {
    node.hidden = node.dataset.when !== (me ? 'in' : 'out');
  }
  const logout = $('#logout');
  if (logout) {
    logout.addEventListener('click', async () => {
      logout.disabled = true;
      await api('POST', '/auth/logout');
      window.location.assign('/login?logout=1');
    });
  }
  return me;
}

/** Sends a visitor who is not signed in to the login page, and back here after. */
export function requireLogin(me) {
  if (me) return true;
  const here = window.location.pathname + window.location.search;
  window.location.replace(`/login?next=${encodeURIComponent(here)}`);
  return false;
}

/**
 * A path of this site to go to after logging in (never another site), or
 * « / ». Browsers drop tabs and newlines from addresses and read « \ » as
 * « / », so « /<tab>/evil.example » would leave the site: such characters
 * are refused outright. What remains is resolved as the browser will, and
 * kept only if it stays on this origin; the resolved path is returned, not
 * the raw value.
 */
export function safeNext(value) {
  if (typeof value !== 'string' || !value.startsWith('/') || /[\p{Cc}\s\\]/u.test(value)) return '/';
  let url;
  try {
    url = new URL(value, window.location.origin);
  } catch {
    return '/';
  }
  return url.origin === window.location.origin ? url.pathname + url.search + url.hash : '/';
}

/** Reads a query parameter, then removes the query from the address bar (it may hold a token). */
export function takeQueryParam(name) {
  const params = new URLSearchParams(window.location.search);
  const value = params.get(name);
  if (value !== null) {
    window.history.replaceState(null, '', window.location.pathname);
  }
  return value;
}

// ---------------------------------------------------------------------------
// Errors and notices.

let summaryCount = 0;

function describedBy(input, id, add) {
  const ids = (input.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
  const next = add ? [...new Set([...ids, id])] : ids.filter((x) => x !== id);
  if (next.length) input.setAttribute('aria-describedby', next.join(' '));
  else input.removeAttribute('aria-describedby');
}

/** Removes every error message inside `root`, and the page's error summaries. */
export function clearErrors(root) {
  for (const message of $$('.field-error', root)) {
    for (const input of $$(`[aria-describedby~="${message.id}"]`)) {
      describedBy(input, message.id, false);
      input.removeAttribute('aria-invalid');
    }
    message.remove();
  }
  for (const field of $$('.has-error', root)) field.classList.remove('has-error');
  for (const summary of $$('.error-summary', document.querySelector('main') || root)) summary.remove();
}

/**
 * Shows `message` next to `target`: an input, a select, or a fieldset of
 * radio buttons. Returns the element to focus to reach the field.
 */
export function showFieldError(target, message) {
  const isGroup = target.tagName === 'FIELDSET';
  const inputs = isGroup ? $$('input', target) : [target];
  const id = `${target.id}-error`;
  let node = document.getElementById(id);
  if (node) {
    node.append(el('br'), message);
  } else {
    node = el('p', { class: 'field-error', id }, el('span', { class: 'visually-hidden', text: 'Erreur : ' }), message);
    if (isGroup) {
      const legend = $('legend', target);
      legend.after(node);
    } else {
      target.before(node);
    }
  }
  for (const input of inputs) {
    if (!isGroup) input.setAttribute('aria-invalid', 'true');
    describedBy(input, id, true);
  }
  (isGroup ? target : target.closest('.field') || target).classList.add('has-error');
  return inputs[0];
}

/**
 * Shows a problem+json answer: each field error next to its field (found by
 * `resolve(field)`, which returns an element or null), and a summary of them
 * all before `anchor`, which takes the focus.
 */
export function showProblem(anchor, problem, resolve = () => null) {
  const items = [];
  for (const error of problem.errors || []) {
    const target = resolve(error.field);
    if (target) {
      const focusable = showFieldError(target, error.message);
      items.push(el('li', {}, el('a', { href: `#${focusable.id}`, 'data-focus': focusable.id, text: error.message })));
    } else {
      items.push(el('li', { text: error.message }));
    }
  }
  summaryCount += 1;
  const titleId = `error-summary-title-${summaryCount}`;
  const detail = problem.errors && problem.errors.length ? null : problem.detail;
  const summary = el(
    'div',
    { class: 'error-summary', tabindex: '-1', 'aria-labelledby': titleId, 'data-code': problem.code },
    el('h2', { id: titleId, text: problem.title || 'Une erreur est survenue' }),
    detail ? el('p', { text: detail }) : null,
    // The API's detail repeats the messages: a count is enough.
    items.length > 1 ? el('p', { text: `${items.length} informations sont à corriger :` }) : null,
    items.length ? el('ul', {}, items) : null,
  );
  summary.addEventListener('click', (event) => {
    const link = event.target.closest('a[data-focus]');
    if (!link) return;
    const input = document.getElementById(link.dataset.focus);
    if (!input) return;
    event.preventDefault();
    input.focus();
    const label = input.closest('.field, fieldset') || input;
    label.scrollIntoView({ block: 'center' });
  });
  anchor.before(summary);
  summary.focus();
  return summary;
}

/** A success or information box, before `anchor`, taking the focus if `focus`. */
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

/** Disables a form's submit button while `work` runs. */
export async function busy(form, work) {
  const button = $('button[type="submit"]', form);
  const label = button ? button.textContent : '';
  if (button) {
    button.disabled = true;
    button.setAttribute('aria-disabled', 'true');
  }
  try {
    return await work();
  } finally {
    if (button) {
      button.disabled = false;
      button.removeAttribute('aria-disabled');
      button.textContent = label;
    }
  }
}

/** The « show passwords » checkbox. */
export function passwordToggle(checkbox, inputs) {
  if (!checkbox) return;
  checkbox.addEventListener('change', () => {
    for (const input of inputs) input.type = checkbox.checked ? 'text' : 'password';
  });
}

// ---------------------------------------------------------------------------
// Dates, in Paris time whatever the visitor's time zone.

const DATE_TIME = new Intl.DateTimeFormat('fr-FR', {
  timeZone: 'Europe/Paris',
  dateStyle: 'full',
  timeStyle: 'short',
});
const DATE = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long' });

/**
 * Formats with `format` as French typography writes it: the first day of a
 * month « 1er décembre », and a time « 23 h 59 » (Intl writes « 23:59 »),
 * the one format of the emails, the PDF and the API's messages.
 */
function frenchFormat(format, iso) {
  const parts = format.formatToParts(new Date(iso));
  return parts
    .map((part, i) => {
      if (part.type === 'day' && part.value === '1') return '1er';
      const betweenHourAndMinute = part.type === 'literal' && parts[i - 1]?.type === 'hour' && parts[i + 1]?.type === 'minute';
      return betweenHourAndMinute ? '\u00a0h\u00a0' : part.value;
    })
    .join('');
}

/** « dimanche 31 octobre 2021 à 23 h 59 », « mercredi 1er décembre 2021 à 00 h 00 » (Paris time). */
export function formatInstant(iso) {
  return frenchFormat(DATE_TIME, iso);
}

const DEADLINE = new Intl.DateTimeFormat('fr-FR', {
  timeZone: 'Europe/Paris', weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit',
});

/**
 * « dimanche 7 novembre à 23 h 59 » (Paris time): a deadline within the
 * session, as the task list says it (the year goes without saying).
 */
export function formatDeadline(iso) {
  const parts = Object.fromEntries(DEADLINE.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  const day = parts.day === '1' ? '1er' : parts.day;
  return `${parts.weekday} ${day} ${parts.month} à ${parts.hour}\u00a0h\u00a0${parts.minute}`;
}

/** « 31 octobre 2021 », « 1er décembre 2021 » (Paris time). */
export function formatDate(iso) {
  return frenchFormat(DATE, iso);
}

function count(n, one, many) {
  return `${n}\u00a0${n >= 2 ? many : one}`;
}

/** « 5 jours et 3 heures », « 2 heures et 10 minutes », « 4 minutes ». */
export function formatDuration(ms) {
  const minutes = Math.max(0, Math.floor(ms / 60000));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const rest = minutes % 60;
  if (days >= 1) return hours ? `${count(days, 'jour', 'jours')} et ${count(hours, 'heure', 'heures')}` : count(days, 'jour', 'jours');
  if (hours >= 1) return rest ? `${count(hours, 'heure', 'heures')} et ${count(rest, 'minute', 'minutes')}` : count(hours, 'heure', 'heures');
  return minutes >= 1 ? count(rest, 'minute', 'minutes') : "moins d'une minute";
}

/** How long until a deadline, or that it has passed. */
export function untilClosing(iso, now) {
  const left = Date.parse(iso) - now;
  return left > 0 ? `il reste ${formatDuration(left)}` : 'cette date est passée';
}

/** How long until an opening, or that it is open. */
export function untilOpening(iso, now) {
  const left = Date.parse(iso) - now;
  return left > 0 ? `dans ${formatDuration(left)}` : "c'est ouvert";
}

// ---------------------------------------------------------------------------
// The API's codes in French.

export const INSCRIPTION_STATUS = {
  registered: 'Enregistrée',
  complete: 'Complète',
  validated: 'Validée',
  cancelled: 'Annulée',
  withdrawn: 'Retirée',
};

export const PIECE_STATUS = {
  missing: 'À déposer',
  received: 'Reçue, en attente de vérification',
  validated: 'Validée par le rectorat',
  rejected: 'Refusée',
};

// ---------------------------------------------------------------------------
// Files.

/** A file's size as French writes it: « 77 octets », « 350 Ko », « 1,2 Mo ». */
export function formatSize(bytes) {
  const one = (n) => n.toLocaleString('fr-FR', { maximumFractionDigits: 1 });
  if (bytes < 1024) return `${bytes}\u00a0${bytes >= 2 ? 'octets' : 'octet'}`;
  if (bytes < 1024 * 1024) return `${one(bytes / 1024)}\u00a0Ko`;
  return `${one(bytes / 1024 / 1024)}\u00a0Mo`;
}
