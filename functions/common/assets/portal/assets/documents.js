// « Mes documents »: the confirmation PDF, and each required piece with the
// files that count for it (several per piece: both sides of a card, every
// page of a document), a form to add one more (presigned upload, with a
// progress bar), and a way to replace or remove each file before the exams
// office has reviewed the piece. Files the office refused are listed apart.
// After each action the focus stays on the piece (its heading) and the
// result is announced in the piece's live region.

import { api, calendar, serverNow } from './api.js';
import {
  $, clearErrors, el, formatDate, formatInstant, formatSize, initChrome, INSCRIPTION_STATUS, nbsp, PIECE_STATUS,
  requireLogin, showFieldError, showProblem, untilClosing, untilOpening,
} from './ui.js';

const ACCEPTED = ['application/pdf', 'image/jpeg', 'image/png'];
const TYPE_NAMES = { 'application/pdf': 'PDF', 'image/jpeg': 'JPEG', 'image/png': 'PNG' };
const MAX_BYTES = 5 * 1024 * 1024;
// The most files one piece holds (CONTRACT.md: a sixth is refused, 409 too_many_files).
const MAX_FILES = 5;
// What the API accepts as a file's name.
const MAX_NAME_CHARS = 200;
// Headers a browser sets itself and refuses from a script.
const FORBIDDEN_HEADERS = new Set(['content-length', 'host', 'connection', 'expect', 'transfer-encoding']);
// After an upload, how often and how long to look for the check's verdict
// (immediate locally; a few seconds in AWS, where S3 notifies the check).
const POLL_EVERY_MS = 1000;
const POLL_TRIES = 10;

const STATUS_TEXT = {
  registered: 'Votre inscription est enregistrée. Déposez votre confirmation signée et chaque pièce demandée avant la date limite.',
  complete: 'Votre dossier est complet : toutes les pièces demandées ont été reçues. Le rectorat va les vérifier.',
  validated: 'Le rectorat a validé toutes vos pièces : votre inscription est définitive.',
  cancelled: "Votre inscription est annulée : les documents n'ont pas tous été reçus avant la date limite.",
  withdrawn: "Votre inscription est retirée : aucun document n'est plus demandé.",
};

/**
 * What to send for each piece, as the notice asks (§2 to §5): which sides,
 * which pages, in how many files.
 */
const GUIDES = {
  signed_confirmation: (ins) => [
    `Les deux pages de votre confirmation d'inscription (version ${ins.version}), datée et signée : la case de signature est en page 2. Un seul fichier PDF des deux pages, ou une photo par page.`,
    'Une erreur sur la confirmation imprimée ? Corrigez-la au stylo rouge avant de la déposer. Si vous modifiez votre inscription en ligne, déposez la nouvelle confirmation, datée et signée.',
  ],
  identity_document: () => [
    "Le recto et le verso de votre carte nationale d'identité ou de votre titre de séjour, en deux fichiers ou réunis dans un seul ; pour un passeport, la double page qui porte votre photo. Le document doit être en cours de validité et lisible en entier.",
  ],
  jdc_certificate: () => [
    "Votre certificat individuel de participation à la Journée défense et citoyenneté ou, si vous ne l'avez pas encore effectuée, l'attestation de recensement remise par votre mairie : toutes ses pages.",
  ],
  accommodation_notice: () => [
    "La notification d'aménagement d'épreuves que vous avez déjà reçue, toutes ses pages. Une nouvelle demande d'aménagement ne se dépose pas ici : elle se fait sur le site du rectorat (« Aménagement d'épreuves aux examens »).",
  ],
  acquis_proof: () => [
    'Le relevé de notes ou le diplôme qui justifie chaque dispense ou bénéfice de note que vous avez déclaré : un fichier par document, toutes les pages.',
  ],
  professional_experience_proof: () => [
    "Vos certificats de travail ou attestations d'employeur (emploi occupé et dates), ou votre contrat d'apprentissage : un fichier par document.",
  ],
};

const state = { ins: null, calendar: null };

function sleep(ms) {
  return new Promise((resolve) => { setTimeout(resolve, ms); });
}

