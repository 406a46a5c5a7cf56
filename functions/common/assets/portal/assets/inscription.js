// The inscription form: PUT /inscription with the version last read.

import { api, calendar, serverNow } from './api.js';
import {
  birthDateConfirmed, fillBirthDate, fillBirthPlace, initBirthPlace, readBirthDate, readBirthPlaceFields, syncBirthQuestion,
} from './birth.js';
import { countries } from './countries.js';
import { guardSession } from './session.js';
import {
  $, $$, busy, clearErrors, el, formatDeadline, formatInstant, initChrome, nbsp, requireLogin, showNotice, showProblem,
  untilClosing, untilOpening,
} from './ui.js';

const form = $('#inscription-form');
const diploma = $('#f-diploma');
const specialty = $('#f-specialty');
const unitsBox = $('#acquis-units');
const optionsBox = $('#options-units');
const windowNote = $('#window-note');

const state = {
  catalogue: null,
  calendar: null,
  version: 0,
  // The unit of each item of the last `acquis` sent, to place its errors.
  sentUnits: [],
  // The same for the last `options` sent.
  sentOptions: [],
  // The inscription as last read from the API (null before the first save),
  // and the form's content as it showed it: what « changed » is measured from.
  saved: null,
  savedBody: null,
  readOnly: false,
  // The session's watch (session.js), once the account is known.
  session: null,
};

const KIND_LABEL = { professional: 'épreuve professionnelle', general: 'épreuve générale', optional: 'épreuve facultative' };

function unitId(code) {
  return code.replace(/[^A-Za-z0-9_-]/g, '_');
}

function option(value, text, selected = false) {
  return el('option', { value, selected }, text);
}

// ---------------------------------------------------------------------------
// Lists that follow one another: diploma → specialty → units.

function currentDiploma() {
  return state.catalogue.diplomas.find((d) => d.diploma === diploma.value) || null;
}

function currentSpecialty() {
  const d = currentDiploma();
  return d ? d.specialties.find((s) => s.code === specialty.value) || null : null;
}

function fillSpecialties(selected) {
  const d = currentDiploma();
  specialty.replaceChildren(option('', d ? 'Choisissez une spécialité' : "Choisissez d'abord un diplôme"));
  if (d) {
    for (const s of d.specialties) specialty.append(option(s.code, s.label, s.code === selected));
  }
  showChosenSpecialty();
}

/** The chosen specialty's whole name under the list: a phone's list cuts it. */
function showChosenSpecialty() {
  const s = currentSpecialty();
  $('#f-specialty-chosen').textContent = nbsp(s ? `Spécialité choisie : ${s.label}` : '');
}

/** The acquis typed so far, by unit code. */
function acquisValues() {
  const values = {};
  for (const row of $$('.unit', unitsBox)) {
    const code = row.dataset.unit;
    values[code] = {
      type: $('select', row).value,
      grade: $('input[data-leaf="grade"]', row).value,
      year: $('input[data-leaf="year"]', row).value,
    };
  }
  return values;
}

function syncUnitRow(row) {
  const type = $('select', row).value;
  const gradeField = $('[data-leaf="grade"]', row).closest('.field');
  const yearField = $('[data-leaf="year"]', row).closest('.field');
  gradeField.hidden = type !== 'benefit';
  yearField.hidden = type === '';
  $('.unit-details', row).hidden = type === '';
  $('.year-label', row).textContent = type === 'benefit'
    ? 'Année de la session où la note a été obtenue'
    : "Année d'obtention du diplôme ou du titre";
}

