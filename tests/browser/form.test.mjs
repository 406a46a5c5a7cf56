// The inscription form forgives (issue #19, « a forgiving form »): a session
// that ends mid-form loses nothing, birth places as candidates write them,
// the birth date's plausibility question, the acquis question before the
// rows, the optional units and their language. At 1280, 375 and 320 px,
// axe-core on every state, screenshots in tests/browser/screenshots/.
//
//   node --test form.test.mjs      (tests/browser/run.sh runs it)

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  PASSWORD, checkPage, newPage, openBrowser, removeProfiles, signupByApi, startRunner,
} from './harness.mjs';

// The Bac Pro's registration window is open on 26 October 2021.
const START = '2021-10-26T08:00:00Z';

after(removeProfiles);

async function login(page, base, email) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Adresse électronique').fill(email);
  await page.getByLabel('Mot de passe').fill(PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(`${base}/`);
}

async function openForm(page, base) {
  await page.goto(`${base}/m-inscrire`);
  await page.locator('#inscription-form').waitFor();
  await page.waitForLoadState('networkidle');
}

async function fillDate(page, day, month, year) {
  await page.getByLabel('Jour', { exact: true }).fill(day);
  await page.getByLabel('Mois', { exact: true }).fill(month);
  await page.getByLabel('Année', { exact: true }).fill(year);
  await page.getByLabel('Année', { exact: true }).blur();
}

/** Everything but the birth place; `specialty` of the Bac Pro. */
async function fillRest(page, specialty) {
  await page.getByLabel('Diplôme', { exact: true }).selectOption('BAC_PRO');
  await page.getByLabel('Spécialité').selectOption(specialty);
  await page.getByLabel('Nom de famille').fill('Payet');
  await page.getByLabel('Prénoms').fill('Léa Marie');
  await fillDate(page, '3', '9', '2003');
  await page.getByLabel('Nationalité').selectOption('FR');
  await page.getByLabel('Adresse', { exact: true }).fill('4 rue de Paris');
  await page.getByLabel('Code postal').fill('13001');
  await page.getByLabel('Commune', { exact: true }).fill('Marseille');
  await page.getByLabel('Pays', { exact: true }).selectOption('FR');
  await page.getByLabel('Téléphone').fill('06 12 34 56 78');
  await page.getByRole('radio', { name: 'Non', exact: true }).check();
}

/** Types a birth place as a candidate writes it, and leaves the field. */
async function typePlace(page, text) {
  await page.getByLabel('Lieu de naissance').fill(text);
  await page.getByLabel('Lieu de naissance').blur();
}

async function saveAndWait(page) {
  await page.getByRole('button', { name: 'Enregistrer mon inscription' }).click();
  await page.locator('.notice.success').waitFor();
}

async function token(runner, email) {
  const answer = await runner.json('POST', '/auth/login', { email, password: PASSWORD });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  return answer.body.token;
}

