/**
 * The bare-join floor: the same join and counts as the pipeline's spine (pupils to the postcode
 * classification, with sector imputation; segment counts per school at three levels; match status
 * per school), as one DuckDB script straight over the CSVs in their 2026 layouts (NSPL with
 * oac21ind, GIAS extract, census keyed by LAESTAB), writing Parquet. No validation, no pseudonyms,
 * no quarantine: what the engine alone costs.
 * Usage: tsx bench/floor-child.ts <input> <out>
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';

const [input, out] = process.argv.slice(2).map((p) => resolve(p));
mkdirSync(out, { recursive: true });
const t0 = performance.now();
const db = await DuckDBInstance.create(':memory:', { memory_limit: '1500MB' });
const c = await db.connect();
const key = (col: string) => `upper(replace(${col}, ' ', ''))`;
const script = `
CREATE TABLE pc AS
  SELECT ${key('pcds')} AS k, left(${key('pcds')}, length(${key('pcds')}) - 2) AS sector,
         doterm <> '' AS terminated, NULLIF(oac21ind, '') AS segment, wd26cd AS ward
  FROM read_csv('${input}/classification/NSPL*.csv', header = true, all_varchar = true);
CREATE TABLE school AS
  SELECT "LA (code)" || "EstablishmentNumber" AS laestab, max("URN") AS urn
  FROM read_csv('${input}/schools/edubasealldata*.csv', header = true, all_varchar = true) GROUP BY 1;
CREATE TABLE sector_mode AS
  SELECT sector, arg_max(segment, n) AS segment FROM (
    SELECT sector, segment, count(*) AS n FROM pc WHERE segment IS NOT NULL GROUP BY ALL) GROUP BY sector;
CREATE TABLE enriched AS
  WITH p AS (
    SELECT s.urn, ${key('PostCode')} AS k
    FROM read_csv('${input}/pupils/*.csv', header = true, all_varchar = true) p JOIN school s ON s.laestab = p.LAEstab)
  SELECT p.urn,
         CASE WHEN length(p.k) < 5 THEN 'invalid' WHEN pc.segment IS NOT NULL AND NOT pc.terminated THEN 'exact'
              WHEN pc.segment IS NOT NULL THEN 'terminated' WHEN sm.segment IS NOT NULL THEN 'sector' ELSE 'unmatched' END AS status,
         coalesce(pc.segment, sm.segment) AS segment
  FROM p LEFT JOIN pc USING (k) LEFT JOIN sector_mode sm ON sm.sector = left(p.k, length(p.k) - 2);
COPY (
  SELECT urn, 'supergroup' AS level, left(segment, 1) AS segment, count(*) AS n FROM enriched WHERE segment IS NOT NULL GROUP BY ALL
  UNION ALL SELECT urn, 'group', left(segment, 2), count(*) FROM enriched WHERE segment IS NOT NULL GROUP BY ALL
  UNION ALL SELECT urn, 'subgroup', segment, count(*) FROM enriched WHERE segment IS NOT NULL GROUP BY ALL
) TO '${out}/school_segment_counts.parquet' (FORMAT parquet);
COPY (SELECT urn, status, count(*) AS n FROM enriched GROUP BY ALL) TO '${out}/match_summary.parquet' (FORMAT parquet);
`;
for (const stmt of script.split(';').map((s) => s.trim()).filter(Boolean)) await c.run(stmt);
c.closeSync();
db.closeSync();
process.stdout.write(JSON.stringify({ wallMs: Math.round(performance.now() - t0), peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) }) + '\n');
