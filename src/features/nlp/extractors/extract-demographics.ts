import { spanOf, type TextSpan } from "../text/span";
import type { Utf8Index } from "../text/utf8";
import { extractDates } from "./extract-dates";

export interface AgeMention {
  value: number;
  /** UCUM: a (years), mo, wk, d. */
  unit: "a" | "mo" | "wk" | "d";
  span: TextSpan;
}

export interface SexMention {
  value: "male" | "female";
  /** "explicit" (a word or field), or "pronouns" (inferred from he/she counts; weaker). */
  source: "explicit" | "pronouns";
  span?: TextSpan;
}

export interface NameMention {
  text: string;
  given?: string[];
  family?: string;
  prefix?: string;
  span: TextSpan;
}

export interface IdentifierMention {
  type: "MRN" | "account" | "SSN" | "NPI" | "other";
  value: string;
  /** The label as written ("MRN", "Acct #"). */
  label: string;
  span: TextSpan;
}

export interface Demographics {
  age?: AgeMention;
  sex?: SexMention;
  name?: NameMention;
  birthDate?: { value: string; span: TextSpan };
  identifiers: IdentifierMention[];
}

const AGE_RES: Array<{ re: RegExp; unitGroup?: number }> = [
  { re: /\b(\d{1,3})[- ](year|yr|month|mo|week|wk|day)s?[- ]old\b/gi, unitGroup: 2 },
  { re: /\b(\d{1,3})\s*(?:y\/o|y\.o\.|yo|yrs? old|years? old|y\.?o\b)/gi },
  { re: /\b(?:age|aged)\s*:?\s*(\d{1,3})\b(?!\s*(?:months?|weeks?|days?))/gi },
  { re: /\b(?:age|aged)\s*:?\s*(\d{1,2})\s*(months?|weeks?|days?)\b/gi, unitGroup: 2 },
];

const SEX_EXPLICIT = [
  { re: /\b(?:sex|gender)\s*:\s*(male|female|m|f)\b/gi, group: 1 },
  {
    re: /\b\d{1,3}[- ](?:year|yr|month|mo|week|wk|day)s?[- ]old\s+(?:\w+\s+){0,2}?(male|female|man|woman|boy|girl|gentleman|lady|m|f)\b/gi,
    group: 1,
  },
  { re: /\b\d{1,3}\s*(?:y\/o|yo|y\.o\.)\s*(m|f|male|female|man|woman)\b/gi, group: 1 },
  { re: /\b\d{1,3}\s*([MF])\b(?=\s+(?:with|presents|presenting|who|w\/|c\/o|here|s\/p|pmh|hx|h\/o))/g, group: 1 },
];

const MALE_WORDS = new Set(["male", "m", "man", "boy", "gentleman"]);

