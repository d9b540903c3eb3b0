/**
 * Curated zone: validated, typed, Hive-partitioned Parquet written by the ingest and classify
 * stages. Pupil-level tables hold pseudonyms only, never a UPN. Analysts' published tables are in
 * published.ts.
 */
import { z } from 'zod';
import { defineTable } from './columns.ts';
import { classificationEdition, IMD_EDITION_IDS } from './editions.ts';

/** National curriculum years as the census records them; X = not following the national curriculum. */
export const NCYEARS = ['N1', 'N2', 'R', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14', 'X'] as const;
export const CHANNELS = ['helpline', 'school_meeting', 'drop_in', 'email', 'other'] as const;
/** School phases; GIAS's "16 plus" and "Not applicable" (colleges, other establishments) are kept for the register. */
export const PHASES = ['primary', 'secondary', 'special', 'all_through', 'nursery', 'alternative_provision', 'sixteen_plus', 'not_applicable'] as const;
export const SCHOOL_STATUSES = ['open', 'closed', 'open_proposed_to_close', 'proposed_to_open'] as const;
export const MATCH_STATUSES = ['exact', 'terminated', 'sector', 'unmatched', 'invalid'] as const;
export type MatchStatus = (typeof MATCH_STATUSES)[number];
/** Coordinated admissions rounds: Reception (primary), junior transfer (Year 3) and secondary transfer (Year 7). */
export const ADMISSION_PHASES = ['primary', 'junior', 'secondary'] as const;
/** What an application was offered: its first preference, a later one, a school it did not name (allocated), or nothing. */
export const ADMISSION_OUTCOMES = ['first', 'other_preference', 'allocated', 'no_offer'] as const;
/** Most preferences an application can carry (schemas/inputs.ts ADMISSIONS_LAYOUT). */
export const PREFERENCE_COLUMNS = ['preference_1', 'preference_2', 'preference_3', 'preference_4', 'preference_5', 'preference_6'] as const;

const period = z.string().regex(/^\d{4}-\d{2}$/).describe('academic year, e.g. 2025-26 (September to August)');
const urn = z.string().regex(/^\d{6}$/).describe('school URN, 6 digits');
const postcode = z.string().nullable().describe('normalised postcode, e.g. "KT1 1AA"; null when blank or malformed');
const sector = z.string().nullable().describe('postcode sector, e.g. "KT1 1"; null when the postcode is invalid');

export const pupils = defineTable({
  name: 'pupils',
  zone: 'curated',
  description: 'School census pupils, one row per pupil per school; the UPN is replaced by a keyed pseudonym',
  schema: z.object({
    pupil_id: z.string().length(64).describe('HMAC-SHA256 pseudonym of the UPN, hex; keyed by a secret'),
    urn,
    ncyear: z.enum(NCYEARS).describe('national curriculum year'),
    fsm: z.boolean().describe('eligible for free school meals'),
    postcode,
    sector,
    period,
  }),
  partitions: ['period'],
});

export const contacts = defineTable({
  name: 'contacts',
  zone: 'curated',
  description: 'Choice Adviser service contacts; period is the academic year of contact_date',
  schema: z.object({
    contact_id: z.string().describe('service log reference'),
    contact_date: z.iso.date().describe('date of contact'),
    channel: z.enum(CHANNELS).describe('normalised contact channel'),
    postcode,
    sector,
    child_urn: urn.nullable().describe("URN of the child's school, when recorded"),
    child_ncyear: z.enum(NCYEARS).nullable().describe("child's NC year, when recorded"),
    period,
  }),
  partitions: ['period'],
});

export const schools = defineTable({
  name: 'schools',
  zone: 'curated',
  description: 'Schools for the period: the LA’s list, or the whole GIAS register (open and closed, every LA) that pupils’ LAESTABs resolve against',
  schema: z.object({
    urn,
    laestab: z.string().regex(/^\d{7}$/).nullable().describe('LA number + establishment number, e.g. 8862001; null when the file has none'),
    name: z.string().describe('school name'),
    phase: z.enum(PHASES).describe('normalised phase (special schools and pupil referral units from the GIAS establishment type)'),
    cluster: z.string().nullable().describe('LA cluster/locality (schools/clusters.csv or a chosen GIAS column); null when none is given'),
    postcode,
    sector,
    la_code: z.string().regex(/^\d{3}$/).nullable().describe('LA number, e.g. 886; null for an LA list without LAESTABs'),
    status: z.enum(SCHOOL_STATUSES).describe('GIAS establishment status; open for an LA list'),
    period,
  }),
  partitions: ['period'],
});

export const admissions = defineTable({
  name: 'admissions',
  zone: 'curated',
  description: 'Coordinated admissions applications with their ranked preferences and offer; the application reference and any UPN are replaced by keyed pseudonyms. period is the academic year of the round (applications and offers), the year before entry',
  schema: z.object({
    application_id: z.string().length(64).describe('HMAC-SHA256 pseudonym of the application reference (keyed like pupil_id, in its own domain)'),
    pupil_id: z.string().length(64).nullable().describe('pupil_id of the child when the export carries a UPN (links to the census), else null'),
    entry_year: z.int().describe('the September of entry, e.g. 2026'),
    phase: z.enum(ADMISSION_PHASES).describe('primary (Reception), junior (Year 3) or secondary (Year 7) round'),
    postcode,
    sector,
    ...(Object.fromEntries(PREFERENCE_COLUMNS.map((c, i) => [c, urn.nullable().describe(i === 0 ? 'URN of the first preference' : `URN of preference ${i + 1}; null when not named`)])) as Record<
      (typeof PREFERENCE_COLUMNS)[number],
      z.ZodNullable<typeof urn>
    >),
    preferences: z.int().describe('number of preferences named'),
    offered_urn: urn.nullable().describe('URN of the school offered; null when no offer was made'),
    offered_rank: z.int().nullable().describe('which preference was offered (1 = first); null when the offer was none of them or there was none'),
    on_time: z.boolean().describe('applied by the closing date'),
    period,
  }),
  partitions: ['period'],
});

export const postcodes = defineTable({
  name: 'postcodes',
  zone: 'curated',
  description: 'Postcode classification: one row per postcode (live and terminated)',
  schema: z.object({
    postcode: z.string().describe('normalised postcode'),
    sector: z.string().describe('postcode sector'),
    terminated: z.boolean().describe('postcode has been terminated (keeps its last classification)'),
    segment: z.string().nullable().describe('finest-level segment code (the OAC subgroup of the chosen edition, or a custom segment); null when unclassified'),
    ward: z.string().nullable().describe('electoral ward GSS code; null for pseudo codes'),
    lsoa: z.string().nullable().describe('LSOA code (2021 where the lookup has it, else 2011)'),
    laua: z.string().nullable().describe('local authority district GSS code'),
    country: z.string().nullable().describe('nation: E, W, S, N (L, M for the Channel Islands and the Isle of Man); from the country code, else the LSOA or LA code'),
    imd_rank: z.int().nullable().describe('IMD rank of the LSOA within its nation, 1 = most deprived'),
    imd_edition: z.enum(IMD_EDITION_IDS as [string, ...string[]]).nullable().describe('edition of the English indices the rank of an English postcode comes from (imd2010, imd2015, imd2019, imd2025)'),
    lat: z.number().nullable().describe('latitude'),
    long: z.number().nullable().describe('longitude'),
    vintage: z.string().describe('classification vintage, e.g. 2021-11'),
  }),
  partitions: ['vintage'],
});

export const segments = defineTable({
  name: 'segments',
  zone: 'curated',
  description: 'Segment dictionary: each finest-level segment with its group and supergroup',
  schema: z.object({
    subgroup_code: z.string().describe('finest-level code'),
    subgroup_name: z.string(),
    group_code: z.string(),
    group_name: z.string(),
    supergroup_code: z.string(),
    supergroup_name: z.string(),
    description: z.string().nullable().describe('pen portrait, when known'),
    classification: classificationEdition,
    vintage: z.string(),
  }),
  partitions: ['vintage'],
});

export const wards = defineTable({
  name: 'wards',
  zone: 'curated',
  description: 'Ward names (optional classification/wards.csv)',
  schema: z.object({
    ward: z.string().describe('ward GSS code'),
    ward_name: z.string(),
    vintage: z.string(),
  }),
  partitions: ['vintage'],
});

const enrichedColumns = {
  match_status: z.enum(MATCH_STATUSES).describe('exact | terminated | sector (imputed) | unmatched | invalid'),
  subgroup: z.string().nullable().describe('segment at the finest level; null when unclassified'),
  group_code: z.string().nullable(),
  supergroup: z.string().nullable(),
  ward: z.string().nullable().describe('ward of residence (null when sector-imputed or unmatched)'),
  lsoa: z.string().nullable(),
  imd_rank: z.int().nullable(),
  imd_decile: z.int().nullable().describe('English IMD decile, 1 = most deprived 10% of the edition’s LSOAs; null outside England or without a rank'),
};

export const enrichedPupils = defineTable({
  name: 'enriched_pupils',
  zone: 'curated',
  description: 'Pupils joined to the classification (pupil-level: never published)',
  schema: z.object({
    pupil_id: z.string(),
    urn,
    ncyear: z.enum(NCYEARS),
    fsm: z.boolean(),
    ...enrichedColumns,
    lat: z.number().nullable().describe('latitude of the home postcode (the lookup row the pupil matched, with or without a segment); null when none or it has no position'),
    long: z.number().nullable().describe('longitude of the home postcode, as lat'),
    period,
  }),
  partitions: ['period'],
});

export const enrichedContacts = defineTable({
  name: 'enriched_contacts',
  zone: 'curated',
  description: 'Contacts joined to the classification',
  schema: z.object({
    contact_id: z.string(),
    contact_date: z.iso.date(),
    channel: z.enum(CHANNELS),
    postcode,
    child_urn: urn.nullable(),
    child_ncyear: z.enum(NCYEARS).nullable(),
    ...enrichedColumns,
    period,
  }),
  partitions: ['period'],
});

export const enrichedAdmissions = defineTable({
  name: 'enriched_admissions',
  zone: 'curated',
  description: 'Applications joined to the classification (application-level: never published), with the nearest school of the phase, the distances to it and to the first preference, and whether the family contacted the Choice Advisers in the same cycle',
  schema: z.object({
    application_id: z.string(),
    entry_year: z.int(),
    phase: z.enum(ADMISSION_PHASES),
    on_time: z.boolean(),
    preferences: z.int(),
    offered_rank: z.int().nullable(),
    outcome: z.enum(ADMISSION_OUTCOMES).describe('first | other_preference | allocated (offered a school not named) | no_offer'),
    ...enrichedColumns,
    first_urn: urn.describe('first preference'),
    nearest_urn: urn.nullable().describe('nearest open school of the phase to the home postcode (straight line, postcode centroids); null when the home has no location'),
    first_km: z.number().nullable().describe('straight-line km from the home postcode to the first preference; null when either has no location'),
    nearest_km: z.number().nullable().describe('straight-line km to the nearest school of the phase'),
    first_is_nearest: z.boolean().nullable().describe('the first preference is the nearest school of the phase; null when the home has no location'),
    contacted: z.boolean().describe('a Choice Advisers contact in the same cycle (academic year) came from the same home postcode'),
    period,
  }),
  partitions: ['period'],
});

export const CURATED_TABLES = [pupils, contacts, schools, postcodes, segments, wards, enrichedPupils, enrichedContacts, admissions, enrichedAdmissions];
