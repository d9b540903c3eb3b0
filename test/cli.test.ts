/** The CLI as a user runs it: exit codes, summary, --json, and a one-line reason on failure. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GENERIC_CLASSIFICATION, SCHOOLS, removeDir, tempDir, upn, writeFiles } from './helpers/fixtures.ts';

const BIN = resolve(import.meta.dirname, '../bin/catchment.js');
let input: string;
let out: string;
let secrets: string;

function cli(...args: string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', cwd: secrets, timeout: 120_000 });
}

beforeAll(() => {
  input = tempDir();
  out = tempDir();
  secrets = tempDir();
  writeFiles(input, {
    ...GENERIC_CLASSIFICATION,
    'schools/schools.csv': SCHOOLS,
    'pupils/pupils_2025-26.csv': `upn,urn,postcode,ncyear,fsm\n${upn(1)},100001,KT1 1AA,5,N\n${upn(2)},100002,KT1 2AB,9,Y\n${upn(3)},100002,KT1 2AB,99,Y\n`,
  });
});
afterAll(() => [input, out, secrets].forEach(removeDir));

describe('catchment run', () => {
  it('runs every stage, prints a summary and makes a key file on first run', () => {
    const r = cli('run', '--input', input, '--out', out);
    expect(r.stderr).toMatch(/ingest\s+\S+\.csv/);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/succeeded in/);
    expect(r.stdout).toMatch(/pupils\s+3\s+2\s+1/);
    expect(r.stdout).toMatch(/quarantined: invalid_ncyear 1/);
    expect(r.stdout).toContain(`outputs under ${out}/`);
    // The folders the summary names for the PDFs are real folders holding them.
    const folders = [...r.stdout.matchAll(/^\s+(\S+\/(?:profiles|reports)\/\d{4}-\d{2})\/\s/gm)].map((m) => m[1]!);
    expect(folders.some((f) => /^runs\/[^/]+\/published\/profiles\//.test(f))).toBe(true);
    // No contact log, so no fair-access report, and the summary does not claim one.
    expect(r.stdout).not.toMatch(/fair-access\.pdf/);
    for (const f of folders) expect(readdirSync(join(out, f)).some((n) => n.endsWith('.pdf')), f).toBe(true);
    expect(existsSync(join(secrets, '.secrets/pseudonym.key'))).toBe(true);
  });

  it('--json prints the manifest', () => {
    const r = cli('run', '--input', input, '--out', out, '--json');
    expect(r.status).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m.status).toBe('succeeded');
    expect(m.datasets.pupils).toMatchObject({ read: 3, accepted: 2, quarantined: 1 });
    expect(JSON.parse(readFileSync(join(out, 'manifests/latest.json'), 'utf8')).runId).toBe(m.runId);
  });

  it('fails with a non-zero exit and a one-line reason', () => {
    const bad = tempDir();
    writeFiles(bad, { ...GENERIC_CLASSIFICATION, 'schools/schools.csv': SCHOOLS, 'pupils/p.csv': 'pupil,school\n1,2\n' });
    const r = cli('run', '--input', bad, '--out', out);
    removeDir(bad);
    expect(r.status).toBe(1);
    const last = r.stderr.trim().split('\n').pop()!;
    expect(last).toMatch(/^catchment: run \S+ failed: pupils\/p\.csv line 1: header is missing required column\(s\) upn, postcode, ncyear, fsm, urn or laestab; expected upn,urn\|laestab,postcode,ncyear,fsm/);
  });

  it('names an unknown option with a suggestion, not a missing required one', () => {
    const r = cli('run', '--inptu', input, '--out', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/unknown option '--inptu'/);
    expect(r.stderr).toMatch(/Did you mean --input\?/);
    expect(r.stderr).not.toMatch(/required option/);
  });

  it('says which required option is missing, and help marks them required and shows examples', () => {
    const r = cli('run', '--out', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/required option '--input <dir>' not specified/);
    const help = cli('help', 'run').stdout;
    expect(help).toMatch(/--input <dir>\s+\(required\)/);
    expect(help).toMatch(/--out <dir>\s+\(required\)/);
    expect(help).toMatch(/profiles\s+and\s+fair\s+access,\s+PDFs,\s+publish/);
    expect(cli('--help').stdout).toMatch(/Examples:[\s\S]*catchment serve --out out/);
  });

  it('--no-pdfs publishes the tables only', () => {
    const o2 = tempDir();
    const r = cli('run', '--input', input, '--out', o2, '--no-pdfs', '--json');
    expect(r.status).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m.pdfs).toEqual([]);
    expect(m.published.some((p: string) => /school_profile\/period=/.test(p))).toBe(true);
    expect(existsSync(join(o2, 'published/profiles'))).toBe(false);
    removeDir(o2);
  });

  it('--sample writes the sample county into --input first (the same files as the generator), then leaves it as it is', () => {
    const dir = tempDir();
    const gen = tempDir();
    const sampleIn = join(dir, 'input');
    try {
      const first = cli('run', '--sample', 'tiny', '--input', sampleIn, '--out', join(dir, 'out'), '--no-pdfs');
      expect(first.status, first.stderr).toBe(0);
      expect(first.stderr).toMatch(/sample\s+tiny\s+writing the synthetic sample county into/);
      expect(first.stdout).toMatch(/succeeded in/);
      const g = spawnSync(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, '../sample-data/generate.ts'), '--out', gen, '--scale', 'tiny'], { encoding: 'utf8', cwd: resolve(import.meta.dirname, '..') });
      expect(g.status, g.stderr).toBe(0);
      const files = (d: string) => readdirSync(d, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name).slice(d.length)).sort();
      expect(files(sampleIn)).toEqual(files(gen));
      for (const f of files(gen)) expect(readFileSync(join(sampleIn, f)).equals(readFileSync(join(gen, f))), f).toBe(true);

      const again = cli('run', '--sample', 'tiny', '--input', sampleIn, '--out', join(dir, 'out'), '--no-pdfs');
      expect(again.status, again.stderr).toBe(0);
      expect(again.stderr).toMatch(/sample\s+tiny\s+already in/);
      expect(cli('run', '--sample', 'huge', '--input', sampleIn, '--out', join(dir, 'out')).stderr).toMatch(/'huge' is invalid. expected one of tiny, small, kent, england/);
    } finally {
      removeDir(dir);
      removeDir(gen);
    }
  });

  it('serve is a command of the CLI', () => {
    const r = cli('help', 'serve');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/--out <dir>/);
    expect(r.stdout).toMatch(/portal/);
  });

  it('outside a terminal, progress writes at most one line per stage per 10 seconds', () => {
    const r = cli('run', '--input', input, '--out', out);
    expect(r.status).toBe(0);
    const lines = r.stderr.trim().split('\n').flatMap((l) => {
      const m = /^\s*([\d.]+)s\s+(\S+)/.exec(l);
      return m ? [{ at: Number(m[1]), stage: m[2]! }] : [];
    });
    expect(lines.map((l) => l.stage)).toContain('ingest');
    // A stage's lines are 10 s apart at least (a run of a few seconds: once each), whatever the machine's speed.
    const last = new Map<string, number>();
    for (const { at, stage } of lines) {
      if (last.has(stage)) expect(at - last.get(stage)!, stage).toBeGreaterThanOrEqual(9.9);
      last.set(stage, at);
    }
  });

  it('rejects a malformed --period and a missing input directory', () => {
    expect(cli('run', '--input', input, '--out', out, '--period', '2025').stderr).toMatch(/academic year such as 2025-26/);
    const r = cli('run', '--input', join(input, 'nope'), '--out', out);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/input directory .* does not exist/);
  });
});