function renderUnits(values = acquisValues()) {
  const s = currentSpecialty();
  unitsBox.replaceChildren();
  $('#acquis-empty').hidden = Boolean(s);
  if (!s) return;
  for (const unit of s.units) {
    const id = unitId(unit.code);
    const v = values[unit.code] || { type: '', grade: '', year: '' };
    const row = el('div', { class: 'unit', role: 'group', id: `unit-${id}`, 'data-unit': unit.code, 'aria-labelledby': `unit-${id}-title` },
      el('p', { class: 'unit-title', id: `unit-${id}-title` },
        el('span', { class: 'unit-code', text: unit.code }), ' ', el('span', { class: 'unit-label', text: unit.label }),
        el('span', { class: 'unit-kind', text: ` (${KIND_LABEL[unit.kind] || 'épreuve'})` })),
      el('div', { class: 'field unit-type' },
        el('label', { for: `acq-${id}-type`, id: `acq-${id}-type-label`, text: 'Acquis' }),
        // Named « Acquis E11 Économie-droit ... » for screen readers.
        el('select', { id: `acq-${id}-type`, 'data-leaf': 'type', 'aria-labelledby': `acq-${id}-type-label unit-${id}-title` },
          option('', 'Aucun', v.type === ''),
          option('dispense', "Dispense d'épreuve", v.type === 'dispense'),
          option('benefit', 'Bénéfice de note', v.type === 'benefit'))),
      el('div', { class: 'unit-details' },
        el('div', { class: 'field' },
          el('label', { for: `acq-${id}-grade`, text: 'Note conservée, sur 20' }),
          el('p', { class: 'hint', id: `acq-${id}-grade-hint`, text: 'De 10 à 20, par exemple 12,5.' }),
          el('input', {
            id: `acq-${id}-grade`, 'data-leaf': 'grade', type: 'text', inputmode: 'decimal', class: 'short',
            autocomplete: 'off', value: v.grade, 'aria-describedby': `acq-${id}-grade-hint`,
          })),
        el('div', { class: 'field' },
          el('label', { for: `acq-${id}-year`, class: 'year-label' }),
          el('p', { class: 'hint', id: `acq-${id}-year-hint`, text: 'Quatre chiffres, par exemple 2019.' }),
          el('input', {
            id: `acq-${id}-year`, 'data-leaf': 'year', type: 'text', inputmode: 'numeric', class: 'short',
            autocomplete: 'off', value: v.year, 'aria-describedby': `acq-${id}-year-hint`,
          }))));
    unitsBox.append(row);
    syncUnitRow(row);
  }
}

// ---------------------------------------------------------------------------
// The optional units (épreuves facultatives) chosen, with their language.

/** The options ticked so far, by unit code: { language }. */
function optionValues() {
  const values = {};
  for (const row of $$('.option', optionsBox)) {
    if (!$('input[type="checkbox"]', row).checked) continue;
    const select = $('select', row);
    values[row.dataset.option] = { language: select ? select.value : '' };
  }
  return values;
}

function syncOptionRow(row) {
  const language = $('.option-language', row);
  if (language) language.hidden = !$('input[type="checkbox"]', row).checked;
}

function renderOptions(values = optionValues()) {
  const s = currentSpecialty();
  const optional = s ? s.units.filter((u) => u.kind === 'optional') : [];
  optionsBox.replaceChildren();
  $('#options-empty').hidden = optional.length > 0;
  // Only where the specialty has optional units.
  $('#options').hidden = Boolean(s) && optional.length === 0;
  $('#options-empty').textContent = s
    ? "Cette spécialité ne comporte pas d'épreuve facultative."
    : "Choisissez d'abord un diplôme et une spécialité pour voir ses épreuves facultatives.";
  for (const unit of optional) {
    const id = unitId(unit.code);
    const chosen = values[unit.code];
    const row = el('div', { class: 'unit option', 'data-option': unit.code },
      el('div', { class: 'radio' },
        el('input', { type: 'checkbox', id: `opt-${id}-unit`, checked: Boolean(chosen), 'aria-describedby': 'options-hint' }),
        el('label', { for: `opt-${id}-unit` }, `Je présente l'épreuve ${unit.code} – ${unit.label}`)));
    if (unit.languages && unit.languages.length) {
      const select = el('select', { id: `opt-${id}-language` }, option('', 'Choisissez une langue'));
      for (const code of unit.languages) {
        select.append(option(code, LANGUAGE_NAMES[code] || code, Boolean(chosen) && chosen.language === code));
      }
      row.append(el('div', { class: 'field option-language' },
        el('label', { for: `opt-${id}-language`, text: `Langue de l'épreuve ${unit.code}` }), select));
    }
    optionsBox.append(row);
    syncOptionRow(row);
  }
}

