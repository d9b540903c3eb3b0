/**
 * Profiles and fair access on the synthetic tiny county: the statistics match an independent
 * computation (numpy/scipy), published tables keep the documented columns, and what a head sees
 * is disclosure-controlled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { generateSample } from '../sample-data/generate.ts';
import { profileDocument, type ProfileDocument } from '../schemas/profile-document.ts';
import { fairAccessDocument } from '../schemas/fair-access-document.ts';
import { ANALYSIS_TABLES, PUBLISHED_TABLES } from '../schemas/published.ts';
import { columnsOf, dataColumnsOf } from '../schemas/columns.ts';
import { duck, publishedPath, publishedTable, removeDir, runLocal, tempDir } from './helpers/fixtures.ts';

let input: string;
let out: string;
const read = (table: string, where = '') => duck(`SELECT * FROM ${publishedTable(out, table)} ${where}`);

beforeAll(async () => {
  input = tempDir();
  out = tempDir();
  await generateSample({ out: input, scale: 'tiny' });
  const m = await runLocal(input, out, { period: '2025-26' });
  expect(m.status).toBe('succeeded');
}, 180_000);
afterAll(() => [input, out].forEach(removeDir));

function python(code: string, data: unknown): unknown {
  const r = spawnSync('python3', ['-c', code], { input: JSON.stringify(data), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe('published analysis tables', () => {
  it('have the documented columns, in contract order, with Parquet types matching the Glue types', async () => {
    const physical: Record<string, string> = { string: 'BYTE_ARRAY', bigint: 'INT64', int: 'INT32', double: 'DOUBLE', boolean: 'BOOLEAN', date: 'INT32' };
    for (const table of PUBLISHED_TABLES) {
      const schema = await duck<{ name: string; type: string }>(`SELECT name, type FROM parquet_schema('${publishedPath(out, `published/${table.name}/period=2025-26`)}/*.parquet') WHERE type IS NOT NULL`);
      const expected = dataColumnsOf(table).map((c) => ({ name: c.name, type: physical[c.type] }));
      const firstFile = schema.slice(0, expected.length);
      expect(firstFile, table.name).toEqual(expected);
    }
  });

  it('school_profile holds the issue’s columns', () => {
    const names = columnsOf(ANALYSIS_TABLES.find((t) => t.name === 'school_profile')!).map((c) => c.name);
    for (const c of ['period', 'urn', 'level', 'segment', 'n', 'pct', 'base_n', 'base_pct', 'penetration', 'index', 'ci_low', 'ci_high', 'z', 'flag', 'reliable']) expect(names).toContain(c);
    const fa = columnsOf(ANALYSIS_TABLES.find((t) => t.name === 'fair_access')!).map((c) => c.name);
    for (const c of ['period', 'level', 'segment', 'clients', 'client_pct', 'base', 'base_pct', 'penetration', 'index', 'ci_low', 'ci_high', 'z', 'p', 'p_holm', 'flag']) expect(fa).toContain(c);
  });

  it('school profile statistics agree with an independent scipy computation', async () => {
    const rows = (await read('school_profile', "WHERE period = '2025-26' AND level = 'supergroup' AND n > 0 ORDER BY urn, segment LIMIT 40")) as Record<string, number>[];
    const totals = (await duck(`SELECT urn, sum(n) AS n FROM ${publishedTable(out, 'school_profile')} WHERE period = '2025-26' AND level = 'supergroup' GROUP BY urn`)) as { urn: string; n: number }[];
    const baseTotal = (await duck(`SELECT sum(n) AS n FROM ${publishedTable(out, 'school_segment_counts')} WHERE period = '2025-26' AND level = 'supergroup'`))[0].n as number;
    const nByUrn = new Map(totals.map((t) => [t.urn, t.n]));
    const cases = rows.map((r) => ({ O: r.n, n: nByUrn.get(r.urn as unknown as string), B: r.base_n, N: baseTotal }));
    const oracle = python(
      `import json,sys
import numpy as np
from scipy.stats import norm
out=[]
for c in json.load(sys.stdin):
    O,n,B,N=c['O'],c['n'],c['B'],c['N']
    t,b=O/n,B/N; E=n*b; z=norm.ppf(0.975)
    lo=O*(1-1/(9*O)-z/(3*np.sqrt(O)))**3 if O>0 else 0.0
    hi=(O+1)*(1-1/(9*(O+1))+z/(3*np.sqrt(O+1)))**3
    out.append({'index':100*t/b,'z':(t-b)/np.sqrt(b*(1-b)/n),'lo':100*lo/E,'hi':100*hi/E,'pen':100*O/B})
print(json.dumps(out))`,
      cases,
    ) as { index: number; z: number; lo: number; hi: number; pen: number }[];
    rows.forEach((r, i) => {
      expect(r.index).toBeCloseTo(oracle[i].index, 8);
      expect(r.z).toBeCloseTo(oracle[i].z, 8);
      expect(r.ci_low).toBeCloseTo(oracle[i].lo, 8);
      expect(r.ci_high).toBeCloseTo(oracle[i].hi, 8);
      expect(r.penetration).toBeCloseTo(oracle[i].pen, 8);
      const expectFlag = oracle[i].lo > 100 ? 'over' : oracle[i].hi < 100 ? 'under' : 'ns';
      expect(r.flag).toBe(expectFlag);
    });
  });

  it('fair access finds affluent families over- and hard-pressed families under-represented, with Holm p and chi-square', async () => {
    const rows = (await read('fair_access', "WHERE period = '2025-26' AND level = 'supergroup' ORDER BY segment")) as Record<string, unknown>[];
    const bySeg = new Map(rows.map((r) => [r.segment, r]));
    expect((bySeg.get('8') as { index: number }).index).toBeLessThan(100);
    expect((bySeg.get('1') as { index: number }).index).toBeGreaterThan(100); // OAC 2021 Retired Professionals (the sample's affluent rural and suburban types)
    const ps = rows.map((r) => r.p as number);
    const holm = python(
      `import json,sys
import numpy as np
p=np.array(json.load(sys.stdin)); m=len(p); o=np.argsort(p,kind='stable')
adj=np.minimum(1,np.maximum.accumulate((m-np.arange(m))*p[o])); out=np.empty(m); out[o]=adj
print(json.dumps(out.tolist()))`,
      ps,
    ) as number[];
    rows.forEach((r, i) => expect(r.p_holm as number).toBeCloseTo(holm[i], 10));
    for (const r of rows) {
      const sig = (r.p_holm as number) < 0.05;
      expect(r.flag).toBe(sig ? ((r.index as number) < 100 ? 'under' : 'over') : 'ns');
    }
    // Wilson intervals of the client share and Benjamini-Hochberg q-values, against scipy
    const classified = rows.reduce((a, r) => a + (r.clients as number), 0);
    const ref = python(
      `import json,sys
from scipy.stats import binomtest, false_discovery_control
d=json.load(sys.stdin)
ci=[binomtest(k, d['n']).proportion_ci(0.95, method='wilson') for k in d['k']]
print(json.dumps({'ci': [[100*c.low, 100*c.high] for c in ci], 'bh': false_discovery_control(d['p'], method='bh').tolist()}))`,
      { k: rows.map((r) => r.clients), n: classified, p: ps },
    ) as { ci: number[][]; bh: number[] };
    rows.forEach((r, i) => {
      expect(r.client_pct_low as number).toBeCloseTo(ref.ci[i][0], 9);
      expect(r.client_pct_high as number).toBeCloseTo(ref.ci[i][1], 9);
      expect(r.p_bh as number).toBeCloseTo(ref.bh[i], 9);
    });
    const [chi] = (await read('fair_access_tests', "WHERE period = '2025-26' AND level = 'supergroup'")) as { statistic: number; df: number; p: number; merged_cells: number }[];
    const counts = rows.filter((r) => (r.base as number) > 0).map((r) => [r.clients, r.base]);
    // scipy on the cells after pooling those with expected < 5 (smallest expected first, as documented)
    const oracle = python(
      `import json,sys
from scipy.stats import chisquare
c=json.load(sys.stdin); o=[x[0] for x in c]; b=[x[1] for x in c]; N=sum(b); n=sum(o)
e=[n*x/N for x in b]
order=sorted(range(len(e)), key=lambda i:(e[i],i)); pool=[]; pe=0.0
for i in order:
    if pe<5 and pool or e[i]<5: pool.append(i); pe+=e[i]
    else: break
keep=[i for i in range(len(e)) if i not in pool]
fo=[o[i] for i in keep]+([sum(o[i] for i in pool)] if pool else []); fe=[e[i] for i in keep]+([pe] if pool else [])
r=chisquare(fo,fe); print(json.dumps([float(r.statistic), float(r.pvalue), len(pool), len(fo)-1]))`,
      counts,
    ) as number[];
    expect(chi.merged_cells).toBe(oracle[2]);
    expect(chi.statistic).toBeCloseTo(oracle[0], 6);
    expect(chi.p).toBeCloseTo(oracle[1], 10);
    expect(chi.df).toBe(oracle[3]);
  });

  it('locates the under-represented by ward and by school with funnel limits', async () => {
    const fa = (await read('fair_access', "WHERE period = '2025-26' AND level = 'supergroup' AND flag = 'under'")) as Record<string, unknown>[];
    const wards = (await read('fair_access_by_ward', "WHERE period = '2025-26' ORDER BY gap")) as Record<string, number>[];
    const schools = (await read('fair_access_by_school', "WHERE period = '2025-26' ORDER BY gap")) as Record<string, number>[];
    if (fa.length === 0) {
      expect(wards).toEqual([]);
      return;
    }
    expect(wards.length).toBeGreaterThan(0);
    expect(schools.length).toBeGreaterThan(0);
    for (const w of [...wards, ...schools]) {
      expect(w.gap).toBeCloseTo(w.actual - w.expected, 9);
      expect(w.lower_998).toBeLessThanOrEqual(w.lower_95);
      expect(w.upper_998).toBeGreaterThanOrEqual(w.upper_95);
      expect(w.lower_95).toBeLessThanOrEqual(w.expected);
    }
    // the base of the located segments adds up to the base of the under-represented segments
    const baseUnder = fa.reduce((a, r) => a + (r.base as number), 0);
    expect(schools.reduce((a, s) => a + s.base_n, 0)).toBe(baseUnder);
  });

  it('ranks wards by gap with counts recomputed independently from the curated rows', async () => {
    const under = ((await read('fair_access', "WHERE period = '2025-26' AND level = 'supergroup' AND flag = 'under'")) as { segment: string }[]).map((r) => `'${r.segment}'`);
    expect(under.length).toBeGreaterThan(0);
    const cur = (t: string) => `read_parquet('${out}/curated/${t}/**/*.parquet', hive_partitioning = true)`;
    const independent = (await duck(`
      WITH clients AS (
        SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY postcode ORDER BY contact_date, contact_id) AS rk
                       FROM ${cur('enriched_contacts')} WHERE period = '2025-26' AND postcode IS NOT NULL) WHERE rk = 1),
      base AS (SELECT * FROM ${cur('enriched_pupils')} WHERE period = '2025-26' AND ncyear IN ('5', '6') AND subgroup IS NOT NULL),
      pen AS (SELECT (SELECT count(*) FROM clients WHERE subgroup IS NOT NULL) / (SELECT count(*) FROM base) AS p),
      b AS (SELECT ward, count(*) AS base_n FROM base WHERE supergroup IN (${under.join(',')}) AND ward IS NOT NULL GROUP BY ward),
      a AS (SELECT ward, count(*) AS actual FROM clients WHERE supergroup IN (${under.join(',')}) AND ward IS NOT NULL GROUP BY ward)
      SELECT b.ward, b.base_n, coalesce(a.actual, 0) AS actual, pen.p * b.base_n AS expected
      FROM b LEFT JOIN a USING (ward), pen`)) as { ward: string; base_n: number; actual: number; expected: number }[];
    const published = (await read('fair_access_by_ward', "WHERE period = '2025-26'")) as { ward: string; base_n: number; actual: number; expected: number; gap: number }[];
    expect(published.length).toBe(independent.length);
    const byWard = new Map(published.map((w) => [w.ward, w]));
    for (const w of independent) {
      const p = byWard.get(w.ward)!;
      expect(p, w.ward).toBeDefined();
      expect([p.base_n, p.actual]).toEqual([w.base_n, w.actual]);
      expect(p.expected).toBeCloseTo(w.expected, 9);
    }
    // The report ranks them most-below-expectation first.
    const doc = JSON.parse(readFileSync(publishedPath(out, 'published/reports/2025-26/fair-access.json'), 'utf8'));
    const gaps = doc.wards.map((w: { code: string }) => byWard.get(w.code)!.gap);
    expect(gaps).toEqual([...gaps].sort((a: number, b: number) => a - b));
  });

  it('keeps the trend across years with a two-proportion test of the change', async () => {
    const rows = (await read('fair_access_trend', "WHERE period = '2025-26' AND level = 'supergroup'")) as Record<string, number | string>[];
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(r.previous_period).toBe('2024-25');
      if (r.index !== null && r.previous_index !== null) expect(r.change as number).toBeCloseTo((r.index as number) - (r.previous_index as number), 9);
    }
  });
});

