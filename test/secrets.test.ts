import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { clearPseudonymKeyCache, getPseudonymKey } from '../functions/commons/secrets.ts';
import { awsTestConfig, startMoto, type MotoServer } from './helpers/moto.ts';

describe('getPseudonymKey (file)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'catchment-secrets-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates a 32-byte hex key with mode 0600 once, then returns the same key', async () => {
    const file = path.join(dir, 'nested', 'deeper', 'pseudonym.key');
    const k1 = await getPseudonymKey({ kind: 'file', path: file });
    expect(k1).toBeInstanceOf(Buffer);
    expect(k1.length).toBe(32);
    const st = await stat(file);
    expect(st.mode & 0o777).toBe(0o600);
    const text = (await readFile(file, 'utf8')).trim();
    expect(text).toMatch(/^[0-9a-f]{64}$/);
    expect(Buffer.from(text, 'hex').equals(k1)).toBe(true);

    const k2 = await getPseudonymKey({ kind: 'file', path: file });
    expect(k2.equals(k1)).toBe(true);
    expect((await stat(file)).mtimeMs).toBe(st.mtimeMs);
  });

  it('concurrent first calls agree on one key', async () => {
    const file = path.join(dir, 'race.key');
    const keys = await Promise.all(Array.from({ length: 8 }, () => getPseudonymKey({ kind: 'file', path: file })));
    for (const k of keys) expect(k.equals(keys[0]!)).toBe(true);
  });

  it('reads an existing key (longer keys allowed, whitespace trimmed)', async () => {
    const file = path.join(dir, 'existing.key');
    const hex = 'ab'.repeat(48);
    await writeFile(file, `  ${hex}\n`, { mode: 0o600 });
    expect((await getPseudonymKey({ kind: 'file', path: file })).toString('hex')).toBe(hex);
  });

  it('rejects short or non-hex keys with an error naming the path but not the key', async () => {
    const short = path.join(dir, 'short.key');
    await writeFile(short, 'deadbeef'.repeat(4), { mode: 0o600 }); // 16 bytes
    const err = await getPseudonymKey({ kind: 'file', path: short }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(short);
    expect((err as Error).message).toMatch(/too short: 16 bytes/);
    expect((err as Error).message).not.toContain('deadbeef');

    const bad = path.join(dir, 'bad.key');
    await writeFile(bad, 'zz'.repeat(40), { mode: 0o600 });
    await expect(getPseudonymKey({ kind: 'file', path: bad })).rejects.toThrow(new RegExp(`${bad}.*not valid hex`));
  });
});

describe('getPseudonymKey (Secrets Manager via moto)', () => {
  let moto: MotoServer;
  let client: SecretsManagerClient;
  const hex = '0123456789abcdef'.repeat(4);

  beforeAll(async () => {
    moto = await startMoto();
    client = new SecretsManagerClient(awsTestConfig(moto.endpoint));
    await client.send(new CreateSecretCommand({ Name: 'catchment/pseudonym-key', SecretString: hex }));
    await client.send(new CreateSecretCommand({ Name: 'catchment/binary-key', SecretBinary: new Uint8Array(40).fill(7) }));
    await client.send(new CreateSecretCommand({ Name: 'catchment/short-key', SecretString: 'abcd' }));
  });
  afterAll(async () => {
    client?.destroy();
    await moto?.stop();
  });
  beforeEach(() => clearPseudonymKeyCache());

  it('reads a hex SecretString and caches it per process', async () => {
    const k1 = await getPseudonymKey({ kind: 'secretsManager', secretId: 'catchment/pseudonym-key', client });
    expect(k1.toString('hex')).toBe(hex);
    // Rotate the secret: the cached value is still served until the cache is cleared.
    await client.send(new PutSecretValueCommand({ SecretId: 'catchment/pseudonym-key', SecretString: 'ff'.repeat(32) }));
    const k2 = await getPseudonymKey({ kind: 'secretsManager', secretId: 'catchment/pseudonym-key', client });
    expect(k2.toString('hex')).toBe(hex);
    k2.fill(0); // callers get copies
    expect((await getPseudonymKey({ kind: 'secretsManager', secretId: 'catchment/pseudonym-key', client })).toString('hex')).toBe(hex);
    clearPseudonymKeyCache();
    const k3 = await getPseudonymKey({ kind: 'secretsManager', secretId: 'catchment/pseudonym-key', client });
    expect(k3.toString('hex')).toBe('ff'.repeat(32));
  });

  it('reads a SecretBinary key', async () => {
    const k = await getPseudonymKey({ kind: 'secretsManager', secretId: 'catchment/binary-key', client });
    expect(k.equals(Buffer.alloc(40, 7))).toBe(true);
  });

  it('rejects a short secret naming the secret id, and does not cache failures', async () => {
    await expect(getPseudonymKey({ kind: 'secretsManager', secretId: 'catchment/short-key', client })).rejects.toThrow(
      /secret catchment\/short-key is too short: 2 bytes/,
    );
    await expect(getPseudonymKey({ kind: 'secretsManager', secretId: 'catchment/missing', client })).rejects.toThrow();
    await client.send(new CreateSecretCommand({ Name: 'catchment/missing', SecretString: hex }));
    expect((await getPseudonymKey({ kind: 'secretsManager', secretId: 'catchment/missing', client })).toString('hex')).toBe(hex);
  });
});