optionsBox.addEventListener('change', (event) => {
  if (event.target.matches('input[type="checkbox"]')) syncOptionRow(event.target.closest('.option'));
});

/** French names of the languages the catalogue may list (ISO 639-1). */
const LANGUAGE_NAMES = {
  am: 'amharique', ar: 'arabe', bg: 'bulgare', br: 'breton', ca: 'catalan', co: 'corse', cs: 'tchèque',
  da: 'danois', de: 'allemand', el: 'grec moderne', en: 'anglais', es: 'espagnol', eu: 'basque',
  fa: 'persan', fi: 'finnois', he: 'hébreu moderne', hr: 'croate', hu: 'hongrois', hy: 'arménien',
  is: 'islandais', it: 'italien', ja: 'japonais', km: 'cambodgien', lo: 'laotien', mg: 'malgache',
  nl: 'néerlandais', no: 'norvégien', oc: 'occitan', pl: 'polonais', pt: 'portugais', ro: 'roumain',
  ru: 'russe', sr: 'serbe', sv: 'suédois', tr: 'turc', ty: 'tahitien', vi: 'vietnamien', zh: 'chinois',
};

unitsBox.addEventListener('change', (event) => {
  if (event.target.matches('select[data-leaf="type"]')) syncUnitRow(event.target.closest('.unit'));
});

// ---------------------------------------------------------------------------
// The registration window of the chosen diploma.

/** « dimanche 7 novembre à 23 h 59 (heure de Paris) ». */
function paris(iso) {
  return `${formatDeadline(iso)} (heure de Paris)`;
}

/** The diplomas whose registration window is open now. */
function openDiplomas(now) {
  return state.calendar.diplomas.filter((d) => d.registration.open !== false
    && Date.parse(d.registration.opens) <= now && Date.parse(d.registration.closes) > now);
}

function diplomaName(code) {
  const d = state.catalogue.diplomas.find((x) => x.diploma === code);
  return d ? d.label : code;
}

/** What a candidate whose window has closed can still do, as list items. */
function stillPossible(now) {
  const items = [];
  const ins = state.saved;
  if (ins) {
    const owed = ins.pieces.some((p) => p.status !== 'received' && p.status !== 'validated');
    if (owed && Date.parse(ins.documents_deadline) > now) {
      items.push(el('li', {}, 'envoyer votre confirmation signée et vos pièces jusqu\'au ', paris(ins.documents_deadline),
        ', dans ', el('a', { href: '/mes-documents', text: '« Mes documents »' }), ' ou par courrier postal ;'));
    }
    items.push(el('li', { text: "si vous relevez une erreur sur votre confirmation imprimée, la corriger au stylo rouge avant de l'envoyer ;" }));
  } else {
    const open = openDiplomas(now);
    if (open.length) {
      items.push(el('li', {
        text: `vous inscrire dans un diplôme dont les inscriptions sont encore ouvertes : ${open.map((d) => `${diplomaName(d.diploma)} jusqu'au ${paris(d.registration.closes)}`).join(' ; ')} ;`,
      }));
    }
    items.push(el('li', { text: 'préparer votre inscription à la session suivante, dont les dates seront publiées sur ce site ;' }));
  }
  items.push(el('li', { text: 'pour toute question, contacter la Division des examens et concours (DIEC) du rectorat.' }));
  return el('ul', {}, items);
}

