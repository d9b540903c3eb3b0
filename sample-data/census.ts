/**
 * School census generation: a first census drawn from the plan, and the following census derived
 * from it (same pupils a year older, leavers out, new intake in, UPNs stable).
 */
import { catchmentOf, drawHome, UpnAllocator, type Catchment, type PlacedSchool, type Pupil } from './people.ts';
import type { Geography } from './geo.ts';
import { yearProfile } from './plan.ts';
import { Rng } from './random.ts';

const d2 = (ax: number, ay: number, bx: number, by: number) => (ax - bx) * (ax - bx) + (ay - by) * (ay - by);

export class CensusContext {
  readonly alloc = new UpnAllocator();
  private readonly catchments = new Map<number, Catchment>();
  readonly primariesByDistrict = new Map<number, PlacedSchool[]>();
  readonly secondariesByDistrict = new Map<number, PlacedSchool[]>();
  readonly specialsByCounty = new Map<number, PlacedSchool[]>();
  private readonly ownLas: Set<string>;

  constructor(
    readonly geo: Geography,
    readonly schools: PlacedSchool[],
    readonly seed: number,
    /** Keep catchments after use (needed when a second census is derived). */
    readonly cache: boolean,
  ) {
    const push = (m: Map<number, PlacedSchool[]>, k: number, s: PlacedSchool) => {
      if (!m.has(k)) m.set(k, []);
      m.get(k)!.push(s);
    };
    for (const s of schools) {
      if (s.phase === 'primary') push(this.primariesByDistrict, s.district, s);
      else if (s.phase === 'secondary') push(this.secondariesByDistrict, s.district, s);
      else push(this.specialsByCounty, s.county, s);
    }
    this.ownLas = new Set(geo.area.counties.map((c) => c.la));
  }

  catchment(s: PlacedSchool): Catchment {
    let c = this.catchments.get(s.index);
    if (!c) {
      c = catchmentOf(this.geo, s);
      if (this.cache) this.catchments.set(s.index, c);
    }
    return c;
  }

  /** Forget a school's catchment (streaming mode). */
  release(s: PlacedSchool) {
    this.catchments.delete(s.index);
  }

  fsm(home: number, rng: Rng): boolean {
    return rng.chance(this.geo.patches[this.geo.patchOf[home]!]!.fsmP);
  }

  /** UPN for a pupil first registered at `s` in year `entryYear`. */
  upnAt(s: PlacedSchool, entryYear: number, rng: Rng): string {
    let estab = s.estab;
    if (s.phase === 'secondary') {
      // allocated when they started primary school: a primary of the same district
      const prim = this.primariesByDistrict.get(s.district);
      if (prim && prim.length > 0) estab = rng.pick(prim).estab;
    }
    return this.alloc.make(s.la, estab, entryYear, rng.chance(0.003));
  }

  /** UPN of a pupil arriving from another local authority. */
  upnFromElsewhere(entryYear: number, rng: Rng): string {
    let la: string;
    do la = String(rng.intBetween(201, 938));
    while (this.ownLas.has(la));
    return this.alloc.make(la, String(rng.intBetween(2000, 3999)), entryYear);
  }
}

/**
 * First census: every school filled to its planned year profile (with noise), pupils living in
 * its catchment. `emit` receives the pupils school by school, in the schools' (URN) order.
 */
export async function firstCensus(ctx: CensusContext, period: string, emit: (p: Pupil) => Promise<void> | void): Promise<void> {
  const y0 = Number(period.slice(0, 4));
  const rng = new Rng(ctx.seed).fork(`census-${period}`);
  for (const s of ctx.schools) {
    const c = ctx.catchment(s);
    for (const [ord, expected] of yearProfile(s)) {
      const n = Math.max(0, Math.round(expected * (1 + 0.06 * rng.normal())));
      const entry = y0 - Math.max(0, ord);
      const batch: Pupil[] = [];
      for (let k = 0; k < n; k++) {
        const home = drawHome(ctx.geo, c, rng);
        batch.push({ upn: ctx.upnAt(s, entry, rng), school: s.index, ord, home, fsm: ctx.fsm(home, rng) });
      }
      batch.sort((a, b) => (a.upn < b.upn ? -1 : a.upn > b.upn ? 1 : 0));
      for (const p of batch) {
        // awaited only when a flush is under way (a promise per pupil was a good part of the GC)
        const pending = emit(p);
        if (pending) await pending;
      }
    }
    if (!ctx.cache) ctx.release(s);
  }
}

