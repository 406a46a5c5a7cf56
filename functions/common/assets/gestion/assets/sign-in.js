// Signing in. Locally (GET /office/config says {"sign_in": "local"}): a form
// posting to POST /office/session. In AWS ({"sign_in": "cognito", ...}):
// Cognito's hosted UI with the authorization code flow and PKCE: a random
// code_verifier and state kept in sessionStorage, the code_challenge
// (SHA-256, base64url) sent to authorize_url; back here with ?code&state,
// the state is checked and the code exchanged at token_url.

import {
  $, busy, checkFields, clearErrors, clearSession, request, saveSession, session, showNotice, showProblem,
  signInConfig,
} from './office.js';

const PKCE_KEY = 'examreg.office.pkce';
const form = $('#sign-in-form');
const cognito = $('#sign-in-cognito');
const loading = $('#sign-in-loading');
const params = new URLSearchParams(window.location.search);

/** Where to go after signing in: a page of the back office, never another site. */
function safeReturn(value) {
  if (typeof value !== 'string' || !value.startsWith('/gestion') || /[\p{Cc}\s\\]/u.test(value)) return '/gestion';
  try {
    const url = new URL(value, window.location.origin);
    if (url.origin === window.location.origin && url.pathname.startsWith('/gestion')) return url.pathname + url.search;
  } catch { /* below */ }
  return '/gestion';
}

function base64Url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomText(size) {
  return base64Url(crypto.getRandomValues(new Uint8Array(size)));
}

async function challengeOf(verifier) {
  return base64Url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
}

/** To Cognito's hosted UI, with a fresh PKCE verifier and state. */
async function startCognito(config, back) {
  const verifier = randomText(48);
  const state = randomText(24);
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, back }));
  const url = new URL(config.authorize_url);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: config.client_id,
    redirect_uri: config.redirect_uri,
    scope: 'openid email',
    state,
    code_challenge_method: 'S256',
    code_challenge: await challengeOf(verifier),
  }).toString();
  window.location.assign(url.toString());
}

/** Back from Cognito: checks the state, exchanges the code for the tokens. */
async function finishCognito(config) {
  const code = params.get('code');
  const state = params.get('state');
  // The code is for one use: off the address bar and the history at once.
  window.history.replaceState(null, '', window.location.pathname);
  let pending = null;
  try {
    pending = JSON.parse(sessionStorage.getItem(PKCE_KEY) || 'null');
  } catch { /* below */ }
  sessionStorage.removeItem(PKCE_KEY);
  if (!pending || pending.state !== state) {
    return { ok: false, problem: { code: 'state_mismatch', title: 'Connexion interrompue', detail: "La réponse de la page de connexion ne correspond pas à cette demande (onglet différent ou lien ancien). Recommencez la connexion.", errors: [] } };
  }
  const answer = await request(config.token_url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: config.client_id,
      code,
      redirect_uri: config.redirect_uri,
      code_verifier: pending.verifier,
    }).toString(),
  });
  if (!answer.ok || !answer.data || !answer.data.access_token) {
    return { ok: false, problem: { code: 'token_exchange_failed', title: 'Connexion impossible', detail: "La connexion n'a pas pu être finalisée. Recommencez ; si cela se reproduit, prévenez le responsable du service.", errors: [] } };
  }
  saveSession(answer.data.access_token, answer.data.expires_in);
  return { ok: true, back: pending.back };
}

function showReason(anchor) {
  const reason = params.get('motif');
  if (reason === 'deconnexion') showNotice(anchor, 'success', null, 'Vous êtes déconnecté. À bientôt !', { focus: false });
  else if (reason === 'expiree') showNotice(anchor, 'info', null, 'Votre session a expiré : reconnectez-vous pour continuer.', { focus: false });
  else if (params.has('retour')) showNotice(anchor, 'info', null, 'Connectez-vous pour accéder à cette page.', { focus: false });
}

function wireLocalForm(back) {
  const email = $('#f-email');
  const password = $('#f-password');
  form.hidden = false;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors(document.querySelector('main'));
    if (!checkFields(form, [
      [email, 'Saisissez votre adresse électronique professionnelle.'],
      [password, 'Saisissez votre mot de passe.'],
    ])) return;
    busy(form, async () => {
      const answer = await request('/office/session', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ email: email.value.trim(), password: password.value }),
      });
      if (answer.ok && answer.data && answer.data.access_token) {
        saveSession(answer.data.access_token, answer.data.expires_in);
        window.location.assign(back);
        return;
      }
      password.value = '';
      showProblem(form, answer.problem, (field) => ({ email, password })[field] || null);
    });
  });
}

async function main() {
  const back = safeReturn(params.get('retour') || '/gestion');
  if (params.get('motif') === 'deconnexion') clearSession();
  else if (session() && !params.has('code')) {
    window.location.replace(back);
    return;
  }
  const config = await signInConfig();
  loading.remove();
  if (config.sign_in === 'cognito') {
    if (params.has('code')) {
      const done = await finishCognito(config);
      if (done.ok) {
        window.location.replace(safeReturn(done.back));
        return;
      }
      cognito.hidden = false;
      showProblem(cognito, done.problem);
    } else if (params.has('error')) {
      cognito.hidden = false;
      showProblem(cognito, { code: params.get('error'), title: 'Connexion refusée', detail: "La page de connexion de l'académie a refusé la connexion. Recommencez, ou prévenez le responsable du service.", errors: [] });
    } else {
      cognito.hidden = false;
      showReason(cognito);
    }
    $('#cognito-go').addEventListener('click', () => { startCognito(config, back); });
    return;
  }
  wireLocalForm(back);
  showReason(form);
}

main();
