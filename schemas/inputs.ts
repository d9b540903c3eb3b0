/**
 * Input contract: an input directory (locally) or the raw/ prefix (on AWS) holds one folder per
 * dataset, each with CSV files that have a header row. A file is recognised by what its header
 * carries, not by one fixed header: each layout below says which source columns (names, or
 * patterns for names whose year changes with each release, such as `lad25cd`) fill which contract
 * column. Header cells are matched after normaliseHeader(); columns not listed are ignored and
 * reported once per file. This module is declarations only: functions/ingest/header.ts applies
 * them, and the same declarations serve any other reader (SQL over read_csv).
 */
export type InputDataset = 'pupils' | 'contacts' | 'schools' | 'classification' | 'admissions';

/** A header cell that fills a contract column: a normalised name, or a pattern whose first group is a two-digit year. */
export type SourceName = string | RegExp;

export interface InputColumn {
  name: string;
  required: boolean;
  /** Other names (after normaliseHeader) or patterns, in order of preference; the contract name itself comes first. */
  aliases: SourceName[];
  description: string;
}

export interface InputLayout {
  id: string;
  dataset: InputDataset;
  title: string;
  /** Where analysts get such a file. */
  source: string;
  columns: InputColumn[];
  /** At least one column of each group must be present (e.g. a pupil's school by URN or LAESTAB). */
  oneOf?: string[][];
}

export const INPUT_DATASETS: InputDataset[] = ['classification', 'schools', 'pupils', 'contacts', 'admissions'];

const col = (name: string, required: boolean, aliases: SourceName[], description: string): InputColumn => ({ name, required, aliases, description });

export const PUPILS_LAYOUT: InputLayout = {
  id: 'census',
  dataset: 'pupils',
  title: 'School census extract (CBDS names or plain names)',
  source: 'the LA’s school census extract (COLLECT / CBDS); one row per pupil on roll',
  columns: [
    col('upn', true, ['unique_pupil_number', 'pupil_upn'], '13-character Unique Pupil Number; checked with the DfE check letter, then pseudonymised'),
    col('urn', false, ['school_urn', 'urn_school'], '6-digit school URN (this or the LAESTAB)'),
    col('laestab', false, ['la_estab', 'dfe_number', 'dfe_no', 'lea_estab', 'estab_no'], '7-digit LA number + establishment number (e.g. 8862001), mapped to the URN through the schools file'),
    col('postcode', true, ['post_code', 'pupil_postcode', 'home_postcode', 'homepostcode', 'pcode'], 'home postcode, any case or spacing'),
    col('ncyear', true, ['nc_year', 'ncyearactual', 'nc_year_actual', 'year_group', 'national_curriculum_year'], 'N1, N2, R, X or 1..14'),
    col('fsm', true, ['fsm_eligible', 'fsmeligible', 'free_school_meals'], 'free school meals: Y/N, Yes/No, true/false, 1/0'),
  ],
  oneOf: [['urn', 'laestab']],
};

export const CONTACTS_LAYOUT: InputLayout = {
  id: 'contacts',
  dataset: 'contacts',
  title: 'Choice Advisers contact log',
  source: 'the service’s case log export',
  columns: [
    col('contact_id', true, ['id', 'contact_ref', 'reference'], 'service log reference'),
    col('contact_date', true, ['date', 'contacted_on'], 'ISO yyyy-mm-dd or dd/mm/yyyy'),
    col('postcode', true, ['post_code', 'family_postcode', 'parent_postcode', 'home_postcode'], "family's postcode"),
    col('channel', true, ['contact_channel', 'method', 'contact_method'], 'helpline, school_meeting, drop_in, email or other (common spellings normalised)'),
    col('child_urn', false, ['school_urn', 'child_school_urn'], "URN of the child's current school, optional"),
    col('child_ncyear', false, ['child_nc_year', 'child_year_group'], "child's NC year, optional"),
  ],
};

/** Most preferences a coordinated admissions application can rank (LAs allow 3 to 6). */
export const MAX_PREFERENCES = 6;
const ORDINALS = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth'];

/** Names a preference column goes by in LA admissions exports: `Preference 1`, `Pref1`, `First Preference`, `Preference 1 DfE Number`... */
function preferenceAliases(k: number): string[] {
  const o = ORDINALS[k - 1]!;
  return [
    `pref_${k}`, `pref${k}`, `preference${k}`, `p${k}`, `choice_${k}`, `choice${k}`, `school_preference_${k}`, `preferred_school_${k}`,
    `preference_${k}_school`, `preference_${k}_dfe_number`, `preference_${k}_laestab`, `preference_${k}_urn`, `pref_${k}_school`, `pref_${k}_dfe`,
    `${o}_preference`, `${o}_pref`, `${o}_choice`,
  ];
}

