// Exports (a responsable's `export`): the CSV is written by the server,
// which answers a link valid for an hour; the page lists the exports made
// in this visit with their download links.

import {
  $, DIPLOMA, STATUS, action, announce, busy, clearErrors, el, formatInstant, initChrome, may, showProblem,
} from './office.js';

const current = initChrome();
const form = $('#export-form');
const diploma = $('#f-diploma');
const status = $('#f-status');

async function run() {
  clearErrors(document.querySelector('main'));
  const event = { action: 'export' };
  if (diploma.value) event.diploma = diploma.value;
  if (status.value) event.status = status.value;
  const answer = await action(event);
  if (!answer.ok) {
    showProblem(form, answer.problem, (field) => ({ diploma, status })[field] || null);
    return;
  }
  const { location, rows, expires_at: expires, key } = answer.data;
  const what = [diploma.value ? DIPLOMA[diploma.value] : 'tous les diplômes', status.value ? `état « ${STATUS[status.value]} »` : 'tous les états'].join(', ');
  const name = (key || '').split('/').pop() || 'export.csv';
  $('#done').hidden = false;
  $('#done-list').prepend(el('li', {},
    el('a', { href: location, download: name, 'data-export': '' }, `Télécharger ${name}`),
    ` – ${what} ; ${rows} inscription${rows > 1 ? 's' : ''}${expires ? ` ; lien valable jusqu’au ${formatInstant(expires)}` : ''}.`));
  announce(`Export produit : ${rows} inscription${rows > 1 ? 's' : ''} (${what}). Le lien de téléchargement est dans la liste « Exports produits ».`);
  $('#done-list a').focus();
}

if (current) {
  if (may(current, 'responsable')) {
    form.hidden = false;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      busy(form, run);
    });
  } else {
    $('[data-role-note]').hidden = false;
  }
}
