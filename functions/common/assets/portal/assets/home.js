// The home page: for a visitor, how to register; for a candidate, the
// account, the inscription's status, each deadline in Paris time with how
// long remains (by the server's clock), and what is still missing.

import { api, calendar, serverNow } from './api.js';
import {
  $, busy, clearErrors, el, formatInstant, initChrome, INSCRIPTION_STATUS, showNotice, showProblem, untilClosing, untilOpening,
} from './ui.js';
import { renderTasks } from './tasks.js';

const STATUS_TEXT = {
  registered: 'Votre inscription est enregistrée.',
  complete: 'Votre dossier est complet : toutes les pièces demandées ont été reçues. Le rectorat va les vérifier.',
  validated: 'Le rectorat a validé toutes vos pièces : votre inscription est définitive.',
  cancelled: "Votre inscription est annulée : votre confirmation signée et vos pièces justificatives n'ont pas toutes été reçues avant la date limite.",
  withdrawn: "Votre inscription est retirée : vous vous êtes désisté(e), ou le rectorat l'a retirée. Vous ne serez pas convoqué(e) aux épreuves.",
};

function deadline(label, iso, now, kind) {
  const relative = kind === 'opening' ? untilOpening(iso, now) : untilClosing(iso, now);
  return el('li', {},
    el('span', { class: 'deadline-label', text: `${label}\u00a0: ` }),
    el('time', { datetime: iso, text: formatInstant(iso) }),
    ` (heure de Paris) – ${relative}.`);
}

function diplomaLabel(catalogue, code) {
  const diploma = catalogue.diplomas.find((d) => d.diploma === code);
  return diploma ? diploma.label : code;
}

function specialtyLabel(catalogue, diplomaCode, code) {
  const diploma = catalogue.diplomas.find((d) => d.diploma === diplomaCode);
  const specialty = diploma && diploma.specialties.find((s) => s.code === code);
  return specialty ? specialty.label : code;
}

function renderCalendar(cal, catalogue, now, only) {
  const root = $('#calendar');
  root.replaceChildren();
  for (const d of cal.diplomas) {
    if (only && d.diploma !== only) continue;
    const dates = [
      ['Ouverture des inscriptions', d.registration.opens, 'opening'],
      ['Clôture des inscriptions', d.registration.closes, 'closing'],
      ['Ouverture du dépôt des documents', d.documents.opens, 'opening'],
      ['Date limite de dépôt des documents', d.documents.closes, 'closing'],
    ]
      // What has opened already goes without saying.
      .filter(([, iso, kind]) => kind === 'closing' || Date.parse(iso) > now)
      .sort((a, b) => Date.parse(a[1]) - Date.parse(b[1]));
    root.append(el('div', { class: 'calendar-diploma' },
      el('h3', { text: diplomaLabel(catalogue, d.diploma) }),
      el('ul', { class: 'deadlines' }, dates.map(([label, iso, kind]) => deadline(label, iso, now, kind)))));
  }
  $('#calendar-section').hidden = false;
}

