// The portal's frame in a real browser (issue #19, « an official, reassuring
// frame »): the DSFR's header and footer on every page, the footer's links
// to the help page and the three pages the law requires, the HTML 404 page
// (never JSON to a browser), the AMEX link opening in a new window with a
// warning, the vendored DSFR files the same as the pinned package's; axe-core
// (WCAG 2.1 A and AA) finds nothing at 1280 and 320 px.
//
//   node --test frame.test.mjs      (tests/browser/run.sh does it all)
//
// Environment: EXAMREG_BIN (default target/debug/examreg), CHROMIUM_PATH.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  PASSWORD, ROOT, SHOTS, axe, newPage as watchedPage, openBrowser as openProfile, sidewaysOverflow,
  startRunner as startLocalRunner,
} from './harness.mjs';

const WIDTHS = [{ width: 1280, height: 800 }, { width: 320, height: 640 }];
// The Bac Pro's registration window is open (26 October 2021, Paris).
const START = '2021-10-26T08:00:00Z';

const FOOTER_LINKS = [
  ["Besoin d'aide\u00a0?", '/aide'],
  ['Accessibilité\u00a0: partiellement conforme', '/accessibilite'],
  ['Mentions légales', '/mentions-legales'],
  ['Données personnelles', '/donnees-personnelles'],
];

/** The runner with the portal's identity block set to `identity` (`state` or `neutral`). */
function startRunner(identity) {
  return startLocalRunner(START, { env: { EXAMREG_PORTAL_IDENTITY: identity } });
}

function openBrowser() {
  return openProfile(WIDTHS[0]);
}

/** A watched page that also records any asset that fails and any request to another origin. */
async function newPage(context, base) {
  const page = await watchedPage(context);
  const origin = new URL(base).origin;
  page.on('response', (response) => {
    const url = new URL(response.url());
    if (url.pathname.startsWith('/assets/') && response.status() >= 400) page.problems.push(`${response.status()} ${url.pathname}`);
    if (url.origin !== origin) page.problems.push(`another origin: ${url}`);
  });
  return page;
}

