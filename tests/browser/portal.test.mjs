// The candidate portal in a real browser: Debian's headless Chromium driven by
// playwright-core, against the local runner (target/debug/examreg), with
// axe-core (WCAG 2.1 A and AA rules) on every page and screenshots of each
// page at desktop and phone widths in tests/browser/screenshots/.
//
//   node --test portal.test.mjs      (tests/browser/run.sh does it all)
//
// Environment: EXAMREG_BIN (default target/debug/examreg), CHROMIUM_PATH
// (default /usr/bin/chromium).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PDF, PNG } from './fixtures.mjs';
import {
  PASSWORD, SHOTS, assertClean, axe, focusedElement, login, newPage, openBrowser, sidewaysOverflow,
  signupByApi, startRunner,
} from './harness.mjs';

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
// Both windows of the Bac Pro are open on 26 October 2021 (10:00 in Paris);
// the BP's documents window opens on 8 November.
const START = '2021-10-26T08:00:00Z';

const checked = [];

/**
 * The page as it is: French, one h1, no axe violation, no horizontal scroll
 * at phone widths (nor at 320 px, what 200 % zoom of 640 px gives), and
 * screenshots at desktop and phone widths.
 */
async function check(page, name) {
  await page.waitForLoadState('networkidle');
  assert.equal(await page.getAttribute('html', 'lang'), 'fr', name);
  assert.equal(await page.locator('h1').count(), 1, `${name}: one h1`);
  await axe(page, name);
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `${name}-desktop.png`), fullPage: true });
  for (const size of [PHONE, { width: 320, height: 640 }]) {
    await page.setViewportSize(size);
    const overflow = await sidewaysOverflow(page);
    assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow} px at ${size.width} px`);
    if (size === PHONE) {
      await page.screenshot({ path: path.join(SHOTS, `${name}-phone.png`), fullPage: true });
      await axe(page, `${name} (phone)`);
    }
  }
  await page.setViewportSize(DESKTOP);
  assertClean(page);
  checked.push(name);
}

/** The field's error is shown next to it and announced with it. */
async function assertFieldError(page, inputId, pattern) {
  const error = page.locator(`#${inputId}-error`);
  await error.waitFor();
  assert.match(await error.innerText(), pattern);
  const input = page.locator(`#${inputId}`);
  const describedBy = (await input.getAttribute('aria-describedby')) || '';
  assert.ok(describedBy.split(' ').includes(`${inputId}-error`), `#${inputId} is described by its error`);
}

async function assertSummaryFocused(page, pattern) {
  const summary = page.locator('.error-summary');
  await summary.waitFor();
  const focused = await focusedElement(page);
  assert.match(focused.className, /error-summary/, 'the focus moves to the error summary');
  assert.match(focused.text, pattern);
}

async function fillIdentity(page, { diploma, specialty, phone = '06 12 34 56 78' }) {
  await page.getByLabel('Diplôme', { exact: true }).selectOption(diploma);
  await page.getByLabel('Spécialité').selectOption(specialty);
  await page.getByLabel('Nom de famille').fill('N’Diaye-Durand');
  await page.getByLabel('Prénoms').fill('Zoé Anaïs');
  await page.getByLabel('Jour', { exact: true }).fill('17');
  await page.getByLabel('Mois', { exact: true }).fill('5');
  await page.getByLabel('Année', { exact: true }).fill('2004');
  await page.getByRole('radio', { name: 'En France, en métropole ou outre-mer' }).check();
  await page.getByLabel('Lieu de naissance').fill('Marseille');
  await page.getByLabel('Département de naissance').fill('13');
  await page.getByLabel('Nationalité').selectOption('FR');
  await page.getByLabel('Adresse', { exact: true }).fill('12 rue de la République');
  await page.getByLabel('Code postal').fill('13001');
  await page.getByLabel('Commune').fill('Marseille');
  await page.getByLabel('Pays').selectOption('FR');
  await page.getByLabel('Téléphone').fill(phone);
}

// ---------------------------------------------------------------------------

after(() => {
  if (checked.length) console.log(`# screenshots of ${checked.length} page states in ${SHOTS}`);
});

