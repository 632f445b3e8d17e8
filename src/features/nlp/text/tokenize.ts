import { Utf8Index } from "./utf8";

export type TokenKind = "word" | "number" | "punct";

/** One token of the input, with UTF-16 positions (`start`/`end`) and UTF-8 byte offsets (`begin`/`endByte`). */
export interface Token {
  index: number;
  text: string;
  lower: string;
  kind: TokenKind;
  start: number;
  end: number;
  begin: number;
  endByte: number;
  /** No whitespace between the previous token and this one ("low-set", "T2DM,"). */
  joined: boolean;
  /** A line break sits between the previous token and this one. */
  newlineBefore: boolean;
}

// Order matters: slash abbreviations ("h/o", "s/p", "N/V") stay one token; numbers keep their decimals
// and attached units ("2mg"); words keep letters, marks and digits ("T2DM", "SpO2", "µg") plus an
// apostrophe suffix ("Crohn's"); anything else that is not a space is a one-code-point token.
export const TOKEN_PATTERN =
  /(?<![\p{L}\p{N}])[A-Za-z]\/[A-Za-z](?![\p{L}\p{N}])|\p{N}+(?:[.,]\p{N}+)*[\p{L}\p{N}]*|[\p{L}\p{M}][\p{L}\p{M}\p{N}]*(?:['’]\p{L}+)?|\S/gu;

const TOKEN_RE = new RegExp(TOKEN_PATTERN.source, "gu");
const DIGIT_START = /^\p{N}/u;
const LETTER_START = /^[\p{L}\p{M}]/u;

export function tokenize(text: string, utf8: Utf8Index = new Utf8Index(text)): Token[] {
  const tokens: Token[] = [];
  TOKEN_RE.lastIndex = 0;
  let prevEnd = 0;
  for (let m = TOKEN_RE.exec(text); m !== null; m = TOKEN_RE.exec(text)) {
    const surface = m[0];
    const start = m.index;
    const end = start + surface.length;
    const kind: TokenKind = LETTER_START.test(surface) ? "word" : DIGIT_START.test(surface) ? "number" : "punct";
    let newlineBefore = false;
    for (let i = prevEnd; i < start; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || c === 13) {
        newlineBefore = true;
        break;
      }
    }
    tokens.push({
      index: tokens.length,
      text: surface,
      lower: surface.toLowerCase(),
      kind,
      start,
      end,
      begin: utf8.byteOffset(start),
      endByte: utf8.byteOffset(end),
      joined: tokens.length > 0 && start === prevEnd,
      newlineBefore,
    });
    prevEnd = end;
  }
  return tokens;
}

const WORDS_RE = new RegExp(TOKEN_PATTERN.source, "gu");

/** The token strings of a short text (descriptions, trigger phrases), lower-cased, without positions. */
export function tokenStrings(text: string): string[] {
  return (text.match(WORDS_RE) ?? []).map((t) => t.toLowerCase());
}
