/*
 * Heads' portal page: sign in, list my schools and periods, download profile PDFs, send feedback.
 * Plain JavaScript, no build step. The same file runs against the local server (config.mode
 * "local": dev users, POST /auth/dev-login) and on AWS behind CloudFront (config.mode "cognito":
 * Cognito managed login, authorization code flow with PKCE). The tokens are kept in memory only
 * (never in storage or cookies, where any script or a shared computer's next user could read them;
 * a reload asks to sign in again) and the access token is sent as a bearer token to the same-origin
 * /api/. Sign-out revokes the session on the server (POST /api/sign-out) and, on Cognito, the
 * refresh token (/oauth2/revoke), then says whether the revocation was confirmed. A download link
 * is followed only if it is https.
 */
'use strict';

const PKCE_KEY = 'catchment.portal.pkce';
/** Survives only the redirect through Cognito's logout: whether the sign-out was revoked. */
const SIGNED_OUT_KEY = 'catchment.portal.signed-out';
const ANALYST_PAGE_SIZE = 60;
const RATING_WORDS = { 1: 'not at all', 2: 'a little', 3: 'partly', 4: 'mostly', 5: 'very well' };

const state = { config: null, me: null, feedbackFor: null, lastFocus: null, token: null, refreshToken: null };
const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else if (k === 'text') node.textContent = v;
    else if (k.startsWith('data-')) node.setAttribute(k, v);
    else if (k in node && typeof v !== 'string') node[k] = v;
    else node.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c);
  return node;
}

/* ---------- status messages ---------- */

function announce(message, kind = 'info') {
  const s = $('status');
  s.className = `notice notice-${kind}`;
  s.textContent = message;
  s.hidden = false;
}

function clearStatus() {
  const s = $('status');
  s.hidden = true;
  s.textContent = '';
}

/* ---------- token ---------- */

const getToken = () => state.token;
const setToken = (t, refresh = null) => {
  state.token = t;
  state.refreshToken = refresh;
};
const dropToken = () => setToken(null);

class SignedOut extends Error {}

async function api(path, options = {}) {
  const token = getToken();
  if (!token) {
    showSignIn('Please sign in.');
    throw new SignedOut();
  }
  const res = await fetch(path, { ...options, headers: { ...(options.headers || {}), Authorization: `Bearer ${token}` } });
  if (res.status === 401) {
    dropToken();
    const body = await res.json().catch(() => ({}));
    showSignIn(body.message || 'Your sign-in has expired. Please sign in again.', 'warning');
    throw new SignedOut();
  }
  return res;
}

async function errorMessage(res, fallback) {
  try {
    const body = await res.json();
    return body.message || fallback;
  } catch {
    return fallback;
  }
}

/* ---------- views ---------- */

function show(view) {
  $('loading').hidden = true;
  $('sign-in').hidden = view !== 'sign-in';
  $('profiles').hidden = view !== 'profiles';
  $('account').hidden = view !== 'profiles';
}

function showSignIn(message, kind = 'info') {
  state.me = null;
  show('sign-in');
  if (message) announce(message, kind);
  else clearStatus();
  const cfg = state.config || {};
  $('dev-sign-in').hidden = cfg.mode !== 'local';
  $('cognito-sign-in').hidden = cfg.mode !== 'cognito';
  if (cfg.mode === 'local') renderDevUsers(cfg);
}

function renderDevUsers(cfg) {
  $('token-minutes').textContent = String(Math.round((cfg.tokenSeconds || 3600) / 60));
  const box = $('dev-users');
  box.replaceChildren(
    ...cfg.users.map((u, i) =>
      el(
        'label',
        { class: 'choice' },
        el('input', { type: 'radio', name: 'dev-user', value: u.id, checked: i === 0 }),
        el('span', { class: 'choice-text' }, el('span', { class: 'choice-label', text: u.label }), el('span', { class: 'choice-desc', text: u.description })),
      ),
    ),
  );
}

const schoolLabel = (s) => s.name || `School ${s.urn}`;

function downloadButton(href, label, accessibleName) {
  return el('button', { type: 'button', class: 'button button-download', 'data-href': href, 'aria-label': accessibleName, text: label });
}

