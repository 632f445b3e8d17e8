import type { PdfDocument } from "./document";
import { type BaseEncoding, baseEncodingChar, glyphNameToUnicode } from "./encodings";
import { isDict, nameOf, numberOf, type PdfDict, PdfKeyword, PdfName, PdfReader, PdfStream, PdfString } from "./syntax";

/** What text extraction needs from a font (ISO 32000-1 §9.5–9.10): codes, their text, their widths. */
export interface PdfFont {
  /** True when every code is one byte: word spacing (Tw) then applies to code 32 (§9.3.3). */
  readonly singleByte: boolean;
  /** Splits shown string bytes into character codes. */
  codes(bytes: Uint8Array): number[];
  /** Unicode text of a code ("" when the font gives no way to know it). */
  text(code: number): string;
  /** Advance width in thousandths of text space (glyph space / 1000). */
  width(code: number): number;
}

interface CodeSpace {
  length: number;
  low: number;
  high: number;
}

/** A parsed /ToUnicode CMap (§9.10.3): code space ranges and code → text. */
export interface ToUnicodeMap {
  spaces: CodeSpace[];
  map: Map<number, string>;
}

const bytesToNumber = (b: Uint8Array) => b.reduce((n, x) => n * 256 + x, 0);

/** Upper bound on entries of one font's maps (the largest CJK fonts have ~65k glyphs). */
const MAX_FONT_ENTRIES = 70_000;

function utf16be(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i + 1 < bytes.length; i += 2) out += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!);
  if (bytes.length % 2 === 1) out += String.fromCharCode(bytes[bytes.length - 1]!);
  return out;
}

/** Adds `delta` to the last UTF-16 unit of `base` (bfrange destinations increment, §9.10.3). */
function offsetText(base: string, delta: number): string {
  if (base === "") return "";
  const last = base.charCodeAt(base.length - 1) + delta;
  return base.slice(0, -1) + String.fromCharCode(last & 0xffff);
}

export function parseToUnicode(data: Uint8Array): ToUnicodeMap {
  const reader = new PdfReader(data, 0, data.length, false);
  const spaces: CodeSpace[] = [];
  const map = new Map<number, string>();
  let mode: "" | "codespace" | "bfchar" | "bfrange" = "";
  let group: unknown[] = [];
  for (;;) {
    const v = reader.next();
    if (v === undefined) break;
    if (v instanceof PdfKeyword) {
      const word = v.word;
      if (word === "begincodespacerange") mode = "codespace";
      else if (word === "beginbfchar") mode = "bfchar";
      else if (word === "beginbfrange") mode = "bfrange";
      else if (word.startsWith("end") && mode !== "") mode = "";
      group = [];
      continue;
    }
    if (mode === "") continue;
    group.push(v);
    if (mode === "codespace" && group.length === 2) {
      const [lo, hi] = group;
      if (lo instanceof PdfString && hi instanceof PdfString && lo.bytes.length > 0) {
        spaces.push({ length: lo.bytes.length, low: bytesToNumber(lo.bytes), high: bytesToNumber(hi.bytes) });
      }
      group = [];
    } else if (mode === "bfchar" && group.length === 2) {
      const [src, dst] = group;
      if (src instanceof PdfString) {
        const text =
          dst instanceof PdfString
            ? utf16be(dst.bytes)
            : dst instanceof PdfName
              ? glyphNameToUnicode(dst.name)
              : undefined;
        if (text !== undefined) map.set(bytesToNumber(src.bytes), text);
      }
      group = [];
    } else if (mode === "bfrange" && group.length === 3) {
      const [lo, hi, dst] = group;
      if (lo instanceof PdfString && hi instanceof PdfString && map.size < MAX_FONT_ENTRIES) {
        const low = bytesToNumber(lo.bytes);
        const high = Math.min(bytesToNumber(hi.bytes), low + 0xffff);
        if (dst instanceof PdfString) {
          const base = utf16be(dst.bytes);
          for (let code = low; code <= high; code++) map.set(code, offsetText(base, code - low));
        } else if (Array.isArray(dst)) {
          dst.forEach((d, i) => {
            if (d instanceof PdfString && low + i <= high) map.set(low + i, utf16be(d.bytes));
          });
        }
      }
      group = [];
    }
  }
  return { spaces, map };
}

