/**
 * Input contract: an input directory (locally) or the raw/ prefix (on AWS) holds one folder per
 * dataset, each with CSV files that have a header row. Header names are matched case-insensitively
 * after trimming and turning spaces/hyphens into underscores; aliases below are accepted too.
 * Columns not listed are ignored and reported once per file.
 */
export type InputDataset = 'pupils' | 'contacts' | 'schools' | 'classification';

export interface InputColumn {
  name: string;
  required: boolean;
  aliases: string[];
  description: string;
}

export const INPUT_DATASETS: InputDataset[] = ['classification', 'schools', 'pupils', 'contacts'];

export const inputColumns: Record<Exclude<InputDataset, 'classification'>, InputColumn[]> = {
  pupils: [
    { name: 'upn', required: true, aliases: ['unique_pupil_number', 'pupil_upn'], description: '13-character Unique Pupil Number; checked with the DfE check letter, then pseudonymised' },
    { name: 'urn', required: true, aliases: ['school_urn', 'urn_school'], description: '6-digit school URN' },
    { name: 'postcode', required: true, aliases: ['post_code', 'pupil_postcode', 'home_postcode', 'pcode'], description: 'home postcode, any case or spacing' },
    { name: 'ncyear', required: true, aliases: ['nc_year', 'ncyearactual', 'year_group', 'national_curriculum_year'], description: 'N1, N2, R, or 1..14' },
    { name: 'fsm', required: true, aliases: ['fsm_eligible', 'fsmeligible', 'free_school_meals'], description: 'free school meals: Y/N, true/false, 1/0' },
  ],
  contacts: [
    { name: 'contact_id', required: true, aliases: ['id', 'contact_ref', 'reference'], description: 'service log reference' },
    { name: 'contact_date', required: true, aliases: ['date', 'contacted_on'], description: 'ISO yyyy-mm-dd or dd/mm/yyyy' },
    { name: 'postcode', required: true, aliases: ['post_code', 'family_postcode', 'parent_postcode', 'home_postcode'], description: "family's postcode" },
    { name: 'channel', required: true, aliases: ['contact_channel', 'method', 'contact_method'], description: 'helpline, school_meeting, drop_in, email or other (common spellings normalised)' },
    { name: 'child_urn', required: false, aliases: ['school_urn', 'child_school_urn'], description: "URN of the child's current school, optional" },
    { name: 'child_ncyear', required: false, aliases: ['child_nc_year', 'child_year_group'], description: "child's NC year, optional" },
  ],
  schools: [
    { name: 'urn', required: true, aliases: ['school_urn'], description: '6-digit school URN' },
    { name: 'name', required: true, aliases: ['school_name', 'establishment_name'], description: 'school name' },
    { name: 'phase', required: true, aliases: ['school_phase', 'phase_of_education'], description: 'primary, secondary, special, all_through, nursery or alternative_provision' },
    { name: 'cluster', required: true, aliases: ['school_cluster', 'locality', 'district'], description: 'the LA cluster/locality the school belongs to' },
    { name: 'postcode', required: true, aliases: ['post_code', 'school_postcode'], description: "the school's postcode (for distances)" },
  ],
};

/** Generic classification: `classification/*.csv` with these columns, plus `segments.csv`. */
export const genericClassificationColumns: InputColumn[] = [
  { name: 'postcode', required: true, aliases: ['pcds', 'pcd', 'post_code'], description: 'postcode' },
  { name: 'segment', required: true, aliases: ['segment_code', 'type', 'code'], description: 'segment (finest level) code' },
  { name: 'ward', required: false, aliases: ['ward_code', 'osward'], description: 'ward GSS code, optional' },
];

/** `classification/segments.csv`: the dictionary of a licensed classification (Mosaic, Acorn...). */
export const segmentDictionaryColumns: InputColumn[] = [
  { name: 'code', required: true, aliases: ['segment', 'segment_code'], description: 'finest-level code, as used in the postcode table' },
  { name: 'name', required: true, aliases: ['segment_name'], description: 'finest-level name' },
  { name: 'group', required: true, aliases: ['group_name', 'group_code'], description: 'the group it belongs to' },
  { name: 'supergroup', required: true, aliases: ['supergroup_name', 'supergroup_code'], description: 'the supergroup it belongs to' },
  { name: 'description', required: false, aliases: ['pen_portrait'], description: 'plain-English description, optional' },
];

/** `classification/wards.csv` (optional): ward GSS code to name. */
export const wardNameColumns: InputColumn[] = [
  { name: 'code', required: true, aliases: ['ward', 'ward_code', 'wd_code'], description: 'ward GSS code' },
  { name: 'name', required: true, aliases: ['ward_name', 'wd_name'], description: 'ward name' },
];

/**
 * National Statistics Postcode Lookup layout, recognised by these header columns. Only the
 * columns catchment uses are read; `ward` may be `osward` in older releases.
 */
export const NSPL_SIGNATURE = ['pcds', 'doterm', 'usertype', 'lsoa11', 'oac11', 'imd', 'lat', 'long', 'laua'];
export const NSPL_WARD_COLUMNS = ['ward', 'osward'];

/** Normalise a header cell for matching: lower case, trimmed, spaces and hyphens to underscores. */
export function normaliseHeader(h: string): string {
  return h.replace(/^\uFEFF/, '').trim().toLowerCase().replace(/[\s-]+/g, '_');
}
