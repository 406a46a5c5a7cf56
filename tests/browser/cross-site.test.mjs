// Login CSRF in a real browser (the audit's finding, issue #17): a page of
// another origin auto-submits a `<form enctype="text/plain">` whose body
// reads as the attacker's credentials in JSON, to the portal's
// POST /auth/login. Chromium sends it with the victim's cookies and stores
// whatever cookie the answer sets, so before the fix the victim ended up
// signed in to the attacker's account. The edge now refuses it (403
// forbidden_origin): no cookie, nobody signed in. The portal's own calls,
// with the headers Chromium really sends, still pass.
//
//   node --test cross-site.test.mjs      (tests/browser/run.sh does it all)
//
// Environment: EXAMREG_BIN (default target/debug/examreg), CHROMIUM_PATH
// (default /usr/bin/chromium).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { launchBrowser, startRunner } from './harness.mjs';

const START = '2021-10-26T08:00:00Z';
const ATTACKER = 'attaquant@exemple.fr';
// The attacker picks a password with a `=`, where the browser joins the
// form's field name and value.
const PASSWORD = 'une phrase de passe=assez longue 42';

/**
 * The attacker's page: a form posting `text/plain` to `action`, its one
 * field split at the password's `=` so that the body the browser sends,
 * `name=value`, is exactly the attacker's credentials in JSON; submitted as
 * soon as the page loads.
 */
function attackPage(action) {
  const [before, after] = PASSWORD.split('=');
  const name = `{"email":"${ATTACKER}","password":"${before}`;
  const value = `${after}"}`;
  const escape = (s) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Win a prize</title></head>
<body><form id="f" method="POST" enctype="text/plain" action="${escape(action)}">
<input type="hidden" name="${escape(name)}" value="${escape(value)}"></form>
<script>document.getElementById('f').submit();</script></body></html>`;
}

/** Serves the attacker's page on 127.0.0.1 (the host name tells the site). */
async function startAttacker(target) {
  const server = http.createServer((request, response) => {
    response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    response.end(attackPage(`${target}/auth/login`));
  });
  await new Promise((r) => { server.listen(0, '127.0.0.1', r); });
  return { port: server.address().port, stop: () => new Promise((r) => { server.close(r); }) };
}

let runner;
let attacker;
let browser;

before(async () => {
  runner = await startRunner(START);
  attacker = await startAttacker(runner.base);
  // The attacker's own account, active.
  assert.equal((await runner.json('POST', '/auth/signup', { email: ATTACKER, password: PASSWORD })).status, 202);
  const mail = (await runner.outbox()).filter((m) => m.to === ATTACKER).pop();
  const token = /\/activate\?token=([^\s"<>]+)/.exec(mail.text)[1];
  assert.equal((await runner.json('POST', '/auth/activate', { token })).status, 200);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await attacker?.stop();
  await runner?.stop();
});

/** Whether the victim's browser is signed in to the portal: `GET /me` from a portal page. */
async function signedIn(context) {
  const page = await context.newPage();
  await page.goto(`${runner.base}/`);
  const status = await page.evaluate(async () => (await fetch('/me', { credentials: 'same-origin' })).status);
  await page.close();
  return status === 200;
}

// Another site (`localhost` is not `127.0.0.1`: Sec-Fetch-Site says
// cross-site), and another origin of the same site (another port: same-site,
// but not the portal's origin).
for (const [label, host] of [['another site', 'localhost'], ['another origin of the same site', '127.0.0.1']]) {
  test(`a text/plain form from ${label} does not sign the victim in`, async () => {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const answered = page.waitForResponse((r) => r.url() === `${runner.base}/auth/login`);
      await page.goto(`http://${host}:${attacker.port}/`);
      const response = await answered;
      assert.equal(response.status(), 403, `the form's POST was answered ${response.status()}`);
      const headers = response.request().headers();
      assert.equal(headers['content-type'], 'text/plain', 'Chromium sent the form as text/plain');
      assert.equal((await response.json()).code, 'forbidden_origin');
      assert.equal(response.headers()['set-cookie'], undefined, 'no cookie set');
      const cookies = await context.cookies(runner.base);
      assert.deepEqual(cookies.map((c) => c.name), [], 'no cookie stored');
      assert.equal(await signedIn(context), false, 'the victim is not signed in');
    } finally {
      await context.close();
    }
  });
}

test("the portal's own calls pass, with the headers Chromium sends", async () => {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(`${runner.base}/login`);
    const statuses = await page.evaluate(async ([email, password]) => {
      const login = await fetch('/auth/login', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ email, password }),
      });
      const me = await fetch('/me', { credentials: 'same-origin' });
      // A route without a body: no Content-Type needed.
      const logout = await fetch('/auth/logout', { method: 'POST', credentials: 'same-origin' });
      return [login.status, me.status, logout.status];
    }, [ATTACKER, PASSWORD]);
    assert.deepEqual(statuses, [200, 200, 204]);
  } finally {
    await context.close();
  }
});
