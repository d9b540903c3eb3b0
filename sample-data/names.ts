/**
 * Word lists and code lists for the synthetic sample data. All place, ward, cluster and school
 * names are made up from these lists; postcode areas are valid in format but are not real UK
 * postcode areas.
 */
import type { Rng } from './random.ts';

const TOWN_PREFIX = [
  'Alder', 'Ash', 'Bar', 'Beck', 'Birch', 'Bram', 'Brook', 'Bur', 'Cal', 'Chal', 'Clay', 'Cold',
  'Cran', 'Dar', 'Dun', 'Elm', 'Fern', 'Fox', 'Glen', 'Gold', 'Hart', 'Hazel', 'Holm', 'Ivy',
  'Kings', 'Lang', 'Lark', 'Mar', 'Mill', 'Nether', 'Oak', 'Pen', 'Queens', 'Raven', 'Rook',
  'Rush', 'Sand', 'Stan', 'Thorn', 'Up', 'Wal', 'Willow', 'Wold', 'Wyn', 'Yew', 'Hollow',
  'Marl', 'Heron', 'Bark', 'Flint', 'Kestrel', 'Lynd', 'Sorrel', 'Tansy',
];
const TOWN_SUFFIX = [
  'ford', 'stone', 'bury', 'ham', 'field', 'den', 'hurst', 'ley', 'worth', 'gate', 'wick',
  'combe', 'minster', 'borough', 'brook', 'church', 'cliffe', 'dale', 'don', 'well', 'wood',
  'mere', 'stead', 'thorpe', 'ton', 'by', 'marsh', 'holt',
];
/** Combinations that are (or are too close to) well-known real places. */
const REAL_PLACES = new Set([
  'Ashford', 'Ashby', 'Ashton', 'Ashwell', 'Ashstead', 'Newbury', 'Kingston', 'Oakham', 'Stanford',
  'Fairford', 'Longford', 'Wickham', 'Millbrook', 'Sandwell', 'Burton', 'Barton', 'Darlington',
  'Dunstable', 'Kingsbury', 'Kingswood', 'Oakwood', 'Elmbridge', 'Marlborough', 'Stanmore',
  'Caldwell', 'Holmwood', 'Walton', 'Barham', 'Chalfont', 'Cranbrook', 'Denton', 'Upton',
  'Hartley', 'Ashley', 'Cranleigh', 'Brookwood', 'Sandhurst', 'Penge', 'Bramley', 'Birchwood',
  'Hurstwood', 'Hazelwood', 'Oakley', 'Walsall', 'Kingsdown', 'Fernhurst', 'Foxton', 'Dunton',
  'Penton', 'Millfield', 'Bramford', 'Sandford', 'Sandon', 'Alderley', 'Wolverton', 'Marden',
  'Elmstead', 'Elmley', 'Elmsworth', 'Barby', 'Kingsley', 'Dunham', 'Penistone', 'Bury', 'Fordham',
  'Hollowell', 'Holmfirth', 'Langley', 'Langford', 'Langham', 'Lyndhurst', 'Thornbury', 'Thornton',
  'Yewdale', 'Willowbrook', 'Raveningham', 'Ravenstone', 'Claydon', 'Clayton', 'Coldstream',
  'Chalford', 'Calder', 'Langdale', 'Marldon', 'Sandby', 'Thornham', 'Woldingham', 'Heronsgate',
]);

export function makePlaceName(rng: Rng): string {
  return rng.pick(TOWN_PREFIX) + rng.pick(TOWN_SUFFIX);
}

/** A place name not yet in `used` (and not a listed real place); adds it to `used`. */
export function uniquePlaceName(rng: Rng, used: Set<string>): string {
  for (let attempt = 0; attempt < 200; attempt++) {
    const n = makePlaceName(rng);
    if (!used.has(n) && !REAL_PLACES.has(n)) {
      used.add(n);
      return n;
    }
  }
  // the word lists give ~1,500 combinations; past that, qualify a name
  for (let i = 2; ; i++) {
    const n = `${makePlaceName(rng)} ${['Parva', 'Magna', 'Green', 'Heath', 'End', 'Cross'][i % 6]}${i > 7 ? ` ${i}` : ''}`;
    if (!used.has(n)) {
      used.add(n);
      return n;
    }
  }
}

