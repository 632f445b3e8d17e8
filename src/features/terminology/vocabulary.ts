import { editDistanceWithin } from "./text";

/**
 * A code set's vocabulary (the distinct words of its descriptions and synonyms, `code_terms`), kept
 * in memory per isolate. A set's content never changes once written (a re-import makes a new set
 * id), so entries never go stale; a few recent sets are kept.
 */
export interface Vocabulary {
  has(word: string): boolean;
  /** Vocabulary words within `budget` edits of `word` (transposition = 1), closest first. */
  corrections(word: string, budget: number, max?: number): string[];
}

const MAX_SETS = 8;
const cache = new Map<number, Promise<Vocabulary>>();

/** Letters present (bits 0–25), digits (26), anything else (27–31): an edit changes at most 2 bits. */
function letterMask(w: string): number {
  let m = 0;
  for (let i = 0; i < w.length; i++) {
    const c = w.charCodeAt(i);
    if (c >= 97 && c <= 122) m |= 1 << (c - 97);
    else if (c >= 48 && c <= 57) m |= 1 << 26;
    else m |= 1 << (27 + (c % 5));
  }
  return m >>> 0;
}

function popcount(x: number): number {
  let n = x - ((x >>> 1) & 0x55555555);
  n = (n & 0x33333333) + ((n >>> 2) & 0x33333333);
  return (((n + (n >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

export function buildVocabulary(terms: Iterable<string>): Vocabulary {
  const all = new Set(terms);
  const byLength = new Map<number, { terms: string[]; masks: number[] }>();
  for (const t of all) {
    let b = byLength.get(t.length);
    if (!b) {
      b = { terms: [], masks: [] };
      byLength.set(t.length, b);
    }
    b.terms.push(t);
    b.masks.push(letterMask(t));
  }
  return {
    has: (w) => all.has(w),
    corrections(word, budget, max = 6) {
      if (budget <= 0) return [];
      const mask = letterMask(word);
      const found: Array<{ t: string; d: number }> = [];
      for (let len = word.length - budget; len <= word.length + budget; len++) {
        const b = byLength.get(len);
        if (!b) continue;
        for (let i = 0; i < b.terms.length; i++) {
          if (popcount((b.masks[i]! ^ mask) >>> 0) > 2 * budget) continue;
          const d = editDistanceWithin(word, b.terms[i]!, budget);
          if (d <= budget && d > 0) found.push({ t: b.terms[i]!, d });
        }
      }
      found.sort(
        (a, b) =>
          a.d - b.d || Math.abs(a.t.length - word.length) - Math.abs(b.t.length - word.length) || (a.t < b.t ? -1 : 1),
      );
      return found.slice(0, max).map((f) => f.t);
    },
  };
}

export function vocabularyOf(db: D1Database, setId: number): Promise<Vocabulary> {
  const hit = cache.get(setId);
  if (hit) {
    cache.delete(setId);
    cache.set(setId, hit);
    return hit;
  }
  const loading = db
    .prepare("SELECT term FROM code_terms WHERE set_id = ?1")
    .bind(setId)
    .raw<[string]>()
    .then((rows) => buildVocabulary(rows.map((r) => r[0])));
  loading.catch(() => cache.delete(setId));
  cache.set(setId, loading);
  while (cache.size > MAX_SETS) cache.delete(cache.keys().next().value!);
  return loading;
}
