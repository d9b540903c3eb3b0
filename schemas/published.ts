/** Published zone: aggregate tables for analysts (no pupil-level rows), Hive-partitioned by period. */
import { z } from 'zod';
import { defineTable } from './columns.ts';
import { classificationEdition, IMD_EDITION_IDS } from './editions.ts';

export const LEVELS = ['supergroup', 'group', 'subgroup'] as const;
const period = z.string().describe('academic year, e.g. 2025-26');
/** Which classification the segment codes belong to: "2B1" means different neighbourhoods in OAC 2011 and 2021. */
const classification = classificationEdition;

export const schoolSegmentCounts = defineTable({
  name: 'school_segment_counts',
  zone: 'published',
  description: 'Pupils per school per segment at each level of the classification (classified pupils only)',
  schema: z.object({
    urn: z.string().describe('school URN'),
    level: z.enum(LEVELS).describe('supergroup | group | subgroup'),
    segment: z.string().describe('segment code at that level'),
    n: z.int().meta({ sqlType: 'bigint' }).describe('pupils'),
    classification,
    period,
  }),
  partitions: ['period'],
});

export const matchSummary = defineTable({
  name: 'match_summary',
  zone: 'published',
  description: 'Postcode match status counts per school and for the whole LA (scope = la, urn = null)',
  schema: z.object({
    scope: z.enum(['school', 'la']).describe('school, or la for the whole authority'),
    urn: z.string().nullable().describe('school URN; null for the LA row'),
    pupils: z.int().meta({ sqlType: 'bigint' }).describe('pupils'),
    exact: z.int().meta({ sqlType: 'bigint' }),
    terminated: z.int().meta({ sqlType: 'bigint' }),
    sector: z.int().meta({ sqlType: 'bigint' }).describe('imputed from the modal segment of the postcode sector'),
    unmatched: z.int().meta({ sqlType: 'bigint' }),
    invalid: z.int().meta({ sqlType: 'bigint' }),
    match_rate: z.number().describe('share of pupils with a unit-postcode match (exact or terminated), 0..1'),
    period,
  }),
  partitions: ['period'],
});


const count = () => z.int().meta({ sqlType: 'bigint' });
const measureColumns = {
  n: count().describe('target count O'),
  pct: z.number().nullable().describe('100·O/n, % of the target'),
  base_n: count().describe('base count B'),
  base_pct: z.number().nullable().describe('100·B/N, % of the base'),
  penetration: z.number().nullable().describe('100·O/B'),
  index: z.number().nullable().describe('100·(O/n)/(B/N); 100 = same share as the base'),
  ci_low: z.number().nullable().describe('interval of the index at level ci_level: Clopper–Pearson when expected < 10, Wilson otherwise, divided by the base share'),
  ci_high: z.number().nullable(),
  ci_level: z.number().describe('1 − 0.05/m for the m segments of the level with a base (Bonferroni)'),
  z: z.number().nullable().describe('(t − b)/√(b(1−b)/n), the score statistic'),
  p: z.number().nullable().describe('two-sided p: exact binomial when expected < 10, score test otherwise'),
  p_adjusted: z.number().nullable().describe('Bonferroni: min(1, m·p)'),
  flag: z.enum(['over', 'under', 'ns']).nullable().describe('p_adjusted < 0.05 (the interval excludes 100) above or below, else ns'),
  reliable: z.boolean().describe('expected count ≥ 5 and n ≥ 30'),
};

export const schoolProfile = defineTable({
  name: 'school_profile',
  zone: 'published',
  description: 'Each school against its base (the LA by default) per segment at each level; classified pupils only',
  schema: z.object({
    urn: z.string(),
    level: z.enum(LEVELS),
    segment: z.string(),
    segment_name: z.string(),
    ...measureColumns,
    base: z.string().describe('what the school is compared with: la, cluster:<name> or phase:<phase>'),
    classification,
    period,
  }),
  partitions: ['period'],
});

export const headProfile = defineTable({
  name: 'head_profile',
  zone: 'published',
  description: 'What each head sees, as printed: shown counts (rounded to 5, c for 1 to 4) and the statistics worked out from them; the same numbers as the profile documents and PDFs',
  schema: z.object({
    urn: z.string(),
    level: z.enum(LEVELS),
    segment: z.string(),
    segment_name: z.string(),
    n_shown: z.string().describe("the count as shown: a multiple of 5 (10 where rounded_to = 10), '0', or 'c'"),
    rounded_to: z.int().describe('5, or 10 where the disclosure audit widened the rounding'),
    pct: z.number().nullable(),
    base_pct: z.number(),
    index: z.number().nullable(),
    ci_low: z.number().nullable(),
    ci_high: z.number().nullable(),
    flag: z.enum(['over', 'under', 'ns']).nullable(),
    reliable: z.boolean(),
    classification,
    period,
  }),
  partitions: ['period'],
});

