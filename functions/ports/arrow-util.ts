/**
 * Arrow helpers shared by SqlEngine implementations: build a Table column by column from
 * string cells (Athena returns every value as VarCharValue text).
 */
import {
  Bool,
  DateDay,
  Float32,
  Float64,
  Int16,
  Int32,
  Int64,
  Int8,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Utf8,
  Field,
  makeBuilder,
  makeData,
  type DataType,
} from 'apache-arrow';

export interface TextColumn {
  name: string;
  type: DataType;
  /** Cell text, null for SQL NULL. */
  values: (string | null)[];
}

/**
 * Arrow type for an Athena (Trino) type name as reported in ColumnInfo.Type.
 * Integers keep their width (as DuckDB's Arrow output does); decimal becomes Float64 (lossy beyond
 * ~15 significant digits); date becomes DateDay; anything else (timestamp, varbinary, array, map,
 * row, json, ...) stays text.
 */
export function arrowTypeForAthena(typeName: string | undefined): DataType {
  const t = (typeName ?? '').toLowerCase().replace(/\(.*$/, '').trim();
  switch (t) {
    case 'varchar':
    case 'char':
    case 'string':
      return new Utf8();
    case 'tinyint':
      return new Int8();
    case 'smallint':
      return new Int16();
    case 'integer':
    case 'int':
      return new Int32();
    case 'bigint':
      return new Int64();
    case 'double':
    case 'real':
    case 'float':
    case 'decimal':
      return new Float64();
    case 'boolean':
      return new Bool();
    case 'date':
      return new DateDay();
    default:
      return new Utf8();
  }
}

/** Parse one text cell into the JS value the Arrow builder for `type` expects. */
function parseCell(text: string, type: DataType, column: string): unknown {
  if (type instanceof Utf8) return text;
  if (type instanceof Int64) {
    try {
      return BigInt(text);
    } catch {
      throw new Error(`column ${column}: not a bigint: ${JSON.stringify(text)}`);
    }
  }
  if (type instanceof Int8 || type instanceof Int16 || type instanceof Int32) {
    const n = Number(text);
    if (!Number.isInteger(n)) throw new Error(`column ${column}: not an integer: ${JSON.stringify(text)}`);
    return n;
  }
  if (type instanceof Float64 || type instanceof Float32) {
    // Number() accepts Trino's 'NaN', 'Infinity', '-Infinity' and exponent notation.
    const n = Number(text);
    if (Number.isNaN(n) && text !== 'NaN') throw new Error(`column ${column}: not a number: ${JSON.stringify(text)}`);
    return n;
  }
  if (type instanceof Bool) {
    if (text === 'true') return true;
    if (text === 'false') return false;
    throw new Error(`column ${column}: not a boolean: ${JSON.stringify(text)}`);
  }
  if (type instanceof DateDay) {
    const ms = Date.parse(`${text}T00:00:00Z`);
    if (Number.isNaN(ms)) throw new Error(`column ${column}: not a date: ${JSON.stringify(text)}`);
    return ms;
  }
  return text;
}

/** Build an Arrow Table (one record batch) from text columns. Duplicate names are kept. */
export function tableFromTextColumns(columns: readonly TextColumn[]): Table {
  if (columns.length === 0) return new Table();
  const length = columns[0]!.values.length;
  const fields: Field[] = [];
  const children = columns.map((col) => {
    if (col.values.length !== length) throw new Error(`column ${col.name}: ragged column`);
    const builder = makeBuilder({ type: col.type, nullValues: [null, undefined] });
    for (const v of col.values) builder.append(v === null ? null : parseCell(v, col.type, col.name));
    fields.push(new Field(col.name, col.type, true));
    return builder.finish().flush();
  });
  const schema = new Schema(fields);
  const data = makeData({ type: new Struct(fields), length, nullCount: 0, children });
  return new Table(new RecordBatch(schema, data));
}
