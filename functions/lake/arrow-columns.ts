/**
 * Column-at-a-time access to Arrow tables and building Arrow vectors from typed arrays: what lets a
 * stage work on millions of result rows without making an object per row (the engine's result
 * columns pass through to the Parquet writer untouched; only computed columns are new).
 */
import { Bool, Float64, Int64, Table, Utf8, makeData, makeVector, vectorFromArray, type Data, type DataType, type Vector } from 'apache-arrow';

/** A numeric column as doubles, with a validity mask (1 = value, 0 = NULL). */
export interface NumberColumn {
  values: Float64Array;
  valid: Uint8Array;
}

const bit = (bitmap: Uint8Array | null | undefined, i: number) => !bitmap || bitmap.length === 0 || (bitmap[i >> 3]! & (1 << (i & 7))) !== 0;

/** The column `name` of a table; a clear error when the result lacks it. */
export function columnOf(t: Table, name: string): Vector {
  const v = t.getChild(name);
  if (!v) throw new Error(`result has no column ${name} (has ${t.schema.fields.map((f) => f.name).join(', ') || 'none'})`);
  return v;
}

/** Any integer or floating-point column as doubles (BIGINT counts fit: they are far below 2^53). */
export function numbersOf(v: Vector): NumberColumn {
  const values = new Float64Array(v.length);
  const valid = new Uint8Array(v.length);
  let at = 0;
  for (const d of v.data as Data[]) {
    const src = d.values as ArrayLike<number | bigint>;
    const big = typeof (src as BigInt64Array)[0] === 'bigint' || src instanceof BigInt64Array || src instanceof BigUint64Array;
    for (let i = 0; i < d.length; i++) {
      const ok = bit(d.nullBitmap, d.offset + i);
      valid[at] = ok ? 1 : 0;
      if (ok) values[at] = big ? Number(src[d.offset + i] as bigint) : (src[d.offset + i] as number);
      at++;
    }
  }
  return { values, valid };
}

/** A string column as JS strings (null for NULL). */
export function stringsOf(v: Vector): (string | null)[] {
  const out: (string | null)[] = new Array(v.length);
  let at = 0;
  for (const d of v.data as Data[]) {
    const chunk = makeVector(d);
    for (let i = 0; i < d.length; i++) out[at++] = chunk.get(i) as string | null;
  }
  return out;
}

/** A Float64 vector from doubles and a validity mask. */
export function float64Vector(values: Float64Array, valid: Uint8Array): Vector<Float64> {
  const n = values.length;
  let nulls = 0;
  const bitmap = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) {
    if (valid[i]) bitmap[i >> 3]! |= 1 << (i & 7);
    else nulls++;
  }
  return makeVector(makeData({ type: new Float64(), length: n, nullCount: nulls, nullBitmap: nulls ? bitmap : undefined, data: values }));
}

/**
 * A Utf8 vector whose values come from a small list (codes index `labels`; -1 = NULL). `period`:
 * the codes repeat with this period (a profile table's segments, school after school), checked
 * here; the first period's bytes are then copied whole instead of label by label.
 */
export function labelVector(codes: Int8Array | Int32Array, labels: readonly string[], period?: number): Vector<Utf8> {
  const enc = labels.map((l) => Buffer.from(l, 'utf8'));
  const n = codes.length;
  const offsets = new Int32Array(n + 1);
  let bytes = 0;
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    const c = codes[i]!;
    if (c < 0) nulls++;
    else bytes += enc[c]!.length;
    offsets[i + 1] = bytes;
  }
  const data = new Uint8Array(bytes);
  const bitmap = new Uint8Array((n + 7) >> 3);
  let periodic = period !== undefined && period > 0 && period < n && nulls === 0;
  for (let i = period ?? 0; periodic && i < n; i++) if (codes[i] !== codes[i - period!]) periodic = false;
  const written = periodic ? period! : n;
  for (let i = 0; i < written; i++) {
    const c = codes[i]!;
    if (c < 0) continue;
    bitmap[i >> 3]! |= 1 << (i & 7);
    const e = enc[c]!;
    const at = offsets[i]!;
    // Labels are short (codes, URNs, names): a byte loop beats a set() call per row.
    if (e.length <= 32) for (let j = 0; j < e.length; j++) data[at + j] = e[j]!;
    else data.set(e, at);
  }
  if (periodic) {
    // Row i's bytes are row (i - period)'s: the first period's bytes, repeated (each copy doubling what is there).
    for (let have = offsets[written]!; have < bytes; have *= 2) data.copyWithin(have, 0, Math.min(have, bytes - have));
    bitmap.fill(0xff);
  }
  return makeVector(makeData({ type: new Utf8(), length: n, nullCount: nulls, nullBitmap: nulls ? bitmap : undefined, valueOffsets: offsets, data }));
}

/** The rows of `v` in the order `perm` gives (rebuilt vector of the same type). */
export function takeRows(v: Vector, perm: Int32Array): Vector {
  const type = v.type as DataType;
  if (type instanceof Float64) {
    const { values, valid } = numbersOf(v);
    const out = new Float64Array(perm.length);
    const ok = new Uint8Array(perm.length);
    perm.forEach((j, i) => {
      out[i] = values[j]!;
      ok[i] = valid[j]!;
    });
    return float64Vector(out, ok);
  }
  const all = type instanceof Utf8 ? stringsOf(v) : [...v];
  const picked = Array.from(perm, (j) => all[j] ?? null);
  if (type instanceof Int64) return vectorFromArray(picked.map((x) => (x === null ? null : BigInt(x as bigint | number))), new Int64());
  if (type instanceof Bool) return vectorFromArray(picked as (boolean | null)[], new Bool());
  return vectorFromArray(picked as never[], type);
}
