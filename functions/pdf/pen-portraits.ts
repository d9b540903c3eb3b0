/**
 * Short, plain-English descriptions of the Output Area Classification's supergroups (2011 and
 * 2021) and of the 2021 groups, written for head teachers in our own words. They describe the
 * typical neighbourhood, never a child or family, and avoid judgemental words: the official names
 * (which we must print as they are) carry enough weight on their own. A document's own
 * `description` wins when the classification supplies one. Which edition a code belongs to comes
 * from the document: "2B" is a different group in 2011 and 2021.
 */
import { BUILT_IN_CLASSIFICATIONS, type ClassificationEdition } from '../../schemas/editions.ts';

export interface PenPortrait {
  code: string;
  name: string;
  text: string;
}

type Oac = 'oac11' | 'oac21';

const SUPERGROUP_PORTRAITS: Record<Oac, Record<string, string>> = {
  oac11: {
    '1':
      'Homes in villages and the countryside, often detached and spread out, and more often owned outright than elsewhere. ' +
      'Residents are on average older, and more work in farming or from home, or travel some way to work. ' +
      'Families can live a long way from shops, health services and schools, so travel and transport matter.',
    '2':
      'Busy urban neighbourhoods near city centres and universities. Many residents are students or young working adults, ' +
      'often living in privately rented flats and moving home more often than average; households tend to be small. ' +
      'More residents than average were born outside the UK, including elsewhere in Europe.',
    '3':
      'Dense neighbourhoods, mostly in and around central London, where residents come from many ethnic backgrounds and ' +
      'many speak more than one language. Most homes are rented flats. Residents are more likely than average to be young ' +
      'adults, to use public transport and to work in service industries, and fewer own a car.',
    '4':
      'Neighbourhoods in the inner and outer parts of large cities, home to families from a wide range of ethnic backgrounds. ' +
      'Households are more likely than average to include children, homes are often terraced houses or flats, and renting, ' +
      'both private and social, is common. Many residents work in transport, retail and other service jobs.',
    '5':
      'Town and city neighbourhoods, mostly in the south of England, with a mix of flats and terraced houses, both owned and ' +
      'rented. Residents are often in mid-career, working in professional, administrative and service jobs, and households ' +
      'are a little less likely than average to include children.',
    '6':
      'Suburbs on the edges of towns and cities, mostly semi-detached and detached homes that residents own. Residents are ' +
      'more likely than average to be established families or older couples, to hold qualifications and to work in ' +
      'professional or managerial jobs. Car ownership is high.',
    '7':
      'Dense urban neighbourhoods, often flats and terraces, where more homes than average are rented from a council or ' +
      'housing association. Households are more often single adults or lone parents, and more residents than average live ' +
      'with a long-term illness or are looking for work. Many families may be managing on tight budgets.',
    '8':
      'Neighbourhoods mostly in the towns and cities of northern England and south Wales, often terraced houses, a mix of ' +
      'owned and socially rented homes. Fewer residents than average hold higher qualifications, and more work in ' +
      'manufacturing, retail, care and other routine jobs; more than average are looking for work.',
    '9': 'Areas outside the classification (the Channel Islands and the Isle of Man).',
  },
  oac21: {
    '1':
      'Villages, small towns and the quieter edges of larger ones, mostly detached and semi-detached homes that residents own. ' +
      'Residents are older than average, many retired or near retirement after professional or managerial work, and many ' +
      'households are couples whose children have grown up. Car ownership is high.',
    '2':
      'Suburbs and the countryside around towns and cities, with semi-detached and terraced houses, owned and rented. ' +
      'Residents range from young families to retired people; more work in skilled trades, administration and services ' +
      'than in the professions.',
    '3':
      'Neighbourhoods in and near the centres of cities and university towns. Many residents are young adults, students and ' +
      'people early in professional careers, from many ethnic backgrounds and often with degrees. Most rent, often flats, ' +
      'and move home more often than average; some areas have many young families.',
    '4':
      'Dense urban neighbourhoods of terraces and flats, home to families from many ethnic backgrounds, including people who ' +
      'came to the UK more recently, and to students. Renting is common, more homes than average are crowded, and many ' +
      'residents work in service, transport and care jobs.',
    '5':
      'Outer suburbs of larger cities, London especially, with semi-detached and terraced homes mostly owned by the families ' +
      'who live in them. Households come from a wide range of ethnic backgrounds, and many adults work in professional, ' +
      'managerial or skilled jobs and commute.',
    '6':
      'Neighbourhoods close to the UK average on most measures, in towns and cities across the country. Homes are a mix of ' +
      'terraces, semi-detached houses and flats, owned and rented; residents work in a broad range of jobs, and in some ' +
      'areas more households than average manage on lower incomes.',
    '7':
      'Neighbourhoods of former industrial towns and the outer estates of cities, often terraced and semi-detached homes, ' +
      'many rented from councils or housing associations. More residents than average work in routine jobs, live with a ' +
      'long-term illness or are looking for work; many families may be on tight budgets.',
    '8':
      'Established estates and blocks of flats, often in towns with a long industrial history, where older people living ' +
      'alone share streets with young families who rent. Social renting is common, and more residents than average are ' +
      'retired, live with a disability or work in routine jobs.',
  },
};

