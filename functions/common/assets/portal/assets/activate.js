// The activation link of the email: /activate?token=... activates the account
// at once. Without a token, or when the link no longer works, the visitor may
// ask for a new one.

import { api } from './api.js';
import { $, busy, clearErrors, initChrome, showNotice, showProblem } from './ui.js';

const status = $('#activate-status');
const resend = $('#resend');
const form = $('#resend-form');
const email = $('#f-email');

initChrome();

function offerResend() {
  resend.hidden = false;
}

async function activate(token) {
  const answer = await api('POST', '/auth/activate', { token });
  status.hidden = true;
  if (answer.ok) {
    $('#activate-done').hidden = false;
    $('#activate-message').focus();
    return;
  }
  offerResend();
  showProblem(resend, answer.problem);
}

const token = new URLSearchParams(window.location.search).get('token');
if (token) {
  // The token stays out of the history and of any later page.
  window.history.replaceState(null, '', window.location.pathname);
  activate(token);
} else {
  status.hidden = true;
  offerResend();
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  clearErrors(form);
  for (const box of document.querySelectorAll('#resend .notice')) box.remove();
  busy(form, async () => {
    const answer = await api('POST', '/auth/resend-activation', { email: email.value.trim() });
    if (!answer.ok) {
      showProblem(form, answer.problem, (field) => (field === 'email' ? email : null));
      return;
    }
    showNotice(form, 'success', 'Demande enregistrée', answer.data.message);
  });
});
