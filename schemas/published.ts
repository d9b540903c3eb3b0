/** Published zone: aggregate tables for analysts (no pupil-level rows), Hive-partitioned by period. */
import { z } from 'zod';
import { defineTable } from './columns.ts';

export const LEVELS = ['supergroup', 'group', 'subgroup'] as const;
const period = z.string().describe('academic year, e.g. 2025-26');

export const schoolSegmentCounts = defineTable({
  name: 'school_segment_counts',
  zone: 'published',
  description: 'Pupils per school per segment at each level of the classification (classified pupils only)',
  schema: z.object({
    urn: z.string().describe('school URN'),
    level: z.enum(LEVELS).describe('supergroup | group | subgroup'),
    segment: z.string().describe('segment code at that level'),
    n: z.int().meta({ sqlType: 'bigint' }).describe('pupils'),
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

export const PUBLISHED_TABLES = [schoolSegmentCounts, matchSummary];
