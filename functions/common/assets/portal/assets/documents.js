// « Mes documents »: the confirmation PDF, and each required piece to upload
// to a presigned URL, with a progress bar, its status and any reason for a
// refusal.

import { api, calendar, serverNow } from './api.js';
import {
  $, $$, clearErrors, el, formatDate, formatInstant, initChrome, INSCRIPTION_STATUS, nbsp, PIECE_STATUS, requireLogin,
  showFieldError, showProblem, untilClosing, untilOpening,
} from './ui.js';

const ACCEPTED = ['application/pdf', 'image/jpeg', 'image/png'];
const MAX_BYTES = 5 * 1024 * 1024;
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
};

const state = { ins: null, calendar: null };

function sleep(ms) {
  return new Promise((resolve) => { setTimeout(resolve, ms); });
}

function kindId(kind) {
  return kind.replace(/[^A-Za-z0-9_-]/g, '_');
}

// ---------------------------------------------------------------------------
// Rendering.

function renderStatusBox() {
  const ins = state.ins;
  const left = ins.pieces.filter((p) => p.status === 'missing' || p.status === 'rejected').length;
  const box = $('#status-box');
  const kind = ins.status === 'cancelled' ? 'warning' : (ins.status === 'registered' ? 'info' : 'success');
  box.replaceChildren(el('div', { class: `notice ${kind}`, 'aria-live': 'polite', id: 'dossier-status' },
    ins.candidate_number
      ? el('p', {}, 'Mon numéro de candidat\u00a0: ', el('strong', { id: 'candidate-number', text: ins.candidate_number }))
      : null,
    el('p', {}, 'État de mon inscription\u00a0: ',
      el('span', { class: `badge status-${ins.status}`, id: 'inscription-status', 'data-status': ins.status, text: INSCRIPTION_STATUS[ins.status] || ins.status })),
    el('p', { text: STATUS_TEXT[ins.status] || '' }),
    left && ins.status !== 'cancelled'
      ? el('p', { text: left === 1 ? 'Il reste 1 pièce à déposer.' : `Il reste ${left} pièces à déposer.` }) : null));
  $('#pdf-version').textContent = `(version ${ins.version})`;
}

function renderWindow() {
  const ins = state.ins;
  const now = serverNow(state.calendar);
  let text;
  if (ins.status === 'cancelled') {
    text = `Le dépôt des documents s'est terminé le ${formatInstant(ins.documents_deadline)} (heure de Paris).`;
  } else if (Date.parse(ins.documents_opens) > now) {
    text = `Le dépôt des documents ouvrira le ${formatInstant(ins.documents_opens)} (heure de Paris), ${untilOpening(ins.documents_opens, now)}. Vous pourrez alors déposer vos pièces ici.`;
  } else if (Date.parse(ins.documents_deadline) > now) {
    text = `Vous pouvez déposer vos documents jusqu'au ${formatInstant(ins.documents_deadline)} (heure de Paris) : ${untilClosing(ins.documents_deadline, now)}.`;
  } else {
    text = `Le dépôt des documents est clos depuis le ${formatInstant(ins.documents_deadline)} (heure de Paris).`;
  }
  $('#documents-window').textContent = nbsp(text);
}

function pieceStatus(piece) {
  return el('div', { class: 'piece-status' },
    el('p', {}, 'État\u00a0: ',
      el('span', { class: `badge piece-${piece.status}`, 'data-status': piece.status, text: PIECE_STATUS[piece.status] || piece.status }),
      piece.received_at && piece.status !== 'missing' ? receivedText(piece) : null),
    piece.reason ? el('p', { class: 'reason' }, el('strong', { text: 'À remplacer\u00a0: ' }), piece.reason) : null);
}

/** When and how the piece came: uploaded, or posted (the postmark's day). */
function receivedText(piece) {
  if (piece.channel === 'post' && piece.postmarked_on) {
    return ` – reçue par courrier (cachet de la poste du ${formatDate(piece.postmarked_on)})`;
  }
  return ` – reçue le ${formatInstant(piece.received_at)}`;
}

function buttonText(piece) {
  return piece.status === 'received' ? 'Remplacer par ce fichier' : 'Déposer ce fichier';
}

