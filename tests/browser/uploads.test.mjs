// « Mes documents » as people have documents (issue #19): several files per
// piece, each listed with its name and size, one added, removed, replaced
// (never losing the old one when the new one fails), the limit of five,
// the files the office refused set apart, the guidance of each piece, and
// the forms disabled before the documents window opens and gone after it
// closes. Each journey runs at 1280, 375 and 320 px; axe-core (WCAG 2.1 A
// and AA) on every state, and a screenshot of each in
// tests/browser/screenshots/uploads-<state>-<width>.png.
//
//   node --test uploads.test.mjs      (tests/browser/run.sh does it all)

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PDF, PNG } from './fixtures.mjs';
import {
  assertClean, axe, focusedElement, login, newPage, openBrowser, registeredByApi, removeProfiles, SHOTS, startRunner,
  uploadByApi,
} from './harness.mjs';

const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 375, height: 812 },
  { width: 320, height: 640 },
];
// Both windows of the Bac Pro are open on 26 October 2021 (10:00 in Paris);
// its documents window opens on 25 October and closes on 7 November.
const OPEN = '2021-10-26T08:00:00Z';
const BEFORE_OPENING = '2021-10-20T08:00:00Z';
const AFTER_CLOSING = '2021-11-08T09:00:00Z';

function inscription(lastName) {
  return {
    diploma: 'BAC_PRO',
    specialty: 'MCV_A',
    identity: {
      last_name: lastName, first_names: 'Inès', birth_date: '2003-02-11', birth_place: 'Marseille 3e',
      birth_department: '13', nationality: 'FR',
      address: { line1: '3 boulevard Longchamp', postal_code: '13001', city: 'Marseille', country: 'FR' },
      phone: '06 12 34 56 78',
    },
    disability: { declared: false },
    acquis: [],
    options: [],
    version: 0,
  };
}

const pdf = (name) => ({ name, mimeType: 'application/pdf', buffer: PDF });
const png = (name) => ({ name, mimeType: 'image/png', buffer: PNG });

