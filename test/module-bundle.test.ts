/**
 * functions/commons/module-bundle.js, the one esbuild helper of the CLI and the worker threads: a
 * thread's bundle that cannot be built is said once, in one line on stderr, and the thread gets its
 * tsx entry; one that builds is used, silently.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { bundleCacheDir, bundledOrTsx, bundleModule } from '../functions/commons/module-bundle.js';
import { removeDir, tempDir } from './helpers/fixtures.ts';

const TSX_ENTRY = 'file:///tsx-entry.js';
const dir = tempDir();
afterAll(() => removeDir(dir));

/** What `fn` writes to stderr. */
async function stderrOf(fn: () => Promise<void>): Promise<string[]> {
  const written: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  try {
    await fn();
  } finally {
    spy.mockRestore();
  }
  return written;
}

describe('bundledOrTsx', () => {
  it('says once, in one line on stderr, why the bundle could not be built, and gives the tsx entry', async () => {
    writeFileSync(join(dir, 'broken-thread.ts'), 'export const x: number = ;\n');
    const entry = bundledOrTsx('the test threads', async () => (await bundleModule({ entry: join(dir, 'broken-thread.ts'), name: 'broken-thread' })).url, TSX_ENTRY);
    const said = await stderrOf(async () => {
      expect(await entry()).toBe(TSX_ENTRY);
      expect(await entry()).toBe(TSX_ENTRY);
    });
    expect(said).toHaveLength(1);
    expect(said[0]).toMatch(/^catchment: the test threads could not be bundled \([^\n]*broken-thread\.ts:1: [^\n]+\); loading its TypeScript through tsx instead, slower to start\n$/);
  });

  it('gives the bundle when it builds, and says nothing', async () => {
    writeFileSync(join(dir, 'fine-thread.ts'), 'export const x: number = 1;\n');
    const entry = bundledOrTsx('the test threads', async () => (await bundleModule({ entry: join(dir, 'fine-thread.ts'), name: `fine-thread-test-${process.pid}` })).url, TSX_ENTRY);
    let url = '';
    const said = await stderrOf(async () => {
      url = await entry();
    });
    expect(said).toEqual([]);
    const file = fileURLToPath(url);
    expect(file.startsWith(join(bundleCacheDir(), `fine-thread-test-${process.pid}-`))).toBe(true);
    expect(((await import(url)) as { x: number }).x).toBe(1);
    rmSync(file);
  });
});