/** Splits bytes into codes by code space ranges (§9.7.6.2); `fallback` bytes per code otherwise. */
function splitCodes(bytes: Uint8Array, spaces: CodeSpace[], fallback: number): number[] {
  const out: number[] = [];
  let i = 0;
  while (i < bytes.length) {
    let matched = 0;
    if (spaces.length > 0) {
      for (let n = 1; n <= 4 && i + n <= bytes.length && matched === 0; n++) {
        const code = bytesToNumber(bytes.subarray(i, i + n));
        if (spaces.some((s) => s.length === n && code >= s.low && code <= s.high)) matched = n;
      }
    }
    const length = matched || Math.min(fallback, bytes.length - i);
    out.push(bytesToNumber(bytes.subarray(i, i + length)));
    i += length;
  }
  return out;
}

// Advance widths of the standard 14 fonts for codes 32–126 (Adobe Core 14 AFM), used when a simple
// font has no /Widths: only for judging gaps between text runs, so the regular weights serve all.
const HELVETICA_WIDTHS = [
  278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556, 556, 556, 556, 556,
  556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833,
  722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556,
  556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334,
  260, 334, 584,
];
const TIMES_WIDTHS = [
  250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278, 500, 500, 500, 500, 500, 500, 500,
  500, 500, 500, 278, 278, 564, 564, 564, 444, 921, 722, 667, 667, 722, 611, 556, 722, 722, 333, 389, 722, 611, 889,
  722, 722, 556, 722, 667, 556, 611, 722, 722, 944, 722, 722, 611, 333, 278, 333, 469, 500, 333, 444, 500, 444, 500,
  444, 333, 500, 500, 278, 278, 500, 278, 778, 500, 500, 500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480,
  200, 480, 541,
];

/** Widths by code 0–255 for a standard-14-like font, by the family its name suggests. */
function standardWidths(baseFont: string): number[] {
  const name = baseFont.replace(/^[A-Z]{6}\+/, "").toLowerCase();
  if (name.includes("courier") || name.includes("mono")) return new Array<number>(256).fill(600);
  const table = name.includes("times") || name.includes("serif") ? TIMES_WIDTHS : HELVETICA_WIDTHS;
  return Array.from({ length: 256 }, (_, code) => (code >= 32 && code <= 126 ? table[code - 32]! : 500));
}

/** /W of a CIDFont (§9.7.4.3): `c [w1 w2 ...]` and `cFirst cLast w` entries. */
function cidWidths(doc: PdfDocument, w: unknown): Map<number, number> {
  const widths = new Map<number, number>();
  if (!Array.isArray(w)) return widths;
  for (let i = 0; i < w.length && widths.size < MAX_FONT_ENTRIES; ) {
    const first = numberOf(doc.resolve(w[i]));
    const next = doc.resolve(w[i + 1]);
    if (first === undefined) break;
    if (Array.isArray(next)) {
      next.forEach((x, k) => {
        const value = numberOf(doc.resolve(x));
        if (value !== undefined) widths.set(first + k, value);
      });
      i += 2;
    } else {
      const last = numberOf(next);
      const value = numberOf(doc.resolve(w[i + 2]));
      if (last === undefined || value === undefined) break;
      for (let c = first; c <= Math.min(last, first + 0xffff); c++) widths.set(c, value);
      i += 3;
    }
  }
  return widths;
}

async function loadToUnicode(doc: PdfDocument, font: PdfDict): Promise<ToUnicodeMap | undefined> {
  const stream = doc.get(font, "ToUnicode");
  if (!(stream instanceof PdfStream)) return undefined;
  try {
    return parseToUnicode(await doc.streamData(stream));
  } catch {
    return undefined;
  }
}