export const clusterProfile = defineTable({
  name: 'cluster_profile',
  zone: 'published',
  description: 'Each cluster against the LA per segment at each level',
  schema: z.object({
    cluster: z.string(),
    level: z.enum(LEVELS),
    segment: z.string(),
    segment_name: z.string(),
    ...measureColumns,
    classification,
    period,
  }),
  partitions: ['period'],
});

export const schoolContext = defineTable({
  name: 'school_context',
  zone: 'published',
  description: 'What sits beside the segments: pupils, FSM, match status, English IMD decile mix, classification vintage and editions',
  schema: z.object({
    urn: z.string(),
    name: z.string().nullable(),
    phase: z.string().nullable(),
    cluster: z.string().nullable(),
    pupils: count(),
    classified: count(),
    unclassified: count().describe('invalid or unmatched postcodes; never in the index'),
    fsm_n: count(),
    fsm_pct: z.number().nullable(),
    exact: count(),
    terminated: count(),
    sector: count(),
    unmatched: count(),
    invalid: count(),
    sector_share: z.number().nullable().describe('share of pupils whose segment is imputed from the postcode sector'),
    ...Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`imd_decile_${i + 1}`, count().describe(`pupils in English IMD decile ${i + 1} (1 = most deprived)`)])),
    imd_unknown: count().describe('pupils without an English decile (no rank, or a postcode in Wales, Scotland or Northern Ireland)'),
    vintage: z.string().nullable().describe('classification vintage (the NSPL release, yyyy-mm)'),
    classification,
    imd_edition: z.enum(IMD_EDITION_IDS as [string, ...string[]]).nullable().describe('edition of the English indices behind the deciles (imd2019: 32,844 LSOAs; imd2025: 33,755)'),
    period,
  }),
  partitions: ['period'],
});

export const similarSchools = defineTable({
  name: 'similar_schools',
  zone: 'published',
  description: 'For each school the most similar schools of the same phase by subgroup mix (Jensen-Shannon on the shown counts, as in the profiles), with distance',
  schema: z.object({
    urn: z.string(),
    rank: z.int(),
    similar_urn: z.string(),
    similarity: z.number().describe('1 − Jensen-Shannon distance (base 2) of the shown subgroup mixes, 0..1'),
    distance_km: z.number().nullable().describe('great-circle distance between the schools’ postcodes'),
    classification,
    period,
  }),
  partitions: ['period'],
});

export const clusterVariation = defineTable({
  name: 'cluster_variation',
  zone: 'published',
  description: 'For each cluster and supergroup, the spread of the supergroup’s share across the cluster’s schools (from their shown counts, as in the profiles)',
  schema: z.object({
    cluster: z.string(),
    segment: z.string(),
    segment_name: z.string(),
    schools: z.int(),
    min_pct: z.number(),
    median_pct: z.number(),
    max_pct: z.number(),
    classification,
    period,
  }),
  partitions: ['period'],
});

export const fairAccess = defineTable({
  name: 'fair_access',
  zone: 'published',
  description: 'Choice Adviser clients (families: postcode and child) against the base pupils per segment',
  schema: z.object({
    level: z.enum(LEVELS),
    segment: z.string(),
    segment_name: z.string(),
    clients: count(),
    client_pct: z.number().nullable(),
    client_pct_low: z.number().nullable().describe('interval of client_pct at level ci_level (the index interval times the base share)'),
    client_pct_high: z.number().nullable(),
    base: count(),
    base_pct: z.number().nullable(),
    penetration: z.number().nullable().describe('clients per 1,000 base pupils'),
    expected: z.number().nullable().describe('clients expected at the base share'),
    index: z.number().nullable(),
    ci_low: z.number().nullable(),
    ci_high: z.number().nullable(),
    ci_level: z.number().describe('1 − 0.05/m for the m segments of the level with a base'),
    z: z.number().nullable().describe('score statistic'),
    p: z.number().nullable().describe('two-sided p: exact binomial when expected < 10, score test otherwise'),
    p_adjusted: z.number().nullable().describe('Bonferroni across the segments of the level'),
    flag: z.enum(['under', 'over', 'ns']).nullable(),
    classification,
    period,
  }),
  partitions: ['period'],
});

export const fairAccessTests = defineTable({
  name: 'fair_access_tests',
  zone: 'published',
  description: 'Chi-square goodness of fit of the whole client profile against the base, per level',
  schema: z.object({
    level: z.enum(LEVELS),
    statistic: z.number(),
    df: z.int(),
    p: z.number().nullable(),
    merged_cells: z.int().describe('cells merged because their expected count was below 5'),
    clients: count(),
    period,
  }),
  partitions: ['period'],
});

