// Creating an account: POST /auth/signup, then the activation email.

import { api } from './api.js';
import { $, busy, clearErrors, initChrome, nbsp, passwordToggle, showProblem } from './ui.js';

const form = $('#signup-form');
const email = $('#f-email');
const password = $('#f-password');
const password2 = $('#f-password2');

passwordToggle($('#f-show'), [password, password2]);
initChrome();

const byField = { email, password };

form.addEventListener('submit', (event) => {
  event.preventDefault();
  clearErrors(form);
  if (password.value !== password2.value) {
    showProblem(form, {
      code: 'passwords_differ',
      title: 'Informations à corriger',
      errors: [{ field: 'password2', message: 'Les deux mots de passe ne sont pas identiques : saisissez-les de nouveau.' }],
    }, () => password2);
    return;
  }
  busy(form, async () => {
    const answer = await api('POST', '/auth/signup', { email: email.value.trim(), password: password.value });
    if (!answer.ok) {
      showProblem(form, answer.problem, (field) => byField[field] || null);
      return;
    }
    form.hidden = true;
    $('#signup-detail').textContent = nbsp(answer.data.message);
    $('#signup-done').hidden = false;
    $('#signup-message').focus();
  });
});

const resend = $('#resend-form');
resend.addEventListener('submit', (event) => {
  event.preventDefault();
  clearErrors(resend);
  busy(resend, async () => {
    const answer = await api('POST', '/auth/resend-activation', { email: email.value.trim() });
    if (!answer.ok) {
      showProblem(resend, answer.problem);
      return;
    }
    $('#signup-detail').textContent = nbsp(answer.data.message);
    $('#signup-message').focus();
  });
});

