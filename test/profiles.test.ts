/**
 * Profiles and fair access on the synthetic tiny county: the statistics match an independent
 * computation (numpy/scipy), published tables keep the documented columns, and what a head sees
 * is disclosure-controlled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { generateSample } from '../sample-data/generate.ts';
import { profileDocument, type ProfileDocument } from '../schemas/profile-document.ts';
import { fairAccessDocument } from '../schemas/fair-access-document.ts';
import { ANALYSIS_TABLES, PUBLISHED_TABLES } from '../schemas/published.ts';
import { columnsOf, dataColumnsOf } from '../schemas/columns.ts';
import { duck, publishedPath, publishedTable, removeDir, runLocal, tempDir } from './helpers/fixtures.ts';
import { close } from './stats/python-oracle.ts';
import { cellsAfter, linesStartingWith, pdfText } from './pdf/poppler.ts';
import { countText, ciText, indexText, pctText } from '../functions/pdf/format.ts';

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
    for (const c of ['period', 'level', 'segment', 'clients', 'client_pct', 'base', 'base_pct', 'penetration', 'index', 'ci_low', 'ci_high', 'z', 'p', 'p_adjusted', 'flag']) expect(fa).toContain(c);
  });

  it('school profile statistics (analysts: exact counts) agree with an independent scipy computation', async () => {
    const rows = (await read('school_profile', "WHERE period = '2025-26' AND n > 0 ORDER BY urn, level, segment")) as Record<string, unknown>[];
    // Every third row, all three levels: the family of a level is its segments with a base.
    const pick = rows.filter((_, i) => i % 3 === 0).slice(0, 400);
    const totals = (await duck(`SELECT urn, level, sum(n) AS n, count_if(base_n > 0) AS m, sum(base_n) AS N FROM ${publishedTable(out, 'school_profile')} WHERE period = '2025-26' GROUP BY urn, level`)) as { urn: string; level: string; n: number; m: number; N: number }[];
    const key = (u: unknown, l: unknown) => `${u}|${l}`;
    const byKey = new Map(totals.map((t) => [key(t.urn, t.level), t]));
    const cases = pick.map((r) => {
      const t = byKey.get(key(r.urn, r.level))!;
      return { O: r.n, n: t.n, B: r.base_n, N: t.N, m: t.m };
    });
    const oracle = python(
      `import json,sys
import numpy as np
from scipy import stats
from scipy.stats import binomtest
out=[]
for c in json.load(sys.stdin):
    O,n,B,N,m=c['O'],c['n'],c['B'],c['N'],c['m']
    t,b=O/n,B/N; E=n*b; a=0.05/m
    exact = E < 10
    z=(t-b)/np.sqrt(b*(1-b)/n)
    ci=binomtest(O,n).proportion_ci(1-a, method='exact' if exact else 'wilson')
    p=min(1,2*min(stats.binom.cdf(O,n,b),stats.binom.sf(O-1,n,b))) if exact else 2*stats.norm.sf(abs(z))
    out.append({'index':100*t/b,'z':z,'lo':100*ci.low/b,'hi':100*ci.high/b,'pen':100*O/B,'p':float(p),'padj':float(min(1,m*p)),'level':1-a})
print(json.dumps(out))`,
      cases,
    ) as { index: number; z: number; lo: number; hi: number; pen: number; p: number; padj: number; level: number }[];
    let flagged = 0;
    pick.forEach((r, i) => {
      const o = oracle[i]!;
      // scipy's Clopper–Pearson drifts by ~1e-10 relative (test/stats/intervals.test.ts): compare relatively.
      for (const [k, want] of [['index', o.index], ['z', o.z], ['ci_low', o.lo], ['ci_high', o.hi], ['penetration', o.pen]] as const) {
        expect(close(r[k] as number, want, 1e-9, 1e-12), `${k}: ${r[k]} vs ${want}`).toBe(true);
      }
      expect(Math.abs((r.p as number) - o.p)).toBeLessThanOrEqual(1e-9 * o.p + 1e-15);
      expect(r.p_adjusted as number).toBeCloseTo(o.padj, 12);
      expect(r.ci_level as number).toBeCloseTo(o.level, 15);
      const expectFlag = o.padj < 0.05 ? (o.index > 100 ? 'over' : 'under') : 'ns';
      expect(r.flag).toBe(expectFlag);
      // One policy: the flag is exactly "the interval drawn excludes 100".
      expect(r.flag === 'ns').toBe(o.lo <= 100 && o.hi >= 100);
      if (expectFlag !== 'ns') flagged++;
    });
    expect(flagged).toBeGreaterThan(20);
  });

  it('fair access finds affluent families over- and hard-pressed families under-represented, with exact tests, Bonferroni and chi-square', async () => {
    const rows = (await read('fair_access', "WHERE period = '2025-26' AND level = 'supergroup' ORDER BY segment")) as Record<string, unknown>[];
    const bySeg = new Map(rows.map((r) => [r.segment, r]));
    expect((bySeg.get('8') as { index: number }).index).toBeLessThan(100);
    expect((bySeg.get('1') as { index: number }).index).toBeGreaterThan(100); // OAC 2021 Retired Professionals (the sample's affluent rural and suburban types)
    const classified = rows.reduce((a, r) => a + (r.clients as number), 0);
    const base = rows.reduce((a, r) => a + (r.base as number), 0);
    const m = rows.filter((r) => (r.base as number) > 0).length;
    const ref = python(
      `import json,sys
import numpy as np
from scipy import stats
from scipy.stats import binomtest
d=json.load(sys.stdin); n=d['n']; N=d['N']; m=d['m']; a=0.05/m
out=[]
for O,B in d['rows']:
    if B == 0: out.append(None); continue
    b=B/N; E=n*b; exact=E<10
    ci=binomtest(O,n).proportion_ci(1-a, method='exact' if exact else 'wilson')
    p=min(1,2*min(stats.binom.cdf(O,n,b),stats.binom.sf(O-1,n,b))) if exact else 2*stats.norm.sf(abs((O/n-b)/np.sqrt(b*(1-b)/n)))
    out.append({'lo':100*ci.low,'hi':100*ci.high,'ilo':100*ci.low/b,'ihi':100*ci.high/b,'p':float(p),'padj':float(min(1,m*p))})
print(json.dumps(out))`,
      { n: classified, N: base, m, rows: rows.map((r) => [r.clients, r.base]) },
    ) as ({ lo: number; hi: number; ilo: number; ihi: number; p: number; padj: number } | null)[];
    rows.forEach((r, i) => {
      const o = ref[i];
      if (!o) return;
      for (const [k, want] of [['client_pct_low', o.lo], ['client_pct_high', o.hi], ['ci_low', o.ilo], ['ci_high', o.ihi]] as const) {
        expect(close(r[k] as number, want, 1e-9, 1e-12), `${k}: ${r[k]} vs ${want}`).toBe(true);
      }
      expect(Math.abs((r.p as number) - o.p)).toBeLessThanOrEqual(1e-9 * o.p + 1e-15);
      expect(r.p_adjusted as number).toBeCloseTo(o.padj, 12);
      expect(r.flag).toBe(o.padj < 0.05 ? ((r.index as number) < 100 ? 'under' : 'over') : 'ns');
      expect(r.flag === 'ns').toBe(o.ilo <= 100 && o.ihi >= 100);
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
    expect(chi.statistic).toBeCloseTo(oracle[0]!, 6);
    expect(chi.p).toBeCloseTo(oracle[1]!, 10);
    expect(chi.df).toBe(oracle[3]);
  });

  it('locates the under-represented by ward and by school with exact Poisson limits, ranked by the evidence of a shortfall', async () => {
    const fa = (await read('fair_access', "WHERE period = '2025-26' AND level = 'supergroup' AND flag = 'under'")) as Record<string, unknown>[];
    const wards = (await read('fair_access_by_ward', "WHERE period = '2025-26' ORDER BY rank")) as Record<string, number>[];
    const schools = (await read('fair_access_by_school', "WHERE period = '2025-26' ORDER BY rank")) as Record<string, number>[];
    expect(fa.length).toBeGreaterThan(0);
    expect(wards.length).toBeGreaterThan(0);
    expect(schools.length).toBeGreaterThan(0);
    for (const w of [...wards, ...schools]) {
      expect(w.gap).toBeCloseTo(w.actual - w.expected, 9);
      expect(w.lower_adjusted).toBeLessThanOrEqual(w.lower_95);
      expect(w.upper_adjusted).toBeGreaterThanOrEqual(w.upper_95);
      expect(w.lower_95).toBeLessThanOrEqual(w.expected);
    }
    for (const list of [wards, schools]) {
      const pl = list.map((w) => w.p_lower);
      expect(pl).toEqual([...pl].sort((a, b) => a - b));
    }
    // Exact Poisson tails against scipy.
    const ref = python(
      `import json,sys
from scipy import stats
out=[[float(stats.poisson.cdf(a,e)), float(min(1,2*min(stats.poisson.cdf(a,e), stats.poisson.sf(a-1,e))))] for a,e in json.load(sys.stdin)]
print(json.dumps(out))`,
      wards.map((w) => [w.actual, w.expected]),
    ) as number[][];
    wards.forEach((w, i) => {
      expect(Math.abs(w.p_lower - ref[i]![0]!)).toBeLessThanOrEqual(1e-9 * ref[i]![0]! + 1e-15);
      expect(Math.abs(w.p - ref[i]![1]!)).toBeLessThanOrEqual(1e-9 * ref[i]![1]! + 1e-15);
    });
    // the base of the located segments adds up to the base of the under-represented segments
    const baseUnder = fa.reduce((a, r) => a + (r.base as number), 0);
    expect(schools.reduce((a, s) => a + s.base_n, 0)).toBe(baseUnder);
  });

  it('expected clients come from each segment’s own rate, so they add up to the placed clients (bias checks with known rates: test/fair-access-stats.test.ts)', async () => {
    const doc = JSON.parse(readFileSync(publishedPath(out, 'published/reports/2025-26/fair-access.json'), 'utf8'));
    for (const which of ['wards', 'schools'] as const) {
      const places = doc[which] as { expected: number; actual: number }[];
      expect(places.reduce((a, p) => a + p.expected, 0)).toBeCloseTo(places.reduce((a, p) => a + p.actual, 0), 9);
    }
  });

  it('wards: families, rates and expected recomputed independently from the curated contacts and pupils', async () => {
    const doc = JSON.parse(readFileSync(publishedPath(out, 'published/reports/2025-26/fair-access.json'), 'utf8'));
    const under = new Set((doc.underRepresented.segments as { code: string }[]).map((s) => s.code));
    expect(under.size).toBeGreaterThan(0);
    const cur = (t: string) => `read_parquet('${out}/curated/${t}/**/*.parquet', hive_partitioning = true)`;
    const contacts = (await duck(`SELECT contact_id, contact_date, postcode, child_urn, child_ncyear, supergroup, ward FROM ${cur('enriched_contacts')} WHERE period = '2025-26' ORDER BY contact_date, contact_id`)) as Record<string, string | null>[];
    // Families: a postcode's contacts grouped by child; a contact naming no child joins the
    // postcode's first family that names one.
    const families = new Map<string, { supergroup: string | null; ward: string | null }>();
    const firstNamed = new Map<string, string>();
    for (const c of contacts) if (c.postcode && (c.child_urn || c.child_ncyear) && !firstNamed.has(c.postcode)) firstNamed.set(c.postcode, `${c.child_urn}|${c.child_ncyear}`);
    for (const c of contacts) {
      if (!c.postcode) continue;
      const child = c.child_urn || c.child_ncyear ? `${c.child_urn}|${c.child_ncyear}` : (firstNamed.get(c.postcode) ?? 'none');
      families.set(`${c.postcode}#${child}`, { supergroup: c.supergroup, ward: c.ward });
    }
    expect(families.size).toBe(doc.families.byPostcodeAndChild);
    const pupils = (await duck(`SELECT supergroup, ward, count(*) AS n FROM ${cur('enriched_pupils')} WHERE period = '2025-26' AND ncyear IN ('5', '6') AND subgroup IS NOT NULL GROUP BY supergroup, ward`)) as { supergroup: string; ward: string | null; n: number }[];
    const baseBy = new Map<string, Map<string, number>>();
    for (const p of pupils) if (p.ward && under.has(p.supergroup)) baseBy.set(p.ward, new Map([...(baseBy.get(p.ward) ?? []), [p.supergroup, p.n]]));
    const actualBy = new Map<string, Map<string, number>>();
    for (const f of families.values()) {
      if (!f.ward || !f.supergroup || !under.has(f.supergroup) || !baseBy.has(f.ward)) continue;
      const m = actualBy.get(f.ward) ?? new Map<string, number>();
      m.set(f.supergroup, (m.get(f.supergroup) ?? 0) + 1);
      actualBy.set(f.ward, m);
    }
    const rate = new Map([...under].map((s) => {
      let b = 0;
      let a = 0;
      for (const [w, m] of baseBy) {
        b += m.get(s) ?? 0;
        a += actualBy.get(w)?.get(s) ?? 0;
      }
      return [s, a / b];
    }));
    const published = new Map((doc.wards as { code: string; baseN: number; actual: number; expected: number }[]).map((w) => [w.code, w]));
    expect(published.size).toBe(baseBy.size);
    for (const [w, m] of baseBy) {
      const p = published.get(w)!;
      expect(p.baseN, w).toBe([...m.values()].reduce((a, b) => a + b, 0));
      expect(p.actual, w).toBe([...(actualBy.get(w)?.values() ?? [])].reduce((a, b) => a + b, 0));
      expect(p.expected, w).toBeCloseTo([...m].reduce((e, [s, n]) => e + n * rate.get(s)!, 0), 9);
    }
  });

  it('school table: clients whose school is not recorded are counted as not known, not silently dropped', async () => {
    const doc = JSON.parse(readFileSync(publishedPath(out, 'published/reports/2025-26/fair-access.json'), 'utf8'));
    const under = (doc.underRepresented.segments as { code: string }[]).map((s) => `'${s.code}'`);
    const client = (await read('fair_access', `WHERE period = '2025-26' AND level = 'supergroup' AND segment IN (${under.join(',')})`)) as { clients: number }[];
    const placed = (doc.schools as { actual: number }[]).reduce((a, p) => a + p.actual, 0);
    expect(placed + doc.placeTables.schools.notKnown).toBe(client.reduce((a, r) => a + r.clients, 0));
  });

  it('keeps the trend across years with the exact test of the change in the index', async () => {
    const rows = (await read('fair_access_trend', "WHERE period = '2025-26' AND level = 'supergroup' ORDER BY segment")) as Record<string, number | string | null>[];
    const now = (await read('fair_access', "WHERE period = '2025-26' AND level = 'supergroup' ORDER BY segment")) as Record<string, number>[];
    const before = (await read('fair_access', "WHERE period = '2024-25' AND level = 'supergroup' ORDER BY segment")) as Record<string, number>[];
    expect(rows.length).toBeGreaterThan(0);
    const prev = new Map(before.map((r) => [r.segment, r]));
    const cases = now.filter((r) => prev.has(r.segment) && r.expected > 0).map((r) => [prev.get(r.segment)!.clients, prev.get(r.segment)!.expected, r.clients, r.expected]);
    const ref = python(
      `import json,sys
from scipy import stats
out=[]
for O1,E1,O2,E2 in json.load(sys.stdin):
    n=O1+O2; q=E2/(E1+E2)
    out.append(float(min(1,2*min(stats.binom.cdf(O2,n,q),stats.binom.sf(O2-1,n,q)))) if n>0 else None)
print(json.dumps(out))`,
      cases,
    ) as (number | null)[];
    const bySeg = new Map(rows.map((r) => [r.segment, r]));
    now.filter((r) => prev.has(r.segment) && r.expected > 0).forEach((r, i) => {
      const t = bySeg.get(r.segment)!;
      expect(t.previous_period).toBe('2024-25');
      if (ref[i] === null) expect(t.p).toBeNull();
      else expect(Math.abs((t.p as number) - ref[i]!)).toBeLessThanOrEqual(1e-9 * ref[i]! + 1e-15);
      if (t.index !== null && t.previous_index !== null) expect(t.change as number).toBeCloseTo((t.index as number) - (t.previous_index as number), 9);
    });
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

  it('shows every count under the rule (rounded to 5, c for 1 to 4), each containing the true count, and no statistic that is not worked out from shown counts', async () => {
    const truth = new Map((await read('school_segment_counts', "WHERE period = '2025-26'")).map((r) => [`${r.urn}|${r.level}|${r.segment}`, Number(r.n)]));
    let c = 0;
    let rounded = 0;
    for (const d of docs()) {
      const coarse = new Set(d.disclosure.roundedCoarse);
      const classified = d.keyFacts.classified;
      for (const level of ['supergroup', 'group', 'subgroup'] as const) {
        for (const s of d.segments[level]) {
          const n = truth.get(`${d.school.urn}|${level}|${s.code}`) ?? 0;
          const base = coarse.has(`${level}:${s.code}`) ? 10 : 5;
          if (s.n === 'c') {
            c++;
            expect(n, `${d.school.urn} ${s.code}`).toBeLessThan(d.threshold);
            continue;
          }
          if (n === 0) expect(s.n).toBe(0);
          else {
            rounded++;
            expect(s.n % base, `${d.school.urn} ${s.code}`).toBe(0);
            expect(Math.abs(s.n - n), `${d.school.urn} ${s.code}: ${s.n} for ${n}`).toBeLessThanOrEqual(base / 2);
          }
          // pct is the shown count over the shown classified total.
          if (typeof classified === 'number' && classified > 0) expect(s.pct).toBeCloseTo((100 * Math.min(s.n, classified)) / classified, 9);
        }
      }
    }
    expect(c).toBeGreaterThan(10);
    expect(rounded).toBeGreaterThan(100);
  });

  it('the PDF prints the numbers of the document: supergroup table and the rounding sentence', () => {
    let rows = 0;
    for (const d of docs().slice(0, 6)) {
      const text = pdfText(readFileSync(publishedPath(out, `published/profiles/2025-26/${d.school.urn}.pdf`)));
      expect(text.replace(/\s+/g, ' ')).toContain(d.disclosure.rule);
      for (const r of d.segments.supergroup.filter((x) => x.n !== 0 || x.basePct > 0)) {
        const line = linesStartingWith(text, r.name).find((l) => /\d\.\d/.test(l));
        if (!line) continue;
        const hidden = r.n === 'c';
        // Pupils, school %, base %, the reading in words, index, interval.
        const cells = cellsAfter(line, r.name);
        expect([...cells.slice(0, 3), ...cells.slice(-2)], `${d.school.urn} ${r.name}`).toEqual([countText(r.n, d.threshold), pctText(r.pct, hidden), pctText(r.basePct), indexText(r.index, hidden), ciText(r.ciLow, r.ciHigh, hidden)]);
        rows++;
      }
    }
    expect(rows).toBeGreaterThan(20);
  });

  it('the fair-access report carries the analysts’ numbers exactly (internal: nothing rounded or hidden), and an undefined chi-square is null', async () => {
    const doc = JSON.parse(readFileSync(publishedPath(out, 'published/reports/2025-26/fair-access.json'), 'utf8'));
    const table = new Map((await read('fair_access', "WHERE period = '2025-26' AND level = 'supergroup'")).map((r) => [r.segment, r]));
    for (const r of doc.segments.supergroup) {
      const t = table.get(r.code)!;
      expect([r.clients, r.base, r.index, r.ciLow, r.ciHigh, r.p, r.pAdjusted, r.flag]).toEqual([t.clients, t.base, t.index, t.ci_low, t.ci_high, t.p, t.p_adjusted, t.flag]);
    }
    const tests = await read('fair_access_tests', "WHERE period = '2025-26'");
    for (const c of doc.chiSquare) expect(c.p).toBe(tests.find((t) => t.level === c.level)!.p);
    expect(doc.handling).toBe('OFFICIAL-SENSITIVE');
  });

  it('says the rule in one sentence, and the analysts’ head_profile table holds the same numbers as the documents', async () => {
    const head = await read('head_profile', "WHERE period = '2025-26'");
    const byKey = new Map(head.map((r) => [`${r.urn}|${r.level}|${r.segment}`, r]));
    let compared = 0;
    for (const d of docs()) {
      expect(d.disclosure.rule).toMatch(/^To protect pupils' privacy, numbers are rounded to the nearest 5/);
      for (const level of ['supergroup', 'group', 'subgroup'] as const) {
        for (const s of d.segments[level]) {
          const h = byKey.get(`${d.school.urn}|${level}|${s.code}`)!;
          expect([h.n_shown, h.pct, h.index, h.ci_low, h.ci_high, h.flag], `${d.school.urn} ${s.code}`).toEqual([String(s.n), s.pct, s.index, s.ciLow, s.ciHigh, s.flag]);
          compared++;
        }
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });
});

describe('documents first', () => {
  it('the caller hears of the published period\'s documents once they are written, before the stage writes its other tables, and before the other periods are analysed', async () => {
    const { DuckDbEngine } = await import('../functions/ports/duckdb-engine.ts');
    const { LocalObjectStore } = await import('../functions/ports/local-store.ts');
    const { analyse } = await import('../functions/profiles/analysis-stage.ts');
    const { runRoot } = await import('../functions/lake/publication.ts');
    const runId = 'documents-first';
    const sql = await DuckDbEngine.create({ lakeRoot: out, threads: 1 });
    const lake = new LocalObjectStore(out);
    const files = (dir: string) => (existsSync(join(out, runRoot(runId), dir)) ? readdirSync(join(out, runRoot(runId), dir), { recursive: true }).length : 0);
    const jsonIn = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.json') && !f.startsWith('_')).length;
    const seen: unknown[] = [];
    try {
      await analyse({
        lake,
        sql,
        runId,
        periods: ['2024-25', '2025-26'],
        // What is on disk at the moment of the call (the hook is synchronous; the stage goes on after it).
        onProfileDocuments: (period) => seen.push({ period, docs: jsonIn(join(out, runRoot(runId), `published/profiles/${period}`)), headProfile: files('published/head_profile'), earlierPeriod: files('published/school_profile/period=2024-25') }),
      });
      expect(files('published/head_profile/period=2025-26')).toBeGreaterThan(0);
    } finally {
      await sql.close();
      await lake.deletePrefix(`${runRoot(runId)}/`);
      await lake.deletePrefix(`staging/${runId}/`);
    }
    expect(seen).toEqual([{ period: '2025-26', docs: jsonIn(publishedPath(out, 'published/profiles/2025-26')), headProfile: 0, earlierPeriod: 0 }]);
  });
});
