/**
 * Parsing of the "sig" that follows a drug name: strength, dose quantity, dose form, route,
 * frequency (as FHIR Timing.repeat fields), as-needed and duration.
 */
export interface Strength {
  value: number;
  /** Second number of a combination ("5/325 mg"). */
  value2?: number;
  unit: string;
  /** "mL", "kg", "h" in "5 mg/mL", "0.5 mg/kg", "25 mcg/h". */
  per?: string;
  text: string;
}

export interface Quantity {
  value: number;
  unit: string;
  text: string;
}

export interface RouteInfo {
  text: string;
  display: string;
  /** SNOMED CT route of administration code, when certain. */
  code?: string;
}

/** Mirrors FHIR R4 Timing.repeat (frequency per period periodUnit) plus the common abbreviation. */
export interface FrequencyInfo {
  text: string;
  code?: string;
  frequency?: number;
  period?: number;
  periodMax?: number;
  periodUnit?: "h" | "d" | "wk" | "mo";
  when?: string[];
}

export interface DurationInfo {
  value: number;
  unit: "d" | "wk" | "mo";
  text: string;
}

const WORD_NUMBERS: Record<string, number> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  fourteen: 14,
  thirty: 30,
  half: 0.5,
  "1/2": 0.5,
};

export function numberOf(s: string): number {
  const w = WORD_NUMBERS[s.toLowerCase()];
  return w !== undefined ? w : Number(s.replace(",", "."));
}

const UNIT_UCUM: Record<string, string> = {
  mg: "mg",
  mcg: "ug",
  µg: "ug",
  ug: "ug",
  g: "g",
  gm: "g",
  gram: "g",
  grams: "g",
  ml: "mL",
  unit: "U",
  units: "U",
  u: "U",
  iu: "[iU]",
  meq: "meq",
  "%": "%",
};

const STRENGTH_RE =
  /(?<![\w.])(\d+(?:[.,]\d+)?)(?:\s*\/\s*(\d+(?:[.,]\d+)?))?\s*(mg|mcg|µg|ug|gm|grams?|g|ml|units?|iu|meq|%)(?:\s*\/\s*(ml|kg|hr|h|actuation|spray|dose|24\s*h))?(?![a-zµ])/i;
const QUANTITY_RE =
  /(?<![\w.])(\d+(?:[.,]\d+)?|one|two|three|four|half|1\/2)\s*(tabs?|tablets?|caps?|capsules?|puffs?|drops?|sprays?|patch(?:es)?|units?|ml|teaspoons?|tsp|tablespoons?|tbsp|pills?|inhalations?|sachets?|packets?|vials?|ampoules?)(?![a-z])/i;
const FORM_RE =
  /(?<![a-z])(tablets?|tabs?|capsules?|caps?|solution|suspension|syrup|elixir|injection|injectable|inj|inhaler|mdi|nebuli[sz]er|neb|patch|cream|ointment|gel|lotion|drops|suppository|suppositories|spray|powder|lozenges?|film|pen)(?![a-z])/i;
const RELEASE_RE =
  /(?<![A-Za-z])(ER|XR|XL|SR|DR|CR|ODT|extended[- ]release|delayed[- ]release|sustained[- ]release)(?![A-Za-z])/;

const FORM_NAMES: Record<string, string> = {
  tab: "tablet",
  tabs: "tablet",
  tablet: "tablet",
  tablets: "tablet",
  cap: "capsule",
  caps: "capsule",
  capsule: "capsule",
  capsules: "capsule",
  inj: "injection",
  injectable: "injection",
  injection: "injection",
  mdi: "inhaler",
  inhaler: "inhaler",
  neb: "nebulizer solution",
  nebulizer: "nebulizer solution",
  nebuliser: "nebulizer solution",
  suppositories: "suppository",
  lozenge: "lozenge",
  lozenges: "lozenge",
};

const RELEASE_NAMES: Record<string, string> = {
  er: "extended-release",
  xr: "extended-release",
  xl: "extended-release",
  sr: "sustained-release",
  dr: "delayed-release",
  cr: "controlled-release",
  odt: "orally disintegrating",
};

