/**
 * Simple-font encodings (ISO 32000-1 Annex D) and glyph names, enough to read text from fonts that
 * carry no /ToUnicode map. WinAnsiEncoding is Windows-1252; StandardEncoding matches ASCII except the
 * two quotes; MacRomanEncoding's upper half is listed in full.
 */

const CP1252_HIGH: Record<number, number> = {
  128: 0x20ac,
  130: 0x201a,
  131: 0x0192,
  132: 0x201e,
  133: 0x2026,
  134: 0x2020,
  135: 0x2021,
  136: 0x02c6,
  137: 0x2030,
  138: 0x0160,
  139: 0x2039,
  140: 0x0152,
  142: 0x017d,
  145: 0x2018,
  146: 0x2019,
  147: 0x201c,
  148: 0x201d,
  149: 0x2022,
  150: 0x2013,
  151: 0x2014,
  152: 0x02dc,
  153: 0x2122,
  154: 0x0161,
  155: 0x203a,
  156: 0x0153,
  158: 0x017e,
  159: 0x0178,
};

const MAC_ROMAN_HIGH =
  "ÄÅÇÉÑÖÜáàâäãåçéèêëíìîïñóòôöõúùûü†°¢£§•¶ß®©™´¨≠ÆØ∞±≤≥¥µ∂∑∏π∫ªºΩæø¿¡¬√ƒ≈∆«»…\u00a0ÀÃÕŒœ–—“”‘’÷◊ÿŸ⁄€‹›ﬁﬂ‡·‚„‰ÂÊÁËÈÍÎÏÌÓÔ\uf8ffÒÚÛÙıˆ˜¯˘˙˚¸˝˛ˇ";

export type BaseEncoding = "WinAnsiEncoding" | "StandardEncoding" | "MacRomanEncoding";

export function baseEncodingChar(encoding: BaseEncoding, code: number): string {
  if (code < 0x20) return code === 0x09 || code === 0x0a || code === 0x0d ? " " : "";
  if (encoding === "StandardEncoding") {
    if (code === 0x27) return "\u2019";
    if (code === 0x60) return "\u2018";
  }
  if (code < 0x7f) return String.fromCharCode(code);
  if (encoding === "MacRomanEncoding" && code >= 0x80) return MAC_ROMAN_HIGH[code - 0x80] ?? "";
  if (code >= 0x80 && code <= 0x9f) {
    const mapped = CP1252_HIGH[code];
    return mapped ? String.fromCharCode(mapped) : "";
  }
  return code === 0x7f ? "" : String.fromCharCode(code);
}