function renderProfiles(me) {
  state.me = me;
  show('profiles');
  const analyst = me.user.role === 'analyst';
  $('account-name').textContent = analyst ? 'LA analyst' : me.user.urns.length > 1 ? `Head teacher, ${me.user.urns.length} schools` : 'Head teacher';
  $('profiles-title').textContent = analyst ? 'All school profiles' : me.schools.length > 1 ? 'Your schools’ profiles' : 'Your school’s profiles';
  $('profiles-lede').textContent = analyst
    ? `Profiles for all ${me.schools.length} schools, and the local authority’s fair-access reports.`
    : 'Download the community profile for each academic year. If a profile does not match what you know about your families, tell us: it helps us improve them.';

  const reports = $('reports');
  reports.hidden = !analyst || me.reports.length === 0;
  $('report-list').replaceChildren(
    ...me.reports.map((r) =>
      el('li', {}, el('span', { class: 'report-name', text: `Fair-access report ${r.period}` }), downloadButton(r.href, 'Download PDF', `Download PDF: fair-access report ${r.period}`)),
    ),
  );

  $('filter-row').hidden = !analyst;
  $('empty').hidden = me.schools.some((s) => s.profiles.length > 0);
  if (analyst) renderAnalystTable(me, $('filter').value);
  else renderHeadCards(me);
}

function renderHeadCards(me) {
  const cards = me.schools.map((s) => {
    const id = `school-${s.urn}`;
    const rows = s.profiles.map((p) =>
      el(
        'tr',
        {},
        el('th', { scope: 'row', text: p.period }),
        el('td', {}, downloadButton(p.href, 'Download PDF', `Download PDF: ${schoolLabel(s)} (URN ${s.urn}), ${p.period}`)),
        me.canGiveFeedback
          ? el(
              'td',
              {},
              el('button', {
                type: 'button',
                class: 'button button-secondary button-feedback',
                'data-urn': s.urn,
                'data-period': p.period,
                'aria-label': `Give feedback: ${schoolLabel(s)} (URN ${s.urn}), ${p.period}`,
                text: 'Give feedback',
              }),
            )
          : null,
      ),
    );
    return el(
      'article',
      { class: 'school', 'aria-labelledby': id, 'data-urn': s.urn },
      el('div', { class: 'school-head' }, el('h2', { id, text: schoolLabel(s) }), el('p', { class: 'urn', text: `URN ${s.urn}` })),
      s.profiles.length === 0
        ? el('p', { class: 'hint', text: 'No profile has been published for this school yet.' })
        : el(
            'table',
            { class: 'periods' },
            el('caption', { class: 'visually-hidden', text: `Profiles of ${schoolLabel(s)} by academic year` }),
            el(
              'thead',
              {},
              el('tr', {}, el('th', { scope: 'col', text: 'Academic year' }), el('th', { scope: 'col', text: 'Profile' }), me.canGiveFeedback ? el('th', { scope: 'col', text: 'Feedback' }) : null),
            ),
            el('tbody', {}, rows),
          ),
    );
  });
  $('school-list').replaceChildren(...cards);
}

function renderAnalystTable(me, filter) {
  const q = (filter || '').trim().toLowerCase();
  const matches = me.schools.filter((s) => !q || s.urn.includes(q) || (s.name || '').toLowerCase().includes(q));
  const shown = matches.slice(0, ANALYST_PAGE_SIZE);
  $('filter-count').textContent =
    matches.length > shown.length ? `Showing ${shown.length} of ${matches.length} schools. Type a name or URN to narrow the list.` : `${matches.length} ${matches.length === 1 ? 'school' : 'schools'}`;
  const table = el(
    'table',
    { class: 'all-schools' },
    el('caption', { class: 'visually-hidden', text: 'School profiles by school and academic year' }),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col', text: 'School' }), el('th', { scope: 'col', text: 'URN' }), el('th', { scope: 'col', text: 'Profiles (PDF)' }))),
    el(
      'tbody',
      {},
      shown.map((s) =>
        el(
          'tr',
          { 'data-urn': s.urn },
          el('th', { scope: 'row', text: schoolLabel(s) }),
          el('td', { class: 'num', text: s.urn }),
          el(
            'td',
            {},
            el(
              'div',
              { class: 'period-buttons' },
              s.profiles.map((p) => downloadButton(p.href, p.period, `Download PDF: ${schoolLabel(s)} (URN ${s.urn}), ${p.period}`)),
            ),
          ),
        ),
      ),
    ),
  );
  $('school-list').replaceChildren(table);
}

/* ---------- actions ---------- */

async function loadProfiles() {
  try {
    const res = await api('/api/me', { headers: { Accept: 'application/json' } });
    if (!res.ok) {
      const msg = await errorMessage(res, 'Your profiles could not be loaded.');
      if (res.status === 403) {
        dropToken();
        showSignIn(msg, 'error');
      } else {
        show('profiles');
        announce(msg, 'error');
      }
      return;
    }
    renderProfiles(await res.json());
  } catch (err) {
    if (!(err instanceof SignedOut)) {
      show('sign-in');
      announce('The portal could not be reached. Check your connection and try again.', 'error');
    }
  }
}