/** The page as it is: one h1, no axe violation, no sideways scroll, a screenshot. */
async function check(page, name) {
  await page.waitForLoadState('networkidle');
  assert.equal(await page.locator('h1').count(), 1, `${name}: one h1`);
  assert.doesNotMatch(await page.locator('main').innerText(), /\bnull\b|undefined|NaN/, `${name}: no stray value`);
  const { width } = page.viewportSize();
  await axe(page, `${name} at ${width} px`);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow} px at ${width} px`);
  fs.mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `uploads-${name}-${width}.png`), fullPage: true });
  assertClean(page);
}

/** The focus is on the piece (its heading), as after an upload or a removal. */
async function assertFocusOnPiece(page, kind) {
  const focused = await page.evaluate(() => {
    const e = document.activeElement;
    return { tag: e.tagName, kind: e.closest('li.piece')?.dataset.kind };
  });
  assert.deepEqual(focused, { tag: 'H3', kind }, 'the focus stays on the piece');
}

async function filesOf(runner, token, kind) {
  const { body } = await runner.asCandidate(token, 'GET', '/inscription');
  return body.pieces.find((p) => p.kind === kind);
}

async function rowNames(piece) {
  return piece.locator('.files-block li.file .file-name').allInnerTexts();
}

after(removeProfiles);

for (const viewport of VIEWPORTS) {
  describe(`uploads at ${viewport.width} px: an identity card in two files`, () => {
    let runner;
    let context;
    const email = `ines.${viewport.width}@example.fr`;

    before(async () => {
      runner = await startRunner(OPEN);
      context = await openBrowser(viewport);
    });
    after(async () => {
      await context?.close();
      await runner?.stop();
    });

    test('added, removed, replaced, up to the limit, then refused by the office', async () => {
      const base = runner.base;
      const token = await registeredByApi(runner, email, inscription('Morel'));
      const page = await newPage(context);
      await login(page, base, email);
      await page.goto(`${base}/mes-documents`);
      await page.locator('#documents').waitFor();

      // Guidance per piece, the limit said before anything is sent.
      const card = page.locator('li.piece[data-kind="identity_document"]');
      const confirmation = page.locator('li.piece[data-kind="signed_confirmation"]');
      assert.match(await card.locator('.piece-guide').innerText(), /recto et le verso.*en deux fichiers ou réunis dans un seul/s);
      assert.match(await confirmation.locator('.piece-guide').innerText(), /deux pages.*la case de signature est en page 2/s);
      assert.match(await page.locator('#file-hint').innerText(), /5\sfichiers au plus par pièce/);
      assert.match(await card.locator('.upload-note').innerText(), /Vous pouvez encore déposer 5\sfichiers pour cette pièce/);
      assert.match(await card.locator('.files-none').innerText(), /Aucun fichier déposé/);
      await check(page, 'open');

      // A file of a type that is not accepted: said before anything is sent.
      const input = card.locator('input[type="file"]');
      await input.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('x') });
      await card.getByRole('button', { name: 'Déposer ce fichier' }).click();
      assert.match(await page.locator('#file-identity_document-error').innerText(), /PDF, JPEG ou PNG/);
      assert.equal((await focusedElement(page)).id, 'file-identity_document');
      await check(page, 'wrong-type');

      // The front, then the back: two files, each with its name and size.
      await input.setInputFiles(png('recto.png'));
      await card.getByRole('button', { name: 'Déposer ce fichier' }).click();
      await card.locator('.piece-message', { hasText: 'recto.png' }).waitFor();
      assert.match(await card.locator('.piece-message').innerText(), /Fichier «\srecto\.png\s» reçu \(70\soctets\)\. Merci\s!/);
      await assertFocusOnPiece(page, 'identity_document');
      assert.equal(await card.locator('.piece-status .badge').getAttribute('data-status'), 'received');
      await input.setInputFiles(pdf('verso.pdf'));
      await card.getByRole('button', { name: 'Déposer ce fichier' }).click();
      await card.locator('.piece-message', { hasText: 'verso.pdf' }).waitFor();
      await assertFocusOnPiece(page, 'identity_document');
      assert.deepEqual(await rowNames(card), ['recto.png', 'verso.pdf']);
      const rows = await card.locator('.files-block li.file').allInnerTexts();
      assert.match(rows[0], /recto\.png – PNG, 70\soctets, reçu le mardi 26 octobre 2021 à \d\d\sh\s\d\d/);
      assert.match(rows[1], new RegExp(`verso\\.pdf – PDF, ${PDF.length}\\soctets`));
      assert.match(await card.locator('.files-count').innerText(), /2 fichiers déposés \(5 au plus\)/);
      assert.match(await card.locator('legend').innerText(), /Ajouter un autre fichier/);
      assert.deepEqual((await filesOf(runner, token, 'identity_document')).files.map((f) => f.name), ['recto.png', 'verso.pdf']);
      // Sizes as French writes them (« 1,2 Mo »), from the page's own helper.
      const sizes = await page.evaluate(async () => {
        const { formatSize } = await import('/assets/ui.js');
        return [formatSize(1), formatSize(70), formatSize(358400), formatSize(1258291)];
      });
      assert.deepEqual(sizes, ['1\u00a0octet', '70\u00a0octets', '350\u00a0Ko', '1,2\u00a0Mo']);
      await check(page, 'two-files');

      // One removed, after a question whose safe answer has the focus.
      await card.getByRole('button', { name: /^Supprimer.*verso\.pdf/ }).click();
      assert.equal((await focusedElement(page)).text, 'Non, le garder');
      await check(page, 'remove-question');
      await card.getByRole('button', { name: 'Non, le garder' }).click();
      assert.match((await focusedElement(page)).text, /Supprimer.*verso\.pdf/);
      assert.deepEqual(await rowNames(card), ['recto.png', 'verso.pdf']);
      await card.getByRole('button', { name: /^Supprimer.*verso\.pdf/ }).click();
      await card.getByRole('button', { name: /^Oui, supprimer.*verso\.pdf/ }).click();
      await card.locator('.piece-message', { hasText: 'supprimé' }).waitFor();
      assert.match(await card.locator('.piece-message').innerText(), /Fichier «\sverso\.pdf\s» supprimé\. Il reste 1\sfichier pour cette pièce\./);
      await assertFocusOnPiece(page, 'identity_document');
      assert.deepEqual(await rowNames(card), ['recto.png']);
      assert.deepEqual((await filesOf(runner, token, 'identity_document')).files.map((f) => f.name), ['recto.png']);
      await check(page, 'removed');

      // One replaced: the new file first, then the old one removed.
      await card.getByRole('button', { name: /^Remplacer.*recto\.png/ }).click();
      assert.equal((await focusedElement(page)).id, 'file-identity_document');
      assert.match(await card.locator('legend').innerText(), /Remplacer «\srecto\.png\s»/);
      assert.match(await card.locator('.upload-note').innerText(), /ne sera supprimé qu'une fois le nouveau reçu/);
      await check(page, 'replacing');
      // A new file the check refuses: the old one stays.
      await input.setInputFiles({ name: 'abime.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 abîmé') });
      await card.getByRole('button', { name: 'Remplacer par ce fichier' }).click();
      await page.locator('#file-identity_document-error').waitFor();
      assert.match(await page.locator('#file-identity_document-error').innerText(), /n'a pas été (accepté|retenu).*«\srecto\.png\s» est conservé/s);
      assert.deepEqual((await filesOf(runner, token, 'identity_document')).files.map((f) => f.name), ['recto.png']);
      assert.deepEqual(await rowNames(card), ['recto.png']);
      await check(page, 'replace-refused');
      // A good one: it takes the old one's place.
      await input.setInputFiles(pdf('carte-recto-verso.pdf'));
      await card.getByRole('button', { name: 'Remplacer par ce fichier' }).click();
      await card.locator('.piece-message', { hasText: 'remplace' }).waitFor();
      assert.match(await card.locator('.piece-message').innerText(),
        /Fichier «\scarte-recto-verso\.pdf\s» reçu .* Il remplace «\srecto\.png\s», qui a été supprimé\./);
      await assertFocusOnPiece(page, 'identity_document');
      assert.deepEqual(await rowNames(card), ['carte-recto-verso.pdf']);
      assert.deepEqual((await filesOf(runner, token, 'identity_document')).files.map((f) => f.name), ['carte-recto-verso.pdf']);
      assert.match(await card.locator('legend').innerText(), /Ajouter un autre fichier/);
      await check(page, 'replaced');

      // The limit: three more files here, a fifth from another device, then a sixth is refused.
      for (const name of ['page-2.png', 'page-3.png', 'page-4.png']) {
        await input.setInputFiles(png(name));
        await card.getByRole('button', { name: 'Déposer ce fichier' }).click();
        await card.locator('.piece-message', { hasText: name }).waitFor();
      }
      assert.match(await card.locator('.upload-note').innerText(), /encore déposer 1\sfichier pour/);
      await uploadByApi(runner, token, 'identity_document', { name: 'telephone.png', type: 'image/png', bytes: PNG });
      await input.setInputFiles(png('page-6.png'));
      await card.getByRole('button', { name: 'Déposer ce fichier' }).click();
      await card.locator('.piece-message .error-text').waitFor();
      assert.match(await card.locator('.piece-message').innerText(), /Erreur\s: La pièce «.+» compte déjà 5\sfichiers.*supprimez-en un avant d'en déposer un autre/s);
      await assertFocusOnPiece(page, 'identity_document');
      assert.equal((await rowNames(card)).length, 5, 'the list shows the file sent from the other device');
      assert.ok(await input.isDisabled(), 'no sixth file can be chosen');
      assert.match(await card.locator('.upload-note').innerText(), /compte déjà 5\sfichiers, le plus possible/);
      assert.equal(await card.getByRole('button', { name: /^Remplacer/ }).count(), 0, 'no replacement at the limit');
      await check(page, 'too-many-files');

      // The office refuses the piece: its files set apart, with the reason; a new one may be sent.
      await runner.admin({
        action: 'reject_piece', actor: 'agent.diec', email, kind: 'identity_document', reason: 'Le verso de la carte est illisible.',
      });
      await page.reload();
      await page.locator('#documents').waitFor();
      const rejected = card.locator('.rejected-files');
      assert.match(await rejected.innerText(), /Fichiers refusés par le rectorat.*Motif du refus\s: Le verso de la carte est illisible\./s);
      assert.equal(await rejected.locator('li.file').count(), 5);
      assert.equal(await rejected.getByRole('button').count(), 0, 'refused files stay as evidence');
      assert.equal(await card.locator('.piece-status .badge').getAttribute('data-status'), 'rejected');
      assert.ok(await input.isEnabled());
      await check(page, 'rejected');
    });
  });
}

for (const viewport of VIEWPORTS) {
  describe(`uploads at ${viewport.width} px: before the window opens, after it closes`, () => {
    let runner;
    let context;
    const email = `lucas.${viewport.width}@example.fr`;

    before(async () => {
      runner = await startRunner(BEFORE_OPENING);
      context = await openBrowser(viewport);
    });
    after(async () => {
      await context?.close();
      await runner?.stop();
    });

    test('forms disabled with the opening date, then a closed state', async () => {
      const base = runner.base;
      await registeredByApi(runner, email, inscription('Blanc'));
      const page = await newPage(context);
      await login(page, base, email);
      await page.goto(`${base}/mes-documents`);
      await page.locator('#documents').waitFor();
      const pieces = page.locator('li.piece');
      assert.equal(await pieces.count(), 3);
      for (const piece of await pieces.all()) {
        assert.equal(await piece.locator('.upload-note').innerText(),
          'Le dépôt en ligne ouvrira le lundi 25 octobre 2021 à 00\u00a0h\u00a000 (heure de Paris).');
        assert.ok(await piece.locator('input[type="file"]').isDisabled());
        assert.ok(await piece.getByRole('button', { name: 'Déposer ce fichier' }).isDisabled());
      }
      assert.match(await page.locator('#documents-window').innerText(), /Le dépôt en ligne ouvrira le lundi 25 octobre 2021 à 00\sh\s00 \(heure de Paris\)/);
      await check(page, 'before-opening');

      // After the deadline the incomplete dossier is cancelled: no form, a clear state.
      await runner.setClock(AFTER_CLOSING);
      await login(page, base, email);
      await page.goto(`${base}/mes-documents`);
      await page.locator('#documents').waitFor();
      assert.equal(await page.locator('form.upload').count(), 0);
      assert.equal(await page.locator('.piece-guide').count(), 0, 'no advice on sending what can no longer be sent');
      assert.match(await page.locator('#documents-closed').innerText(),
        /Dépôt en ligne clos.*ne peuvent plus être ajoutés, remplacés ni supprimés/s);
      assert.match(await page.locator('#confirmation-steps').innerText(), /n'est plus en cours/);
      assert.doesNotMatch(await page.locator('main').innerText(), /datez-la et signez-la/);
      await check(page, 'closed');
    });
  });
}
