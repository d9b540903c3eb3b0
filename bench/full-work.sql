-- The whole spine as one plain DuckDB script, the anchor of `npm run bench`: what a data
-- engineer would write instead of catchment, doing the same job. Every input is read with
-- read_csv (all columns as text); every row is checked (UPN shape and check letter, LAESTAB,
-- NC year, FSM, postcode, dates, channels, phases, status, segment codes, duplicates) and the
-- failures are written with their reason to quarantine CSV files; the accepted rows go to
-- Hive-partitioned Parquet with the UPN replaced by its HMAC-SHA256 pseudonym computed here; pupils
-- and contacts are matched to the classification (exact / terminated / sector / unmatched /
-- invalid); per-school counts at three levels and the match summary are written.
-- bench/full-work-child.ts runs it: {{input}} and {{out}} are directories; it first creates
-- oac21_codes(code) (the OAC 2021 subgroup codes) and hmac_key(ipad, opad) (the key's HMAC pads,
-- bound as parameters, never in this text).

-- Classification: the NSPL as published.
CREATE TABLE nspl AS
SELECT row_number() OVER () + 1 AS line, pcds, doterm, wd26cd, lad26cd, lsoa21cd, ctry26cd, oac21ind, imd25ind, lat, long
FROM read_csv('{{input}}/classification/NSPL*.csv', header = true, all_varchar = true);

CREATE TABLE postcodes_checked AS
WITH n AS (
  SELECT *, upper(regexp_replace(coalesce(pcds, ''), '\s', '', 'g')) AS c, upper(trim(coalesce(oac21ind, ''))) AS oac FROM nspl
), p AS (
  SELECT *, CASE WHEN regexp_full_match(c, '[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}') THEN left(c, length(c) - 3) || ' ' || right(c, 3) END AS postcode,
         CASE WHEN oac IN ('', '9Z9', 'Z9') THEN NULL ELSE oac END AS segment
  FROM n
)
SELECT line, postcode, left(postcode, length(postcode) - 2) AS sector, trim(coalesce(doterm, '')) <> '' AS terminated, segment,
       NULLIF(trim(wd26cd), '') AS ward, NULLIF(trim(lsoa21cd), '') AS lsoa, NULLIF(trim(lad26cd), '') AS laua, left(trim(ctry26cd), 1) AS country,
       TRY_CAST(imd25ind AS INTEGER) AS imd_rank,
       CASE WHEN abs(TRY_CAST(lat AS DOUBLE)) <= 90 THEN TRY_CAST(lat AS DOUBLE) END AS lat,
       CASE WHEN abs(TRY_CAST(lat AS DOUBLE)) <= 90 THEN TRY_CAST(long AS DOUBLE) END AS long,
       CASE WHEN postcode IS NULL THEN 'invalid_postcode'
            WHEN segment IS NOT NULL AND segment NOT IN (SELECT code FROM oac21_codes) THEN 'unknown_segment'
            WHEN row_number() OVER (PARTITION BY postcode ORDER BY line) > 1 THEN 'duplicate_postcode' END AS reason,
       pcds AS value
FROM p;

COPY (SELECT 'classification' AS file, line, 'pcds' AS "column", left(value, 60) AS value, reason FROM postcodes_checked WHERE reason IS NOT NULL ORDER BY line)
  TO '{{out}}/quarantine/classification.csv' (HEADER);
CREATE TABLE postcodes AS SELECT * EXCLUDE (line, reason, value) FROM postcodes_checked WHERE reason IS NULL;
COPY (SELECT *, '2026-08' AS vintage FROM postcodes) TO '{{out}}/curated/postcodes' (FORMAT parquet, PARTITION_BY (vintage));

-- Schools: the GIAS register, and each LAESTAB's open school.
CREATE TABLE gias AS
SELECT row_number() OVER () + 1 AS line, trim("URN") AS urn, trim("LA (code)") AS la, trim("EstablishmentNumber") AS estab, trim("EstablishmentName") AS name,
       lower(trim("EstablishmentStatus (name)")) AS status_name, lower(trim("PhaseOfEducation (name)")) AS phase_name,
       lower(trim("TypeOfEstablishment (name)")) AS type_name, "Postcode" AS postcode_raw