function kindId(kind) {
  return kind.replace(/[^A-Za-z0-9_-]/g, '_');
}

function plural(n, one, many) {
  return `${n}\u00a0${n >= 2 ? many : one}`;
}

/** Where the documents window stands: `before` it opens, `open`, or `closed` (or no longer for this dossier). */
function phase() {
  const ins = state.ins;
  if (ins.status === 'cancelled' || ins.status === 'withdrawn') return 'closed';
  const now = serverNow(state.calendar);
  if (Date.parse(ins.documents_opens) > now) return 'before';
  return Date.parse(ins.documents_deadline) > now ? 'open' : 'closed';
}

function pieceOf(kind) {
  return state.ins.pieces.find((p) => p.kind === kind);
}

function itemOf(kind) {
  return document.getElementById(`piece-${kindId(kind)}`);
}

// ---------------------------------------------------------------------------
// Rendering.

function renderStatusBox() {
  const ins = state.ins;
  const left = ins.pieces.filter((p) => p.status === 'missing' || p.status === 'rejected').length;
  const box = $('#status-box');
  const kind = ins.status === 'cancelled' || ins.status === 'withdrawn' ? 'warning' : (ins.status === 'registered' ? 'info' : 'success');
  const active = ins.status !== 'cancelled' && ins.status !== 'withdrawn';
  box.replaceChildren(el('div', { class: `notice ${kind}`, id: 'dossier-status' },
    ins.candidate_number
      ? el('p', {}, 'Mon numéro de candidat\u00a0: ', el('strong', { id: 'candidate-number', text: ins.candidate_number }))
      : null,
    el('p', {}, 'État de mon inscription\u00a0: ',
      el('span', { class: `badge status-${ins.status}`, id: 'inscription-status', 'data-status': ins.status, text: INSCRIPTION_STATUS[ins.status] || ins.status })),
    el('p', { text: STATUS_TEXT[ins.status] || '' }),
    left && active
      ? el('p', { text: left === 1 ? 'Il reste 1 pièce à déposer.' : `Il reste ${left} pièces à déposer.` }) : null));
  $('#pdf-version').textContent = `(version ${ins.version})`;
  if (!active) {
    $('#confirmation-steps').textContent = nbsp("Votre inscription n'est plus en cours : il n'y a plus de confirmation à dater, à signer ni à envoyer. Vous pouvez encore télécharger sa dernière version pour la garder.");
  }
}

function renderWindow() {
  const ins = state.ins;
  const now = serverNow(state.calendar);
  const deadline = `${formatInstant(ins.documents_deadline)} (heure de Paris)`;
  let text;
  let closed = null;
  switch (phase()) {
    case 'before':
      text = `Le dépôt en ligne ouvrira le ${formatInstant(ins.documents_opens)} (heure de Paris), ${untilOpening(ins.documents_opens, now)}. Vous pourrez alors déposer vos pièces ici, jusqu'au ${deadline}.`;
      break;
    case 'open':
      text = `Vous pouvez déposer vos documents jusqu'au ${deadline} : ${untilClosing(ins.documents_deadline, now)}.`;
      break;
    default:
      if (ins.status === 'withdrawn') {
        text = "Votre inscription est retirée : le dépôt des documents n'est plus ouvert pour elle.";
        closed = 'Les fichiers que vous aviez déposés restent listés ci-dessous, pour mémoire.';
      } else if (ins.status === 'cancelled') {
        text = `Le dépôt des documents s'est terminé le ${deadline}.`;
        closed = "Votre inscription a été annulée : les fichiers ne peuvent plus être ajoutés, remplacés ni supprimés. Si vous aviez envoyé vos pièces par courrier avant cette date (le cachet de la poste faisant foi), contactez la Division des examens et concours du rectorat.";
      } else {
        text = `Le dépôt des documents est clos depuis le ${deadline}.`;
        closed = ins.status === 'registered'
          ? "Les fichiers ne peuvent plus être ajoutés, remplacés ni supprimés. Il manquait des pièces à la date limite : si vous les avez envoyées par courrier avant cette date (le cachet de la poste faisant foi), le rectorat les enregistrera ; sinon, votre inscription sera annulée."
          : 'Les fichiers ne peuvent plus être ajoutés, remplacés ni supprimés. Le rectorat vérifie les pièces reçues : vous serez prévenu par courriel si l’une d’elles est refusée.';
      }
  }
  $('#documents-window').textContent = nbsp(text);
  $('#window-state').replaceChildren(...(closed
    ? [el('div', { class: 'notice warning', id: 'documents-closed' },
      el('h3', { text: 'Dépôt en ligne clos' }),
      el('p', { text: closed }))]
    : []));
}