describe('what heads see', () => {
  const docs = () => {
    const dir = publishedPath(out, 'published/profiles/2025-26');
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json') && !f.startsWith('_'))
      .map((f) => profileDocument.parse(JSON.parse(readFileSync(join(dir, f), 'utf8'))));
  };

  it('one valid profile document per school, and a valid fair-access document', () => {
    expect(docs().length).toBeGreaterThan(10);
    fairAccessDocument.parse(JSON.parse(readFileSync(publishedPath(out, 'published/reports/2025-26/fair-access.json'), 'utf8')));
  });

  it('shows no count between 1 and the threshold, and hides index and percentage with a hidden count', () => {
    for (const d of docs()) {
      const counts: unknown[] = [d.keyFacts.pupils, d.keyFacts.classified, d.keyFacts.unclassified, ...d.imd.map((x) => x.n), ...d.matchStatus.map((x) => x.n)];
      for (const level of ['supergroup', 'group', 'subgroup'] as const) {
        for (const s of d.segments[level]) {
          counts.push(s.n);
          if (s.n === 'c') expect([s.pct, s.index, s.ciLow, s.ciHigh]).toEqual([null, null, null, null]);
        }
      }
      for (const c of counts) if (typeof c === 'number') expect(c === 0 || c >= d.threshold, `${d.school.urn}: ${c}`).toBe(true);
    }
  });

  it('gives a hidden match rate as the floor a "c" already implies, true for the real counts', async () => {
    const truth = new Map((await read('match_summary', "WHERE scope = 'school' AND period = '2025-26'")).map((r) => [String(r.urn), r]));
    let floors = 0;
    for (const d of docs()) {
      const k = d.keyFacts;
      const t = truth.get(d.school.urn)!;
      const pupils = Number(t.pupils);
      const matched = Number(t.exact) + Number(t.terminated);
      if (k.matchRatePct !== null) {
        expect(k.matchRatePct).toBeCloseTo((100 * matched) / pupils, 9);
        expect(k.matchRateAtLeastPct).toBeNull();
        continue;
      }
      const few = pupils - matched >= 1 && pupils - matched < d.threshold && matched >= d.threshold;
      expect(k.matchRateAtLeastPct !== null, d.school.urn).toBe(few);
      if (k.matchRateAtLeastPct === null) continue;
      floors++;
      // True for this school, and for every count 1..threshold-1 the "c" could stand for, so it
      // tells nothing more than the "c".
      expect((100 * matched) / pupils).toBeGreaterThanOrEqual(k.matchRateAtLeastPct);
      for (let h = 1; h < d.threshold; h++) expect((100 * (pupils - h)) / pupils).toBeGreaterThanOrEqual(k.matchRateAtLeastPct);
      expect((100 * (pupils - (d.threshold - 1))) / pupils - k.matchRateAtLeastPct).toBeLessThan(0.1);
    }
    expect(floors, 'some school in the sample has only a few unmatched pupils').toBeGreaterThan(0);
  });

  it('never leaves exactly one hidden cell in a line whose total is shown', () => {
    const check = (d: ProfileDocument, cells: { n: number | 'c' }[], total: number | 'c') => {
      if (total === 'c') return;
      expect(cells.filter((c) => c.n === 'c').length, d.school.urn).not.toBe(1);
    };
    for (const d of docs()) {
      check(d, d.segments.supergroup, d.keyFacts.classified);
      check(d, d.matchStatus, d.keyFacts.pupils);
    }
  });
});
