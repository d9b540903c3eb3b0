/**
 * The LA's fair-access report document (`published/reports/<period>/fair-access.json`), rendered to
 * the Choice Advisers' PDF. Internal management information for the service (OFFICIAL-SENSITIVE;
 * docs/disclosure.md): the service already holds its own contact records, so counts are exact,
 * with no cosmetic suppression; the portal gives it to LA analysts only, and it is not for
 * publication or for heads.
 */
import { z } from 'zod';
import { classificationInfo } from './profile-document.ts';
import { admissionsSection, reportMap } from './admissions-document.ts';

export const HANDLING = 'OFFICIAL-SENSITIVE';

export const fairAccessRow = z.object({
  code: z.string(),
  name: z.string(),
  clients: z.number().int(),
  clientPct: z.number(),
  clientPctLow: z.number().nullable().describe('interval of clientPct at the level in `intervals`'),
  clientPctHigh: z.number().nullable(),
  base: z.number().int(),
  basePct: z.number(),
  penetration: z.number().nullable().describe('clients per 1,000 base pupils'),
  expected: z.number().nullable().describe('clients expected at the base share'),
  index: z.number().nullable(),
  ciLow: z.number().nullable().describe('interval of the index at the level in `intervals` (Bonferroni across the level)'),
  ciHigh: z.number().nullable(),
  z: z.number().nullable().describe('score statistic (descriptive)'),
  p: z.number().nullable().describe('two-sided p: exact binomial when expected < 10, score test otherwise'),
  pAdjusted: z.number().nullable().describe('Bonferroni across the segments of the level'),
  flag: z.enum(['under', 'over', 'ns']).nullable(),
});
export type FairAccessRow = z.infer<typeof fairAccessRow>;

const place = z.object({
  code: z.string().describe('ward GSS code or school URN'),
  name: z.string().nullable(),
  baseN: z.number().int().describe('base pupils in the under-represented segments'),
  expected: z.number().describe("clients expected from those pupils at each segment's own rate"),
  actual: z.number().int().describe('client families in those segments'),
  gap: z.number().describe('actual − expected (families)'),
  shortfallLow: z.number().describe('families not reached (expected − actual), 95% interval: expected minus the exact Poisson interval of the actual count; negative values mean more reached than expected'),
  shortfallHigh: z.number(),
  ratio: z.number().nullable().describe('actual / expected'),
  p: z.number().describe('two-sided exact Poisson p'),
  pAdjusted: z.number().describe('Bonferroni across the places of the table'),
  lower95: z.number(),
  upper95: z.number(),
  lowerAdjusted: z.number().describe('control limits at the family-wise level in placeTables'),
  upperAdjusted: z.number(),
  flag: z.enum(['below', 'above', 'within']).describe('outside the family-wise limits'),
});

const placeTable = z.object({
  adjustedLevel: z.number().describe('level of the adjusted limits: 1 − 0.05/m for m places'),
  notKnown: z.number().int().describe('clients in the under-represented segments who could not be placed'),
});

export const fairAccessDocument = z.object({
  period: z.string(),
  laName: z.string(),
  handling: z.literal(HANDLING).describe('Government Security Classification marking: internal to the service'),
  handlingNote: z.string(),
  classification: classificationInfo,
  base: z.object({ label: z.string(), ncyears: z.array(z.string()).nullable() }),
  clientRule: z.string().describe('how contacts become clients (families), in plain words, with its measured effect'),
  families: z.object({
    byPostcodeAndChild: z.number().int(),
    byPostcode: z.number().int().describe('families had contacts been deduplicated by postcode alone'),
    sharedPostcodes: z.number().int().describe('postcodes with more than one client family'),
  }),
  intervals: z.object({ supergroup: z.number(), group: z.number(), subgroup: z.number() }).describe('level of the index intervals at each level'),
  totals: z.object({ contacts: z.number().int(), clients: z.number().int(), classifiedClients: z.number().int(), base: z.number().int(), penetration: z.number().nullable() }),
  chiSquare: z.array(z.object({ level: z.string(), statistic: z.number(), df: z.number().int(), p: z.number().nullable(), mergedCells: z.number().int() })),
  segments: z.object({ supergroup: z.array(fairAccessRow), group: z.array(fairAccessRow), subgroup: z.array(fairAccessRow) }),
  underRepresented: z.object({ level: z.string(), segments: z.array(z.object({ code: z.string(), name: z.string() })) }),
  placeTables: z.object({ wards: placeTable, schools: placeTable }),
  wards: z.array(place).describe('ranked by the evidence of a shortfall (exact Poisson lower tail), strongest first'),
  schools: z.array(place),
  trend: z.array(
    z.object({
      level: z.string(),
      code: z.string(),
      name: z.string(),
      byYear: z.array(z.object({ period: z.string(), index: z.number().nullable() })),
      change: z.number().nullable(),
      p: z.number().nullable().describe('exact conditional test that the index is unchanged'),
      pAdjusted: z.number().nullable(),
      flag: z.enum(['rising', 'falling', 'ns']).nullable(),
    }),
  ),
  admissions: admissionsSection.optional().describe('who gets their first choice (added by the admissions stage when the LA supplies admissions)'),
  map: reportMap.optional().describe('where the wards are, for the report’s maps (added by the admissions stage)'),
});
export type FairAccessDocument = z.infer<typeof fairAccessDocument>;
