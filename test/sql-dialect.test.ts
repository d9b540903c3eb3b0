/**
 * SQL is written once: every shared statement parses as Trino SQL (Athena engine v3's dialect,
 * checked with dt-sql-parser) and executes on DuckDB over a real lake made by the pipeline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrinoSQL } from 'dt-sql-parser/dist/parser/trino/index.js';
import { sharedStatements } from '../schemas/sql/index.ts';
import { CURATED_TABLES, enrichedAdmissions, enrichedContacts, enrichedPupils } from '../schemas/curated.ts';
import { PUBLISHED_TABLES } from '../schemas/published.ts';
import { columnsOf } from '../schemas/columns.ts';
import { DuckDbEngine } from '../functions/ports/duckdb-engine.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { attachTables } from '../functions/lake/tables.ts';
import { periodLiteral } from '../schemas/sql/classify.ts';
import { GENERIC_CLASSIFICATION, SCHOOLS, removeDir, runLocal, tempDir, upn, writeFiles } from './helpers/fixtures.ts';

const trino = new TrinoSQL();
const statements = Object.entries(sharedStatements('2025-26', '2024-05'));

describe('every shared statement parses as Trino SQL', () => {
  it.each(statements)('%s', (_name, sql) => {
    expect(trino.validate(sql)).toEqual([]);
  });

  it('the parser does reject what Athena would reject', () => {
    expect(trino.validate('SELEC urn FROM pupils')).not.toEqual([]);
    expect(trino.validate('SELECT urn FROM pupils QUALIFY x = 1')).not.toEqual([]);
  });
});

describe('every shared statement runs on DuckDB', () => {
  let input: string;
  let out: string;
  let engine: DuckDbEngine;
  beforeAll(async () => {
    input = tempDir();
    out = tempDir();
    writeFiles(input, {
      ...GENERIC_CLASSIFICATION,
      'schools/schools.csv': SCHOOLS,
      'pupils/pupils_2025-26.csv': `upn,urn,postcode,ncyear,fsm\n${upn(1)},100001,KT1 1AA,5,N\n${upn(2)},100002,KT1 2ZZ,9,Y\n`,
      'contacts/contacts.csv': 'contact_id,contact_date,postcode,channel\nC1,2025-10-01,KT1 1AB,email\n',
    });
    await runLocal(input, out);
    engine = await DuckDbEngine.create({ lakeRoot: out, threads: 1 });
    await attachTables(engine, [...CURATED_TABLES, ...PUBLISHED_TABLES], new LocalObjectStore(out));
  });
  afterAll(async () => {
    await engine.close();
    [input, out].forEach(removeDir);
  });

  it.each(statements)('%s', async (_name, sql) => {
    const result = await engine.query(sql);
    expect(result.numCols).toBeGreaterThan(0);
  });

  it('statements that write a table return exactly its contract columns and types, partition last', async () => {
    const byName = sharedStatements('2025-26', '2024-05');
    const arrowName: Record<string, string> = { string: 'Utf8', bigint: 'Int64', int: 'Int32', double: 'Float64', boolean: 'Bool', date: 'Utf8' };
    for (const table of [...PUBLISHED_TABLES, enrichedPupils, enrichedContacts].filter((t) => byName[t.name])) {
      const result = await engine.query(byName[table.name]);
      expect(result.schema.fields.map((f) => f.name), table.name).toEqual(columnsOf(table).map((c) => c.name));
      expect(result.schema.fields.map((f) => String(f.type)), table.name).toEqual(columnsOf(table).map((c) => arrowName[c.type]));
      expect(result.numRows).toBeGreaterThan(0);
    }
    // enriched_admissions is written by two statements: matching every application, and the contacted flag alone.
    for (const name of ['enriched_admissions', 'enriched_admissions_contacted']) {
      const result = await engine.query(byName[name]!);
      expect(result.schema.fields.map((f) => f.name), name).toEqual(columnsOf(enrichedAdmissions).map((c) => c.name));
      expect(result.schema.fields.map((f) => String(f.type)), name).toEqual(columnsOf(enrichedAdmissions).map((c) => arrowName[c.type]));
    }
  });

  it('only validated periods reach SQL text', () => {
    expect(() => periodLiteral("2025-26' OR 1=1 --")).toThrow(/invalid period/);
    expect(periodLiteral('2025-26')).toBe("'2025-26'");
  });
});
