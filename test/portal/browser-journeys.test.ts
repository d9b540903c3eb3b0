/**
 * The portal as its users meet it (issue 17), in Debian's Chromium (playwright-core):
 * - a head's feedback draft survives an expired sign-in and is sent after signing in again (and a
 *   different person signing in on the same browser does not send it); a warning five minutes
 *   before expiry;
 * - what each document is (published date, pupil data, classification, pages, size), earlier years,
 *   "you rated this";
 * - every error page a navigating browser can get (401 with a way back to the document, 403, 404 for
 *   a document and for an unknown address, 503), in the portal's style, never JSON;
 * - the no-access and service-unavailable states, each with a way out; the header stays on screen
 *   after sign-in;
 * - the deployer's council name, logo, contact, accessibility and privacy pages;
 * - the analyst's list at county size (580 schools, paged), its search and empty state, and the
 *   feedback page with a spreadsheet-safe export.
 *
 * Screenshots at 1280x800 and 390x844 go to $PORTAL_SCREENSHOT_DIR when set.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIR, startPortalServer, type PortalServer } from '../../functions/portal/server.ts';
import { feedbackDataset } from '../../functions/portal/datasets.ts';
import { CLASSIFICATION, EARLIER, LATEST, SCHOOLS, makeCountyLake, makePortalLake, type PortalFixture } from './fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup-test-deps.sh`);

const A = SCHOOLS.A;
const B = SCHOOLS.B;
const SITE = {
  councilName: 'Kentish Vale County Council',
  logo: 'logo.svg',
  logoAlt: 'Kentish Vale County Council logo',
  contact: { team: 'The school information team', email: 'school.profiles@kentish-vale.example', phone: '01632 960 000' },
  privacy: 'Kentish Vale keeps portal records for two years.\n\nAsk the data protection officer for a copy.',
};
/** Short enough to expire within the test, well inside the five-minute warning; long enough for a loaded machine to sign in and act before it ends. */
const SHORT_TOKEN_SECONDS = 15;

let browser: Browser;

async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await read();
  while (!ok(v)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
    v = await read();
  }
  return v;
}
const textOf = async (page: Page, selector: string) => ((await page.locator(selector).first().textContent()) ?? '').trim();
const waitText = (page: Page, selector: string, re: RegExp) => until(() => textOf(page, selector), (t) => re.test(t), `${selector} ~ ${re}`);

/** Viewport screenshots at desktop and phone width. */
async function shot(page: Page, name: string): Promise<void> {
  const dir = process.env.PORTAL_SCREENSHOT_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  const before = page.viewportSize();
  for (const [w, h] of [
    [1280, 800],
    [390, 844],
  ] as const) {
    await page.setViewportSize({ width: w, height: h });
    await page.screenshot({ path: join(dir, `j-${name}-${w}.png`) });
  }
  if (before) await page.setViewportSize(before);
}

async function signIn(page: Page, base: string, label: string): Promise<void> {
  await page.goto(base);
  await page.getByRole('radio', { name: new RegExp(`^${label}`) }).check();
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.locator('#profiles:not([hidden])').waitFor();
}

async function feedbackRows(dir: string): Promise<{ urn: string; rating: number; comment: string; user: string }[]> {
  if (!existsSync(join(dir, 'published/portal_feedback'))) return [];
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const sql = `SELECT urn, rating, comment, "user" FROM read_parquet('${dir}/published/portal_feedback/**/*.parquet', hive_partitioning = true) ORDER BY submitted_at`;
    return (await conn.runAndReadAll(sql)).getRowObjectsJson() as never;
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
});
afterAll(async () => {
  await browser?.close();
});

