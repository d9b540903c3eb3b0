/**
 * head_profile's rows filled column by column (typed arrays, labels encoded once), handed to the
 * staged table a whole part at a time: the 1.7 million rows of England without a row's values
 * array, a per-row check and fourteen appends each. The same Arrow columns, so the same Parquet
 * bytes, as StagedTable.addValues row by row (test/head-profile-columns.test.ts).
 */
import { Bool, Float64, Int32, Table, Utf8, makeData, makeVector, type Vector } from 'apache-arrow';
import { validity, type Value } from '../lake/column-buffer.ts';
import type { StagedTable } from '../lake/table-writer.ts';
import { HEAD_CELLS } from './document-batch.ts';
import { LEVEL_ORDER, type Dictionary } from './dictionary.ts';

/** head_profile's data columns in the contract's order. */
export const HEAD_COLUMNS = ['urn', 'level', 'segment', 'segment_name', 'n_shown', 'rounded_to', 'pct', 'base_pct', 'index', 'ci_low', 'ci_high', 'flag', 'reliable', 'classification'] as const;

const utf8 = (s: string) => Buffer.from(s, 'utf8');

/** Text values side by side: their UTF-8 bytes, and where each value ends in them. */
interface Block {
  bytes: Uint8Array;
  ends: Int32Array;
}

/** The values as one block. */
function blockOf(values: readonly Uint8Array[]): Block {
  const ends = new Int32Array(values.length);
  let total = 0;
  values.forEach((v, i) => (ends[i] = total += v.length));
  const bytes = new Uint8Array(total);
  values.forEach((v, i) => bytes.set(v, ends[i]! - v.length));
  return { bytes, ends };
}

/** A text column of at most `rows` values, each given as its UTF-8 bytes (or null). */
class TextColumn {
  private offsets: Int32Array;
  private bytes = new Uint8Array(64 * 1024);
  private pos = 0;
  private n = 0;
  private nulls: number[] = [];
  constructor(rows: number) {
    this.offsets = new Int32Array(rows + 1);
  }
  push(b: Uint8Array | null): void {
    if (b !== null) {
      const need = this.pos + b.length;
      if (need > this.bytes.length) {
        const grown = new Uint8Array(Math.max(need, this.bytes.length * 2));
        grown.set(this.bytes.subarray(0, this.pos));
        this.bytes = grown;
      }
      // Short labels: a byte loop beats a set() call per value.
      const at = this.pos;
      for (let j = 0; j < b.length; j++) this.bytes[at + j] = b[j]!;
      this.pos = need;
    } else this.nulls.push(this.n);
    this.offsets[++this.n] = this.pos;
  }
  /** The values of `block` (its bytes, and where each value ends in them), appended in one copy. */
  pushBlock(block: Block): void {
    const at = this.pos;
    const need = at + block.bytes.length;
    if (need > this.bytes.length) {
      const grown = new Uint8Array(Math.max(need, this.bytes.length * 2));
      grown.set(this.bytes.subarray(0, at));
      this.bytes = grown;
    }
    this.bytes.set(block.bytes, at);
    const { ends } = block;
    for (let k = 0; k < ends.length; k++) this.offsets[++this.n] = at + ends[k]!;
    this.pos = need;
  }
  vector(): Vector {
    return makeVector(makeData({ type: new Utf8(), length: this.n, nullCount: this.nulls.length, nullBitmap: validity(this.nulls, this.n), valueOffsets: this.offsets.slice(0, this.n + 1), data: this.bytes.slice(0, this.pos) }));
  }
}