function renderWindow() {
  windowNote.replaceChildren();
  const now = serverNow(state.calendar);
  const code = state.saved && state.readOnly ? state.saved.diploma : diploma.value;
  const d = state.calendar && state.calendar.diplomas.find((x) => x.diploma === code);
  if (!d) {
    // A late arrival with no diploma chosen: say it before they type anything.
    if (!state.saved && !openDiplomas(now).length && !state.calendar.diplomas.some((x) => Date.parse(x.registration.opens) > now)) {
      windowNote.append(el('div', { class: 'notice warning', id: 'late-note' },
        el('p', { text: `Les inscriptions de la session ${state.calendar.session} sont closes pour tous les diplômes. Vous pouvez encore :` }),
        stillPossible(now)));
    }
    return;
  }
  const { opens, closes } = d.registration;
  const label = diplomaName(code).toLowerCase();
  if (Date.parse(opens) > now) {
    windowNote.append(el('div', { class: 'notice warning' }, el('p', {
      text: `Les inscriptions en ${label} ouvriront le ${formatInstant(opens)} (heure de Paris), ${untilOpening(opens, now)}.`,
    })));
  } else if (Date.parse(closes) > now) {
    windowNote.append(el('div', { class: 'notice info' }, el('p', {
      text: `Les inscriptions en ${label} sont ouvertes jusqu'au ${formatInstant(closes)} (heure de Paris) : ${untilClosing(closes, now)}.`,
    })));
  } else {
    // Closed: an inscription is shown as it stands; a newcomer learns what is left.
    const why = state.saved
      ? `Les inscriptions en ${label} sont closes depuis le ${formatInstant(closes)} (heure de Paris) : votre inscription ne peut plus être modifiée en ligne (notice, « aucune modification ne pourra être prise en compte après la fin des inscriptions »). Elle est affichée ci-dessous telle qu'elle est enregistrée. Vous pouvez encore :`
      : `Les inscriptions en ${label} sont closes depuis le ${formatInstant(closes)} (heure de Paris) : il n'est plus possible de s'y inscrire pour cette session. Vous pouvez encore :`;
    windowNote.append(el('div', { class: 'notice warning', id: 'closed-note' }, el('p', { text: why }), stillPossible(now)));
  }
}

diploma.addEventListener('change', () => {
  fillSpecialties('');
  renderUnits();
  renderOptions();
  renderWindow();
});
specialty.addEventListener('change', () => {
  showChosenSpecialty();
  renderUnits();
  renderOptions();
});

// ---------------------------------------------------------------------------
// Disability: the second question and the académie's link.

function radioValue(name) {
  const checked = form.querySelector(`input[name="${name}"]:checked`);
  return checked ? checked.value === 'true' : null;
}

function setRadio(name, value) {
  for (const input of $$(`input[name="${name}"]`, form)) {
    input.checked = value !== null && value !== undefined && input.value === String(value);
  }
}

function syncDisability() {
  const declared = radioValue('disability.declared');
  const existing = radioValue('disability.existing_accommodation');
  $('#disability-existing').hidden = declared !== true;
  $('#accommodation-new').hidden = !(declared === true && existing === false);
  $('#accommodation-existing').hidden = !(declared === true && existing === true);
}

form.addEventListener('change', (event) => {
  if (event.target.name && event.target.name.startsWith('disability.')) syncDisability();
});

// ---------------------------------------------------------------------------
// Reading and writing the form.

/** Today in Paris (« YYYY-MM-DD »), by the server's clock: the API's « today ». */
function today() {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Paris' }).format(new Date(serverNow(state.calendar)));
}

// The date's question when a date is complete, not while it is being typed.
for (const input of $$('#birth-date input[type="text"]')) {
  input.addEventListener('change', () => {
    const date = readBirthDate(today(), state.calendar.session);
    syncBirthQuestion(date.error ? {} : date);
  });
}

// Acquis: the question first, the units' rows after « Oui ».
function syncAcquis() {
  $('#acquis').hidden = radioValue('acquis.question') !== true;
}

form.addEventListener('change', (event) => {
  if (event.target.name === 'acquis.question') syncAcquis();
});

// A candidate typing is not idle: their session stays open.
form.addEventListener('input', () => { if (state.session) state.session.activity(); });

function field(name) {
  return form.querySelector(`[name="${name}"]`);
}

