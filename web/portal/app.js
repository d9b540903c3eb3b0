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
 *
 * A feedback draft (never the token) is kept in sessionStorage while it is written, so an expired
 * sign-in does not lose it: it is sent after the same person signs in again, and dropped if someone
 * else does. Five minutes before the token expires the page says so.
 */
'use strict';

const PKCE_KEY = 'catchment.portal.pkce';
/** Survives only the redirect through Cognito's logout: whether the sign-out was revoked. */
const SIGNED_OUT_KEY = 'catchment.portal.signed-out';
/** A feedback draft (urn, period, rating, comment, and whose it is): never the token. */
const DRAFT_KEY = 'catchment.portal.feedback-draft';
/** A document a direct link asked for (/?download=…), offered after sign-in. */
const PENDING_KEY = 'catchment.portal.pending-download';
const ANALYST_PAGE_SIZE = 50;
const EXPIRY_WARNING_SECONDS = 5 * 60;
const DOC_HREF = /^\/api\/(profiles\/\d{4}-\d{2}\/\d{6}\.pdf|reports\/\d{4}-\d{2}\/fair-access\.pdf)$/;
const RATING_WORDS = { 1: 'not at all', 2: 'a little', 3: 'partly', 4: 'mostly', 5: 'very well' };

const state = { config: null, me: null, feedbackFor: null, lastFocus: null, token: null, refreshToken: null, page: 1, view: 'schools', expiryTimer: null, feedback: null };
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
  scheduleExpiryWarning(t);
};
const dropToken = () => setToken(null);

/** Claims of a JWT, read only for its expiry and subject (the server verifies it). */
function claimsOf(token) {
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part + '='.repeat((4 - (part.length % 4)) % 4)));
  } catch {
    return {};
  }
}

const timeOfDay = (d) => d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });

function hideExpiryWarning() {
  $('expiry-warning').hidden = true;
  $('feedback-expiry').hidden = true;
}

/** Say, five minutes before the token expires, when it will; drafts are kept, so nothing is lost. */
function scheduleExpiryWarning(token) {
  clearTimeout(state.expiryTimer);
  hideExpiryWarning();
  if (!token) return;
  const exp = Number(claimsOf(token).exp);
  if (!exp) return;
  const warnIn = exp * 1000 - EXPIRY_WARNING_SECONDS * 1000 - Date.now();
  const warn = () => {
    if (state.token !== token) return;
    const at = timeOfDay(new Date(exp * 1000));
    const mins = Math.max(0, Math.round((exp * 1000 - Date.now()) / 60000));
    const text = `Your sign-in ends at ${at}${mins > 0 ? `, in ${mins} minute${mins === 1 ? '' : 's'}` : ''}. Feedback you are writing is kept in this browser and sent after you sign in again.`;
    $('expiry-warning').textContent = text;
    $('expiry-warning').hidden = false;
    $('feedback-expiry').textContent = text;
    $('feedback-expiry').hidden = false;
  };
  state.expiryTimer = setTimeout(warn, Math.max(0, warnIn));
}

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

/* ---------- site ---------- */

function applySite(site) {
  if (!site) return;
  $('brand-name').textContent = site.councilName;
  $('brand-sub').textContent = site.serviceName;
  $('footer-council').textContent = site.councilName;
  document.title = `${site.serviceName} – ${site.councilName}`;
  if (site.logo) {
    const img = $('brand-logo');
    // If the logo cannot be loaded, the council's name (always shown) is enough.
    img.addEventListener('error', () => {
      img.hidden = true;
      $('brand-mark').hidden = false;
    });
    img.src = `/${site.logo}`;
    img.alt = site.logoAlt || site.councilName;
    img.hidden = false;
    $('brand-mark').hidden = true;
  }
}

/* ---------- views ---------- */

const VIEWS = ['sign-in', 'profiles', 'no-access', 'unavailable'];

function show(view) {
  $('loading').hidden = true;
  for (const v of VIEWS) $(v).hidden = v !== view;
  $('account').hidden = view === 'sign-in';
  // The role badge names a role only when the portal has said which one.
  $('account-name').hidden = view !== 'profiles';
  if (view === 'sign-in') hideExpiryWarning();
}