/**
 * Coordinated admissions: one row per application of a round (Reception, junior transfer,
 * secondary transfer), as an LA's admissions system exports it after national offer day (the
 * column names of School Admissions modules such as Capita One / Synergy / Tribal exports, and
 * the DfE applications-and-offers return). Schools are URNs or LAESTABs (DfE numbers, `886/4012`).
 * The application reference is pseudonymised at ingest like a UPN; names, dates of birth and
 * addresses the export carries are never read.
 */
export const ADMISSIONS_LAYOUT: InputLayout = {
  id: 'admissions',
  dataset: 'admissions',
  title: 'Coordinated admissions applications and offers',
  source: "the LA's admissions system: applications of a round with their ranked preferences and the offer (after national offer day)",
  columns: [
    col('application_ref', true, ['application_reference', 'applicationid', 'applicationref', 'application_id', 'application_number', 'application_no', 'app_ref', 'app_no', 'app_id', 'ref_no', 'reference', 'caf_reference', 'caf_ref', 'online_reference'], 'the admissions system’s application reference; pseudonymised at ingest (keyed hash), never stored'),
    col('entry_year', true, ['year_of_entry', 'yearofentry', 'entryyear', 'entry', 'admission_year', 'year_of_admission', 'intake_year', 'academic_year_of_entry', 'entry_academic_year'], 'the September of entry: 2026, 2026/27 or 2026-27'),
    col('phase', true, ['round', 'admission_round', 'admissionround', 'admissions_round', 'application_round', 'phase_of_admission', 'school_phase', 'phase_of_education', 'transfer_group', 'intake'], 'the round: Reception (Primary, Infant, YR), Junior (Year 3) or Secondary (Year 7, Transfer)'),
    col('postcode', true, ['home_postcode', 'homepostcode', 'post_code', 'applicant_postcode', 'child_postcode', 'home_post_code', 'address_postcode', 'pcode'], 'home postcode at the closing date, any case or spacing'),
    ...Array.from({ length: MAX_PREFERENCES }, (_, i) =>
      col(`preference_${i + 1}`, i === 0, preferenceAliases(i + 1), i === 0 ? 'first preference: URN (6 digits) or LAESTAB (7 digits, 886/4012)' : `preference ${i + 1}, blank when not named`),
    ),
    col('offered_school', true, ['offered', 'offer', 'school_offered', 'schooloffered', 'offeredschool', 'offered_school_urn', 'offered_school_laestab', 'offered_urn', 'offered_laestab', 'offered_dfe_number', 'offer_school', 'allocated_school', 'school_allocated', 'offer_made'], 'school offered (URN or LAESTAB); blank when no offer was made'),
    col('offered_rank', false, ['offered_preference', 'offeredpreference', 'rankofoffer', 'offeredrank', 'preference_offered', 'offer_preference', 'offered_pref', 'pref_offered', 'ranking_of_offer', 'rank_of_offer', 'offer_rank', 'preference_number_offered', 'rank_offered', 'offered_ranking'], 'which preference was offered, 1 to 6; blank, 0, None, A (allocated) or D (directed) when the offer is not one of them; without the column, worked out from the preferences'),
    col('on_time', false, ['ontime', 'on_time_late', 'on_time_or_late', 'late_on_time', 'application_status', 'timeliness', 'application_timeliness'], 'On time / Late (also Y/N): this or a `late` column'),
    col('late', false, ['late_application', 'lateapplication', 'is_late', 'late_flag', 'application_late'], 'Y/N, true when the application was late'),
    col('upn', false, ['pupil_upn', 'unique_pupil_number', 'child_upn'], 'the child’s UPN when the export has one (not for Reception); checked like the census and pseudonymised the same way'),
  ],
  oneOf: [['on_time', 'late']],
};

/**
 * Get Information About Schools "all establishment data" (edubasealldata<yyyymmdd>.csv): every
 * establishment in England, open and closed, about 140 quoted columns.
 */
export const GIAS_LAYOUT: InputLayout = {
  id: 'gias',
  dataset: 'schools',
  title: 'GIAS all establishment data (edubasealldata)',
  source: 'get-information-schools.service.gov.uk/Downloads, "All establishment data"',
  columns: [
    col('urn', true, [], 'URN'),
    col('la_code', true, [], '`LA (code)`, e.g. 886'),
    col('establishment_number', true, ['establishmentnumber'], '`EstablishmentNumber`, 4 digits (LA code + this = LAESTAB)'),
    col('name', true, ['establishmentname'], '`EstablishmentName`'),
    col('status', true, ['establishmentstatus_name'], '`EstablishmentStatus (name)`: Open, Closed, Open but proposed to close, Proposed to open'),
    col('phase', true, ['phaseofeducation_name'], '`PhaseOfEducation (name)`: Nursery, Primary, Middle deemed primary, Secondary, Middle deemed secondary, 16 plus, All-through, Not applicable'),
    col('type', true, ['typeofestablishment_name'], '`TypeOfEstablishment (name)`: tells special schools and pupil referral units / alternative provision'),
    col('postcode', true, [], '`Postcode`'),
  ],
};

