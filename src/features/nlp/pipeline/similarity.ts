import type { CompiledDictionary } from "../concepts/dictionary";
import { normalizeWord } from "../concepts/normalize";
import { termTokens } from "../concepts/term-tokens";
import { MATCH_STOP_WORDS } from "../lexicon/word-lists";
import type { TextDocument } from "../text/segment";

const descriptionCache = new Map<string, Set<string>>();

/** Normalised content words of a description ("Type 2 diabetes mellitus" → {2, diabetes, mellitus}). */
export function descriptionKeys(description: string): Set<string> {
  let keys = descriptionCache.get(description);
  if (!keys) {
    keys = new Set(termTokens(description).map((t) => t.key));
    if (descriptionCache.size > 50_000) descriptionCache.clear();
    descriptionCache.set(description, keys);
  }
  return keys;
}

/** Normalised content words of a token range of the document. */
export function rangeKeys(doc: TextDocument, tokenStart: number, tokenEnd: number): Set<string> {
  const out = new Set<string>();
  for (let t = tokenStart; t < tokenEnd; t++) {
    const tok = doc.tokens[t]!;
    if (tok.kind === "punct" || MATCH_STOP_WORDS.has(tok.lower)) continue;
    out.add(normalizeWord(tok.lower).key);
  }
  return out;
}

export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let inter = 0;
  const [small, big] = a.size <= b.size ? [a, b] : [b, a];
  for (const x of small) if (big.has(x)) inter++;
  return inter / (a.size + b.size - inter);
}

/** `descriptionKeys` of a dictionary code, cached on the dictionary. */
export function codeDescriptionKeys(dict: CompiledDictionary, codeIndex: number, description: string): Set<string> {
  if (codeIndex < 0) return descriptionKeys(description);
  let keys = dict.descriptionKeyCache[codeIndex];
  if (!keys) {
    keys = new Set(termTokens(description).map((t) => t.key));
    dict.descriptionKeyCache[codeIndex] = keys;
  }
  return keys;
}