/** Put the reader at the top of a new view, its heading focused, without scrolling the header away. */
function focusHeading(id) {
  window.scrollTo(0, 0);
  $(id).focus({ preventScroll: true });
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

function showState(view, message) {
  state.me = null;
  show(view);
  clearStatus();
  $(`${view}-message`).textContent = message;
  focusHeading(`${view}-title`);
}

function renderDevUsers(cfg) {
  const seconds = cfg.tokenSeconds || 3600;
  $('token-minutes').textContent = seconds < 120 ? `${seconds} seconds` : `${Math.round(seconds / 60)} minutes`;
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

function downloadButton(href, label, accessibleName, extra = '') {
  return el('button', { type: 'button', class: `button button-download ${extra}`.trim(), 'data-href': href, 'aria-label': accessibleName, text: label });
}

const longDate = (iso) => new Date(iso).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'Europe/London' });
const shortDate = (iso) => new Date(iso).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'Europe/London' });
const kb = (bytes) => `${Math.max(1, Math.round(bytes / 1024)).toLocaleString('en-GB')} KB`;

/** "Published 12 March 2026 · pupil data 2025-26 · OAC 2021 · PDF, 6 pages, 412 KB" (what is known). */
function docMeta(p) {
  const parts = [];
  if (p.publishedAt) parts.push(`Published ${longDate(p.publishedAt)}`);
  if (p.period && p.href.includes('/profiles/')) parts.push(`pupil data ${p.period} school census`);
  if (p.classification) parts.push(p.classification);
  const file = ['PDF'];
  if (p.pages) file.push(`${p.pages} ${p.pages === 1 ? 'page' : 'pages'}`);
  if (p.bytes) file.push(kb(p.bytes));
  parts.push(file.join(', '));
  return parts.join(' · ');
}

const ratingText = (f) => `You rated this ${f.rating} (${RATING_WORDS[f.rating]}) on ${longDate(f.at)}`;

function renderProfiles(me) {
  state.me = me;
  show('profiles');
  const analyst = me.user.role === 'analyst';
  $('account-name').textContent = analyst ? 'LA analyst' : me.user.urns.length > 1 ? `Head teacher, ${me.user.urns.length} schools` : 'Head teacher';
  $('profiles-title').textContent = analyst ? 'All school profiles' : me.schools.length > 1 ? 'Your schools’ profiles' : 'Your school’s profiles';
  $('profiles-lede').textContent = analyst
    ? `Profiles for all ${me.schools.length.toLocaleString('en-GB')} schools, the local authority’s fair-access reports, and what heads have said about their profiles.`
    : 'Download the community profile for each academic year. If a profile does not match what you know about your families, tell us: it helps us improve them.';

  const reports = $('reports');
  reports.hidden = !analyst || me.reports.length === 0;
  $('report-list').replaceChildren(
    ...me.reports.map((r) =>
      el(
        'li',
        {},
        el('span', { class: 'report-text' }, el('span', { class: 'report-name', text: `Fair-access report ${r.period}` }), el('span', { class: 'meta', text: docMeta(r) })),
        downloadButton(r.href, 'Download PDF', `Download PDF: fair-access report ${r.period}`),
      ),
    ),
  );

  $('analyst-nav').hidden = !analyst;
  $('empty').hidden = me.schools.some((s) => s.profiles.length > 0);
  if (analyst) showAnalystView(location.hash === '#feedback' ? 'feedback' : 'schools');
  else {
    $('filter-row').hidden = true;
    $('pagination').hidden = true;
    $('no-match').hidden = true;
    $('feedback-page').hidden = true;
    renderHeadCards(me);
  }
}

function feedbackButton(s, p) {
  return el('button', {
    type: 'button',
    class: 'button button-secondary button-feedback',
    'data-urn': s.urn,
    'data-period': p.period,
    'aria-label': `Give feedback: ${schoolLabel(s)} (URN ${s.urn}), ${p.period}`,
    text: p.feedback ? 'Give feedback again' : 'Give feedback',
  });
}

/** One document in the GOV.UK attachment pattern: title, what it is, the download, feedback. */
function attachment(me, s, p, latest) {
  return el(
    'div',
    { class: `attachment${latest ? ' attachment-latest' : ''}`, 'data-period': p.period },
    el('div', { class: 'attachment-thumb', 'aria-hidden': 'true', text: 'PDF' }),
    el(
      'div',
      { class: 'attachment-body' },
      el(latest ? 'h3' : 'h4', { class: 'attachment-title', text: `Community profile ${p.period}` }),
      el('p', { class: 'meta', text: docMeta(p) }),
      p.feedback ? el('p', { class: 'rated', text: ratingText(p.feedback) }) : null,
      el(
        'div',
        { class: 'attachment-actions' },
        downloadButton(p.href, 'Download PDF', `Download PDF: ${schoolLabel(s)} (URN ${s.urn}), ${p.period}`),
        me.canGiveFeedback ? feedbackButton(s, p) : null,
      ),
    ),
  );
}

