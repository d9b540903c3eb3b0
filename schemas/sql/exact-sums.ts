/**
 * Sums of doubles that are the same bits on every run and on both engines. A floating-point sum over
 * many rows is added in whatever order the engine's threads finish, so its last digits change from
 * run to run (seen in the England map means and the Kent admissions distances). Values are rounded
 * to whole millionths (micro-degrees for NSPL positions, which have six decimals; millimetres for
 * kilometres), summed as integers, which is exact, and only then divided.
 */

/** `expr` in whole millionths, as a BIGINT (NULL stays NULL). */
export function microUnitsSql(expr: string): string {
  return `CAST(round(${expr} * 1000000) AS BIGINT)`;
}

/** The sum of `expr` (NULLs skipped; 0 over no rows) to a millionth, as a DOUBLE. */
export function exactSumSql(expr: string): string {
  return `CAST(COALESCE(sum(${microUnitsSql(expr)}), 0) AS DOUBLE) / 1000000`;
}
