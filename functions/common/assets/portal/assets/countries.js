// The ISO 3166-1 alpha-2 codes the API accepts (domain/validation.rs), named
// in French by the browser itself (Intl.DisplayNames), sorted by name.

const CODES = 'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW'.split(' ');

let cached = null;

/** [{code, name}], France first, then by French name. */
export function countries() {
  if (cached) return cached;
  let names = null;
  try {
    names = new Intl.DisplayNames(['fr'], { type: 'region' });
  } catch {
    names = null;
  }
  const list = CODES.map((code) => ({ code, name: (names && names.of(code)) || code }));
  const collator = new Intl.Collator('fr');
  list.sort((a, b) => collator.compare(a.name, b.name));
  const france = list.findIndex((c) => c.code === 'FR');
  if (france > 0) list.unshift(...list.splice(france, 1));
  cached = list;
  return list;
}

// ---------------------------------------------------------------------------
// French départements (INSEE codes, as domain/validation.rs accepts them),
// and the forgiving reading of a birth place as candidates write it.

export const DEPARTMENTS = {
  '01': 'Ain', '02': 'Aisne', '03': 'Allier', '04': 'Alpes-de-Haute-Provence', '05': 'Hautes-Alpes',
  '06': 'Alpes-Maritimes', '07': 'Ardèche', '08': 'Ardennes', '09': 'Ariège', 10: 'Aube', 11: 'Aude',
  12: 'Aveyron', 13: 'Bouches-du-Rhône', 14: 'Calvados', 15: 'Cantal', 16: 'Charente', 17: 'Charente-Maritime',
  18: 'Cher', 19: 'Corrèze', '2A': 'Corse-du-Sud', '2B': 'Haute-Corse', 21: "Côte-d'Or", 22: "Côtes-d'Armor",
  23: 'Creuse', 24: 'Dordogne', 25: 'Doubs', 26: 'Drôme', 27: 'Eure', 28: 'Eure-et-Loir', 29: 'Finistère',
  30: 'Gard', 31: 'Haute-Garonne', 32: 'Gers', 33: 'Gironde', 34: 'Hérault', 35: 'Ille-et-Vilaine', 36: 'Indre',
  37: 'Indre-et-Loire', 38: 'Isère', 39: 'Jura', 40: 'Landes', 41: 'Loir-et-Cher', 42: 'Loire', 43: 'Haute-Loire',
  44: 'Loire-Atlantique', 45: 'Loiret', 46: 'Lot', 47: 'Lot-et-Garonne', 48: 'Lozère', 49: 'Maine-et-Loire',
  50: 'Manche', 51: 'Marne', 52: 'Haute-Marne', 53: 'Mayenne', 54: 'Meurthe-et-Moselle', 55: 'Meuse',
  56: 'Morbihan', 57: 'Moselle', 58: 'Nièvre', 59: 'Nord', 60: 'Oise', 61: 'Orne', 62: 'Pas-de-Calais',
  63: 'Puy-de-Dôme', 64: 'Pyrénées-Atlantiques', 65: 'Hautes-Pyrénées', 66: 'Pyrénées-Orientales', 67: 'Bas-Rhin',
  68: 'Haut-Rhin', 69: 'Rhône', 70: 'Haute-Saône', 71: 'Saône-et-Loire', 72: 'Sarthe', 73: 'Savoie',
  74: 'Haute-Savoie', 75: 'Paris', 76: 'Seine-Maritime', 77: 'Seine-et-Marne', 78: 'Yvelines', 79: 'Deux-Sèvres',
  80: 'Somme', 81: 'Tarn', 82: 'Tarn-et-Garonne', 83: 'Var', 84: 'Vaucluse', 85: 'Vendée', 86: 'Vienne',
  87: 'Haute-Vienne', 88: 'Vosges', 89: 'Yonne', 90: 'Territoire de Belfort', 91: 'Essonne', 92: 'Hauts-de-Seine',
  93: 'Seine-Saint-Denis', 94: 'Val-de-Marne', 95: "Val-d'Oise", 971: 'Guadeloupe', 972: 'Martinique',
  973: 'Guyane', 974: 'La Réunion', 975: 'Saint-Pierre-et-Miquelon', 976: 'Mayotte',
};

/** The overseas départements' own ISO 3166-1 codes (a birth there is a birth in France). */
export const OVERSEAS = { GP: '971', MQ: '972', GF: '973', RE: '974', PM: '975', YT: '976' };

/** Lowercase, no accents, no punctuation: « Côte-d'Or » and « cote d or » compare equal. */
export function simplify(text) {
  return String(text).normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ').trim();
}

// Other ways candidates name a département than its official name.
const DEPARTMENT_ALIASES = { reunion: '974', 'ile de la reunion': '974', corse: null, 'guyane francaise': '973' };

/** « 13 », « 1 », « 2a », « Bouches-du-Rhône », « la reunion » → its INSEE code; null if none. */
export function departmentCode(text) {
  const raw = String(text).trim().toUpperCase();
  if (/^\d$/.test(raw) && raw !== '0') return `0${raw}`;
  if (Object.hasOwn(DEPARTMENTS, raw)) return raw;
  const wanted = simplify(text);
  if (Object.hasOwn(DEPARTMENT_ALIASES, wanted)) return DEPARTMENT_ALIASES[wanted];
  const found = Object.entries(DEPARTMENTS).find(([, name]) => simplify(name) === wanted);
  return found ? found[0] : null;
}

/** A country's ISO code from its French name (« Algérie », « algerie », « le Maroc »); null if none. */
export function countryCode(text) {
  const wanted = simplify(text).replace(/^(l|le|la|les) /, '');
  if (!wanted) return null;
  const upper = String(text).trim().toUpperCase();
  if (/^[A-Z]{2}$/.test(upper) && CODES.includes(upper)) return upper;
  const found = countries().find((c) => simplify(c.name) === wanted);
  return found ? found.code : null;
}

// Cities whose arrondissements appear on birth certificates: « Marseille 3e ».
const CITIES_WITH_ARRONDISSEMENTS = { paris: '75', marseille: '13', lyon: '69' };

/**
 * Reads a birth place as typed: « Saint-Denis (La Réunion) », « Alger, Algérie »,
 * « Marseille 3e ». Answers {place, department?, country?}: the commune as it is
 * to be saved, and what its qualifier (in brackets or after a comma) says.
 */
export function readBirthPlace(text) {
  const typed = String(text).replace(/\s+/g, ' ').trim();
  const parts = /^(.+?)\s*\(([^()]+)\)$/.exec(typed) || /^(.+),\s*([^,]+)$/.exec(typed);
  if (parts) {
    const [, place, qualifier] = parts;
    const department = departmentCode(qualifier);
    if (department) return { place, department, country: 'FR' };
    const country = countryCode(qualifier);
    if (country && OVERSEAS[country]) return { place, department: OVERSEAS[country], country: 'FR' };
    if (country) return { place, country };
  }
  const city = /^(paris|marseille|lyon)(\s+\d{1,2}\s*(e|er|eme|ème)?(\s+arrondissement)?)?$/i.exec(typed);
  if (city) return { place: typed, department: CITIES_WITH_ARRONDISSEMENTS[simplify(city[1])], country: 'FR' };
  return { place: typed };
}
