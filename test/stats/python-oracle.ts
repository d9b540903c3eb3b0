/**
 * Runs Python (numpy/scipy) as an independent oracle for the stats tests.
 * Input is passed as JSON on stdin (bound to `inp`), the script must set `out`,
 * which is returned parsed from JSON. test/global-setup.ts fails the run when python3 or scipy is missing.
 */
import { spawnSync } from 'node:child_process';

function probe(): { ok: boolean; reason: string; statsmodels: boolean } {
  const r = spawnSync('python3', ['-c', 'import numpy, scipy, json\ntry:\n import statsmodels; print("sm")\nexcept ImportError:\n print("nosm")'], {
    encoding: 'utf8',
  });
  if (r.error) return { ok: false, reason: `python3 not runnable: ${r.error.message}`, statsmodels: false };
  if (r.status !== 0) return { ok: false, reason: `python3 lacks numpy/scipy: ${r.stderr.trim().split('\n').pop()}`, statsmodels: false };
  return { ok: true, reason: '', statsmodels: r.stdout.trim() === 'sm' };
}

export const python = probe();

if (!python.ok) throw new Error(`the scipy oracle cannot run: ${python.reason} (run scripts/setup-test-deps.sh)`);

/** Run `script` with `inp` = parsed JSON input; returns the JSON-decoded value of `out`. */
export function py<T = unknown>(script: string, input: unknown = null): T {
  const prelude = 'import json, sys\nimport numpy as np\nimport scipy\nfrom scipy import stats\ninp = json.loads(sys.stdin.read())\n';
  const epilogue = '\nprint(json.dumps(out))\n';
  const r = spawnSync('python3', ['-c', prelude + script + epilogue], {
    input: JSON.stringify(input),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`python failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export { rng } from '../helpers/rng.ts';

/** |a - b| <= atol + rtol·|b|, with a readable failure message. */
export function close(a: number | null, b: number | null, rtol = 1e-9, atol = 1e-12): boolean {
  if (a === null || b === null) return a === b;
  return Math.abs(a - b) <= atol + rtol * Math.abs(b);
}
