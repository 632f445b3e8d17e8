import type { TextDocument } from "../text/segment";

/** An abbreviation defined in the document itself: "autism spectrum disorder (ASD)". */
export interface LocalAbbreviation {
  short: string;
  long: string;
  /** Token index of the short form inside the defining parentheses (not expanded there). */
  definitionToken: number;
}

/**
 * Find "long form (SF)" definitions, in the manner of Schwartz & Hearst (2003): the characters of the
 * short form must appear in order in the long form, the first one at the start of a word, and the long
 * form may not be much longer than the short form. Later uses of SF in the document then count as the
 * long form's words for concept matching.
 */
export function findLocalAbbreviations(doc: TextDocument): LocalAbbreviation[] {
  const out: LocalAbbreviation[] = [];
  const { tokens, text } = doc;
  const taken = new Set<string>();
  for (const sentence of doc.sentences) {
    for (let t = sentence.tokenStart + 1; t + 2 < Math.min(tokens.length, sentence.tokenEnd + 1); t++) {
      const open = tokens[t];
      const sf = tokens[t + 1];
      const close = tokens[t + 2];
      if (!open || !sf || !close || open.text !== "(" || close.text !== ")") continue;
      const short = sf.text;
      if (!isShortFormCandidate(short) || taken.has(short)) continue;
      const maxWords = Math.min(short.length + 5, short.length * 2);
      // The words before "(" inside this sentence, at most maxWords of them.
      let first = t - 1;
      let words = 0;
      while (first >= sentence.tokenStart && words < maxWords) {
        const tok = tokens[first]!;
        if (tok.kind !== "punct" || tok.text === "-" || tok.text === "/") {
          if (tok.kind !== "punct") words++;
          first--;
        } else break;
      }
      const windowStart = tokens[first + 1]?.start;
      if (windowStart === undefined || first + 1 >= t) continue;
      const window = text.slice(windowStart, open.start).trimEnd();
      const long = bestLongForm(short, window);
      if (long === null) continue;
      const longWords = long.split(/[\s-]+/).filter(Boolean).length;
      if (long.length <= short.length || longWords > maxWords || longWords < 1) continue;
      if (long.toLowerCase().includes(short.toLowerCase())) continue;
      taken.add(short);
      out.push({ short, long, definitionToken: t + 1 });
    }
  }
  return out;
}

function isShortFormCandidate(s: string): boolean {
  if (s.length < 2 || s.length > 10) return false;
  if (!/^[\p{L}\p{N}]/u.test(s) || !/\p{Lu}/u.test(s)) return false;
  if (/^\p{N}+$/u.test(s)) return false;
  return /\p{L}/u.test(s);
}

function isAlnum(c: string | undefined): boolean {
  return c !== undefined && /[\p{L}\p{N}]/u.test(c);
}

function bestLongForm(shortForm: string, longForm: string): string | null {
  let s = shortForm.length - 1;
  let l = longForm.length - 1;
  while (s >= 0) {
    const c = shortForm.charAt(s).toLowerCase();
    if (!isAlnum(c)) {
      s--;
      continue;
    }
    while (
      (l >= 0 && longForm.charAt(l).toLowerCase() !== c) ||
      (s === 0 && l > 0 && isAlnum(longForm.charAt(l - 1)))
    ) {
      l--;
    }
    if (l < 0) return null;
    l--;
    s--;
  }
  const wordStart = Math.max(longForm.lastIndexOf(" ", l) + 1, 0);
  return longForm.slice(wordStart).trim();
}