FROM read_csv('{{input}}/schools/edubasealldata*.csv', header = true, all_varchar = true);
CREATE TABLE clusters AS SELECT trim(laestab) AS laestab, trim(cluster) AS cluster FROM read_csv('{{input}}/schools/clusters.csv', header = true, all_varchar = true);

CREATE TABLE schools_checked AS
WITH s AS (
  SELECT *,
    CASE WHEN status_name IN ('open', 'closed') THEN status_name WHEN regexp_full_match(status_name, 'open,? but proposed to close') THEN 'open_proposed_to_close'
         WHEN status_name = 'proposed to open' THEN 'proposed_to_open' END AS status,
    CASE WHEN regexp_matches(type_name, '\bspecial\b') THEN 'special'
         WHEN regexp_matches(type_name, 'pupil referral unit|alternative provision') THEN 'alternative_provision'
         WHEN phase_name = 'nursery' THEN 'nursery' WHEN phase_name IN ('primary', 'middle deemed primary') THEN 'primary'
         WHEN phase_name IN ('secondary', 'middle deemed secondary') THEN 'secondary' WHEN phase_name = '16 plus' THEN 'sixteen_plus'
         WHEN phase_name IN ('all-through', 'all through') THEN 'all_through' WHEN phase_name = 'not applicable' THEN 'not_applicable' END AS phase,
    CASE WHEN regexp_full_match(la, '[0-9]{3}') AND regexp_full_match(estab, '[0-9]{4}') THEN la || estab END AS laestab,
    upper(regexp_replace(coalesce(postcode_raw, ''), '\s', '', 'g')) AS c
  FROM gias
)
SELECT s.line, s.urn, s.laestab, s.name, s.phase, cl.cluster, s.status,
       CASE WHEN regexp_full_match(c, '[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}') THEN left(c, length(c) - 3) || ' ' || right(c, 3) END AS postcode,
       CASE WHEN regexp_full_match(s.la, '[0-9]{3}') THEN s.la END AS la_code,
       CASE WHEN NOT regexp_full_match(s.urn, '[0-9]{6}') THEN 'invalid_urn' WHEN s.name = '' THEN 'missing_value'
            WHEN s.status IS NULL THEN 'invalid_status' WHEN s.phase IS NULL THEN 'invalid_phase'
            WHEN row_number() OVER (PARTITION BY s.urn ORDER BY s.line) > 1 THEN 'duplicate_urn' END AS reason
FROM s LEFT JOIN clusters cl ON cl.laestab = s.laestab;

COPY (SELECT 'schools' AS file, line, reason FROM schools_checked WHERE reason IS NOT NULL ORDER BY line) TO '{{out}}/quarantine/schools.csv' (HEADER);
CREATE TABLE register AS
SELECT laestab, arg_max(urn, (CASE status WHEN 'open' THEN 3 WHEN 'open_proposed_to_close' THEN 2 WHEN 'proposed_to_open' THEN 1 ELSE 0 END, urn)) AS urn
FROM schools_checked WHERE reason IS NULL AND laestab IS NOT NULL GROUP BY laestab;
CREATE TABLE school_la AS SELECT urn, any_value(la_code) AS la FROM schools_checked WHERE reason IS NULL GROUP BY urn;
COPY (SELECT urn, laestab, name, phase, cluster, postcode, left(postcode, length(postcode) - 2) AS sector, la_code, status, '2025-26' AS period
      FROM schools_checked WHERE reason IS NULL) TO '{{out}}/curated/schools' (FORMAT parquet, PARTITION_BY (period));

-- Pupils: the census extract keyed by LAESTAB (its names, dates of birth and addresses never read).
CREATE TABLE census AS
WITH r AS (
  SELECT row_number() OVER () AS n, filename AS file, "UPN" AS upn_raw, "LAEstab" AS laestab_raw, "NCyearActual" AS nc_raw, "FSMeligible" AS fsm_raw, "PostCode" AS postcode_raw
  FROM read_csv('{{input}}/pupils/pupils_*.csv', header = true, all_varchar = true, filename = true, store_rejects = true)
)
-- Records in file order; a file's line = its record number + 1 (the generated extracts have no quoted newlines).
SELECT n - min(n) OVER (PARTITION BY file) + 2 AS line, regexp_extract(file, '[^/]+/[^/]+$') AS file, regexp_extract(file, '(\d{4}-\d{2})', 1) AS period,
       upn_raw, laestab_raw, nc_raw, fsm_raw, postcode_raw