/** The frame around the page, then axe and the reflow at each width. */
async function checkFrame(page, name, { state = true } = {}) {
  await page.waitForLoadState('networkidle');
  assert.equal(await page.getAttribute('html', 'lang'), 'fr', name);
  assert.equal(await page.locator('h1').count(), 1, `${name}: one h1`);
  const banner = page.getByRole('banner');
  assert.match(await banner.innerText(), /Inscriptions aux examens professionnels/, name);
  assert.match(await banner.innerText(), /Académie d’Aix-Marseille – session 2022|Académie d'Aix-Marseille – session 2022/, name);
  const logos = page.locator('.fr-logo');
  assert.equal(await logos.count(), state ? 2 : 0, `${name}: the State's block in the header and the footer`);
  const footer = page.getByRole('contentinfo');
  for (const [text, href] of FOOTER_LINKS) {
    const link = footer.getByRole('link', { name: text, exact: true });
    assert.equal(await link.getAttribute('href'), href, `${name}: the footer links to ${href}`);
  }
  const font = await page.evaluate(() => getComputedStyle(document.body).fontFamily);
  if (state) {
    assert.match(font, /^Marianne/, name);
    assert.ok(await page.evaluate(() => document.fonts.check('16px Marianne')), `${name}: Marianne is loaded`);
  } else {
    assert.doesNotMatch(font, /Marianne/, name);
  }
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const size of WIDTHS) {
    await page.setViewportSize(size);
    const overflow = await sidewaysOverflow(page);
    assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow} px at ${size.width} px`);
    await axe(page, `${name} at ${size.width} px`);
    await page.screenshot({ path: path.join(SHOTS, `frame-${name}-${size.width}.png`), fullPage: true });
  }
  await page.setViewportSize(WIDTHS[0]);
  assert.deepEqual(page.problems, [], `problems in ${page.url()}`);
}

describe('the frame of the portal (State identity)', () => {
  let runner;
  let context;
  before(async () => {
    runner = await startRunner('state');
    context = await openBrowser();
  });
  after(async () => {
    await context?.close();
    await runner?.stop();
  });

  test('every page has the header and the footer, with no axe violation', async () => {
    const page = await newPage(context, runner.base);
    for (const [p, name] of [['/', 'accueil'], ['/signup', 'signup'], ['/login', 'login'], ['/forgot-password', 'forgot-password'],
      ['/aide', 'aide'], ['/mentions-legales', 'mentions-legales'], ['/donnees-personnelles', 'donnees-personnelles'],
      ['/accessibilite', 'accessibilite']]) {
      await page.goto(`${runner.base}${p}`);
      await checkFrame(page, name);
    }
    // The footer's links lead to their pages, the current one marked.
    await page.goto(`${runner.base}/`);
    await page.getByRole('contentinfo').getByRole('link', { name: 'Mentions légales' }).click();
    await page.waitForURL('**/mentions-legales');
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Mentions légales');
    assert.equal(await page.getByRole('contentinfo').getByRole('link', { name: 'Mentions légales' }).getAttribute('aria-current'), 'page');
    await page.close();
  });

  test('the help page gives the exams office\'s address and website', async () => {
    const page = await newPage(context, runner.base);
    await page.goto(`${runner.base}/`);
    await page.getByRole('banner').getByRole('link', { name: "Besoin d'aide\u00a0?" }).click();
    await page.waitForURL('**/aide');
    const contact = page.locator('#help-contact');
    assert.match(await contact.innerText(), /RECTORAT D'AIX-MARSEILLE\s+DIEC 3\.05\s+Place Lucien Paye\s+13621 Aix-en-Provence cedex 1/);
    assert.equal(await contact.getByRole('link', { name: 'www.ac-aix-marseille.fr' }).getAttribute('href'), 'https://www.ac-aix-marseille.fr');
    await page.close();
  });

  test('the personal-data page says how long and whom to write to', async () => {
    const page = await newPage(context, runner.base);
    await page.goto(`${runner.base}/donnees-personnelles`);
    const text = await page.locator('main').innerText();
    assert.match(text, /jusqu'au vendredi 7 juillet 2023 inclus, soit 12 mois après la publication des résultats/);
    assert.match(text, /Délégué à la protection des données/);
    assert.match(await page.locator('#dpo').innerText(), /Place Lucien Paye/);
    await page.close();
  });

  test('an unknown address is a page, never JSON, even under the API\'s prefixes', async () => {
    const page = await newPage(context, runner.base);
    for (const [p, name] of [['/page-inconnue', '404'], ['/auth/nulle-part', '404-api'], ['/auth/login', '404-post-only'], ['/assets/inconnu.css', '404-asset']]) {
      const response = await page.goto(`${runner.base}${p}`);
      assert.equal(response.status(), 404, p);
      assert.match(response.headers()['content-type'], /^text\/html/, p);
      assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Page introuvable', p);
      page.problems.length = 0; // the 404 of the page itself
      await checkFrame(page, name);
    }
    // A script's call still gets problem+json.
    const api = await fetch(`${runner.base}/auth/nulle-part`);
    assert.equal(api.status, 404);
    assert.match(api.headers.get('content-type'), /^application\/problem\+json/);
    await page.close();
  });

  test('the AMEX link opens in a new window and says so', async () => {
    const email = 'frame.amex@example.com';
    let answer = await runner.json('POST', '/auth/signup', { email, password: PASSWORD });
    assert.equal(answer.status, 202, JSON.stringify(answer.body));
    const outbox = await runner.outbox();
    const token = /activate\?token=([^\s"<>]+)/.exec(outbox.filter((m) => m.to === email).pop().text)[1];
    answer = await runner.json('POST', '/auth/activate', { token });
    assert.ok(answer.status < 300, JSON.stringify(answer.body));
    const page = await newPage(context, runner.base);
    await page.goto(`${runner.base}/login`);
    await page.getByLabel('Adresse électronique').fill(email);
    await page.getByLabel('Mot de passe', { exact: true }).fill(PASSWORD);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.waitForURL((url) => url.pathname !== '/login');
    await page.goto(`${runner.base}/m-inscrire`);
    // In the disability part of the form, shown once « Handicap » is answered.
    const amex = page.locator('a[href="https://appli.ac-aix-marseille.fr/amex/"]');
    await amex.waitFor({ state: 'attached' });
    assert.match(await amex.textContent(), /aménagement d'épreuves \(nouvelle fenêtre\)$/);
    assert.equal(await amex.getAttribute('target'), '_blank');
    assert.match(await amex.getAttribute('rel'), /noopener/);
    await page.close();
  });

  test('the vendored DSFR files are the pinned package\'s', () => {
    const dsfr = path.join(ROOT, 'infra', 'dsfr');
    if (!fs.existsSync(path.join(dsfr, 'node_modules', '@gouvfr', 'dsfr'))) {
      const install = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dsfr, encoding: 'utf8' });
      assert.equal(install.status, 0, install.stderr);
    }
    const check = spawnSync(process.execPath, [path.join(ROOT, 'infra', 'scripts', 'vendor-dsfr.mjs'), '--check'], { encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
  });
});

describe('the frame of the portal (neutral identity)', () => {
  let runner;
  let context;
  before(async () => {
    runner = await startRunner('neutral');
    context = await openBrowser();
  });
  after(async () => {
    await context?.close();
    await runner?.stop();
  });

  test('no State block and no Marianne, the operator named', async () => {
    const page = await newPage(context, runner.base);
    await page.goto(`${runner.base}/aide`);
    await checkFrame(page, 'aide-neutre', { state: false });
    assert.equal(await page.locator('.operator-name').first().innerText(), "Académie d'Aix-Marseille");
    await page.close();
  });
});