function fill(ins) {
  diploma.value = ins.diploma;
  fillSpecialties(ins.specialty);
  const id = ins.identity;
  const values = {
    'identity.last_name': id.last_name,
    'identity.first_names': id.first_names,
    'identity.nationality': id.nationality,
    'identity.address.line1': id.address.line1,
    'identity.address.line2': id.address.line2 || '',
    'identity.address.postal_code': id.address.postal_code,
    'identity.address.city': id.address.city,
    'identity.address.country': id.address.country,
    'identity.phone': id.phone,
  };
  for (const [name, value] of Object.entries(values)) field(name).value = value;
  fillBirthDate(id.birth_date);
  // A saved date was confirmed when it was saved.
  syncBirthQuestion(readBirthDate(today(), state.calendar.session), { keepAnswer: true });
  $('#f-birth_date-confirmed').checked = true;
  // Inscriptions saved before the birth fields existed have neither.
  fillBirthPlace(id);
  setRadio('acquis.question', ins.acquis.length > 0);
  syncAcquis();
  setRadio('disability.declared', ins.disability.declared);
  setRadio('disability.existing_accommodation', ins.disability.declared ? ins.disability.existing_accommodation : null);
  syncDisability();
  const acquis = {};
  for (const a of ins.acquis) {
    acquis[a.unit] = {
      type: a.type,
      grade: a.grade === undefined || a.grade === null ? '' : String(a.grade).replace('.', ','),
      year: String(a.year),
    };
  }
  renderUnits(acquis);
  const options = {};
  for (const o of ins.options || []) options[o.unit] = { language: o.language || '' };
  renderOptions(options);
  state.version = ins.version;
  state.saved = ins;
  state.readOnly = Date.parse(ins.registration_closes) <= serverNow(state.calendar);
  renderWindow();
  if (state.readOnly) makeReadOnly();
  state.savedBody = read().body;
  syncSave();
}

/** The body of PUT /inscription, and the errors found before sending it. */
function read() {
  const errors = [];
  const text = (name) => field(name).value;
  const address = {
    line1: text('identity.address.line1'),
    postal_code: text('identity.address.postal_code'),
    city: text('identity.address.city'),
    country: text('identity.address.country'),
  };
  if (text('identity.address.line2').trim()) address.line2 = text('identity.address.line2');
  const disability = {};
  const declared = radioValue('disability.declared');
  if (declared !== null) disability.declared = declared;
  if (declared === true) {
    const existing = radioValue('disability.existing_accommodation');
    if (existing !== null) disability.existing_accommodation = existing;
  }
  const date = readBirthDate(today(), state.calendar.session);
  if (date.error) errors.push({ field: 'identity.birth_date', message: date.error });
  const birthPlace = readBirthPlaceFields(errors);
  const acquis = [];
  state.sentUnits = [];
  const withAcquis = radioValue('acquis.question') === true;
  for (const row of withAcquis ? $$('.unit', unitsBox) : []) {
    const type = $('select', row).value;
    if (!type) continue;
    const index = acquis.length;
    const item = { unit: row.dataset.unit, type };
    const gradeText = $('input[data-leaf="grade"]', row).value.trim();
    const yearText = $('input[data-leaf="year"]', row).value.trim();
    if (type === 'benefit' && gradeText) {
      const grade = Number(gradeText.replace(',', '.'));
      if (Number.isFinite(grade) && /^\d+([.,]\d+)?$/.test(gradeText)) item.grade = grade;
      else errors.push({ field: `acquis[${index}].grade`, message: 'La note doit être un nombre, par exemple 12,5.' });
    }
    if (yearText) {
      if (/^\d{4}$/.test(yearText)) item.year = Number(yearText);
      else errors.push({ field: `acquis[${index}].year`, message: "Indiquez l'année sur quatre chiffres, par exemple 2019." });
    }
    acquis.push(item);
    state.sentUnits.push(row.dataset.unit);
  }
  if (withAcquis && !acquis.length && currentSpecialty()) {
    errors.push({
      field: 'acquis.question',
      message: 'Indiquez, pour au moins une épreuve, la dispense ou le bénéfice de note, ou répondez « Non, aucun ».',
    });
  }
  const options = [];
  state.sentOptions = [];
  for (const [unit, value] of Object.entries(optionValues())) {
    const item = { unit };
    if (value.language) item.language = value.language;
    options.push(item);
    state.sentOptions.push(unit);
  }
  const identity = {
    last_name: text('identity.last_name'),
    first_names: text('identity.first_names'),
    birth_date: date.iso,
    ...birthPlace,
    nationality: text('identity.nationality'),
    address,
    phone: text('identity.phone'),
  };
  const body = {
    diploma: diploma.value,
    specialty: specialty.value,
    identity,
    disability,
    acquis,
    options,
    version: state.version,
  };
  return { body, errors };
}

