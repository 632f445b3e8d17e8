import { CANONICAL_WORDS, IRREGULAR_PLURALS, NOT_PLURAL, STEM_ALIASES } from "../lexicon/word-forms";

/**
 * Rule-based English normalisation for concept matching. A word becomes:
 * - `form`: spelling-normalised, singular, with derivational aliases and one-word equivalents applied
 *   ("Haemorrhages" → "hemorrhage", "renal" → "kidney", "ataxic" → "ataxia");
 * - `key`: a suffix-stripped stem of `form` used as the match key ("microcephaly"/"microcephalic" →
 *   "microcephal"). Two words with the same `form` are an exact match; same `key` only, a close one.
 */
export interface WordForm {
  form: string;
  key: string;
}

const cache = new Map<string, WordForm>();
const CACHE_LIMIT = 200_000;

export function normalizeWord(lower: string): WordForm {
  const hit = cache.get(lower);
  if (hit !== undefined) return hit;
  const computed = computeWordForm(lower);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(lower, computed);
  return computed;
}

function computeWordForm(lower: string): WordForm {
  let w = lower.replace(/[’']s$/, "").replace(/[’']/g, "");
  if (w.length === 0) return { form: lower, key: lower };
  w = americanize(w);
  w = singular(w);
  w = CANONICAL_WORDS[w] ?? w;
  w = STEM_ALIASES[w] ?? w;
  w = CANONICAL_WORDS[w] ?? w;
  return { form: w, key: stem(w) };
}

/** British → American spelling for the patterns common in medicine (haem-, oedema, tumour, centre). */
export function americanize(w: string): string {
  if (w.length < 5) return w;
  let out = w;
  if (out.includes("ae") && !out.endsWith("ae")) out = out.replace(/ae(?=.)/g, "e");
  if (out.length >= 6 && out.includes("oe") && !/^(toe|shoe|hoe|doe|canoe)/.test(out) && !out.endsWith("oe")) {
    out = out.replace(/oe(?=.)/g, "e");
  }
  if (out.length >= 6) out = out.replace(/our(s?)$/, "or$1");
  out = out.replace(/([^aeiou])tre(s?)$/, "$1ter$2");
  out = out.replace(/isation(s?)$/, "ization$1").replace(/yse(s?)$/, "yze$1");
  return out;
}

/** Plural → singular by rule, with the irregular and false-plural lists. */
export function singular(w: string): string {
  const irregular = IRREGULAR_PLURALS[w];
  if (irregular !== undefined) return irregular;
  if (w.length <= 3 || NOT_PLURAL.has(w)) return w;
  if (w.endsWith("ae") && w.length > 4) return w.slice(0, -1);
  if (!w.endsWith("s")) return w;
  if (w.endsWith("ss") || w.endsWith("is") || w.endsWith("ous")) return w;
  if (w.endsWith("us")) return w;
  if (w.endsWith("ies") && w.length > 4) return `${w.slice(0, -3)}y`;
  if (w.length > 6 && (w.endsWith("oses") || w.endsWith("eses") || w.endsWith("yses"))) return `${w.slice(0, -2)}is`;
  if (w.length >= 7 && w.endsWith("uses")) return w.slice(0, -2);
  if (w.endsWith("aches")) return w.slice(0, -1);
  if (/(?:[cs]h|ss|x|zz)es$/.test(w)) return w.slice(0, -2);
  return w.slice(0, -1);
}

const MIN_STEM = 4;

// Longest suffixes first; `to` replaces the suffix. Applied at most twice ("spasticity" → "spastic" → "spast").
const SUFFIXES: ReadonlyArray<{ suffix: string; to: string; when?: RegExp }> = [
  { suffix: "ically", to: "" },
  { suffix: "mental", to: "" },
  { suffix: "ation", to: "" },
  { suffix: "iness", to: "y" },
  { suffix: "ical", to: "" },
  { suffix: "ness", to: "" },
  { suffix: "ment", to: "" },
  { suffix: "ism", to: "" },
  { suffix: "ity", to: "" },
  { suffix: "ful", to: "" },
  { suffix: "ing", to: "" },
  { suffix: "ion", to: "", when: /[tsx]ion$/ },
  { suffix: "ive", to: "" },
  { suffix: "ly", to: "" },
  { suffix: "ed", to: "" },
  { suffix: "ic", to: "" },
  { suffix: "ia", to: "" },
  { suffix: "y", to: "", when: /[^aeiouy]y$/ },
  { suffix: "e", to: "" },
];

export function stem(word: string): string {
  if (word.length <= MIN_STEM || /\d/.test(word)) return word;
  let w = word;
  for (let pass = 0; pass < 2; pass++) {
    let changed = false;
    for (const rule of SUFFIXES) {
      if (!w.endsWith(rule.suffix)) continue;
      if (rule.when && !rule.when.test(w)) continue;
      const base = w.slice(0, w.length - rule.suffix.length) + rule.to;
      if (base.length < MIN_STEM) continue;
      w = base;
      changed = true;
      break;
    }
    if (!changed) break;
  }
  return w;
}

const ROMAN: Readonly<Record<string, string>> = {
  i: "1",
  ii: "2",
  iii: "3",
  iv: "4",
  v: "5",
  vi: "6",
  vii: "7",
  viii: "8",
  ix: "9",
  x: "10",
};
const ROMAN_CONTEXT = new Set(["type", "grade", "stage", "class", "factor", "phase", "level", "degree", "nerve"]);

/** "type II" → "2" (only after words that take a number, so "IV" alone stays "intravenous"). */
export function romanAfter(previousLower: string | undefined, lower: string): string | undefined {
  if (previousLower === undefined || !ROMAN_CONTEXT.has(previousLower)) return undefined;
  return ROMAN[lower];
}
