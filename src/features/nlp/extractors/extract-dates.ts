import { spanOf, type TextSpan } from "../text/span";
import type { Utf8Index } from "../text/utf8";

export type DatePrecision = "day" | "month" | "year";

/** A date, a date range or a relative date resolved against the reference date. */
export interface DateMention {
  kind: "date" | "range" | "relative";
  /** ISO 8601 (YYYY-MM-DD, YYYY-MM or YYYY by precision). */
  value: string;
  /** End of a range (same precision rules). */
  end?: string;
  precision: DatePrecision;
  span: TextSpan;
}

export interface DateOptions {
  /** Date relative expressions are resolved against ("3 days ago"); ISO date or instant. Default: today (UTC). */
  referenceDate?: string;
}

const MONTHS: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  sept: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};
const MONTH = String.raw`(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?`;
const DAY = String.raw`(\d{1,2})(?:st|nd|rd|th)?`;
const YEAR = String.raw`((?:19|20)\d{2})`;
const DASH = String.raw`\s*(?:-|–|—|to|through|until|thru)\s*`;

// Most specific first; a later pattern never overwrites an earlier one's span.
const PATTERNS: Array<{ re: RegExp; parse: (m: RegExpMatchArray, ref: RefDate) => Omit<DateMention, "span"> | null }> =
  [
    {
      // March 2 - April 3, 2025
      re: new RegExp(String.raw`\b${MONTH}\s+${DAY}${DASH}${MONTH}\s+${DAY},?\s+${YEAR}\b`, "gi"),
      parse: (m) => range(ymd(+m[5]!, month(m[1]!), +m[2]!), ymd(+m[5]!, month(m[3]!), +m[4]!)),
    },
    {
      // March 2-9, 2025
      re: new RegExp(String.raw`\b${MONTH}\s+${DAY}${DASH}${DAY},?\s+${YEAR}\b`, "gi"),
      parse: (m) => range(ymd(+m[4]!, month(m[1]!), +m[2]!), ymd(+m[4]!, month(m[1]!), +m[3]!)),
    },
    {
      // 2-9 March 2025
      re: new RegExp(String.raw`\b${DAY}${DASH}${DAY}\s+(?:of\s+)?${MONTH},?\s+${YEAR}\b`, "gi"),
      parse: (m) => range(ymd(+m[4]!, month(m[3]!), +m[1]!), ymd(+m[4]!, month(m[3]!), +m[2]!)),
    },
    {
      // 2025-03-02 to 2025-03-09
      re: new RegExp(String.raw`\b${YEAR}-(\d{2})-(\d{2})${DASH}${YEAR}-(\d{2})-(\d{2})\b`, "g"),
      parse: (m) => range(ymd(+m[1]!, +m[2]!, +m[3]!), ymd(+m[4]!, +m[5]!, +m[6]!)),
    },
    {
      // 03/02/2025 - 03/09/2025
      re: /\b(\d{1,2})\/(\d{1,2})\/(\d{4}|\d{2})\s*(?:-|–|to|through|until)\s*(\d{1,2})\/(\d{1,2})\/(\d{4}|\d{2})\b/g,
      parse: (m) => range(numeric(m[1]!, m[2]!, m[3]!), numeric(m[4]!, m[5]!, m[6]!)),
    },
    {
      re: new RegExp(String.raw`\b${YEAR}-(\d{2})-(\d{2})(?:T[\d:.]+Z?)?\b`, "g"),
      parse: (m) => single(ymd(+m[1]!, +m[2]!, +m[3]!)),
    },
    {
      re: /\b(\d{1,2})\/(\d{1,2})\/(\d{4}|\d{2})\b/g,
      parse: (m) => single(numeric(m[1]!, m[2]!, m[3]!)),
    },
    {
      re: /\b(\d{1,2})\.(\d{1,2})\.((?:19|20)\d{2})\b/g,
      parse: (m) => single(ymd(+m[3]!, +m[2]!, +m[1]!)),
    },
    {
      // March 2, 2025 / March 2nd 2025
      re: new RegExp(String.raw`\b${MONTH}\s+${DAY},?\s+${YEAR}\b`, "gi"),
      parse: (m) => single(ymd(+m[3]!, month(m[1]!), +m[2]!)),
    },
    {
      // 2 March 2025 / 2nd of March, 2025
      re: new RegExp(String.raw`\b${DAY}\s+(?:of\s+)?${MONTH},?\s+${YEAR}\b`, "gi"),
      parse: (m) => single(ymd(+m[3]!, month(m[2]!), +m[1]!)),
    },
    {
      // March 2025
      re: new RegExp(String.raw`\b${MONTH},?\s+${YEAR}\b`, "gi"),
      parse: (m) => {
        const mo = month(m[1]!);
        return mo ? { kind: "date", value: `${m[2]}-${pad(mo)}`, precision: "month" } : null;
      },
    },
    {
      // March 2 (this year of the reference date)
      re: new RegExp(String.raw`(?<=\bon\s+)${MONTH}\s+${DAY}\b(?!,?\s*\d)`, "gi"),
      parse: (m, ref) => single(ymd(ref.year, month(m[1]!), +m[2]!)),
    },
    {
      // in 2019 / since 2015
      re: /\b(?:in|since|from|by|during|until|circa|year)\s+((?:19|20)\d{2})\b(?![-/]\d)/gi,
      parse: (m) => ({ kind: "date", value: m[1]!, precision: "year" }),
    },
  ];