FROM r;

CREATE TABLE pupils_checked AS
WITH p AS (
  SELECT file, period, line, upper(trim(coalesce(upn_raw, ''))) AS upn, trim(coalesce(laestab_raw, '')) AS le,
         regexp_replace(upper(trim(coalesce(nc_raw, ''))), '^(YEAR|Y)\s*', '') AS nc, lower(trim(coalesce(fsm_raw, ''))) AS fsm_text,
         upper(regexp_replace(coalesce(postcode_raw, ''), '\s', '', 'g')) AS c, nc_raw, fsm_raw
  FROM census
), q AS (
  SELECT p.*,
    regexp_full_match(upn, '[A-Z][0-9]{11}[0-9A-Z]') AS upn_shape,
    substr('ABCDEFGHJKLMNPQRTUVWXYZ', 1 + ((ascii(substr(upn, 2, 1)) - 48) * 2 + (ascii(substr(upn, 3, 1)) - 48) * 3 + (ascii(substr(upn, 4, 1)) - 48) * 4
      + (ascii(substr(upn, 5, 1)) - 48) * 5 + (ascii(substr(upn, 6, 1)) - 48) * 6 + (ascii(substr(upn, 7, 1)) - 48) * 7 + (ascii(substr(upn, 8, 1)) - 48) * 8
      + (ascii(substr(upn, 9, 1)) - 48) * 9 + (ascii(substr(upn, 10, 1)) - 48) * 10 + (ascii(substr(upn, 11, 1)) - 48) * 11 + (ascii(substr(upn, 12, 1)) - 48) * 12
      + 13 * CASE WHEN substr(upn, 13, 1) BETWEEN '0' AND '9' THEN ascii(substr(upn, 13, 1)) - 48 ELSE instr('ABCDEFGHJKLMNPQRTUVWXYZ', substr(upn, 13, 1)) - 1 END) % 23, 1) AS check_letter,
    CASE WHEN regexp_full_match(le, '[0-9]{3}\s*[/-]?\s*[0-9]{4}') THEN regexp_replace(le, '[^0-9]', '', 'g') END AS laestab,
    CASE WHEN regexp_full_match(nc, '0[0-9]') THEN right(nc, 1) WHEN nc = 'RECEPTION' THEN 'R' ELSE nc END AS ncyear,
    CASE WHEN fsm_text IN ('y', 'yes', 'true', 't', '1') THEN true WHEN fsm_text IN ('n', 'no', 'false', 'f', '0') THEN false END AS fsm,
    CASE WHEN regexp_full_match(c, '[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}') THEN left(c, length(c) - 3) || ' ' || right(c, 3) END AS postcode
  FROM p
), r AS (
  SELECT q.*, reg.urn,
    CASE WHEN NOT upn_shape THEN 'invalid_upn'
         WHEN left(upn, 1) <> check_letter OR substr(upn, 13, 1) IN ('I', 'O', 'S') THEN 'bad_upn_check_letter'
         WHEN q.laestab IS NULL THEN 'invalid_laestab'
         WHEN reg.urn IS NULL THEN 'unknown_laestab'
         WHEN ncyear NOT IN ('N1', 'N2', 'R', 'X', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14') THEN 'invalid_ncyear'
         WHEN fsm IS NULL THEN 'invalid_flag' END AS check_reason
  FROM q LEFT JOIN register reg ON reg.laestab = q.laestab
)
SELECT file, period, line, upn, urn, ncyear, fsm, postcode, left(postcode, length(postcode) - 2) AS sector,
       coalesce(check_reason, CASE WHEN row_number() OVER (PARTITION BY check_reason IS NULL, period, urn, upn ORDER BY file, line) > 1 THEN 'duplicate_upn' END) AS reason,
       CASE check_reason WHEN 'invalid_ncyear' THEN left(nc_raw, 60) WHEN 'invalid_flag' THEN left(fsm_raw, 60) WHEN 'invalid_laestab' THEN left(le, 60)
            WHEN 'unknown_laestab' THEN r.laestab ELSE repeat('*', least(length(upn), 13)) END AS value
FROM r r;

COPY (SELECT file, line, value, reason FROM pupils_checked WHERE reason IS NOT NULL ORDER BY file, line)
  TO '{{out}}/quarantine/pupils.csv' (HEADER);
-- Lines read_csv could not split into the header's fields.
COPY (SELECT s.file_path AS file, e.line, e.error_type AS reason FROM reject_errors e JOIN reject_scans s USING (scan_id, file_id) ORDER BY 1, 2)
  TO '{{out}}/quarantine/pupils-broken.csv' (HEADER);
CREATE TABLE pupils AS
SELECT sha256(k.opad || unhex(sha256(k.ipad || encode(upn)))) AS pupil_id, urn, ncyear, fsm, postcode, sector, period
FROM pupils_checked, hmac_key k WHERE reason IS NULL;
COPY pupils TO '{{out}}/curated/pupils' (FORMAT parquet, PARTITION_BY (period));

-- Contacts: the Choice Advisers log.
CREATE TABLE contacts_checked AS
WITH c AS (
  SELECT row_number() OVER () + 1 AS line, trim(coalesce(contact_id, '')) AS id, trim(coalesce(contact_date, '')) AS d, lower(trim(coalesce(channel, ''))) AS ch,
         upper(regexp_replace(coalesce(postcode, ''), '\s', '', 'g')) AS pc, trim(coalesce(child_urn, '')) AS cu, upper(trim(coalesce(child_ncyear, ''))) AS cy
  FROM read_csv('{{input}}/contacts/contacts.csv', header = true, all_varchar = true)
), t AS (
  SELECT *, coalesce(try_strptime(d, '%Y-%m-%d'), try_strptime(d, '%d/%m/%Y'))::DATE AS day,
         CASE WHEN regexp_full_match(regexp_replace(cy, '^(YEAR|Y)\s*', ''), '0[0-9]') THEN right(cy, 1) ELSE regexp_replace(cy, '^(YEAR|Y)\s*', '') END AS ncy
  FROM c
)
SELECT line, id AS contact_id, day AS contact_date,
       CASE WHEN regexp_full_match(ch, 'helpline|help line|phone|telephone|tel|call|phone call') THEN 'helpline'
            WHEN regexp_full_match(ch, 'school[ _-]?meeting|meeting at school|school visit|meeting|school') THEN 'school_meeting'
            WHEN regexp_full_match(ch, 'drop[ _-]?in|drop[ _-]?in session|walk[ _-]?in') THEN 'drop_in'
            WHEN regexp_full_match(ch, 'e[ _-]?mail|email enquiry') THEN 'email' ELSE 'other' END AS channel,
       CASE WHEN regexp_full_match(pc, '[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}') THEN left(pc, length(pc) - 3) || ' ' || right(pc, 3) END AS postcode,
       NULLIF(cu, '') AS child_urn, NULLIF(CASE WHEN ncy = 'RECEPTION' THEN 'R' ELSE ncy END, '') AS child_ncyear,
       CAST(year(day) - CASE WHEN month(day) >= 9 THEN 0 ELSE 1 END AS VARCHAR) || '-' || lpad(CAST((year(day) + CASE WHEN month(day) >= 9 THEN 1 ELSE 0 END) % 100 AS VARCHAR), 2, '0') AS period,
       CASE WHEN id = '' THEN 'missing_value' WHEN day IS NULL THEN 'invalid_date' WHEN cu <> '' AND NOT regexp_full_match(cu, '[0-9]{6}') THEN 'invalid_urn'
            WHEN cy <> '' AND NULLIF(CASE WHEN ncy = 'RECEPTION' THEN 'R' ELSE ncy END, '') NOT IN ('N1', 'N2', 'R', 'X', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12', '13', '14') THEN 'invalid_ncyear'
            WHEN row_number() OVER (PARTITION BY id, day IS NULL ORDER BY line) > 1 THEN 'duplicate_contact_id' END AS reason
FROM t;
COPY (SELECT 'contacts/contacts.csv' AS file, line, reason FROM contacts_checked WHERE reason IS NOT NULL ORDER BY line) TO '{{out}}/quarantine/contacts.csv' (HEADER);
CREATE TABLE contacts AS SELECT * EXCLUDE (line, reason) FROM contacts_checked WHERE reason IS NULL;
COPY (SELECT contact_id, contact_date, channel, postcode, left(postcode, length(postcode) - 2) AS sector, child_urn, child_ncyear, period FROM contacts)
  TO '{{out}}/curated/contacts' (FORMAT parquet, PARTITION_BY (period));

-- Matching: exact, terminated, sector (the modal segment of the postcode sector), unmatched, invalid.
CREATE TABLE sector_mode AS
SELECT sector, segment FROM (
  SELECT sector, segment, row_number() OVER (PARTITION BY sector ORDER BY count(*) DESC, segment) AS rk
  FROM postcodes WHERE segment IS NOT NULL GROUP BY sector, segment
) WHERE rk = 1;

CREATE TABLE enriched_pupils AS
SELECT p.pupil_id, p.urn, p.ncyear, p.fsm,
       CASE WHEN p.postcode IS NULL THEN 'invalid' WHEN pc.segment IS NOT NULL AND NOT pc.terminated THEN 'exact'
            WHEN pc.segment IS NOT NULL THEN 'terminated' WHEN sm.segment IS NOT NULL THEN 'sector' ELSE 'unmatched' END AS match_status,
       coalesce(pc.segment, sm.segment) AS subgroup, left(coalesce(pc.segment, sm.segment), 2) AS group_code, left(coalesce(pc.segment, sm.segment), 1) AS supergroup,
       pc.ward, pc.lsoa, pc.imd_rank,
       CASE WHEN pc.country = 'E' AND pc.imd_rank BETWEEN 1 AND 33755 THEN CAST(ceil(pc.imd_rank * 10.0 / 33755) AS INTEGER) END AS imd_decile,
       p.period
FROM pupils p LEFT JOIN postcodes pc ON pc.postcode = p.postcode LEFT JOIN sector_mode sm ON sm.sector = p.sector;
COPY enriched_pupils TO '{{out}}/curated/enriched_pupils' (FORMAT parquet, PARTITION_BY (period));

COPY (
  SELECT c.contact_id, c.contact_date, c.channel, c.postcode, c.child_urn, c.child_ncyear,
         CASE WHEN c.postcode IS NULL THEN 'invalid' WHEN pc.segment IS NOT NULL AND NOT pc.terminated THEN 'exact'
              WHEN pc.segment IS NOT NULL THEN 'terminated' WHEN sm.segment IS NOT NULL THEN 'sector' ELSE 'unmatched' END AS match_status,
         coalesce(pc.segment, sm.segment) AS subgroup, pc.ward, c.period
  FROM contacts c LEFT JOIN postcodes pc ON pc.postcode = c.postcode LEFT JOIN sector_mode sm ON sm.sector = left(c.postcode, length(c.postcode) - 2)
) TO '{{out}}/curated/enriched_contacts' (FORMAT parquet, PARTITION_BY (period));

-- Per-school counts at three levels, and the match summary per school.
COPY (
  SELECT urn, 'supergroup' AS level, supergroup AS segment, count(*) AS n, period FROM enriched_pupils WHERE supergroup IS NOT NULL GROUP BY ALL
  UNION ALL SELECT urn, 'group', group_code, count(*), period FROM enriched_pupils WHERE group_code IS NOT NULL GROUP BY ALL
  UNION ALL SELECT urn, 'subgroup', subgroup, count(*), period FROM enriched_pupils WHERE subgroup IS NOT NULL GROUP BY ALL
) TO '{{out}}/published/school_segment_counts' (FORMAT parquet, PARTITION_BY (period));
COPY (
  SELECT urn, count(*) AS pupils, count_if(match_status = 'exact') AS exact, count_if(match_status = 'terminated') AS terminated,
         count_if(match_status = 'sector') AS sector, count_if(match_status = 'unmatched') AS unmatched, count_if(match_status = 'invalid') AS invalid, period
  FROM enriched_pupils GROUP BY urn, period
) TO '{{out}}/published/match_summary' (FORMAT parquet, PARTITION_BY (period));