const ROUTES: Array<{ re: RegExp; display: string; code?: string }> = [
  { re: /(?<![a-z])(p\.?o\.?|by mouth|orally|oral|per os)(?![a-z])/i, display: "Oral route", code: "26643006" },
  {
    re: /(?<![a-z])(i\.?v\.?p?b?|intravenous(?:ly)?|iv push)(?![a-z])/i,
    display: "Intravenous route",
    code: "47625008",
  },
  { re: /(?<![a-z])(i\.m\.|IM|intramuscular(?:ly)?)(?![a-z])/, display: "Intramuscular route", code: "78421000" },
  {
    re: /(?<![a-z])(s\.?c\.?|s\.?q\.?|subq|sub-q|subcut|subcutaneous(?:ly)?)(?![a-z])/i,
    display: "Subcutaneous route",
    code: "34206005",
  },
  {
    re: /(?<![a-z])(SL|s\.l\.|sublingual(?:ly)?|under the tongue)(?![a-z])/i,
    display: "Sublingual route",
    code: "37839007",
  },
  { re: /(?<![a-z])(PR|per rectum|rectal(?:ly)?)(?![a-z])/, display: "Rectal route", code: "37161004" },
  { re: /(?<![a-z])(transdermal(?:ly)?)(?![a-z])/i, display: "Transdermal route", code: "45890007" },
  {
    re: /(?<![a-z])(topical(?:ly)?|apply to (?:the )?(?:skin|affected area))(?![a-z])/i,
    display: "Topical route",
    code: "6064005",
  },
  {
    re: /(?<![a-z])(intranasal(?:ly)?|nasal(?:ly)?|in each nostril|per nose)(?![a-z])/i,
    display: "Nasal route",
    code: "46713006",
  },
  {
    re: /(?<![a-z])(ophthalmic|in (?:each|both|the (?:left|right)) eyes?|OU)(?![a-z])/i,
    display: "Ophthalmic route",
    code: "54485002",
  },
  { re: /(?<![a-z])(inhaled|inhalation|via inhaler|nebulized|via nebulizer)(?![a-z])/i, display: "Inhalation route" },
];

const FREQUENCIES: Array<{ re: RegExp; make: (m: RegExpExecArray) => Omit<FrequencyInfo, "text"> }> = [
  {
    re: /(?<![a-z])(?:q\.?\s?(\d{1,2})\s?(?:-|to)\s?(\d{1,2})\s?h(?:rs?|ours?)?|every\s+(\d{1,2})\s?(?:-|to)\s?(\d{1,2})\s+hours?)(?![a-z])/i,
    make: (m) => ({ frequency: 1, period: Number(m[1] ?? m[3]), periodMax: Number(m[2] ?? m[4]), periodUnit: "h" }),
  },
  {
    re: /(?<![a-z])(?:q\.?\s?(\d{1,2})\s?h(?:rs?|ours?)?\.?|every\s+(\d{1,2})\s+hours?)(?![a-z])/i,
    make: (m) => ({ code: `Q${m[1] ?? m[2]}H`, frequency: 1, period: Number(m[1] ?? m[2]), periodUnit: "h" }),
  },
  {
    re: /(?<![a-z])(?:q\.?\s?i\.?\s?d\.?|four times (?:a |per )?day|four times daily|4 ?x (?:a |per )?day)(?![a-z])/i,
    make: () => ({ code: "QID", frequency: 4, period: 1, periodUnit: "d" }),
  },
  {
    re: /(?<![a-z])(?:t\.?\s?i\.?\s?d\.?|three times (?:a |per )?day|three times daily|3 ?x (?:a |per )?day)(?![a-z])/i,
    make: () => ({ code: "TID", frequency: 3, period: 1, periodUnit: "d" }),
  },
  {
    re: /(?<![a-z])(?:b\.?\s?i\.?\s?d\.?|twice (?:a |per )?day|twice daily|two times (?:a |per )?day|2 ?x (?:a |per )?day)(?![a-z])/i,
    make: () => ({ code: "BID", frequency: 2, period: 1, periodUnit: "d" }),
  },
  {
    re: /(?<![a-z])(?:q\.?\s?hs|at bedtime|nightly|every night|q\.?\s?night|before bed|hs)(?![a-z])/i,
    make: () => ({ code: "QHS", frequency: 1, period: 1, periodUnit: "d", when: ["HS"] }),
  },
  {
    re: /(?<![a-z])(?:q\.?\s?am|every morning|in the morning|each morning)(?![a-z])/i,
    make: () => ({ code: "QAM", frequency: 1, period: 1, periodUnit: "d", when: ["MORN"] }),
  },
  {
    re: /(?<![a-z])(?:q\.?\s?pm|every evening|in the evening|each evening)(?![a-z])/i,
    make: () => ({ code: "QPM", frequency: 1, period: 1, periodUnit: "d", when: ["EVE"] }),
  },
  {
    re: /(?<![a-z])(?:q\.?\s?o\.?\s?d\.?|every other day|alternate days)(?![a-z])/i,
    make: () => ({ code: "QOD", frequency: 1, period: 2, periodUnit: "d" }),
  },
  {
    re: /(?<![a-z])(?:q\.?\s?(\d)\s?d(?:ays?)?|every\s+(\d)\s+days)(?![a-z])/i,
    make: (m) => ({ frequency: 1, period: Number(m[1] ?? m[2]), periodUnit: "d" }),
  },
  {
    re: /(?<![a-z])(?:q\.?\s?d\.?|daily|once (?:a |per )?day|once daily|every day|each day|per day|a day)(?![a-z])/i,
    make: () => ({ code: "QD", frequency: 1, period: 1, periodUnit: "d" }),
  },
  {
    re: /(?<![a-z])(?:weekly|once (?:a |per )?week|every week|q\.?\s?wk|q\s?week)(?![a-z])/i,
    make: () => ({ code: "WK", frequency: 1, period: 1, periodUnit: "wk" }),
  },
  {
    re: /(?<![a-z])(?:monthly|once (?:a |per )?month|every month)(?![a-z])/i,
    make: () => ({ code: "MO", frequency: 1, period: 1, periodUnit: "mo" }),
  },
  { re: /(?<![a-z])(?:stat)(?![a-z])/i, make: () => ({ code: "STAT" }) },
];

