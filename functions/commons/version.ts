/** Code version recorded in every manifest: package version plus the build id when deployed. */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pkg from '../../package.json' with { type: 'json' };

export const CODE_VERSION = `${pkg.version}${process.env.CATCHMENT_BUILD ? `+${process.env.CATCHMENT_BUILD}` : ''}`;


let code: string | undefined;

/**
 * A hash of the code that is running, part of every stage's input fingerprint (a stage is skipped
 * only when its inputs and the code are both unchanged). From the source tree (a checkout: every
 * file under functions/ and schemas/, and the lock file that pins the engines and libraries), or
 * from the bundle file itself (a Lambda). CODE_VERSION alone would not do: the package version
 * does not change with every edit.
 */
export function codeFingerprint(): string {
  if (code) return code;
  const h = createHash('sha256').update(CODE_VERSION);
  const self = fileURLToPath(import.meta.url);
  const root = join(dirname(self), '..', '..');
  if (self.endsWith(join('functions', 'commons', 'version.ts')) && existsSync(join(root, 'schemas'))) {
    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true })
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : /\.(ts|js|json)$/.test(e.name) ? [join(dir, e.name)] : []));
    for (const f of [...walk(join(root, 'functions')), ...walk(join(root, 'schemas')), join(root, 'package-lock.json')]) {
      if (!existsSync(f) || !statSync(f).isFile()) continue;
      h.update(f.slice(root.length)).update('\0').update(readFileSync(f)).update('\0');
    }
  } else {
    h.update(readFileSync(self));
  }
  return (code = h.digest('hex'));
}