function pieceStatus(piece) {
  // An office's refusal is said with the refused files; an automatic check's
  // reason (or a superseded confirmation) is something to replace.
  const officeReason = piece.status === 'rejected' && piece.rejected_files.length;
  return el('div', { class: 'piece-status' },
    el('p', {}, 'État\u00a0: ',
      el('span', { class: `badge piece-${piece.status}`, 'data-status': piece.status, text: PIECE_STATUS[piece.status] || piece.status }),
      piece.received_at && piece.status !== 'missing' ? receivedText(piece) : null),
    piece.reason && !officeReason ? el('p', { class: 'reason' }, el('strong', { text: 'À remplacer\u00a0: ' }), piece.reason) : null);
}

/** When and how the piece came: uploaded, or posted (the postmark's day). */
function receivedText(piece) {
  if (piece.channel === 'post' && piece.postmarked_on) {
    return ` – reçue par courrier (cachet de la poste du ${formatDate(piece.postmarked_on)})`;
  }
  return ` – reçue le ${formatInstant(piece.received_at)}`;
}

function fileMeta(file, what) {
  return ` – ${TYPE_NAMES[file.content_type] || 'fichier'}, ${formatSize(file.size_bytes)}, ${what} le ${formatInstant(file.received_at)}`;
}

/** Whether the candidate may still change the files of `piece`. */
function changeable(piece) {
  return phase() === 'open' && piece.status !== 'validated';
}

function fileItem(piece, file) {
  const full = piece.files.length >= MAX_FILES;
  const actions = changeable(piece)
    ? el('span', { class: 'file-actions' },
      // At the limit a replacement (the new file first) cannot be sent.
      full ? null : el('button', { type: 'button', class: 'secondary small', 'data-action': 'replace', 'data-file': file.id },
        'Remplacer', el('span', { class: 'visually-hidden', text: ` « ${file.name} »` })),
      el('button', { type: 'button', class: 'secondary small', 'data-action': 'remove', 'data-file': file.id },
        'Supprimer', el('span', { class: 'visually-hidden', text: ` « ${file.name} »` })))
    : null;
  return el('li', { class: 'file', 'data-file-id': file.id },
    el('span', { class: 'file-text' }, el('span', { class: 'file-name', text: file.name }), fileMeta(file, 'reçu')),
    actions);
}

function filesBlock(piece) {
  const files = piece.files;
  if (!files.length) {
    return piece.channel === 'post' && piece.status !== 'missing'
      ? null : el('p', { class: 'files-none', text: 'Aucun fichier déposé pour cette pièce.' });
  }
  const full = files.length >= MAX_FILES && changeable(piece);
  return el('div', { class: 'files-block' },
    el('p', { class: 'files-count', text: `${files.length >= 2 ? `${files.length} fichiers déposés` : '1 fichier déposé'} (${MAX_FILES} au plus)\u00a0:` }),
    el('ul', { class: 'files' }, files.map((file) => fileItem(piece, file))),
    full ? el('p', { class: 'hint', text: `Pour remplacer un fichier quand la pièce en compte déjà ${MAX_FILES}, supprimez-le, puis déposez le nouveau.` }) : null);
}

function rejectedBlock(piece) {
  if (!piece.rejected_files.length) return null;
  const id = `rejected-${kindId(piece.kind)}`;
  return el('div', { class: 'rejected-files', 'aria-labelledby': `${id}-title`, role: 'group' },
    el('h4', { id: `${id}-title`, text: 'Fichiers refusés par le rectorat' }),
    piece.status === 'rejected' && piece.reason
      ? el('p', { class: 'reason' }, el('strong', { text: 'Motif du refus\u00a0: ' }), piece.reason) : null,
    el('ul', { class: 'files' }, piece.rejected_files.map((file) => el('li', { class: 'file rejected' },
      el('span', { class: 'file-text' }, el('span', { class: 'file-name', text: file.name }), fileMeta(file, 'déposé'))))),
    el('p', { class: 'hint', text: 'Le rectorat les garde, mais ils ne comptent plus pour votre dossier : déposez les fichiers qui les remplacent.' }));
}

