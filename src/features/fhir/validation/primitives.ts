/**
 * FHIR R4 primitive types: JSON type and lexical form (FHIR R4 datatypes.html#primitive, json.html#primitive).
 *
 * The spec's regexes are XML Schema regexes, where `\s` is only [ \t\n\r]; JS `\s` also matches
 * NBSP and other Unicode spaces, so the patterns below spell the XSD classes out.
 */

export type PrimitiveProblem = { code: "structure" | "value" | "too-long"; message: string };
export type PrimitiveCheck = (value: unknown) => PrimitiveProblem | undefined;

/** FHIR R4 datatypes.html#string: "strings SHALL NOT exceed 1MB in size". */
export const MAX_STRING_BYTES = 1024 * 1024;

const YEAR = "([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)";
const MONTH = "(0[1-9]|1[0-2])";
const DAY = "(0[1-9]|[1-2][0-9]|3[0-1])";
const TIME = "([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?";
const ZONE = "(Z|(\\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))";

const DATE_RE = new RegExp(`^${YEAR}(-${MONTH}(-${DAY})?)?$`);
const DATE_TIME_RE = new RegExp(`^${YEAR}(-${MONTH}(-${DAY}(T${TIME}${ZONE})?)?)?$`);
const INSTANT_RE = new RegExp(`^${YEAR}-${MONTH}-${DAY}T${TIME}${ZONE}$`);
const TIME_RE = new RegExp(`^${TIME}$`);
const CODE_RE = /^[^ \t\n\r]+([ \t\n\r][^ \t\n\r]+)*$/;
const URI_RE = /^[^ \t\n\r]+$/;
const ID_RE = /^[A-Za-z0-9\-.]{1,64}$/;
const OID_RE = /^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$/;
const UUID_RE = /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

const jsonTypeProblem = (expected: string, value: unknown): PrimitiveProblem => ({
  code: "structure",
  message: `expected a JSON ${expected} but found ${describeJson(value)}`,
});

export function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return "a string";
  return `a ${typeof value}`;
}

/** Short, safe rendering of a bad value inside a diagnostic. */
export function quote(value: string): string {
  return value.length > 64 ? `'${value.slice(0, 61)}...'` : `'${value}'`;
}

function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4; // surrogate pair: one 4-byte code point
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function checkSize(s: string): PrimitiveProblem | undefined {
  // A UTF-16 unit is at most 3 UTF-8 bytes, so short strings skip the byte count entirely.
  if (s.length * 3 <= MAX_STRING_BYTES) return undefined;
  const bytes = utf8Length(s);
  return bytes > MAX_STRING_BYTES
    ? { code: "too-long", message: `string of ${bytes} bytes exceeds the 1 MB limit of FHIR strings` }
    : undefined;
}

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The regexes allow 2023-02-31; a real calendar does not. Input already matched YYYY-MM-DD... */
function validDay(s: string): boolean {
  if (s.length < 10) return true;
  const year = Number(s.slice(0, 4));
  const month = Number(s.slice(5, 7));
  const day = Number(s.slice(8, 10));
  if (day <= 28) return true;
  if (month === 2 && day === 29) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return day <= DAYS_IN_MONTH[month - 1]!;
}

function stringPattern(re: RegExp, what: string, extra?: (s: string) => boolean): PrimitiveCheck {
  return (value) => {
    if (typeof value !== "string") return jsonTypeProblem("string", value);
    if (value.length === 0) return { code: "value", message: "empty string (json.html: strings are never empty)" };
    if (!re.test(value) || (extra !== undefined && !extra(value))) {
      return { code: "value", message: `${quote(value)} is not a valid ${what}` };
    }
    return checkSize(value);
  };
}

const checkString: PrimitiveCheck = (value) => {
  if (typeof value !== "string") return jsonTypeProblem("string", value);
  if (value.length === 0) return { code: "value", message: "empty string (json.html: strings are never empty)" };
  return checkSize(value);
};

