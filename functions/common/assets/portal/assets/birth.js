// The inscription form's birth date and birth place (issue #19, « a
// forgiving form »): the date as three fields with a plausibility question
// the candidate can confirm, and the place as commune plus département
// (France, overseas included) or State, read from what candidates write:
// « Saint-Denis (La Réunion) », « Marseille 3e », « Alger, Algérie ».

import { DEPARTMENTS, OVERSEAS, departmentCode, readBirthPlace } from './countries.js';
import { $, $$, nbsp } from './ui.js';

// The API's own rule (domain/inscription/mod.rs MIN_AGE, MAX_AGE): between
// 14 and 100 years old on the day of the save. Outside it, an error.
const MIN_AGE = 14;
const MAX_AGE = 100;
// Questioned, not refused: under 15 at the session, or a year that looks
// like a slip of one decade (2007 typed for 1997: 15 at the session).
const QUESTION_UNDER = 15;
const TYPO_UNDER = 16;

const day = () => $('#f-birth_day');
const month = () => $('#f-birth_month');
const year = () => $('#f-birth_year');

/** Age in whole years on `on` (« YYYY-MM-DD ») of someone born on `birth`, as the API counts it. */
export function ageOn(birth, on) {
  const [by, bm, bd] = birth.split('-').map(Number);
  const [y, m, d] = on.split('-').map(Number);
  return y - by - ((m < bm || (m === bm && d < bd)) ? 1 : 0);
}