function uploadForm(piece) {
  const id = kindId(piece.kind);
  const form = el('form', { class: 'upload', 'data-kind': piece.kind, novalidate: true },
    el('fieldset', {},
      el('legend', { class: 'upload-legend', id: `legend-${id}` }),
      el('p', { class: 'hint upload-note', id: `note-${id}` }),
      el('div', { class: 'field' },
        el('label', { for: `file-${id}` }, 'Fichier à déposer', el('span', { class: 'visually-hidden', text: ` : ${piece.label}` })),
        el('input', { type: 'file', id: `file-${id}`, accept: ACCEPTED.join(','), 'aria-describedby': `note-${id} file-hint` })),
      el('div', { class: 'progress', hidden: true },
        el('label', { for: `progress-${id}`, text: 'Envoi du fichier' }),
        el('progress', { id: `progress-${id}`, max: '100', value: '0' }),
        el('span', { class: 'progress-text', id: `progress-${id}-text`, 'aria-live': 'polite' })),
      el('p', { class: 'actions' },
        el('button', { type: 'submit', class: 'secondary' }),
        el('button', { type: 'button', class: 'link-button', 'data-action': 'cancel-replace', hidden: true }, 'Annuler le remplacement'))));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit(form);
  });
  return form;
}

/** The form as the piece and the window allow: adding, replacing, full, or not open yet. */
function syncForm(form, piece) {
  const replacing = piece.files.find((f) => f.id === form.dataset.replace);
  if (!replacing) delete form.dataset.replace;
  const n = piece.files.length;
  const before = phase() === 'before';
  const full = n >= MAX_FILES && !replacing;
  $('fieldset', form).disabled = before || full;
  let legend;
  if (replacing) legend = `Remplacer « ${replacing.name} »`;
  else legend = n ? 'Ajouter un autre fichier' : 'Déposer un fichier';
  $('legend', form).textContent = nbsp(legend);
  let note;
  if (before) note = `Le dépôt en ligne ouvrira le ${formatInstant(state.ins.documents_opens)} (heure de Paris).`;
  else if (full) note = `Cette pièce compte déjà ${MAX_FILES} fichiers, le plus possible : supprimez-en un pour en déposer un autre.`;
  else if (replacing) note = `Choisissez le nouveau fichier : « ${replacing.name} » ne sera supprimé qu'une fois le nouveau reçu.`;
  else note = `Vous pouvez encore déposer ${plural(MAX_FILES - n, 'fichier', 'fichiers')} pour cette pièce.`;
  $('.upload-note', form).textContent = nbsp(note);
  $('button[type="submit"]', form).textContent = replacing ? 'Remplacer par ce fichier' : 'Déposer ce fichier';
  $('[data-action="cancel-replace"]', form).hidden = !replacing;
}

function pieceItem(piece) {
  const id = kindId(piece.kind);
  const editable = phase() !== 'closed' && piece.status !== 'validated';
  // How to prepare a piece only helps while it can still be sent.
  const guide = editable ? (GUIDES[piece.kind] || (() => []))(state.ins) : [];
  return el('li', { class: 'piece', id: `piece-${id}`, 'data-kind': piece.kind },
    el('h3', { id: `piece-${id}-title`, tabindex: '-1', text: piece.label }),
    guide.length ? el('div', { class: 'piece-guide' }, guide.map((text) => el('p', { text }))) : null,
    el('div', { class: 'piece-body' }),
    editable ? uploadForm(piece) : null,
    // The result of the last action on this piece, announced.
    el('div', { class: 'piece-message', id: `message-${id}`, role: 'status' }));
}