describe('a forgiving inscription form', () => {
  let runner;
  let context;
  let specialty;

  before(async () => {
    runner = await startRunner(START);
    context = await openBrowser();
    const catalogue = (await runner.json('GET', '/catalogue')).body;
    specialty = catalogue.diplomas.find((d) => d.diploma === 'BAC_PRO').specialties
      .find((s) => s.units.some((u) => u.kind === 'optional' && (u.languages || []).length));
    assert.ok(specialty, 'a Bac Pro specialty with an optional language unit');
  });
  after(async () => {
    await context?.close();
    await runner?.stop();
  });

  test('a session ending mid-form: warned, signed in again in a dialog, nothing lost', async () => {
    const email = 'lea.payet@example.fr';
    await signupByApi(runner, email);
    const page = await newPage(context);
    // The page's clock is driven by the test: thirty minutes pass in a moment.
    await page.clock.install();
    await login(page, runner.base, email);
    await openForm(page, runner.base);
    await fillRest(page, specialty.code);
    await page.getByRole('radio', { name: 'En France, en métropole ou outre-mer' }).check();
    await typePlace(page, 'Saint-Denis (La Réunion)');
    assert.equal(await page.getByLabel('Lieu de naissance').inputValue(), 'Saint-Denis');
    assert.equal(await page.getByLabel('Département de naissance').inputValue(), '974');
    assert.match(await page.locator('#birth-place-note').innerText(), /Saint-Denis, département 974 \(La Réunion\)/);

    // 26 minutes without a request: the warning, and the way to stay.
    await page.clock.fastForward('26:00');
    const warning = page.getByRole('dialog', { name: 'Votre session va bientôt se fermer' });
    await warning.waitFor();
    assert.match(await warning.innerText(), /se fermera dans \d minutes environ.*pas encore enregistré/s);
    await checkPage(page, 'form-session-warning');
    await page.getByRole('button', { name: 'Continuer ma session' }).click();
    await warning.waitFor({ state: 'hidden' });

    // The session ends elsewhere (signed out with the same cookie), then « Enregistrer ».
    const cookie = (await context.cookies(runner.base)).find((c) => /examreg_session/.test(c.name));
    assert.ok(cookie, 'the session cookie');
    assert.equal((await runner.withCookie(`${cookie.name}=${cookie.value}`, 'POST', '/auth/logout')).status, 204);
    await page.getByRole('button', { name: 'Enregistrer mon inscription' }).click();
    const signin = page.getByRole('dialog', { name: "Votre session s'est fermée" });
    await signin.waitFor();
    assert.match(await signin.innerText(), /Rien de ce que vous avez saisi n'est perdu/);
    assert.equal(await page.locator('#s-email').inputValue(), email);
    // A wrong password: said in the dialog, which stays.
    await page.locator('#s-password').fill('pas le bon mot de passe');
    await signin.getByRole('button', { name: 'Me reconnecter' }).click();
    await signin.locator('.error-summary').waitFor();
    await checkPage(page, 'form-session-signin-error');
    await page.locator('#s-password').fill(PASSWORD);
    await signin.getByRole('button', { name: 'Me reconnecter' }).click();
    // Signed in again, the save is made: everything typed before is saved.
    await page.locator('.notice.success').waitFor();
    assert.ok(!(await signin.isVisible()));
    assert.match(await page.locator('.notice.success').innerText(), /Votre inscription est enregistrée/);
    await checkPage(page, 'form-session-saved');
    const saved = (await runner.asCandidate(await token(runner, email), 'GET', '/inscription')).body;
    assert.equal(saved.identity.last_name, 'Payet');
    assert.equal(saved.identity.birth_date, '2003-09-03');
    assert.equal(saved.identity.birth_place, 'Saint-Denis');
    assert.equal(saved.identity.birth_department, '974');
    // Nothing of the form was kept in the browser's storage.
    const stored = await page.evaluate(() => localStorage.length + sessionStorage.length);
    assert.equal(stored, 0);

    // Shown back as saved.
    await page.clock.resume();
    await openForm(page, runner.base);
    assert.equal(await page.getByRole('radio', { name: 'En France, en métropole ou outre-mer' }).isChecked(), true);
    assert.equal(await page.getByLabel('Lieu de naissance').inputValue(), 'Saint-Denis');
    assert.equal(await page.getByLabel('Département de naissance').inputValue(), '974');
    assert.match(await page.locator('#f-birth_department-name').innerText(), /974\s:\sLa Réunion/);
    await page.close();
  });

  test('birth places as written, the date question, the acquis question, options', async () => {
    const email = 'karim.benali@example.fr';
    await signupByApi(runner, email);
    // Another candidate on the same browser: the first one's session goes.
    await context.clearCookies();
    const page = await newPage(context);
    await login(page, runner.base, email);
    await openForm(page, runner.base);
    // Step by step: the acquis rows wait for « Oui ».
    assert.ok(await page.getByRole('group', { name: /Avez-vous des dispenses ou des bénéfices de notes/ }).isVisible());
    await fillRest(page, specialty.code);
    assert.ok(!(await page.locator('#acquis-units').isVisible()));
    // The whole name of the specialty under its list.
    assert.match(await page.locator('#f-specialty-chosen').innerText(), new RegExp(`Spécialité choisie\\s*:\\s*${specialty.label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    // Next to the specialty, where the notice says the référentiels are.
    const referentiel = page.locator('#f-specialty').locator('xpath=..').getByRole('link', { name: 'Éduscol, les diplômes professionnels' });
    assert.equal(await referentiel.getAttribute('href'), 'https://eduscol.education.fr/774/les-diplomes-professionnels');

    // « Alger, Algérie »: born abroad, in Algeria.
    await typePlace(page, 'Alger, Algérie');
    assert.equal(await page.getByRole('radio', { name: "À l'étranger" }).isChecked(), true);
    assert.equal(await page.getByLabel('Lieu de naissance').inputValue(), 'Alger');
    assert.equal(await page.getByLabel('État de naissance').inputValue(), 'DZ');
    assert.ok(!(await page.getByLabel('Département de naissance').isVisible()));

    // 2007 for 1997: questioned, not refused.
    await fillDate(page, '14', '2', '2007');
    const question = page.locator('#birth-date-check');
    await question.waitFor();
    assert.match(await question.innerText(), /Vous auriez 15 ans lors des épreuves de juin 2022.*2007, et non 1997/s);
    await checkPage(page, 'form-date-question');
    await page.getByRole('button', { name: 'Enregistrer mon inscription' }).click();
    const summary = page.locator('.error-summary');
    await summary.waitFor();
    assert.match(await summary.innerText(), /Votre date de naissance est-elle exacte/);
    assert.equal(await page.evaluate(() => document.activeElement.className), 'error-summary');
    await fillDate(page, '14', '2', '1997');
    assert.ok(await question.isHidden());

    // « Oui » to acquis, no row filled: asked to fill one or answer « Non ».
    await page.getByRole('radio', { name: "Oui, j'ai des dispenses ou des bénéfices de notes" }).check();
    assert.ok(await page.locator('#acquis-units').isVisible());
    await page.getByRole('button', { name: 'Enregistrer mon inscription' }).click();
    await page.locator('#acquis-question-error').waitFor();
    assert.match(await page.locator('#acquis-question-error').innerText(), /au moins une épreuve/);
    await checkPage(page, 'form-acquis-question');
    const unit = specialty.units.find((u) => u.kind === 'general');
    const row = page.locator(`.unit[data-unit="${unit.code}"]`);
    await row.getByLabel('Acquis').selectOption('dispense');
    await row.getByLabel("Année d'obtention du diplôme ou du titre").fill('2016');

    // An optional unit with its language.
    const optional = specialty.units.find((u) => u.kind === 'optional' && (u.languages || []).length);
    const option = page.locator(`.option[data-option="${optional.code}"]`);
    await option.getByRole('checkbox').check();
    await option.locator('select').selectOption(optional.languages[0]);
    await saveAndWait(page);
    await checkPage(page, 'form-options-saved');

    let saved = (await runner.asCandidate(await token(runner, email), 'GET', '/inscription')).body;
    assert.equal(saved.identity.birth_date, '1997-02-14');
    assert.equal(saved.identity.birth_place, 'Alger');
    assert.equal(saved.identity.birth_country, 'DZ');
    assert.equal(saved.identity.birth_department ?? null, null);
    assert.deepEqual(saved.acquis.map((a) => [a.unit, a.type, a.year]), [[unit.code, 'dispense', 2016]]);
    assert.deepEqual(saved.options, [{ unit: optional.code, language: optional.languages[0] }]);

    // Shown back: the answers, the rows, the option.
    await openForm(page, runner.base);
    assert.equal(await page.getByLabel('État de naissance').inputValue(), 'DZ');
    assert.equal(await page.getByLabel('Jour', { exact: true }).inputValue(), '14');
    assert.equal(await page.getByLabel('Année', { exact: true }).inputValue(), '1997');
    assert.equal(await page.getByRole('radio', { name: "Oui, j'ai des dispenses ou des bénéfices de notes" }).isChecked(), true);
    assert.equal(await row.getByLabel('Acquis').inputValue(), 'dispense');
    assert.equal(await option.getByRole('checkbox').isChecked(), true);
    assert.equal(await option.locator('select').inputValue(), optional.languages[0]);
    assert.ok(await page.getByRole('button', { name: 'Enregistrer mon inscription' }).isDisabled());

    // « Marseille 3e »: born in France, Bouches-du-Rhône.
    await page.getByRole('radio', { name: 'En France, en métropole ou outre-mer' }).check();
    await typePlace(page, 'Marseille 3e');
    assert.equal(await page.getByLabel('Lieu de naissance').inputValue(), 'Marseille 3e');
    // Its département suggested, and typed by the candidate.
    assert.match(await page.locator('#birth-place-note').innerText(), /Marseille 3e\s:\sdépartement 13 \(Bouches-du-Rhône\)/);
    await page.getByLabel('Département de naissance').fill('13');
    await saveAndWait(page);
    saved = (await runner.asCandidate(await token(runner, email), 'GET', '/inscription')).body;
    assert.equal(saved.identity.birth_place, 'Marseille 3e');
    assert.equal(saved.identity.birth_department, '13');
    assert.equal(saved.identity.birth_country, 'FR');
    await openForm(page, runner.base);
    assert.equal(await page.getByLabel('Lieu de naissance').inputValue(), 'Marseille 3e');
    assert.match(await page.locator('#f-birth_department-name').innerText(), /13\s:\sBouches-du-Rhône/);
    await checkPage(page, 'form-birth-france');
    await page.close();
  });
});
