/**
 * Derives column lists and SQL/Glue types from zod object schemas, so each contract is written
 * once (in schemas/*.ts) and everything else (Parquet writers, Glue tables, docs) reads it here.
 */
import { z } from 'zod';

export type SqlType = 'string' | 'int' | 'bigint' | 'double' | 'boolean' | 'date';

export interface ColumnDef {
  name: string;
  type: SqlType;
  nullable: boolean;
  description: string;
}

export type Zone = 'curated' | 'published';

export interface TableDef<S extends z.ZodObject = z.ZodObject> {
  /** snake_case table name, also the Glue table name and the folder under its zone. */
  name: string;
  zone: Zone;
  description: string;
  /** Row contract: every column, partition columns last. */
  schema: S;
  /** Hive partition columns (a suffix of the schema's columns). */
  partitions: string[];
}

export function defineTable<S extends z.ZodObject>(def: TableDef<S>): TableDef<S> {
  const cols = Object.keys(def.schema.shape);
  const tail = cols.slice(cols.length - def.partitions.length);
  if (tail.join() !== def.partitions.join()) {
    throw new Error(`table ${def.name}: partition columns ${def.partitions} must be the schema's last columns`);
  }
  return def;
}

export function tablePrefix(def: Pick<TableDef, 'zone' | 'name'>): string {
  return `${def.zone}/${def.name}`;
}

interface ZodInternals {
  _zod: { def: { type: string; innerType?: z.ZodType; format?: string }; bag?: { format?: string } };
  description?: string;
}

function sqlTypeOf(schema: z.ZodType): { type: SqlType; nullable: boolean } {
  let s = schema as unknown as ZodInternals;
  let nullable = false;
  while (['nullable', 'optional', 'default'].includes(s._zod.def.type)) {
    nullable = true;
    s = s._zod.def.innerType as unknown as ZodInternals;
  }
  const meta = z.globalRegistry.get(s as unknown as z.ZodType) as { sqlType?: SqlType } | undefined;
  if (meta?.sqlType) return { type: meta.sqlType, nullable };
  const t = s._zod.def.type;
  const format = s._zod.bag?.format ?? s._zod.def.format;
  switch (t) {
    case 'string':
      return { type: format === 'date' ? 'date' : 'string', nullable };
    case 'enum':
    case 'literal':
      return { type: 'string', nullable };
    case 'boolean':
      return { type: 'boolean', nullable };
    case 'number':
      return { type: format && /int/.test(format) ? 'int' : 'double', nullable };
    case 'date':
      return { type: 'date', nullable };
    default:
      throw new Error(`no SQL type for zod type ${t}`);
  }
}

function descriptionOf(schema: z.ZodType): string {
  let s = schema as unknown as ZodInternals & z.ZodType;
  if (s.description) return s.description;
  while (['nullable', 'optional', 'default'].includes(s._zod.def.type)) {
    s = s._zod.def.innerType as unknown as ZodInternals & z.ZodType;
    if (s.description) return s.description;
  }
  return '';
}

/** Every column of a table, partition columns included (last). */
export function columnsOf(def: Pick<TableDef, 'schema'>): ColumnDef[] {
  return Object.entries(def.schema.shape).map(([name, s]) => ({
    name,
    ...sqlTypeOf(s as z.ZodType),
    description: descriptionOf(s as z.ZodType),
  }));
}

/** Columns stored inside the Parquet files (partition columns live in the path). */
export function dataColumnsOf(def: TableDef): ColumnDef[] {
  return columnsOf(def).filter((c) => !def.partitions.includes(c.name));
}

/** Glue/Hive type name of a column type. */
export function glueType(t: SqlType): string {
  return t === 'int' ? 'int' : t;
}

/** Trino type name, for CASTs in shared SQL. */
export function trinoType(t: SqlType): string {
  return { string: 'varchar', int: 'integer', bigint: 'bigint', double: 'double', boolean: 'boolean', date: 'date' }[t];
}