// ---------------------------------------------------------------------------
// What changed since the last read, in French, and « Enregistrer » only
// when something did: a save that changes nothing must never be invited.

const FIELD_LABELS = {
  diploma: 'Diplôme',
  specialty: 'Spécialité',
  'identity.last_name': 'Nom de famille',
  'identity.first_names': 'Prénoms',
  'identity.birth_date': 'Date de naissance',
  'identity.birth_place': 'Lieu de naissance',
  'identity.birth_department': 'Département de naissance',
  'identity.birth_country': 'État de naissance',
  'identity.nationality': 'Nationalité',
  'identity.address.line1': 'Adresse',
  'identity.address.line2': "Complément d'adresse",
  'identity.address.postal_code': 'Code postal',
  'identity.address.city': 'Commune',
  'identity.address.country': 'Pays',
  'identity.phone': 'Téléphone',
  disability: 'Situation de handicap',
  acquis: 'Acquis (dispenses et bénéfices de notes)',
  options: 'Épreuves facultatives',
};

/** The body as {path: comparable value}; lists and disability compared whole. */
function flatten(body) {
  const flat = {};
  const walk = (value, path) => {
    if (value && typeof value === 'object' && !Array.isArray(value) && path !== 'disability') {
      for (const [key, inner] of Object.entries(value)) walk(inner, path ? `${path}.${key}` : key);
    } else {
      flat[path] = JSON.stringify(value === undefined ? '' : value);
    }
  };
  const { version, ...rest } = body;
  walk(rest, '');
  return flat;
}

/** The French labels of the fields that differ between two bodies, in form order. */
function changedFields(before, after) {
  const a = flatten(before);
  const b = flatten(after);
  const paths = new Set([...Object.keys(a), ...Object.keys(b)]);
  const changed = [...paths].filter((p) => (a[p] || '""') !== (b[p] || '""'));
  const labels = Object.keys(FIELD_LABELS).filter((p) => changed.includes(p)).map((p) => FIELD_LABELS[p]);
  // A field this list does not know yet is still a change.
  return changed.some((p) => !FIELD_LABELS[p]) ? [...labels, 'Autres informations'] : labels;
}

function currentChanges() {
  return state.savedBody ? changedFields(state.savedBody, read().body) : null;
}

/** « Enregistrer » is disabled, and says why, while the saved inscription is unchanged. */
function syncSave() {
  const save = $('#save');
  const hint = $('#save-hint');
  const unchanged = state.savedBody !== null && !state.readOnly && currentChanges().length === 0;
  save.disabled = unchanged;
  save.toggleAttribute('data-unchanged', unchanged);
  hint.textContent = unchanged ? 'Aucune modification à enregistrer : modifiez une information pour pouvoir enregistrer.' : '';
}

form.addEventListener('input', () => { if (!state.readOnly) syncSave(); });
form.addEventListener('change', () => { if (!state.readOnly) syncSave(); });

/** After the registration window: every field shown, none editable, no button. */
function makeReadOnly() {
  for (const control of $$('input, select, textarea, button', form)) control.disabled = true;
  $('#save').closest('.actions').hidden = true;
  $('.hint', form).textContent = "Votre inscription telle qu'elle est enregistrée (version "
    + `${state.version}). Les inscriptions étant closes, elle ne peut plus être modifiée en ligne.`;
}

// ---------------------------------------------------------------------------
// A save that would void a signed confirmation: say what it costs, and ask.

/** The signed confirmation if it has been received or validated, else null. */
function signedConfirmation() {
  const piece = state.saved && state.saved.pieces.find((p) => p.kind === 'signed_confirmation');
  return piece && (piece.status === 'received' || piece.status === 'validated') ? piece : null;
}

