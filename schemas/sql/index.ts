/**
 * Every shared SQL statement, by name, for a sample period: the dialect test parses each as Trino
 * and runs each on DuckDB, and the infrastructure checks the same list.
 */
import * as classify from './classify.ts';

export function sharedStatements(period = '2025-26'): Record<string, string> {
  return {
    enriched_pupils: classify.enrichedPupilsSql(period),
    enriched_contacts: classify.enrichedContactsSql(period),
    school_segment_counts: classify.schoolSegmentCountsSql(period),
    match_summary: classify.matchSummarySql(period),
    contact_match_counts: classify.contactMatchCountsSql(period),
    pupil_periods: classify.periodsSql('pupils'),
    contact_periods: classify.periodsSql('contacts'),
  };
}