/** Day, month and year as typed to « YYYY-MM-DD », or null if that is no real date. */
export function isoFromParts(dayText, monthText, yearText) {
  if (!/^\d{1,2}$/.test(dayText) || !/^\d{1,2}$/.test(monthText) || !/^\d{4}$/.test(yearText)) return null;
  const [d, m, y] = [Number(dayText), Number(monthText), Number(yearText)];
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

/**
 * What is wrong or unlikely in a birth date: {error} where the API would
 * refuse it, {question} where it is merely unlikely, {} when plausible.
 * `today` and the session's year decide; the exams take place in June.
 */
export function judgeBirthDate(iso, today, session) {
  if (iso > today) return { error: 'La date de naissance ne peut pas être dans le futur : veuillez la vérifier.' };
  const now = ageOn(iso, today);
  if (now < MIN_AGE || now > MAX_AGE) {
    return { error: `Pour vous inscrire, vous devez avoir entre ${MIN_AGE} et ${MAX_AGE} ans : veuillez vérifier votre date de naissance.` };
  }
  const atSession = ageOn(iso, `${session}-06-01`);
  const born = Number(iso.slice(0, 4));
  const decadeEarlier = ageOn(`${born - 10}${iso.slice(4)}`, `${session}-06-01`);
  if (atSession < TYPO_UNDER && decadeEarlier <= MAX_AGE) {
    const rare = atSession < QUESTION_UNDER ? ', ce qui est rare pour ces examens' : '';
    return { question: `Vous auriez ${atSession} ans lors des épreuves de juin ${session}${rare}. Avez-vous bien voulu écrire ${born}, et non ${born - 10} par exemple ?` };
  }
  if (atSession > MAX_AGE) {
    return { question: `Vous auriez ${atSession} ans lors des épreuves de juin ${session}. Votre année de naissance est-elle bien ${born} ?` };
  }
  return {};
}

// ---------------------------------------------------------------------------
// The date's three fields.

/** {iso, error?, question?}: the date typed (iso '' if nothing typed) and what to say of it. */
export function readBirthDate(today, session) {
  const parts = [day(), month(), year()].map((input) => input.value.trim());
  if (parts.every((p) => p === '')) return { iso: '' };
  const iso = isoFromParts(...parts);
  if (!iso) {
    return {
      iso: parts.join('/'),
      error: "Indiquez une date réelle : le jour (de 1 à 31), le mois (de 1 à 12) et l'année sur quatre chiffres, par exemple 17, 5 et 2004.",
    };
  }
  return { iso, ...judgeBirthDate(iso, today, session) };
}

export function fillBirthDate(iso) {
  const [y, m, d] = iso ? iso.split('-') : ['', '', ''];
  day().value = d;
  month().value = m;
  year().value = y;
}

/** Shows or hides the plausibility question; a change of the date asks again. */
export function syncBirthQuestion(judged, { keepAnswer = false } = {}) {
  const box = $('#birth-date-check');
  const confirm = $('#f-birth_date-confirmed');
  if (!keepAnswer) confirm.checked = false;
  box.hidden = !judged.question;
  $('#birth-date-question').textContent = nbsp(judged.question || '');
}

/** Whether the date's question, if any, is answered « exacte ». */
export function birthDateConfirmed() {
  return $('#birth-date-check').hidden || $('#f-birth_date-confirmed').checked;
}

// ---------------------------------------------------------------------------
// The place: born in France or abroad, then commune and département or State.

export function birthWhere() {
  const checked = $('input[name="birth.where"]:checked');
  return checked ? checked.value : null;
}

function setWhere(value) {
  for (const input of $$('input[name="birth.where"]')) input.checked = input.value === value;
}

function departmentNote() {
  const input = $('#f-birth_department');
  const code = departmentCode(input.value);
  $('#f-birth_department-name').textContent = nbsp(code ? `${code} : ${DEPARTMENTS[code]}` : '');
}

export function syncBirthPlace() {
  const where = birthWhere();
  $('#birth-department-field').hidden = where !== 'france';
  $('#birth-country-field').hidden = where !== 'abroad';
  $('#f-birth_place-hint').textContent = nbsp(where === 'abroad'
    ? "La ville telle qu'elle est écrite sur votre acte de naissance, par exemple : Alger."
    : "La commune telle qu'elle est écrite sur votre acte de naissance, avec l'arrondissement s'il y en a un, par exemple : Marseille 3e, Saint-Denis.");
  departmentNote();
}

/** Reads a place typed with its département or State, and fills the fields it names. */
function understandPlace() {
  const place = $('#f-birth_place');
  const read = readBirthPlace(place.value);
  const note = $('#birth-place-note');
  note.textContent = '';
  if (!read.country) return;
  const department = $('#f-birth_department');
  if (read.department && read.place === place.value.trim()) {
    // A city with arrondissements, written alone: a hint, not a value typed for the candidate.
    if (!department.value.trim()) {
      note.textContent = nbsp(`${read.place} : département ${read.department} (${DEPARTMENTS[read.department]}), à indiquer ci-dessous si vous êtes né ou née en France.`);
    }
    return;
  }
  if (read.department) {
    setWhere('france');
    department.dataset.filled = 'true';
    department.value = read.department;
    place.value = read.place;
    note.textContent = nbsp(`Compris : né ou née à ${read.place}, département ${read.department} (${DEPARTMENTS[read.department]}). Corrigez-le si ce n'est pas cela.`);
  } else if (read.country !== 'FR') {
    setWhere('abroad');
    $('#f-birth_country').value = read.country;
    place.value = read.place;
    const name = $('#f-birth_country').selectedOptions[0]?.textContent || read.country;
    note.textContent = nbsp(`Compris : né ou née à ${read.place}, ${name}. Corrigez-le si ce n'est pas cela.`);
  }
  syncBirthPlace();
}

export function initBirthPlace() {
  for (const input of $$('input[name="birth.where"]')) input.addEventListener('change', syncBirthPlace);
  $('#f-birth_place').addEventListener('change', understandPlace);
  $('#f-birth_department').addEventListener('input', () => {
    delete $('#f-birth_department').dataset.filled;
    departmentNote();
  });
  // Filled from the commune's brackets: the next keystrokes replace it, not add to it.
  $('#f-birth_department').addEventListener('focus', () => {
    if ($('#f-birth_department').dataset.filled) $('#f-birth_department').select();
  });
  $('#f-birth_department').addEventListener('change', () => {
    const input = $('#f-birth_department');
    const code = departmentCode(input.value);
    if (code) input.value = code;
    departmentNote();
  });
  // France or an overseas département picked as a State: a birth in France.
  $('#f-birth_country').addEventListener('change', () => {
    const code = $('#f-birth_country').value;
    if (code !== 'FR' && !OVERSEAS[code]) return;
    setWhere('france');
    if (OVERSEAS[code]) $('#f-birth_department').value = OVERSEAS[code];
    $('#f-birth_country').value = '';
    syncBirthPlace();
    $('#f-birth_department').focus();
  });
  syncBirthPlace();
}

export function fillBirthPlace(identity) {
  const country = identity.birth_country || '';
  const department = identity.birth_department || '';
  const france = department !== '' || country === 'FR' || Boolean(OVERSEAS[country]);
  setWhere(france ? 'france' : country ? 'abroad' : null);
  $('#f-birth_place').value = identity.birth_place;
  $('#f-birth_department').value = department;
  $('#f-birth_country').value = france ? '' : country;
  $('#birth-place-note').textContent = '';
  syncBirthPlace();
}

/** The birth place's part of `identity`, and its errors pushed to `errors`. */
export function readBirthPlaceFields(errors) {
  const out = { birth_place: $('#f-birth_place').value };
  const where = birthWhere();
  if (where === 'france') {
    out.birth_country = 'FR';
    const typed = $('#f-birth_department').value.trim();
    if (typed) out.birth_department = departmentCode(typed) || typed;
  } else if (where === 'abroad') {
    const country = $('#f-birth_country').value;
    if (country) out.birth_country = country;
    else errors.push({ field: 'identity.birth_country', message: 'Choisissez votre État de naissance.' });
  } else if (out.birth_place.trim()) {
    // Asked once a place is typed: an empty form gets the API's own list first.
    errors.push({ field: 'birth.where', message: 'Indiquez si vous êtes né ou née en France (métropole ou outre-mer) ou à l’étranger.' });
  }
  return out;
}


