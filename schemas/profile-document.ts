/**
 * The per-school profile document (`published/profiles/<period>/<urn>.json`): what a head teacher
 * sees, and what the PDF stage renders. Disclosure control (docs/disclosure.md): every count is
 * shown rounded to the nearest 5, or as "c" when it is 1 to 4 (or part of a count shown as c), or
 * 0 for none; every percentage, index, interval and flag is worked out from the shown counts, and
 * everything about other schools (the base, the cluster's range, similar schools) from their shown
 * counts too, so a document says no more than its shown counts.
 */
import { z } from 'zod';
import { classificationEdition } from './editions.ts';

/** Which classification and deprivation index a document's segments and deciles come from. */
export const classificationInfo = z.object({
  name: z.string().describe('e.g. ONS Output Area Classification 2021'),
  vintage: z.string().describe('release of the postcode lookup, yyyy-mm, or unspecified'),
  edition: classificationEdition,
  imd: z.string().nullable().describe('edition of the English indices of deprivation behind the deciles, e.g. English Indices of Deprivation 2025; null without ranks'),
});
export type ClassificationInfo = z.infer<typeof classificationInfo>;

/** A shown count: the rounded number, or "c" (fewer than the threshold; see `disclosure`). */
export const cell = z.union([z.number().int().nonnegative(), z.literal('c')]);
export type Cell = z.infer<typeof cell>;

export const flag = z.enum(['over', 'under', 'ns']);

export const segmentRow = z.object({
  code: z.string(),
  name: z.string(),
  description: z.string().nullable().describe('plain-English pen portrait, when the classification has one'),
  parent: z.string().nullable().describe('code of the segment one level up (null for a supergroup): this row is part of it'),
  n: cell.describe("the school's pupils in this segment, as shown"),
  pct: z.number().nullable().describe('% of the school’s classified pupils, from the shown counts (null when n is c)'),
  basePct: z.number().describe('% of the base (the LA by default), from the base schools’ shown counts'),
  index: z.number().nullable().describe('100 = same share as the base; null when n is c or the base is 0'),
  ciLow: z.number().nullable().describe('interval of the index at level `intervals.<level>` (allowing for the segments compared)'),
  ciHigh: z.number().nullable(),
  flag: flag.nullable().describe('over / under: the interval excludes 100 (family-wise 5%); ns: it does not'),
  reliable: z.boolean().describe('false when expected count < 5 or the school has < 30 classified pupils'),
});
export type SegmentRow = z.infer<typeof segmentRow>;

const share = z.object({ n: cell, pct: z.number().nullable(), basePct: z.number() });

/**
 * Where the school's pupils live (functions/maps/school-map.ts): grid squares in metres from the
 * projection's origin, counts shown under the same rule as every other count. A square is listed
 * only when it holds a pupil; the squares of a ring shown as c are not listed.
 */
export const schoolMap = z.object({
  projection: z.object({ lat0: z.number(), lon0: z.number() }).describe('origin of the local projection (x metres east, y metres north)'),
  centre: z.object({ x: z.number(), y: z.number() }).describe('the school'),
  halfWidth: z.number().describe('the map shows the square of this half-width (metres) about the school'),
  rings: z.array(
    z.object({
      label: z.string(),
      fromKm: z.number(),
      toKm: z.number().nullable(),
      n: cell.describe('pupils in squares whose centre is this far from the school, as shown'),
      pct: z.number().nullable().describe('% of pupils matched to a postcode, from the shown counts'),
    }),
  ),
  unmapped: z.object({ n: cell, pct: z.number().nullable() }).describe('matched pupils whose postcode has no map position'),
  squaresListed: z.boolean().describe('false when only the rings could be shown without giving a hidden count away'),
  cells: z.array(z.object({ x: z.number(), y: z.number(), size: z.number(), ring: z.number().int(), n: cell })).describe('squares holding pupils (south-west corner and side, metres)'),
  background: z.array(z.tuple([z.number(), z.number(), z.number()])).describe('squares of the frame holding any postcode [x, y, side]: where people live, from public data'),
});
export type SchoolMap = z.infer<typeof schoolMap>;


export const profileDocument = z.object({
  period: z.string(),
  laName: z.string(),
  school: z.object({ urn: z.string(), name: z.string(), phase: z.string(), cluster: z.string().nullable().describe('null when no cluster is recorded') }),
  classification: classificationInfo,
  base: z.object({ kind: z.enum(['la', 'cluster', 'phase']), label: z.string() }),
  threshold: z.number().int().positive().describe('counts 1 to threshold − 1 are shown as c'),
  disclosure: z.object({
    roundingBase: z.number().int().positive().describe('counts of threshold or more are rounded to a multiple of this (5)'),
    coarseBase: z.number().int().positive().describe('the base of the counts listed in roundedCoarse (10)'),
    roundedCoarse: z.array(z.string()).describe('counts rounded to coarseBase instead, so that no hidden count could be worked out: keys such as "classified" or "group:1a"'),
    cIncludesZero: z
      .array(z.string())
      .describe('counts shown as c that may also be 0, so that no hidden count could be worked out (besides the parts of a count shown as c, which always may be)'),
    rule: z.string().describe('the rule in one sentence, as printed'),
  }),
  intervals: z
    .object({ supergroup: z.number(), group: z.number(), subgroup: z.number() })
    .describe('level of the index intervals at each level: 1 − 0.05/m for the m segments compared (Bonferroni)'),
  keyFacts: z.object({
    pupils: cell,
    classified: cell,
    unclassified: cell.describe('invalid or unmatched postcodes: counted, never in the index'),
    matched: cell.describe('matched to a unit postcode (exact or terminated)'),
    matchRatePct: z.number().nullable().describe('matched as % of pupils, from the shown counts'),
    sectorImputedPct: z.number().nullable().describe('% given the modal segment of their postcode sector'),
    fsm: cell.describe('eligible for free school meals'),
    fsmPct: z.number().nullable().describe('% eligible for free school meals (null when fsm is c)'),
  }),
  segments: z.object({ supergroup: z.array(segmentRow), group: z.array(segmentRow), subgroup: z.array(segmentRow) }),
  imd: z.array(share.extend({ decile: z.number().int().min(1).max(10) })).describe('decile 1 = most deprived 10% of England’s LSOAs in the edition named by classification.imd'),
  imdUnknown: share.describe('pupils whose postcode has no English IMD decile'),
  matchStatus: z.array(z.object({ status: z.string(), n: cell, pct: z.number().nullable() })),
  similarSchools: z.array(
    z.object({
      urn: z.string(),
      name: z.string(),
      similarity: z.number().describe('1 − Jensen-Shannon distance of the two schools’ shown subgroup mixes'),
      distanceKm: z.number().nullable(),
    }),
  ),
  cluster: z
    .object({
      name: z.string(),
      schools: z.number().int(),
      supergroups: z.array(
        z.object({
          code: z.string(),
          name: z.string(),
          schoolPct: z.number().nullable(),
          min: z.number().describe('lowest share among the cluster’s schools, from their shown counts'),
          median: z.number(),
          max: z.number(),
        }),
      ),
    })
    .nullable()
    .describe('null when the school has no cluster (no schools/clusters.csv or cluster column)'),
  map: schoolMap.nullable().optional().describe('where pupils live; null when the school has no location or fewer than the threshold matched pupils'),
});
export type ProfileDocument = z.infer<typeof profileDocument>;