/** Fills (or refills) a piece's status, files and form from the inscription. */
function fillPiece(item, piece) {
  $('.piece-body', item).replaceChildren(...[
    pieceStatus(piece),
    filesBlock(piece),
    piece.status === 'validated' ? el('p', { class: 'hint', text: 'Pièce validée par le rectorat : ses fichiers ne peuvent plus être changés.' }) : null,
    rejectedBlock(piece),
  ].filter(Boolean));
  const form = $('form.upload', item);
  if (form && piece.status === 'validated') form.remove();
  else if (form) syncForm(form, piece);
}

function renderPieces() {
  const list = $('#pieces');
  list.replaceChildren(...state.ins.pieces.map(pieceItem));
  for (const piece of state.ins.pieces) fillPiece(itemOf(piece.kind), piece);
}

/** Shows the inscription as it now is, keeping each piece's element (and its live region). */
function refresh() {
  renderStatusBox();
  renderWindow();
  const shown = Array.from(document.querySelectorAll('#pieces > li.piece')).map((i) => i.dataset.kind);
  if (shown.join() !== state.ins.pieces.map((p) => p.kind).join()) {
    renderPieces();
    return;
  }
  for (const piece of state.ins.pieces) fillPiece(itemOf(piece.kind), piece);
}

async function reload() {
  const answer = await api('GET', '/inscription');
  if (answer.ok) {
    state.ins = answer.data;
    refresh();
  }
  return answer;
}

/** Says the result of an action on the piece, and keeps the focus there (WCAG 2.4.3). */
function announce(kind, text, tone) {
  const item = itemOf(kind);
  if (!item) return;
  const region = $('.piece-message', item);
  const cls = tone === 'success' ? 'success-text' : (tone === 'error' ? 'error-text' : null);
  region.replaceChildren(el('p', { class: cls, text }));
  $('h3', item).focus();
}

// ---------------------------------------------------------------------------
// Uploading.

/** PUTs the file with exactly the ticket's headers, reporting progress. */
function put(ticket, file, onProgress) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open(ticket.method || 'PUT', ticket.upload_url);
    for (const [name, value] of Object.entries(ticket.headers || {})) {
      if (!FORBIDDEN_HEADERS.has(name.toLowerCase())) xhr.setRequestHeader(name, value);
    }
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => resolve({ ok: xhr.status >= 200 && xhr.status < 300, status: xhr.status });
    xhr.onerror = () => resolve({ ok: false, status: 0 });
    xhr.onabort = () => resolve({ ok: false, status: 0 });
    xhr.send(file);
  });
}

function fileProblem(file) {
  if (!file) return "Choisissez d'abord un fichier sur votre appareil.";
  if (!ACCEPTED.includes(file.type)) return "Ce type de fichier n'est pas accepté : choisissez un fichier PDF, JPEG ou PNG.";
  if (file.size === 0) return 'Ce fichier est vide : choisissez-en un autre.';
  if (file.size > MAX_BYTES) return `Ce fichier pèse ${formatSize(file.size)} : 5 Mo au plus sont acceptés. Réduisez sa taille (par exemple en le numérisant en noir et blanc) ou choisissez-en un autre.`;
  return null;
}

/** The file's name as the API takes it: no control character, 200 characters at most. */
function cleanName(name) {
  const clean = Array.from(String(name || '').replace(/\p{Cc}/gu, '').trim()).slice(0, MAX_NAME_CHARS).join('');
  return clean || undefined;
}

/**
 * Sends one file for the piece of `form` and waits for the check's verdict:
 * `{accepted: file}`, `{refused: reason}`, `{pending: true}` (not checked
 * yet), or `{problem}` (the API's refusal) / `{failed: message}` (the upload).
 */