/** The 2021 groups (the 2011 classification has supergroup portraits only). */
const GROUP_PORTRAITS: Record<Oac, Record<string, string>> = {
  oac11: {},
  oac21: {
    '1A': 'Villages and open countryside with large detached homes, mostly owned outright; residents are older, and many work from home or travel some way to work.',
    '1B': 'Settled suburbs of small towns, owner-occupied semi-detached and detached homes; couples and older families, many in or near retirement.',
    '1C': 'Spacious suburban homes owned by established families, often with older children and parents in professional or managerial work.',
    '2A': 'Terraced and semi-detached streets of inner suburbs and small towns, owned and privately rented, with younger families and adults in a range of jobs.',
    '2B': 'Rural areas and market towns with mixed housing, older residents and families, and more work than average in farming, tourism and local services.',
    '2C': 'Areas with many older residents, some in retirement housing or care homes, others independently in smaller homes.',
    '3A': 'Streets around universities and city centres where students and young professionals rent flats and shared houses.',
    '3B': 'Urban neighbourhoods with many young families from a range of ethnic backgrounds, often renting privately or from social landlords.',
    '3C': 'Central and inner-city flats, home to single, highly qualified professionals from many backgrounds; most rent.',
    '4A': 'Family neighbourhoods away from city centres with households from many ethnic backgrounds, often larger families, and many adults in service jobs.',
    '4B': 'Long-established inner-city communities from many ethnic backgrounds, in terraces and flats, with families and workers in routine service jobs.',
    '4C': 'Dense terraces and flats shared by long-standing minority ethnic communities, newer arrivals and students; renting and crowded homes are common.',
    '5A': 'Owner-occupied outer suburbs with families and older couples from a range of backgrounds, many commuting to professional work.',
    '5B': 'Suburban terraced and semi-detached streets with families from many ethnic backgrounds, often with adults in professional or skilled work.',
    '6A': 'Estates and terraces in towns and cities with younger households, often renting, where more families than average are on low incomes.',
    '6B': 'Older terraced streets of former industrial and seaside towns, with retired residents, routine workers and some newer arrivals.',
    '6C': 'Inner suburbs of mixed ethnic backgrounds where many rent privately and residents move on more often than average.',
    '7A': 'Established urban communities in terraces and semi-detached homes, with older residents and many adults in routine and manual jobs.',
    '7B': 'Terraced streets of industrial towns with younger families, many renting, and adults in semi-skilled and routine work.',
    '8A': 'Flats and small homes, many socially rented, where older people living alone and adults in routine jobs make up much of the population.',
    '8B': 'Social housing estates with a mix of ages, from young families renting flats to retired residents; more residents than average have health problems or are out of work.',
  },
};

const oac = (edition: ClassificationEdition | string | null | undefined): Oac | null => (edition === 'oac11' || edition === 'oac21' ? edition : null);

/** The supergroup digit of an OAC code ("6", "6B", "6B2"), or null. */
export function supergroupDigit(code: string): string | null {
  const d = code.trim()[0];
  return d && /[1-9]/.test(d) ? d : null;
}

/** The supergroup name for an OAC code, from the built-in names of the edition. */
export function supergroupName(code: string, edition: ClassificationEdition | string = 'oac11'): string | null {
  const e = oac(edition);
  const d = supergroupDigit(code);
  if (!e || !d) return null;
  return BUILT_IN_CLASSIFICATIONS[e].names.find((r) => r.code[0] === d)?.supergroup ?? null;
}

/** Group and subgroup names for a subgroup code such as "6B2" in the edition. */
export function oacNames(code: string, edition: ClassificationEdition | string = 'oac11'): { supergroup: string; group: string; subgroup: string } | null {
  const e = oac(edition);
  const r = e ? BUILT_IN_CLASSIFICATIONS[e].names.find((x) => x.code === code) : undefined;
  return r ? { supergroup: r.supergroup, group: r.group, subgroup: r.subgroup } : null;
}

/**
 * The pen portrait for a supergroup: the document's description when it has one, else the
 * built-in portrait of the edition (by the supergroup digit, or the supergroup's name).
 */
export function penPortrait(code: string, name: string, description: string | null, edition: ClassificationEdition | string = 'oac11'): string | null {
  if (description && description.trim()) return description.trim();
  const e = oac(edition);
  if (!e) return null;
  let d = supergroupDigit(code);
  if (!d) {
    for (const r of BUILT_IN_CLASSIFICATIONS[e].names) if (r.supergroup.toLowerCase() === name.trim().toLowerCase()) d = r.code[0]!;
  }
  return d ? (SUPERGROUP_PORTRAITS[e][d] ?? null) : null;
}

/** The built-in portrait of the group of a code ("4B" or "4B2"), where the edition has one. */
export function groupPortrait(code: string, edition: ClassificationEdition | string): string | null {
  const e = oac(edition);
  return e ? (GROUP_PORTRAITS[e][code.trim().slice(0, 2)] ?? null) : null;
}

/** All supergroup portraits of an edition (for tests and the method notes). */
export function allPortraits(edition: Oac = 'oac11'): PenPortrait[] {
  return ['1', '2', '3', '4', '5', '6', '7', '8'].map((d) => ({ code: d, name: supergroupName(d, edition)!, text: SUPERGROUP_PORTRAITS[edition][d]! }));
}

/** All group portraits of an edition. */
export function allGroupPortraits(edition: Oac): PenPortrait[] {
  return Object.entries(GROUP_PORTRAITS[edition]).map(([code, text]) => ({ code, name: oacNames(`${code}1`, edition)?.group ?? code, text }));
}

/** Supergroups that tend to look comparatively affluent in a postcode profile (for the new-housing caveat). */
export const AFFLUENT_LOOKING: Record<Oac, Set<string>> = { oac11: new Set(['1', '5', '6']), oac21: new Set(['1', '2', '5']) };