function renderHeadCards(me) {
  const cards = me.schools.map((s) => {
    const id = `school-${s.urn}`;
    const [latest, ...earlier] = s.profiles;
    return el(
      'article',
      { class: 'school', 'aria-labelledby': id, 'data-urn': s.urn },
      el('div', { class: 'school-head' }, el('h2', { id, text: schoolLabel(s) }), el('p', { class: 'urn', text: [`URN ${s.urn}`, s.phase, s.cluster ? `${s.cluster} cluster` : null].filter(Boolean).join(' · ') })),
      latest ? attachment(me, s, latest, true) : el('p', { class: 'hint', text: 'No profile has been published for this school yet.' }),
      earlier.length
        ? el(
            'section',
            { class: 'earlier', 'aria-label': `Earlier years: ${schoolLabel(s)}` },
            el('h3', { class: 'earlier-title', text: 'Earlier years' }),
            earlier.map((p) => attachment(me, s, p, false)),
          )
        : null,
    );
  });
  $('school-list').replaceChildren(...cards);
}

/* ---------- analyst ---------- */

function showAnalystView(view) {
  state.view = view;
  $('nav-schools').toggleAttribute('aria-current', false);
  $('nav-feedback').toggleAttribute('aria-current', false);
  $(view === 'feedback' ? 'nav-feedback' : 'nav-schools').setAttribute('aria-current', 'page');
  const schools = view === 'schools';
  $('filter-row').hidden = !schools;
  $('school-list').hidden = !schools;
  $('feedback-page').hidden = schools;
  if (schools) {
    renderAnalystTable(state.me, $('filter').value);
  } else {
    $('pagination').hidden = true;
    $('no-match').hidden = true;
    loadFeedbackPage();
  }
}

const pct = (x) => (x === null || x === undefined ? 'not known' : `${(x * 100).toFixed(1)}%`);
const num = (x) => (x === null || x === undefined ? 'not known' : x.toLocaleString('en-GB'));

function matchesQuery(s, q) {
  if (!q) return true;
  return [s.urn, s.name, s.phase, s.cluster].some((v) => (v || '').toLowerCase().includes(q));
}

/** Page numbers to show: first, last, and the current page with its neighbours; null = a gap. */
function pageNumbers(current, pages) {
  const keep = new Set([1, pages, current - 1, current, current + 1]);
  const out = [];
  for (let i = 1; i <= pages; i++) {
    if (keep.has(i)) out.push(i);
    else if (out[out.length - 1] !== null) out.push(null);
  }
  return out;
}

function renderPagination(pages, current) {
  const nav = $('pagination');
  nav.hidden = pages <= 1;
  if (pages <= 1) return nav.replaceChildren();
  const link = (n, text, extra = {}) => el('a', { href: `#page-${n}`, 'data-page': String(n), ...extra }, text);
  nav.replaceChildren(
    current > 1 ? el('div', { class: 'pagination-prev' }, link(current - 1, 'Previous', { rel: 'prev', 'aria-label': 'Previous page' })) : null,
    el(
      'ul',
      { class: 'pagination-list' },
      pageNumbers(current, pages).map((n) =>
        n === null
          ? el('li', { class: 'pagination-gap', 'aria-hidden': 'true', text: '…' })
          : el('li', { class: n === current ? 'pagination-current' : '' }, link(n, String(n), { 'aria-label': `Page ${n}`, 'aria-current': n === current ? 'page' : null })),
      ),
    ),
    current < pages ? el('div', { class: 'pagination-next' }, link(current + 1, 'Next', { rel: 'next', 'aria-label': 'Next page' })) : null,
  );
}