function filenameOf(res, fallback) {
  const cd = res.headers.get('content-disposition') || '';
  const m = /filename="([^"]+)"/.exec(cd);
  return m ? m[1] : fallback;
}

function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = el('a', { href: url, download: filename, class: 'visually-hidden' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** The URL if it is an https address without credentials in it, else null. */
function secureLink(value) {
  let url;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  return url.protocol === 'https:' && !url.username && !url.password ? url.href : null;
}

async function download(button) {
  const href = button.getAttribute('data-href');
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  button.textContent = 'Preparing…';
  try {
    const res = await api(href, { headers: { Accept: 'application/json, application/pdf;q=0.9' } });
    if (!res.ok) {
      announce(await errorMessage(res, 'The document could not be downloaded.'), 'error');
      return;
    }
    const type = res.headers.get('content-type') || '';
    if (type.startsWith('application/pdf')) {
      const name = filenameOf(res, href.split('/').pop());
      saveBlob(await res.blob(), name);
      announce(`Downloaded ${name}.`, 'success');
    } else {
      const body = await res.json();
      const link = secureLink(body.url);
      if (!link) {
        announce('The download link the portal sent is not a secure (https) address, so it was not opened. Please tell the local authority.', 'error');
        return;
      }
      // A short-lived link straight to the file; it downloads (Content-Disposition: attachment).
      window.location.assign(link);
      announce(`Downloading ${body.filename || 'the profile'}.`, 'success');
    }
  } catch (err) {
    if (!(err instanceof SignedOut)) announce('The document could not be downloaded. Please try again.', 'error');
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    button.textContent = label;
  }
}

/* ---------- feedback ---------- */

function openFeedback(button) {
  const urn = button.getAttribute('data-urn');
  const period = button.getAttribute('data-period');
  const school = state.me.schools.find((s) => s.urn === urn);
  state.feedbackFor = { urn, period };
  state.lastFocus = button;
  const form = $('feedback-form');
  form.reset();
  updateCounter();
  $('feedback-error').hidden = true;
  $('feedback-context').textContent = `${school ? schoolLabel(school) : 'School'} (URN ${urn}), profile for ${period}`;
  $('feedback-dialog').showModal();
}

function closeFeedback() {
  $('feedback-dialog').close();
}

function updateCounter() {
  const max = Number($('feedback-comment').getAttribute('maxlength'));
  const n = $('feedback-comment').value.length;
  $('comment-count').textContent = `${n.toLocaleString('en-GB')} of ${max.toLocaleString('en-GB')} characters`;
}

function feedbackError(message) {
  const e = $('feedback-error');
  e.textContent = message;
  e.hidden = false;
}

async function submitFeedback(event) {
  event.preventDefault();
  const form = $('feedback-form');
  const rating = Number(new FormData(form).get('rating'));
  if (!rating) {
    feedbackError('Choose a rating from 1 to 5.');
    form.querySelector('input[name="rating"]').focus();
    return;
  }
  const { urn, period } = state.feedbackFor;
  const submit = $('feedback-submit');
  submit.disabled = true;
  try {
    const res = await api('/api/feedback', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ urn, period, rating, comment: $('feedback-comment').value }),
    });
    if (!res.ok) {
      feedbackError(await errorMessage(res, 'Your feedback could not be sent.'));
      return;
    }
    closeFeedback();
    announce(`Thank you. Your feedback on the ${period} profile (rated ${rating}, ${RATING_WORDS[rating]}) has been sent.`, 'success');
  } catch (err) {
    if (err instanceof SignedOut) closeFeedback();
    else feedbackError('Your feedback could not be sent. Please try again.');
  } finally {
    submit.disabled = false;
  }
}

/* ---------- sign-in ---------- */

async function devSignIn(event) {
  event.preventDefault();
  const user = new FormData($('dev-sign-in')).get('dev-user');
  const res = await fetch('/auth/dev-login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user }) });
  if (!res.ok) {
    announce(await errorMessage(res, 'Sign-in failed.'), 'error');
    return;
  }
  const body = await res.json();
  setToken(body.token);
  clearStatus();
  await loadProfiles();
  $('main').focus();
}

const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

async function cognitoSignIn() {
  const cfg = state.config;
  const verifier = b64url(crypto.getRandomValues(new Uint8Array(32)));
  const stateValue = b64url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = b64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state: stateValue }));
  const q = new URLSearchParams({
    response_type: 'code',
    client_id: cfg.clientId,
    redirect_uri: `${location.origin}/`,
    scope: (cfg.scopes || ['openid']).join(' '),
    state: stateValue,
    code_challenge_method: 'S256',
    code_challenge: challenge,
  });
  location.assign(`${cfg.authDomain}/oauth2/authorize?${q}`);
}

