/**
 * The schools register as ingest needs it: LAESTAB -> URN (a closed predecessor and an open school
 * may share a LAESTAB: the open one wins, then the newer URN, URNs being issued in order) and each
 * URN's LA. Built from the schools file, kept beside the curated table so a later run that skips
 * unchanged schools still resolves pupils' LAESTABs.
 */
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
