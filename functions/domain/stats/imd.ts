/**
 * English Index of Multiple Deprivation (IMD 2019) helpers.
 *
 * IMD 2019 ranks England's 32,844 LSOAs (2011 boundaries) from 1 = most deprived to
 * 32,844 = least deprived. Deciles follow the MHCLG convention: decile 1 = the most deprived
 * 10% of LSOAs, decile 10 = the least deprived 10%.
 */

/** Number of LSOAs ranked in the English IMD 2019. */
export const IMD_2019_LSOA_COUNT = 32844;

/**
 * Decile of an IMD rank: ceil(rank · 10 / total), clipped to 1..10.
 * With the default total this reproduces the published IMD 2019 deciles
 * (e.g. ranks 1–3284 → 1, 3285–6568 → 2, 32844 → 10).
 * Computed in integer arithmetic so exact boundaries cannot be nudged by floating point.
 * Throws for a rank outside 1..total: it usually means a rank from another index
 * (IMD 2015, the Welsh WIMD) or a shifted column, which should not be silently clipped.
 */
export function imdDecile(rank: number, total: number = IMD_2019_LSOA_COUNT): number {
  if (!(Number.isInteger(total) && total >= 1)) throw new RangeError(`total must be a positive integer, got ${total}`);
  if (!(Number.isInteger(rank) && rank >= 1 && rank <= total)) {
    throw new RangeError(`IMD rank must be an integer in 1..${total}, got ${rank}`);
  }
  const decile = Math.floor((rank * 10 + total - 1) / total); // = ceil(rank·10/total)
  return Math.min(10, Math.max(1, decile));
}
