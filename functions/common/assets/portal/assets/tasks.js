// The task list at the top of « Mon espace »: every step of the notice,
// its state, its deadline in Paris time and what missing it costs. Built
// from the API's answers only (the inscription's windows and deadline, the
// calendar and its `now`): no date is written here.

import { el, formatDeadline, formatDuration } from './ui.js';

const DAY = 24 * 60 * 60 * 1000;

/** The words of each state, shown beside the step's title (never colour alone). */
const STATE_LABEL = {
  done: 'Fait',
  todo: 'À faire',
  waiting: 'En attente',
  later: 'Plus tard',
  closed: 'Plus possible',
};

/**
 * How pressing a deadline is, by the server's clock: `urgent` two days or
 * less before it, `soon` seven days or less, otherwise null. Past deadlines
 * are not pressing: they are closed.
 */
export function urgency(deadlineIso, now) {
  const left = Date.parse(deadlineIso) - now;
  if (left <= 0) return null;
  if (left <= 2 * DAY) return 'urgent';
  if (left <= 7 * DAY) return 'soon';
  return null;
}

/** « dimanche 7 novembre à 23 h 59 (heure de Paris) ». */
function paris(iso) {
  return `${formatDeadline(iso)} (heure de Paris)`;
}

function isIn(piece) {
  return piece.status === 'received' || piece.status === 'validated';
}

function diplomaLabel(catalogue, code) {
  const diploma = catalogue.diplomas.find((d) => d.diploma === code);
  return diploma ? diploma.label : code;
}

/** The diplomas whose registration window is open now, and those still to open. */
function registrationWindows(cal, now) {
  const open = cal.diplomas.filter((d) => Date.parse(d.registration.opens) <= now && Date.parse(d.registration.closes) > now);
  const upcoming = cal.diplomas.filter((d) => Date.parse(d.registration.opens) > now);
  return { open, upcoming };
}

// ---------------------------------------------------------------------------
// The steps. Each is {key, title, state, text, deadline?, consequence?, link?}.

function accountStep() {
  return { key: 'account', title: 'Créer et activer mon compte', state: 'done', text: 'Votre compte est activé.' };
}

/** « S'inscrire » for a candidate without an inscription: open, to come, or too late. */
function registerStepWithout(cal, catalogue, now) {
  const { open, upcoming } = registrationWindows(cal, now);
  const link = { href: '/m-inscrire', text: "Remplir le formulaire « M'inscrire »" };
  if (open.length) {
    const latest = open.reduce((a, b) => (Date.parse(a.registration.closes) >= Date.parse(b.registration.closes) ? a : b));
    return {
      key: 'register', title: "M'inscrire", state: 'todo', link,
      text: `Inscriptions ouvertes : ${open.map((d) => `${diplomaLabel(catalogue, d.diploma)} jusqu'au ${paris(d.registration.closes)}`).join(' ; ')}.`,
      deadline: latest.registration.closes,
      consequence: 'Après cette date, plus aucune inscription ne sera possible pour cette session.',
    };
  }
  if (upcoming.length) {
    return {
      key: 'register', title: "M'inscrire", state: 'waiting',
      text: `Les inscriptions ouvriront : ${upcoming.map((d) => `${diplomaLabel(catalogue, d.diploma)} le ${paris(d.registration.opens)}`).join(' ; ')}.`,
    };
  }
  // A late arrival: nothing can be registered online any more; say what can be done.
  return {
    key: 'register', title: "M'inscrire", state: 'closed',
    text: `Les inscriptions de la session ${cal.session} sont closes pour tous les diplômes. `
      + "Vous pouvez encore contacter la Division des examens et concours (DIEC) du rectorat pour savoir si votre situation permet une inscription tardive, "
      + "ou préparer votre inscription à la session suivante : ses dates seront publiées sur ce site.",
  };
}

/** « S'inscrire » once an inscription exists: done, still editable or not. */
function registerStepWith(ins, now) {
  const editable = Date.parse(ins.registration_closes) > now;
  return {
    key: 'register', title: "M'inscrire", state: 'done',
    text: editable
      ? `Inscription enregistrée (version ${ins.version}). Vous pouvez la modifier jusqu'au ${paris(ins.registration_closes)} ; une modification après votre signature demande de signer et d'envoyer la nouvelle confirmation.`
      : `Inscription enregistrée (version ${ins.version}). Les inscriptions sont closes depuis le ${paris(ins.registration_closes)} : elle n'est plus modifiable en ligne.`,
  };
}

function confirmationStep(ins) {
  const signed = ins.pieces.find((p) => p.kind === 'signed_confirmation');
  if (signed && isIn(signed)) {
    return {
      key: 'confirmation', title: "Télécharger, dater et signer ma confirmation d'inscription", state: 'done',
      text: signed.received_at
        ? `Votre confirmation signée a été reçue le ${paris(signed.received_at)}.`
        : 'Votre confirmation signée a été reçue.',
    };
  }
  return {
    key: 'confirmation', title: "Télécharger, dater et signer ma confirmation d'inscription", state: 'todo',
    text: `Téléchargez la confirmation de la version ${ins.version}, imprimez-la, vérifiez-la, puis datez-la et signez-la (le cadre de signature est en page 2).${signed && signed.reason ? ` ${signed.reason}` : ''}`,
    link: { href: '/mes-documents', text: 'Télécharger ma confirmation' },
  };
}