/** Back from Cognito with ?code=…&state=…: trade the code for tokens. */
async function cognitoCallback() {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  if (!code && !params.get('error')) return false;
  history.replaceState(null, '', location.pathname);
  const saved = JSON.parse(sessionStorage.getItem(PKCE_KEY) || 'null');
  sessionStorage.removeItem(PKCE_KEY);
  if (!code || !saved || saved.state !== params.get('state')) {
    showSignIn('Sign-in did not complete. Please try again.', 'error');
    return true;
  }
  const cfg = state.config;
  const res = await fetch(`${cfg.authDomain}/oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: cfg.clientId, code, redirect_uri: `${location.origin}/`, code_verifier: saved.verifier }),
  });
  if (!res.ok) {
    showSignIn('Sign-in did not complete. Please try again.', 'error');
    return true;
  }
  const tokens = await res.json();
  setToken(tokens.access_token, tokens.refresh_token || null);
  await loadProfiles();
  return true;
}

const SIGNED_OUT = {
  revoked: ['You have signed out. Your sign-in has been revoked: it cannot be used again, even from a copy.', 'success'],
  local: ['You have signed out of this page, but the portal could not be reached to revoke your sign-in. It stops working by itself within the hour.', 'warning'],
};

/** Revoke the session on the server, then (Cognito) the refresh token, then forget both. */
async function signOut() {
  const token = state.token;
  const refresh = state.refreshToken;
  dropToken();
  let revoked = false;
  if (token) {
    try {
      const res = await fetch('/api/sign-out', { method: 'POST', headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } });
      revoked = res.ok && (await res.json()).revoked === true;
    } catch {
      revoked = false;
    }
  }
  const cfg = state.config || {};
  if (cfg.mode === 'cognito') {
    if (refresh) {
      // Stops the refresh token (and Cognito's own APIs); the portal's own revocation is above.
      await fetch(`${cfg.authDomain}/oauth2/revoke`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: refresh, client_id: cfg.clientId }),
      }).catch(() => undefined);
    }
    sessionStorage.setItem(SIGNED_OUT_KEY, revoked ? 'revoked' : 'local');
    const q = new URLSearchParams({ client_id: cfg.clientId, logout_uri: `${location.origin}/` });
    location.assign(`${cfg.authDomain}/logout?${q}`);
    return;
  }
  showSignIn(...SIGNED_OUT[revoked ? 'revoked' : 'local']);
}

/* ---------- start ---------- */

async function start() {
  $('dev-sign-in').addEventListener('submit', devSignIn);
  $('cognito-button').addEventListener('click', cognitoSignIn);
  $('sign-out').addEventListener('click', signOut);
  $('filter').addEventListener('input', () => state.me && renderAnalystTable(state.me, $('filter').value));
  $('feedback-form').addEventListener('submit', submitFeedback);
  $('feedback-cancel').addEventListener('click', closeFeedback);
  $('feedback-comment').addEventListener('input', updateCounter);
  $('feedback-form').addEventListener('change', (e) => {
    if (e.target.name === 'rating') $('feedback-error').hidden = true;
  });
  $('feedback-dialog').addEventListener('close', () => state.lastFocus && state.lastFocus.focus());
  document.addEventListener('click', (e) => {
    const b = e.target.closest('button');
    if (!b) return;
    if (b.classList.contains('button-download')) download(b);
    else if (b.classList.contains('button-feedback')) openFeedback(b);
  });

  try {
    const res = await fetch('/config.json', { headers: { Accept: 'application/json' } });
    state.config = await res.json();
  } catch {
    show('sign-in');
    announce('The portal could not be reached. Check your connection and try again.', 'error');
    return;
  }
  const signedOut = sessionStorage.getItem(SIGNED_OUT_KEY);
  sessionStorage.removeItem(SIGNED_OUT_KEY);
  if (state.config.mode === 'cognito' && (await cognitoCallback())) return;
  if (signedOut && SIGNED_OUT[signedOut]) showSignIn(...SIGNED_OUT[signedOut]);
  else showSignIn();
}

start();
