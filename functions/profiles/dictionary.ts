/** The segment hierarchy (subgroup -> group -> supergroup) with names, from the segments table. */
import type { LEVELS } from '../../schemas/published.ts';

export type Level = (typeof LEVELS)[number];
export const LEVEL_ORDER: Level[] = ['supergroup', 'group', 'subgroup'];

export interface SegmentEntry {
  subgroup: string;
  subgroupName: string;
  group: string;
  groupName: string;
  supergroup: string;
  supergroupName: string;
  description: string | null;
}

export class Dictionary {
  private bySubgroup = new Map<string, SegmentEntry>();
  private names: Record<Level, Map<string, string>> = { supergroup: new Map(), group: new Map(), subgroup: new Map() };
  /** Codes at each level in dictionary order. */
  readonly codes: Record<Level, string[]> = { supergroup: [], group: [], subgroup: [] };
  /** Parent code by level and code (a map per level: no key string made per lookup). */
  private parents: Record<Level, Map<string, string>> = { supergroup: new Map(), group: new Map(), subgroup: new Map() };

  /** The entries it was made from (to make the same dictionary in another thread). */
  constructor(readonly entries: SegmentEntry[]) {
    for (const e of [...entries].sort((a, b) => a.subgroup.localeCompare(b.subgroup))) {
      this.bySubgroup.set(e.subgroup, e);
      const add = (level: Level, code: string, name: string) => {
        if (!this.names[level].has(code)) {
          this.names[level].set(code, name);
          this.codes[level].push(code);
        }
      };
      add('supergroup', e.supergroup, e.supergroupName);
      add('group', e.group, e.groupName);
      add('subgroup', e.subgroup, e.subgroupName);
      this.parents.group.set(e.group, e.supergroup);
      this.parents.subgroup.set(e.subgroup, e.group);
    }
  }

  /** The code at `level` of a finest-level segment. */
  at(subgroup: string, level: Level): string | null {
    const e = this.bySubgroup.get(subgroup);
    if (!e) return null;
    return level === 'subgroup' ? e.subgroup : level === 'group' ? e.group : e.supergroup;
  }

  name(level: Level, code: string): string {
    return this.names[level].get(code) ?? code;
  }

  description(subgroup: string): string | null {
    return this.bySubgroup.get(subgroup)?.description ?? null;
  }

  /** Parent code one level up (group -> supergroup, subgroup -> group). */
  parent(level: Level, code: string): string | null {
    return this.parents[level]?.get(code) ?? null;
  }
}
