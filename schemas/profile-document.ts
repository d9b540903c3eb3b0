/**
 * The per-school profile document (`published/profiles/<period>/<urn>.json`): what a head teacher
 * sees, and what the PDF stage renders. Every count here has been through disclosure control:
 * a count below the threshold is the string "c", and anything that would let it be recovered
 * (its percentage, index, interval) is null.
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

/** A disclosure-controlled count: the number, or "c" when suppressed. */
export const cell = z.union([z.number().int().nonnegative(), z.literal('c')]);
export type Cell = z.infer<typeof cell>;

export const segmentRow = z.object({
  code: z.string(),
  name: z.string(),
  description: z.string().nullable().describe('plain-English pen portrait, when the classification has one'),
  n: cell.describe("the school's pupils in this segment"),
  pct: z.number().nullable().describe('% of the school’s classified pupils (null when suppressed)'),
  basePct: z.number().describe('% of the base (the LA by default)'),
  index: z.number().nullable().describe('100 = same share as the base; null when suppressed or undefined'),
  ciLow: z.number().nullable(),
  ciHigh: z.number().nullable(),
  flag: z.enum(['over', 'under', 'ns']).nullable().describe('95% CI of the index above 100, below 100, or spanning it'),
  reliable: z.boolean().describe('false when expected count < 5 or the school has < 30 classified pupils'),
});
export type SegmentRow = z.infer<typeof segmentRow>;

export const profileDocument = z.object({
  period: z.string(),
  laName: z.string(),
  school: z.object({ urn: z.string(), name: z.string(), phase: z.string(), cluster: z.string().nullable().describe('null when no cluster is recorded') }),
  classification: classificationInfo,
  base: z.object({ kind: z.enum(['la', 'cluster', 'phase']), label: z.string() }),
  threshold: z.number().int().positive().describe('counts below this are shown as c'),
  keyFacts: z.object({
    pupils: cell,
    classified: cell,
    unclassified: cell.describe('invalid or unmatched postcodes: counted, never in the index'),
    matchRatePct: z.number().nullable().describe('% matched to a unit postcode (exact or terminated)'),
    matchRateAtLeastPct: z
      .number()
      .nullable()
      .describe('when matchRatePct is hidden because only a few pupils were not matched: the rate is at least this (all a "c" already implies)'),
    sectorImputedPct: z.number().nullable().describe('% given the modal segment of their postcode sector'),
    fsmPct: z.number().nullable().describe('% eligible for free school meals (null when suppressed)'),
  }),
  segments: z.object({ supergroup: z.array(segmentRow), group: z.array(segmentRow), subgroup: z.array(segmentRow) }),
  imd: z.array(z.object({ decile: z.number().int().min(1).max(10), n: cell, pct: z.number().nullable(), basePct: z.number() })).describe('decile 1 = most deprived 10% of England’s LSOAs in the edition named by classification.imd'),
  matchStatus: z.array(z.object({ status: z.string(), n: cell, pct: z.number().nullable() })),
  similarSchools: z.array(z.object({ urn: z.string(), name: z.string(), similarity: z.number(), distanceKm: z.number().nullable() })),
  cluster: z
    .object({
      name: z.string(),
      schools: z.number().int(),
      supergroups: z.array(
        z.object({ code: z.string(), name: z.string(), schoolPct: z.number().nullable(), min: z.number(), median: z.number(), max: z.number() }),
      ),
    })
    .nullable()
    .describe('null when the school has no cluster (no schools/clusters.csv or cluster column)'),
});
export type ProfileDocument = z.infer<typeof profileDocument>;