describe('a head’s feedback through an expired sign-in', () => {
  let fx: PortalFixture;
  let portal: PortalServer;
  let context: BrowserContext;
  let page: Page;
  let issued: string | null = null;

  beforeAll(async () => {
    fx = await makePortalLake();
    portal = await startPortalServer({ lake: fx.lake, port: 0, tokenSeconds: SHORT_TOKEN_SECONDS, site: SITE, logoFile: join(WEB_DIR, 'favicon.svg') });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB', timezoneId: 'Europe/London' });
    await context.route('**/auth/dev-login', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { token?: string };
      issued = body.token ?? null;
      await route.fulfill({ response, json: body });
    });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
  });
  afterAll(async () => {
    await context?.close();
    await portal?.close();
    fx?.cleanup();
  });

  it('warns before expiry, keeps the draft (not the token) in the browser, and sends it after signing in again', async () => {
    await signIn(page, portal.url, 'Head teacher');
    // Less than five minutes left from the start: the warning is there at once.
    await waitText(page, '#expiry-warning', /^Your sign-in ends at \d\d:\d\d.*kept in this browser/);
    await page.getByRole('button', { name: `Give feedback: ${A.name} (URN ${A.urn}), ${LATEST}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Feedback on this profile' });
    await dialog.getByRole('radio', { name: /4/ }).check();
    const comment = 'Fits the estate well; the village families are missing.';
    await dialog.getByLabel(/Comment/).fill(comment);
    expect(await dialog.locator('#feedback-expiry').isVisible()).toBe(true);
    await shot(page, '1-feedback-expiry-warning');

    const stored = await page.evaluate(() => Object.keys(sessionStorage).map((k) => [k, sessionStorage.getItem(k)]));
    expect(stored).toHaveLength(1);
    expect(JSON.parse(stored[0]![1]!)).toMatchObject({ sub: 'dev-head-0001', urn: A.urn, period: LATEST, rating: 4, comment });
    expect(JSON.stringify(stored)).not.toContain(issued!.split('.')[1]!);

    // Let the token expire, then send: the page goes back to sign-in and says the draft is kept.
    const exp = JSON.parse(Buffer.from(issued!.split('.')[1]!, 'base64url').toString()).exp as number;
    await new Promise((r) => setTimeout(r, Math.max(0, exp * 1000 - Date.now()) + 1200));
    const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/feedback')), dialog.getByRole('button', { name: 'Send feedback' }).click()]);
    expect(res.status()).toBe(401);
    await page.locator('#sign-in:not([hidden])').waitFor();
    await waitText(page, '#status', /Your sign-in has expired.*has not been lost: it is kept in this browser and will be sent when you sign in again/);
    await shot(page, '2-expired-draft-kept');
    expect(await feedbackRows(fx.dir)).toEqual([]);

    await page.getByRole('radio', { name: /^Head teacher/ }).check();
    const [sent] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/feedback') && r.request().method() === 'POST'), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
    expect(sent.status()).toBe(201);
    await waitText(page, '#status', /kept while you signed in again, has been sent/);
    expect(await feedbackRows(fx.dir)).toEqual([{ urn: A.urn, rating: 4, comment, user: 'dev-head-0001' }]);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    // The head now sees their rating beside the document.
    await waitText(page, `article[data-urn="${A.urn}"] .attachment-latest .rated`, /^You rated this 4 \(mostly\) on \d{1,2} \w+ \d{4}$/);
    await shot(page, '3-draft-sent-rated');
  });

  it('does not send a draft when someone else signs in on the same browser', async () => {
    await signIn(page, portal.url, 'Head teacher');
    await page.getByRole('button', { name: `Give feedback: ${A.name} (URN ${A.urn}), ${EARLIER}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Feedback on this profile' });
    await dialog.getByRole('radio', { name: /2/ }).check();
    await dialog.getByLabel(/Comment/).fill('Not for anyone else to send.');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await page.evaluate(() => sessionStorage.length)).toBe(1);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, portal.url, 'Executive head');
    await until(() => page.evaluate(() => sessionStorage.length), (n) => n === 0, 'the draft dropped');
    expect((await feedbackRows(fx.dir)).map((r) => r.comment)).not.toContain('Not for anyone else to send.');
  });

  it('says what each document is, lists earlier years, and carries the council’s name, logo and pages', async () => {
    await signIn(page, portal.url, 'Head teacher');
    const latest = page.locator(`article[data-urn="${A.urn}"] .attachment-latest`);
    expect(await latest.locator('.attachment-title').textContent()).toBe(`Community profile ${LATEST}`);
    const size = Math.round(fx.pdfs.get(`published/profiles/${LATEST}/${A.urn}.pdf`)!.length / 1024);
    expect(await latest.locator('.meta').textContent()).toBe(`Published 10 November 2025 · pupil data ${LATEST} school census · ${CLASSIFICATION} · PDF, 1 page, ${size} KB`);
    await waitText(page, `article[data-urn="${A.urn}"] .earlier .attachment-title`, new RegExp(`^Community profile ${EARLIER}$`));
    expect(await page.locator('#brand-name').textContent()).toBe(SITE.councilName);
    expect(await page.getByRole('img', { name: SITE.logoAlt }).isVisible()).toBe(true);
    expect(await page.title()).toBe(`School profiles – ${SITE.councilName}`);
    // after sign-in the header is still on screen, at phone width too
    await page.setViewportSize({ width: 390, height: 844 });
    await signIn(page, portal.url, 'Head teacher');
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    expect((await page.locator('header.masthead').boundingBox())!.y).toBeGreaterThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 800 });
    await shot(page, '4-head-documents');

    await page.getByRole('link', { name: 'Contact' }).click();
    await waitText(page, 'h1', /^Contact$/);
    expect(await page.getByRole('link', { name: SITE.contact.email }).getAttribute('href')).toBe(`mailto:${SITE.contact.email}`);
    expect(await page.locator('main').textContent()).toContain(SITE.contact.phone);
    await shot(page, '5-contact');
    await page.goto(`${portal.url}/privacy.html`);
    expect(await page.locator('main p').first().textContent()).toBe('Kentish Vale keeps portal records for two years.');
    await page.goto(`${portal.url}/accessibility.html`);
    expect(await page.locator('main').textContent()).toContain(`run by ${SITE.councilName}`);
  });
});