// Labels in any common casing ("Name:", "PATIENT NAME:"); the name itself must be capitalised.
const NAME_LABEL = String.raw`(?:[Pp]atient(?:\s+[Nn]ame)?|[Nn]ame|[Pp]t(?:\s+[Nn]ame)?|PATIENT(?: NAME)?|NAME|PT)`;
const NAME_FIELD = new RegExp(
  String.raw`\b${NAME_LABEL}[ \t]*:[ \t]*((?:[A-Z][a-zA-Z'’-]+)(?:[ \t]+[A-Z]\.?)?(?:[ \t]+[A-Z][a-zA-Z'’-]+){0,2})(?=[ \t]*(?:$|\n|,|;|\(|\bDOB\b|\bMRN\b|\bage\b))`,
  "gm",
);
const NAME_LASTFIRST = new RegExp(
  String.raw`\b${NAME_LABEL}[ \t]*:[ \t]*([A-Z][a-zA-Z'’-]+),[ \t]*([A-Z][a-zA-Z'’-]+)(?:[ \t]+([A-Z])\.?)?`,
  "g",
);
const TITLED_NAME = /\b(Mr|Mrs|Ms|Miss|Mx)\.?\s+((?:[A-Z][a-zA-Z'’-]+\s+)?[A-Z][a-zA-Z'’-]+)\b/g;
const DOB_LABEL = /\b(?:DOB|D\.O\.B\.?|date of birth|birth ?date|born(?: on)?)\s*[:#-]?\s*/gi;

const ID_RE =
  /\b(MRN|M\.R\.N\.|medical record (?:number|no\.?|#)|record (?:number|no\.?|#)|chart (?:number|no\.?|#)|acct(?:ount)?\.?\s*(?:number|no\.?|#)?|account|SSN|social security(?: number| no\.?| #)?|NPI|patient id|pt id|patient identifier|hospital number|MR#|MR #)\s*[:#=]?\s*(?:#\s*)?([A-Z0-9][A-Z0-9-]{3,19})\b/gi;

export function extractDemographics(utf8: Utf8Index, options: { referenceDate?: string } = {}): Demographics {
  const text = utf8.text;
  const out: Demographics = { identifiers: [] };

  for (const { re, unitGroup } of AGE_RES) {
    if (out.age) break;
    for (const m of text.matchAll(re)) {
      const value = Number(m[1]);
      const unitWord = unitGroup ? (m[unitGroup] ?? "year").toLowerCase() : "year";
      const unit: AgeMention["unit"] = unitWord.startsWith("mo")
        ? "mo"
        : unitWord.startsWith("w")
          ? "wk"
          : unitWord.startsWith("d")
            ? "d"
            : "a";
      if (unit === "a" && value > 125) continue;
      out.age = { value, unit, span: spanOf(utf8, m.index!, m.index! + m[0].length) };
      break;
    }
  }

  for (const { re, group } of SEX_EXPLICIT) {
    if (out.sex) break;
    for (const m of text.matchAll(re)) {
      const word = m[group]!.toLowerCase();
      const start = m.index! + m[0].lastIndexOf(m[group]!);
      out.sex = {
        value: MALE_WORDS.has(word) ? "male" : "female",
        source: "explicit",
        span: spanOf(utf8, start, start + m[group]!.length),
      };
      break;
    }
  }
  if (!out.sex) {
    const standalone = /\b(male|female|man|woman|boy|girl|gentleman|lady)\b/i.exec(text);
    if (
      standalone &&
      /\b(?:a|an|the)\s+(?:\w+\s+){0,3}$/i.test(text.slice(Math.max(0, standalone.index - 40), standalone.index))
    ) {
      const word = standalone[1]!.toLowerCase();
      out.sex = {
        value: MALE_WORDS.has(word) ? "male" : "female",
        source: "explicit",
        span: spanOf(utf8, standalone.index, standalone.index + standalone[0].length),
      };
    }
  }
  if (!out.sex) {
    const he = (text.match(/\b(?:he|his|him|himself)\b/gi) ?? []).length;
    const she = (text.match(/\b(?:she|her|hers|herself)\b/gi) ?? []).length;
    if (he >= 2 && he >= 3 * she) out.sex = { value: "male", source: "pronouns" };
    else if (she >= 2 && she >= 3 * he) out.sex = { value: "female", source: "pronouns" };
  }

  const lastFirst = NAME_LASTFIRST.exec(text);
  NAME_LASTFIRST.lastIndex = 0;
  if (lastFirst) {
    const start = lastFirst.index + lastFirst[0].indexOf(lastFirst[1]!);
    const end = lastFirst.index + lastFirst[0].length;
    out.name = {
      text: text.slice(start, end),
      family: lastFirst[1]!,
      given: [lastFirst[2]!, ...(lastFirst[3] ? [lastFirst[3]] : [])],
      span: spanOf(utf8, start, end),
    };
  } else {
    for (const m of text.matchAll(NAME_FIELD)) {
      const raw = m[1]!.trim();
      const parts = raw.split(/\s+/);
      if (parts.length < 2) continue;
      const start = m.index! + m[0].indexOf(m[1]!);
      out.name = {
        text: raw,
        given: parts.slice(0, -1).map((p) => p.replace(/\.$/, "")),
        family: parts[parts.length - 1]!,
        span: spanOf(utf8, start, start + raw.length),
      };
      break;
    }
  }
  if (!out.name) {
    const m = TITLED_NAME.exec(text);
    TITLED_NAME.lastIndex = 0;
    if (m) {
      const parts = m[2]!.split(/\s+/);
      out.name = {
        text: m[0],
        prefix: `${m[1]}.`,
        family: parts[parts.length - 1]!,
        ...(parts.length > 1 ? { given: parts.slice(0, -1) } : {}),
        span: spanOf(utf8, m.index, m.index + m[0].length),
      };
    }
  }

  for (const label of text.matchAll(DOB_LABEL)) {
    const at = label.index! + label[0].length;
    const dates = extractDates(utf8, options).filter((d) => d.span.start === at && d.kind === "date");
    const d = dates[0];
    if (d) {
      out.birthDate = { value: d.value, span: d.span };
      break;
    }
  }

  const seen = new Set<string>();
  for (const m of text.matchAll(ID_RE)) {
    const value = m[2]!;
    const digits = value.replace(/\D/g, "").length;
    if (digits < 4) continue;
    const label = m[1]!;
    const l = label.toLowerCase();
    let type: IdentifierMention["type"] = "other";
    if (/^(?:mrn|m\.r\.n\.|mr ?#|medical record|record|chart|hospital)/.test(l)) type = "MRN";
    else if (l.startsWith("acct") || l.startsWith("account")) type = "account";
    else if (l.startsWith("ssn") || l.startsWith("social")) type = "SSN";
    else if (l === "npi") type = "NPI";
    if (type === "SSN" && !/^\d{3}-?\d{2}-?\d{4}$/.test(value)) continue;
    if (type === "NPI" && !/^\d{10}$/.test(value)) continue;
    const key = `${type}:${value}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const start = m.index! + m[0].lastIndexOf(value);
    out.identifiers.push({ type, value, label, span: spanOf(utf8, start, start + value.length) });
  }
  return out;
}
