// The back office's pages (/gestion) in a real browser: Debian's headless
// Chromium driven by playwright-core, against the local runner
// (target/debug/examreg) on a temporary data directory, with staff accounts
// made by `examreg staff add` (password from EXAMREG_STAFF_PASSWORD) and
// candidates prepared through the API. axe-core (WCAG 2.1 A and AA rules) on
// every page; screenshots at desk (1280 px) and tablet (768 px) widths in
// tests/browser/screenshots/office-*.png.
//
//   node --test office.test.mjs      (tests/browser/run.sh does it all)
//
// Environment: EXAMREG_BIN (default target/debug/examreg), CHROMIUM_PATH
// (default /usr/bin/chromium).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PDF } from './fixtures.mjs';
import {
  BIN, SHOTS, axe, focusedElement as focused, openBrowser as openProfile, sidewaysOverflow, startRunner as startLocalRunner, watch,
} from './harness.mjs';

const DESK = { width: 1280, height: 900 };
const TABLET = { width: 768, height: 1024 };
const CANDIDATE_PASSWORD = 'une phrase de passe assez longue 42';
const STAFF_PASSWORD = 'le mot de passe du bureau 2021 !';
// Both windows of the Bac Pro are open on 26 October 2021 (10:00 in Paris).
const START = '2021-10-26T08:00:00Z';
const STAFF = {
  gestionnaire: 'gilles.gestion@ac-aix-marseille.fr',
  responsable: 'rachida.responsable@ac-aix-marseille.fr',
  lecteur: 'louise.lecture@ac-aix-marseille.fr',
};

// ---------------------------------------------------------------------------
// The local runner, its staff and its candidates.

