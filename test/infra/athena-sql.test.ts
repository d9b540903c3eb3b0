/**
 * Every Athena statement the stack defines (the analysts' named queries) parses as Trino SQL
 * (Athena engine v3) with dt-sql-parser, reads only published tables, and suppresses small counts.
 */
import { TrinoSQL } from 'dt-sql-parser/dist/parser/trino/index.js';
import { describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { analystQueries, portalFeedbackQuery } from '../../infra/analyst-queries.ts';
import { spreadsheetSafe } from '../../functions/portal/feedback-export.ts';
import { PUBLISHED_TABLES } from '../../schemas/published.ts';
import { CURATED_TABLES } from '../../schemas/curated.ts';
import { defineTable } from '../../schemas/columns.ts';
import { z } from 'zod';

const trino = new TrinoSQL();

describe('analyst named queries', () => {
  const queries = analystQueries(5);

  it('cover a school profile, under-represented segments, wards by gap, the trend, match quality and first preferences', () => {
    expect(queries.map((q) => q.name)).toEqual([
      'school-segment-profile',
      'under-represented-segments',
      'wards-by-gap',
      'segment-trend',
      'match-summary',
      'match-rate-trend',
      'first-preference-by-segment',
    ]);
  });

  it.each(queries.map((q) => [q.name, q] as const))('%s parses as Trino SQL', (_name, q) => {
    expect(trino.validate(q.sql)).toEqual([]);
  });

  it('parse with the threshold off too', () => {
    for (const q of analystQueries(0)) expect(trino.validate(q.sql), q.name).toEqual([]);
  });

  it('read published tables only (never the pupil-level curated zone)', () => {
    const published = new Set(PUBLISHED_TABLES.map((t) => t.name));
    for (const q of queries) {
      for (const t of q.tables) expect(published.has(t), `${q.name} reads ${t}`).toBe(true);
      for (const c of CURATED_TABLES) expect(q.sql, q.name).not.toMatch(new RegExp(`\\b(FROM|JOIN)\\s+${c.name}\\b`, 'i'));
    }
  });

  it('declare one parameter description per ? placeholder', () => {
    for (const q of queries) expect((q.sql.match(/\?/g) ?? []).length, q.name).toBe(q.parameters.length);
  });

  it('suppress counts from 1 to threshold - 1', () => {
    const profile = analystQueries(10).find((q) => q.name === 'school-segment-profile')!;
    expect(profile.sql).toContain('CASE WHEN "n" BETWEEN 1 AND 9 THEN NULL ELSE "n" END AS pupils');
    expect(analystQueries(1).find((q) => q.name === 'school-segment-profile')!.sql).not.toContain('BETWEEN');
  });

  it('fail at synth when a contract loses a column they use', () => {
    const broken = PUBLISHED_TABLES.map((t) =>
      t.name === 'match_summary' ? defineTable({ ...t, schema: z.object({ scope: z.string(), period: z.string() }), partitions: ['period'] }) : t,
    );
    expect(() => analystQueries(5, broken)).toThrow(/match_summary has no column/);
  });
});

describe('analyst feedback query (Athena CSV download)', () => {
  const q = portalFeedbackQuery();

  it('parses as Trino SQL and reads only the portal_feedback table', () => {
    expect(trino.validate(q.sql)).toEqual([]);
    expect(q.tables).toEqual(['portal_feedback']);
    expect(q.sql).not.toMatch(/"user"/);
  });

  it('escapes exactly the comments a spreadsheet would run as formulas (executed on DuckDB)', async () => {
    const comments = ['=HYPERLINK("http://x","y")', '+1', '-ve here', '@SUM(A1)', '\t=1', '\r=1', 'Fine', ' =not first', "it's fine", ''];
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    try {
      const values = comments.map((c, i) => `('2025-11-2${i % 10}T10:00:00.000Z', '2025-26', '10000${i}', ${1 + (i % 5)}, '${c.replace(/'/g, "''")}', 'sub-${i}')`);
      await conn.run(`CREATE VIEW portal_feedback AS SELECT * FROM (VALUES ${values.join(', ')}) t(submitted_at, period, urn, rating, comment, "user")`);
      const rows = (await conn.runAndReadAll(q.sql)).getRowObjectsJson() as { urn: string; comment: string }[];
      expect(rows).toHaveLength(comments.length);
      for (const r of rows) expect(r.comment).toBe(spreadsheetSafe(comments[Number(r.urn.slice(5))]!));
    } finally {
      conn.closeSync();
      db.closeSync();
    }
  });
});
