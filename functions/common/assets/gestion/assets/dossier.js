// One candidate's dossier (`get`): identity, inscription, each piece with its
// files (« Voir » asks `piece_link` for a link of a few minutes and opens it),
// the history with its actors, and the actions the staff member's role
// allows, each in a small form asking for what it needs. The server checks
// the role of every action anyway: the buttons of other roles are not shown.

import {
  $, DIPLOMA, action, announce, badge, busy, checkFields, clearErrors, el, endOfParisDay, formatDate,
  formatInstant, formatSize, fullName, initChrome, isDay, may, parisDay, showProblem,
} from './office.js';

const current = initChrome();
const email = new URLSearchParams(window.location.search).get('email') || '';
const root = $('#dossier');
const title = $('#dossier-title');
let dossier = null;

// ---------------------------------------------------------------------------
// Reading.

async function load() {
  const answer = await action({ action: 'get', email });
  root.textContent = '';
  if (!answer.ok) {
    showProblem(root.appendChild(el('div')), answer.problem);
    return false;
  }
  dossier = answer.data;
  render();
  return true;
}

function facts(pairs) {
  return el('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== null && v !== undefined && v !== '').flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

function deadlineText(d) {
  const extension = d.documents_deadline_extension;
  if (extension) return `${formatInstant(extension)} (délai prolongé pour ce candidat ; date commune : ${formatInstant(d.documents_deadline)})`;
  return formatInstant(d.documents_deadline);
}

function summary(d) {
  return el(
    'section', { class: 'card', 'aria-labelledby': 'inscription-title' },
    el('h2', { id: 'inscription-title' }, 'Inscription'),
    facts([
      ['État', badge(d.status, d.status_label)],
      ['Numéro de candidat', d.candidate_number],
      ['Diplôme', `${DIPLOMA[d.diploma] || d.diploma}`],
      ['Spécialité', d.specialty],
      ['Version', String(d.version)],
      ['Date limite des pièces', deadlineText(d)],
      ['Adresse électronique', emailFact(d)],
      ['Inscrit le', formatInstant(d.created_at)],
      ['Annulé le', d.cancelled_at ? formatInstant(d.cancelled_at) : null],
    ]),
  );
}

// SES reported the address undeliverable: our emails to it are not sent
// (they are listed under « Courriels en échec »); the office reaches the
// candidate another way.
function emailFact(d) {
  if (d.email_deliverable !== false) return d.email;
  return el('span', {}, `${d.email} `, el('span', { class: 'badge badge-warning' }, 'Courriels non remis'));
}

function undeliverableNotice(d) {
  const mark = d.email_undeliverable;
  if (d.email_deliverable !== false || !mark) return null;
  return el(
    'div', { class: 'notice warning', id: 'undeliverable-notice' },
    el('h2', {}, 'Nos courriels ne parviennent plus à ce candidat'),
    el('p', {}, `Depuis le ${formatInstant(mark.marked_at)} : ${mark.reason}. Les courriels qui lui sont destinés ne sont plus envoyés ; ils figurent dans « Courriels en échec ». Joignez-le par téléphone ou par courrier. S'il utilise un lien « Mot de passe oublié » reçu à cette adresse, les envois reprennent.`),
  );
}

function identity(d) {
  const id = d.identity || {};
  const address = id.address || {};
  return el(
    'section', { class: 'card', 'aria-labelledby': 'identity-title' },
    el('h2', { id: 'identity-title' }, 'Identité'),
    facts([
      ['Nom', id.last_name],
      ['Prénoms', id.first_names],
      ['Né le', formatDate(id.birth_date)],
      ['À', [id.birth_place, id.birth_department ? `(${id.birth_department})` : null, id.birth_country].filter(Boolean).join(' ')],
      ['Nationalité', id.nationality],
      ['Adresse', [address.line1, address.line2, `${address.postal_code || ''} ${address.city || ''}`.trim(), address.country].filter(Boolean).join(', ')],
      ['Téléphone', id.phone],
    ]),
  );
}

function channelText(piece) {
  if (piece.channel === 'post') return 'par courrier postal';
  if (piece.channel === 'upload') return 'déposée en ligne';
  return null;
}

function fileItem(piece, file, rejected) {
  const view = el('button', { type: 'button', class: 'secondary small', 'data-view': file.id },
    'Voir', el('span', { class: 'visually-hidden' }, ` ${file.name || 'le fichier'}`));
  view.addEventListener('click', () => viewFile(piece, file, view));
  return el('li', {},
    `${file.name || 'Fichier'} (${formatSize(file.size_bytes)}, reçu le ${formatInstant(file.received_at)}${rejected ? ', refusé' : ''}) `,
    view);
}

function pieceCard(piece) {
  const headingId = `piece-${piece.kind}`;
  const card = el(
    'article', { class: 'card piece', 'aria-labelledby': headingId, 'data-kind': piece.kind },
    el('h3', { id: headingId, tabindex: '-1' }, piece.label || piece.kind),
    facts([
      ['État', badge(piece.status, piece.status_label)],
      ['Voie', channelText(piece)],
      ['Reçue le', piece.received_at ? formatInstant(piece.received_at) : null],
      ['Cachet de la poste', piece.postmarked_on ? formatDate(piece.postmarked_on) : null],
      ['Motif du refus', piece.reason],
    ]),
  );
  if (piece.files && piece.files.length) {
    card.append(el('p', {}, piece.files.length > 1 ? 'Fichiers :' : 'Fichier :'), el('ul', { class: 'files' }, piece.files.map((f) => fileItem(piece, f, false))));
  } else if (piece.channel !== 'post') {
    card.append(el('p', { class: 'muted' }, 'Aucun fichier en cours.'));
  }
  if (piece.rejected_files && piece.rejected_files.length) {
    card.append(el('p', {}, 'Fichiers refusés, gardés pour mémoire :'), el('ul', { class: 'files' }, piece.rejected_files.map((f) => fileItem(piece, f, true))));
  }
  if (may(current, 'gestionnaire')) card.append(pieceActions(piece));
  return card;
}

function historyTable(d) {
  const lines = [...(d.history || [])].reverse();
  return el(
    'section', { 'aria-labelledby': 'history-title' },
    el('h2', { id: 'history-title' }, 'Historique'),
    el('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-labelledby': 'history-title' }, el('table', {},
      el('caption', {}, 'Historique du dossier, du plus récent au plus ancien'),
      el('thead', {}, el('tr', {}, ['Date', 'Auteur', 'Action', 'Détail'].map((h) => el('th', { scope: 'col' }, h)))),
      el('tbody', {}, lines.map((line) => el('tr', {},
        el('td', {}, formatInstant(line.at)),
        el('td', {}, actorText(line.actor)),
        el('td', {}, HISTORY_ACTION[line.action] || line.action),
        el('td', {}, line.detail || (line.fields || []).join(', ')),
      ))),
    )),
  );
}

const HISTORY_ACTION = {
  created: 'Inscription créée',
  updated: 'Inscription modifiée',
  piece_received: 'Pièce reçue',
  piece_refused: 'Fichier refusé au contrôle',
  reminder_7d: 'Rappel à 7 jours',
  reminder_2d: 'Rappel à 2 jours',
  cancelled: 'Inscription annulée',
  piece_validated: 'Pièce validée',
  piece_rejected: 'Pièce refusée',
  deadline_extended: 'Délai prolongé',
  piece_recorded: 'Pièce papier enregistrée',
  viewed: 'Dossier consulté',
  withdrawn: 'Inscription retirée',
  reopened: 'Dossier rouvert',
  dossier_validated: 'Dossier validé',
  corrected: 'Identité corrigée',
  file_removed: 'Fichier retiré',
  piece_viewed: 'Fichier consulté',
  found_by_search: 'Trouvé par une recherche',
  held: 'Gel pour motif légal',
  hold_released: 'Gel levé',
};

function actorText(actor) {
  if (actor === 'candidate') return 'le candidat';
  if (actor === 'system') return 'le système';
  if (typeof actor === 'string' && actor.startsWith('staff:')) return `${actor.slice(6)} (agent)`;
  if (typeof actor === 'string' && actor.startsWith('console:')) return `${actor.slice(8)} (console)`;
  return actor || '';
}

function render() {
  const d = dossier;
  const name = fullName(d.identity || {});
  title.textContent = `Dossier de ${name}`;
  document.title = `Dossier de ${name} – Gestion des inscriptions`;
  root.textContent = '';
  root.append(
    ...[undeliverableNotice(d)].filter(Boolean),
    el('div', { class: 'columns' }, summary(d), identity(d)),
    el('section', { 'aria-labelledby': 'pieces-title' },
      el('h2', { id: 'pieces-title' }, 'Pièces'),
      el('div', { class: 'pieces' }, (d.pieces || []).map(pieceCard))),
    dossierActions(d),
    historyTable(d),
  );
}

// ---------------------------------------------------------------------------
// « Voir »: a link valid a few minutes, opened in a new tab.

async function viewFile(piece, file, button) {
  // Opened now, while the click counts, so no popup blocker stops it; the
  // link is put in once the server gives it.
  const tab = window.open('', '_blank');
  button.disabled = true;
  const answer = await action({ action: 'piece_link', email, kind: piece.kind, file: file.id });
  button.disabled = false;
  if (!answer.ok) {
    tab?.close();
    showProblem(button.closest('.piece'), answer.problem);
    return;
  }
  const { url, expires_at: expires } = answer.data;
  if (tab) {
    tab.opener = null;
    tab.location.replace(url);
  }
  const link = el('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, `Ouvrir ${file.name || 'le fichier'}`);
  const li = button.closest('li');
  li.querySelector('.view-link')?.remove();
  li.append(el('span', { class: 'view-link' }, ' – ', link, ` (lien valable jusqu'à ${formatInstant(expires).split(' à ')[1] || formatInstant(expires)})`));
  announce(tab
    ? `${file.name || 'Le fichier'} est ouvert dans un nouvel onglet. Cette consultation est inscrite à l'historique.`
    : `Le lien vers ${file.name || 'le fichier'} est prêt, à côté du bouton « Voir ».`);
}

// ---------------------------------------------------------------------------
// Actions: a button opens a small form asking for what the action needs.

let formCount = 0;

/**
 * A disclosure button and its form. `fields`: [{name, label, type, hint,
 * required, value, message, valid}]; `run(values)` sends the event and
 * resolves to the success message, or to an answer with a problem.
 */
function actionForm({ label, submit, fields = [], danger = false, run, focusAfter }) {
  formCount += 1;
  const formId = `action-${formCount}`;
  const toggle = el('button', { type: 'button', class: 'secondary', 'aria-expanded': 'false', 'aria-controls': formId }, label);
  const inputs = {};
  const form = el('form', { id: formId, class: 'action-form', novalidate: true, hidden: true },
    fields.map((f) => {
      const id = `${formId}-${f.name}`;
      const hintId = f.hint ? `${id}-hint` : null;
      const attributes = { id, name: f.name, 'aria-describedby': hintId, required: f.required || null };
      const input = f.type === 'textarea'
        ? el('textarea', { ...attributes, rows: 3 })
        : el('input', { ...attributes, type: f.type || 'text', class: f.type === 'date' || f.type === 'number' ? 'short' : null, min: f.min || null });
      if (f.value !== undefined && f.value !== null) input.value = f.value;
      inputs[f.name] = input;
      return el('div', { class: 'field' },
        el('label', { for: id }, f.label, f.required ? null : ' (facultatif)'),
        f.hint ? el('span', { class: 'hint', id: hintId }, f.hint) : null,
        input);
    }),
    el('p', { class: 'actions' },
      el('button', { type: 'submit', class: danger ? 'danger' : null }, submit),
      el('button', { type: 'button', class: 'secondary', 'data-cancel': '' }, 'Annuler')));

  const close = () => {
    form.hidden = true;
    toggle.setAttribute('aria-expanded', 'false');
    clearErrors(form);
    toggle.focus();
  };
  toggle.addEventListener('click', () => {
    const open = form.hidden;
    form.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    if (open) (Object.values(inputs)[0] || $('button[type="submit"]', form)).focus();
  });
  $('[data-cancel]', form).addEventListener('click', close);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    const checks = fields.filter((f) => f.required || f.valid)
      .map((f) => [inputs[f.name], f.message, f.valid ? (v) => (!f.required && v === '') || f.valid(v) : null]);
    if (!checkFields(form.firstChild, checks)) return;
    const values = Object.fromEntries(Object.entries(inputs).map(([k, input]) => [k, input.value.trim()]));
    busy(form, async () => {
      const result = await run(values);
      if (typeof result !== 'string') {
        showProblem(form.firstChild, result.problem, (field) => inputs[field] || inputs[String(field).replace(/^identity\./, '')] || null);
        return;
      }
      await afterChange(result, focusAfter);
    });
  });
  return el('div', { class: 'action' }, toggle, form);
}

