/**
 * Pseudonymisation key loading. The key is a secret: never log it or put it in error messages.
 * - file: a hex-encoded key in a local file; created (32 random bytes, mode 0600) when missing.
 * - secretsManager: SecretString holding hex, or SecretBinary holding the raw bytes; cached per process.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

export const MIN_KEY_BYTES = 32;

export type PseudonymKeySource =
  | { kind: 'file'; path: string }
  | { kind: 'secretsManager'; secretId: string; client?: SecretsManagerClient };

const smCache = new Map<string, Promise<Buffer>>();

/** Forget cached Secrets Manager keys (tests, key rotation). */
export function clearPseudonymKeyCache(): void {
  smCache.clear();
}

/** Decode a hex key; `where` names the source (path or secret id) in errors, never the value. */
function decodeHexKey(text: string, where: string): Buffer {
  const hex = text.trim();
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 2 !== 0) {
    throw new Error(`pseudonym key in ${where} is not valid hex`);
  }
  return checkLength(Buffer.from(hex, 'hex'), where);
}

function checkLength(key: Buffer, where: string): Buffer {
  if (key.length < MIN_KEY_BYTES) {
    throw new Error(`pseudonym key in ${where} is too short: ${key.length} bytes, need at least ${MIN_KEY_BYTES}`);
  }
  return key;
}

async function readKeyFile(file: string): Promise<Buffer> {
  return decodeHexKey(await fs.readFile(file, 'utf8'), file);
}

async function fileKey(file: string): Promise<Buffer> {
  const abs = path.resolve(file);
  try {
    return await readKeyFile(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  // Create: write a temp file with mode 0600, then hard-link it into place. link() fails with
  // EEXIST if another process won the race, and readers never see a partially written key.
  const dir = path.dirname(abs);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const tmp = path.join(dir, `.${path.basename(abs)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  await fs.writeFile(tmp, randomBytes(MIN_KEY_BYTES).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  try {
    await fs.chmod(tmp, 0o600); // in case of an unusual umask/ACL
    try {
      await fs.link(tmp, abs);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return await readKeyFile(abs);
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EXDEV' && code !== 'ENOSYS') throw err;
      // Filesystem without hard links: exclusive create instead.
      try {
        await fs.copyFile(tmp, abs, fs.constants.COPYFILE_EXCL);
        await fs.chmod(abs, 0o600);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') return await readKeyFile(abs);
        throw e;
      }
    }
  } finally {
    await fs.rm(tmp, { force: true });
  }
  return readKeyFile(abs);
}

async function secretsManagerKey(secretId: string, client?: SecretsManagerClient): Promise<Buffer> {
  const sm = client ?? new SecretsManagerClient({});
  try {
    const res = await sm.send(new GetSecretValueCommand({ SecretId: secretId }));
    const where = `secret ${secretId}`;
    if (res.SecretString !== undefined) return decodeHexKey(res.SecretString, where);
    if (res.SecretBinary !== undefined) return checkLength(Buffer.from(res.SecretBinary), where);
    throw new Error(`secret ${secretId} has neither SecretString nor SecretBinary`);
  } finally {
    if (!client) sm.destroy();
  }
}

/** Load the pseudonymisation key (at least 32 bytes). */
export async function getPseudonymKey(source: PseudonymKeySource): Promise<Buffer> {
  if (source.kind === 'file') return fileKey(source.path);
  let p = smCache.get(source.secretId);
  if (!p) {
    p = secretsManagerKey(source.secretId, source.client);
    smCache.set(source.secretId, p);
    // Do not cache failures: a later call retries.
    const pending = p;
    pending.catch(() => {
      if (smCache.get(source.secretId) === pending) smCache.delete(source.secretId);
    });
  }
  // Hand each caller its own copy so mutating the Buffer cannot corrupt the cache.
  return Buffer.from(await p);
}