describe('error pages and states', () => {
  let fx: PortalFixture;
  let portal: PortalServer;
  let broken: PortalServer;
  let context: BrowserContext;
  let page: Page;
  /** A token to add to the next navigations (a navigation never carries the page's token). */
  let bearer: string | null = null;

  beforeAll(async () => {
    fx = await makePortalLake();
    portal = await startPortalServer({ lake: fx.lake, port: 0, site: SITE });
    // A portal whose audit cannot be written: it answers nothing but 503.
    broken = await startPortalServer({ lake: fx.lake, port: 0, site: SITE, audit: { append: async () => Promise.reject(new Error('disk full')) } });
    context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 800 }, locale: 'en-GB' });
    await context.route('**/api/**', (route) =>
      bearer && route.request().isNavigationRequest() ? route.continue({ headers: { ...route.request().headers(), authorization: `Bearer ${bearer}` } }) : route.continue(),
    );
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
  });
  afterAll(async () => {
    await context?.close();
    await portal?.close();
    await broken?.close();
    fx?.cleanup();
  });

  const expectPage = async (status: number, title: RegExp) => {
    expect(await page.evaluate(() => document.contentType)).toBe('text/html');
    await waitText(page, 'h1', title);
    expect(await page.locator('.error-page').getAttribute('data-status')).toBe(String(status));
    expect(await page.locator('body').textContent()).not.toMatch(/"error"|"message"/);
    expect(await page.getByRole('link', { name: 'Contact us' }).getAttribute('href')).toBe('/contact.html');
  };

  it('401: a direct link to a PDF asks to sign in, then downloads that document', async () => {
    const path = `/api/profiles/${LATEST}/${A.urn}.pdf`;
    const res = await page.goto(`${portal.url}${path}`);
    expect(res!.status()).toBe(401);
    await expectPage(401, /^Sign in to continue$/);
    expect(await page.locator('main').textContent()).toContain(`the ${LATEST} profile of URN ${A.urn}`);
    await shot(page, '6-error-401');
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.getByRole('radio', { name: /^Head teacher/ }).check();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
    expect(readFileSync((await download.path())!).equals(fx.pdfs.get(`published/profiles/${LATEST}/${A.urn}.pdf`)!)).toBe(true);
    await waitText(page, '#status', /Downloaded catchment-profile/);
    expect(new URL(page.url()).search).toBe('');
  });

  it('403, 404 (a document, an address) and 503 are pages in the portal’s style', async () => {
    const head = portal.devUsers.find((u) => u.id === 'head')!;
    bearer = (await portal.auth.issue(head)).token;
    let res = await page.goto(`${portal.url}/api/profiles/${LATEST}/${B.urn}.pdf`);
    expect(res!.status()).toBe(403);
    await expectPage(403, /^You do not have access to this$/);
    await shot(page, '7-error-403');
    const analyst = portal.devUsers.find((u) => u.id === 'analyst')!;
    bearer = (await portal.auth.issue(analyst)).token;
    res = await page.goto(`${portal.url}/api/profiles/${EARLIER}/${SCHOOLS.D.urn}.pdf`);
    expect(res!.status()).toBe(404);
    await expectPage(404, /^Page not found$/);
    expect(await page.locator('main').textContent()).toContain('has not been published');
    bearer = null;
    res = await page.goto(`${portal.url}/no/such/page`);
    expect(res!.status()).toBe(404);
    await expectPage(404, /^Page not found$/);
    await shot(page, '8-error-404');
    res = await page.goto(`${broken.url}/api/profiles/${LATEST}/${A.urn}.pdf`);
    expect(res!.status()).toBe(503);
    await expectPage(503, /^Sorry, there is a problem with the service$/);
    await shot(page, '9-error-503');
    // The page's own fetches still get JSON.
    const api = await page.evaluate(async () => (await fetch('/api/me')).headers.get('content-type'));
    expect(api).toMatch(/^application\/json/);
  });

  it('an account without access gets a way out, not a loop back to sign-in', async () => {
    await context.route('**/auth/dev-login', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { token?: string };
      body.token = (await portal.auth.issue({ sub: 'no-groups', id: 'x', groups: [] })).token;
      await route.fulfill({ response, json: body });
    });
    await page.goto(portal.url);
    await page.getByRole('radio', { name: /^Head teacher/ }).check();
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.locator('#no-access:not([hidden])').waitFor();
    expect(await page.locator('#no-access-message').textContent()).toMatch(/no access to the portal yet/);
    expect(await page.locator('#account-name').isVisible()).toBe(false);
    await shot(page, '10-no-access');
    await context.unroute('**/auth/dev-login');
    await page.locator('#no-access').getByRole('button', { name: 'Sign out' }).click();
    await page.locator('#sign-in:not([hidden])').waitFor();
    await waitText(page, '#status', /You have signed out/);
  });

  it('service unavailable: says so, keeps the header honest, and retries', async () => {
    await page.route('**/api/me', (route) => route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: 'audit_unavailable', message: 'The service cannot record this request right now.' }) }));
    await page.goto(portal.url);
    await page.getByRole('radio', { name: /^Head teacher/ }).check();
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.locator('#unavailable:not([hidden])').waitFor();
    expect(await page.locator('#unavailable-message').textContent()).toBe('The service cannot record this request right now.');
    expect(await page.locator('#account-name').isVisible()).toBe(false);
    await shot(page, '11-unavailable');
    await page.unroute('**/api/me');
    await page.locator('#unavailable').getByRole('button', { name: 'Try again' }).click();
    await page.locator('#profiles:not([hidden])').waitFor();
    expect(await page.locator('#account-name').textContent()).toBe('Head teacher');
  });

  it('warns five minutes before a one-hour sign-in expires', async () => {
    await page.clock.install();
    await signIn(page, portal.url, 'Head teacher');
    expect(await page.locator('#expiry-warning').isHidden()).toBe(true);
    await page.clock.fastForward('54:00');
    expect(await page.locator('#expiry-warning').isHidden()).toBe(true);
    await page.clock.fastForward('01:01');
    await waitText(page, '#expiry-warning', /^Your sign-in ends at \d\d:\d\d, in 5 minutes\./);
  });
});