const placeColumns = {
  base_n: count().describe('base pupils in the under-represented segments'),
  expected: z.number().describe("Σ base pupils × each segment's own rate (placed clients / placed base pupils)"),
  actual: count().describe('client families from those segments'),
  gap: z.number().describe('actual − expected'),
  ratio: z.number().nullable().describe('actual / expected'),
  p_lower: z.number().describe('P(X ≤ actual), X ~ Poisson(expected): the ranking key'),
  p: z.number().describe('two-sided exact Poisson p'),
  p_adjusted: z.number().describe('Bonferroni across the places of the table'),
  lower_95: z.number().describe('exact Poisson control limits at 95%'),
  upper_95: z.number(),
  lower_adjusted: z.number().describe('exact Poisson control limits at 1 − 0.05/m for the m places'),
  upper_adjusted: z.number(),
  flag: z.enum(['below', 'above', 'within']).describe('outside the adjusted limits'),
  rank: z.int().describe('1 = strongest evidence of a shortfall'),
};

export const fairAccessByWard = defineTable({
  name: 'fair_access_by_ward',
  zone: 'published',
  description: 'Under-represented segments by ward of residence: expected and actual clients, funnel limits',
  schema: z.object({ ward: z.string(), ward_name: z.string().nullable(), ...placeColumns, period }),
  partitions: ['period'],
});

export const fairAccessBySchool = defineTable({
  name: 'fair_access_by_school',
  zone: 'published',
  description: 'Under-represented segments by school attended: expected and actual clients, funnel limits',
  schema: z.object({ urn: z.string(), school_name: z.string().nullable(), ...placeColumns, period }),
  partitions: ['period'],
});

export const fairAccessTrend = defineTable({
  name: 'fair_access_trend',
  zone: 'published',
  description: 'Index per segment by academic year, the change from the previous year and the exact test of that change',
  schema: z.object({
    level: z.enum(LEVELS),
    segment: z.string(),
    segment_name: z.string(),
    previous_period: z.string().nullable(),
    index: z.number().nullable(),
    previous_index: z.number().nullable(),
    change: z.number().nullable().describe('index − previous_index'),
    client_pct: z.number().nullable(),
    previous_client_pct: z.number().nullable(),
    p: z.number().nullable().describe('exact conditional test that the index (clients / expected) is unchanged'),
    p_adjusted: z.number().nullable().describe('Bonferroni across the segments of the level'),
    flag: z.enum(['rising', 'falling', 'ns']).nullable(),
    classification,
    period,
  }),
  partitions: ['period'],
});

const admissionPhase = z.enum(['primary', 'junior', 'secondary']).describe('round: primary (Reception), junior (Year 3) or secondary (Year 7)');
const admissionMeasure = z
  .enum(['first_preference', 'any_preference', 'no_preference', 'one_preference', 'nearest_first'])
  .describe('first_preference: offered their first preference; any_preference: offered one of their preferences; no_preference: offered none of them (allocated or no offer); one_preference: named only one; nearest_first: named their nearest school of the phase first (over applications whose home and nearest school are located)');
const segmentLevel = z.enum(['la', 'supergroup', 'group']).describe('la (segment = all), supergroup or group');

export const admissionsRates = defineTable({
  name: 'admissions_rates',
  zone: 'published',
  description: 'Admissions outcomes by neighbourhood type: each rate over on-time applications with its exact interval and the exact test against the LA rate (Bonferroni across the segments of the level)',
  schema: z.object({
    entry_year: z.int().describe('September of entry'),
    phase: admissionPhase,
    level: segmentLevel,
    segment: z.string(),
    segment_name: z.string(),
    measure: admissionMeasure,
    n: count().describe('on-time applications (for nearest_first: those located)'),
    x: count().describe('applications with the outcome'),
    rate: z.number().nullable().describe('x / n'),
    ci_low: z.number().nullable().describe('Clopper–Pearson interval of the rate at ci_level'),
    ci_high: z.number().nullable(),
    ci_level: z.number().describe('1 − 0.05/m for the m segments of the level with applications (0.95 for the LA row)'),
    la_rate: z.number().nullable().describe('the rate over all on-time applications of the round'),
    difference: z.number().nullable().describe('rate − la_rate'),
    p: z.number().nullable().describe('exact binomial test of x against Binomial(n, la_rate), doubled tails; null for the LA row'),
    p_adjusted: z.number().nullable().describe('Bonferroni: min(1, m·p)'),
    flag: z.enum(['higher', 'lower', 'ns']).nullable().describe('p_adjusted < 0.05 (the interval excludes la_rate) above or below, else ns'),
    classification,
    period,
  }),
  partitions: ['period'],
});