function uploadForm(piece) {
  const id = kindId(piece.kind);
  const form = el('form', { class: 'upload', 'data-kind': piece.kind, novalidate: true },
    el('div', { class: 'field' },
      el('label', { for: `file-${id}` }, 'Fichier à déposer', el('span', { class: 'visually-hidden', text: ` : ${piece.label}` })),
      el('input', { type: 'file', id: `file-${id}`, accept: ACCEPTED.join(','), 'aria-describedby': 'file-hint' })),
    el('div', { class: 'progress', hidden: true },
      el('label', { for: `progress-${id}`, text: 'Envoi du fichier' }),
      el('progress', { id: `progress-${id}`, max: '100', value: '0' }),
      el('span', { class: 'progress-text', id: `progress-${id}-text`, 'aria-live': 'polite' })),
    el('p', { class: 'actions' }, el('button', { type: 'submit', class: 'secondary' }, buttonText(piece))),
    el('div', { class: 'upload-result', 'aria-live': 'polite' }));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    upload(form);
  });
  return form;
}

function renderPieces() {
  const list = $('#pieces');
  list.replaceChildren();
  for (const piece of state.ins.pieces) {
    const id = kindId(piece.kind);
    const editable = piece.status !== 'validated' && state.ins.status !== 'cancelled';
    list.append(el('li', { class: 'piece', id: `piece-${id}`, 'data-kind': piece.kind },
      el('h3', { text: piece.label }),
      pieceStatus(piece),
      editable ? uploadForm(piece) : null));
  }
}

/** Updates the statuses in place (the file inputs keep what was chosen). */
function refreshStatuses() {
  renderStatusBox();
  for (const piece of state.ins.pieces) {
    const item = document.getElementById(`piece-${kindId(piece.kind)}`);
    if (!item) {
      renderPieces();
      return;
    }
    $('.piece-status', item).replaceWith(pieceStatus(piece));
    const button = $('form.upload button[type="submit"]', item);
    if (button) button.textContent = buttonText(piece);
    if (piece.status === 'validated') $$('form.upload', item).forEach((f) => f.remove());
  }
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
  if (file.size > MAX_BYTES) return `Ce fichier pèse ${(file.size / 1048576).toFixed(1).replace('.', ',')} Mo : 5 Mo au plus sont acceptés. Réduisez sa taille (par exemple en le numérisant en noir et blanc) ou choisissez-en un autre.`;
  return null;
}

async function upload(form) {
  const kind = form.dataset.kind;
  const input = $('input[type="file"]', form);
  const button = $('button[type="submit"]', form);
  const progressBox = $('.progress', form);
  const progress = $('progress', form);
  const progressText = $('.progress-text', form);
  const result = $('.upload-result', form);
  clearErrors(form);
  result.replaceChildren();

  const fail = (message) => {
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
  try {
    const ticket = await api('POST', `/inscription/pieces/${encodeURIComponent(kind)}/uploads`, {
      content_type: file.type,
      size_bytes: file.size,
    });
    if (!ticket.ok) {
      fail(ticket.problem.detail);
      return;
    }
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
      fail(sent.status === 0
        ? "L'envoi du fichier a été interrompu. Vérifiez votre connexion à Internet, puis réessayez."
        : `L'envoi du fichier a été refusé (code ${sent.status}). Réessayez ; si le problème continue, recommencez depuis cette page rechargée.`);
      return;
    }
    progress.value = 100;
    progressText.textContent = 'Fichier envoyé, vérification en cours…';
    const before = state.ins.pieces.find((p) => p.kind === kind) || {};
    let piece = null;
    for (let i = 0; i < POLL_TRIES; i += 1) {
      const answer = await api('GET', '/inscription');
      if (answer.ok) {
        state.ins = answer.data;
        piece = state.ins.pieces.find((p) => p.kind === kind);
        const decided = piece && (piece.received_at !== before.received_at || piece.reason !== before.reason
          || piece.status !== before.status);
        if (decided) break;
      }
      await sleep(POLL_EVERY_MS);
    }
    refreshStatuses();
    progressBox.hidden = true;
    if (piece && (piece.status === 'received' || piece.status === 'validated') && piece.received_at !== before.received_at) {
      input.value = '';
      result.replaceChildren(el('p', { class: 'success-text', text: `Fichier « ${file.name} » reçu. Merci !` }));
    } else if (piece && piece.reason && piece.reason !== before.reason) {
      fail(`Ce fichier n'a pas été accepté : ${piece.reason}`);
    } else {
      result.replaceChildren(el('p', { text: 'Votre fichier est bien arrivé et il est en cours de vérification : rechargez cette page dans quelques instants pour voir son état.' }));
    }
  } finally {
    button.disabled = false;
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
  renderStatusBox();
  renderWindow();
  renderPieces();
  $('#documents').hidden = false;
}

main();
