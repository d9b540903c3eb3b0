/**
 * The fair-access report's admissions section ("Who gets their first choice") and the geography of
 * its maps: added to the LA's fair-access document (schemas/fair-access-document.ts) by the
 * admissions stage (functions/admissions/admissions-stage.ts). Internal management information
 * like the rest of the report: exact counts.
 */
import { z } from 'zod';

const flag = z.enum(['higher', 'lower', 'ns']);

export const rate = z.object({
  x: z.number().int(),
  n: z.number().int(),
  rate: z.number().nullable(),
  ciLow: z.number().nullable().describe('Clopper–Pearson interval at the round’s interval level'),
  ciHigh: z.number().nullable(),
  pAdjusted: z.number().nullable().describe('exact binomial test against the LA rate, Bonferroni across the level'),
  flag: flag.nullable(),
});
export type RateCell = z.infer<typeof rate>;

export const rates = z.object({
  first_preference: rate,
  any_preference: rate,
  no_preference: rate,
  one_preference: rate,
  nearest_first: rate,
});

const described = {
  applications: z.number().int(),
  onTime: z.number().int(),
  meanPreferences: z.number().nullable(),
  meanFirstKm: z.number().nullable(),
  meanNearestKm: z.number().nullable(),
  rates,
};

const compare = z.object({ x: z.number().int(), n: z.number().int() });

export const admissionsRound = z.object({
  phase: z.enum(['primary', 'junior', 'secondary']),
  entryYear: z.number().int(),
  totals: z.object({ applications: z.number().int(), onTime: z.number().int(), late: z.number().int(), unclassified: z.number().int() }),
  la: z.object(described),
  intervalLevel: z.number().describe('level of the supergroups’ intervals: 1 − 0.05/m'),
  supergroups: z.array(z.object({ code: z.string(), name: z.string(), ...described })),
  groups: z.array(z.object({ code: z.string(), name: z.string(), onTime: z.number().int(), first: rate })).describe('first preference offered, by group'),
  contacted: z
    .object({
      supergroups: z.array(z.object({ code: z.string(), name: z.string(), contacted: compare, other: compare, pAdjusted: z.number().nullable(), flag: flag.nullable() })),
      within: z.object({ contacted: compare, other: compare, expected: z.number().nullable(), p: z.number().nullable(), flag: flag.nullable() }).describe('stratified exact test across supergroups'),
      crude: z.object({ contacted: compare, other: compare, expected: z.number().nullable(), p: z.number().nullable(), flag: flag.nullable() }).describe('all families, types ignored'),
    })
    .nullable()
    .describe('first preference offered, contacted against not-contacted families; null when no application matched a contact'),
  trend: z.array(
    z.object({
      code: z.string(),
      name: z.string(),
      byYear: z.array(z.object({ entryYear: z.number().int(), rate: z.number().nullable() })),
      change: z.number().nullable(),
      pAdjusted: z.number().nullable(),
      flag: z.enum(['rising', 'falling', 'ns']).nullable(),
    }),
  ),
  wards: z
    .array(
      z.object({
        code: z.string(),
        name: z.string().nullable(),
        onTime: z.number().int(),
        first: z.number().int(),
        missed: z.number().int(),
        rate: z.number().nullable(),
        pAdjusted: z.number().nullable(),
        flag: flag.nullable(),
      }),
    )
    .describe('ranked lowest rate first by the evidence (adjusted p), then by missed first preferences'),
});
export type AdmissionsRound = z.infer<typeof admissionsRound>;

export const admissionsSection = z.object({
  classification: z.string(),
  rounds: z.array(admissionsRound).describe('secondary first: the rounds decided in the report’s academic year'),
});
export type AdmissionsSection = z.infer<typeof admissionsSection>;

/** Where places are on the report's maps: projected metres (schemas/sql/maps.ts). */
export const reportMap = z.object({
  projection: z.object({ lat0: z.number(), lon0: z.number() }),
  extent: z.object({ x0: z.number(), y0: z.number(), x1: z.number(), y1: z.number() }),
  background: z.array(z.tuple([z.number(), z.number(), z.number()])).describe('populated squares [x, y, side] (metres), from postcodes alone'),
  wards: z.array(z.object({ code: z.string(), x: z.number(), y: z.number() })).describe('ward centroids'),
});
export type ReportMap = z.infer<typeof reportMap>;
