/**
 * The portal page in Debian's Chromium (playwright-core), against the local server on a temporary
 * lake: a head signs in, sees and downloads their school's PDF (bytes equal the file); the token lives
 * in the page's memory only; the direct URL of another school is 403; tampered and expired tokens are
 * 401 and send the page back to sign-in; sign-out revokes the token on the server and says so;
 * an executive head sees both schools; the analyst sees all and the LA report; feedback sent from the
 * page lands in the feedback dataset; every API request the browser made is in the audit table (both
 * read back with DuckDB, as an analyst would).
 *
 * Screenshots go to $PORTAL_SCREENSHOT_DIR when set.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPortalServer, type PortalServer } from '../../functions/portal/server.ts';
import { LATEST, EARLIER, SCHOOLS, makePortalLake, type PortalFixture } from './fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) throw new Error(`${CHROMIUM} is missing: run scripts/setup-test-deps.sh`);

const A = SCHOOLS.A;
const B = SCHOOLS.B;
const C = SCHOOLS.C;

let fx: PortalFixture;
let portal: PortalServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Every /api/ response the browser saw: method, path, status. */
const apiCalls: { method: string; path: string; status: number }[] = [];
/** The token the last sign-in issued (read off the wire: the page keeps it in memory only). */
let issued: string | null = null;
/** A token to hand the page at its next sign-in instead of the real one. */
let substitute: string | null = null;

async function shot(name: string): Promise<void> {
  const dir = process.env.PORTAL_SCREENSHOT_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

/** Poll until `read` satisfies `ok` (Playwright's own expect is not part of playwright-core). */
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await read();
  while (!ok(v)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
    v = await read();
  }
  return v;
}

const hasText = async (loc: Locator, text: string) => {
  const got = await until(() => loc.first().textContent().then((t) => (t ?? '').trim()), (t) => t === text, `text "${text}"`);
  expect(got).toBe(text);
};
const containsText = async (loc: Locator, text: string) => {
  const got = await until(() => loc.first().textContent().then((t) => t ?? ''), (t) => t.includes(text), `text containing "${text}"`);
  expect(got).toContain(text);
};
const hasCount = async (loc: Locator, n: number) => expect(await until(() => loc.count(), (c) => c === n, `${n} elements`)).toBe(n);
const visible = (loc: Locator) => loc.waitFor({ state: 'visible' });
const hidden = (loc: Locator) => loc.waitFor({ state: 'hidden' });

async function signInAs(label: string): Promise<void> {
  await page.goto(portal.url);
  await page.getByRole('radio', { name: new RegExp(`^${label}`) }).check();
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.locator('#profiles:not([hidden])').waitFor();
}

async function signOut(): Promise<void> {
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.locator('#sign-in:not([hidden])').waitFor();
}

/** fetch from inside the page with the token of the last sign-in (or the one given). */
function fetchInPage(path: string, token: string | null = issued): Promise<{ status: number; body: string }> {
  return page.evaluate(
    async ([p, bearer]) => {
      const r = await fetch(p, { headers: bearer ? { Authorization: `Bearer ${bearer}` } : {} });
      return { status: r.status, body: await r.text() };
    },
    [path, token] as const,
  );
}

/** Sign in as a dev user whose token the page will be handed instead of a real one; expects a 401. */
async function signInWithToken(label: string, token: string): Promise<void> {
  substitute = token;
  await page.goto(portal.url);
  await page.getByRole('radio', { name: new RegExp(`^${label}`) }).check();
  const [me] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/me')), page.getByRole('button', { name: 'Sign in', exact: true }).click()]);
  expect(me.status()).toBe(401);
  await page.locator('#sign-in:not([hidden])').waitFor();
}

async function query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    return (await conn.runAndReadAll(sql)).getRowObjectsJson() as T[];
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

