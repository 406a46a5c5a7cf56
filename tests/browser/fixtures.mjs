// The files the browser journeys upload, made here: real ones, since the
// upload check parses each wholly (domain/filecheck.rs).

// A real one-page PDF (the upload check parses it wholly: every object, the
// cross-reference table with its computed offsets, the trailer).
function minimalPdf() {
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets = objects.map((object, i) => {
    const offset = pdf.length;
    pdf += `${i + 1} 0 obj\n${object}\nendobj\n`;
    return offset;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  pdf += offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('');
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}
export const PDF = minimalPdf();

// A 1×1 PNG.
export const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

// ---------------------------------------------------------------------------
// The runner, the browser and the page checks, for the journeys written
// after portal.test.mjs (form.test.mjs): the same conventions, in one place.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const BIN = process.env.EXAMREG_BIN || path.join(ROOT, 'target', 'debug', 'examreg');
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const SHOTS = path.join(HERE, 'screenshots');
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
export const DESKTOP = { width: 1280, height: 800 };
export const PASSWORD = 'une phrase de passe assez longue 42';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** The local runner on a fresh data directory, its clock at `now`. */
export async function startRunner(now) {
  assert.ok(fs.existsSync(BIN), `${BIN} is missing: run cargo build first (run.sh does)`);
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'examreg-browser-'));
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(BIN, ['serve', '--addr', `127.0.0.1:${port}`, '--data-dir', dataDir, '--now', now], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, RUST_LOG: 'warn' },
  });
  let log = '';
  child.stderr.on('data', (chunk) => { log += chunk; });
  const deadline = Date.now() + 30000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the runner exited: ${log}`);
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`the runner did not answer in 30 s: ${log}`);
    await new Promise((r) => { setTimeout(r, 100); });
  }
  const call = async (method, p, body, headers = {}) => {
    const response = await fetch(`${base}${p}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };
  return {
    base,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => { child.once('exit', r); });
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
    json: (method, p, body) => call(method, p, body),
    /** A call with the session cookie `cookie` (« name=value »), as another tab would make it. */
    withCookie: (cookie, method, p, body) => call(method, p, body, { Cookie: cookie }),
    asCandidate: (token, method, p, body) => call(method, p, body, { Authorization: `Bearer ${token}` }),
    /** The last link to `pagePath` emailed to `to`. */
    async emailedLink(to, pagePath) {
      const { body } = await call('GET', '/_local/outbox');
      const pattern = new RegExp(`https?://[^\\s"<>]+${pagePath}\\?token=[^\\s"<>]+`);
      const mails = body.filter((m) => m.to === to && pattern.test(m.text));
      assert.ok(mails.length, `no email to ${to} with a ${pagePath} link`);
      return pattern.exec(mails[mails.length - 1].text)[0];
    },
  };
}

/** An activated account. */
export async function signupByApi(runner, email) {
  assert.equal((await runner.json('POST', '/auth/signup', { email, password: PASSWORD })).status, 202);
  const token = new URL(await runner.emailedLink(email, '/activate')).searchParams.get('token');
  assert.equal((await runner.json('POST', '/auth/activate', { token })).status, 200);
}

const profiles = [];

/** Chromium on a fresh profile, in French, dates shown in Paris time whatever the zone. */
export async function openBrowser() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'examreg-chromium-'));
  profiles.push(profile);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: DESKTOP,
    locale: 'fr-FR',
    timezoneId: 'America/New_York',
  });
  context.setDefaultTimeout(15000);
  return context;
}

export function removeProfiles() {
  for (const profile of profiles.splice(0)) fs.rmSync(profile, { recursive: true, force: true });
}

/** A page whose script errors and CSP violations fail the test (assertClean). */
export async function newPage(context) {
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (error) => page.problems.push(`script error: ${error.message}`));
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) page.problems.push(`CSP: ${message.text()}`);
  });
  return page;
}

async function axe(page, name) {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async (tags) => {
    const result = await window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary}`) }));
  }, WCAG_TAGS);
  assert.deepEqual(violations, [], `axe found violations on ${name}:\n${JSON.stringify(violations, null, 2)}`);
}

/**
 * The page as it is, at 1280, 375 and 320 px: French, one h1, no axe
 * violation and no sideways scroll at each width, a screenshot of each.
 */
export async function checkPage(page, name) {
  assert.equal(await page.getAttribute('html', 'lang'), 'fr', name);
  assert.equal(await page.locator('h1').count(), 1, `${name}: one h1`);
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const [label, size] of [['desktop', DESKTOP], ['phone', { width: 375, height: 812 }], ['320', { width: 320, height: 640 }]]) {
    await page.setViewportSize(size);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow} px at ${size.width} px`);
    await axe(page, `${name} (${label})`);
    await page.screenshot({ path: path.join(SHOTS, `${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize(DESKTOP);
  assert.deepEqual(page.problems, [], `problems in ${page.url()}`);
}