describe('the analyst’s view of a county: 580 schools', () => {
  let fx: PortalFixture & { urns: string[] };
  let portal: PortalServer;
  let context: BrowserContext;
  let page: Page;
  const hostile = '=HYPERLINK("http://evil.example","click")';

  beforeAll(async () => {
    fx = await makeCountyLake(580);
    const feedback = feedbackDataset(fx.lake);
    await feedback.append({ feedback_id: 'f1', urn: fx.urns[0]!, user: 'h1', rating: 4, comment: 'Matches our families.', submitted_at: '2025-11-12T09:00:00.000Z', period: LATEST });
    await feedback.append({ feedback_id: 'f2', urn: fx.urns[7]!, user: 'h2', rating: 2, comment: hostile, submitted_at: '2025-11-13T10:30:00.000Z', period: LATEST });
    portal = await startPortalServer({ lake: fx.lake, port: 0, site: SITE });
    context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 800 }, locale: 'en-GB', timezoneId: 'Europe/London' });
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
  }, 120_000);
  afterAll(async () => {
    await context?.close();
    await portal?.close();
    fx?.cleanup();
  });

  const rowUrns = () => page.locator('table.all-schools tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-urn')!));

  it('pages through every school with phase, cluster, pupils, match rate and last feedback', async () => {
    await signIn(page, portal.url, 'LA analyst');
    await waitText(page, '#filter-count', /^Showing 1 to 50 of 580 schools$/);
    expect(await page.locator('#profiles-lede').textContent()).toContain('all 580 schools');
    const headers = await page.locator('table.all-schools thead th').allTextContents();
    expect(headers).toEqual(['School', 'Phase', 'Cluster', 'Pupils', 'Postcodes matched', 'Last feedback', 'Profiles (PDF)']);
    const first = page.locator(`tr[data-urn="${fx.urns[0]}"] td`);
    expect(await first.allTextContents()).toEqual(['Primary', 'Ashford Vale', '120', '100.0%', '4 of 5, 12 Nov 2025', LATEST]);
    await shot(page, '12-analyst-580');
    const seen: string[] = [];
    for (let p = 1; ; p++) {
      const urns = await until(rowUrns, (u) => u.length > 0 && !seen.includes(u[0]!), `page ${p}`);
      seen.push(...urns);
      const next = page.getByRole('link', { name: 'Next page' });
      if ((await next.count()) === 0) break;
      await next.click();
    }
    expect(seen).toEqual(fx.urns);
    await waitText(page, '#filter-count', /^Showing 551 to 580 of 580 schools$/);
    expect(await page.locator('#pagination [aria-current="page"]').textContent()).toBe('12');
    await shot(page, '13-analyst-last-page');
  });

  it('searches by name, URN, phase or cluster, with an empty state and a way back', async () => {
    await page.getByLabel('Find a school').fill('hallow down');
    await waitText(page, '#filter-count', /^Showing 1 to 50 of 72 schools matching “hallow down”$/);
    await page.getByLabel('Find a school').fill(fx.urns[123]!);
    await until(rowUrns, (u) => u.length === 1 && u[0] === fx.urns[123], 'one school by URN');
    await page.getByLabel('Find a school').fill('zzz nowhere');
    await page.getByRole('heading', { name: 'No schools match your search' }).waitFor();
    expect(await page.locator('table.all-schools').count()).toBe(0);
    expect(await page.locator('#pagination').isHidden()).toBe(true);
    await shot(page, '14-analyst-no-match');
    await page.getByRole('button', { name: 'Clear search' }).click();
    await waitText(page, '#filter-count', /^Showing 1 to 50 of 580 schools$/);
  });

  it('reads heads’ feedback as text and exports it safe for spreadsheets', async () => {
    await page.getByRole('link', { name: 'Feedback from heads' }).click();
    await waitText(page, '#feedback-count', /^2 responses$/);
    const rows = await page.locator('table.feedback-list tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(rows[0], JSON.stringify(rows[0])).toEqual(['13 Nov 2025', `Chalk Oak Primary SchoolURN ${fx.urns[7]}`, LATEST, '2 (a little)', hostile]);
    expect(rows[1]![4]).toBe('Matches our families.');
    expect(await page.locator('table.feedback-list a').count()).toBe(0);
    await shot(page, '15-analyst-feedback');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download all feedback (CSV)' }).click()]);
    const csv = readFileSync((await download.path())!, 'utf8');
    expect(csv.split('\n')[0]).toBe('submitted_at,period,urn,rating,comment');
    expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
    expect(csv).not.toMatch(/,=HYPERLINK/);
  });
});