async function sendFile(form, file) {
  const kind = form.dataset.kind;
  const progressBox = $('.progress', form);
  const progress = $('progress', form);
  const progressText = $('.progress-text', form);
  const ticket = await api('POST', `/inscription/pieces/${encodeURIComponent(kind)}/uploads`, {
    content_type: file.type,
    size_bytes: file.size,
    name: cleanName(file.name),
  });
  if (!ticket.ok) return { problem: ticket.problem };
  progressBox.hidden = false;
  progress.value = 0;
  progressText.textContent = nbsp('Envoi en cours : 0 %');
  let announced = 0;
  const sent = await put(ticket.data, file, (fraction) => {
    const percent = Math.round(fraction * 100);
    progress.value = percent;
    // Announced every quarter, not at each event.
    if (percent - announced >= 25 || percent === 100) {
      announced = percent;
      progressText.textContent = nbsp(`Envoi en cours : ${percent} %`);
    }
  });
  if (!sent.ok) {
    progressBox.hidden = true;
    return {
      failed: sent.status === 0
        ? "L'envoi du fichier a été interrompu. Vérifiez votre connexion à Internet, puis réessayez."
        : `L'envoi du fichier a été refusé (code ${sent.status}). Réessayez ; si le problème continue, rechargez cette page et recommencez.`,
    };
  }
  progress.value = 100;
  progressText.textContent = 'Fichier envoyé, vérification en cours…';
  const before = pieceOf(kind) || { files: [] };
  const known = new Set(before.files.map((f) => f.id));
  try {
    for (let i = 0; i < POLL_TRIES; i += 1) {
      const answer = await api('GET', '/inscription');
      if (answer.ok) {
        state.ins = answer.data;
        const piece = pieceOf(kind);
        const added = piece && piece.files.find((f) => !known.has(f.id));
        if (added) return { accepted: added };
        if (piece && piece.reason && (piece.reason !== before.reason || piece.status !== before.status)) {
          return { refused: piece.reason };
        }
      }
      await sleep(POLL_EVERY_MS);
    }
    return { pending: true };
  } finally {
    progressBox.hidden = true;
  }
}

/** The upload form's submit: adds a file, or replaces one (the new first, then the old removed). */
async function submit(form) {
  const kind = form.dataset.kind;
  const input = $('input[type="file"]', form);
  const button = $('button[type="submit"]', form);
  clearErrors(form);
  $('.piece-message', itemOf(kind)).replaceChildren();
  const old = pieceOf(kind).files.find((f) => f.id === form.dataset.replace);
  const kept = old ? ` « ${old.name} » est conservé.` : '';
  // Next to the file input, which takes the focus and says it; when the
  // form is now disabled (the piece is full), in the piece's live region.
  const fail = (message) => {
    if (input.matches(':disabled')) {
      announce(kind, `Erreur : ${message}`, 'error');
      return;
    }
    showFieldError(input, message);
    input.focus();
  };
  const file = input.files[0];
  const problem = fileProblem(file);
  if (problem) {
    fail(problem);
    return;
  }

  button.disabled = true;
  let outcome;
  try {
    outcome = await sendFile(form, file);
  } finally {
    button.disabled = false;
  }
  if (outcome.problem) {
    // The page may be behind (files added from another tab or device).
    if (outcome.problem.code === 'too_many_files' || outcome.problem.code === 'piece_already_validated') await reload();
    fail(outcome.problem.detail + kept);
    return;
  }
  if (outcome.failed) {
    fail(outcome.failed + kept);
    return;
  }
  if (outcome.refused) {
    refresh();
    // The check's reason may already say that the earlier files still count.
    const said = /n'a pas été retenu/.test(outcome.refused) ? outcome.refused : `Ce fichier n'a pas été accepté : ${outcome.refused}`;
    fail(`${said}${kept}`);
    return;
  }
  if (outcome.pending) {
    delete form.dataset.replace;
    refresh();
    const then = old ? ` « ${old.name} » est conservé : une fois le nouveau fichier accepté, supprimez-le s'il ne sert plus.` : '';
    announce(kind, `Votre fichier est bien arrivé et il est en cours de vérification : rechargez cette page dans quelques instants pour voir son état.${then}`, 'info');
    return;
  }
  input.value = '';
  delete form.dataset.replace;
  const received = `Fichier « ${outcome.accepted.name} » reçu (${formatSize(outcome.accepted.size_bytes)}).`;
  if (!old) {
    refresh();
    announce(kind, `${received} Merci !`, 'success');
    return;
  }
  const removed = await api('DELETE', `/inscription/pieces/${encodeURIComponent(kind)}/files/${encodeURIComponent(old.id)}`);
  await reload();
  if (removed.ok || removed.problem.code === 'unknown_file') {
    announce(kind, `${received} Il remplace « ${old.name} », qui a été supprimé.`, 'success');
  } else {
    announce(kind, `${received} Mais « ${old.name} » n'a pas pu être supprimé : ${removed.problem.detail} Il compte toujours pour cette pièce.`, 'error');
  }
}