export const SCHOOLS_LAYOUT: InputLayout = {
  id: 'schools',
  dataset: 'schools',
  title: 'Schools list',
  source: 'the LA’s own list of its schools',
  columns: [
    col('urn', true, ['school_urn'], '6-digit school URN'),
    col('laestab', false, ['la_estab', 'dfe_number'], '7-digit LAESTAB, optional (lets pupils be keyed by it)'),
    col('name', true, ['school_name', 'establishment_name'], 'school name'),
    col('phase', true, ['school_phase', 'phase_of_education'], 'primary, secondary, special, all_through, nursery, alternative_provision (GIAS phase names too)'),
    col('cluster', false, ['school_cluster', 'locality', 'district'], 'the LA cluster/locality the school belongs to, optional'),
    col('postcode', true, ['post_code', 'school_postcode'], "the school's postcode (for distances)"),
  ],
};

/** `schools/clusters.csv` (optional): each school's cluster, by URN or LAESTAB. */
export const CLUSTERS_LAYOUT: InputLayout = {
  id: 'clusters',
  dataset: 'schools',
  title: 'Clusters (schools/clusters.csv)',
  source: 'the LA’s own grouping of schools into clusters or localities',
  columns: [
    col('urn', false, ['school_urn'], 'school URN'),
    col('laestab', false, ['la_estab', 'dfe_number'], 'or the LAESTAB'),
    col('cluster', true, ['school_cluster', 'locality', 'district'], 'cluster name'),
  ],
  oneOf: [['urn', 'laestab']],
};

/**
 * National Statistics Postcode Lookup (and the ONS Postcode Directory) of any release since 2011.
 * Field names changed in 2024 (oa21/lsoa21 for oa11/lsoa11) and again in 2025 (pcd7, usrtypind,
 * oa21cd, lad25cd, wd25cd, oac11ind, imd20ind...), with the year in many names moving on each
 * release; August 2026 carries the 2021 OAC (oac21ind) and IMD 2025 (imd25ind).
 */
export const NSPL_LAYOUT: InputLayout = {
  id: 'nspl',
  dataset: 'classification',
  title: 'National Statistics Postcode Lookup (any release 2011 on; the ONS Postcode Directory too)',
  source: 'geoportal.statistics.gov.uk, "National Statistics Postcode Lookup" (the UK file, or the area files of Data/multi_csv)',
  columns: [
    col('postcode', true, ['pcds', 'pcd', 'pcd7', 'pcd8', 'pcd2'], 'postcode (`pcds` preferred)'),
    col('doterm', true, [], 'termination date, yyyymm; blank if live'),
    col('usertype', true, ['usrtypind'], 'user type (0 small, 1 large user)'),
    col('ward', true, ['osward', /^wd(\d\d)cd$/], 'electoral ward (`ward`, `osward`, `wdNNcd`)'),
    col('laua', true, ['oslaua', /^lad(\d\d)cd$/], 'local authority district (`laua`, `ladNNcd`)'),
    col('lat', true, [], 'latitude (99.999999 when unplaced)'),
    col('long', true, [], 'longitude'),
    col('oa21', false, ['oa21cd'], '2021 census output area (joins an OA-level OAC 2021 file)'),
    col('oa11', false, ['oa11cd'], '2011 census output area'),
    col('lsoa', false, ['lsoa21', 'lsoa21cd', 'lsoa11', 'lsoa11cd'], 'LSOA of the IMD rank (2021 preferred)'),
    col('ctry', false, [/^ctry(\d\d)cd$/], 'country (E92000001 England...); else the nation of the LSOA/LA code'),
    col('oac21', false, ['oac21ind'], '2021 Output Area Classification subgroup (used by default when present)'),
    col('oac11', false, ['oac11ind'], '2011 Output Area Classification subgroup'),
    col('imd', false, [/^imd(\d\d)ind$/], 'IMD rank of the LSOA within its nation (`imd`, `imdNNind`; the edition follows the name and release)'),
  ],
};

