// Forgotten password: POST /auth/password-reset sends a link by email.

import { api } from './api.js';
import { $, busy, clearErrors, initChrome, nbsp, showProblem } from './ui.js';

const form = $('#forgot-form');
const email = $('#f-email');

initChrome();

form.addEventListener('submit', (event) => {
  event.preventDefault();
  clearErrors(form);
  busy(form, async () => {
    const answer = await api('POST', '/auth/password-reset', { email: email.value.trim() });
    if (!answer.ok) {
      showProblem(form, answer.problem, (field) => (field === 'email' ? email : null));
      return;
    }
    form.hidden = true;
    $('#forgot-detail').textContent = nbsp(answer.data.message);
    $('#forgot-done').hidden = false;
    $('#forgot-message').focus();
  });
});