export const URBAN_WARD_SUFFIX = [
  'Central', 'North', 'South', 'East', 'West', 'Park', 'Castle', 'Abbey', 'Priory', 'Harbour',
  'Hill', 'Vale', 'Common', 'Green', 'Heath', 'Meadows', 'Marsh', 'Bridge', 'Rise', 'Fields',
  'Town', 'Westgate', 'Northgate', 'Cathedral', 'Quarry', 'Riverside', 'Station', 'St Mary',
];

export const SAINTS = [
  "St Mary's", "St Peter's", "St John's", "St Paul's", "St Michael's", "St Andrew's",
  "St George's", "St Margaret's", "St Nicholas'", "St Mark's", "St Luke's", "St Stephen's",
  "St Thomas'", "St Joseph's", "St Anne's", "St Bartholomew's", "St Augustine's", "St Edmund's",
  "St Lawrence's", "St James'", 'Holy Trinity', 'Christ Church', 'All Saints', 'Our Lady of Hope',
];

export const SCHOOL_FEATURES = [
  'Park', 'Meadow', 'Valley', 'Hill', 'Oaks', 'Fields', 'Wood', 'Green', 'Brook', 'Heights',
  'Lane', 'View', 'Grange', 'Court', 'Downs', 'Marsh', 'Chase', 'Croft',
];

/** Real UK postcode areas: the fictional areas avoid these. */
const REAL_AREAS = new Set(
  ('AB AL B BA BB BD BH BL BN BR BS BT CA CB CF CH CM CO CR CT CV CW DA DD DE DG DH DL DN DT DY E EC ' +
    'EH EN EX FK FY G GL GU GY HA HD HG HP HR HS HU HX IG IM IP IV JE KA KT KW KY L LA LD LE LL LN LS ' +
    'LU M ME MK ML N NE NG NN NP NR NW OL OX PA PE PH PL PO PR RG RH RM S SA SE SG SK SL SM SN SO SP ' +
    'SR SS ST SW SY TA TD TF TN TQ TR TS TW UB W WA WC WD WF WN WR WS WV YO ZE BF BX XX GIR').split(' '),
);

/**
 * `n` fictional two-letter postcode areas in a valid format (first letter not Q, V or X; second
 * letter not I, J or Z), none of them a real UK area. The first is always "KX".
 */
export function fictionalAreas(rng: Rng, n: number): string[] {
  const first = 'ABCDEFGHIJKLMNOPRSTUWYZ'.split('').filter((c) => !'QVX'.includes(c));
  const second = 'ABCDEFGHKLMNOPQRSTUVWXY'.split('');
  const all: string[] = [];
  for (const a of first) for (const b of second) if (!REAL_AREAS.has(a + b) && a + b !== 'KX') all.push(a + b);
  rng.shuffle(all);
  return ['KX', ...all].slice(0, n);
}

/** Letters used in the inward code's unit part (Royal Mail never uses C, I, K, M, O, V there). */
export const UNIT_LETTERS = 'ABDEFGHJLNPQRSTUWXYZ';
/** All 400 two-letter unit codes, in order. */
export const UNITS: string[] = [];
for (const a of UNIT_LETTERS) for (const b of UNIT_LETTERS) UNITS.push(a + b);

/** 2011 OAC subgroup codes (supergroup digit, group letter, subgroup digit), 9Z9 excluded. */
export const OAC11_CODES = (
  '1A1 1A2 1A3 1A4 1B1 1B2 1B3 1C1 1C2 1C3 2A1 2A2 2A3 2B1 2B2 2C1 2C2 2C3 2D1 2D2 2D3 ' +
  '3A1 3A2 3B1 3B2 3B3 3C1 3C2 3D1 3D2 3D3 4A1 4A2 4A3 4B1 4B2 4C1 4C2 4C3 5A1 5A2 5A3 5B1 5B2 5B3 ' +
  '6A1 6A2 6A3 6A4 6B1 6B2 6B3 6B4 7A1 7A2 7A3 7B1 7B2 7B3 7C1 7C2 7C3 7D1 7D2 7D3 7D4 ' +
  '8A1 8A2 8B1 8B2 8C1 8C2 8C3 8D1 8D2 8D3'
).split(' ');