/** A button that acts at once (no question to ask), then confirms. */
function actionButton(label, run, focusAfter) {
  const button = el('button', { type: 'button' }, label);
  button.addEventListener('click', async () => {
    const box = button.closest('.actions-box') || button.parentElement;
    clearErrors(box);
    button.disabled = true;
    const result = await run();
    button.disabled = false;
    if (typeof result !== 'string') {
      showProblem(button, result.problem);
      return;
    }
    await afterChange(result, focusAfter);
  });
  return button;
}

/** After a change: the dossier read again, the change announced, the focus put back where it was. */
async function afterChange(message, focusAfter) {
  await load();
  announce(message);
  const target = focusAfter ? document.getElementById(focusAfter) : title;
  (target || title).focus();
}

/** Sends `event`; a success message, or the failed answer. */
async function send(event, message) {
  const answer = await action(event);
  return answer.ok ? message(answer.data) : answer;
}

function pieceActions(piece) {
  const label = piece.label || piece.kind;
  const focusAfter = `piece-${piece.kind}`;
  const box = el('div', { class: 'actions-box' });
  const buttons = el('div', { class: 'actions' });
  box.append(buttons);
  if (piece.status === 'received') {
    buttons.append(actionButton('Valider la pièce', () => send(
      { action: 'validate_piece', email, kind: piece.kind },
      () => `Pièce validée : ${label}.`,
    ), focusAfter));
    box.append(actionForm({
      label: 'Refuser la pièce',
      submit: 'Confirmer le refus',
      danger: true,
      fields: [{
        name: 'reason', label: 'Motif du refus', type: 'textarea', required: true,
        hint: 'Il est envoyé au candidat par courriel : écrivez-le pour lui, par exemple « Le document est illisible, merci d’en déposer une copie nette. »',
        message: 'Saisissez le motif du refus : le candidat le recevra par courriel.',
      }],
      run: (v) => send({ action: 'reject_piece', email, kind: piece.kind, reason: v.reason },
        () => `Pièce refusée : ${label}. Le candidat est prévenu par courriel, avec le motif.`),
      focusAfter,
    }));
  }
  if (piece.status === 'missing' || piece.status === 'rejected') {
    const fields = [{
      name: 'postmarked_on', label: 'Date du cachet de la poste', type: 'date', required: true,
      hint: 'Format attendu : JJ/MM/AAAA. Un envoi posté après la date limite du candidat est refusé.',
      message: 'Saisissez la date du cachet de la poste, au format JJ/MM/AAAA.', valid: isDay,
    }];
    if (piece.kind === 'signed_confirmation') {
      fields.push({
        name: 'version', label: 'Version imprimée sur la confirmation', type: 'number', required: true, min: 1,
        value: String(dossier.version),
        hint: `La version en cours est la ${dossier.version}. Une confirmation d’une version plus ancienne n’est pas valable.`,
        message: 'Saisissez la version imprimée sur la confirmation (un nombre).', valid: (v) => /^[1-9]\d*$/.test(v),
      });
    }
    box.append(actionForm({
      label: 'Enregistrer une pièce reçue par courrier',
      submit: 'Enregistrer la pièce papier',
      fields,
      run: (v) => {
        const event = { action: 'record_piece', email, kind: piece.kind, postmarked_on: v.postmarked_on };
        if (v.version) event.version = Number(v.version);
        return send(event, () => `Pièce papier enregistrée : ${label}, cachet de la poste du ${formatDate(v.postmarked_on)}.`);
      },
      focusAfter,
    }));
  }
  return box;
}