function nearestWeighted(rng: Rng, cands: PlacedSchool[], x: number, y: number, lambda: number, exclude = -1): PlacedSchool | null {
  const list = cands.filter((s) => s.index !== exclude);
  if (list.length === 0) return null;
  const w = list.map((s) => Math.max(1, s.cohort) * Math.exp(-Math.sqrt(d2(x, y, s.x, s.y)) / lambda));
  return list[rng.weighted(w)]!;
}

/**
 * The next census from the previous one: pupils move up a year at the same school (a few change
 * school or leave), Year 6 go to a secondary near home, some Year 11 stay on for the sixth form,
 * Year 13 leave; new nursery/Reception children and in-year joiners get new UPNs. Returns pupils
 * in school (URN) order, by NC year then UPN within a school.
 */
export function nextCensus(ctx: CensusContext, prev: Pupil[], period: string): Pupil[] {
  const { geo, schools } = ctx;
  const y0 = Number(period.slice(0, 4));
  const rng = new Rng(ctx.seed).fork(`census-${period}`);
  const bySchool: Pupil[][] = schools.map(() => []);
  for (const p of prev) {
    const s = schools[p.school]!;
    const homePatch = geo.patches[geo.patchOf[p.home]!]!;
    let dest: PlacedSchool | null = s;
    const r = rng.next();
    if (s.phase === 'primary') {
      if (p.ord === 6) {
        if (r < 0.93) {
          const sec = ctx.secondariesByDistrict.get(s.district) ?? schools.filter((x) => x.phase === 'secondary' && x.county === s.county);
          dest = nearestWeighted(rng, sec, homePatch.x, homePatch.y, 5);
        } else if (r < 0.937) dest = nearestWeighted(rng, ctx.specialsByCounty.get(s.county) ?? [], homePatch.x, homePatch.y, 15);
        else dest = null;
      } else if (r < 0.02) dest = null;
      else if (r < 0.045 && p.ord >= 0) dest = nearestWeighted(rng, ctx.primariesByDistrict.get(s.district) ?? [], homePatch.x, homePatch.y, 2, s.index) ?? s;
    } else if (s.phase === 'secondary') {
      if (p.ord === 13) dest = null;
      else if (p.ord === 12) dest = r < 0.9 ? s : null;
      else if (p.ord === 11) dest = s.sixthForm && r < 0.55 ? s : null;
      else if (r < 0.025) dest = null;
    } else if (p.ord >= 14 || r < 0.03) dest = null;
    if (!dest) continue;
    let home = p.home;
    if (rng.chance(0.04)) home = drawHome(geo, ctx.catchment(dest), rng);
    const pP = geo.patches[geo.patchOf[home]!]!.fsmP;
    const fsm = p.fsm ? rng.chance(0.9) : rng.chance(pP * 0.12);
    bySchool[dest.index]!.push({ upn: p.upn, school: dest.index, ord: p.ord + 1, home, fsm });
  }
  // new intake and in-year joiners
  for (const s of schools) {
    const have = new Map<number, number>();
    for (const p of bySchool[s.index]!) have.set(p.ord, (have.get(p.ord) ?? 0) + 1);
    const c = ctx.catchment(s);
    const add = (ord: number, fromElsewhere: boolean) => {
      const home = drawHome(geo, c, rng);
      const upn = fromElsewhere ? ctx.upnFromElsewhere(y0 - Math.max(0, ord), rng) : ctx.alloc.make(s.la, s.estab, y0, rng.chance(0.003));
      bySchool[s.index]!.push({ upn, school: s.index, ord, home, fsm: ctx.fsm(home, rng) });
    };
    for (const [ord, expected] of yearProfile(s)) {
      const target = Math.max(0, Math.round(expected * (1 + 0.04 * rng.normal())));
      const short = Math.max(0, target - (have.get(ord) ?? 0));
      let n: number;
      let elsewhere = true;
      if (s.phase === 'primary' && ord <= 0) {
        n = short; // nursery and Reception intake: new UPNs from this school
        elsewhere = false;
      } else if (s.phase === 'special') n = Math.round(short * 0.5);
      else if (s.phase === 'secondary' && ord === 7) n = Math.round(short * 0.3);
      else n = Math.round(expected * 0.012 * rng.range(0.5, 1.5));
      for (let k = 0; k < n; k++) add(ord, elsewhere);
    }
  }
  const out: Pupil[] = [];
  for (const list of bySchool) {
    list.sort((a, b) => a.ord - b.ord || (a.upn < b.upn ? -1 : a.upn > b.upn ? 1 : 0));
    for (const p of list) out.push(p);
  }
  return out;
}