// ---------------------------------------------------------------------------
// Replacing and removing, from the buttons of each file.

function startReplace(kind, fileId) {
  const item = itemOf(kind);
  const form = $('form.upload', item);
  if (!form) return;
  clearErrors(form);
  form.dataset.replace = fileId;
  syncForm(form, pieceOf(kind));
  $('input[type="file"]', form).focus();
}

function cancelReplace(form) {
  delete form.dataset.replace;
  clearErrors(form);
  syncForm(form, pieceOf(form.dataset.kind));
  $('h3', itemOf(form.dataset.kind)).focus();
}

/** Asks in place before removing: the safe answer has the focus. */
function askRemove(button) {
  const row = button.closest('li.file');
  const file = pieceOf(row.closest('li.piece').dataset.kind).files.find((f) => f.id === button.dataset.file);
  if (!file) return;
  const actions = $('.file-actions', row);
  const no = el('button', { type: 'button', class: 'secondary small', 'data-action': 'keep', 'data-file': file.id },
    'Non, le garder');
  actions.replaceChildren(el('span', { class: 'confirm-remove' },
    el('span', { text: `Supprimer « ${file.name} » ? ` }),
    el('button', { type: 'button', class: 'small danger', 'data-action': 'confirm-remove', 'data-file': file.id },
      'Oui, supprimer', el('span', { class: 'visually-hidden', text: ` « ${file.name} »` })),
    no));
  no.focus();
}

async function remove(kind, fileId, button) {
  const file = pieceOf(kind).files.find((f) => f.id === fileId);
  button.disabled = true;
  const answer = await api('DELETE', `/inscription/pieces/${encodeURIComponent(kind)}/files/${encodeURIComponent(fileId)}`);
  await reload();
  if (answer.ok || answer.problem.code === 'unknown_file') {
    const piece = pieceOf(kind);
    const left = piece ? piece.files.length : 0;
    const after = left
      ? `Il reste ${plural(left, 'fichier', 'fichiers')} pour cette pièce.`
      : `Cette pièce n'a plus de fichier : déposez-en un avant le ${formatInstant(state.ins.documents_deadline)} (heure de Paris).`;
    announce(kind, `Fichier « ${file ? file.name : ''} » supprimé. ${after}`, 'success');
  } else {
    announce(kind, `Erreur : le fichier n'a pas été supprimé. ${answer.problem.detail}`, 'error');
  }
}

function onClick(event) {
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  const kind = button.closest('li.piece').dataset.kind;
  switch (button.dataset.action) {
    case 'replace':
      startReplace(kind, button.dataset.file);
      break;
    case 'cancel-replace':
      cancelReplace(button.closest('form'));
      break;
    case 'remove':
      askRemove(button);
      break;
    case 'keep':
      fillPiece(itemOf(kind), pieceOf(kind));
      $(`button[data-action="remove"][data-file="${button.dataset.file}"]`, itemOf(kind))?.focus();
      break;
    case 'confirm-remove':
      remove(kind, button.dataset.file, button);
      break;
    default:
  }
}

// ---------------------------------------------------------------------------

async function main() {
  const me = await initChrome();
  if (!requireLogin(me)) return;
  const [ins, cal] = await Promise.all([api('GET', '/inscription'), calendar()]);
  $('#loading').hidden = true;
  if (!ins.ok) {
    if (ins.problem.code === 'no_inscription') {
      $('#no-inscription').hidden = false;
    } else {
      showProblem($('#documents'), ins.problem);
    }
    return;
  }
  state.ins = ins.data;
  state.calendar = cal.ok ? cal.data : null;
  $('#pieces').addEventListener('click', onClick);
  renderStatusBox();
  renderWindow();
  renderPieces();
  $('#documents').hidden = false;
}

main();