function renderInscription(ins, catalogue, now) {
  const summary = $('#inscription-summary');
  summary.replaceChildren(
    el('dl', { class: 'facts' },
      el('dt', { text: 'Diplôme' }), el('dd', { text: diplomaLabel(catalogue, ins.diploma) }),
      el('dt', { text: 'Spécialité' }), el('dd', { text: specialtyLabel(catalogue, ins.diploma, ins.specialty) }),
      el('dt', { text: 'État' }), el('dd', {}, el('span', { class: `badge status-${ins.status}`, text: INSCRIPTION_STATUS[ins.status] || ins.status })),
      el('dt', { text: 'Dernier enregistrement' }), el('dd', { text: `${formatInstant(ins.updated_at)} (version ${ins.version})` })),
    el('p', { text: STATUS_TEXT[ins.status] || '' }),
    el('h3', { text: 'Mes dates limites' }),
    el('ul', { class: 'deadlines' },
      deadline('Fin des inscriptions et des modifications', ins.registration_closes, now, 'closing'),
      Date.parse(ins.documents_opens) > now
        ? deadline('Ouverture du dépôt des documents', ins.documents_opens, now, 'opening') : null,
      deadline('Date limite de dépôt des documents', ins.documents_deadline, now, 'closing')),
    el('p', {}, el('a', { href: '/m-inscrire', text: Date.parse(ins.registration_closes) > now ? 'Voir ou modifier mon inscription' : 'Voir mon inscription' })));

  const todo = $('#todo');
  const items = [];
  if (ins.status === 'cancelled') {
    items.push(el('li', { text: "Votre inscription est annulée : il n'y a plus rien à déposer pour cette session. Pour toute question, contactez la division des examens et concours du rectorat." }));
  } else if (ins.status === 'withdrawn') {
    items.push(el('li', { text: "Votre inscription est retirée : il n'y a plus rien à déposer. S'il s'agit d'une erreur, contactez la division des examens et concours du rectorat, qui peut la rouvrir." }));
  } else {
    const open = ins.pieces.filter((p) => p.status === 'missing' || p.status === 'rejected');
    if (ins.pieces.some((p) => p.kind === 'signed_confirmation' && p.status !== 'received' && p.status !== 'validated')) {
      items.push(el('li', {}, 'Téléchargez votre ',
        el('a', { href: '/mes-documents', text: "confirmation d'inscription" }),
        ', vérifiez-la, datez-la et signez-la.'));
    }
    for (const piece of open) {
      items.push(el('li', {},
        el('strong', { text: piece.status === 'rejected' ? 'À déposer de nouveau' : 'À déposer' }),
        `\u00a0: ${piece.label}`,
        piece.reason ? el('span', { class: 'reason', text: ` – à remplacer\u00a0: ${piece.reason}` }) : null));
    }
    if (open.length) {
      items.push(el('li', {}, el('a', { href: '/mes-documents', text: 'Déposer mes documents' })));
    }
  }
  todo.replaceChildren(items.length
    ? el('ul', { class: 'todo' }, items)
    : el('p', { text: ins.status === 'validated'
      ? 'Rien : votre inscription est définitive.'
      : "Rien pour le moment : toutes vos pièces ont été reçues. Un courriel vous préviendra si l'une d'elles est refusée." }));
}

// The withdrawal, in two steps: the button shows a confirmation, which
// alone sends POST /inscription/withdraw.
function setUpWithdrawal(ins, cal, catalogue, now) {
  const section = $('#withdraw-section');
  section.hidden = ins.status === 'withdrawn' || ins.status === 'cancelled';
  const confirm = $('#withdraw-confirm');
  const startRow = $('#withdraw-start-row');
  $('#withdraw-start').addEventListener('click', () => {
    startRow.hidden = true;
    confirm.hidden = false;
    $('#withdraw-no').focus();
  });
  $('#withdraw-no').addEventListener('click', () => {
    confirm.hidden = true;
    startRow.hidden = false;
    $('#withdraw-start').focus();
  });
  $('#withdraw-yes').addEventListener('click', async () => {
    const yes = $('#withdraw-yes');
    yes.disabled = true;
    const result = await api('POST', '/inscription/withdraw');
    yes.disabled = false;
    if (!result.ok) {
      showProblem(confirm, result.problem);
      return;
    }
    const fresh = await api('GET', '/inscription');
    if (fresh.ok) {
      renderInscription(fresh.data, catalogue, now);
      renderTasks($('#tasks'), fresh.data, cal, catalogue, now);
    }
    section.hidden = true;
    showNotice($('#inscription-summary'), 'success', 'Inscription retirée', 'Votre désistement est enregistré ; un courriel vous le confirme.');
  });
}

