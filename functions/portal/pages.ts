/**
 * Server-rendered pages in the portal's style: the contact, accessibility and privacy pages (content
 * from the deployer's site settings) and the error pages a browser gets when it navigates to
 * something the page would otherwise have fetched (a direct link to a PDF, an unknown address, a
 * failure), so nobody navigating ever sees raw JSON or a bare "Not found".
 *
 * Every piece of text is escaped; the pages load only style.css (the CSP allows no inline style or
 * script).
 */
import { defaultAccessibility, defaultPrivacy, type PortalSite } from './site.ts';

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESC[c]!);

export const INFO_PAGES = {
  contact: { path: '/contact.html', title: 'Contact' },
  accessibility: { path: '/accessibility.html', title: 'Accessibility statement' },
  privacy: { path: '/privacy.html', title: 'Privacy notice' },
} as const;
export type InfoPage = keyof typeof INFO_PAGES;

const paragraphs = (text: string) =>
  text
    .split(/\n\s*\n/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
    .join('\n');

function layout(site: PortalSite, title: string, body: string): string {
  const logo = site.logo ? `<img class="brand-logo" src="/${escapeHtml(site.logo)}" alt="${escapeHtml(site.logoAlt ?? site.councilName)}">` : '';
  const footerLinks = Object.values(INFO_PAGES)
    .map((p) => `<li><a href="${p.path}">${escapeHtml(p.title)}</a></li>`)
    .join('');
  return `<!doctype html>
<html lang="en-GB">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="referrer" content="no-referrer">
  <title>${escapeHtml(title)} – ${escapeHtml(site.serviceName)} – ${escapeHtml(site.councilName)}</title>
  <link rel="icon" href="/favicon.svg" type="image/svg+xml">
  <link rel="stylesheet" href="/style.css">
</head>
<body>
  <a class="skip-link" href="#main">Skip to main content</a>
  <header class="masthead">
    <div class="wrap masthead-inner">
      <p class="brand"><a class="brand-link" href="/">${logo}<span class="brand-name">${escapeHtml(site.councilName)}</span><span class="brand-sub">${escapeHtml(site.serviceName)}</span></a></p>
    </div>
  </header>
  <main id="main" class="wrap prose" tabindex="-1">
${body}
  </main>
  <footer class="footer">
    <div class="wrap">
      <ul class="footer-links">${footerLinks}</ul>
      <p>Profiles are produced by ${escapeHtml(site.councilName)} from school census postcodes.</p>
    </div>
  </footer>
</body>
</html>
`;
}

export function contactHtml(site: PortalSite): string {
  const c = site.contact;
  const rows = [
    c.email ? `<li>Email: <a href="mailto:${escapeHtml(c.email)}">${escapeHtml(c.email)}</a></li>` : '',
    c.phone ? `<li>Telephone: ${escapeHtml(c.phone)}</li>` : '',
    c.hours ? `<li>${escapeHtml(c.hours)}</li>` : '',
  ].join('');
  return `<p>${escapeHtml(c.team)} at ${escapeHtml(site.councilName)} can help with:</p>
<ul><li>signing in, or access to another school’s profiles (for example when you lead a new school)</li><li>a profile that does not match what you know about your families</li><li>a profile in another format</li></ul>
${rows ? `<ul class="contact-list">${rows}</ul>` : `<p>Contact your local authority’s school information team.</p>`}`;
}

export function infoPageHtml(site: PortalSite, page: InfoPage): string {
  const { title } = INFO_PAGES[page];
  const body = page === 'contact' ? contactHtml(site) : paragraphs(page === 'accessibility' ? (site.accessibility ?? defaultAccessibility(site)) : (site.privacy ?? defaultPrivacy(site)));
  return layout(site, title, `    <h1>${escapeHtml(title)}</h1>\n${body}\n    <p><a href="/">Back to school profiles</a></p>`);
}

export interface ErrorPage {
  status: number;
  title: string;
  message: string;
  /** Where to go next: [label, href] (first is the main action). */
  actions: [string, string][];
}

/** The error page a navigating browser gets for an API status (the JSON message is the detail). */
export function errorPageFor(status: number, message: string, path: string): ErrorPage {
  const doc = /^\/api\/(profiles|reports)\/(\d{4}-\d{2})\/([^/]+)$/.exec(path);
  const what = doc ? (doc[1] === 'reports' ? `the fair-access report for ${doc[2]}` : `the ${doc[2]} profile of URN ${doc[3]!.replace(/\.pdf$/, '')}`) : null;
  const home: [string, string] = ['Go to school profiles', '/'];
  const contact: [string, string] = ['Contact us', INFO_PAGES.contact.path];
  if (status === 401) {
    // After sign-in the page offers the document the link named.
    const next = doc ? `/?download=${encodeURIComponent(path)}` : '/';
    return { status, title: 'Sign in to continue', message: what ? `You need to sign in to download ${what}. After you sign in, the download starts.` : message, actions: [['Sign in', next], contact] };
  }
  if (status === 403) return { status, title: 'You do not have access to this', message: what ? `Your account cannot download ${what}. ${message}` : message, actions: [home, contact] };
  if (status === 404) return { status, title: 'Page not found', message: what ? `${what[0]!.toUpperCase()}${what.slice(1)} has not been published.` : 'If you typed the web address, check it is correct. If you followed a link, it may be out of date.', actions: [home, contact] };
  if (status >= 500) return { status, title: 'Sorry, there is a problem with the service', message, actions: [['Try again', path.startsWith('/api/') ? '/' : path], contact] };
  return { status, title: 'This address cannot be used', message, actions: [home, contact] };
}

export function errorHtml(site: PortalSite, page: ErrorPage): string {
  const [first, ...rest] = page.actions;
  const buttons = [
    first ? `<a class="button" href="${escapeHtml(first[1])}">${escapeHtml(first[0])}</a>` : '',
    ...rest.map(([label, href]) => `<a class="button button-secondary" href="${escapeHtml(href)}">${escapeHtml(label)}</a>`),
  ].join('\n      ');
  return layout(
    site,
    page.title,
    `    <div class="panel error-page" data-status="${page.status}">
    <h1>${escapeHtml(page.title)}</h1>
    <p class="lede">${escapeHtml(page.message)}</p>
    <p class="hint">Error ${page.status}</p>
    <div class="actions">
      ${buttons}
    </div>
    </div>`,
  );
}

/**
 * Whether a request is a browser navigating (typing an address, following a link) rather than the
 * page's own fetch: Sec-Fetch-Mode says so in every current browser; without it, an Accept that
 * prefers HTML and no JSON.
 */
export function isNavigation(headers: Record<string, string | undefined>): boolean {
  const mode = headers['sec-fetch-mode'];
  if (mode) return mode === 'navigate';
  const accept = headers.accept ?? '';
  return accept.includes('text/html') && !accept.includes('application/json');
}

/**
 * CloudFront Function (viewer request, /api/*) for AWS, where API Gateway's JWT authorizer answers a
 * request without a token with JSON before the portal's code runs: a browser navigating to an API
 * address (a pasted or e-mailed link to a PDF) is sent to the page instead, which offers that
 * document after sign-in (the same `/?download=` the local server's 401 page links to). A
 * navigation never carries the page's bearer token, so nothing that could succeed is redirected.
 */
export const NAVIGATION_REDIRECT_FUNCTION = `function handler(event) {
  var req = event.request;
  var mode = req.headers['sec-fetch-mode'];
  if (!mode || mode.value !== 'navigate' || req.method !== 'GET') return req;
  var doc = /^\\/api\\/(profiles\\/\\d{4}-\\d{2}\\/\\d{6}\\.pdf|reports\\/\\d{4}-\\d{2}\\/fair-access\\.pdf)$/.test(req.uri);
  return {
    statusCode: 302,
    statusDescription: 'Found',
    headers: { location: { value: doc ? '/?download=' + encodeURIComponent(req.uri) : '/' }, 'cache-control': { value: 'no-store' } }
  };
}`;

/** The portal's "Page not found" page on AWS, deployed beside the page (see pageAddressFunction). */
export const NOT_FOUND_PAGE = '/not-found.html';

/**
 * CloudFront Function (viewer request, the page's behaviour) for AWS: the web bucket answers a key
 * it does not hold with S3's XML AccessDenied, and CloudFront's custom error responses would also
 * replace the API's own JSON 403/404, so an address that is not one of the page's files is served
 * the portal's "Page not found" page instead (at the address typed; the status stays 200, as S3
 * cannot be asked for a 404 here).
 */
export function pageAddressFunction(files: readonly string[]): string {
  const known = JSON.stringify(Object.fromEntries(['/', ...files].map((f) => [f, true])));
  return `var KNOWN = ${known};
function handler(event) {
  var req = event.request;
  if (!KNOWN[req.uri]) req.uri = '${NOT_FOUND_PAGE}';
  return req;
}`;
}
