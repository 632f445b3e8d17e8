/**
 * Value normalisation shared by the index writer and the query compiler, so stored and searched values
 * are always compared in the same form.
 */

/** Longest token/string kept in an index row; longer values are compared on their first characters. */
export const MAX_TOKEN_LENGTH = 256;
export const MAX_STRING_LENGTH = 256;
export const MAX_URI_LENGTH = 512;

/** Open ends of a Period (`start` or `end` absent) and the limits of JS dates. */
export const DATE_MIN = -8_640_000_000_000_000;
export const DATE_MAX = 8_640_000_000_000_000;

/**
 * FHIR R4 search.html#string: "case-insensitive and accent-insensitive". NFKD splits accented letters
 * into base letter + combining mark, and the marks (\p{M}) are dropped.
 */
export function normalizeString(s: string): string {
  // Most values are ASCII: skip the (costly) Unicode decomposition for them.
  const folded = NON_ASCII.test(s) ? s.normalize("NFKD").replace(/\p{M}/gu, "") : s;
  const lower = folded.toLowerCase();
  const n = MULTI_SPACE.test(lower) ? lower.replace(/\s+/g, " ").trim() : lower;
  return n.length > MAX_STRING_LENGTH ? n.slice(0, MAX_STRING_LENGTH) : n;
}

const NON_ASCII = /[^ -~\t\n\r]/;
const MULTI_SPACE = /\s\s|^\s|\s$|[\t\n\r\f\v]/;

export const clip = (s: string, max: number): string => (s.length > max ? s.slice(0, max) : s);

export interface Range {
  lo: number;
  hi: number;
}

const DATE_RE =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2})?)?)?)?$/;

const daysInMonth = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();

/**
 * A FHIR date/dateTime/instant (or a search date value) as the range of instants its precision covers,
 * in epoch milliseconds, both ends inclusive (FHIR R4 search.html#date: "2013-01-14" covers the whole
 * day). Times without a timezone are taken as UTC. Returns undefined when the text is not a valid date.
 */
export function parseDateRange(text: string): Range | undefined {
  const m = DATE_RE.exec(text.trim());
  if (!m) return undefined;
  const y = Number(m[1]);
  if (y < 1) return undefined;
  if (m[2] === undefined) return { lo: utc(y, 1, 1), hi: utc(y + 1, 1, 1) - 1 };
  const mo = Number(m[2]);
  if (mo < 1 || mo > 12) return undefined;
  if (m[3] === undefined) return { lo: utc(y, mo, 1), hi: (mo === 12 ? utc(y + 1, 1, 1) : utc(y, mo + 1, 1)) - 1 };
  const d = Number(m[3]);
  if (d < 1 || d > daysInMonth(y, mo)) return undefined;
  if (m[4] === undefined) {
    const lo = utc(y, mo, d);
    return { lo, hi: lo + 86_400_000 - 1 };
  }
  const hh = Number(m[4]);
  const mi = Number(m[5]);
  const ss = m[6] === undefined ? 0 : Math.min(Number(m[6]), 59);
  if (hh > 23 || mi > 59) return undefined;
  let offset = 0;
  const tz = m[8];
  if (tz && tz !== "Z") {
    const sign = tz[0] === "-" ? -1 : 1;
    const oh = Number(tz.slice(1, 3));
    const om = Number(tz.slice(4, 6));
    if (oh > 14 || om > 59) return undefined;
    offset = sign * (oh * 60 + om) * 60_000;
  }
  const base = Date.UTC(y, mo - 1, d, hh, mi, ss) - offset;
  if (m[6] === undefined) return { lo: base, hi: base + 60_000 - 1 };
  if (m[7] === undefined) return { lo: base, hi: base + 1000 - 1 };
  const digits = m[7].slice(0, 3);
  const ms = Number(digits.padEnd(3, "0"));
  const step = 10 ** (3 - digits.length);
  return { lo: base + ms, hi: base + ms + step - 1 };
}

function utc(y: number, mo: number, d: number): number {
  // Date.UTC maps years 0-99 to 1900-1999; setUTCFullYear does not.
  const date = new Date(Date.UTC(2000, mo - 1, d));
  date.setUTCFullYear(y);
  return date.getTime();
}

const NUMBER_RE = /^[+-]?(?:\d+(?:\.(\d*))?|\.(\d+))(?:[eE]([+-]?\d+))?$/;

/**
 * A search number with its implicit precision (FHIR R4 search.html#number: "100" means [99.5, 100.5),
 * "100.00" means [99.995, 100.005), "1e2" means [95, 105)).
 */
export function parseNumber(text: string): { value: number; lo: number; hi: number } | undefined {
  const t = text.trim();
  const m = NUMBER_RE.exec(t);
  if (!m) return undefined;
  const value = Number(t);
  if (!Number.isFinite(value)) return undefined;
  const decimals = (m[1] ?? m[2] ?? "").length;
  const exponent = m[3] === undefined ? 0 : Number(m[3]);
  // In exponent form the mantissa's digits set the precision: 1e2 has one significant digit.
  const mantissaDigits = t.replace(/^[+-]/, "").split(/[eE]/)[0].replace(".", "").replace(/^0+/, "").length || 1;
  const half = m[3] === undefined ? 0.5 * 10 ** -decimals : 0.5 * 10 ** (exponent - mantissaDigits + 1);
  return { value, lo: value - half, hi: value + half };
}

/** American Soundex of the first word (FHIR `phonetic` search): letters only after accent stripping. */
export function soundex(s: string): string {
  const letters = normalizeString(s).replace(/[^a-z]/g, "");
  if (!letters) return "";
  const codes: Record<string, string> = {
    b: "1",
    f: "1",
    p: "1",
    v: "1",
    c: "2",
    g: "2",
    j: "2",
    k: "2",
    q: "2",
    s: "2",
    x: "2",
    z: "2",
    d: "3",
    t: "3",
    l: "4",
    m: "5",
    n: "5",
    r: "6",
  };
  let out = letters[0].toUpperCase();
  let last = codes[letters[0]] ?? "";
  for (let i = 1; i < letters.length && out.length < 4; i++) {
    const ch = letters[i];
    const code = codes[ch] ?? "";
    if (code && code !== last) out += code;
    // h and w do not separate equal codes; vowels do.
    if (ch !== "h" && ch !== "w") last = code;
  }
  return out.padEnd(4, "0");
}

/** Words of a text for the _content index: normalised, split on anything but letters and digits. */
export function words(s: string): string[] {
  return normalizeString(s.length > 4000 ? s.slice(0, 4000) : s)
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}

/** Plain text of an XHTML narrative div. */
export function narrativeText(div: string): string {
  return div
    .replace(/<[^>]*>/g, " ")
    .replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|nbsp);/gi, (_, e: string) => {
      const lower = e.toLowerCase();
      if (lower === "amp") return "&";
      if (lower === "lt") return "<";
      if (lower === "gt") return ">";
      if (lower === "quot") return '"';
      if (lower === "apos") return "'";
      if (lower === "nbsp") return " ";
      const code = lower.startsWith("#x") ? Number.parseInt(lower.slice(2), 16) : Number(lower.slice(1));
      return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : " ";
    })
    .replace(/\s+/g, " ")
    .trim();
}
