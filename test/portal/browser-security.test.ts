/**
 * The portal page's own defences in Chromium (issue 16), on a server and lake of their own:
 * - DNS rebinding: a page on another name that resolves to 127.0.0.1 gets 421 for the page and for
 *   sign-in, so it can neither read the portal nor obtain a token;
 * - a download link that is not https (a javascript: or http: URL a compromised or spoofed API
 *   could send) is not followed, and the head is told;
 * - the page writes text only: no HTML sinks in app.js, and hostile text from the API (school names)
 *   is shown as text.
 * Screenshots go to $PORTAL_SCREENSHOT_DIR when set.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIR, startPortalServer, type PortalServer } from '../../functions/portal/server.ts';
import { LATEST, SCHOOLS, makePortalLake, type PortalFixture } from './fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run scripts/setup-test-deps.sh`);
const REBIND = 'rebind.test';
const ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // The attacker's name, re-pointed at the portal's address (what DNS rebinding achieves).
  `--host-resolver-rules=MAP ${REBIND} 127.0.0.1`,
];
const A = SCHOOLS.A;

let fx: PortalFixture;
let portal: PortalServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;

async function shot(name: string): Promise<void> {
  const dir = process.env.PORTAL_SCREENSHOT_DIR;
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: true });
}

async function statusText(): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const t = ((await page.locator('#status').textContent()) ?? '').trim();
    if (t || Date.now() > deadline) return t;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function signInAsHead(): Promise<void> {
  await page.goto(portal.url);
  await page.getByRole('radio', { name: /^Head teacher/ }).check();
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.locator('#profiles:not([hidden])').waitFor();
}

beforeAll(async () => {
  fx = await makePortalLake();
  portal = await startPortalServer({ lake: fx.lake, port: 0 });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1100, height: 800 }, locale: 'en-GB' });
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
});

afterAll(async () => {
  await browser?.close();
  await portal?.close();
  fx?.cleanup();
});

describe('portal page in Chromium: edges', () => {
  it('a page on a rebound name gets neither the portal nor a token', async () => {
    const port = new URL(portal.url).port;
    const res = await page.goto(`http://${REBIND}:${port}/`);
    expect(res!.status()).toBe(421);
    expect(await page.locator('#sign-in').count()).toBe(0);
    await shot('s1-rebinding-refused');
    // Same-origin with itself, the attacker's page may call "its own" server: still refused.
    const attempt = await page.evaluate(async () => {
      const config = await fetch('/config.json');
      const login = await fetch('/auth/dev-login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: 'analyst' }) });
      return { config: config.status, login: login.status, body: await login.text() };
    });
    expect(attempt.config).toBe(421);
    expect(attempt.login).toBe(421);
    expect(attempt.body).not.toMatch(/token/);
  });

  it.each([
    ['an http: link', (port: string) => `http://${REBIND}:${port}/published/profiles/x.pdf`],
    ['a javascript: link', () => 'javascript:document.title="pwned"'],
    ['a link with credentials', () => 'https://user:pass@example.com/x.pdf'],
    ['no link', () => 'not a url'],
  ])('does not follow %s from the API, and says so', async (_name, link) => {
    await signInAsHead();
    const port = new URL(portal.url).port;
    const navigations: string[] = [];
    page.on('framenavigated', (f) => f === page.mainFrame() && navigations.push(f.url()));
    await page.route(`**/api/profiles/${LATEST}/${A.urn}.pdf`, (route) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ url: link(port), expiresInSeconds: 300, filename: 'x.pdf' }) }),
    );
    await page.getByRole('button', { name: `Download PDF: ${A.name} (URN ${A.urn}), ${LATEST}` }).click();
    expect(await statusText()).toMatch(/not a secure \(https\) address, so it was not opened/);
    await new Promise((r) => setTimeout(r, 300));
    expect(navigations).toEqual([]);
    expect(new URL(page.url()).origin).toBe(new URL(portal.url).origin);
    expect(await page.title()).not.toBe('pwned');
    await shot('s2-insecure-link-refused');
    await page.unroute(`**/api/profiles/${LATEST}/${A.urn}.pdf`);
  });

  it('renders text from the API as text, never as HTML', async () => {
    const hostile = '<img src=x onerror="document.title=\'pwned\'"><b>Bold</b>';
    await page.route('**/api/me', async (route) => {
      const response = await route.fetch();
      const body = (await response.json()) as { schools: { name: string }[] };
      body.schools[0]!.name = hostile;
      await route.fulfill({ response, json: body });
    });
    await signInAsHead();
    await page.getByRole('heading', { level: 2, name: hostile }).waitFor();
    expect(await page.locator('#school-list img, #school-list b').count()).toBe(0);
    expect(await page.title()).not.toBe('pwned');
    await page.unroute('**/api/me');
    const source = readFileSync(join(WEB_DIR, 'app.js'), 'utf8');
    expect(source).not.toMatch(/\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(/);
  });
});
