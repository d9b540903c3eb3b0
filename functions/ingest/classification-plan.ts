/**
 * Which classification a postcode lookup gives, decided from headers alone: the NSPL's own OAC
 * column of the chosen edition, the 2021 OAC from an OA-level file joined through oa21, or a
 * licensed postcode,segment table with its own dictionary; and the IMD edition of its rank column.
 */
import { BUILT_IN_CLASSIFICATIONS, imdEditionOf, type ClassificationEdition, type ImdEdition } from '../../schemas/editions.ts';
import type { HeaderMap } from './header.ts';

export class IngestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IngestError';
  }
}

/** How the postcode lookup is classified: which edition, and from which column or file. */
export interface ClassificationPlan {
  edition: ClassificationEdition;
  /** Where the segment comes from: an NSPL column (oac11/oac21), an OA-level file joined through oa21, or a generic table. */
  via: 'nspl-column' | 'oa-file' | 'generic';
  /** The header cell it comes from (e.g. oac21ind), or the OA file's name. */
  from: string;
}

export interface ImdPlan {
  edition: ImdEdition | null;
  /** The header cell of the rank (imd, imd20ind, imd25ind), or null when the lookup has none. */
  column: string | null;
  /** True when the edition is assumed (the release is not in the file name). */
  assumed: boolean;
}

export function imdPlanOf(h: HeaderMap, release: string | null): ImdPlan {
  const column = h.source.imd ?? null;
  if (!column) return { edition: null, column: null, assumed: false };
  const e = imdEditionOf(column.trim().toLowerCase(), release);
  return { edition: e?.edition ?? null, column, assumed: e?.assumed ?? false };
}

/** Decides the classification edition and where it comes from, or fails saying why. */
export function planClassification(nspl: HeaderMap | null, oaKeys: string[], requested: 'oac11' | 'oac21' | undefined): ClassificationPlan {
  if (!nspl) return { edition: 'custom', via: 'generic', from: 'classification/segments.csv' };
  const has21 = nspl.index.oac21! >= 0;
  const has11 = nspl.index.oac11! >= 0;
  const oa = oaKeys.length > 0 && nspl.index.oa21! >= 0;
  const viaOa = (): ClassificationPlan => ({ edition: 'oac21', via: 'oa-file', from: oaKeys.join(', ') });
  if (requested === 'oac11') {
    if (has11) return { edition: 'oac11', via: 'nspl-column', from: nspl.source.oac11! };
    throw new IngestError('--classification oac11: the postcode lookup carries no 2011 OAC column (oac11 or oac11ind)');
  }
  if (has21) return { edition: 'oac21', via: 'nspl-column', from: nspl.source.oac21! };
  if (oa) return viaOa();
  if (oaKeys.length > 0) throw new IngestError(`${oaKeys[0]}: an OA-level OAC 2021 file joins through the lookup's oa21/oa21cd, which this postcode lookup does not carry (it predates the 2024 releases)`);
  if (requested === 'oac21') throw new IngestError('--classification oac21: the postcode lookup carries no oac21ind, and there is no OA-level OAC 2021 file (oa21cd,subgroup) in classification/');
  if (has11) return { edition: 'oac11', via: 'nspl-column', from: nspl.source.oac11! };
  throw new IngestError('the postcode lookup carries no classification (oac11, oac11ind or oac21ind): add an OA-level OAC 2021 file (oa21cd,supergroup,group,subgroup) to classification/');
}

/** Segment dictionary rows (curated `segments` columns minus vintage) for a built-in OAC edition. */
export function oacDictionary(edition: 'oac11' | 'oac21'): (string | null)[][] {
  return BUILT_IN_CLASSIFICATIONS[edition].names.map((o) => [o.code, o.subgroup, o.code.slice(0, 2), o.group, o.code.slice(0, 1), o.supergroup, null, edition]);
}