function costText(piece) {
  const how = piece.channel === 'post' ? 'reçue par courrier' : 'déposée';
  const when = piece.received_at ? ` le ${paris(piece.received_at)}` : '';
  const validated = piece.status === 'validated' ? ' et déjà validée par le rectorat' : '';
  const deadline = Date.parse(state.saved.documents_deadline) > serverNow(state.calendar)
    ? ` Sans elle, votre inscription sera annulée le ${paris(state.saved.documents_deadline)}.`
    : '';
  return `Votre confirmation signée ${how}${when}${validated} ne sera plus valable : il faudra imprimer, dater et signer la nouvelle confirmation, puis l'envoyer.${deadline}`;
}

/** Opens the dialog; resolves to true when the candidate confirms the save. */
function confirmVoiding(piece, changes) {
  const dialog = $('#void-dialog');
  $('#void-cost').textContent = costText(piece);
  $('#void-changes').replaceChildren(...changes.map((label) => el('li', { text: label })));
  return new Promise((resolve) => {
    const done = (answer) => {
      dialog.removeEventListener('close', onClose);
      $('#void-confirm').onclick = null;
      $('#void-cancel').onclick = null;
      resolve(answer);
    };
    // Escape closes a modal dialog: that is a « no ».
    const onClose = () => {
      done(dialog.returnValue === 'confirm');
      $('#save').focus();
    };
    dialog.addEventListener('close', onClose);
    $('#void-confirm').onclick = () => dialog.close('confirm');
    $('#void-cancel').onclick = () => dialog.close('cancel');
    dialog.returnValue = '';
    dialog.showModal();
    // The safe answer first.
    $('#void-cancel').focus();
  });
}

/** The input or group an API field path names. */
function resolve(path) {
  const group = form.querySelector(`fieldset[data-field="${path}"]`);
  if (group) return group.hidden ? null : group;
  const acquis = /^acquis\[(\d+)\]\.(\w+)$/.exec(path);
  if (acquis) {
    const unit = state.sentUnits[Number(acquis[1])];
    if (unit === undefined) return null;
    const leaf = acquis[2] === 'unit' ? 'type' : acquis[2];
    return document.getElementById(`acq-${unitId(unit)}-${leaf}`);
  }
  const chosen = /^options\[(\d+)\]\.(\w+)$/.exec(path);
  if (chosen) {
    const unit = state.sentOptions[Number(chosen[1])];
    if (unit === undefined) return null;
    return document.getElementById(`opt-${unitId(unit)}-${chosen[2]}`);
  }
  if (path === 'birth_date_confirmed') return $('#f-birth_date-confirmed');
  const input = field(path);
  return input && input.type !== 'radio' ? input : null;
}

// ---------------------------------------------------------------------------
// Loading and saving.

async function load() {
  const answer = await api('GET', '/inscription');
  if (answer.ok) {
    fill(answer.data);
    return true;
  }
  if (answer.problem.code === 'no_inscription') {
    state.version = 0;
    return true;
  }
  showProblem(form, answer.problem);
  return false;
}

function reloadButton() {
  const button = el('button', { type: 'button', class: 'secondary', text: 'Recharger mon inscription' });
  button.addEventListener('click', async () => {
    clearErrors(form);
    $$('.notice.success', form.parentNode).forEach((n) => n.remove());
    if (await load()) {
      showNotice(form, 'info', 'Inscription rechargée',
        `Voici votre inscription telle qu'elle est enregistrée (version ${state.version}). Refaites vos changements, puis enregistrez.`);
    }
  });
  return el('p', {}, button);
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  clearErrors(form);
  $$('.notice.success, .notice.info:not(#accommodation-new):not(#accommodation-existing)', form.parentNode)
    .filter((n) => !windowNote.contains(n))
    .forEach((n) => n.remove());
  const { body, errors } = read();
  if (errors.length) {
    showProblem(form, {
      code: 'validation_failed',
      title: 'Certaines informations sont invalides',
      detail: 'Corrigez les informations signalées, puis enregistrez de nouveau.',
      errors,
    }, resolve);
    return;
  }
  if (!birthDateConfirmed()) {
    showProblem(form, {
      code: 'validation_failed',
      title: 'Votre date de naissance est-elle exacte ?',
      detail: '',
      errors: [{ field: 'birth_date_confirmed', message: `${$('#birth-date-question').textContent} Corrigez-la, ou cochez « Oui, ma date de naissance est exacte ».` }],
    }, resolve);
    return;
  }
  const changes = currentChanges();
  if (changes && changes.length === 0) return;
  const signed = signedConfirmation();
  (signed ? confirmVoiding(signed, changes) : Promise.resolve(true)).then((go) => {
    if (go) save(body, signed);
  });
});

