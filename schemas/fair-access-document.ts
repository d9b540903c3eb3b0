/**
 * The LA's fair-access report document (`published/reports/<period>/fair-access.json`), rendered to
 * the Choice Advisers' PDF. Counts of contacts in wards and schools are disclosure-controlled ("c").
 */
import { z } from 'zod';
import { cell, classificationInfo } from './profile-document.ts';

export const fairAccessRow = z.object({
  code: z.string(),
  name: z.string(),
  clients: z.number().int(),
  clientPct: z.number(),
  base: z.number().int(),
  basePct: z.number(),
  penetration: z.number().nullable().describe('clients per 1,000 base pupils'),
  index: z.number().nullable(),
  ciLow: z.number().nullable(),
  ciHigh: z.number().nullable(),
  z: z.number().nullable(),
  p: z.number().nullable(),
  pHolm: z.number().nullable(),
  flag: z.enum(['under', 'over', 'ns']),
});
export type FairAccessRow = z.infer<typeof fairAccessRow>;

const place = z.object({
  code: z.string().describe('ward GSS code or school URN'),
  name: z.string().nullable(),
  baseN: z.number().int().describe('base pupils in the under-represented segments'),
  expected: z.number().describe('contacts expected at the overall penetration'),
  actual: cell.describe('contacts from families in those segments'),
  gap: z.number().nullable().describe('actual - expected (null when actual is suppressed)'),
  lower95: z.number(),
  lower998: z.number(),
  upper95: z.number(),
  upper998: z.number(),
});

export const fairAccessDocument = z.object({
  period: z.string(),
  laName: z.string(),
  classification: classificationInfo,
  base: z.object({ label: z.string(), ncyears: z.array(z.string()).nullable() }),
  clientRule: z.string().describe('how contacts become clients (deduplication), in plain words'),
  threshold: z.number().int(),
  totals: z.object({ contacts: z.number().int(), clients: z.number().int(), classifiedClients: z.number().int(), base: z.number().int(), penetration: z.number().nullable() }),
  chiSquare: z.array(z.object({ level: z.string(), statistic: z.number(), df: z.number().int(), p: z.number(), mergedCells: z.number().int() })),
  segments: z.object({ supergroup: z.array(fairAccessRow), group: z.array(fairAccessRow), subgroup: z.array(fairAccessRow) }),
  underRepresented: z.object({ level: z.string(), segments: z.array(z.object({ code: z.string(), name: z.string() })) }),
  wards: z.array(place).describe('ranked by gap, most below expectation first'),
  schools: z.array(place),
  trend: z.array(
    z.object({
      level: z.string(),
      code: z.string(),
      name: z.string(),
      byYear: z.array(z.object({ period: z.string(), index: z.number().nullable() })),
      change: z.number().nullable(),
      z: z.number().nullable(),
      p: z.number().nullable(),
    }),
  ),
});
export type FairAccessDocument = z.infer<typeof fairAccessDocument>;