/** One part's columns. */
class Part {
  readonly urn: TextColumn;
  readonly level: TextColumn;
  readonly segment: TextColumn;
  readonly segmentName: TextColumn;
  readonly nShown: TextColumn;
  readonly flag: TextColumn;
  readonly classification: TextColumn;
  readonly roundedTo: Int32Array;
  readonly doubles: Float64Array[];
  readonly nullDoubles: number[][] = [[], [], [], [], []];
  readonly reliable: Uint8Array;
  rows = 0;
  constructor(readonly size: number) {
    this.urn = new TextColumn(size);
    this.level = new TextColumn(size);
    this.segment = new TextColumn(size);
    this.segmentName = new TextColumn(size);
    this.nShown = new TextColumn(size);
    this.flag = new TextColumn(size);
    this.classification = new TextColumn(size);
    this.roundedTo = new Int32Array(size);
    this.doubles = Array.from({ length: 5 }, () => new Float64Array(size));
    this.reliable = new Uint8Array((size + 7) >> 3);
  }
  table(): Table {
    const n = this.rows;
    const number = (type: Int32 | Float64, data: Int32Array | Float64Array, nulls: number[]) => makeVector(makeData({ type, length: n, nullCount: nulls.length, nullBitmap: validity(nulls, n), data: data.slice(0, n) } as never));
    const [pct, basePct, index, ciLow, ciHigh] = this.doubles.map((d, i) => number(new Float64(), d, this.nullDoubles[i]!));
    const reliable = makeVector(makeData({ type: new Bool(), length: n, nullCount: 0, data: this.reliable.slice(0, (n + 7) >> 3) }));
    return new Table({
      urn: this.urn.vector(),
      level: this.level.vector(),
      segment: this.segment.vector(),
      segment_name: this.segmentName.vector(),
      n_shown: this.nShown.vector(),
      rounded_to: number(new Int32(), this.roundedTo, []),
      pct: pct!,
      base_pct: basePct!,
      index: index!,
      ci_low: ciLow!,
      ci_high: ciHigh!,
      flag: this.flag.vector(),
      reliable,
      classification: this.classification.vector(),
    });
  }
}

/** Fills head_profile's columns from schools' head cells (document-batch.ts headCells), a part at a time into `table`. */
export class HeadProfileColumns {
  private part: Part;
  /** Labels as UTF-8 bytes, each encoded once. */
  private readonly labels = new Map<string, Uint8Array>();
  private readonly levelBytes: Uint8Array[];
  private readonly codeBytes: Uint8Array[][];
  private readonly nameBytes: Uint8Array[][];
  private readonly classification: Uint8Array;
  /**
   * A school's rows are the dictionary's codes in the same order every time, so four of its text
   * columns are the same values school after school: each kept as one block, copied at once for a
   * school whose rows all go in the current part (the row-by-row path fills the rest).
   */
  private readonly blocks: { level: Block; segment: Block; segmentName: Block; classification: Block };
  private readonly rowsPerSchool: number;

  constructor(
    private readonly table: StagedTable,
    private readonly dict: Dictionary,
    classification: string,
  ) {
    const names = table.columnNames;
    if (names.join() !== HEAD_COLUMNS.join()) throw new Error(`internal: head_profile columns ${names.join(', ')} are not ${HEAD_COLUMNS.join(', ')}`);
    this.part = new Part(table.partRows);
    this.levelBytes = LEVEL_ORDER.map(utf8);
    this.codeBytes = LEVEL_ORDER.map((l) => dict.codes[l].map(utf8));
    this.nameBytes = LEVEL_ORDER.map((l) => dict.codes[l].map((c) => utf8(dict.name(l, c))));
    this.classification = utf8(classification);
    const each = <T>(f: (l: number, k: number) => T): T[] => LEVEL_ORDER.flatMap((level, l) => dict.codes[level].map((_, k) => f(l, k)));
    this.blocks = {
      level: blockOf(each((l) => this.levelBytes[l]!)),
      segment: blockOf(each((l, k) => this.codeBytes[l]![k]!)),
      segmentName: blockOf(each((l, k) => this.nameBytes[l]![k]!)),
      classification: blockOf(each(() => this.classification)),
    };
    this.rowsPerSchool = this.blocks.level.ends.length;
  }

