/**
 * Runs once before every suite: checks that everything the tests need is installed and fails the
 * whole run in one line naming the single command that installs it. No suite skips itself.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { trinoMissing } from './helpers/trino.ts';

const SETUP = 'scripts/setup-test-deps.sh';

function missing(): string[] {
  const out: string[] = [];
  const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
  for (const cmd of ['pdftotext', 'pdfinfo', 'pdftoppm', 'qpdf', 'moto_server', 'cfn-lint']) if (!has(cmd)) out.push(cmd);
  if (!existsSync('/usr/bin/chromium')) out.push('chromium');
  const py = spawnSync('python3', ['-c', 'import numpy, scipy; from scipy.optimize import milp'], { encoding: 'utf8' });
  if (py.status !== 0) out.push('python3 numpy/scipy (1.9 or later)');
  // A real Trino (Maven Central, cached in ~/.cache/catchment) and a Java 24+ to run it.
  out.push(...trinoMissing());
  return out;
}

export default function setup(): void {
  const lacks = missing();
  if (lacks.length > 0) {
    throw new Error(`npm test needs ${lacks.join(', ')}: run ${SETUP} once (apt-get, pip and the Trino download; as root or with sudo)`);
  }
  if (!existsSync(resolve('../shared/data/nspl'))) {
    throw new Error('npm test needs the real reference data beside the checkout (../shared/data, see its README)');
  }
}
