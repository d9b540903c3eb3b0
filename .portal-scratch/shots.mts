import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { startPortalServer } from '../functions/portal/server.ts';
import { tinyPdf } from '../test/portal/fixture.ts';

const dir = mkdtempSync(join(tmpdir(), 'portal-real-'));
cpSync('out/published/school_context', join(dir, 'published/school_context'), { recursive: true });
const lake = new LocalObjectStore(dir);
const pdf = await tinyPdf('x');
for (const period of ['2024-25', '2025-26']) {
  for (const f of readdirSync(`out/published/profiles/${period}`)) if (f.endsWith('.json')) await lake.put(`published/profiles/${period}/${f.replace('.json', '.pdf')}`, pdf);
  await lake.put(`published/reports/${period}/fair-access.pdf`, pdf);
}
const portal = await startPortalServer({ lake, port: 0 });
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless=new', '--no-sandbox', '--disable-gpu'] });
const shoot = async (user: string, name: string, width: number, height = 900, full = true) => {
  const ctx = await browser.newContext({ viewport: { width, height } });
  const page = await ctx.newPage();
  await page.goto(portal.url);
  await page.getByRole('radio', { name: new RegExp(`^${user}`) }).check();
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.locator('#profiles:not([hidden])').waitFor();
  await page.screenshot({ path: `/tmp/portal-shots/${name}.png`, fullPage: full });
  if (user === 'Head') {
    await page.getByRole('button', { name: /Give feedback/ }).first().click();
    await page.screenshot({ path: `/tmp/portal-shots/${name}-dialog.png` });
  }
  await ctx.close();
};
await shoot('LA analyst', 'real-analyst', 1100, 900, false);
await shoot('Executive head', 'real-exec-mobile', 390, 844);
await shoot('Head', 'real-head-mobile', 390, 844);
const ctx = await browser.newContext({ viewport: { width: 390, height: 844 } });
const p = await ctx.newPage(); await p.goto(portal.url); await p.screenshot({ path: '/tmp/portal-shots/real-signin-mobile.png', fullPage: true });
await browser.close();
await portal.close();
rmSync(dir, { recursive: true, force: true });