async function loadCompositeFont(doc: PdfDocument, font: PdfDict, toUnicode?: ToUnicodeMap): Promise<PdfFont> {
  const descendants = doc.get(font, "DescendantFonts");
  const cidFont = Array.isArray(descendants) ? doc.resolve(descendants[0]) : undefined;
  const cid = isDict(cidFont) ? cidFont : undefined;
  const widths = cidWidths(doc, doc.get(cid, "W"));
  const defaultWidth = numberOf(doc.get(cid, "DW")) ?? 1000;
  const encoding = nameOf(doc.get(font, "Encoding")) ?? "";
  // Predefined UCS-2/UTF-16 CMaps (e.g. UniJIS-UCS2-H) make the codes themselves Unicode.
  const unicodeCodes = /UCS2|UTF16/.test(encoding);
  const spaces = toUnicode?.spaces ?? [];
  const singleByte = spaces.length > 0 && spaces.every((s) => s.length === 1);
  return {
    singleByte,
    codes: (bytes) => splitCodes(bytes, spaces, 2),
    text: (code) => toUnicode?.map.get(code) ?? (unicodeCodes ? String.fromCharCode(code) : ""),
    // Identity encodings map code to CID one to one; other CMaps are approximated the same way.
    width: (code) => widths.get(code) ?? defaultWidth,
  };
}

function simpleEncoding(doc: PdfDocument, font: PdfDict): { base: BaseEncoding; differences: Map<number, string> } {
  const encoding = doc.get(font, "Encoding");
  const differences = new Map<number, string>();
  let baseName = nameOf(encoding);
  if (isDict(encoding)) {
    baseName = nameOf(doc.get(encoding, "BaseEncoding"));
    const diffs = doc.get(encoding, "Differences");
    if (Array.isArray(diffs)) {
      let code = 0;
      for (const item of diffs) {
        const v = doc.resolve(item);
        if (typeof v === "number") code = v;
        else if (v instanceof PdfName) {
          const text = glyphNameToUnicode(v.name);
          if (text !== undefined) differences.set(code, text);
          code++;
        }
      }
    }
  }
  const base: BaseEncoding =
    baseName === "WinAnsiEncoding" || baseName === "MacRomanEncoding" ? baseName : "StandardEncoding";
  return { base, differences };
}

async function loadSimpleFont(doc: PdfDocument, font: PdfDict, toUnicode?: ToUnicodeMap): Promise<PdfFont> {
  const { base, differences } = simpleEncoding(doc, font);
  const firstChar = numberOf(doc.get(font, "FirstChar")) ?? 0;
  const widthsValue = doc.get(font, "Widths");
  const widths = Array.isArray(widthsValue) ? widthsValue.map((w) => numberOf(doc.resolve(w))) : [];
  const missingWidth = numberOf(doc.get(doc.getDict(font, "FontDescriptor"), "MissingWidth"));
  const baseFont = nameOf(doc.get(font, "BaseFont")) ?? "";
  // Type 3 glyph widths are in glyph space, scaled by /FontMatrix (§9.6.5) rather than by 1/1000.
  const matrix = doc.get(font, "FontMatrix");
  const scale = Array.isArray(matrix) ? (numberOf(doc.resolve(matrix[0])) ?? 0.001) * 1000 : 1;
  // One-byte codes: both tables are built once per font, not looked up per glyph.
  const fallbackWidths = missingWidth === undefined ? standardWidths(baseFont) : undefined;
  const texts: string[] = [];
  const advance = new Float64Array(256);
  for (let code = 0; code < 256; code++) {
    texts.push(toUnicode?.map.get(code) ?? differences.get(code) ?? baseEncodingChar(base, code));
    const w = widths[code - firstChar];
    advance[code] = w !== undefined ? w * scale : (missingWidth ?? fallbackWidths![code]!);
  }
  return {
    singleByte: true,
    codes: (bytes) => Array.from(bytes),
    text: (code) => texts[code] ?? "",
    width: (code) => advance[code] ?? 0,
  };
}

/** Fonts are loaded once per font dictionary and shared by every page that uses them. */
export class FontCache {
  private readonly fonts = new WeakMap<PdfDict, Promise<PdfFont>>();

  constructor(private readonly doc: PdfDocument) {}

  get(font: PdfDict): Promise<PdfFont> {
    let loaded = this.fonts.get(font);
    if (!loaded) {
      loaded = this.load(font);
      this.fonts.set(font, loaded);
    }
    return loaded;
  }

  private async load(font: PdfDict): Promise<PdfFont> {
    const toUnicode = await loadToUnicode(this.doc, font);
    return nameOf(font.get("Subtype")) === "Type0"
      ? loadCompositeFont(this.doc, font, toUnicode)
      : loadSimpleFont(this.doc, font, toUnicode);
  }
}