/** Subgroup codes grouped by supergroup (1..8) then group letter. */
export const OAC_TREE: Map<number, Map<string, string[]>> = new Map();
for (const code of OAC11_CODES) {
  const sg = Number(code[0]);
  const g = code[1]!;
  if (!OAC_TREE.has(sg)) OAC_TREE.set(sg, new Map());
  const groups = OAC_TREE.get(sg)!;
  if (!groups.has(g)) groups.set(g, []);
  groups.get(g)!.push(code);
}

/**
 * A plausible 2021 OAC subgroup for each 2011 group of the sample's spatial model (which is built on
 * the 2011 supergroups): rural 2011 types become 2021 rural ones, constrained city dwellers become
 * challenged or legacy communities, and so on. Only for making the fictional county look right;
 * it is no official lookup between the editions (there is none).
 */
const OAC21_FOR_OAC11_GROUP: Record<string, string> = {
  '1A': '1A', '1B': '2B', '1C': '2B', '2A': '3A', '2B': '3A', '2C': '3C', '2D': '3C', '3A': '3B',
  '3B': '4B', '3C': '4C', '3D': '5B', '4A': '4A', '4B': '4C', '4C': '5A', '5A': '2A', '5B': '2C',
  '6A': '1C', '6B': '1B', '7A': '6C', '7B': '8B', '7C': '6A', '7D': '8A', '8A': '7A', '8B': '7B',
  '8C': '6B', '8D': '6C',
};
/** Number of subgroups in each 2021 OAC group. */
const OAC21_GROUP_SIZE: Record<string, number> = {
  '1A': 2, '1B': 2, '1C': 2, '2A': 3, '2B': 2, '2C': 2, '3A': 4, '3B': 2, '3C': 2, '4A': 3, '4B': 4,
  '4C': 2, '5A': 3, '5B': 2, '6A': 3, '6B': 3, '6C': 2, '7A': 2, '7B': 2, '8A': 2, '8B': 3,
};

/** The sample's OAC 2021 subgroup for a postcode whose 2011 subgroup is `oac11` (e.g. 7C3 -> 6A3). */
export function sampleOac21(oac11: string): string {
  const g = OAC21_FOR_OAC11_GROUP[oac11.slice(0, 2)]!;
  return `${g}${((Number(oac11[2]) - 1) % OAC21_GROUP_SIZE[g]!) + 1}`;
}

/** Fictional pupils' names, streets and towns for the census extract (never read by catchment). */
export const FORENAMES = [
  'Amara', 'Arlo', 'Bea', 'Caius', 'Delphine', 'Eben', 'Fenna', 'Gideon', 'Halla', 'Idris', 'Juno',
  'Kit', 'Liora', 'Marek', 'Nell', 'Orrin', 'Pippa', 'Quill', 'Rosalind', 'Soren', 'Tamsin', 'Ulric',
  'Vesna', 'Wren', 'Xanthe', 'Yusuf', 'Zelda', 'Ansel', 'Briony', 'Corin', 'Dulcie', 'Emrys',
];
export const SURNAMES = [
  'Ashdown', 'Brackley', 'Cobbold', 'Dunmore', 'Eastling', 'Fairweather', 'Gathercole', 'Hambly',
  'Inchbald', 'Jessop', 'Kettleby', 'Lanyon', 'Merriman', 'Nettlefold', 'Ormiston', 'Pellow',
  'Quennell', 'Rudge', 'Saltonstall', 'Treloar', 'Umfreville', 'Varley', 'Wakelin', 'Yelland',
];
export const STREET_WORDS = ['Lane', 'Road', 'Close', 'Way', 'Gardens', 'Crescent', 'Mews', 'Drive', 'Walk', 'Terrace'];
