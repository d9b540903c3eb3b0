/**
 * Input fingerprints of the stages after ingest, for the incremental run (stage-records.ts).
 *
 * A curated dataset is what ingest made from its input files: its fingerprint is a hash of the
 * files' sha256 and the settings ingest recorded for it (`curated/_sources/<dataset>.json`, written
 * by functions/ingest/ingest-stage.ts after each complete ingest). A dataset with neither a source
 * state nor any curated object is 'absent' (a county without a contact log); one with curated data
 * but no source state cannot be fingerprinted, and nothing depending on it is ever skipped.
 *
 * Each stage's fingerprint hashes its stage name and period, the running code
 * (codeFingerprint: a stage's output is a function of its inputs and the code), its settings, and
 * the fingerprints of what it reads:
 *
 *   classify-pupils(p)    pupils, classification
 *   classify-contacts(p)  contacts, classification
 *   profiles(p)           classify-pupils(p), schools, profile settings, renderer version
 *   fair-access(p)        classify-pupils(p), classify-contacts(p), schools, admissions, fair-access settings,
 *                         renderer version, and fair-access(q) of every earlier period q (the trend
 *                         compares each year with the one before)
 *   match-admissions(p)   admissions, schools, classification (each application's segment, ward
 *                         and nearest school: the costly part of enriched_admissions)
 *   enrich-admissions(p)  match-admissions(p), contacts (the contacted flag)
 *   admissions(ps)        admissions, schools, classification, contacts, for the run's periods
 *                         together (the trend compares entry years across them)
 *
 * Fingerprints are computed, never read back from a stage: every Lambda of a night derives the
 * same values from the lake and its settings.
 */
import { createHash } from 'node:crypto';
import { NotFoundError, type ObjectStore } from '../ports/object-store.ts';
import { codeFingerprint } from '../commons/version.ts';

export const SOURCE_DATASETS = ['classification', 'schools', 'pupils', 'contacts', 'admissions'] as const;
export type SourceDataset = (typeof SOURCE_DATASETS)[number];

/** Where ingest records what a curated dataset was made from (functions/ingest/ingest-stage.ts). */
export const sourceStateKey = (dataset: SourceDataset) => `curated/_sources/${dataset}.json`;

/** The curated folders a dataset fills (for telling 'absent' from 'not fingerprinted'). */
const CURATED_OF: Record<SourceDataset, string[]> = {
  classification: ['curated/postcodes/', 'curated/segments/'],
  schools: ['curated/schools/'],
  pupils: ['curated/pupils/'],
  contacts: ['curated/contacts/'],
  admissions: ['curated/admissions/'],
};

export const hashOf = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex');

interface SourceState {
  files?: { key: string; sha256: string }[];
  settings?: string;
}

/** A curated dataset's fingerprint: its input files' hashes and settings, 'absent', or null (unknown). */
export async function sourceFingerprint(lake: ObjectStore, dataset: SourceDataset): Promise<string | null> {
  let state: SourceState;
  try {
    state = JSON.parse(Buffer.from(await lake.get(sourceStateKey(dataset))).toString('utf8')) as SourceState;
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
    for (const prefix of CURATED_OF[dataset]) if ((await lake.list(prefix)).some((o) => o.key.endsWith('.parquet'))) return null;
    return 'absent';
  }
  if (!Array.isArray(state.files) || state.files.some((f) => typeof f?.sha256 !== 'string' || !f.sha256)) return null;
  const files = state.files.map((f) => [f.key, f.sha256]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
  return hashOf({ dataset, files, settings: state.settings ?? null });
}

export type Sources = Record<SourceDataset, string | null>;

export async function sourceFingerprints(lake: ObjectStore): Promise<Sources> {
  const out = {} as Sources;
  for (const d of SOURCE_DATASETS) out[d] = await sourceFingerprint(lake, d);
  return out;
}

/** The classify-pupils fingerprint of a period: what its curated enriched_pupils partition is made from. */
export function classifyPupilsFingerprint(sources: Sources, period: string): string | null {
  return stage('classify-pupils', period, { pupils: sources.pupils, classification: sources.classification });
}

/** The fingerprint of a stage's inputs, or null when any of them is unknown. */
function stage(name: string, period: string, inputs: Record<string, unknown>): string | null {
  if (Object.values(inputs).some((v) => v === null || v === undefined)) return null;
  return hashOf({ stage: name, period, code: codeFingerprint(), inputs });
}

/**
 * Every stage fingerprint of a run, from the lake's source states and the run's settings.
 * `profileSettings` / `fairAccessSettings`: whatever changes the outputs (LA name, base,
 * threshold, fair-access years...), as plain JSON; `renderer`: the PDF renderer version (a new one
 * re-renders the documents' PDFs, so their stages run again).
 */
export class Fingerprints {
  private readonly fa = new Map<string, string | null>();
  constructor(
    readonly sources: Sources,
    private readonly settings: { profiles: unknown; fairAccess: unknown; renderer: string },
  ) {}

  static async of(lake: ObjectStore, settings: { profiles: unknown; fairAccess: unknown; renderer: string }): Promise<Fingerprints> {
    return new Fingerprints(await sourceFingerprints(lake), settings);
  }

  classifyPupils(period: string): string | null {
    return classifyPupilsFingerprint(this.sources, period);
  }

  classifyContacts(period: string): string | null {
    return stage('classify-contacts', period, { contacts: this.sources.contacts, classification: this.sources.classification });
  }

  profiles(period: string): string | null {
    return stage('profiles', period, { pupils: this.classifyPupils(period), schools: this.sources.schools, settings: this.settings.profiles ?? {}, renderer: this.settings.renderer });
  }

  /** `periods`: every period of the run (the earlier ones feed this one's trend). */
  fairAccess(period: string, periods: readonly string[]): string | null {
    const earlier = [...new Set(periods)].filter((p) => p < period).sort();
    const key = `${period}|${earlier.join(',')}`;
    if (this.fa.has(key)) return this.fa.get(key)!;
    const before = earlier.map((q) => this.fairAccess(q, earlier));
    const fp = before.some((b) => b === null)
      ? null
      : stage('fair-access', period, {
          pupils: this.classifyPupils(period),
          contacts: this.classifyContacts(period),
          // The report carries the admissions section (functions/admissions): new admissions make it anew.
          admissions: this.sources.admissions,
          schools: this.sources.schools,
          settings: this.settings.fairAccess ?? {},
          renderer: this.settings.renderer,
          earlier: Object.fromEntries(earlier.map((q, i) => [q, before[i]])),
        });
    this.fa.set(key, fp);
    return fp;
  }

  /** What an enriched_admissions partition's matching (segment, ward, nearest school) is made from. */
  matchAdmissions(period: string): string | null {
    return stage('match-admissions', period, { admissions: this.sources.admissions, schools: this.sources.schools, classification: this.sources.classification });
  }

  /** What a whole enriched_admissions partition is made from: its matching and the contacts. */
  enrichAdmissions(period: string): string | null {
    return stage('enrich-admissions', period, { matched: this.matchAdmissions(period), contacts: this.sources.contacts });
  }

  /** The published admissions tables of a run's periods (made together: the trend spans them). */
  admissions(periods: readonly string[]): string | null {
    const ps = [...new Set(periods)].sort();
    const enriched = ps.map((p) => this.enrichAdmissions(p));
    return enriched.includes(null) ? null : stage('admissions', ps.join(','), { enriched });
  }
}