describe('journey 1: from sign-up to a complete inscription', () => {
  let runner;
  let context;
  const email = 'zoe.ndiaye@example.fr';

  before(async () => {
    runner = await startRunner(START);
    context = await openBrowser();
  });
  after(async () => {
    await context?.close();
    await runner?.stop();
  });

  test('the whole journey', async () => {
    const base = runner.base;
    const page = await newPage(context);

    // A visitor: how to register, the calendar.
    await page.goto(`${base}/`);
    await page.locator('#guest').waitFor();
    assert.match(await page.locator('h1').innerText(), /Inscriptions aux examens professionnels/);
    const calendarText = await page.locator('#calendar').innerText();
    assert.match(calendarText, /heure de Paris/);
    // The CAP's documents window opens on the first of December: « 1er »,
    // as French writes the first day of a month; other days as they are.
    assert.match(calendarText, /Ouverture du dépôt des documents\s*:\s*mercredi 1er décembre 2021 à 00\sh\s00 \(heure de Paris\)/);
    assert.doesNotMatch(calendarText, /(^|\D)1 décembre/);
    assert.match(calendarText, /Clôture des inscriptions\s*:\s*mercredi 8 décembre 2021 à 23\sh\s59/);
    await check(page, 'home-visitor');
    // The first Tab reaches the skip link.
    await page.keyboard.press('Tab');
    assert.equal((await focusedElement(page)).text, 'Aller au contenu');

    // Sign-up: errors next to their fields, then success.
    await page.getByRole('link', { name: 'Créer un compte' }).first().click();
    await page.waitForURL(`${base}/signup`);
    await check(page, 'signup');
    await page.getByLabel('Adresse électronique').fill('pas-une-adresse');
    await page.getByLabel('Mot de passe', { exact: true }).fill('court');
    await page.getByLabel('Confirmez le mot de passe').fill('court');
    await page.getByRole('button', { name: 'Créer mon compte' }).click();
    await assertSummaryFocused(page, /Informations à corriger/);
    await assertFieldError(page, 'f-email', /adresse électronique n'est pas valide/);
    await assertFieldError(page, 'f-password', /12 caractères/);
    await check(page, 'signup-errors');
    await page.getByLabel('Adresse électronique').fill(email);
    await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Confirmez le mot de passe').fill(PASSWORD);
    await page.getByRole('button', { name: 'Créer mon compte' }).click();
    await page.locator('#signup-done').waitFor();
    assert.match((await focusedElement(page)).text, /Vérifiez votre messagerie/);
    await check(page, 'signup-done');

    // Activation from the emailed link; the token leaves the address bar.
    const activation = await runner.emailedLink(email, '/activate');
    await page.goto(activation);
    await page.locator('#activate-done').waitFor();
    assert.equal(new URL(page.url()).search, '');
    await check(page, 'activate');

    // Login.
    await page.getByRole('link', { name: 'Se connecter' }).last().click();
    await page.waitForURL(`${base}/login`);
    await check(page, 'login');
    await page.getByLabel('Adresse électronique').fill(email);
    await page.getByLabel('Mot de passe').fill('pas le bon mot de passe');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await assertSummaryFocused(page, /Identifiants incorrects/);
    await check(page, 'login-error');
    await page.getByLabel('Mot de passe').fill(PASSWORD);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.waitForURL(`${base}/`);
    await page.locator('#dashboard').waitFor();
    assert.equal(await page.locator('#account-email').innerText(), email);
    assert.match(await page.locator('#todo').innerText(), /M'inscrire/);
    // No token for scripts: the session cookie is HttpOnly.
    assert.equal(await page.evaluate(() => document.cookie), '');
    await check(page, 'home-no-inscription');

    // The inscription form: every error at once, next to its field.
    await page.getByRole('link', { name: "M'inscrire", exact: true }).click();
    await page.waitForURL(`${base}/m-inscrire`);
    await page.locator('#inscription-form').waitFor();
    await check(page, 'inscription-new');
    await page.getByRole('button', { name: 'Enregistrer mon inscription' }).click();
    await assertSummaryFocused(page, /Certaines informations sont invalides/);
    await assertFieldError(page, 'f-diploma', /diplôme/i);
    await assertFieldError(page, 'f-last_name', /nom/i);
    assert.equal(await page.locator('#f-last_name').getAttribute('aria-invalid'), 'true');
    assert.ok(await page.locator('#disability-declared-error').isVisible());
    await check(page, 'inscription-errors');
    // A link of the summary takes the focus to its field.
    await page.locator('.error-summary a', { hasText: /nom de famille/ }).click();
    assert.equal((await focusedElement(page)).id, 'f-last_name');

    await fillIdentity(page, { diploma: 'BAC_PRO', specialty: 'MCV_A' });
    // Disability: the académie's link when an accommodation is to be asked for.
    await page.getByRole('radio', { name: 'Oui', exact: true }).check();
    await page.getByRole('radio', { name: /je souhaite en demander un/ }).check();
    const amex = page.getByRole('link', { name: /demande d'aménagement/ });
    assert.equal(await amex.getAttribute('href'), 'https://appli.ac-aix-marseille.fr/amex/');
    await page.getByRole('radio', { name: /j'ai déjà une notification/ }).check();
    assert.ok(!(await amex.isVisible()));
    // An acquis: a grade kept from an earlier session.
    await page.getByRole('radio', { name: "Oui, j'ai des dispenses ou des bénéfices de notes" }).check();
    const unit = page.locator('.unit[data-unit="E11"]');
    await unit.getByLabel('Acquis').selectOption('benefit');
    await unit.getByLabel('Note conservée, sur 20').fill('12,5');
    await unit.getByLabel('Année de la session où la note a été obtenue').fill('2020');
    await page.getByRole('button', { name: 'Enregistrer mon inscription' }).click();
    await page.locator('.notice.success').waitFor();
    assert.match((await focusedElement(page)).text, /Votre inscription est enregistrée.*Version 1/s);
    await check(page, 'inscription-saved');

    // Documents: the PDF, then every required piece.
    await page.getByRole('link', { name: 'Mes documents' }).click();
    await page.waitForURL(`${base}/mes-documents`);
    await page.locator('#documents').waitFor();
    await check(page, 'documents');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('link', { name: /Télécharger ma confirmation d'inscription/ }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^confirmation-inscription-2022-v1\.pdf$/);
    const pdf = fs.readFileSync(await download.path());
    assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');

    const kinds = await page.locator('li.piece').evaluateAll((items) => items.map((i) => i.dataset.kind));
    assert.deepEqual(kinds, ['signed_confirmation', 'identity_document', 'jdc_certificate', 'accommodation_notice', 'acquis_proof']);
    for (const [i, kind] of kinds.entries()) {
      const piece = page.locator(`li.piece[data-kind="${kind}"]`);
      const file = i % 2 === 0
        ? { name: `${kind}.pdf`, mimeType: 'application/pdf', buffer: PDF }
        : { name: `${kind}.png`, mimeType: 'image/png', buffer: PNG };
      await piece.locator('input[type="file"]').setInputFiles(file);
      await piece.getByRole('button', { name: 'Déposer ce fichier' }).click();
      await piece.locator('.success-text').waitFor();
      assert.equal(await piece.locator('.badge').getAttribute('data-status'), 'received');
      assert.equal(await piece.locator('progress').getAttribute('value'), '100');
    }
    assert.equal(await page.locator('#inscription-status').getAttribute('data-status'), 'complete');
    await check(page, 'documents-complete');

    // Home: the status and the deadlines, in Paris time with what remains.
    await page.getByRole('link', { name: 'Accueil' }).click();
    await page.locator('#dashboard').waitFor();
    const summary = await page.locator('#inscription-summary').innerText();
    assert.match(summary, /Complète/);
    // 31 October 2021, 23:59 in Paris although the browser is in New York.
    assert.match(summary, /dimanche 31 octobre 2021 à 23\sh\s59 \(heure de Paris\) – il reste 5\sjours et \d+\sheures/);
    assert.match(await page.locator('#todo').innerText(), /Rien pour le moment/);
    await check(page, 'home-complete');

    // Logout: the pages that need a session send to the login page.
    await page.getByRole('button', { name: 'Se déconnecter', exact: true }).click();
    await page.waitForURL(`${base}/login?logout=1`);
    await page.goto(`${base}/mes-documents`);
    await page.waitForURL(`${base}/login?next=%2Fmes-documents`);
    assertClean(page);
  });

  test('a forgotten password', async () => {
    const base = runner.base;
    const page = await newPage(context);
    await page.goto(`${base}/login`);
    await page.getByRole('link', { name: 'Mot de passe oublié ?' }).click();
    await page.waitForURL(`${base}/forgot-password`);
    await check(page, 'forgot-password');
    await page.getByLabel('Adresse électronique').fill(email);
    await page.getByRole('button', { name: 'Recevoir le lien' }).click();
    await page.locator('#forgot-done').waitFor();
    await check(page, 'forgot-password-done');

    const link = await runner.emailedLink(email, '/reset-password');
    await page.goto(link);
    assert.equal(new URL(page.url()).search, '');
    await check(page, 'reset-password');
    const newPassword = 'un tout nouveau mot de passe 2021';
    await page.getByLabel('Nouveau mot de passe', { exact: true }).fill(newPassword);
    await page.getByLabel('Confirmez le nouveau mot de passe').fill('autre chose');
    await page.getByRole('button', { name: 'Enregistrer le nouveau mot de passe' }).click();
    await assertFieldError(page, 'f-password2', /pas identiques/);
    await page.getByLabel('Confirmez le nouveau mot de passe').fill(newPassword);
    await page.getByRole('button', { name: 'Enregistrer le nouveau mot de passe' }).click();
    await page.locator('#reset-done').waitFor();
    await check(page, 'reset-password-done');

    // The same link cannot serve twice.
    await page.goto(link);
    await page.getByLabel('Nouveau mot de passe', { exact: true }).fill(newPassword);
    await page.getByLabel('Confirmez le nouveau mot de passe').fill(newPassword);
    await page.getByRole('button', { name: 'Enregistrer le nouveau mot de passe' }).click();
    await assertSummaryFocused(page, /n'est pas valide ou a déjà servi/);

    await login(page, base, email, newPassword);
    assertClean(page);
  });
});

describe('journey 2: conflicts and closed windows, shown to the candidate', () => {
  let runner;
  let context;
  const email = 'sam.martin@example.fr';

  before(async () => {
    runner = await startRunner(START);
    context = await openBrowser();
  });
  after(async () => {
    await context?.close();
    await runner?.stop();
  });

  test('the errors of a real session', async () => {
    const base = runner.base;
    await signupByApi(runner, email);
    const first = await newPage(context);

    // Login with the keyboard alone.
    await first.goto(`${base}/login`);
    for (let i = 0; i < 20 && (await focusedElement(first)).id !== 'f-email'; i += 1) {
      await first.keyboard.press('Tab');
    }
    assert.equal((await focusedElement(first)).id, 'f-email');
    await first.keyboard.type(email);
    await first.keyboard.press('Tab');
    await first.keyboard.type(PASSWORD);
    await first.keyboard.press('Enter');
    await first.waitForURL(`${base}/`);

    // A BP inscription (its documents window opens on 8 November).
    await first.goto(`${base}/m-inscrire`);
    await first.locator('#inscription-form').waitFor();
    const catalogue = (await runner.json('GET', '/catalogue')).body;
    const bp = catalogue.diplomas.find((d) => d.diploma === 'BP').specialties[0].code;
    await fillIdentity(first, { diploma: 'BP', specialty: bp });
    await first.getByRole('radio', { name: 'Non', exact: true }).check();
    // Wrong on the server's side: shown next to the field.
    await first.getByLabel('Code postal').fill('1300');
    await first.getByRole('button', { name: 'Enregistrer mon inscription' }).click();
    await assertSummaryFocused(first, /Certaines informations sont invalides/);
    await assertFieldError(first, 'f-postal_code', /5 chiffres/);
    await first.getByLabel('Code postal').fill('13001');
    await first.getByRole('button', { name: 'Enregistrer mon inscription' }).click();
    await first.locator('.notice.success').waitFor();

    // A second tab reads version 1; the first saves version 2 meanwhile.
    const second = await newPage(context);
    await second.goto(`${base}/m-inscrire`);
    await second.locator('#inscription-form').waitFor();
    await second.waitForLoadState('networkidle');
    await first.getByLabel('Téléphone').fill('06 98 76 54 32');
    await first.getByRole('button', { name: 'Enregistrer mon inscription' }).click();
    await first.locator('.notice.success', { hasText: 'Version 2' }).waitFor();

    await second.getByLabel('Commune').fill('Aix-en-Provence');
    await second.getByRole('button', { name: 'Enregistrer mon inscription' }).click();
    await assertSummaryFocused(second, /Inscription modifiée entre-temps/);
    assert.equal(await second.locator('.error-summary').getAttribute('data-code'), 'version_conflict');
    await check(second, 'inscription-conflict');
    await second.getByRole('button', { name: 'Recharger mon inscription' }).click();
    await second.locator('.notice.info', { hasText: 'version 2' }).waitFor();
    assert.equal(await second.getByLabel('Téléphone').inputValue(), '+33698765432');
    assert.equal(await second.getByLabel('Commune').inputValue(), 'Marseille');
    await second.getByLabel('Commune').fill('Aix-en-Provence');
    await second.getByRole('button', { name: 'Enregistrer mon inscription' }).click();
    await second.locator('.notice.success', { hasText: 'Version 3' }).waitFor();

    // Documents before their window: the forms disabled, with the opening
    // date (uploads.test.mjs follows files through an open window).
    await second.goto(`${base}/mes-documents`);
    await second.locator('#documents').waitFor();
    assert.match(await second.locator('#documents-window').innerText(), /ouvrira le lundi 8 novembre 2021 à 00\sh\s00/);
    const piece = second.locator('li.piece[data-kind="identity_document"]');
    assert.ok(await piece.locator('input[type="file"]').isDisabled());
    assert.ok(await piece.getByRole('button', { name: 'Déposer ce fichier' }).isDisabled());
    assert.match(await piece.locator('.upload-note').innerText(), /Le dépôt en ligne ouvrira le lundi 8 novembre 2021 à 00\sh\s00 \(heure de Paris\)/);
    await check(second, 'documents-closed');

    // The home page while the inscription is registered.
    await second.goto(`${base}/`);
    await second.locator('#dashboard').waitFor();
    assert.match(await second.locator('#todo').innerText(), /À déposer/);
    await check(second, 'home-registered');

    // The registration window closes (12 November for the BP).
    // Sessions last 12 hours: back to the login page, then back here.
    await runner.setClock('2021-11-13T09:00:00Z');
    await second.goto(`${base}/m-inscrire`);
    await second.waitForURL(`${base}/login?next=%2Fm-inscrire`);
    await second.getByLabel('Adresse électronique').fill(email);
    await second.getByLabel('Mot de passe').fill(PASSWORD);
    await second.getByRole('button', { name: 'Se connecter' }).click();
    await second.waitForURL(`${base}/m-inscrire`);
    await second.locator('#inscription-form').waitFor();
    await second.waitForLoadState('networkidle');
    assert.match(await second.locator('#window-note').innerText(), /sont closes depuis le vendredi 12 novembre 2021 à 23\sh\s59/);
    // Closed: a read-only view that says why and what can still be done.
    assert.match(await second.locator('#closed-note').innerText(), /ne peut plus être modifiée en ligne.*Vous pouvez encore/s);
    assert.ok(await second.getByLabel('Téléphone').isDisabled());
    assert.equal(await second.getByRole('button', { name: 'Enregistrer mon inscription' }).count(), 0);
    await check(second, 'inscription-closed');
    assertClean(first);
  });
});

describe('journey 3: after login, only pages of this site', () => {
  let runner;
  let context;
  const email = 'lea.bernard@example.fr';
  // `next` values that would leave the site if taken as they are: browsers
  // drop tabs and newlines from addresses and read « \ » as « / ».
  const TRICKS = [
    '/\t/evil.example/x',
    '/\n/evil.example',
    '//evil.example',
    '/\\evil.example',
    'https://evil.example',
    'javascript:alert(1)',
  ];
  // Every request to the other site, and every dialog (a javascript: address).
  const escapes = [];

  before(async () => {
    runner = await startRunner(START);
    context = await openBrowser();
    await context.route(/^[a-z]+:\/\/evil\.example/i, (route) => {
      escapes.push(route.request().url());
      return route.fulfill({ status: 200, contentType: 'text/html', body: '<!DOCTYPE html><title>evil</title><p>evil</p>' });
    });
  });
  after(async () => {
    await context?.close();
    await runner?.stop();
  });

  /** Waits until the page has left /login, and says where it went. */
  async function landing(page, base) {
    await page.waitForURL((url) => url.origin !== base || url.pathname !== '/login');
    await page.waitForLoadState('networkidle');
    return new URL(page.url());
  }

  function watchDialogs(page) {
    page.on('dialog', (dialog) => {
      escapes.push(`dialog: ${dialog.message()}`);
      return dialog.dismiss();
    });
  }

  test('a signed-in visitor is never sent to another site', async () => {
    const base = runner.base;
    await signupByApi(runner, email);
    const page = await newPage(context);
    watchDialogs(page);
    await login(page, base, email);

    for (const trick of TRICKS) {
      await page.goto(`${base}/login?next=${encodeURIComponent(trick)}`);
      const url = await landing(page, base);
      assert.equal(url.origin, base, `next=${JSON.stringify(trick)} left the site for ${url.href}`);
      assert.equal(url.pathname, '/', `next=${JSON.stringify(trick)}`);
    }
    // The address of the audit, as typed: « %09 » after the first « / ».
    await page.goto(`${base}/login?next=/%09/evil.example/x`);
    assert.equal((await landing(page, base)).href, `${base}/`);
    await page.goto(`${base}/login?next=/%0a/evil.example`);
    assert.equal((await landing(page, base)).href, `${base}/`);

    // A page of this site: it is where the login page sends.
    await page.goto(`${base}/login?next=${encodeURIComponent('/mes-documents')}`);
    assert.equal((await landing(page, base)).href, `${base}/mes-documents`);
    await page.locator('h1').waitFor();

    // safeNext itself: the resolved path of this site, or « / ».
    const answers = await page.evaluate(async (values) => {
      const { safeNext } = await import('/assets/ui.js');
      return values.map((v) => safeNext(v));
    }, [...TRICKS, '/%09/evil.example', '/\u00a0/evil.example', '/\u2028/evil.example', '\t/x', '',
      null, '/mes-documents', '/m-inscrire?x=1#f-email', '/a/../mes-documents', 'mes-documents']);
    assert.deepEqual(answers, [
      '/', '/', '/', '/', '/', '/', '/%09/evil.example', '/', '/', '/', '/',
      '/', '/mes-documents', '/m-inscrire?x=1#f-email', '/mes-documents', '/',
    ]);

    assert.deepEqual(escapes, []);
    assertClean(page);
  });

  test('after logging in, never to another site', async () => {
    const base = runner.base;
    const page = await newPage(context);
    watchDialogs(page);
    // Signed out: the login page takes `next` after the password.
    await page.goto(`${base}/`);
    await page.getByRole('button', { name: 'Se déconnecter', exact: true }).click();
    await page.waitForURL(`${base}/login?logout=1`);

    for (const raw of [...TRICKS.map(encodeURIComponent), '/%09/evil.example/x', '/%0a/evil.example']) {
      await page.goto(`${base}/login?next=${raw}`);
      await page.getByLabel('Adresse électronique').fill(email);
      await page.getByLabel('Mot de passe').fill(PASSWORD);
      await page.getByRole('button', { name: 'Se connecter' }).click();
      const url = await landing(page, base);
      assert.equal(url.href, `${base}/`, `next=${raw} after a login`);
      await page.getByRole('button', { name: 'Se déconnecter', exact: true }).click();
      await page.waitForURL(`${base}/login?logout=1`);
    }

    await page.goto(`${base}/login?next=%2Fmes-documents`);
    await page.getByLabel('Adresse électronique').fill(email);
    await page.getByLabel('Mot de passe').fill(PASSWORD);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    assert.equal((await landing(page, base)).href, `${base}/mes-documents`);
    await page.locator('h1').waitFor();

    assert.deepEqual(escapes, []);
    assertClean(page);
  });
});

// ---------------------------------------------------------------------------
// Issue #19: the signed confirmation protected, the task list, late arrivals.

const BAC_PRO_INSCRIPTION = {
  diploma: 'BAC_PRO',
  specialty: 'MCV_A',
  identity: {
    last_name: 'Morel', first_names: 'Inès', birth_date: '2003-02-11', birth_place: 'Marseille 3e',
    birth_department: '13', nationality: 'FR',
    address: { line1: '3 boulevard Longchamp', postal_code: '13001', city: 'Marseille', country: 'FR' },
    phone: '06 12 34 56 78',
  },
  disability: { declared: false },
  acquis: [],
  options: [],
  version: 0,
};

/** An activated account with a saved Bac Pro inscription; resolves to its bearer token. */
async function registeredByApi(runner, email) {
  await signupByApi(runner, email);
  const login = await runner.json('POST', '/auth/login', { email, password: PASSWORD });
  assert.equal(login.status, 200);
  const { token } = login.body;
  const saved = await runner.asCandidate(token, 'PUT', '/inscription', BAC_PRO_INSCRIPTION);
  assert.equal(saved.status, 201, JSON.stringify(saved.body));
  return token;
}

/** Every piece uploaded (a PDF each), then validated by the office. */
async function validatedByApi(runner, token, email) {
  const { body: ins } = await runner.asCandidate(token, 'GET', '/inscription');
  for (const piece of ins.pieces) {
    const ticket = await runner.asCandidate(token, 'POST', `/inscription/pieces/${piece.kind}/uploads`, {
      content_type: 'application/pdf', size_bytes: PDF.length, name: `${piece.kind}.pdf`,
    });
    assert.equal(ticket.status, 201, JSON.stringify(ticket.body));
    const put = await fetch(ticket.body.upload_url, { method: 'PUT', headers: ticket.body.headers, body: PDF });
    assert.ok(put.ok, `PUT ${piece.kind}: ${put.status}`);
  }
  for (let i = 0; ; i += 1) {
    const { body } = await runner.asCandidate(token, 'GET', '/inscription');
    if (body.status === 'complete') break;
    assert.ok(i < 50, `the pieces were not all received: ${JSON.stringify(body.pieces)}`);
    await new Promise((r) => { setTimeout(r, 100); });
  }
  for (const piece of ins.pieces) {
    await runner.admin({ action: 'validate_piece', actor: 'agent.diec', email, kind: piece.kind });
  }
  const { body } = await runner.asCandidate(token, 'GET', '/inscription');
  assert.equal(body.status, 'validated');
  return body;
}

async function signedConfirmationOf(runner, token) {
  const { body } = await runner.asCandidate(token, 'GET', '/inscription');
  return { version: body.version, piece: body.pieces.find((p) => p.kind === 'signed_confirmation') };
}

async function openForm(page, base) {
  await page.goto(`${base}/m-inscrire`);
  await page.locator('#inscription-form').waitFor();
  await page.waitForLoadState('networkidle');
}

describe('journey 4: a validated dossier and its signed confirmation', () => {
  let runner;
  let context;
  const email = 'ines.morel@example.fr';

  before(async () => {
    runner = await startRunner(START);
    context = await openBrowser();
  });
  after(async () => {
    await context?.close();
    await runner?.stop();
  });

  test('opened and left without change, then changed only after a warning', async () => {
    const base = runner.base;
    const token = await registeredByApi(runner, email);
    await validatedByApi(runner, token, email);
    const page = await newPage(context);
    const puts = [];
    page.on('request', (request) => {
      if (request.method() === 'PUT' && new URL(request.url()).pathname === '/inscription') puts.push(request.url());
    });
    await login(page, base, email);

    // The task list: every step done, and what comes next.
    const tasks = page.locator('#tasks');
    await tasks.locator('li.task').first().waitFor();
    assert.deepEqual(await tasks.locator('li.task').evaluateAll((items) => items.map((i) => i.dataset.state)),
      ['done', 'done', 'done', 'done', 'done']);
    assert.match(await tasks.innerText(), /inscription est définitive.*convocation/s);
    await check(page, 'home-validated');

    // Opened and left as it is: nothing to save, nothing sent.
    await openForm(page, base);
    const save = page.getByRole('button', { name: 'Enregistrer mon inscription' });
    assert.ok(await save.isDisabled(), '« Enregistrer » is disabled while nothing has changed');
    assert.match(await page.locator('#save-hint').innerText(), /Aucune modification à enregistrer/);
    await check(page, 'inscription-validated-unchanged');
    // Typing the same value back changes nothing either.
    await page.getByLabel('Commune').fill('Marseilles');
    assert.ok(await save.isEnabled());
    await page.getByLabel('Commune').fill('Marseille');
    assert.ok(await save.isDisabled());
    assert.deepEqual(puts, []);

    // A change: the dialog says what changed and what it costs.
    await page.getByLabel('Téléphone').fill('06 98 76 54 32');
    await save.click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    const said = await dialog.innerText();
    assert.match(said, /confirmation signée déposée le .+ ne sera plus valable/s);
    assert.match(said, /il faudra imprimer, dater et signer la nouvelle confirmation, puis l'envoyer/);
    assert.deepEqual(await page.locator('#void-changes li').allInnerTexts(), ['Téléphone']);
    assert.equal((await focusedElement(page)).id, 'void-cancel', 'the safe answer has the focus');
    await check(page, 'inscription-void-dialog');

    // Cancel: nothing sent, the signature kept, the focus back on the button.
    await page.getByRole('button', { name: 'Annuler et garder ma confirmation signée' }).click();
    assert.ok(!(await dialog.isVisible()));
    assert.equal((await focusedElement(page)).id, 'save');
    assert.deepEqual(puts, []);
    let signed = await signedConfirmationOf(runner, token);
    assert.equal(signed.piece.status, 'validated');
    // Escape is a « no » too.
    await save.click();
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    assert.ok(!(await dialog.isVisible()));
    assert.deepEqual(puts, []);

    // Confirm: saved, and the dossier asks for the new signed confirmation.
    await save.click();
    await page.getByRole('button', { name: 'Enregistrer quand même' }).click();
    await page.locator('.notice.success', { hasText: 'Version 2' }).waitFor();
    assert.match(await page.locator('.notice.success .resign').innerText(), /n'est plus valable.*version 2/s);
    assert.equal(puts.length, 1);
    signed = await signedConfirmationOf(runner, token);
    assert.equal(signed.version, 2);
    assert.equal(signed.piece.status, 'missing');
    assert.ok(await save.isDisabled(), 'saved: nothing left to save');

    await page.goto(`${base}/`);
    await tasks.locator('li.task').first().waitFor();
    assert.equal(await tasks.locator('li[data-step="confirmation"]').getAttribute('data-state'), 'todo');
    assert.equal(await tasks.locator('li[data-step="documents"]').getAttribute('data-state'), 'todo');
    assert.match(await tasks.locator('li[data-step="documents"]').innerText(),
      /Sans ces pièces, votre inscription sera annulée le dimanche 7 novembre à 23\sh\s59 \(heure de Paris\)/);
    await check(page, 'home-signature-to-send-again');
    assertClean(page);
  });
});

describe('journey 5: the task list escalates, the form closes', () => {
  let runner;
  let context;
  const email = 'noah.petit@example.fr';

  before(async () => {
    runner = await startRunner(START);
    context = await openBrowser();
  });
  after(async () => {
    await context?.close();
    await runner?.stop();
  });

  /** The documents step of the task list, once the page is signed in again (sessions last 12 h). */
  async function documentsStep(page, base) {
    await login(page, base, email);
    const step = page.locator('#tasks li[data-step="documents"]');
    await step.waitFor();
    return step;
  }

  test('7 and 2 days before the documents deadline, then the read-only form', async () => {
    const base = runner.base;
    await registeredByApi(runner, email);
    const page = await newPage(context);

    // 26 October: twelve days left, nothing pressing.
    let step = await documentsStep(page, base);
    assert.equal(await step.getAttribute('data-state'), 'todo');
    assert.equal(await step.getAttribute('data-urgency'), null);
    assert.match(await step.innerText(), /Date limite\s?: dimanche 7 novembre à 23\sh\s59 \(heure de Paris\)/);

    // 1 November, 13:00 in Paris: less than seven days.
    await runner.setClock('2021-11-01T12:00:00Z');
    step = await documentsStep(page, base);
    assert.equal(await step.getAttribute('data-urgency'), 'soon');
    assert.match(await step.locator('.task-urgency').innerText(), /^Plus que 6\sjours et 10\sheures$/);
    assert.match(await step.innerText(), /Sans ces pièces, votre inscription sera annulée le dimanche 7 novembre à 23\sh\s59/);
    await check(page, 'home-tasks-7-days');

    // The registration window closed on 31 October: a read-only view.
    await openForm(page, base);
    const note = await page.locator('#closed-note').innerText();
    assert.match(note, /ne peut plus être modifiée en ligne/);
    assert.match(note, /Vous pouvez encore.*jusqu'au dimanche 7 novembre à 23\sh\s59.*stylo rouge/s);
    assert.ok(await page.getByLabel('Nom de famille').isDisabled());
    assert.equal(await page.locator('#inscription-form button[type="submit"]').isVisible(), false);
    await check(page, 'inscription-read-only');

    // 6 November, 13:00: less than two days, urgent.
    await runner.setClock('2021-11-06T12:00:00Z');
    step = await documentsStep(page, base);
    assert.equal(await step.getAttribute('data-urgency'), 'urgent');
    assert.match(await step.locator('.task-urgency').innerText(), /^Urgent\s?: plus que 1\sjour et 10\sheures$/);
    for (const width of [1280, 375]) {
      await page.setViewportSize({ width, height: 800 });
      const overflow = await sidewaysOverflow(page);
      assert.ok(overflow <= 0, `the task list scrolls sideways at ${width} px`);
      await page.screenshot({ path: path.join(SHOTS, `home-tasks-2-days-${width}.png`), fullPage: true });
    }
    await page.setViewportSize(DESKTOP);
    await check(page, 'home-tasks-2-days');
    assertClean(page);
  });
});

describe('journey 6: a late arrival', () => {
  let runner;
  let context;
  const email = 'lina.garcia@example.fr';

  before(async () => {
    // 10 December 2021: every registration window of the session has closed.
    runner = await startRunner('2021-12-10T09:00:00Z');
    context = await openBrowser();
  });
  after(async () => {
    await context?.close();
    await runner?.stop();
  });

  test('what can still be done, not « ne peut plus être modifiée »', async () => {
    const base = runner.base;
    await signupByApi(runner, email);
    const page = await newPage(context);
    await login(page, base, email);
    const step = page.locator('#tasks li[data-step="register"]');
    await step.waitFor();
    assert.equal(await step.getAttribute('data-state'), 'closed');
    const text = await step.innerText();
    assert.match(text, /closes pour tous les diplômes.*Vous pouvez encore contacter/s);
    assert.doesNotMatch(await page.locator('main').innerText(), /ne peut plus être modifiée/);
    await check(page, 'home-late-arrival');

    await page.getByRole('link', { name: "M'inscrire", exact: true }).click();
    await page.locator('#late-note').waitFor();
    await page.waitForLoadState('networkidle');
    assert.match(await page.locator('#late-note').innerText(), /closes pour tous les diplômes.*Vous pouvez encore.*session suivante/s);
    assert.ok(!(await page.locator('#inscription-form').isVisible()));
    assert.doesNotMatch(await page.locator('main').innerText(), /ne peut plus être modifiée/);
    await check(page, 'inscription-late-arrival');
    assertClean(page);
  });
});
