// Search by name (a prefix of the last name or of a first name), birth
// date or candidate number (the `search` action). The criteria are kept in
// the address, so that « Précédent » from a dossier comes back to the results.

import {
  $, DIPLOMA, action, announce, badge, busy, checkFields, clearErrors, dossierLink, formatDate, initChrome, isDay,
  showProblem, table,
} from './office.js';

const current = initChrome();
const form = $('#search-form');
const name = $('#f-name');
const birth = $('#f-birth');
const number = $('#f-number');
const results = $('#results');

function show(items) {
  results.textContent = '';
  if (!items.length) {
    announce('Aucun candidat ne correspond à cette recherche.', 'info');
    return;
  }
  announce(`${items.length} candidat${items.length > 1 ? 's trouvés' : ' trouvé'}.`, 'info');
  results.append(table(
    'Candidats trouvés',
    ['Candidat', 'Date de naissance', 'Numéro', 'Diplôme', 'État'],
    items.map((item) => [
      dossierLink(item, `${(item.last_name || '').toUpperCase()} ${item.first_names || ''}`.trim() || item.email),
      formatDate(item.birth_date),
      item.candidate_number || '',
      `${DIPLOMA[item.diploma] || item.diploma} – ${item.specialty}`,
      badge(item.status, item.status_label),
    ]),
  ));
}

async function search() {
  clearErrors(document.querySelector('main'));
  const event = { action: 'search' };
  if (name.value.trim()) event.name = name.value.trim();
  if (birth.value) event.birth_date = birth.value;
  if (number.value.trim()) event.candidate_number = number.value.trim().toUpperCase();
  if (!event.name && !event.birth_date && !event.candidate_number) {
    checkFields(form, [[name, 'Saisissez au moins un critère : un nom, une date de naissance ou un numéro de candidat.']]);
    return;
  }
  if (birth.value && !checkFields(form, [[birth, 'Saisissez une date de naissance complète, au format JJ/MM/AAAA.', isDay]])) return;
  const answer = await action(event);
  if (!answer.ok) {
    results.textContent = '';
    showProblem(form, answer.problem, (field) => ({ name, birth_date: birth, candidate_number: number })[field] || null);
    return;
  }
  show(answer.data.items);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const query = new URLSearchParams();
  if (name.value.trim()) query.set('nom', name.value.trim());
  if (birth.value) query.set('naissance', birth.value);
  if (number.value.trim()) query.set('numero', number.value.trim());
  window.history.replaceState(null, '', `${window.location.pathname}?${query}`);
  busy(form, search);
});

if (current) {
  const params = new URLSearchParams(window.location.search);
  name.value = params.get('nom') || '';
  birth.value = params.get('naissance') || '';
  number.value = params.get('numero') || '';
  if (name.value || birth.value || number.value) busy(form, search);
}