const WITH_MEALS_RE = /(?<![a-z])(a\.?c\.?|before meals|with meals|p\.?c\.?|after meals)(?![a-z])/i;
const PRN_RE =
  /(?<![a-z])(?:p\.?r\.?n\.?|as needed|as required|when needed|if needed)(?![a-z])(?:\s+(?:for\s+)?((?!(?:and|not|max|up|every|q\d|may|do)\b)[a-z][a-z\- ]{1,40}?))?(?=\s*(?:[,.;)]|$|\n|\s(?:and|not|max|up to|every|q\d|may|do not)\b))/i;
const DURATION_RE =
  /(?<![a-z])(?:for|x|×|times)\s*(\d+|one|two|three|four|five|six|seven|eight|nine|ten|fourteen|thirty)\s*(?:more\s+)?(days?|d|weeks?|wks?|months?|mos?)(?![a-z])/i;

export interface ParsedSig {
  strength?: Strength;
  doseQuantity?: Quantity;
  doseForm?: string;
  release?: string;
  route?: RouteInfo;
  frequency?: FrequencyInfo;
  asNeeded: boolean;
  asNeededFor?: string;
  duration?: DurationInfo;
  /** UTF-16 offset (relative to the sig text) just after the last recognised element. */
  consumed: number;
}

export function parseSig(sig: string): ParsedSig {
  const out: ParsedSig = { asNeeded: false, consumed: 0 };
  const mark = (m: RegExpExecArray) => {
    out.consumed = Math.max(out.consumed, m.index + m[0].length);
  };
  const quantity = QUANTITY_RE.exec(sig);
  const strength = STRENGTH_RE.exec(sig);
  if (strength && !(quantity && quantity.index === strength.index && /^units?$/i.test(strength[3]!))) {
    const unitKey = strength[3]!.toLowerCase();
    out.strength = {
      value: numberOf(strength[1]!),
      ...(strength[2] ? { value2: numberOf(strength[2]) } : {}),
      unit: UNIT_UCUM[unitKey] ?? unitKey,
      ...(strength[4] ? { per: strength[4].replace(/\s+/g, "") } : {}),
      text: strength[0],
    };
    mark(strength);
  }
  if (quantity && !(out.strength && quantity.index === strength?.index)) {
    const unitWord = quantity[2]!.toLowerCase();
    out.doseQuantity = {
      value: numberOf(quantity[1]!),
      unit: FORM_NAMES[unitWord] ?? unitWord.replace(/s$/, ""),
      text: quantity[0],
    };
    mark(quantity);
  }
  const form = FORM_RE.exec(sig);
  if (form) {
    const w = form[1]!.toLowerCase();
    out.doseForm = FORM_NAMES[w] ?? w.replace(/s$/, "");
    mark(form);
  }
  const release = RELEASE_RE.exec(sig);
  if (release) {
    out.release = RELEASE_NAMES[release[1]!.toLowerCase()] ?? release[1]!.toLowerCase().replace(/ /g, "-");
    mark(release);
  }
  for (const r of ROUTES) {
    const m = r.re.exec(sig);
    if (m) {
      out.route = { text: m[0], display: r.display, ...(r.code ? { code: r.code } : {}) };
      mark(m);
      break;
    }
  }
  for (const f of FREQUENCIES) {
    const m = f.re.exec(sig);
    if (m) {
      // "BID." at a sentence end: the period is punctuation, not part of "b.i.d.".
      let text = m[0];
      if (text.endsWith(".") && text.indexOf(".") === text.length - 1) text = text.slice(0, -1);
      out.frequency = { text, ...f.make(m) };
      out.consumed = Math.max(out.consumed, m.index + text.length);
      break;
    }
  }
  const meals = WITH_MEALS_RE.exec(sig);
  if (meals) {
    const when = /^(a\.?c\.?|before)/i.test(meals[1]!) ? "AC" : /^with/i.test(meals[1]!) ? "C" : "PC";
    out.frequency = out.frequency
      ? { ...out.frequency, when: [...(out.frequency.when ?? []), when] }
      : { text: meals[0], when: [when] };
    mark(meals);
  }
  const prn = PRN_RE.exec(sig);
  if (prn) {
    out.asNeeded = true;
    const reason = prn[1]?.trim();
    if (reason) out.asNeededFor = reason;
    mark(prn);
  }
  const duration = DURATION_RE.exec(sig);
  if (duration) {
    const u = duration[2]!.toLowerCase();
    out.duration = {
      value: numberOf(duration[1]!),
      unit: u.startsWith("w") ? "wk" : u.startsWith("m") ? "mo" : "d",
      text: duration[0],
    };
    mark(duration);
  }
  return out;
}
