/**
 * Every shared SQL statement, by name, for a sample period: the dialect test parses each as Trino
 * and runs each on DuckDB and on Trino, and the infrastructure checks the same list. `vintage`: the
 * current classification vintage the joins are filtered to (null: no filter).
 */
import * as classify from './classify.ts';
import * as profiles from './profiles.ts';
import * as admissions from './admissions.ts';
import * as maps from './maps.ts';

/** A fixed projection and box for the map statements (south-east England, where the samples live). */
const MAP_PROJECTION = { lat0: 51.2, lon0: 0.7 };
const MAP_BOX = { latMin: 50.5, latMax: 52, longMin: -0.5, longMax: 1.6 };

export function sharedStatements(period = '2025-26', vintage: string | null = null): Record<string, string> {
  return {
    enriched_pupils: classify.enrichedPupilsSql(period, vintage),
    enriched_contacts: classify.enrichedContactsSql(period, vintage),
    vintages: classify.vintagesSql(),
    school_segment_counts: classify.schoolSegmentCountsSql(period),
    match_summary: classify.matchSummarySql(period),
    contact_match_counts: classify.contactMatchCountsSql(period),
    pupil_periods: classify.periodsSql('pupils'),
    contact_periods: classify.periodsSql('contacts'),
    school_facts: profiles.schoolFactsSql(period),
    schools_located: profiles.schoolsSql(period),
    school_names: profiles.schoolNamesSql(period),
    segment_names: profiles.segmentNamesSql(),
    vintage: profiles.vintageSql(),
    base_counts_all: profiles.baseCountsSql(period, null),
    base_counts_years: profiles.baseCountsSql(period, ['5', '6']),
    client_counts: profiles.clientCountsSql(period),
    family_counts: profiles.familyCountsSql(period),
    contact_total: profiles.contactTotalSql(period),
    enriched_admissions: admissions.enrichedAdmissionsSql(period, vintage),
    enriched_admissions_contacted: admissions.contactedRefreshSql(period),
    admissions_counts: admissions.admissionsCountsSql(period),
    admissions_ward_counts: admissions.admissionsWardCountsSql(period),
    admissions_periods: admissions.admissionsPeriodsSql(),
    map_pupil_extent: maps.pupilExtentSql(period),
    map_grid_postcodes: maps.gridPostcodesSql(MAP_PROJECTION, MAP_BOX, vintage),
    map_school_cells: maps.schoolCellsSql(period, MAP_PROJECTION),
    map_ward_centroids: maps.wardCentroidsSql(period, vintage),
  };
}
