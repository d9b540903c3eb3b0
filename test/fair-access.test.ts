/**
 * Fair access on a hand-made county where every number can be worked out by hand: clients are
 * families deduplicated by postcode, the base is Years 5 and 6 by default (configurable), and the
 * school profile base can be the cluster instead of the LA.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDbEngine } from '../functions/ports/duckdb-engine.ts';
import { LocalObjectStore } from '../functions/ports/local-store.ts';
import { runPipeline } from '../functions/pipeline/run.ts';
import { GENERIC_CLASSIFICATION, TEST_KEY, duck, publishedTable, removeDir, tempDir, upn, writeFiles } from './helpers/fixtures.ts';
import { PublishedView } from '../functions/lake/publication.ts';

const SCHOOLS = 'urn,name,phase,cluster,postcode\n100001,Riverside Primary,Primary,North,KT1 1AA\n100002,Hilltop Primary,Primary,South,KT1 2AA\n';
// Years 5/6: 4 pupils in A1 (segment Affluent), 4 in B1/B2 (Stretched). Year 2 pupils are outside the default base.
const PUPILS = [
  'upn,urn,postcode,ncyear,fsm',
  ...[1, 2, 3, 4].map((i) => `${upn(i)},100001,KT1 1AA,${i % 2 ? 5 : 6},N`),
  ...[5, 6, 7, 8].map((i) => `${upn(i)},100002,KT1 2AA,${i % 2 ? 5 : 6},Y`),
  ...[9, 10].map((i) => `${upn(i)},100002,KT1 2AB,2,Y`),
].join('\n');
// Three contacts from one Affluent family (same postcode) = one client; one Stretched family; one contact with no postcode.
const CONTACTS = [
  'contact_id,contact_date,postcode,channel,child_urn,child_ncyear',
  'C1,2025-10-01,KT1 1AA,helpline,100001,6',
  'C2,2025-10-05,kt1 1aa,email,100001,6',
  'C3,2025-11-01,KT1 1AA,drop in,100001,6',
  'C4,2025-10-02,KT1 2AA,helpline,100002,5',
  'C5,2025-10-03,,helpline,,',
].join('\n');

const dirs: string[] = [];
async function run(analysis: Record<string, unknown> = {}, contacts = CONTACTS) {
  const input = tempDir();
  const out = tempDir();
  dirs.push(input, out);
  writeFiles(input, { ...GENERIC_CLASSIFICATION, 'schools/schools.csv': SCHOOLS, 'pupils/pupils_2025-26.csv': PUPILS, 'contacts/contacts.csv': contacts });
  const sql = await DuckDbEngine.create({ lakeRoot: out, threads: 1 });
  try {
    await runPipeline({ raw: new LocalObjectStore(input), lake: new LocalObjectStore(out), sql, pseudonymKey: TEST_KEY, period: '2025-26', analysis });
  } finally {
    await sql.close();
  }
  return out;
}
const table = (out: string, name: string, where = '') => duck(`SELECT * FROM ${publishedTable(out, name)} ${where}`);

let defaults: string;
beforeAll(async () => {
  defaults = await run();
});
afterAll(() => dirs.forEach(removeDir));

describe('fair access', () => {
  it('counts families once per postcode and compares them with Years 5 and 6', async () => {
    const rows = await table(defaults, 'fair_access', "WHERE level = 'supergroup' ORDER BY segment");
    expect(rows.map((r) => [r.segment, r.clients, r.base])).toEqual([
      ['Affluent', 1, 4],
      ['Stretched', 1, 4],
    ]);
    expect(rows[0].penetration).toBeCloseTo(250, 9); // 1 client per 4 base pupils = 250 per 1,000
    expect(rows[0].index).toBeCloseTo(100, 9);
    const doc = JSON.parse(Buffer.from(await new PublishedView(new LocalObjectStore(defaults)).get('published/reports/2025-26/fair-access.json')).toString());
    expect(doc.totals).toMatchObject({ contacts: 5, clients: 3, classifiedClients: 2, base: 8 });
    expect(doc.base.ncyears).toEqual(['5', '6']);
    expect(doc.clientRule).toMatch(/grouped by home postcode and child/);
    expect(doc.families).toEqual({ byPostcodeAndChild: 2, byPostcode: 2, sharedPostcodes: 0 });
    expect(doc.handling).toBe('OFFICIAL-SENSITIVE');
    // Two clients: every cell is pooled, nothing is left to test, and p says so (null, not 1).
    expect(doc.chiSquare.find((c: { level: string }) => c.level === 'supergroup')).toMatchObject({ df: 0, p: null });
  });

  it('counts two children at one postcode as two families, and a contact naming no child as one of them', async () => {
    // C6: the same postcode as C1-C3 about a different child (Year 5); C7 names no child.
    const more = `${CONTACTS}\nC6,2025-11-02,KT1 1AA,email,100001,5\nC7,2025-11-03,KT1 1AA,email,,`;
    const out = await run({}, more);
    const rows = await table(out, 'fair_access', "WHERE level = 'supergroup' ORDER BY segment");
    expect(rows.map((r) => [r.segment, r.clients])).toEqual([
      ['Affluent', 2],
      ['Stretched', 1],
    ]);
    const doc = JSON.parse(Buffer.from(await new PublishedView(new LocalObjectStore(out)).get('published/reports/2025-26/fair-access.json')).toString());
    expect(doc.families).toEqual({ byPostcodeAndChild: 3, byPostcode: 2, sharedPostcodes: 1 });
    expect(doc.clientRule).toContain('grouping by postcode alone would have given 2, merging 1 family at 1 shared postcode');
  });

  it('uses every pupil as the base when configured', async () => {
    const out = await run({ fairAccessYears: null });
    const rows = await table(out, 'fair_access', "WHERE level = 'supergroup' ORDER BY segment");
    expect(rows.map((r) => [r.segment, r.base])).toEqual([
      ['Affluent', 4],
      ['Stretched', 6],
    ]);
  });

  it('compares a school with its cluster when configured', async () => {
    const out = await run({ baseKind: 'cluster' });
    const rows = await table(out, 'school_profile', "WHERE level = 'supergroup' AND urn = '100002' ORDER BY segment");
    expect(rows.map((r) => [r.segment, r.n, r.base_n, r.base])).toEqual([
      ['Affluent', 0, 0, 'cluster:South'],
      ['Stretched', 6, 6, 'cluster:South'],
    ]);
    const la = await table(defaults, 'school_profile', "WHERE level = 'supergroup' AND urn = '100002' ORDER BY segment");
    expect(la.map((r) => [r.segment, r.base_n, r.base])).toEqual([
      ['Affluent', 4, 'la'],
      ['Stretched', 6, 'la'],
    ]);
  });

  it('shows unclassified pupils beside the profile, never in it', async () => {
    const [ctx] = await table(defaults, 'school_context', "WHERE urn = '100002'");
    expect(ctx).toMatchObject({ pupils: 6, classified: 6, unclassified: 0, fsm_n: 6, fsm_pct: 100 });
  });
});
