// The emails that failed (`failed_mails`), most useful first: to whom, what,
// why, when it was tried.

import { $, action, el, formatInstant, initChrome, showProblem, table } from './office.js';

const current = initChrome();
const box = $('#mails');

async function load() {
  const answer = await action({ action: 'failed_mails' });
  box.textContent = '';
  if (!answer.ok) {
    showProblem(box.appendChild(el('div')), answer.problem);
    return;
  }
  const { items, session } = answer.data;
  if (!items.length) {
    box.append(el('p', { class: 'notice success' }, `Aucun courriel en échec pour la session ${session}.`));
    return;
  }
  box.append(table(
    `${items.length} courriel${items.length > 1 ? 's' : ''} en échec, session ${session}`,
    ['Destinataire', 'Objet', 'Motif', 'Premier essai', 'Dernier essai', 'Numéro de candidat'],
    items.map((m) => [
      m.to, m.subject, m.reason, formatInstant(m.first_tried_at), formatInstant(m.last_tried_at),
      m.candidate_number ? el('a', { href: `/gestion/recherche?numero=${encodeURIComponent(m.candidate_number)}` }, m.candidate_number) : '',
    ]),
  ));
}

if (current) load();