function dossierActions(d) {
  const section = el('section', { 'aria-labelledby': 'actions-title' }, el('h2', { id: 'actions-title', tabindex: '-1' }, 'Actions sur le dossier'));
  if (!may(current, 'gestionnaire')) {
    section.append(el('p', { text: 'Votre profil (lecteur) permet de consulter les dossiers, pas de les modifier.' }));
    return section;
  }
  const box = el('div', { class: 'actions-box card' });
  const buttons = el('div', { class: 'actions' });
  box.append(buttons);
  const open = !['validated', 'withdrawn', 'cancelled'].includes(d.status);
  const received = (d.pieces || []).some((p) => p.status === 'received');
  if (open && received) {
    buttons.append(actionButton('Valider le dossier', () => send(
      { action: 'validate_dossier', email },
      (data) => `Dossier validé : toutes les pièces reçues sont validées${data.status_label ? ` ; état du dossier : ${data.status_label}` : ''}.`,
    ), 'actions-title'));
  }
  const deadline = d.documents_deadline_extension || d.documents_deadline;
  box.append(actionForm({
    label: 'Prolonger le délai de ce candidat',
    submit: 'Prolonger le délai',
    fields: [{
      name: 'until', label: 'Nouvelle date limite des pièces', type: 'date', required: true,
      value: deadline ? parisDay(deadline) : '',
      hint: `Jusqu’à 23 h 59 ce jour-là (heure de Paris). Date limite actuelle : ${formatInstant(deadline)}.`,
      message: 'Saisissez la nouvelle date limite, au format JJ/MM/AAAA.', valid: isDay,
    }],
    run: (v) => send({ action: 'extend_deadline', email, until: endOfParisDay(v.until) },
      () => `Délai prolongé jusqu’au ${formatDate(v.until)} à 23 h 59. Le candidat est prévenu par courriel.`),
    focusAfter: 'actions-title',
  }));
  if (may(current, 'responsable')) box.append(...responsableActions(d));
  section.append(box);
  return section;
}

