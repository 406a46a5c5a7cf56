// What every browser suite shares: the local runner started on a fresh data
// directory, Debian's headless Chromium on a fresh profile, the page watch
// (script errors, CSP refusals) and axe-core's WCAG 2.1 A/AA check.
//
// Environment: EXAMREG_BIN (default target/debug/examreg), CHROMIUM_PATH
// (default /usr/bin/chromium).

import { after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, '..', '..');
export const BIN = process.env.EXAMREG_BIN || path.join(ROOT, 'target', 'debug', 'examreg');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
/** Kept by CI: every checked page state at each width. */
export const SHOTS = path.join(HERE, 'screenshots');
/** The candidates' password in every journey. */
export const PASSWORD = 'une phrase de passe assez longue 42';
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

// ---------------------------------------------------------------------------
// The local runner.

/** A loopback port free right now. */
export function freePort() {
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

async function waitForHealth(base, child, log) {
  const deadline = Date.now() + 30000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the runner exited: ${log()}`);
    try {
      if ((await fetch(`${base}/health`)).ok) return;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`the runner did not answer in 30 s: ${log()}`);
    await new Promise((r) => { setTimeout(r, 100); });
  }
}

/**
 * `examreg serve` on a fresh data directory with its clock at `now`.
 * `prepare(dataDir)` runs before it starts (e.g. `examreg staff add`);
 * `env` adds variables to its environment.
 */
export async function startRunner(now, { prepare = () => {}, env = {} } = {}) {
  assert.ok(fs.existsSync(BIN), `${BIN} is missing: run cargo build first (run.sh does)`);
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'examreg-browser-'));
  prepare(dataDir);
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(BIN, ['serve', '--addr', `127.0.0.1:${port}`, '--data-dir', dataDir, '--now', now], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, RUST_LOG: 'warn', ...env },
  });
  let log = '';
  child.stderr.on('data', (chunk) => { log += chunk; });
  await waitForHealth(base, child, () => log);
  const call = async (method, p, body, headers) => {
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
    dataDir,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => { child.once('exit', r); });
        child.kill('SIGTERM');
        await exited;
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
    /** A JSON call; with `token`, as the candidate of that bearer token. */
    json(method, p, body, token) {
      return call(method, p, body, token ? { Authorization: `Bearer ${token}` } : {});
    },
    /** A call with the session cookie `cookie` (« name=value »), as another tab would make it. */
    withCookie(cookie, method, p, body) {
      return call(method, p, body, { Cookie: cookie });
    },
    /** A JSON call as a candidate, with the bearer token of POST /auth/login. */
    asCandidate(token, method, p, body) {
      return this.json(method, p, body, token);
    },
    /** One exams-office event, through `examreg admin` on the runner's data. */
    admin(event) {
      return new Promise((resolve, reject) => {
        const proc = spawn(BIN, ['admin', '--data-dir', dataDir, JSON.stringify(event)], { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        proc.stdout.on('data', (c) => { out += c; });
        proc.stderr.on('data', (c) => { err += c; });
        proc.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`admin ${event.action}: ${code} ${err}${out}`))));
      });
    },
    async setClock(instant) {
      const answer = await this.json('POST', '/_local/clock', { set: instant });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
    },
    /** Every email sent so far (the local outbox). */
    async outbox() {
      return (await this.json('GET', '/_local/outbox')).body;
    },
    /** The last link to `pagePath` emailed to `to`. */
    async emailedLink(to, pagePath) {
      const pattern = new RegExp(`https?://[^\\s"<>]+${pagePath}\\?token=[^\\s"<>]+`);
      const mails = (await this.outbox()).filter((m) => m.to === to && pattern.test(m.text));
      assert.ok(mails.length, `no email to ${to} with a ${pagePath} link`);
      return pattern.exec(mails[mails.length - 1].text)[0];
    },
  };
}

// ---------------------------------------------------------------------------
// The browser: a persistent context on a fresh profile for each journey.

const profiles = [];

/** Removes the browser profiles made so far (also done after every suite). */
export function removeProfiles() {
  for (const profile of profiles.splice(0)) fs.rmSync(profile, { recursive: true, force: true });
}
after(removeProfiles);

export async function openBrowser(viewport = { width: 1280, height: 800 }) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'examreg-chromium-'));
  profiles.push(profile);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    viewport,
    locale: 'fr-FR',
    // Dates must show in Paris time whatever the machine's zone.
    timezoneId: 'America/New_York',
    acceptDownloads: true,
  });
  context.setDefaultTimeout(15000);
  return context;
}

