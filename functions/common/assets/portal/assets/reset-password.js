// The password-reset link of the email: /reset-password?token=...

import { api } from './api.js';
import { $, busy, clearErrors, el, initChrome, passwordToggle, showProblem } from './ui.js';

const form = $('#reset-form');
const password = $('#f-password');
const password2 = $('#f-password2');

passwordToggle($('#f-show'), [password, password2]);
initChrome();

const token = new URLSearchParams(window.location.search).get('token');
// The token stays out of the history and of any later page.
if (token) window.history.replaceState(null, '', window.location.pathname);

function linkProblem(problem) {
  const summary = showProblem(form, problem);
  summary.append(el('p', {}, el('a', { href: '/forgot-password', text: 'Demander un nouveau lien' })));
}

if (!token) {
  linkProblem({
    code: 'invalid_token',
    title: 'Lien incomplet',
    detail: "Ce lien de réinitialisation est incomplet. Ouvrez le lien reçu par courriel en entier, ou demandez-en un nouveau.",
  });
}

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
    const answer = await api('POST', '/auth/password-reset/confirm', { token: token || '', password: password.value });
    if (answer.ok) {
      form.hidden = true;
      $('#reset-done').hidden = false;
      $('#reset-message').focus();
      return;
    }
    if (answer.problem.code === 'invalid_token' || answer.problem.code === 'token_expired') {
      linkProblem(answer.problem);
    } else {
      showProblem(form, answer.problem, (field) => (field === 'password' ? password : null));
    }
  });
});
