/**
 * PDF object syntax (ISO 32000-1 §7.2 lexical conventions, §7.3 objects): the values of a PDF file
 * and of its content streams, read from bytes.
 */

export class PdfName {
  constructor(readonly name: string) {}
}

/** String bytes as written; their meaning depends on the font (content) or on PDFDocEncoding/UTF-16. */
export class PdfString {
  constructor(readonly bytes: Uint8Array) {}
}

export class PdfRef {
  constructor(
    readonly num: number,
    readonly gen: number,
  ) {}
}

/** A content-stream operator or a file keyword (`obj`, `stream`, `R`, `trailer`, ...). */
export class PdfKeyword {
  constructor(readonly word: string) {}
}

export class PdfStream {
  constructor(
    readonly dict: PdfDict,
    /** The encoded bytes between `stream` and `endstream`. */
    readonly raw: Uint8Array,
  ) {}
}

export type PdfDict = Map<string, PdfValue>;
export type PdfValue = number | boolean | null | PdfName | PdfString | PdfRef | PdfStream | PdfDict | PdfValue[];

const WHITESPACE = new Uint8Array(256);
for (const c of [0x00, 0x09, 0x0a, 0x0c, 0x0d, 0x20]) WHITESPACE[c] = 1;
const DELIMITER = new Uint8Array(256);
for (const c of "()<>[]{}/%") DELIMITER[c.charCodeAt(0)] = 1;

export const isWhitespace = (c: number) => WHITESPACE[c] === 1;
const isRegular = (c: number) => WHITESPACE[c] !== 1 && DELIMITER[c] !== 1;

const hexValue = (c: number): number => {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
};

/** Bytes as a string of the same length, one char per byte (for names, keywords and searching). */
export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let out = "";
  for (let i = start; i < end; i += 0x2000) {
    out += String.fromCharCode(...bytes.subarray(i, Math.min(i + 0x2000, end)));
  }
  return out;
}

type Token = PdfValue | PdfKeyword | "[" | "]" | "<<" | ">>" | "{" | "}";

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)$/;

/**
 * Reads values from `data[pos, end)`. With `refs` (file objects), `n g R` is a reference; content
 * streams have no references, so they skip that lookahead.
 */
export class PdfReader {
  pos: number;

  constructor(
    readonly data: Uint8Array,
    pos = 0,
    readonly end = data.length,
    private readonly refs = true,
  ) {
    this.pos = pos;
  }

  skipWhitespace(): void {
    const { data, end } = this;
    while (this.pos < end) {
      const c = data[this.pos]!;
      if (WHITESPACE[c] === 1) this.pos++;
      else if (c === 0x25) {
        // % comment to end of line
        while (this.pos < end && data[this.pos] !== 0x0a && data[this.pos] !== 0x0d) this.pos++;
      } else break;
    }
  }

  /** The next value, keyword or bracket; undefined at the end. */
  private token(): Token | undefined {
    this.skipWhitespace();
    const { data, end } = this;
    if (this.pos >= end) return undefined;
    const c = data[this.pos]!;
    switch (c) {
      case 0x28: // (
        return this.literalString();
      case 0x3c: // <
        if (data[this.pos + 1] === 0x3c) {
          this.pos += 2;
          return "<<";
        }
        return this.hexString();
      case 0x3e: // >
        this.pos += data[this.pos + 1] === 0x3e ? 2 : 1;
        return ">>";
      case 0x5b:
        this.pos++;
        return "[";
      case 0x5d:
        this.pos++;
        return "]";
      case 0x7b:
        this.pos++;
        return "{";
      case 0x7d:
        this.pos++;
        return "}";
      case 0x2f: // /
        return this.name();
      case 0x29: // stray )
        this.pos++;
        return new PdfKeyword(")");
    }
    // Keywords and numbers are short: building the string byte by byte beats slicing.
    let word = "";
    while (this.pos < end && isRegular(data[this.pos]!)) word += String.fromCharCode(data[this.pos++]!);
    const first = word.charCodeAt(0);
    if (((first >= 0x30 && first <= 0x39) || first === 0x2b || first === 0x2d || first === 0x2e) && NUMBER.test(word)) {
      return Number(word);
    }
    if (word === "true") return true;
    if (word === "false") return false;
    if (word === "null") return null;
    return new PdfKeyword(word);
  }

  private name(): PdfName {
    const { data, end } = this;
    this.pos++; // "/"
    const bytes: number[] = [];
    while (this.pos < end && isRegular(data[this.pos]!)) {
      const c = data[this.pos]!;
      if (c === 0x23 && this.pos + 2 < end) {
        // #xx escape (§7.3.5)
        const hi = hexValue(data[this.pos + 1]!);
        const lo = hexValue(data[this.pos + 2]!);
        if (hi >= 0 && lo >= 0) {
          bytes.push(hi * 16 + lo);
          this.pos += 3;
          continue;
        }
      }
      bytes.push(c);
      this.pos++;
    }
    return new PdfName(String.fromCharCode(...bytes));
  }