export const admissionsSegments = defineTable({
  name: 'admissions_segments',
  zone: 'published',
  description: 'Applications by neighbourhood type: counts, preferences named and mean straight-line distances to the first preference and to the nearest school of the phase',
  schema: z.object({
    entry_year: z.int(),
    phase: admissionPhase,
    level: z.enum(['la', 'supergroup', 'group', 'unclassified']).describe('la, supergroup, group, or unclassified (no usable postcode)'),
    segment: z.string(),
    segment_name: z.string(),
    applications: count(),
    on_time: count(),
    late: count(),
    mean_preferences: z.number().nullable().describe('preferences named per on-time application'),
    distance_n: count().describe('on-time applications whose home, first preference and nearest school are all located'),
    mean_first_km: z.number().nullable().describe('mean straight-line km from home to the first preference'),
    mean_nearest_km: z.number().nullable().describe('mean straight-line km from home to the nearest school of the phase'),
    classification,
    period,
  }),
  partitions: ['period'],
});

export const admissionsTrend = defineTable({
  name: 'admissions_trend',
  zone: 'published',
  description: 'Admissions rates by entry year: the change from the previous entry year and Fisher’s exact test of it (Bonferroni across the segments of the level)',
  schema: z.object({
    phase: admissionPhase,
    level: segmentLevel,
    segment: z.string(),
    segment_name: z.string(),
    measure: admissionMeasure,
    entry_year: z.int(),
    previous_entry_year: z.int().nullable(),
    rate: z.number().nullable(),
    previous_rate: z.number().nullable(),
    change: z.number().nullable().describe('rate − previous_rate'),
    p: z.number().nullable().describe('Fisher’s exact test, doubled tails'),
    p_adjusted: z.number().nullable(),
    flag: z.enum(['rising', 'falling', 'ns']).nullable(),
    classification,
    period,
  }),
  partitions: ['period'],
});

export const admissionsContacted = defineTable({
  name: 'admissions_contacted',
  zone: 'published',
  description: 'Families who contacted the Choice Advisers in the same cycle (home postcode matched) against those who did not: within each supergroup (Fisher, Bonferroni across supergroups), within supergroups overall (stratified exact test) and crude',
  schema: z.object({
    entry_year: z.int(),
    phase: admissionPhase,
    level: z.enum(['supergroup', 'within', 'crude']).describe('supergroup; within: all supergroups, compared within each (stratified); crude: all families, types ignored'),
    segment: z.string(),
    segment_name: z.string(),
    measure: admissionMeasure,
    contacted_n: count(),
    contacted_x: count(),
    contacted_rate: z.number().nullable(),
    other_n: count(),
    other_x: count(),
    other_rate: z.number().nullable(),
    expected_x: z.number().nullable().describe('contacted_x expected had they fared as the other families (of the same types, for within)'),
    p: z.number().nullable().describe('doubled exact p: Fisher, or the stratified exact test for within'),
    p_adjusted: z.number().nullable(),
    flag: z.enum(['higher', 'lower', 'ns']).nullable().describe('contacted families’ rate higher or lower at the family-wise 5% level'),
    classification,
    period,
  }),
  partitions: ['period'],
});

export const admissionsByWard = defineTable({
  name: 'admissions_by_ward',
  zone: 'published',
  description: 'Where first preferences are missed: on-time applications by ward of residence, the share offered their first preference against the LA’s (exact binomial, Bonferroni across wards)',
  schema: z.object({
    entry_year: z.int(),
    phase: admissionPhase,
    ward: z.string(),
    ward_name: z.string().nullable(),
    on_time: count(),
    first_pref: count(),
    missed: count().describe('on-time applications not offered their first preference'),
    rate: z.number().nullable(),
    la_rate: z.number().nullable(),
    expected_missed: z.number().describe('missed first preferences expected at the LA rate'),
    p: z.number().nullable(),
    p_adjusted: z.number().nullable(),
    flag: z.enum(['higher', 'lower', 'ns']).nullable(),
    period,
  }),
  partitions: ['period'],
});

export const ADMISSIONS_TABLES = [admissionsRates, admissionsSegments, admissionsTrend, admissionsContacted, admissionsByWard];

export const ANALYSIS_TABLES = [schoolProfile, headProfile, clusterProfile, schoolContext, similarSchools, clusterVariation, fairAccess, fairAccessTests, fairAccessByWard, fairAccessBySchool, fairAccessTrend];

/** Every published table, in publish order. */
export const PUBLISHED_TABLES = [schoolSegmentCounts, matchSummary, ...ANALYSIS_TABLES, ...ADMISSIONS_TABLES];
