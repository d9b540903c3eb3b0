/**
 * Kept facts: small results derived from a large curated partition, kept so that a night on which
 * that partition did not change reads them instead of scanning it again. The contacts-only night is
 * the case: the fair-access base (pupils of the chosen years by segment, ward and school) and the
 * report map's geography depend only on the classified pupils, yet took most of the night's SQL.
 *
 * A kept fact is named by what it was made from: `curated/_kept/<name>/<period>/<key>.<ext>`, where
 * the key hashes the name, the fingerprint of the stage that made the partition (classify-pupils:
 * the bytes of the pupils and classification files and the code, fingerprints.ts) and the settings
 * the fact depends on. So:
 *
 * - changed pupils, classification, settings or code give another key: the old fact is never read
 *   (and is deleted when the new one is kept);
 * - it is read or kept only while the partition's marker (stage-records.ts) names that fingerprint,
 *   i.e. the curated copy is the one the fingerprint describes (a failed night may have replaced it);
 * - one PUT writes it whole (atomic on S3 and, through rename, locally), and its content is a
 *   function of its key: a killed or retried run can leave one behind, never a wrong one, and
 *   published outputs never depend on whether it was there (the same bytes either way; tests
 *   compare both paths);
 * - a fact that cannot be decoded (written by other code) is computed again and replaced.
 *
 * Nothing here is published; readers never see kept facts.
 */
import { hashOf } from './fingerprints.ts';
import { currentMarker } from './stage-records.ts';
import type { ObjectStore } from '../ports/object-store.ts';

export const KEPT_ROOT = 'curated/_kept';
export const keptPrefix = (name: string, period: string) => `${KEPT_ROOT}/${name}/${period}`;

/** What a kept fact is made from: a curated partition, as its marker names it. */
export interface MadeFrom {
  /** The curated table's prefix (its marker's key, stage-records.ts markerKey). */
  tablePrefix: string;
  period: string;
  /** Fingerprint of the stage that made the partition; null: unknown, nothing is kept or read. */
  fingerprint: string | null;
}

export interface KeptSpec<T> {
  name: string;
  from: MadeFrom;
  /** Settings the fact depends on besides the partition (plain JSON). */
  settings?: unknown;
  ext: string;
  encode: (value: T) => Uint8Array | string;
  decode: (bytes: Uint8Array) => T | Promise<T>;
}

/** The key a fact is kept under, or null when its partition cannot be fingerprinted. */
export function keptKey(spec: Pick<KeptSpec<unknown>, 'name' | 'from' | 'settings' | 'ext'>): string | null {
  if (!spec.from.fingerprint) return null;
  const key = hashOf({ name: spec.name, madeFrom: spec.from.fingerprint, settings: spec.settings ?? null });
  return `${keptPrefix(spec.name, spec.from.period)}/${key}.${spec.ext}`;
}

/**
 * The kept fact when its partition is still the one its key names; otherwise `compute()` it and
 * keep it (replacing any other version of it). `kept` says which.
 */
export async function keptOr<T>(lake: ObjectStore, spec: KeptSpec<T>, compute: () => Promise<T>): Promise<{ value: T; kept: boolean }> {
  const key = keptKey(spec);
  const current = key !== null && (await currentMarker(lake, spec.from.tablePrefix, spec.from.period, spec.from.fingerprint)) !== null;
  if (current && (await lake.exists(key))) {
    try {
      return { value: await spec.decode(await lake.get(key)), kept: true };
    } catch {
      // Unreadable (another code's format): computed again below and replaced.
    }
  }
  const value = await compute();
  if (current) {
    await lake.put(key, spec.encode(value));
    // Other versions (older pupils, settings or code) are never read again.
    for (const o of await lake.list(`${keptPrefix(spec.name, spec.from.period)}/`)) if (o.key !== key) await lake.deletePrefix(o.key);
  }
  return { value, kept: false };
}