  /** §7.3.4.2: balanced parentheses, backslash escapes, octal codes, line continuations. */
  private literalString(): PdfString {
    const { data, end } = this;
    this.pos++; // "("
    const out: number[] = [];
    let depth = 1;
    while (this.pos < end) {
      const c = data[this.pos++]!;
      if (c === 0x5c) {
        const e = data[this.pos++];
        switch (e) {
          case 0x6e:
            out.push(0x0a);
            break;
          case 0x72:
            out.push(0x0d);
            break;
          case 0x74:
            out.push(0x09);
            break;
          case 0x62:
            out.push(0x08);
            break;
          case 0x66:
            out.push(0x0c);
            break;
          case 0x0d:
            if (data[this.pos] === 0x0a) this.pos++;
            break;
          case 0x0a:
            break;
          case undefined:
            break;
          default:
            if (e >= 0x30 && e <= 0x37) {
              let code = e - 0x30;
              for (let k = 0; k < 2 && this.pos < end && data[this.pos]! >= 0x30 && data[this.pos]! <= 0x37; k++) {
                code = code * 8 + (data[this.pos++]! - 0x30);
              }
              out.push(code & 0xff);
            } else out.push(e);
        }
        continue;
      }
      if (c === 0x28) depth++;
      else if (c === 0x29 && --depth === 0) break;
      if (c === 0x0d) {
        // An unescaped end of line is a single LF whatever its form.
        if (data[this.pos] === 0x0a) this.pos++;
        out.push(0x0a);
        continue;
      }
      out.push(c);
    }
    return new PdfString(Uint8Array.from(out));
  }

  private hexString(): PdfString {
    const { data, end } = this;
    this.pos++; // "<"
    const out: number[] = [];
    let high = -1;
    while (this.pos < end) {
      const c = data[this.pos++]!;
      if (c === 0x3e) break;
      const v = hexValue(c);
      if (v < 0) continue;
      if (high < 0) high = v;
      else {
        out.push(high * 16 + v);
        high = -1;
      }
    }
    if (high >= 0) out.push(high * 16);
    return new PdfString(Uint8Array.from(out));
  }

  /**
   * The next complete value (arrays and dictionaries included) or keyword; undefined at the end.
   * Closing brackets with no opener come back as keywords so callers can stop on them.
   */
  next(): PdfValue | PdfKeyword | undefined {
    const t = this.token();
    if (t === undefined) return undefined;
    if (t === "[") return this.array();
    if (t === "<<") return this.dict();
    if (t === "]" || t === ">>" || t === "{" || t === "}") return new PdfKeyword(t);
    if (this.refs && typeof t === "number" && Number.isInteger(t) && t >= 0) return this.maybeRef(t);
    return t;
  }

  private maybeRef(num: number): PdfValue {
    const save = this.pos;
    const gen = this.token();
    if (typeof gen === "number" && Number.isInteger(gen) && gen >= 0) {
      const r = this.token();
      if (r instanceof PdfKeyword && r.word === "R") return new PdfRef(num, gen);
    }
    this.pos = save;
    return num;
  }

  private array(): PdfValue[] {
    const items: PdfValue[] = [];
    for (;;) {
      const v = this.next();
      if (v === undefined) return items;
      if (v instanceof PdfKeyword) {
        if (v.word === "]") return items;
        continue; // stray keyword inside an array: skip it
      }
      items.push(v);
    }
  }

  private dict(): PdfDict {
    const dict: PdfDict = new Map();
    for (;;) {
      const key = this.next();
      if (key === undefined) return dict;
      if (key instanceof PdfKeyword) {
        if (key.word === ">>") return dict;
        continue;
      }
      if (!(key instanceof PdfName)) continue;
      const value = this.next();
      if (value === undefined) return dict;
      if (value instanceof PdfKeyword) {
        if (value.word === ">>") return dict;
        continue;
      }
      dict.set(key.name, value);
    }
  }

  /** After the `ID` operator of an inline image (§8.9.7): skips its binary data up to `EI`. */
  skipInlineImageData(): void {
    const { data, end } = this;
    this.pos++; // the single whitespace after ID
    while (this.pos < end - 1) {
      if (
        data[this.pos] === 0x45 &&
        data[this.pos + 1] === 0x49 &&
        isWhitespace(data[this.pos - 1]!) &&
        (this.pos + 2 >= end || isWhitespace(data[this.pos + 2]!))
      ) {
        this.pos += 2;
        return;
      }
      this.pos++;
    }
    this.pos = end;
  }
}

export const nameOf = (v: PdfValue | undefined): string | undefined => (v instanceof PdfName ? v.name : undefined);
export const isDict = (v: PdfValue | PdfKeyword | undefined): v is PdfDict => v instanceof Map;
export const numberOf = (v: PdfValue | undefined): number | undefined =>
  typeof v === "number" && Number.isFinite(v) ? v : undefined;