function documentsStep(ins, now) {
  const title = 'Envoyer ma confirmation signée et mes pièces justificatives';
  const owed = ins.pieces.filter((p) => !isIn(p));
  if (!owed.length) {
    return { key: 'documents', title, state: 'done', text: 'Toutes vos pièces ont été reçues.' };
  }
  const list = owed.map((p) => p.label).join(', ');
  const consequence = `Sans ces pièces, votre inscription sera annulée le ${paris(ins.documents_deadline)}.`;
  if (Date.parse(ins.documents_opens) > now) {
    return {
      key: 'documents', title, state: 'waiting', deadline: ins.documents_deadline, consequence,
      text: `Le dépôt ouvrira le ${paris(ins.documents_opens)}. À envoyer : ${list}. Vous pourrez les déposer dans « Mes documents » ou les envoyer par courrier postal.`,
    };
  }
  return {
    key: 'documents', title, state: 'todo', deadline: ins.documents_deadline, consequence,
    text: `À envoyer : ${list}. Déposez-les dans « Mes documents » ou envoyez-les par courrier postal (le cachet de la poste faisant foi).`,
    link: { href: '/mes-documents', text: 'Déposer mes documents' },
  };
}

function verificationStep(ins) {
  const title = 'Vérification par le rectorat, puis convocation';
  if (ins.status === 'validated') {
    return {
      key: 'verification', title, state: 'done',
      text: 'Le rectorat a validé toutes vos pièces : votre inscription est définitive. Vous recevrez ensuite votre convocation aux épreuves.',
    };
  }
  if (ins.status === 'complete') {
    return {
      key: 'verification', title, state: 'waiting',
      text: "Le rectorat vérifie vos pièces. Un courriel vous préviendra si l'une d'elles est à remplacer ; une fois tout validé, vous recevrez votre convocation aux épreuves.",
    };
  }
  return {
    key: 'verification', title, state: 'later',
    text: 'Quand tout sera reçu, le rectorat vérifiera vos pièces, puis vous recevrez votre convocation aux épreuves.',
  };
}

/** A cancelled or withdrawn dossier: what happened, and what can still be done. */
function closedSteps(ins, cal, catalogue, now) {
  const { open } = registrationWindows(cal, now);
  const again = open.length
    ? ` Les inscriptions restent ouvertes en ${open.map((d) => `${diplomaLabel(catalogue, d.diploma)} jusqu'au ${paris(d.registration.closes)}`).join(' ; ')} : vous pouvez vous y inscrire de nouveau depuis « M'inscrire ».`
    : '';
  const text = ins.status === 'cancelled'
    ? `Votre inscription a été annulée : votre confirmation signée et vos pièces n'ont pas toutes été reçues avant le ${paris(ins.documents_deadline)}. Si vous les aviez envoyées par courrier avant cette date (le cachet de la poste faisant foi), contactez la Division des examens et concours (DIEC) du rectorat.${again}`
    : `Votre inscription est retirée : vous n'avez plus rien à envoyer. S'il s'agit d'une erreur, contactez la Division des examens et concours (DIEC) du rectorat, qui peut la rouvrir.${again}`;
  return [accountStep(), { key: 'register', title: "M'inscrire", state: 'closed', text }];
}

/** Every step of the candidate's journey, in order. */
export function steps(ins, cal, catalogue, now) {
  if (!ins) {
    const register = registerStepWithout(cal, catalogue, now);
    if (register.state === 'closed') return [accountStep(), register];
    return [
      accountStep(),
      register,
      { key: 'confirmation', title: "Télécharger, dater et signer ma confirmation d'inscription", state: 'later', text: 'Après votre inscription, dans « Mes documents ».' },
      { key: 'documents', title: 'Envoyer ma confirmation signée et mes pièces justificatives', state: 'later', text: 'Dans la fenêtre de dépôt de votre diplôme, indiquée après votre inscription.' },
      verificationStep({ status: 'registered' }),
    ];
  }
  if (ins.status === 'cancelled' || ins.status === 'withdrawn') return closedSteps(ins, cal, catalogue, now);
  return [accountStep(), registerStepWith(ins, now), confirmationStep(ins), documentsStep(ins, now), verificationStep(ins)];
}

// ---------------------------------------------------------------------------
// Rendering.

/** « Plus que 6 jours » / « Urgent : plus que 1 jour et 3 heures ». */
function urgencyText(level, deadlineIso, now) {
  const left = formatDuration(Date.parse(deadlineIso) - now);
  return level === 'urgent' ? `Urgent : plus que ${left}` : `Plus que ${left}`;
}

function renderStep(step, index, now) {
  const level = step.state === 'todo' || step.state === 'waiting' ? step.deadline && urgency(step.deadline, now) : null;
  const titleId = `task-${step.key}-title`;
  return el('li', {
    class: `task task-${step.state}${level ? ` task-${level}` : ''}`,
    'data-step': step.key, 'data-state': step.state, 'data-urgency': level || null,
  },
  el('h3', { id: titleId },
    el('span', { class: 'task-number', text: `${index + 1}. ` }),
    step.title,
    el('span', { class: 'visually-hidden', text: ' – ' }),
    el('span', { class: `task-state state-${step.state}`, text: STATE_LABEL[step.state] })),
  level ? el('p', { class: 'task-urgency', text: urgencyText(level, step.deadline, now) }) : null,
  el('p', { text: step.text }),
  step.deadline ? el('p', { class: 'task-deadline' },
    el('strong', { text: 'Date limite : ' }), el('time', { datetime: step.deadline, text: paris(step.deadline) }), '.') : null,
  step.deadline && step.consequence ? el('p', { class: 'task-consequence', text: step.consequence }) : null,
  step.link && step.state === 'todo' ? el('p', {}, el('a', { href: step.link.href, text: step.link.text })) : null);
}

/** Fills `root` with the task list. */
export function renderTasks(root, ins, cal, catalogue, now) {
  const list = steps(ins, cal, catalogue, now);
  root.replaceChildren(el('ol', { class: 'tasks' }, list.map((step, i) => renderStep(step, i, now))));
}
