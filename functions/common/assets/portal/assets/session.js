// Nothing typed is lost when the session ends (issue #19). A warning before
// the idle timeout (api.js says when it falls), with a button to stay
// signed in; a candidate still typing keeps the session alive; and when the
// session has ended all the same (idle, 12 hours, signed out elsewhere), a
// sign-in dialog on the page itself, so that the form and what it holds
// stay where they are. Nothing is written to the browser's storage: on a
// shared computer the form's content lives in this page only.

import { api, sessionIdleEnd, sinceLastUse } from './api.js';
import { $, busy, clearErrors, el, nbsp, showProblem } from './ui.js';

/** The warning shows this long before the idle end (WCAG 2.2.1: at least 20 s to react). */
const WARN_BEFORE_MS = 5 * 60 * 1000;
/** Typing in the form keeps the session alive, at most one request per such period. */
const KEEP_ALIVE_EVERY_MS = 5 * 60 * 1000;
const TICK_MS = 15 * 1000;

function minutes(ms) {
  const n = Math.max(1, Math.round(ms / 60000));
  return n === 1 ? 'une minute' : `${n} minutes`;
}

/**
 * Watches the session of the account `email` on a page holding
 * #expiry-dialog and #signin-dialog; `returnFocus` is where the focus goes
 * when a dialog closes. Returns {activity(), signIn()}: `activity` to call
 * when the candidate types, `signIn` to open the sign-in dialog (resolves to
 * true once signed in again, false if the candidate closed it).
 */
export function guardSession({ email, returnFocus }) {
  const warning = $('#expiry-dialog');
  const dialog = $('#signin-dialog');
  const signinForm = $('#signin-form');
  const emailInput = $('#s-email');
  const password = $('#s-password');
  let pending = null;
  let keepingAlive = false;

  async function stillSignedIn() {
    const answer = await api('GET', '/me');
    return answer.ok;
  }

  function closeWarning() {
    if (warning.open) warning.close();
  }

  /** Opens the sign-in dialog; `reason` is 'save' (a save waits) or 'expired'. */
  function signIn(reason = 'save') {
    if (pending) return pending.promise;
    closeWarning();
    $('#signin-text').textContent = nbsp(reason === 'save'
      ? "Rien de ce que vous avez saisi n'est perdu : tout est encore dans le formulaire. Reconnectez-vous, et vos informations seront enregistrées aussitôt."
      : "Votre session s'est fermée après 30 minutes sans activité. Rien de ce que vous avez saisi n'est perdu : tout est encore dans le formulaire. Reconnectez-vous pour continuer.");
    clearErrors(signinForm);
    signinForm.querySelectorAll('.error-summary').forEach((n) => n.remove());
    emailInput.value = email;
    password.value = '';
    let resolve;
    const promise = new Promise((r) => { resolve = r; });
    pending = { promise, resolve };
    dialog.showModal();
    password.focus();
    return promise;
  }

  function finish(answer) {
    if (!pending) return;
    const { resolve } = pending;
    pending = null;
    if (dialog.open) dialog.close();
    if (returnFocus()) returnFocus().focus();
    resolve(answer);
  }

  // Escape or « Annuler »: the form stays as it is, unsaved.
  dialog.addEventListener('cancel', (event) => {
    event.preventDefault();
    finish(false);
  });
  $('#signin-cancel').addEventListener('click', () => finish(false));

  signinForm.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(signinForm);
    signinForm.querySelectorAll('.error-summary').forEach((n) => n.remove());
    const fields = { email: emailInput, password };
    const typed = emailInput.value.trim();
    // The form holds this account's inscription: another account must not save it.
    if (typed.toLowerCase() !== email.toLowerCase()) {
      showProblem($('.field', signinForm), {
        code: 'validation_failed',
        title: 'Un autre compte',
        errors: [{ field: 'email', message: `Ce formulaire est celui du compte ${email} : reconnectez-vous avec cette adresse.` }],
      }, (field) => fields[field] || null);
      return;
    }
    busy(signinForm, async () => {
      const answer = await api('POST', '/auth/login', { email: typed, password: password.value });
      if (answer.ok) {
        finish(true);
        return;
      }
      const summary = showProblem($('.field', signinForm), answer.problem, (field) => fields[field] || null);
      if (answer.problem.code === 'too_many_attempts') {
        summary.append(el('p', {}, 'Vous pouvez aussi ',
          el('a', { href: '/login-link', target: '_blank', rel: 'noopener', text: 'recevoir un lien de connexion par e-mail (nouvel onglet)' }),
          ', puis revenir ici.'));
      }
    });
  });

  $('#expiry-stay').addEventListener('click', async () => {
    closeWarning();
    if (!(await stillSignedIn())) signIn('expired');
    else if (returnFocus()) returnFocus().focus();
  });

  // The clock: a warning five minutes before the idle end, the sign-in
  // dialog once it has passed (unless another tab kept the session alive).
  let checking = false;
  // Closed with Escape: not shown again for the same idle end.
  let warnedFor = null;
  setInterval(async () => {
    const end = sessionIdleEnd();
    if (end === null || pending || checking) return;
    const left = end - Date.now();
    if (left <= 0) {
      checking = true;
      const alive = await stillSignedIn();
      checking = false;
      if (!alive) signIn('expired');
      else closeWarning();
    } else if (left <= WARN_BEFORE_MS && !warning.open && warnedFor !== end) {
      warnedFor = end;
      $('#expiry-text').textContent = nbsp(`Sans activité de votre part, votre session se fermera dans ${minutes(left)} environ, et ce que vous avez saisi n'est pas encore enregistré. Choisissez « Continuer ma session » pour garder votre session ouverte.`);
      warning.showModal();
      $('#expiry-stay').focus();
    }
  }, TICK_MS);

  return {
    signIn,
    /** The candidate is typing: a session in use is not idle. */
    async activity() {
      if (keepingAlive || pending || sinceLastUse() < KEEP_ALIVE_EVERY_MS || sessionIdleEnd() === null) return;
      keepingAlive = true;
      await stillSignedIn();
      keepingAlive = false;
    },
  };
}