function responsableActions(d) {
  const id = d.identity || {};
  const forms = [actionForm({
    label: "Corriger l'identité",
    submit: 'Enregistrer la correction',
    fields: [
      { name: 'last_name', label: 'Nom', required: true, value: id.last_name, message: 'Saisissez le nom.' },
      { name: 'first_names', label: 'Prénoms', required: true, value: id.first_names, message: 'Saisissez les prénoms.' },
      { name: 'birth_date', label: 'Date de naissance', type: 'date', required: true, value: id.birth_date, message: 'Saisissez la date de naissance, au format JJ/MM/AAAA.', valid: isDay },
      { name: 'birth_place', label: 'Lieu de naissance', required: true, value: id.birth_place, message: 'Saisissez le lieu de naissance.' },
      { name: 'reason', label: 'Motif de la correction', type: 'textarea', required: true, hint: 'Inscrit à l’historique et envoyé au candidat.', message: 'Saisissez le motif de la correction.' },
    ],
    run: (v) => {
      const identityNext = { ...id, last_name: v.last_name, first_names: v.first_names, birth_date: v.birth_date, birth_place: v.birth_place };
      return send({ action: 'correct', email, identity: identityNext, reason: v.reason },
        () => "Identité corrigée : une nouvelle version du dossier est enregistrée et le candidat est prévenu par courriel.");
    },
    focusAfter: 'actions-title',
  })];
  if (d.status === 'withdrawn' || d.status === 'cancelled') {
    forms.push(actionForm({
      label: 'Rouvrir le dossier',
      submit: 'Rouvrir le dossier',
      fields: [{
        name: 'until', label: 'Nouvelle date limite des pièces', type: 'date', required: false,
        hint: 'Laissez vide pour garder la date limite actuelle.', message: 'Saisissez une date au format JJ/MM/AAAA, ou laissez vide.', valid: isDay,
      }],
      run: (v) => {
        const event = { action: 'reopen', email };
        if (v.until) event.until = endOfParisDay(v.until);
        return send(event, (data) => `Dossier rouvert${data.status_label ? ` ; état : ${data.status_label}` : ''}.`);
      },
      focusAfter: 'actions-title',
    }));
  } else {
    forms.push(actionForm({
      label: 'Retirer le dossier',
      submit: 'Confirmer le retrait',
      danger: true,
      fields: [{ name: 'reason', label: 'Motif du retrait', type: 'textarea', required: true, hint: 'Inscrit à l’historique.', message: 'Saisissez le motif du retrait.' }],
      run: (v) => send({ action: 'withdraw', email, reason: v.reason }, () => 'Dossier retiré. Il peut être rouvert depuis cette page.'),
      focusAfter: 'actions-title',
    }));
  }
  return forms;
}

if (current) {
  if (!email) {
    root.textContent = '';
    root.append(el('p', {}, 'Aucun candidat n’est indiqué. ', el('a', { href: '/gestion/recherche' }, 'Rechercher un candidat')));
  } else {
    load();
  }
}
