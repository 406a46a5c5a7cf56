// The bulk extension (a responsable's `extend_deadline` over a diploma, a
// specialty or a list of addresses). The server works on it as a resumable
// job for a bounded time per call and answers {job_id, total, done,
// remaining}; sending the identical event again resumes it and reports. So
// the page sends it again until nothing remains, showing the progress.

import {
  $, DIPLOMA, action, announce, busy, checkFields, clearErrors, endOfParisDay, formatDate, initChrome, isDay,
  may, showProblem,
} from './office.js';

const current = initChrome();
const form = $('#bulk-form');
const diploma = $('#f-diploma');
const specialty = $('#f-specialty');
const emails = $('#f-emails');
const until = $('#f-until');
const box = $('#progress-box');
const bar = $('#progress');
const text = $('#progress-text');

function addresses() {
  return emails.value.split(/[\s,;]+/).map((a) => a.trim()).filter(Boolean);
}

function showProgress(job) {
  box.hidden = false;
  bar.max = Math.max(job.total, 1);
  bar.value = job.done;
  text.textContent = `${job.done} candidat${job.done > 1 ? 's traités' : ' traité'} sur ${job.total}`
    + (job.extended !== undefined ? ` : ${job.extended} prolongé${job.extended > 1 ? 's' : ''}` : '')
    + (job.skipped ? `, ${job.skipped} laissé${job.skipped > 1 ? 's' : ''} tel${job.skipped > 1 ? 's' : ''} quel${job.skipped > 1 ? 's' : ''}` : '')
    + (job.remaining ? ` ; il en reste ${job.remaining}.` : '.');
}

async function run() {
  clearErrors(document.querySelector('main'));
  const checks = [[until, 'Saisissez la nouvelle date limite, au format JJ/MM/AAAA.', isDay]];
  if (!diploma.value) checks.unshift([emails, 'Choisissez un diplôme, ou saisissez au moins une adresse électronique.']);
  if (!checkFields(form, checks)) return;
  const event = { action: 'extend_deadline', until: endOfParisDay(until.value) };
  if (diploma.value) {
    event.diploma = diploma.value;
    if (specialty.value.trim()) event.specialty = specialty.value.trim().toUpperCase();
  } else {
    event.emails = addresses();
  }
  const what = diploma.value
    ? `${DIPLOMA[diploma.value]}${event.specialty ? `, spécialité ${event.specialty}` : ''}`
    : `${event.emails.length} adresse${event.emails.length > 1 ? 's' : ''}`;
  announce(`Prolongation lancée (${what}).`, 'info');
  // One call per step; each reports where the job is.
  for (let step = 0; step < 1000; step += 1) {
    const answer = await action(event);
    if (!answer.ok) {
      showProblem(form, answer.problem, (field) => ({ diploma, specialty, emails, until })[field] || null);
      return;
    }
    showProgress(answer.data);
    if (!answer.data.remaining) {
      const extended = answer.data.extended ?? answer.data.done;
      const plural = extended > 1 ? 's' : '';
      announce(`Prolongation terminée (${what}) : ${extended} candidat${plural} sur ${answer.data.total} prolongé${plural} jusqu’au ${formatDate(until.value)} à 23 h 59. Les courriels partent au fil de l’eau.`);
      $('#progress-title').focus();
      return;
    }
  }
}

if (current) {
  if (may(current, 'responsable')) {
    form.hidden = false;
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      busy(form, run);
    });
  } else {
    $('[data-role-note]').hidden = false;
  }
}
