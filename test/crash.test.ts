/**
 * A crash at any point of a local run: the pipeline runs in a child process that is SIGKILLed at
 * spread points of its progress (ingest, classify, profiles, PDFs, the publish itself, after it).
 * What readers see through the pointer must then be exactly the previous run's output or exactly
 * the new run's (byte for byte), and a rerun must succeed and give exactly the new output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { PublishedView } from '../functions/lake/publication.ts';
import { GENERIC_CLASSIFICATION, SCHOOLS, runLocal, tempDir, upn, writeFiles } from './helpers/fixtures.ts';

const CHILD = resolve(import.meta.dirname, 'helpers/run-child.ts');

const PUPILS = (moved: boolean) =>
  [
    'upn,urn,postcode,ncyear,fsm',
    ...Array.from({ length: 30 }, (_, i) => `${upn(i + 1)},${i % 2 ? '100001' : '100002'},${['KT1 1AA', 'KT1 1AB', 'KT1 2AA', 'KT1 2AB'][i % 4]},${5 + (i % 2)},${i % 3 ? 'N' : 'Y'}`),
    `${upn(99)},100001,${moved ? 'KT1 2AD' : 'KT1 1AD'},5,N`,
  ].join('\n');
const CONTACTS = ['contact_id,contact_date,postcode,channel,child_urn,child_ncyear', 'C1,2025-10-01,KT1 1AA,helpline,100001,5', 'C2,2025-10-02,KT1 2AA,email,100002,6'].join('\n');

let root: string;
let oldInput: string;
let newInput: string;
let base: string;
let before: Record<string, string>;
let after: Record<string, string>;
let events: string[];

/** Published keys and bytes as readers see them (through the pointer). */
async function snapshot(out: string): Promise<Record<string, string>> {
  const view = new PublishedView(new LocalObjectStore(out), 0);
  const snap: Record<string, string> = {};
  for (const o of await view.list('published/')) snap[o.key] = Buffer.from(await view.get(o.key)).toString('base64');
  return snap;
}

/** Run the child; kill it with SIGKILL right after its `killAfter`-th progress event (never: run to the end). */
function child(input: string, out: string, killAfter = Infinity): Promise<{ events: string[]; killed: boolean; code: number | null }> {
  return new Promise((done, fail) => {
    // One process (node with tsx's loader), so SIGKILL stops the run itself: the tsx CLI would run it in a child of its own.
    const p = spawn(process.execPath, ['--import', 'tsx', CHILD, input, out], { stdio: ['ignore', 'pipe', 'pipe'] });
    const seen: string[] = [];
    let err = '';
    p.stderr.on('data', (c) => (err += String(c)));
    createInterface({ input: p.stdout }).on('line', (line) => {
      seen.push(line);
      if (seen.length >= killAfter && p.exitCode === null) p.kill('SIGKILL');
    });
    p.on('error', fail);
    // 'close', not 'exit': its output is all read by then.
    p.on('close', (code, signal) => {
      if (signal !== 'SIGKILL' && code !== 0) fail(new Error(`child run failed (${code}): ${err}`));
      else done({ events: seen, killed: signal === 'SIGKILL', code });
    });
  });
}

beforeAll(async () => {
  root = tempDir('catchment-crash-');
  oldInput = join(root, 'old');
  newInput = join(root, 'new');
  base = join(root, 'base');
  const files = { ...GENERIC_CLASSIFICATION, 'schools/schools.csv': SCHOOLS, 'contacts/contacts.csv': CONTACTS };
  writeFiles(oldInput, { ...files, 'pupils/pupils_2025-26.csv': PUPILS(false) });
  writeFiles(newInput, { ...files, 'pupils/pupils_2025-26.csv': PUPILS(true) });
  mkdirSync(base);
  expect((await runLocal(oldInput, base)).status).toBe('succeeded');
  before = await snapshot(base);
  // The new run uninterrupted, on a copy: what "exactly the new output" is.
  const whole = join(root, 'whole');
  cpSync(base, whole, { recursive: true });
  events = (await child(newInput, whole)).events;
  after = await snapshot(whole);
  expect(after).not.toEqual(before);
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('SIGKILL at any point of a local run', () => {
  it('leaves what readers see exactly old or exactly new, and a rerun succeeds with exactly the new output', async () => {
    const publishAt = events.findIndex((e) => JSON.parse(e).stage === 'publish') + 1;
    const n = events.length;
    // Spread over the whole run, plus the publish event itself and just after it.
    const points = [...new Set([1, Math.round(n * 0.15), Math.round(n * 0.3), Math.round(n * 0.5), Math.round(n * 0.7), Math.round(n * 0.85), publishAt, publishAt + 1, n])].filter((k) => k >= 1 && k <= n);
    expect(points.length).toBeGreaterThanOrEqual(6);
    const outcomes: string[] = [];
    for (const k of points) {
      const out = join(root, `kill-${k}`);
      cpSync(base, out, { recursive: true });
      const r = await child(newInput, out, k);
      const seen = await snapshot(out);
      const state = JSON.stringify(seen) === JSON.stringify(before) ? 'old' : JSON.stringify(seen) === JSON.stringify(after) ? 'new' : 'MIXED';
      outcomes.push(`${k}/${n} ${JSON.parse(r.events.at(-1) ?? '{}').stage}: ${r.killed ? 'killed' : 'finished'}, ${state}`);
      expect(state, outcomes.join('\n')).not.toBe('MIXED');
      // The rerun after the crash starts a new run and publishes the new output whole.
      expect((await runLocal(newInput, out)).status).toBe('succeeded');
      expect(await snapshot(out), `rerun after kill at ${k}`).toEqual(after);
      rmSync(out, { recursive: true, force: true });
    }
    // Both outcomes happen: killed before the flip (old) and after it (new).
    expect(outcomes.some((o) => o.endsWith('old'))).toBe(true);
    expect(outcomes.some((o) => o.endsWith('new'))).toBe(true);
  }, 600_000);
});
