/**
 * The schools register as ingest needs it: LAESTAB -> URN (a closed predecessor and an open school
 * may share a LAESTAB: the open one wins, then the newer URN, URNs being issued in order) and each
 * URN's LA. Built from the schools file, kept beside the curated table so a later run that skips
 * unchanged schools still resolves pupils' LAESTABs.
 */
import { isRejection, parsePhase, reject, type Phase, type Rejection } from '../domain/fields.ts';
import { SCHOOL_STATUSES } from '../../schemas/curated.ts';

export type SchoolStatus = (typeof SCHOOL_STATUSES)[number];

const STATUS_RANK: Record<SchoolStatus, number> = { open: 3, open_proposed_to_close: 2, proposed_to_open: 1, closed: 0 };

export class SchoolRegister {
  private byLaestab = new Map<string, { urn: string; rank: number }>();
  private laByUrn = new Map<string, string>();

  add(urn: string, laestab: string | null, la: string | null, status: SchoolStatus): void {
    if (la) this.laByUrn.set(urn, la);
    if (!laestab) return;
    const rank = STATUS_RANK[status];
    const had = this.byLaestab.get(laestab);
    if (!had || rank > had.rank || (rank === had.rank && urn > had.urn)) this.byLaestab.set(laestab, { urn, rank });
  }

  urnOf(laestab: string): string | null {
    return this.byLaestab.get(laestab)?.urn ?? null;
  }

  laOf(urn: string): string | null {
    return this.laByUrn.get(urn) ?? null;
  }

  get size(): number {
    return this.laByUrn.size;
  }

  get hasLaestabs(): boolean {
    return this.byLaestab.size > 0;
  }

  toJSON(): { laestab: Record<string, [string, number]>; la: Record<string, string> } {
    return {
      laestab: Object.fromEntries([...this.byLaestab].map(([k, v]) => [k, [v.urn, v.rank]])),
      la: Object.fromEntries(this.laByUrn),
    };
  }

  static fromJSON(j: ReturnType<SchoolRegister['toJSON']>): SchoolRegister {
    const r = new SchoolRegister();
    for (const [k, [urn, rank]] of Object.entries(j.laestab)) r.byLaestab.set(k, { urn, rank });
    for (const [urn, la] of Object.entries(j.la)) r.laByUrn.set(urn, la);
    return r;
  }
}

/** A 7-digit LAESTAB (LA number + establishment number), written 8862001, 886/2001 or 886-2001. */
export function parseLaestab(raw: string): string | Rejection {
  const v = raw.trim();
  const m = /^(\d{3})\s*[/\-\s]?\s*(\d{4})$/.exec(v);
  return m ? m[1]! + m[2]! : reject('invalid_laestab', 'LAESTAB must be 7 digits: the 3-digit LA number and 4-digit establishment number');
}

const STATUS_WORDS: [RegExp, SchoolStatus][] = [
  [/^open,? but proposed to close$/, 'open_proposed_to_close'],
  [/^proposed to open$/, 'proposed_to_open'],
  [/^open$/, 'open'],
  [/^closed$/, 'closed'],
];

/** GIAS `EstablishmentStatus (name)`. */
export function parseStatus(raw: string): SchoolStatus | Rejection {
  const v = raw.trim().toLowerCase();
  for (const [re, s] of STATUS_WORDS) if (re.test(v)) return s;
  return reject('invalid_status', 'establishment status must be Open, Closed, Open but proposed to close or Proposed to open');
}

const GIAS_PHASES: [RegExp, Phase][] = [
  [/^nursery$/, 'nursery'],
  [/^(primary|middle deemed primary)$/, 'primary'],
  [/^(secondary|middle deemed secondary)$/, 'secondary'],
  [/^16 plus$/, 'sixteen_plus'],
  [/^all[ -]through$/, 'all_through'],
  [/^not applicable$/, 'not_applicable'],
];

/**
 * Phase from GIAS: its `TypeOfEstablishment (name)` marks special schools and pupil referral units
 * or alternative provision (whose phase GIAS often gives as Not applicable); otherwise
 * `PhaseOfEducation (name)`.
 */
export function parseGiasPhase(phase: string, type: string): Phase | Rejection {
  const t = type.trim().toLowerCase();
  if (/\bspecial\b/.test(t)) return 'special';
  if (/pupil referral unit|alternative provision/.test(t)) return 'alternative_provision';
  const v = phase.trim().toLowerCase();
  for (const [re, p] of GIAS_PHASES) if (re.test(v)) return p;
  const own = parsePhase(phase);
  return isRejection(own) ? reject('invalid_phase', 'PhaseOfEducation must be one of the GIAS phases (Nursery, Primary, Middle deemed primary, Secondary, Middle deemed secondary, 16 plus, All-through, Not applicable)') : own;
}
