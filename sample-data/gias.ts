/**
 * The sample's schools as a GIAS "All establishment data" extract (edubasealldata<yyyymmdd>.csv):
 * the real 139-column header, every value quoted, dates dd-mm-yyyy, the county's schools plus
 * what a real extract also holds: closed predecessors that share a LAESTAB with an open school
 * (academy conversions), and open schools of neighbouring LAs that no pupil of the county attends.
 * And schools/clusters.csv (laestab,cluster), the LA's own grouping.
 */
import { GIAS_HEADER } from '../schemas/published-headers.ts';
import { CsvOut, csvField } from './csv-out.ts';
import { pcds, type Geography } from './geo.ts';
import type { PlacedSchool } from './people.ts';
import { Rng } from './random.ts';

export const GIAS_FILE = 'schools/edubasealldata20260115.csv';
export const CLUSTERS_FILE = 'schools/clusters.csv';

const TYPES: Record<PlacedSchool['phase'], [string, number][]> = {
  primary: [['Community school', 0.35], ['Academy converter', 0.3], ['Voluntary aided school', 0.12], ['Voluntary controlled school', 0.1], ['Foundation school', 0.05], ['Academy sponsor led', 0.08]],
  secondary: [['Academy converter', 0.55], ['Academy sponsor led', 0.15], ['Community school', 0.12], ['Foundation school', 0.1], ['Free schools', 0.08]],
  special: [['Community special school', 0.6], ['Academy special converter', 0.3], ['Foundation special school', 0.1]],
};
const PHASE_NAME: Record<PlacedSchool['phase'], string> = { primary: 'Primary', secondary: 'Secondary', special: 'Not applicable' };

function dmy(y: number, m: number, d: number): string {
  return `${String(d).padStart(2, '0')}-${String(m).padStart(2, '0')}-${y}`;
}

export interface GiasCounts {
  establishments: number;
  closedPredecessors: number;
  otherLaSchools: number;
}

/** Writes the GIAS extract and clusters.csv; returns what they hold. */
export async function writeGias(geo: Geography, schools: PlacedSchool[], giasPath: string, clustersPath: string, seed: number): Promise<GiasCounts> {
  const rng = new Rng(seed).fork('gias');
  const col = new Map(GIAS_HEADER.map((c, i) => [c, i]));
  const out = new CsvOut(giasPath, GIAS_HEADER.map((c) => `"${c}"`).join(','));
  const row = (v: Record<string, string>) => {
    const cells = GIAS_HEADER.map(() => '');
    for (const [k, x] of Object.entries(v)) cells[col.get(k)!] = x;
    return cells.map((c) => `"${c.replace(/"/g, '""')}"`).join(',');
  };
  const own = new Set(schools.map((s) => s.la));
  const rows: { urn: string; line: string }[] = [];
  const usedUrns = new Set(schools.map((s) => s.urn));
  const newUrn = () => {
    let u: number;
    do u = rng.intBetween(150000, 199999);
    while (usedUrns.has(String(u)));
    usedUrns.add(String(u));
    return String(u);
  };
  let closed = 0;
  for (const s of schools) {
    const type = TYPES[s.phase][rng.weighted(TYPES[s.phase].map((t) => t[1]))]![0];
    const town = geo.districts[s.district]!.towns[0]!.name;
    const base = {
      'LA (code)': s.la,
      'LA (name)': `${town} County (fictional)`,
      EstablishmentNumber: s.estab,
      'PhaseOfEducation (name)': PHASE_NAME[s.phase],
      Postcode: pcds(geo, s.postcode),
      Town: town,
      'Country (name)': 'England',
    };
    rows.push({
      urn: s.urn,
      line: row({ ...base, URN: s.urn, EstablishmentName: s.name, 'TypeOfEstablishment (name)': type, 'EstablishmentStatus (name)': 'Open', OpenDate: dmy(rng.intBetween(1960, 2015), 1 + rng.int(12), 1), 'StatutoryLowAge': s.phase === 'secondary' ? '11' : '4' }),
    });
    if (type.startsWith('Academy') && rng.chance(0.08)) {
      // The maintained school the academy replaced: closed, same LAESTAB, an older record.
      closed++;
      const urn = newUrn();
      rows.push({
        urn,
        line: row({ ...base, URN: urn, EstablishmentName: s.name.replace(/ Academy$/, ' School'), 'TypeOfEstablishment (name)': 'Community school', 'EstablishmentStatus (name)': 'Closed', 'ReasonEstablishmentClosed (name)': 'Academy Converter', CloseDate: dmy(2018, 8, 31) }),
      });
    }
  }
  // A neighbouring LA's schools (a real extract lists all of England's).
  let others = 0;
  const otherLa = String([...own].map(Number).reduce((a, b) => Math.max(a, b), 800) + 1);
  for (let i = 0; i < Math.max(5, Math.round(schools.length / 40)); i++) {
    others++;
    const urn = newUrn();
    const s = schools[rng.int(schools.length)]!;
    rows.push({
      urn,
      line: row({ URN: urn, 'LA (code)': otherLa, 'LA (name)': 'Neighbouring County (fictional)', EstablishmentNumber: String(2000 + i), EstablishmentName: `Border ${i + 1} Primary School`, 'TypeOfEstablishment (name)': 'Community school', 'EstablishmentStatus (name)': 'Open', 'PhaseOfEducation (name)': 'Primary', Postcode: pcds(geo, s.postcode) }),
    });
  }
  rows.sort((a, b) => (a.urn < b.urn ? -1 : a.urn > b.urn ? 1 : 0));
  for (const r of rows) if (out.row(r.line)) await out.flush();
  await out.close();

  const cl = new CsvOut(clustersPath, 'laestab,cluster');
  for (const s of schools) if (cl.row(`${s.la}${s.estab},${csvField(s.clusterName)}`)) await cl.flush();
  await cl.close();
  return { establishments: rows.length, closedPredecessors: closed, otherLaSchools: others };
}