// « Mon compte »: a new password (the other sessions close), and signing
// out of every session.
function setUpAccount() {
  const form = $('#password-form');
  const current = $('#f-current-password');
  const fresh = $('#f-new-password');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(form);
    for (const box of document.querySelectorAll('#password-change .notice')) box.remove();
    busy(form, async () => {
      const answer = await api('POST', '/auth/password', { current_password: current.value, new_password: fresh.value });
      if (!answer.ok) {
        const fields = { current_password: current, new_password: fresh };
        const problem = answer.problem.code === 'invalid_credentials'
          ? { ...answer.problem, detail: 'Le mot de passe actuel est incorrect.' }
          : answer.problem;
        showProblem(form, problem, (field) => fields[field] || null);
        return;
      }
      current.value = '';
      fresh.value = '';
      showNotice(form, 'success', 'Mot de passe modifié', 'Votre nouveau mot de passe est enregistré. Vos autres sessions sont fermées, et un courriel vous le confirme.');
    });
  });
  const everywhere = $('#logout-all');
  everywhere.addEventListener('click', async () => {
    everywhere.disabled = true;
    const answer = await api('POST', '/auth/logout-all');
    if (!answer.ok) {
      everywhere.disabled = false;
      showProblem(everywhere.parentElement, answer.problem);
      return;
    }
    window.location.assign('/login?logout=1');
  });
}

// SES reported the address undeliverable (a permanent bounce or a
// complaint): our emails to it are no longer sent, so the candidate learns
// it here, on the page they come back to.
function showUndeliverable(email) {
  const extra = el('p', {},
    'Si votre adresse est juste et fonctionne de nouveau, demandez un lien depuis ',
    el('a', { href: '/forgot-password', text: '« Mot de passe oublié »' }),
    ' : l\'utiliser rétablit nos envois.');
  showNotice(
    $('#dashboard'),
    'warning',
    'Nos messages ne vous parviennent pas',
    `Nos messages à votre adresse ${email} n'arrivent pas : votre messagerie les a refusés ou signalés comme indésirables. Vérifiez-la (faute de frappe, boîte fermée ou pleine, filtre anti-spam) ; pour la corriger ou si elle est juste, contactez la Division des examens et concours (DIEC 3.05) du rectorat d'Aix-Marseille. En attendant, suivez votre dossier ici : il y est toujours à jour.`,
    { focus: false, extra },
  ).id = 'undeliverable-notice';
}

async function main() {
  const [me, cal, catalogue] = await Promise.all([initChrome(), calendar(), api('GET', '/catalogue')]);
  $('#loading').hidden = true;
  if (!cal.ok || !catalogue.ok) {
    const problem = (cal.ok ? catalogue : cal).problem;
    $('#page-title').after(el('div', { class: 'error-summary', role: 'alert' }, el('h2', { text: problem.title }), el('p', { text: problem.detail })));
    return;
  }
  const now = serverNow(cal.data);
  if (!me) {
    $('#page-title').textContent = 'Inscriptions aux examens professionnels';
    $('#guest').hidden = false;
    renderCalendar(cal.data, catalogue.data, now);
    return;
  }
  $('#account-email').textContent = me.email;
  setUpAccount();

  if (me.email_deliverable === false) showUndeliverable(me.email);
  const ins = await api('GET', '/inscription');
  $('#dashboard').hidden = false;
  // The steps first: what to do next, and by when, by the server's clock.
  if (ins.ok || ins.problem.code === 'no_inscription') {
    renderTasks($('#tasks'), ins.ok ? ins.data : null, cal.data, catalogue.data, now);
  } else {
    $('#tasks-section').hidden = true;
  }
  if (ins.ok) {
    renderInscription(ins.data, catalogue.data, now);
    setUpWithdrawal(ins.data, cal.data, catalogue.data, now);
    $('#calendar-section').hidden = true;
  } else if (ins.problem.code === 'no_inscription') {
    $('#inscription-summary').replaceChildren(el('p', { text: "Vous n'avez pas encore d'inscription pour cette session." }));
    const open = cal.data.diplomas.filter((d) => d.registration.open);
    $('#todo').replaceChildren(el('ul', { class: 'todo' },
      el('li', {}, el('a', { href: '/m-inscrire', text: "Remplir le formulaire « M'inscrire »" }),
        open.length ? ` – inscriptions ouvertes pour\u00a0: ${open.map((d) => diplomaLabel(catalogue.data, d.diploma)).join(', ')}.` : " – aucune inscription n'est ouverte en ce moment : consultez le calendrier ci-dessous.")));
    renderCalendar(cal.data, catalogue.data, now);
  } else {
    $('#inscription-summary').replaceChildren(el('p', { text: ins.problem.detail }));
  }
}

main();
