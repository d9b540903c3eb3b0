/**
 * Saved Athena queries (named queries) for LA analysts, written in Trino SQL (Athena engine v3).
 *
 * They read the published tables only (aggregates, no pupil-level rows) and take their inputs as
 * execution parameters (`?`, in order: the console asks for them). Counts from 1 to
 * `suppressionThreshold - 1`, and values that would give them back exactly, come back as NULL
 * (zero is not disclosive and is shown). Table and column names are looked up in the zod contracts
 * (schemas/published.ts), so a renamed column fails `cdk synth` instead of a query at 9am.
 */
import type { TableDef } from '../schemas/columns.ts';
import { columnsOf } from '../schemas/columns.ts';
import { PORTAL_TABLES } from '../schemas/portal.ts';
import { PUBLISHED_TABLES } from '../schemas/published.ts';

export interface AnalystQuery {
  /** Named query name (unique in the workgroup). */
  readonly name: string;
  readonly description: string;
  /** Trino SQL with `?` execution parameters. */
  readonly sql: string;
  /** The published tables it reads. */
  readonly tables: string[];
  /** What each `?` is, in order. */
  readonly parameters: string[];
}

/** A published table by name, with a column checker. */
function table(name: string, tables: readonly TableDef[]) {
  const def = tables.find((t) => t.name === name);
  if (!def) throw new Error(`analyst queries: table ${name} is not among the tables given`);
  const columns = new Set(columnsOf(def).map((c) => c.name));
  /** Quoted column names, checked against the contract. */
  const c = (...names: string[]) =>
    names.map((n) => {
      if (!columns.has(n)) throw new Error(`analyst queries: ${name} has no column ${n}`);
      return `"${n}"`;
    });
  return { name: def.name, c, col: (n: string) => c(n)[0]! };
}

/** NULL for counts in 1..threshold-1 (the value itself otherwise). */
function suppressCount(col: string, threshold: number): string {
  return threshold <= 1 ? col : `CASE WHEN ${col} BETWEEN 1 AND ${threshold - 1} THEN NULL ELSE ${col} END`;
}

/** `value` unless `countCol` is a suppressed count (then NULL): for figures that would reveal it. */
function unlessSuppressed(countCol: string, value: string, threshold: number): string {
  return threshold <= 1 ? value : `CASE WHEN ${countCol} BETWEEN 1 AND ${threshold - 1} THEN NULL ELSE ${value} END`;
}

const levelOrder = (col: string) => `CASE ${col} WHEN 'supergroup' THEN 1 WHEN 'group' THEN 2 ELSE 3 END`;