/** `examreg staff add` as the office's head would run it: the password from the environment. */
function staffAdd(dataDir, email, role) {
  execFileSync(BIN, ['staff', 'add', email, '--role', role, '--data-dir', dataDir], {
    env: { ...process.env, EXAMREG_STAFF_PASSWORD: STAFF_PASSWORD, RUST_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The runner with the office's three staff members added before it starts. */
function startRunner(now, extraEnv = {}) {
  return startLocalRunner(now, {
    prepare: (dataDir) => {
      for (const [role, email] of Object.entries(STAFF)) staffAdd(dataDir, email, role);
    },
    env: extraEnv,
  });
}

/** A candidate with a saved Bac Pro MELEC inscription; `pieces` uploaded as PDFs. Answers the token. */
async function candidate(runner, email, { last, first, birth }, pieces) {
  assert.equal((await runner.json('POST', '/auth/signup', { email, password: CANDIDATE_PASSWORD })).status, 202);
  const mail = (await runner.outbox()).filter((m) => m.to === email).pop();
  const token = /\/activate\?token=([^\s"<>]+)/.exec(mail.text)[1];
  assert.equal((await runner.json('POST', '/auth/activate', { token })).status, 200);
  const session = (await runner.json('POST', '/auth/login', { email, password: CANDIDATE_PASSWORD })).body.token;
  const saved = await runner.json('PUT', '/inscription', {
    diploma: 'BAC_PRO',
    specialty: 'MELEC',
    identity: {
      last_name: last, first_names: first, birth_date: birth, birth_place: 'Marseille', nationality: 'FR',
      address: { line1: '3 boulevard Michelet', postal_code: '13008', city: 'Marseille', country: 'FR' },
      phone: '+33491000000',
    },
    disability: { declared: false, existing_accommodation: false },
    acquis: [],
    version: 0,
  }, session);
  assert.ok(saved.status < 300, JSON.stringify(saved.body));
  for (const [kind, name] of pieces) {
    const ticket = await runner.json('POST', `/inscription/pieces/${kind}/uploads`, { content_type: 'application/pdf', size_bytes: PDF.length, name }, session);
    assert.equal(ticket.status, 201, JSON.stringify(ticket.body));
    const put = await fetch(ticket.body.upload_url, { method: 'PUT', headers: ticket.body.headers, body: PDF });
    assert.equal(put.status, 200, await put.text());
  }
  return session;
}

// ---------------------------------------------------------------------------
// The browser.

function openBrowser() {
  return openProfile(DESK);
}

const checked = [];

/**
 * The page as it is: French, one h1, no axe violation at desk and tablet
 * widths, no sideways scroll on the tablet, screenshots of both.
 */
async function check(page, name) {
  await page.waitForLoadState('networkidle');
  assert.equal(await page.getAttribute('html', 'lang'), 'fr', name);
  assert.equal(await page.locator('h1').count(), 1, `${name}: one h1`);
  await axe(page, name);
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `office-${name}-desk.png`), fullPage: true });
  await page.setViewportSize(TABLET);
  const overflow = await sidewaysOverflow(page);
  assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow} px at 768 px`);
  await axe(page, `${name} (tablet)`);
  await page.screenshot({ path: path.join(SHOTS, `office-${name}-tablet.png`), fullPage: true });
  await page.setViewportSize(DESK);
  assert.deepEqual(page.problems, [], `problems in ${page.url()}`);
  checked.push(name);
}

async function signIn(page, base, email) {
  await page.goto(`${base}/gestion`);
  await page.waitForURL(/\/gestion\/connexion\?/);
  await page.getByLabel('Adresse électronique professionnelle').fill(email);
  await page.getByLabel('Mot de passe').fill(STAFF_PASSWORD);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(`${base}/gestion`);
  await page.locator('#who').filter({ hasText: email }).waitFor();
}

/** The live region's announcement, once it says `pattern`. */
async function announced(page, pattern) {
  const region = page.locator('#annonce');
  await region.filter({ hasText: pattern }).waitFor();
  assert.equal(await region.getAttribute('role'), 'status');
  return region.innerText();
}

after(() => {
  if (checked.length) console.log(`# screenshots of ${checked.length} back-office page states in ${SHOTS}`);
});

describe('the back office', () => {
  let runner;
  let context;
  const helene = 'helene.martin@example.fr';
  const karim = 'karim.benali@example.fr';

  before(async () => {
    runner = await startRunner(START);
    await candidate(runner, helene, { last: 'Martin', first: 'Hélène', birth: '1990-05-17' }, [['identity_document', 'cni-recto.pdf']]);
    await candidate(runner, karim, { last: 'Benali', first: 'Karim', birth: '1988-02-11' }, [
      ['identity_document', 'passeport.pdf'], ['signed_confirmation', 'confirmation.pdf'],
    ]);
    context = await openBrowser();
  });
  after(async () => {
    await context?.close();
    await runner?.stop();
  });

  test('a gestionnaire finds a candidate, views, rejects and records pieces, validates the dossier', async () => {
    const base = runner.base;
    const page = watch(await context.newPage());

    // No session: the sign-in page; a wrong password is said, and focused.
    await page.goto(`${base}/gestion/recherche`);
    await page.waitForURL(/\/gestion\/connexion\?retour=/);
    await page.locator('#sign-in-form').waitFor();
    await check(page, 'sign-in');
    await page.keyboard.press('Tab');
    assert.equal((await focused(page)).text, 'Aller au contenu');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    assert.match((await focused(page)).className, /error-summary/);
    assert.match(await page.locator('#f-email-error').innerText(), /adresse électronique/);
    await page.getByLabel('Adresse électronique professionnelle').fill(STAFF.gestionnaire);
    await page.getByLabel('Mot de passe').fill('pas le bon');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.locator('.error-summary').waitFor();
    assert.match((await focused(page)).className, /error-summary/);
    await check(page, 'sign-in-refused');
    await page.getByLabel('Mot de passe').fill(STAFF_PASSWORD);
    await page.getByRole('button', { name: 'Se connecter' }).click();
    // Back where the visit started.
    await page.waitForURL(`${base}/gestion/recherche`);
    assert.equal(await page.evaluate(() => Object.keys(localStorage).length), 0, 'nothing in localStorage');
    assert.equal(await page.evaluate(() => document.cookie), '', 'no cookie');

    // The dashboard: counts per diploma and status, the complete dossier to review.
    await page.getByRole('link', { name: 'Tableau de bord' }).click();
    await page.locator('#stats table').waitFor();
    assert.match(await page.locator('#stats').innerText(), /2 dossiers/);
    assert.match(await page.locator('#stats table').innerText(), /MELEC/);
    await page.locator('#review table').waitFor();
    assert.match(await page.locator('#review').innerText(), /BENALI Karim/);
    assert.doesNotMatch(await page.locator('#review').innerText(), /MARTIN/);
    await check(page, 'home');
    // No link to what the role may not do.
    assert.equal(await page.getByRole('link', { name: 'Exports' }).count(), 0);

    // Search by a name's start, without its accent; then by birth date.
    await page.getByRole('link', { name: 'Rechercher', exact: true }).click();
    await page.getByRole('button', { name: 'Rechercher' }).click();
    assert.match((await focused(page)).className, /error-summary/);
    await page.getByLabel('Nom ou prénom').fill('hele');
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await announced(page, /1 candidat trouvé/);
    await check(page, 'search');
    await page.getByLabel('Nom ou prénom').fill('');
    await page.getByLabel('Date de naissance').fill('1988-02-11');
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.locator('#results a', { hasText: 'BENALI' }).waitFor();
    await page.getByLabel('Date de naissance').fill('');
    await page.getByLabel('Nom ou prénom').fill('MART');
    await page.getByRole('button', { name: 'Rechercher' }).click();
    await page.getByRole('link', { name: /MARTIN Hélène/ }).click();

    // The dossier: identity, pieces, history with its actors.
    await page.waitForURL(/\/gestion\/dossier\?email=/);
    await page.locator('h1', { hasText: 'Dossier de MARTIN Hélène' }).waitFor();
    const identity = page.locator('article[data-kind="identity_document"]');
    const confirmation = page.locator('article[data-kind="signed_confirmation"]');
    assert.match(await identity.innerText(), /reçue/i);
    assert.match(await identity.innerText(), /déposée en ligne/);
    assert.match(await page.locator('#history-title + .table-wrap').innerText(), /le candidat/);
    await check(page, 'dossier');

    // « Voir »: the file opens in a new tab; the view enters the history.
    // (Headless Chromium has no PDF viewer: the new tab downloads it, so the
    // file's answer is what is checked.)
    const viewed = new Promise((resolve) => {
      const seen = (response) => {
        if (!response.url().includes('/_local/blobs/')) return;
        context.off('response', seen);
        resolve(response);
      };
      context.on('response', seen);
    });
    const [tab] = await Promise.all([
      context.waitForEvent('page'),
      identity.getByRole('button', { name: 'Voir cni-recto.pdf' }).click(),
    ]);
    const file = await viewed;
    assert.equal(file.status(), 200);
    assert.match(file.headers()['content-type'], /pdf/);
    await announced(page, /ouvert dans un nouvel onglet/);
    await tab.close();
    assert.match(await identity.locator('.view-link a').getAttribute('href'), /\/_local\/blobs\//);

    // Reject it: the reason is asked, required, and mailed to the candidate.
    await identity.getByRole('button', { name: 'Refuser la pièce' }).click();
    assert.equal(await identity.getByRole('button', { name: 'Refuser la pièce' }).getAttribute('aria-expanded'), 'true');
    assert.equal((await focused(page)).tag, 'TEXTAREA');
    await identity.getByRole('button', { name: 'Confirmer le refus' }).click();
    assert.match((await focused(page)).className, /error-summary/);
    assert.match((await focused(page)).text, /motif du refus/);
    await check(page, 'dossier-reject-errors');
    const reason = 'Le document est illisible : merci d’en déposer une copie nette, recto et verso.';
    await identity.getByLabel('Motif du refus').fill(reason);
    await identity.getByRole('button', { name: 'Confirmer le refus' }).click();
    await announced(page, /Pièce refusée/);
    assert.match(await identity.innerText(), /refusée/i);
    assert.match(await identity.innerText(), /illisible/);
    assert.equal((await focused(page)).id, 'piece-identity_document');
    const mails = (await runner.outbox()).filter((m) => m.to === helene);
    assert.ok(mails.some((m) => m.text.includes('illisible')), 'the candidate is told why');

    // Record the paper copies: the postmark date is asked.
    await confirmation.getByRole('button', { name: 'Enregistrer une pièce reçue par courrier' }).click();
    await confirmation.getByLabel('Date du cachet de la poste').fill('');
    await confirmation.getByRole('button', { name: 'Enregistrer la pièce papier' }).click();
    assert.match((await focused(page)).text, /cachet de la poste/);
    await confirmation.getByLabel('Date du cachet de la poste').fill('2021-10-25');
    assert.equal(await confirmation.getByLabel('Version imprimée sur la confirmation').inputValue(), '1');
    await confirmation.getByRole('button', { name: 'Enregistrer la pièce papier' }).click();
    await announced(page, /Pièce papier enregistrée\s:\sConfirmation d'inscription/);
    assert.match(await confirmation.innerText(), /par courrier postal/);
    await identity.getByRole('button', { name: 'Enregistrer une pièce reçue par courrier' }).click();
    await identity.getByLabel('Date du cachet de la poste').fill('2021-10-26');
    await identity.getByRole('button', { name: 'Enregistrer la pièce papier' }).click();
    await announced(page, /Pièce papier enregistrée\s:\sPièce d'identité/);
    await check(page, 'dossier-paper');

    // Validate the dossier: every received piece at once.
    await page.getByRole('button', { name: 'Valider le dossier' }).click();
    await announced(page, /Dossier validé/);
    assert.match(await page.locator('#inscription-title + dl').innerText(), /validée/i);
    assert.match(await page.locator('#history-title + .table-wrap').innerText(), new RegExp(`${STAFF.gestionnaire} \\(agent\\)`));
    await check(page, 'dossier-validated');
    const got = await runner.json('GET', '/inscription', undefined, (await runner.json('POST', '/auth/login', { email: helene, password: CANDIDATE_PASSWORD })).body.token);
    assert.equal(got.body.status, 'validated');

    // Signing out forgets the session of this tab.
    await page.getByRole('button', { name: 'Se déconnecter', exact: true }).click();
    await page.waitForURL(/motif=deconnexion/);
    await page.locator('.notice', { hasText: 'Vous êtes déconnecté' }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.length), 0);
    await page.goto(`${base}/gestion`);
    await page.waitForURL(/\/gestion\/connexion/);
    await page.close();
  });

  test('a responsable extends a whole diploma with its progress, exports and downloads, withdraws and reopens', async () => {
    const base = runner.base;
    const page = watch(await context.newPage());
    await signIn(page, base, STAFF.responsable);

    await page.getByRole('link', { name: 'Prolongation groupée' }).click();
    await page.locator('#bulk-form').waitFor();
    await page.getByRole('button', { name: 'Lancer la prolongation' }).click();
    assert.match((await focused(page)).className, /error-summary/);
    await check(page, 'bulk-errors');
    await page.getByLabel('Diplôme', { exact: true }).selectOption('BAC_PRO');
    await page.getByLabel('Nouvelle date limite des pièces').fill('2021-11-30');
    await page.getByRole('button', { name: 'Lancer la prolongation' }).click();
    await announced(page, /Prolongation terminée/);
    const progress = page.locator('#progress');
    assert.equal(await progress.getAttribute('value'), await progress.getAttribute('max'));
    assert.match(await page.locator('#progress-text').innerText(), /traités sur 2/);
    assert.equal((await focused(page)).id, 'progress-title');
    await check(page, 'bulk-done');
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('examreg.office.session')).token);
    const karimView = await runner.json('POST', '/office/actions', { action: 'get', email: karim }, token);
    assert.match(karimView.body.documents_deadline_extension, /^2021-11-30T23:59:59/);

    await page.getByRole('link', { name: 'Exports' }).click();
    await page.getByLabel('Diplôme', { exact: true }).selectOption('BAC_PRO');
    await page.getByRole('button', { name: "Produire l'export" }).click();
    await announced(page, /Export produit\s:\s2 inscriptions/);
    await check(page, 'exports');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#done-list a').first().click(),
    ]);
    const file = await download.path();
    const csv = fs.readFileSync(file, 'utf8');
    assert.ok(csv.startsWith('\uFEFF'), 'UTF-8 with a BOM');
    assert.match(csv, /Martin/);
    assert.match(csv, /Benali/);

    // Withdraw a dossier (a reason is asked), then reopen it.
    await page.goto(`${base}/gestion/dossier?email=${encodeURIComponent(karim)}`);
    await page.locator('h1', { hasText: 'Dossier de BENALI Karim' }).waitFor();
    await page.getByRole('button', { name: 'Retirer le dossier' }).click();
    await page.getByRole('button', { name: 'Confirmer le retrait' }).click();
    assert.match((await focused(page)).text, /motif du retrait/);
    await page.getByLabel('Motif du retrait').fill('Le candidat a renoncé par courrier du 25 octobre.');
    await page.getByRole('button', { name: 'Confirmer le retrait' }).click();
    await announced(page, /Dossier retiré/);
    assert.match(await page.locator('#inscription-title + dl').innerText(), /retirée/i);
    await page.getByRole('button', { name: 'Rouvrir le dossier' }).click();
    await page.getByRole('button', { name: 'Rouvrir le dossier' }).last().click();
    await announced(page, /Dossier rouvert/);
    assert.doesNotMatch(await page.locator('#inscription-title + dl').innerText(), /retirée/i);
    await check(page, 'dossier-reopened');

    await page.getByRole('link', { name: 'Courriels en échec' }).click();
    await page.locator('#mails').filter({ hasNotText: 'Chargement' }).waitFor();
    await check(page, 'failed-mails');
    await page.close();
  });

  test('a lecteur reads but is offered no change', async () => {
    const base = runner.base;
    const page = watch(await context.newPage());
    await signIn(page, base, STAFF.lecteur);
    await page.goto(`${base}/gestion/dossier?email=${encodeURIComponent(karim)}`);
    await page.locator('h1', { hasText: 'Dossier de BENALI Karim' }).waitFor();
    assert.ok(await page.getByRole('button', { name: /^Voir/ }).count() > 0, 'the files can be viewed');
    for (const name of ['Valider la pièce', 'Refuser la pièce', 'Valider le dossier', 'Prolonger le délai de ce candidat', 'Retirer le dossier', "Corriger l'identité"]) {
      assert.equal(await page.getByRole('button', { name }).count(), 0, `${name} is not offered`);
    }
    assert.match(await page.locator('main').innerText(), /Votre profil \(lecteur\) permet de consulter/);
    assert.equal(await page.getByRole('link', { name: 'Prolongation groupée' }).count(), 0);
    await check(page, 'dossier-lecteur');
    // The server refuses anyway.
    const token = await page.evaluate(() => JSON.parse(sessionStorage.getItem('examreg.office.session')).token);
    const refused = await runner.json('POST', '/office/actions', { action: 'validate_dossier', email: karim }, token);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 'forbidden_role');
    await page.goto(`${base}/gestion/exports`);
    await page.locator('[data-role-note]').waitFor();
    assert.equal(await page.locator('#export-form').isVisible(), false);
    await page.close();
  });
});

