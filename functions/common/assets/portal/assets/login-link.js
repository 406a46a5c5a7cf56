// The sign-in link of the email: /login-link?token=... opens a session at
// once (POST /auth/login-link/confirm sets the HttpOnly cookie, as a login
// does) and lands in « Mon espace ». Without a token, or when the link no
// longer works, the visitor may ask for a new one.

import { api } from './api.js';
import { $, busy, clearErrors, initChrome, showNotice, showProblem } from './ui.js';

const status = $('#link-status');
const request = $('#link-request');
const form = $('#link-form');
const email = $('#f-email');

initChrome();

async function confirm(token) {
  request.hidden = true;
  status.hidden = false;
  status.focus();
  const answer = await api('POST', '/auth/login-link/confirm', { token });
  if (answer.ok) {
    window.location.assign('/');
    return;
  }
  status.hidden = true;
  request.hidden = false;
  showProblem(form, answer.problem);
}

const token = new URLSearchParams(window.location.search).get('token');
if (token) {
  // The token stays out of the history and of any later page.
  window.history.replaceState(null, '', window.location.pathname);
  confirm(token);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  clearErrors(form);
  for (const box of document.querySelectorAll('#link-request .notice')) box.remove();
  busy(form, async () => {
    const answer = await api('POST', '/auth/login-link', { email: email.value.trim() });
    if (!answer.ok) {
      showProblem(form, answer.problem, (field) => (field === 'email' ? email : null));
      return;
    }
    showNotice(form, 'success', 'Demande enregistrée', answer.data.message);
  });
});