  private label(v: Value, column: string): Uint8Array | null {
    if (v === null) return null;
    if (typeof v !== 'string') throw new Error(`internal: head_profile ${column} ${String(v)} is not text`);
    let b = this.labels.get(v);
    if (b === undefined) this.labels.set(v, (b = utf8(v)));
    return b;
  }

  /** The rows of `urns` (school after school, levels, then the dictionary's codes) from their cells, HEAD_CELLS a row. */
  add(urns: readonly string[], cells: readonly Value[]): void {
    const { dict } = this;
    let c = 0;
    for (const urn of urns) {
      const urnBytes = utf8(urn);
      if (this.part.rows + this.rowsPerSchool <= this.part.size && c + this.rowsPerSchool * HEAD_CELLS <= cells.length) {
        c = this.addSchool(urn, urnBytes, cells, c);
        continue;
      }
      LEVEL_ORDER.forEach((level, l) => {
        const codes = dict.codes[level];
        for (let k = 0; k < codes.length; k++) {
          if (c + HEAD_CELLS > cells.length) throw new Error(`internal: head_profile values end before school ${urn}'s ${level} ${codes[k]}`);
          let p = this.part;
          if (p.rows === p.size) {
            this.flush();
            p = this.part;
          }
          const i = p.rows++;
          p.urn.push(urnBytes);
          p.level.push(this.levelBytes[l]!);
          p.segment.push(this.codeBytes[l]![k]!);
          p.segmentName.push(this.nameBytes[l]![k]!);
          this.rowCells(p, i, urn, cells, c);
          p.classification.push(this.classification);
          c += HEAD_CELLS;
        }
      });
    }
    if (c !== cells.length) throw new Error(`internal: ${cells.length - c} head_profile values left over`);
  }

  /** One school's rows into the current part, which has room for them all (add's path, its constant columns as blocks); returns the next cell. */
  private addSchool(urn: string, urnBytes: Uint8Array, cells: readonly Value[], c: number): number {
    const p = this.part;
    const first = p.rows;
    const rows = this.rowsPerSchool;
    p.rows += rows;
    p.level.pushBlock(this.blocks.level);
    p.segment.pushBlock(this.blocks.segment);
    p.segmentName.pushBlock(this.blocks.segmentName);
    p.classification.pushBlock(this.blocks.classification);
    for (let r = 0; r < rows; r++, c += HEAD_CELLS) {
      const i = first + r;
      p.urn.push(urnBytes);
      this.rowCells(p, i, urn, cells, c);
    }
    return c;
  }

  /** Row i's values from its HEAD_CELLS cells at c (both paths of add). */
  private rowCells(p: Part, i: number, urn: string, cells: readonly Value[], c: number): void {
    const n = this.label(cells[c]!, 'n_shown');
    if (n === null) throw new Error(`internal: head_profile n_shown of school ${urn} is null`);
    p.nShown.push(n);
    const rounded = cells[c + 1];
    if (typeof rounded !== 'number') throw new Error(`internal: head_profile rounded_to of school ${urn} is ${String(rounded)}`);
    p.roundedTo[i] = rounded;
    for (let d = 0; d < 5; d++) {
      const v = cells[c + 2 + d];
      if (v === null) p.nullDoubles[d]!.push(i);
      else if (typeof v === 'number') p.doubles[d]![i] = v;
      else throw new Error(`internal: head_profile ${HEAD_COLUMNS[6 + d]} of school ${urn} is ${String(v)}`);
    }
    if (cells[c + 3] === null) throw new Error(`internal: head_profile base_pct of school ${urn} is null`);
    p.flag.push(this.label(cells[c + 7]!, 'flag'));
    const reliable = cells[c + 8];
    if (typeof reliable !== 'boolean') throw new Error(`internal: head_profile reliable of school ${urn} is ${String(reliable)}`);
    if (reliable) p.reliable[i >> 3]! |= 1 << (i & 7);
  }

  /** The rows so far handed to the table as its next part (nothing when none). */
  flush(): void {
    if (this.part.rows > 0) this.table.addTable(this.part.table());
    this.part = new Part(this.table.partRows);
  }
}
