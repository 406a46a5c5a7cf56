// The dashboard: the campaign's counts per diploma, specialty and status
// (the `stats` action) and the complete dossiers awaiting review (`list`
// with status `complete`, page after page on demand).

import {
  $, DIPLOMA, DIPLOMA_SHORT, STATUS, STATUSES, action, badge, clearErrors, dossierLink, el, formatInstant, initChrome, showProblem,
  table,
} from './office.js';

// Cognito's hosted UI sends staff back here (its redirect_uri is the home,
// /gestion/) with ?code&state: the sign-in page finishes the sign-in.
const back = new URLSearchParams(window.location.search);
const returning = back.has('code') || back.has('error');
if (returning) window.location.replace(`/gestion/connexion${window.location.search}`);
const current = returning ? null : initChrome();

function statsTable(stats) {
  const rows = [];
  for (const diploma of stats.diplomas) {
    for (const specialty of diploma.specialties) {
      const row = [
        `${DIPLOMA_SHORT[diploma.diploma] || diploma.label} – ${specialty.specialty}`,
        ...STATUSES.map((s) => String(specialty.by_status[s] || 0)),
        String(specialty.awaiting_review ?? ''),
        String(specialty.total),
      ];
      rows.push(row);
    }
  }
  const headers = ['Diplôme et spécialité', ...STATUSES.map((s) => STATUS[s]), 'À vérifier', 'Total'];
  const numeric = headers.map((_, i) => i).filter((i) => i > 0);
  const totals = el('ul', {}, stats.diplomas.map((d) => el(
    'li', {}, el('strong', {}, d.label || DIPLOMA[d.diploma]), ` : ${d.total} dossier${d.total > 1 ? 's' : ''}, dont ${d.awaiting_review} à vérifier`,
  )));
  return [
    el('p', {}, `Session ${stats.session} : `, el('strong', {}, `${stats.total} dossier${stats.total > 1 ? 's' : ''}`), ' au total.'),
    totals,
    rows.length
      ? table(`Dossiers de la session ${stats.session} par spécialité et par état`, headers, rows, { numeric })
      : el('p', { text: 'Aucun dossier pour le moment.' }),
  ];
}

async function loadStats() {
  const box = $('#stats');
  const answer = await action({ action: 'stats' });
  box.textContent = '';
  if (!answer.ok) {
    const anchor = box.appendChild(el('div'));
    showProblem(anchor, answer.problem);
    return;
  }
  box.append(...statsTable(answer.data));
}

function reviewRows(items) {
  return items.map((item) => [
    dossierLink(item, item.candidate_number || item.email),
    item.last_name ? `${item.last_name.toUpperCase()} ${item.first_names || ''}` : item.email,
    `${DIPLOMA_SHORT[item.diploma] || item.diploma} – ${item.specialty}`,
    badge(item.status, item.status_label),
    formatInstant(item.updated_at),
  ]);
}

async function loadReview(cursor) {
  const box = $('#review');
  const event = { action: 'list', status: 'complete' };
  if (cursor) event.cursor = cursor;
  const answer = await action(event);
  const more = $('#review-more');
  if (!answer.ok) {
    clearErrors(box);
    box.textContent = '';
    showProblem(box.appendChild(el('div')), answer.problem);
    return;
  }
  const { items, cursor: next } = answer.data;
  if (!cursor) {
    box.textContent = '';
    if (!items.length) {
      box.append(el('p', { text: 'Aucun dossier complet en attente de vérification.' }));
      return;
    }
    box.append(table('Dossiers complets en attente de vérification', ['Dossier', 'Candidat', 'Diplôme', 'État', 'Dernière modification'], reviewRows(items)));
  } else {
    const body = $('tbody', box);
    for (const row of reviewRows(items)) {
      body.append(el('tr', {}, row.map((cell, i) => (i === 0 ? el('th', { scope: 'row' }, cell) : el('td', {}, cell)))));
    }
    // The focus stays in the table, on the first new row's link.
    const links = box.querySelectorAll('tbody th a');
    links[links.length - items.length]?.focus();
  }
  more?.remove();
  if (next) {
    const button = el('button', { type: 'button', class: 'secondary', id: 'review-more' }, 'Afficher les dossiers suivants');
    button.addEventListener('click', () => { button.disabled = true; loadReview(next); });
    box.append(el('p', {}, button));
  }
}

if (current) {
  loadStats();
  loadReview(null);
}
