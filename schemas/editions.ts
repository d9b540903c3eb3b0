/**
 * Editions of what a segment or a deprivation decile means. A subgroup code such as "2B1" names a
 * different kind of neighbourhood in the 2011 and the 2021 Output Area Classification, and an IMD
 * rank is a position among a different number of areas in each edition of the English indices,
 * so every output that shows either says which edition it uses, and nothing mixes two.
 */
import { z } from 'zod';
import { OAC11_NAMES, type OacName } from './oac11.ts';
import { OAC21_NAMES } from './oac21.ts';

export const CLASSIFICATION_EDITIONS = ['oac11', 'oac21', 'custom'] as const;
export type ClassificationEdition = (typeof CLASSIFICATION_EDITIONS)[number];
export const classificationEdition = z.enum(CLASSIFICATION_EDITIONS).describe('oac11 | oac21 (ONS Output Area Classification 2011 or 2021) | custom (a licensed classification with its own segments.csv)');

/** The built-in classifications (custom ones bring their own dictionary). */
export const BUILT_IN_CLASSIFICATIONS: Record<Exclude<ClassificationEdition, 'custom'>, { name: string; short: string; names: readonly OacName[] }> = {
  oac11: { name: 'ONS Output Area Classification 2011', short: 'OAC 2011', names: OAC11_NAMES },
  oac21: { name: 'ONS Output Area Classification 2021', short: 'OAC 2021', names: OAC21_NAMES },
};

export function classificationName(edition: ClassificationEdition | string | null | undefined): string {
  if (edition === 'oac11' || edition === 'oac21') return BUILT_IN_CLASSIFICATIONS[edition].name;
  return 'Postcode classification';
}

/**
 * Editions of the English Indices of Deprivation as the NSPL carries them. Each ranks England's
 * LSOAs of one census from 1 (most deprived); a decile is ceil(rank * 10 / lsoas). Wales,
 * Scotland and Northern Ireland rank their own areas with their own indices, so their postcodes
 * never get an English decile.
 */
export const IMD_EDITIONS = {
  imd2010: { name: 'English Indices of Deprivation 2010', lsoas: 32_482, census: 2001 },
  imd2015: { name: 'English Indices of Deprivation 2015', lsoas: 32_844, census: 2011 },
  imd2019: { name: 'English Indices of Deprivation 2019', lsoas: 32_844, census: 2011 },
  imd2025: { name: 'English Indices of Deprivation 2025', lsoas: 33_755, census: 2021 },
} as const;
export type ImdEdition = keyof typeof IMD_EDITIONS;
export const IMD_EDITION_IDS = Object.keys(IMD_EDITIONS) as ImdEdition[];

/**
 * The IMD edition behind an NSPL rank column. `imdNNind` (2025 on) names it: imd20ind holds IMD 2019
 * for England (the "20" is the newest nation's edition, Scotland's SIMD 2020), imd25ind IMD 2025.
 * The older `imd` column carried whatever edition was current at the release: 2019 from the
 * November 2019 release, 2015 from November 2015, 2010 before. Null when nothing says.
 */
export function imdEditionOf(sourceColumn: string, release: string | null): { edition: ImdEdition; assumed: boolean } | null {
  const m = /^imd(\d\d)(ind)?$/.exec(sourceColumn);
  if (m) {
    const yy = Number(m[1]);
    if (yy >= 25) return { edition: 'imd2025', assumed: yy !== 25 };
    if (yy >= 19) return { edition: 'imd2019', assumed: false };
    if (yy >= 15) return { edition: 'imd2015', assumed: false };
    return { edition: 'imd2010', assumed: false };
  }
  if (sourceColumn !== 'imd') return null;
  if (!release) return { edition: 'imd2019', assumed: true };
  if (release >= '2019-11') return { edition: 'imd2019', assumed: false };
  if (release >= '2015-11') return { edition: 'imd2015', assumed: false };
  return { edition: 'imd2010', assumed: false };
}

/** Nation of a GSS code by its first letter (E England, W Wales, S Scotland, N Northern Ireland, L/M islands). */
export function nationOf(code: string | null | undefined): string | null {
  const c = (code ?? '').trim();
  return /^[EWSNLM]\d{8}$/.test(c) ? c[0]! : null;
}