function renderAnalystTable(me, filter) {
  const q = (filter || '').trim().toLowerCase();
  const matches = me.schools.filter((s) => matchesQuery(s, q));
  const pages = Math.max(1, Math.ceil(matches.length / ANALYST_PAGE_SIZE));
  state.page = Math.min(Math.max(1, state.page), pages);
  const from = (state.page - 1) * ANALYST_PAGE_SIZE;
  const shown = matches.slice(from, from + ANALYST_PAGE_SIZE);
  const noun = (n) => `${n.toLocaleString('en-GB')} ${n === 1 ? 'school' : 'schools'}`;
  $('filter-count').textContent =
    matches.length === 0
      ? `No schools match “${filter.trim()}”.`
      : pages > 1
        ? `Showing ${(from + 1).toLocaleString('en-GB')} to ${(from + shown.length).toLocaleString('en-GB')} of ${noun(matches.length)}${q ? ` matching “${filter.trim()}”` : ''}`
        : noun(matches.length);
  $('no-match').hidden = matches.length > 0;
  renderPagination(pages, state.page);
  if (matches.length === 0) {
    $('school-list').replaceChildren();
    return;
  }
  const col = (text) => el('th', { scope: 'col', text });
  const table = el(
    'table',
    { class: 'all-schools' },
    el('caption', { class: 'visually-hidden', text: `Schools ${from + 1} to ${from + shown.length} of ${matches.length}, with their profiles` }),
    el('thead', {}, el('tr', {}, col('School'), col('Phase'), col('Cluster'), col('Pupils'), col('Postcodes matched'), col('Last feedback'), col('Profiles (PDF)'))),
    el(
      'tbody',
      {},
      shown.map((s) =>
        el(
          'tr',
          { 'data-urn': s.urn },
          el('th', { scope: 'row' }, el('span', { class: 'school-name', text: schoolLabel(s) }), el('span', { class: 'cell-sub', text: `URN ${s.urn}` })),
          el('td', { 'data-label': 'Phase', text: s.phase || 'not known' }),
          el('td', { 'data-label': 'Cluster', text: s.cluster || 'none' }),
          el('td', { class: 'num', 'data-label': 'Pupils', text: num(s.pupils) }),
          el('td', { class: 'num', 'data-label': 'Postcodes matched', text: pct(s.matchRate) }),
          el('td', { 'data-label': 'Last feedback', text: s.lastFeedback ? `${s.lastFeedback.rating} of 5, ${shortDate(s.lastFeedback.at)}` : 'none' }),
          el(
            'td',
            { 'data-label': 'Profiles' },
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

async function loadFeedbackPage() {
  $('feedback-count').textContent = 'Loading feedback…';
  try {
    const res = await api('/api/feedback', { headers: { Accept: 'application/json' } });
    if (!res.ok) {
      $('feedback-count').textContent = await errorMessage(res, 'Feedback could not be loaded.');
      return;
    }
    const { feedback } = await res.json();
    state.feedback = feedback;
    $('feedback-export').hidden = feedback.length === 0;
    $('feedback-count').textContent = feedback.length === 0 ? 'No head has sent feedback yet.' : `${feedback.length.toLocaleString('en-GB')} ${feedback.length === 1 ? 'response' : 'responses'}`;
    $('feedback-table').replaceChildren(
      feedback.length === 0
        ? el('p', { class: 'panel empty', text: 'When heads rate their profiles, their ratings and comments appear here.' })
        : el(
            'table',
            { class: 'feedback-list' },
            el('caption', { class: 'visually-hidden', text: 'Feedback from heads, newest first' }),
            el('thead', {}, el('tr', {}, ...['Date', 'School', 'Profile', 'Rating', 'Comment'].map((t) => el('th', { scope: 'col', text: t })))),
            el(
              'tbody',
              {},
              feedback.map((f) =>
                el(
                  'tr',
                  {},
                  el('td', { 'data-label': 'Date', text: shortDate(f.submittedAt) }),
                  el('td', { 'data-label': 'School' }, el('span', { class: 'school-name', text: f.school || `School ${f.urn}` }), el('span', { class: 'cell-sub', text: `URN ${f.urn}` })),
                  el('td', { 'data-label': 'Profile', text: f.period }),
                  el('td', { class: 'num', 'data-label': 'Rating', text: `${f.rating} (${RATING_WORDS[f.rating]})` }),
                  el('td', { class: 'comment', 'data-label': 'Comment', text: f.comment || '(no comment)' }),
                ),
              ),
            ),
          ),
    );
  } catch (err) {
    if (!(err instanceof SignedOut)) $('feedback-count').textContent = 'Feedback could not be loaded. Please try again.';
  }
}

async function exportFeedback() {
  try {
    const res = await api('/api/feedback', { headers: { Accept: 'text/csv' } });
    if (!res.ok) {
      announce(await errorMessage(res, 'The feedback could not be downloaded.'), 'error');
      return;
    }
    const name = filenameOf(res, 'catchment-feedback.csv');
    saveBlob(await res.blob(), name);
    announce(`Downloaded ${name}.`, 'success');
  } catch (err) {
    if (!(err instanceof SignedOut)) announce('The feedback could not be downloaded. Please try again.', 'error');
  }
}

/* ---------- actions ---------- */

async function loadProfiles() {
  try {
    const res = await api('/api/me', { headers: { Accept: 'application/json' } });
    if (!res.ok) {
      const msg = await errorMessage(res, 'Your profiles could not be loaded.');
      // No role: signed in, but nothing to see. A way out either way: try again, or sign out.
      if (res.status === 403) showState('no-access', msg);
      else showState('unavailable', msg);
      return false;
    }
    renderProfiles(await res.json());
    return true;
  } catch (err) {
    if (!(err instanceof SignedOut)) showState('unavailable', 'The portal could not be reached. Check your connection.');
    return false;
  }
}

/** After sign-in: send a kept draft (if it is this person's), then offer a document a link asked for. */
async function afterSignIn() {
  const ok = await loadProfiles();
  if (!ok) return;
  focusHeading('profiles-title');
  await sendKeptDraft();
  const pending = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  if (pending && DOC_HREF.test(pending)) {
    const button = document.querySelector(`button.button-download[data-href="${pending}"]`);
    if (button) {
      announce(`You followed a link to a document: ${button.getAttribute('aria-label').replace(/^Download PDF: /, '')}. Downloading it now.`, 'info');
      download(button);
    } else announce('You followed a link to a document that your account cannot download, or that has not been published.', 'warning');
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

function readDraft() {
  try {
    const d = JSON.parse(sessionStorage.getItem(DRAFT_KEY) || 'null');
    return d && typeof d.urn === 'string' && typeof d.period === 'string' ? d : null;
  } catch {
    return null;
  }
}

function saveDraft() {
  if (!state.feedbackFor || !state.me) return;
  const form = $('feedback-form');
  const rating = Number(new FormData(form).get('rating')) || null;
  const comment = $('feedback-comment').value;
  if (!rating && !comment) {
    sessionStorage.removeItem(DRAFT_KEY);
    return;
  }
  sessionStorage.setItem(DRAFT_KEY, JSON.stringify({ sub: state.me.user.sub, ...state.feedbackFor, rating, comment, savedAt: new Date().toISOString() }));
}

const dropDraft = () => sessionStorage.removeItem(DRAFT_KEY);

function openFeedback(button) {
  const urn = button.getAttribute('data-urn');
  const period = button.getAttribute('data-period');
  const school = state.me.schools.find((s) => s.urn === urn);
  state.feedbackFor = { urn, period };
  state.lastFocus = button;
  const form = $('feedback-form');
  form.reset();
  // A draft of this profile by this person comes back as it was left.
  const draft = readDraft();
  if (draft && draft.sub === state.me.user.sub && draft.urn === urn && draft.period === period) {
    $('feedback-comment').value = draft.comment || '';
    if (draft.rating) form.querySelector(`input[name="rating"][value="${Number(draft.rating)}"]`).checked = true;
  }
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

function postFeedback(f) {
  return api('/api/feedback', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ urn: f.urn, period: f.period, rating: f.rating, comment: f.comment }),
  });
}

function thanks(f, kept) {
  const school = state.me && state.me.schools.find((s) => s.urn === f.urn);
  const what = `${school ? `${schoolLabel(school)}, ` : ''}${f.period} profile`;
  announce(`Thank you. Your feedback on the ${what} (rated ${f.rating}, ${RATING_WORDS[f.rating]})${kept ? ', kept while you signed in again,' : ''} has been sent.`, 'success');
  // The list was drawn again: keep the reader's place on the (new) feedback button of that profile.
  const again = document.querySelector(`button.button-feedback[data-urn="${CSS.escape(f.urn)}"][data-period="${CSS.escape(f.period)}"]`);
  if (again) {
    state.lastFocus = again;
    if (!kept) again.focus();
  }
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
  saveDraft();
  const f = { ...state.feedbackFor, rating, comment: $('feedback-comment').value };
  const submit = $('feedback-submit');
  submit.disabled = true;
  try {
    const res = await postFeedback(f);
    if (!res.ok) {
      feedbackError(await errorMessage(res, 'Your feedback could not be sent.'));
      return;
    }
    dropDraft();
    closeFeedback();
    await loadProfiles();
    thanks(f, false);
  } catch (err) {
    if (err instanceof SignedOut) {
      closeFeedback();
      announce(`${$('status').textContent} Your feedback has not been lost: it is kept in this browser and will be sent when you sign in again.`, 'warning');
    } else feedbackError('Your feedback could not be sent. Please try again.');
  } finally {
    submit.disabled = false;
  }
}

/** A draft kept through an expired sign-in: sent if it is this person's, dropped otherwise. */
async function sendKeptDraft() {
  const d = readDraft();
  if (!d) return;
  const me = state.me;
  if (!me || !me.canGiveFeedback || d.sub !== me.user.sub) {
    dropDraft(); // someone else signed in on this browser: their draft is not theirs to send
    return;
  }
  if (!d.rating) {
    announce(`You have an unsent comment on the ${d.period} profile. Open “Give feedback” to finish it.`, 'info');
    return;
  }
  try {
    const res = await postFeedback(d);
    if (!res.ok) {
      announce(`Your kept feedback on the ${d.period} profile could not be sent: ${await errorMessage(res, 'please try again.')}`, 'error');
      if (res.status < 500) dropDraft();
      return;
    }
    dropDraft();
    await loadProfiles();
    thanks(d, true);
  } catch (err) {
    if (!(err instanceof SignedOut)) announce('Your kept feedback could not be sent yet. It stays in this browser; try again later.', 'warning');
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
  await afterSignIn();
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
  await afterSignIn();
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
  $('filter').addEventListener('input', () => {
    state.page = 1;
    if (state.me) renderAnalystTable(state.me, $('filter').value);
  });
  $('clear-filter').addEventListener('click', () => {
    $('filter').value = '';
    state.page = 1;
    renderAnalystTable(state.me, '');
    $('filter').focus();
  });
  $('pagination').addEventListener('click', (e) => {
    const a = e.target.closest('a[data-page]');
    if (!a) return;
    e.preventDefault();
    state.page = Number(a.getAttribute('data-page'));
    renderAnalystTable(state.me, $('filter').value);
    $('filter-count').scrollIntoView({ block: 'start' });
    const current = $('pagination').querySelector('[aria-current="page"]');
    if (current) current.focus({ preventScroll: true });
  });
  $('analyst-nav').addEventListener('click', (e) => {
    const a = e.target.closest('a');
    if (!a || !state.me) return;
    e.preventDefault();
    history.replaceState(null, '', a.getAttribute('href'));
    showAnalystView(a.id === 'nav-feedback' ? 'feedback' : 'schools');
  });
  $('feedback-export').addEventListener('click', exportFeedback);
  $('feedback-comment').addEventListener('input', saveDraft);
  $('feedback-form').addEventListener('submit', submitFeedback);
  $('feedback-cancel').addEventListener('click', closeFeedback);
  $('feedback-comment').addEventListener('input', updateCounter);
  $('feedback-form').addEventListener('change', (e) => {
    if (e.target.name === 'rating') {
      $('feedback-error').hidden = true;
      saveDraft();
    }
  });
  $('feedback-dialog').addEventListener('close', () => state.lastFocus && state.lastFocus.focus());
  document.addEventListener('click', (e) => {
    const b = e.target.closest('button');
    if (!b) return;
    if (b.classList.contains('button-download')) download(b);
    else if (b.classList.contains('button-feedback')) openFeedback(b);
    else if (b.classList.contains('button-retry')) {
      show('profiles');
      $('profiles').hidden = true;
      $('loading').hidden = false;
      afterSignIn();
    } else if (b.classList.contains('button-sign-out')) signOut();
  });

  try {
    const res = await fetch('/config.json', { headers: { Accept: 'application/json' } });
    state.config = await res.json();
  } catch {
    show('sign-in');
    announce('The portal could not be reached. Check your connection and try again.', 'error');
    return;
  }
  applySite(state.config.site);
  // A direct link to a document (/?download=/api/...): remembered through sign-in, then offered.
  const wanted = new URLSearchParams(location.search).get('download');
  if (wanted && DOC_HREF.test(wanted)) {
    sessionStorage.setItem(PENDING_KEY, wanted);
    history.replaceState(null, '', location.pathname);
  }
  const signedOut = sessionStorage.getItem(SIGNED_OUT_KEY);
  sessionStorage.removeItem(SIGNED_OUT_KEY);
  if (state.config.mode === 'cognito' && (await cognitoCallback())) return;
  if (signedOut && SIGNED_OUT[signedOut]) showSignIn(...SIGNED_OUT[signedOut]);
  else showSignIn();
}

start();