/** Headless Chromium without a profile (separate contexts per test). */
export function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
  });
}

/** Records any script error or CSP refusal in the page, for `assertClean`. */
export function watch(page) {
  const problems = [];
  page.on('pageerror', (error) => problems.push(`script error: ${error.message}`));
  page.on('console', (message) => {
    const text = message.text();
    if (/Content Security Policy|Refused to/i.test(text)) problems.push(`CSP: ${text}`);
  });
  page.problems = problems;
  return page;
}

export async function newPage(context) {
  return watch(await context.newPage());
}

/** Fails on any script error or CSP refusal seen in the page. */
export function assertClean(page) {
  assert.deepEqual(page.problems, [], `problems in ${page.url()}`);
}

/** axe-core on the page as it is now: no WCAG 2.1 A/AA violation. */
export async function axe(page, name) {
  // Evaluated through the DevTools protocol: the page's CSP does not apply.
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async (tags) => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => `${n.target.join(' ')}: ${n.failureSummary}`),
    }));
  }, WCAG_TAGS);
  assert.deepEqual(violations, [], `axe found violations on ${name}:\n${JSON.stringify(violations, null, 2)}`);
}

/** Where the keyboard focus is. */
export async function focusedElement(page) {
  return page.evaluate(() => {
    const e = document.activeElement;
    return { tag: e.tagName, id: e.id, className: String(e.className), text: e.textContent.trim().slice(0, 300) };
  });
}

/** How far the page scrolls sideways at its current width (≤ 0: not at all). */
export function sidewaysOverflow(page) {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

// ---------------------------------------------------------------------------
// Candidates, through the portal or the API.

export async function login(page, base, email, password = PASSWORD) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Adresse électronique').fill(email);
  await page.getByLabel('Mot de passe').fill(password);
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.waitForURL(`${base}/`);
}

/** An activated account, through the API and the activation email. */
export async function signupByApi(runner, email) {
  const signup = await runner.json('POST', '/auth/signup', { email, password: PASSWORD });
  assert.equal(signup.status, 202);
  const link = await runner.emailedLink(email, '/activate');
  const token = new URL(link).searchParams.get('token');
  assert.equal((await runner.json('POST', '/auth/activate', { token })).status, 200);
}

/** An activated account with `inscription` saved; resolves to its bearer token. */
export async function registeredByApi(runner, email, inscription) {
  await signupByApi(runner, email);
  const answer = await runner.json('POST', '/auth/login', { email, password: PASSWORD });
  assert.equal(answer.status, 200);
  const { token } = answer.body;
  const saved = await runner.asCandidate(token, 'PUT', '/inscription', inscription);
  assert.equal(saved.status, 201, JSON.stringify(saved.body));
  return token;
}

/** Uploads `bytes` for the piece `kind` through the API, as another device would. */
export async function uploadByApi(runner, token, kind, { name, type, bytes }) {
  const ticket = await runner.asCandidate(token, 'POST', `/inscription/pieces/${kind}/uploads`, {
    content_type: type, size_bytes: bytes.length, name,
  });
  assert.equal(ticket.status, 201, JSON.stringify(ticket.body));
  const put = await fetch(ticket.body.upload_url, { method: 'PUT', headers: ticket.body.headers, body: bytes });
  assert.ok(put.ok, `PUT ${kind}: ${put.status}`);
}

// ---------------------------------------------------------------------------
// Page checks.

export const DESKTOP = { width: 1280, height: 800 };
const WIDTHS = [['desktop', DESKTOP], ['phone', { width: 375, height: 812 }], ['320', { width: 320, height: 640 }]];

/**
 * The page as it is, at 1280, 375 and 320 px: French, one h1, no axe
 * violation and no sideways scroll at each width, a screenshot of each.
 */
export async function checkPage(page, name) {
  assert.equal(await page.getAttribute('html', 'lang'), 'fr', name);
  assert.equal(await page.locator('h1').count(), 1, `${name}: one h1`);
  fs.mkdirSync(SHOTS, { recursive: true });
  for (const [label, size] of WIDTHS) {
    await page.setViewportSize(size);
    const overflow = await sidewaysOverflow(page);
    assert.ok(overflow <= 0, `${name} scrolls sideways by ${overflow} px at ${size.width} px`);
    await axe(page, `${name} (${label})`);
    await page.screenshot({ path: path.join(SHOTS, `${name}-${label}.png`), fullPage: true });
  }
  await page.setViewportSize(DESKTOP);
  assertClean(page);
}