/**
 * An output-area classification file keyed by OA (the GeoDS layout of the 2021 OAC:
 * oa21cd,supergroup,group,subgroup, codes in lower case such as 1a1, stray spaces), joined to the
 * postcode lookup through its `oa21`/`oa21cd` when the lookup carries only 2011 codes.
 */
export const OA_CLASSIFICATION_LAYOUT: InputLayout = {
  id: 'oac21-oa',
  dataset: 'classification',
  title: 'OAC 2021 by output area (GeoDS layout)',
  source: 'ONS / Geographic Data Service, 2021 OAC output-area file',
  columns: [
    col('oa21cd', true, ['oa21', 'oa', 'oa_code', 'output_area'], '2021 output area code'),
    col('subgroup', true, ['subgroup_code', 'oac21', 'oac21ind'], 'OAC 2021 subgroup code (any case, e.g. 1a1)'),
    col('group', false, ['group_code'], 'group code (checked against the subgroup when present)'),
    col('supergroup', false, ['supergroup_code'], 'supergroup code'),
  ],
};

/** Generic classification: `classification/*.csv` with these columns, plus `segments.csv`. */
export const GENERIC_CLASSIFICATION_LAYOUT: InputLayout = {
  id: 'generic',
  dataset: 'classification',
  title: 'Postcode to segment (a licensed classification: Mosaic, Acorn...)',
  source: 'the classification’s supplier; with classification/segments.csv',
  columns: [
    col('postcode', true, ['pcds', 'pcd', 'post_code'], 'postcode'),
    col('segment', true, ['segment_code', 'type', 'code'], 'segment (finest level) code'),
    col('ward', false, ['ward_code', 'osward'], 'ward GSS code, optional'),
  ],
};

export const genericClassificationColumns = GENERIC_CLASSIFICATION_LAYOUT.columns;

/** `classification/segments.csv`: the dictionary of a licensed classification (Mosaic, Acorn...). */
export const segmentDictionaryColumns: InputColumn[] = [
  col('code', true, ['segment', 'segment_code'], 'finest-level code, as used in the postcode table'),
  col('name', true, ['segment_name'], 'finest-level name'),
  col('group', true, ['group_name', 'group_code'], 'the group it belongs to'),
  col('supergroup', true, ['supergroup_name', 'supergroup_code'], 'the supergroup it belongs to'),
  col('description', false, ['pen_portrait'], 'plain-English description, optional'),
];

/** `classification/wards.csv` (optional): ward GSS code to name. */
export const wardNameColumns: InputColumn[] = [
  col('code', true, ['ward', 'ward_code', 'wd_code'], 'ward GSS code'),
  col('name', true, ['ward_name', 'wd_name'], 'ward name'),
];

/** Layouts tried in order for each dataset's files (dictionary files are picked by name). */
export const LAYOUTS: Record<InputDataset, InputLayout[]> = {
  classification: [NSPL_LAYOUT, OA_CLASSIFICATION_LAYOUT, GENERIC_CLASSIFICATION_LAYOUT],
  schools: [GIAS_LAYOUT, SCHOOLS_LAYOUT],
  pupils: [PUPILS_LAYOUT],
  contacts: [CONTACTS_LAYOUT],
  admissions: [ADMISSIONS_LAYOUT],
};

/** Columns of the datasets with a single layout, by dataset (kept for callers that predate layouts). */
export const inputColumns = { pupils: PUPILS_LAYOUT.columns, contacts: CONTACTS_LAYOUT.columns, schools: SCHOOLS_LAYOUT.columns };

/**
 * Columns of personal data a census extract often carries and catchment never needs: reported by
 * name only (never their values), with a warning that the extract holds more than it should.
 */
export const PERSONAL_DATA_COLUMNS: { kind: string; pattern: RegExp }[] = [
  { kind: 'name', pattern: /^(sur_?name|fore_?names?|first_?names?|given_?names?|middle_?names?|last_?name|family_?name|legal_?(sur|fore)_?name|preferred_?(sur|fore)_?name|former_?(sur|fore)_?name|pupil_?name|full_?name|name)$/ },
  { kind: 'date of birth', pattern: /^(dob|date_?of_?birth|birth_?date|d_?o_?b)$/ },
  { kind: 'address', pattern: /^(address.*|.*address_?line_?\d|street|town|county|locality|paon|saon|uprn|house_?(name|number)|flat|district_?name|post_?town)$/ },
  { kind: 'gender', pattern: /^(gender|sex)$/ },
  { kind: 'ethnicity', pattern: /^(ethnicity.*|ethnic_?.*)$/ },
];

/** Normalise a header cell for matching: lower case, trimmed, each run of other characters one underscore. */
export function normaliseHeader(h: string): string {
  return h
    .replace(/^\uFEFF/, '')
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}