describe('heads’ portal in Chromium', () => {
  beforeAll(async () => {
    fx = await makePortalLake();
    portal = await startPortalServer({ lake: fx.lake, port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1100, height: 800 }, locale: 'en-GB' });
    context.on('response', (res) => {
      const url = new URL(res.url());
      if (url.pathname.startsWith('/api/')) apiCalls.push({ method: res.request().method(), path: url.pathname, status: res.status() });
    });
    await context.route('**/auth/dev-login', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { token?: string };
      issued = body.token ?? null;
      if (substitute) {
        body.token = substitute;
        substitute = null;
      }
      await route.fulfill({ response, json: body });
    });
    page = await context.newPage();
    page.setDefaultTimeout(10_000);
  });

  afterAll(async () => {
    await browser?.close();
    await portal?.close();
    fx?.cleanup();
  });

  it('head A signs in, sees only school A and downloads its PDF byte for byte', async () => {
    await page.goto(portal.url);
    await hasText(page.getByRole('heading', { level: 1 }), 'Sign in to download your school’s profiles');
    await shot('1-sign-in');
    await signInAs('Head teacher');
    await hasText(page.getByRole('heading', { level: 1 }), 'Your school’s profiles');
    expect(await page.locator('article.school').evaluateAll((els) => els.map((e) => e.getAttribute('data-urn')))).toEqual([A.urn]);
    await visible(page.getByRole('heading', { level: 2, name: A.name }));
    expect(await page.locator('#profiles').getByText(B.name).count()).toBe(0);
    expect(await page.locator('#reports').isHidden()).toBe(true);
    await shot('2-head');

    const button = page.getByRole('button', { name: `Download PDF: ${A.name} (URN ${A.urn}), ${LATEST}` });
    const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
    expect(download.suggestedFilename()).toBe(`catchment-profile-${A.urn}-${LATEST}.pdf`);
    const bytes = readFileSync((await download.path())!);
    expect(bytes.equals(fx.pdfs.get(`published/profiles/${LATEST}/${A.urn}.pdf`)!)).toBe(true);
    await containsText(page.getByRole('status'), 'Downloaded');
  });

  it('keeps the token in memory only: no storage, no cookie, and a reload asks to sign in again', async () => {
    expect(issued).toMatch(/^ey/);
    const stored = await page.evaluate(() => ({
      session: Object.keys(sessionStorage).map((k) => sessionStorage.getItem(k)),
      local: Object.keys(localStorage).map((k) => localStorage.getItem(k)),
      cookie: document.cookie,
    }));
    expect(JSON.stringify(stored)).not.toContain(issued!.split('.')[1]!);
    expect(stored).toEqual({ session: [], local: [], cookie: '' });
    await page.reload();
    await page.locator('#sign-in:not([hidden])').waitFor();
    expect(await page.locator('#profiles').isHidden()).toBe(true);
  });

  it('the direct URL of school B is 403, with the same body as a school that does not exist', async () => {
    const b = await fetchInPage(`/api/profiles/${LATEST}/${B.urn}.pdf`);
    const none = await fetchInPage(`/api/profiles/${LATEST}/999999.pdf`);
    expect(b.status).toBe(403);
    expect(none.status).toBe(403);
    expect(b.body).toBe(none.body);
    const traversal = await fetchInPage(`/api/profiles/${LATEST}/%2e%2e%2f${B.urn}.pdf`);
    expect(traversal.status).toBe(400);
    // a plain navigation carries no token at all
    const direct = await page.goto(`${portal.url}/api/profiles/${LATEST}/${A.urn}.pdf`);
    expect(direct!.status()).toBe(401);
  });

  it('a tampered token and an expired token get 401 and bring back the sign-in page', async () => {
    await page.goto(portal.url);
    const [h, p, s] = issued!.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
    claims['cognito:groups'] = [`urn-${A.urn}`, `urn-${B.urn}`];
    const tampered = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
    expect((await fetchInPage(`/api/profiles/${LATEST}/${B.urn}.pdf`, tampered)).status).toBe(401);

    await signInWithToken('Head teacher', tampered);
    await containsText(page.getByRole('status'), 'sign in');

    const head = portal.devUsers.find((u) => u.id === 'head')!;
    const expired = await portal.auth.issue(head, { now: new Date(Date.now() - 2 * 3600_000) });
    await signInWithToken('Head teacher', expired.token);
    await containsText(page.getByRole('status'), 'Your sign-in has expired');
    await shot('3-expired');
  });

  it('an executive head sees both of their schools', async () => {
    await signInAs('Executive head');
    await hasText(page.getByRole('heading', { level: 1 }), 'Your schools’ profiles');
    expect(await page.locator('article.school').evaluateAll((els) => els.map((e) => e.getAttribute('data-urn')))).toEqual([B.urn, C.urn]);
    await visible(page.getByRole('button', { name: `Download PDF: ${C.name} (URN ${C.urn}), ${EARLIER}` }));
    expect((await fetchInPage(`/api/profiles/${LATEST}/${A.urn}.pdf`)).status).toBe(403);
    await shot('4-executive-head');
  });

  it('sign-out revokes the token on the server and says so', async () => {
    const token = issued!;
    expect((await fetchInPage('/api/me', token)).status).toBe(200);
    const [out] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/sign-out')), signOut()]);
    expect(out.status()).toBe(200);
    await containsText(page.getByRole('status'), 'Your sign-in has been revoked');
    await shot('4b-signed-out');
    const after = await fetchInPage('/api/me', token);
    expect(after.status).toBe(401);
    expect(JSON.parse(after.body).message).toMatch(/signed out/);
  });

  it('the analyst sees every school and the fair-access report, and can filter', async () => {
    await signInAs('LA analyst');
    await hasText(page.getByRole('heading', { level: 1 }), 'All school profiles');
    const urns = await page.locator('table.all-schools tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-urn')));
    expect(urns).toEqual(Object.values(SCHOOLS).map((s) => s.urn));
    await visible(page.getByRole('heading', { name: 'Local authority reports' }));
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: `Download PDF: fair-access report ${LATEST}` }).click()]);
    expect(readFileSync((await download.path())!).equals(fx.pdfs.get(`published/reports/${LATEST}/fair-access.pdf`)!)).toBe(true);
    await shot('5-analyst');
    await page.getByLabel('Find a school').fill('cedar');
    await hasCount(page.locator('table.all-schools tbody tr'), 1);
    await hasText(page.locator('#filter-count'), '1 school');
    await page.getByLabel('Find a school').fill('');
    expect(await page.getByRole('button', { name: /Give feedback/ }).count()).toBe(0);
    await signOut();
  });

  it('feedback sent from the page appears in the feedback dataset', async () => {
    await signInAs('Head teacher');
    await page.getByRole('button', { name: `Give feedback: ${A.name} (URN ${A.urn}), ${LATEST}` }).click();
    const dialog = page.getByRole('dialog', { name: 'Feedback on this profile' });
    await visible(dialog);
    await dialog.getByRole('button', { name: 'Send feedback' }).click();
    await hasText(dialog.getByRole('alert'), 'Choose a rating from 1 to 5.');
    await dialog.getByRole('radio', { name: /4/ }).check();
    const comment = 'Matches our families on the estate; fewer rural families than we would expect.';
    await dialog.getByLabel(/Comment/).fill(comment);
    await hasText(dialog.locator('#comment-count'), `${comment.length} of 2,000 characters`);
    await shot('6-feedback');
    const [res] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/api/feedback')), dialog.getByRole('button', { name: 'Send feedback' }).click()]);
    expect(res.status()).toBe(201);
    await hidden(dialog);
    await containsText(page.getByRole('status'), 'Thank you');
    await shot('7-thanks');

    const rows = await query<{ urn: string; period: string; rating: number; comment: string; user: string }>(
      `SELECT urn, period, rating, comment, "user" FROM read_parquet('${fx.dir}/published/portal_feedback/**/*.parquet', hive_partitioning = true)`,
    );
    expect(rows).toEqual([{ urn: A.urn, period: LATEST, rating: 4, comment, user: 'dev-head-0001' }]);
  });

  it('every API request the browser made is in the audit table', async () => {
    const rows = await query<{ status: number; action: string; outcome: string; urn: string | null; period: string; user: string | null }>(
      `SELECT status, action, outcome, urn, period, "user" FROM read_parquet('${fx.dir}/published/portal_audit/**/*.parquet', hive_partitioning = true) ORDER BY occurred_at`,
    );
    expect(apiCalls.length).toBeGreaterThan(10);
    expect(rows).toHaveLength(apiCalls.length);
    const statuses = (xs: { status: number }[]) => xs.map((x) => x.status).sort((a, b) => a - b);
    expect(statuses(rows)).toEqual(statuses(apiCalls));
    for (const outcome of ['allowed', 'denied', 'invalid', 'unauthenticated']) expect(rows.some((r) => r.outcome === outcome), outcome).toBe(true);
    expect(rows.filter((r) => r.action === 'profile' && r.outcome === 'denied' && r.urn === B.urn)).toHaveLength(1);
    expect(rows.find((r) => r.action === 'feedback')).toMatchObject({ status: 201, outcome: 'allowed', urn: A.urn, period: LATEST, user: 'dev-head-0001' });
  });
});