/** The named queries, for the published tables as they are defined now. */
export function analystQueries(suppressionThreshold: number, tables: readonly TableDef[] = PUBLISHED_TABLES): AnalystQuery[] {
  const t = suppressionThreshold;
  const out: AnalystQuery[] = [];

  {
    const p = table('school_profile', tables);
    const [urn, period, level, segment, segmentName, n, pct, basePct, index, ciLow, ciHigh, flag, reliable, base] = p.c(
      'urn', 'period', 'level', 'segment', 'segment_name', 'n', 'pct', 'base_pct', 'index', 'ci_low', 'ci_high', 'flag', 'reliable', 'base',
    );
    out.push({
      name: 'school-segment-profile',
      description: "A school's segment profile against its base (the LA by default) for one period, every level",
      tables: [p.name],
      parameters: ['school URN, e.g. 100001', 'period, e.g. 2025-26'],
      sql: `-- A school's segment profile: share of its classified pupils per segment against the base.
-- Parameters: 1 = school URN (e.g. '100001'), 2 = period (e.g. '2025-26').
-- Counts from 1 to ${Math.max(t - 1, 0)} and the figures derived from them are suppressed (NULL).
SELECT ${level}, ${segment}, ${segmentName},
       ${suppressCount(n!, t)} AS pupils,
       ${unlessSuppressed(n!, pct!, t)} AS pct,
       ${basePct} AS base_pct,
       ${unlessSuppressed(n!, index!, t)} AS ${index},
       ${unlessSuppressed(n!, ciLow!, t)} AS ci_low,
       ${unlessSuppressed(n!, ciHigh!, t)} AS ci_high,
       ${flag}, ${reliable}, ${base}
FROM ${p.name}
WHERE ${urn} = ? AND ${period} = ?
ORDER BY ${levelOrder(level!)}, ${index} DESC NULLS LAST, ${segment}`,
    });
  }

  {
    const f = table('fair_access', tables);
    const [period, level, segment, segmentName, clients, clientPct, base, basePct, penetration, index, ciLow, ciHigh, pAdjusted, flag] = f.c(
      'period', 'level', 'segment', 'segment_name', 'clients', 'client_pct', 'base', 'base_pct', 'penetration', 'index', 'ci_low', 'ci_high', 'p_adjusted', 'flag',
    );
    out.push({
      name: 'under-represented-segments',
      description: 'Segments whose families reach the Choice Advice service less than their share of pupils suggests (index CI below 100)',
      tables: [f.name],
      parameters: ['period, e.g. 2025-26'],
      sql: `-- Under-represented segments: Choice Adviser clients against the base pupils, CI of the index below 100.
-- Parameter: 1 = period (e.g. '2025-26').
SELECT ${level}, ${segment}, ${segmentName},
       ${suppressCount(clients!, t)} AS clients,
       ${unlessSuppressed(clients!, clientPct!, t)} AS client_pct,
       ${suppressCount(base!, t)} AS base_pupils,
       ${basePct} AS base_pct,
       ${unlessSuppressed(clients!, penetration!, t)} AS clients_per_1000_pupils,
       ${unlessSuppressed(clients!, index!, t)} AS ${index},
       ${ciLow}, ${ciHigh}, ${pAdjusted}
FROM ${f.name}
WHERE ${period} = ? AND ${flag} = 'under'
ORDER BY ${levelOrder(level!)}, ${index} ASC NULLS LAST`,
    });
  }

  {
    const w = table('fair_access_by_ward', tables);
    const [period, ward, wardName, baseN, expected, actual, gap, flag, rank] = w.c(
      'period', 'ward', 'ward_name', 'base_n', 'expected', 'actual', 'gap', 'flag', 'rank',
    );
    out.push({
      name: 'wards-by-gap',
      description: 'Wards ranked by the evidence of a shortfall of clients from under-represented segments against each segment’s own rate, with the family-wise funnel flag',
      tables: [w.name],
      parameters: ['period, e.g. 2025-26'],
      sql: `-- Wards by shortfall: clients from under-represented segments against each segment's own rate, strongest evidence first.
-- Parameter: 1 = period (e.g. '2025-26').
SELECT ${ward}, ${wardName},
       ${suppressCount(baseN!, t)} AS base_pupils,
       round(${expected}, 1) AS expected_clients,
       ${suppressCount(actual!, t)} AS actual_clients,
       ${unlessSuppressed(actual!, `round(${gap}, 1)`, t)} AS gap,
       ${flag} AS funnel
FROM ${w.name}
WHERE ${period} = ?
ORDER BY ${rank}`,
    });
  }

  {
    const tr = table('fair_access_trend', tables);
    const [period, previousPeriod, level, segment, segmentName, index, previousIndex, change, clientPct, previousClientPct, p, pAdjusted, flag] = tr.c(
      'period', 'previous_period', 'level', 'segment', 'segment_name', 'index', 'previous_index', 'change', 'client_pct', 'previous_client_pct', 'p', 'p_adjusted', 'flag',
    );
    out.push({
      name: 'segment-trend',
      description: 'Fair-access index per segment by academic year with the change from the previous year, for one level',
      tables: [tr.name],
      parameters: ['level: supergroup, group or subgroup'],
      sql: `-- The trend: each segment's fair-access index by academic year and the change from the year before.
-- Parameter: 1 = level ('supergroup', 'group' or 'subgroup').
SELECT ${segment}, ${segmentName}, ${period}, ${previousPeriod},
       round(${index}, 1) AS ${index},
       round(${previousIndex}, 1) AS previous_index,
       round(${change}, 1) AS ${change},
       ${clientPct}, ${previousClientPct}, ${p}, ${pAdjusted},
       ${flag} IN ('rising', 'falling') AS significant
FROM ${tr.name}
WHERE ${level} = ?
ORDER BY ${segment}, ${period}`,
    });
  }

  {
    const m = table('match_summary', tables);
    const [period, scope, urn, pupils, exact, terminated, sector, unmatched, invalid, matchRate] = m.c(
      'period', 'scope', 'urn', 'pupils', 'exact', 'terminated', 'sector', 'unmatched', 'invalid', 'match_rate',
    );
    out.push({
      name: 'match-summary',
      description: 'Postcode match quality per school and for the LA in one period, lowest match rate first',
      tables: [m.name],
      parameters: ['period, e.g. 2025-26'],
      sql: `-- Match summary: how many pupils' postcodes matched the classification, per school and for the LA.
-- Parameter: 1 = period (e.g. '2025-26').
SELECT ${scope}, ${urn},
       ${suppressCount(pupils!, t)} AS ${pupils},
       ${suppressCount(exact!, t)} AS ${exact},
       ${suppressCount(terminated!, t)} AS ${terminated},
       ${suppressCount(sector!, t)} AS ${sector},
       ${suppressCount(unmatched!, t)} AS ${unmatched},
       ${suppressCount(invalid!, t)} AS ${invalid},
       ${unlessSuppressed(pupils!, `round(${matchRate} * 100, 1)`, t)} AS match_pct
FROM ${m.name}
WHERE ${period} = ?
ORDER BY ${scope} ASC, ${matchRate} ASC, ${urn}`,
    });
  }

  {
    const m = table('match_summary', tables);
    const [period, scope, pupils, matchRate, sector] = m.c('period', 'scope', 'pupils', 'match_rate', 'sector');
    out.push({
      name: 'match-rate-trend',
      description: "The LA's postcode match rate and sector-imputed share by academic year",
      tables: [m.name],
      parameters: [],
      sql: `-- The LA's match rate by academic year (no parameters).
SELECT ${period}, ${pupils},
       round(${matchRate} * 100, 1) AS match_pct,
       round(CAST(${sector} AS DOUBLE) / nullif(${pupils}, 0) * 100, 1) AS sector_imputed_pct
FROM ${m.name}
WHERE ${scope} = 'la'
ORDER BY ${period}`,
    });
  }
  {
    const a = table('admissions_rates', tables);
    const [period, phase, entryYear, level, segment, segmentName, measure, n, x, rate, ciLow, ciHigh, laRate, pAdjusted, flag] = a.c(
      'period', 'phase', 'entry_year', 'level', 'segment', 'segment_name', 'measure', 'n', 'x', 'rate', 'ci_low', 'ci_high', 'la_rate', 'p_adjusted', 'flag',
    );
    out.push({
      name: 'first-preference-by-segment',
      description: 'Who gets their first choice: the share of on-time applications offered their first preference, and naming their nearest school first, by supergroup against the LA, for one admissions period',
      tables: [a.name],
      parameters: ['period of the admissions round, e.g. 2025-26 (entry in September 2026)'],
      sql: `-- Who gets their first choice, by neighbourhood type (supergroup) against the LA.
-- Parameter: 1 = period of the round (e.g. '2025-26' for entry in September 2026).
-- Counts from 1 to ${Math.max(t - 1, 0)} and the rates derived from them are suppressed (NULL).
SELECT ${phase}, ${entryYear}, ${measure}, ${level}, ${segment}, ${segmentName},
       ${suppressCount(n!, t)} AS applications,
       ${suppressCount(x!, t)} AS with_outcome,
       ${unlessSuppressed(x!, unlessSuppressed(n!, `round(${rate} * 100, 1)`, t), t)} AS pct,
       ${unlessSuppressed(x!, unlessSuppressed(n!, `round(${ciLow} * 100, 1)`, t), t)} AS ci_low_pct,
       ${unlessSuppressed(x!, unlessSuppressed(n!, `round(${ciHigh} * 100, 1)`, t), t)} AS ci_high_pct,
       round(${laRate} * 100, 1) AS la_pct,
       ${pAdjusted}, ${flag}
FROM ${a.name}
WHERE ${period} = ? AND ${level} IN ('la', 'supergroup') AND ${measure} IN ('first_preference', 'nearest_first')
ORDER BY ${phase} DESC, ${entryYear}, ${measure}, CASE ${level} WHEN 'la' THEN 0 ELSE 1 END, ${rate}, ${segment}`,
    });
  }
  return out;
}

/**
 * Heads' feedback for the analysts, ready for "Download results" as CSV: a comment that starts with
 * = + - @ (or a tab or carriage return) gets a leading apostrophe so a spreadsheet shows it as text
 * instead of running it as a formula (the same rule as functions/portal/feedback-export.ts). Subject
 * ids are left out, as in that export.
 */
export function portalFeedbackQuery(tables: readonly TableDef[] = PORTAL_TABLES): AnalystQuery {
  const f = table('portal_feedback', tables);
  const [submitted, period, urn, rating, comment] = f.c('submitted_at', 'period', 'urn', 'rating', 'comment');
  return {
    name: 'portal-feedback',
    description: "Heads' ratings and comments on their profiles, safe to open in a spreadsheet",
    tables: [f.name],
    parameters: [],
    sql: `-- Heads' feedback, oldest first (no parameters). Comments starting with = + - @ are prefixed with '.
SELECT ${submitted}, ${period}, ${urn}, ${rating},
       CASE WHEN substr(${comment}, 1, 1) IN ('=', '+', '-', '@', chr(9), chr(13)) THEN '''' || ${comment} ELSE ${comment} END AS ${comment}
FROM ${f.name}
ORDER BY ${submitted}`,
  };
}
