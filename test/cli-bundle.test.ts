/**
 * bin/cli-bundle.js: the cached CLI bundle is reused while its inputs are unchanged and every file of
 * it is there, and rebuilt when one changes or is missing; code reached only through a dynamic import
 * is a chunk loaded when it is imported.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript module without types
import { cliBundle } from '../bin/cli-bundle.js';
import { REQUIRE_BANNER } from '../functions/commons/module-bundle.js';

const ROOT = resolve(import.meta.dirname, '..');
// An entry of its own under node_modules (never the checkout's sources), so the test touches nothing else.
const DIR = join(ROOT, 'node_modules', '.cache', `catchment-bundle-test-${process.pid}`);
const ENTRY = join(DIR, 'entry.ts');
const rel = ENTRY.slice(ROOT.length + 1);
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

const write = (text: string, mtime: number) => {
  writeFileSync(ENTRY, text);
  utimesSync(ENTRY, mtime, mtime);
};

describe('cliBundle', () => {
  it('reuses the bundle while its inputs keep their size and time, and builds again when one changes', async () => {
    mkdirSync(DIR, { recursive: true });
    const past = Date.now() / 1000 - 3600;
    write("export const answer: number = 41;\nconsole.log('bundled', answer + 1);\n", past);
    const first = (await cliBundle(rel)) as string;
    expect(readFileSync(fileURLToPath(first), 'utf8')).toContain('answer + 1');
    // Same size and time: the stamp says unchanged, so the cached bundle is returned without building.
    write("export const answer: number = 43;\nconsole.log('bundled', answer + 1);\n", past);
    expect(await cliBundle(rel)).toBe(first);

    write("export const answer: number = 42;\nconsole.log('bundled', answer + 1);\n", past + 60);
    const second = (await cliBundle(rel)) as string;
    expect(second).not.toBe(first);
    expect(readFileSync(fileURLToPath(second), 'utf8')).toContain('42');
    // None of this process's temporary files is left (other processes may be writing theirs).
    expect(readdirSync(join(ROOT, 'node_modules', '.cache', 'catchment')).filter((f) => f.endsWith(`.${process.pid}.tmp`))).toEqual([]);
  });

  it('leaves what is only imported dynamically out of the entry file, and loads it when imported', async () => {
    mkdirSync(DIR, { recursive: true });
    writeFileSync(join(DIR, 'later.ts'), "export const later: string = ['loaded', 'on', 'demand'].join(' ');\n");
    write("export const now = 1;\nexport const later = async () => (await import('./later.ts')).later;\n", Date.now() / 1000 - 3600);
    const url = (await cliBundle(rel)) as string;
    expect(readFileSync(fileURLToPath(url), 'utf8')).not.toContain('demand');
    const m = (await import(url)) as { now: number; later: () => Promise<string> };
    expect(m.now).toBe(1);
    expect(await m.later()).toBe('loaded on demand');
  });

  it('a missing chunk makes the cached bundle stale: it is written again before the entry is returned', async () => {
    mkdirSync(DIR, { recursive: true });
    const past = Date.now() / 1000 - 3600;
    writeFileSync(join(DIR, 'later.ts'), "export const later: string = ['chunk', 'written', 'again'].join(' ');\n");
    utimesSync(join(DIR, 'later.ts'), past, past);
    write("export const now = 2;\nexport const later = async () => (await import('./later.ts')).later;\n", past);
    const url = (await cliBundle(rel)) as string;
    const chunk = /import\("\.\/(cli-chunk-[A-Z0-9]+\.mjs)"\)/.exec(readFileSync(fileURLToPath(url), 'utf8'))?.[1];
    expect(chunk).toBeDefined();
    const chunkFile = join(fileURLToPath(new URL('.', url)), chunk!);
    // Every input unchanged (the stamp holds), but the chunk is gone.
    rmSync(chunkFile);
    expect(await cliBundle(rel)).toBe(url);
    expect(existsSync(chunkFile)).toBe(true);
    const m = (await import(url)) as { now: number; later: () => Promise<string> };
    expect(await m.later()).toBe('chunk written again');
  });

  it("the CLI's entry file does not load the PDF renderer's packages at start-up", async () => {
    // Building the real CLI also proves every project module bundles (a module whose strings mention
    // import.meta.url broke the old text replacement, and the CLI silently fell back to tsx).
    const entry = readFileSync(fileURLToPath((await cliBundle()) as string), 'utf8');
    expect(entry).toMatch(/import\("\.\/cli-chunk-[A-Z0-9]+\.mjs"\)/); // the renderer, for documents rendered inline
    expect(entry).not.toMatch(/from "(pdfkit|fontkit)"/);
    // The document threads' banner (a string in commons/module-bundle.js) is left as written: only
    // the expression import.meta.url is replaced, never the text of a string.
    expect(entry).toContain(JSON.stringify(REQUIRE_BANNER));
  });
});
