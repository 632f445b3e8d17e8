/**
 * Text rules shared by the importers, the indexes and the searches, so that what is written and
 * what is queried are normalised the same way.
 */

const COMBINING_MARKS = /[\u0300-\u036f]/g;
const WORD = /[\p{L}\p{N}]+/gu;

/** Lowercase without diacritics (`Sjögren` → `sjogren`), like FTS5 unicode61 `remove_diacritics 2`. */
export function foldText(s: string): string {
  return s.normalize("NFKD").replace(COMBINING_MARKS, "").toLowerCase();
}

/** Words as the FTS5 unicode61 tokenizer sees them: runs of letters and digits, folded. */
export function words(s: string): string[] {
  return foldText(s).match(WORD) ?? [];
}

/** Key for dot-insensitive, case-insensitive code lookup: `e11.65` → `E1165`. */
export function codeKey(code: string): string {
  return code.trim().toUpperCase().replace(/\./g, "");
}

/** `E1165` → `E11.65`: ICD-10-CM's cosmetic dot sits after the 3-character category. */
export function dottedIcd10cm(code: string): string {
  const c = code.trim().toUpperCase().replace(/\./g, "");
  return c.length > 3 ? `${c.slice(0, 3)}.${c.slice(3)}` : c;
}

/** Code-system names are case-insensitive and stored uppercase (seed 004, POST /construe/upload). */
export function normalizeSystemName(name: string): string {
  return name.trim().toUpperCase();
}

/** Whitespace-collapsed, folded form used for "exact term" and "prefix" ranking. */
export function normalizedPhrase(s: string): string {
  return words(s).join(" ");
}

/**
 * Optimal-string-alignment distance (Damerau-Levenshtein where a transposition of two neighbours
 * counts as one edit), giving up as soon as it must exceed `max`. Returns `max + 1` when it does.
 */
export function editDistanceWithin(a: string, b: string, max: number): number {
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > max) return max + 1;
  if (a === b) return 0;
  let prev2 = new Array<number>(lb + 1).fill(0);
  let prev = new Array<number>(lb + 1);
  let cur = new Array<number>(lb + 1);
  for (let j = 0; j <= lb; j++) prev[j] = j;
  for (let i = 1; i <= la; i++) {
    cur[0] = i;
    let rowMin = cur[0];
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= lb; j++) {
      const cb = b.charCodeAt(j - 1);
      let v = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (ca === cb ? 0 : 1));
      if (i > 1 && j > 1 && ca === b.charCodeAt(j - 2) && a.charCodeAt(i - 2) === cb) {
        v = Math.min(v, prev2[j - 2]! + 1);
      }
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    const t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return prev[lb]! > max ? max + 1 : prev[lb]!;
}

/** Issue 5: no typo under 5 letters, one for 5–8 letters, two from 9. */
export function typoBudget(word: string): number {
  if (word.length < 5) return 0;
  return word.length <= 8 ? 1 : 2;
}