/** PUT /inscription, then the answer shown; `signed` was the confirmation in force. */
function save(body, signed) {
  busy(form, async () => {
    const answer = await api('PUT', '/inscription', body);
    if (answer.ok) {
      const created = answer.status === 201;
      fill(answer.data);
      const voided = signed && !signedConfirmation();
      showNotice(form, 'success',
        created ? 'Votre inscription est enregistrée' : 'Vos modifications sont enregistrées',
        `${answer.data.candidate_number ? `Numéro de candidat ${answer.data.candidate_number}. ` : ''}Version ${answer.data.version}, enregistrée le ${formatInstant(answer.data.updated_at)}. Vous pouvez la modifier jusqu'au ${formatInstant(answer.data.registration_closes)} (heure de Paris).`,
        {
          extra: voided
            ? el('p', { class: 'resign' }, `Votre confirmation signée n'est plus valable : téléchargez la nouvelle (version ${answer.data.version}), datez-la, signez-la, puis `,
              el('a', { href: '/mes-documents', text: 'envoyez-la depuis « Mes documents »' }), ' ou par courrier postal.')
            : el('p', {}, 'Étape suivante : ', el('a', { href: '/mes-documents', text: "téléchargez votre confirmation d'inscription et déposez vos documents" }), '.'),
        });
      return;
    }
    const problem = answer.problem;
    const summary = showProblem(form, problem, resolve);
    if (problem.code === 'version_conflict') summary.append(reloadButton());
    if (problem.code === 'unauthenticated') {
      const again = el('button', { type: 'button', class: 'secondary', text: 'Me reconnecter et enregistrer' });
      again.addEventListener('click', () => form.requestSubmit());
      summary.append(el('p', { text: "Rien de ce que vous avez saisi n'est perdu : tout est encore dans le formulaire." }), el('p', {}, again));
    }
    return problem.code === 'unauthenticated';
  }).then(async (signedOut) => {
    syncSave();
    // The session has ended: sign in again on this page, then save what was typed.
    if (signedOut && await state.session.signIn('save')) {
      clearErrors(form);
      $$('.error-summary', form.parentNode).forEach((n) => n.remove());
      save(body, signed);
    }
  });
}

// ---------------------------------------------------------------------------

async function main() {
  const me = await initChrome();
  if (!requireLogin(me)) return;
  const [catalogue, cal] = await Promise.all([api('GET', '/catalogue'), calendar()]);
  $('#loading').hidden = true;
  if (!catalogue.ok || !cal.ok) {
    showProblem(form, (catalogue.ok ? cal : catalogue).problem);
    return;
  }
  state.catalogue = catalogue.data;
  state.calendar = cal.data;
  for (const d of state.catalogue.diplomas) diploma.append(option(d.diploma, d.label));
  for (const select of [field('identity.nationality'), field('identity.address.country'), field('identity.birth_country')]) {
    select.append(option('', 'Choisissez un pays'));
    for (const c of countries()) select.append(option(c.code, c.name));
  }
  field('identity.address.country').value = 'FR';
  field('identity.birth_country').options[0].textContent = 'Choisissez un État';
  initBirthPlace();
  state.session = guardSession({ email: me.email, returnFocus: () => $('#save') });
  form.hidden = false;
  syncDisability();
  await load();
  renderWindow();
  if (!state.saved && $('#late-note')) form.hidden = true;
}

main();
