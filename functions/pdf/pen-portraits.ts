/**
 * Short, plain-English descriptions of the eight 2011 Output Area Classification supergroups,
 * written for head teachers. They describe the typical neighbourhood, never a child or family, and
 * avoid judgemental words: the official ONS names (which we must print as they are) carry enough
 * weight on their own. A document's own `description` wins when the classification supplies one.
 */
import { OAC11_NAMES } from '../../schemas/oac11.ts';

export interface PenPortrait {
  code: string;
  name: string;
  text: string;
}

const PORTRAITS: Record<string, string> = {
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
};

const SUPERGROUP_NAMES = new Map<string, string>();
for (const r of OAC11_NAMES) SUPERGROUP_NAMES.set(r.code[0]!, r.supergroup);

/** The supergroup digit of an OAC 2011 code ("6", "6B", "6B2"), or null. */
export function supergroupDigit(code: string): string | null {
  const d = code.trim()[0];
  return d && /[1-9]/.test(d) ? d : null;
}

/** The supergroup name for an OAC code, from the built-in ONS names. */
export function supergroupName(code: string): string | null {
  const d = supergroupDigit(code);
  return d ? (SUPERGROUP_NAMES.get(d) ?? null) : null;
}

/** Group and subgroup names for a subgroup code such as "6B2". */
export function oacNames(code: string): { supergroup: string; group: string; subgroup: string } | null {
  const r = OAC11_NAMES.find((x) => x.code === code);
  return r ? { supergroup: r.supergroup, group: r.group, subgroup: r.subgroup } : null;
}

/**
 * The pen portrait for a segment: the document's description when it has one, else the built-in
 * supergroup portrait for OAC 2011 codes (by the supergroup digit, or the supergroup's name).
 */
export function penPortrait(code: string, name: string, description: string | null): string | null {
  if (description && description.trim()) return description.trim();
  let d = supergroupDigit(code);
  if (!d) {
    for (const [digit, sg] of SUPERGROUP_NAMES) if (sg.toLowerCase() === name.trim().toLowerCase()) d = digit;
  }
  return d ? (PORTRAITS[d] ?? null) : null;
}

/** All eight portraits (for tests and the method notes). */
export function allPortraits(): PenPortrait[] {
  return ['1', '2', '3', '4', '5', '6', '7', '8'].map((d) => ({ code: d, name: SUPERGROUP_NAMES.get(d)!, text: PORTRAITS[d]! }));
}

/** Supergroups that tend to look comparatively affluent in a postcode profile (for the new-housing caveat). */
export const AFFLUENT_LOOKING = new Set(['1', '5', '6']);