function integerCheck(min: number, what: string): PrimitiveCheck {
  return (value) => {
    if (typeof value !== "number") return jsonTypeProblem("number", value);
    if (!Number.isInteger(value) || value < min || value > INT32_MAX) {
      return { code: "value", message: `${value} is not a valid ${what} (${min}..${INT32_MAX})` };
    }
    return undefined;
  };
}

const BASE64_CHAR = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") BASE64_CHAR[c.charCodeAt(0)] = 1;

/**
 * base64Binary (R4 regex `(\s*([0-9a-zA-Z\+\=]){4}\s*)+`, RFC 4648): a character loop rather than a
 * regex because attachments can be megabytes long. Whitespace is ignored; '=' only as final padding.
 */
const checkBase64: PrimitiveCheck = (value) => {
  if (typeof value !== "string") return jsonTypeProblem("string", value);
  let count = 0;
  let padding = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) continue;
    if (c === 0x3d) {
      padding++;
    } else if (c < 128 && BASE64_CHAR[c] === 1 && padding === 0) {
      // data character
    } else {
      return { code: "value", message: `invalid base64Binary: unexpected character at offset ${i}` };
    }
    count++;
  }
  if (count === 0) return { code: "value", message: "empty base64Binary" };
  if (count % 4 !== 0 || padding > 2) {
    return { code: "value", message: "invalid base64Binary: length is not a multiple of 4 or bad '=' padding" };
  }
  return undefined;
};

/** Narrative.div: FHIR R4 narrative.html#xhtml, the content is an XHTML <div> element. */
const checkXhtml: PrimitiveCheck = (value) => {
  if (typeof value !== "string") return jsonTypeProblem("string", value);
  if (!/^\s*<div[\s>/]/.test(value)) return { code: "value", message: "xhtml must be a <div> element" };
  return checkSize(value);
};

const checks: Record<string, PrimitiveCheck> = {
  boolean: (value) => (typeof value === "boolean" ? undefined : jsonTypeProblem("boolean", value)),
  integer: integerCheck(INT32_MIN, "integer"),
  unsignedInt: integerCheck(0, "unsignedInt"),
  positiveInt: integerCheck(1, "positiveInt"),
  decimal: (value) => {
    if (typeof value !== "number") return jsonTypeProblem("number", value);
    return Number.isFinite(value) ? undefined : { code: "value", message: "decimal out of range" };
  },
  string: checkString,
  markdown: checkString,
  xhtml: checkXhtml,
  code: stringPattern(CODE_RE, "code (no leading, trailing or repeated whitespace)"),
  id: stringPattern(ID_RE, "id ([A-Za-z0-9-.]{1,64})"),
  uri: stringPattern(URI_RE, "uri (no whitespace)"),
  url: stringPattern(URI_RE, "url (no whitespace)"),
  canonical: stringPattern(URI_RE, "canonical (no whitespace)"),
  oid: stringPattern(OID_RE, "oid (urn:oid:...)"),
  uuid: stringPattern(UUID_RE, "uuid (urn:uuid: + lower-case RFC 4122 UUID)"),
  date: stringPattern(DATE_RE, "date (YYYY, YYYY-MM or YYYY-MM-DD)", validDay),
  dateTime: stringPattern(
    DATE_TIME_RE,
    "dateTime (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.f]+zz:zz; a time needs a timezone)",
    validDay,
  ),
  instant: stringPattern(INSTANT_RE, "instant (YYYY-MM-DDThh:mm:ss[.f]+zz:zz with timezone)", validDay),
  time: stringPattern(TIME_RE, "time (hh:mm:ss[.f])"),
  base64Binary: checkBase64,
};

/** Type name -> check. A Map, so names like "constructor" can never hit Object.prototype. */
export const PRIMITIVE_CHECKS: ReadonlyMap<string, PrimitiveCheck> = new Map(Object.entries(checks));
export const PRIMITIVE_TYPES: ReadonlySet<string> = new Set(PRIMITIVE_CHECKS.keys());

export const isFhirId = (value: string): boolean => ID_RE.test(value);
