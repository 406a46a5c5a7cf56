// Logging in: POST /auth/login sets the HttpOnly session cookie.

import { api } from './api.js';
import { $, busy, clearErrors, el, initChrome, safeNext, showNotice, showProblem } from './ui.js';

const form = $('#login-form');
const email = $('#f-email');
const password = $('#f-password');
const params = new URLSearchParams(window.location.search);
const next = safeNext(params.get('next') || '/');

initChrome().then((me) => {
  if (me && !params.has('logout')) window.location.replace(next);
});

if (params.has('logout')) {
  showNotice(form, 'success', null, 'Votre session est fermée. À bientôt !', { focus: false });
} else if (params.has('next')) {
  showNotice(form, 'info', null, 'Connectez-vous pour accéder à cette page.', { focus: false });
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  clearErrors(form);
  busy(form, async () => {
    const answer = await api('POST', '/auth/login', { email: email.value.trim(), password: password.value });
    if (answer.ok) {
      window.location.assign(next);
      return;
    }
    const problem = answer.problem;
    const summary = showProblem(form, problem, (field) => ({ email, password })[field] || null);
    if (problem.code === 'account_not_activated') {
      summary.append(el('p', {}, el('a', { href: '/activate', text: "Recevoir un nouveau lien d'activation" })));
    } else if (problem.code === 'too_many_attempts') {
      // Someone else's wrong guesses must not keep the owner out.
      summary.append(el('p', {}, el('a', { href: '/login-link', text: 'Recevoir un lien de connexion par e-mail' })));
    }
  });
});