const UNIT_DAYS: Record<string, number> = { day: 1, week: 7 };
const NUMBER_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
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
  eleven: 11,
  twelve: 12,
  several: 3,
  few: 3,
  couple: 2,
};
const RELATIVE_AGO =
  /\b(\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|several|few|a few|couple of|a couple of)\s+(days?|weeks?|wks?|months?|mos?|years?|yrs?)\s+(ago|prior|earlier|before admission|previously)\b/gi;
const RELATIVE_IN =
  /\b(?:in|within)\s+(\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten)\s+(days?|weeks?|months?|years?)\b/gi;
const RELATIVE_WORDS =
  /\b(yesterday|today|tomorrow|tonight|this morning|last night|last week|last month|last year|next week|next month|next year)\b/gi;

interface RefDate {
  year: number;
  month: number;
  day: number;
  date: Date;
}

export function extractDates(utf8: Utf8Index, options: DateOptions = {}): DateMention[] {
  const text = utf8.text;
  const ref = referenceOf(options.referenceDate);
  const out: DateMention[] = [];
  const taken: Array<[number, number]> = [];
  const free = (s: number, e: number) => taken.every(([a, b]) => e <= a || s >= b);
  const push = (start: number, end: number, d: Omit<DateMention, "span"> | null) => {
    if (!d || !free(start, end)) return;
    taken.push([start, end]);
    out.push({ ...d, span: spanOf(utf8, start, end) });
  };
  for (const p of PATTERNS) {
    for (const m of text.matchAll(p.re)) {
      push(m.index!, m.index! + m[0].length, p.parse(m, ref));
    }
  }
  for (const m of text.matchAll(RELATIVE_AGO)) {
    const n = amount(m[1]!);
    const unit = m[2]!.toLowerCase();
    const d = shift(ref, -n, unit);
    push(m.index!, m.index! + m[0].length, d);
  }
  for (const m of text.matchAll(RELATIVE_IN)) {
    push(m.index!, m.index! + m[0].length, shift(ref, amount(m[1]!), m[2]!.toLowerCase()));
  }
  for (const m of text.matchAll(RELATIVE_WORDS)) {
    const w = m[1]!.toLowerCase();
    let d: Omit<DateMention, "span"> | null = null;
    if (w === "yesterday" || w === "last night") d = shift(ref, -1, "day");
    else if (w === "today" || w === "tonight" || w === "this morning") d = shift(ref, 0, "day");
    else if (w === "tomorrow") d = shift(ref, 1, "day");
    else if (w === "last week") d = shift(ref, -1, "week");
    else if (w === "next week") d = shift(ref, 1, "week");
    else if (w === "last month") d = shift(ref, -1, "month");
    else if (w === "next month") d = shift(ref, 1, "month");
    else if (w === "last year") d = shift(ref, -1, "year");
    else if (w === "next year") d = shift(ref, 1, "year");
    push(m.index!, m.index! + m[0].length, d);
  }
  out.sort((a, b) => a.span.start - b.span.start);
  return out;
}

function amount(s: string): number {
  const w = s.toLowerCase().replace(/^(a )?(couple of|few)$/, "$2");
  return NUMBER_WORDS[w] ?? Number(s);
}

function month(name: string): number {
  return (
    MONTHS[
      name
        .toLowerCase()
        .replace(/\.$/, "")
        .slice(0, name.toLowerCase().startsWith("sept") ? 4 : 3)
    ] ?? 0
  );
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

function ymd(y: number, m: number, d: number): string | null {
  if (!(m >= 1 && m <= 12 && d >= 1 && d <= 31 && y >= 1800 && y <= 2200)) return null;
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCMonth() !== m - 1) return null; // 31 April
  return `${y}-${pad(m)}-${pad(d)}`;
}

/** US order (M/D/Y) unless the first number cannot be a month; two-digit years pivot at 50. */
function numeric(a: string, b: string, y: string): string | null {
  let year = Number(y);
  if (y.length === 2) year += year < 50 ? 2000 : 1900;
  const first = Number(a);
  const second = Number(b);
  return first > 12 ? ymd(year, second, first) : ymd(year, first, second);
}

function single(v: string | null): Omit<DateMention, "span"> | null {
  return v ? { kind: "date", value: v, precision: "day" } : null;
}

function range(a: string | null, b: string | null): Omit<DateMention, "span"> | null {
  if (!a || !b || b < a) return null;
  return { kind: "range", value: a, end: b, precision: "day" };
}

function referenceOf(iso: string | undefined): RefDate {
  const date = iso ? new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso) : new Date();
  const d = Number.isNaN(date.getTime()) ? new Date() : date;
  const utc = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  return { year: utc.getUTCFullYear(), month: utc.getUTCMonth() + 1, day: utc.getUTCDate(), date: utc };
}

function shift(ref: RefDate, n: number, unitRaw: string): Omit<DateMention, "span"> {
  const unit = unitRaw
    .replace(/s$/, "")
    .replace(/^(wk)$/, "week")
    .replace(/^(mo)$/, "month")
    .replace(/^(yr)$/, "year");
  const d = new Date(ref.date.getTime());
  if (unit in UNIT_DAYS) {
    d.setUTCDate(d.getUTCDate() + n * UNIT_DAYS[unit]!);
    return { kind: "relative", value: d.toISOString().slice(0, 10), precision: "day" };
  }
  if (unit === "month") {
    d.setUTCDate(1);
    d.setUTCMonth(d.getUTCMonth() + n);
    return { kind: "relative", value: d.toISOString().slice(0, 7), precision: "month" };
  }
  d.setUTCFullYear(d.getUTCFullYear() + n);
  return { kind: "relative", value: String(d.getUTCFullYear()), precision: "year" };
}