describe('the sign-in of AWS: Cognito hosted UI, authorization code and PKCE', () => {
  // moto has no hosted UI: Cognito's two endpoints are played here by the
  // browser's request interception, the pages and their CSP are the runner's,
  // configured as the admin function is in AWS.
  const DOMAIN = 'https://examreg-office.auth.eu-west-3.amazoncognito.com';
  const CLIENT = 'abc123clientid';
  let runner;
  let context;

  before(async () => {
    runner = await startRunner(START, { EXAMREG_OFFICE_AUTH_DOMAIN: DOMAIN, EXAMREG_OFFICE_CLIENT_ID: CLIENT });
    context = await openBrowser();
  });
  after(async () => {
    await context?.close();
    await runner?.stop();
  });

  test('the code is exchanged with its verifier; the token stays in the tab; sign-out ends it at Cognito', async () => {
    const base = runner.base;
    const config = (await runner.json('GET', '/office/config')).body;
    assert.equal(config.sign_in, 'cognito');
    const page = watch(await context.newPage());
    let asked = null;
    await page.route(`${DOMAIN}/oauth2/authorize**`, (route) => {
      asked = new URL(route.request().url());
      const back = new URL(config.redirect_uri);
      back.search = new URLSearchParams({ code: 'un-code-a-usage-unique', state: asked.searchParams.get('state') }).toString();
      route.fulfill({ status: 302, headers: { Location: back.toString() } });
    });
    let exchanged = null;
    const claims = { username: 'agnes@ac-aix-marseille.fr', 'cognito:groups': '[lecteur]', token_use: 'access' };
    const accessToken = `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2lnbmF0dXJl`;
    await page.route(`${DOMAIN}/oauth2/token`, (route) => {
      exchanged = new URLSearchParams(route.request().postData());
      route.fulfill({
        status: 200,
        headers: { 'Access-Control-Allow-Origin': base, 'Content-Type': 'application/json' },
        body: JSON.stringify({ access_token: accessToken, id_token: 'x', token_type: 'Bearer', expires_in: 3600 }),
      });
    });
    // The runner cannot verify a token of this pool: its answers are played too.
    await page.route(`${base}/office/actions`, (route) => {
      const event = JSON.parse(route.request().postData());
      assert.equal(route.request().headers().authorization, `Bearer ${accessToken}`);
      const body = event.action === 'stats' ? { session: '2022', total: 0, diplomas: [] } : { items: [] };
      route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(body) });
    });
    await page.route(`${DOMAIN}/logout**`, (route) => {
      const url = new URL(route.request().url());
      route.fulfill({ status: 302, headers: { Location: url.searchParams.get('logout_uri') } });
    });

    await page.goto(`${base}/gestion/courriels`);
    await page.waitForURL(/\/gestion\/connexion\?retour=/);
    await page.getByRole('button', { name: 'Se connecter avec mon compte académique' }).waitFor();
    await check(page, 'sign-in-cognito');
    await page.getByRole('button', { name: 'Se connecter avec mon compte académique' }).click();
    await page.waitForURL(`${base}/gestion/courriels`);
    assert.equal(asked.searchParams.get('response_type'), 'code');
    assert.equal(asked.searchParams.get('client_id'), CLIENT);
    assert.equal(asked.searchParams.get('redirect_uri'), config.redirect_uri);
    assert.equal(asked.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(asked.searchParams.get('state').length >= 32, 'a random state');
    assert.equal(exchanged.get('grant_type'), 'authorization_code');
    assert.equal(exchanged.get('code'), 'un-code-a-usage-unique');
    assert.equal(exchanged.get('redirect_uri'), config.redirect_uri);
    const verifier = exchanged.get('code_verifier');
    assert.ok(verifier.length >= 43, 'a verifier of 43 characters at least');
    const challenge = (await import('node:crypto')).createHash('sha256').update(verifier).digest('base64url');
    assert.equal(asked.searchParams.get('code_challenge'), challenge);
    // The code left the address bar; the session is this tab's alone.
    assert.doesNotMatch(page.url(), /code=/);
    await page.locator('#who', { hasText: 'agnes@ac-aix-marseille.fr' }).waitFor();
    assert.match(await page.locator('#who').innerText(), /lecteur/);
    assert.equal(await page.evaluate(() => Object.keys(localStorage).length), 0);
    const other = watch(await context.newPage());
    await other.goto(`${base}/gestion`);
    await other.waitForURL(/\/gestion\/connexion/);
    await other.close();

    await page.getByRole('button', { name: 'Se déconnecter', exact: true }).click();
    await page.waitForURL(/\/gestion\/connexion/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('examreg.office.session')), null);
    assert.deepEqual(page.problems, [], 'no CSP violation on the way');
    await page.close();
  });
});