/** Adobe glyph names that are not single letters, for /Differences arrays. */
const GLYPHS: Record<string, string> = {
  space: " ",
  nbspace: "\u00a0",
  exclam: "!",
  quotedbl: '"',
  numbersign: "#",
  dollar: "$",
  percent: "%",
  ampersand: "&",
  quotesingle: "'",
  quoteright: "\u2019",
  quoteleft: "\u2018",
  parenleft: "(",
  parenright: ")",
  asterisk: "*",
  plus: "+",
  comma: ",",
  hyphen: "-",
  period: ".",
  slash: "/",
  zero: "0",
  one: "1",
  two: "2",
  three: "3",
  four: "4",
  five: "5",
  six: "6",
  seven: "7",
  eight: "8",
  nine: "9",
  colon: ":",
  semicolon: ";",
  less: "<",
  equal: "=",
  greater: ">",
  question: "?",
  at: "@",
  bracketleft: "[",
  backslash: "\\",
  bracketright: "]",
  asciicircum: "^",
  underscore: "_",
  grave: "`",
  braceleft: "{",
  bar: "|",
  braceright: "}",
  asciitilde: "~",
  bullet: "\u2022",
  endash: "\u2013",
  emdash: "\u2014",
  quotedblleft: "\u201c",
  quotedblright: "\u201d",
  quotesinglbase: "\u201a",
  quotedblbase: "\u201e",
  guillemotleft: "\u00ab",
  guillemotright: "\u00bb",
  guilsinglleft: "\u2039",
  guilsinglright: "\u203a",
  ellipsis: "\u2026",
  dagger: "\u2020",
  daggerdbl: "\u2021",
  degree: "\u00b0",
  mu: "\u00b5",
  micro: "\u00b5",
  plusminus: "\u00b1",
  multiply: "\u00d7",
  divide: "\u00f7",
  minus: "\u2212",
  periodcentered: "\u00b7",
  copyright: "\u00a9",
  registered: "\u00ae",
  trademark: "\u2122",
  section: "\u00a7",
  paragraph: "\u00b6",
  Euro: "\u20ac",
  sterling: "\u00a3",
  yen: "\u00a5",
  cent: "\u00a2",
  currency: "\u00a4",
  germandbls: "\u00df",
  dotlessi: "\u0131",
  ae: "\u00e6",
  AE: "\u00c6",
  oe: "\u0153",
  OE: "\u0152",
  oslash: "\u00f8",
  Oslash: "\u00d8",
  lslash: "\u0142",
  Lslash: "\u0141",
  eth: "\u00f0",
  Eth: "\u00d0",
  thorn: "\u00fe",
  Thorn: "\u00de",
  exclamdown: "\u00a1",
  questiondown: "\u00bf",
  ordfeminine: "\u00aa",
  ordmasculine: "\u00ba",
  onehalf: "\u00bd",
  onequarter: "\u00bc",
  threequarters: "\u00be",
  onesuperior: "\u00b9",
  twosuperior: "\u00b2",
  threesuperior: "\u00b3",
  logicalnot: "\u00ac",
  brokenbar: "\u00a6",
  fraction: "\u2044",
  perthousand: "\u2030",
  florin: "\u0192",
  fi: "fi",
  fl: "fl",
  ff: "ff",
  ffi: "ffi",
  ffl: "ffl",
  arrowright: "\u2192",
  arrowleft: "\u2190",
  lessequal: "\u2264",
  greaterequal: "\u2265",
  notequal: "\u2260",
  approxequal: "\u2248",
  infinity: "\u221e",
};

/** Combining marks for `<letter><accent>` glyph names (eacute, Udieresis, ccedilla, ...). */
const ACCENTS: Record<string, string> = {
  acute: "\u0301",
  grave: "\u0300",
  circumflex: "\u0302",
  dieresis: "\u0308",
  tilde: "\u0303",
  ring: "\u030a",
  cedilla: "\u0327",
  caron: "\u030c",
  macron: "\u0304",
  breve: "\u0306",
  ogonek: "\u0328",
  dotaccent: "\u0307",
  hungarumlaut: "\u030b",
};

/** Unicode text of an Adobe glyph name (AGL conventions: `uniXXXX`, `uXXXX`, `a_b` ligatures, `.suffix`). */
export function glyphNameToUnicode(glyph: string): string | undefined {
  const name = glyph.split(".")[0] ?? "";
  if (name === "") return undefined;
  if (name.includes("_")) {
    const parts = name.split("_").map(glyphNameToUnicode);
    return parts.every((p) => p !== undefined) ? parts.join("") : undefined;
  }
  const known = GLYPHS[name];
  if (known !== undefined) return known;
  if (/^[A-Za-z]$/.test(name)) return name;
  const uni = /^uni((?:[0-9A-F]{4})+)$/.exec(name);
  if (uni)
    return uni[1]!
      .match(/.{4}/g)!
      .map((h) => String.fromCharCode(Number.parseInt(h, 16)))
      .join("");
  const u = /^u([0-9A-F]{4,6})$/.exec(name);
  if (u) {
    const cp = Number.parseInt(u[1]!, 16);
    return cp <= 0x10ffff ? String.fromCodePoint(cp) : undefined;
  }
  const accented =
    /^([A-Za-z])(acute|grave|circumflex|dieresis|tilde|ring|cedilla|caron|macron|breve|ogonek|dotaccent|hungarumlaut)$/.exec(
      name,
    );
  if (accented) return `${accented[1]}${ACCENTS[accented[2]!]}`.normalize("NFC");
  return undefined;
}
