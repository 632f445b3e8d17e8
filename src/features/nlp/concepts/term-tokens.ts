import { MATCH_STOP_WORDS, OPTIONAL_WORDS } from "../lexicon/word-lists";
import { tokenStrings } from "../text/tokenize";
import { normalizeWord, romanAfter } from "./normalize";

const PUNCT_OR_WORD = /^[\p{L}\p{M}\p{N}]/u;

/** One content word of a description, normalised. */
export interface TermToken {
  form: string;
  key: string;
  optional: boolean;
}

/**
 * Content words of a code description or synonym, in order. Function words are dropped; words inside
 * parentheses or brackets are optional (ICD-10-CM "nonessential modifiers": "Essential (primary)
 * hypertension"); qualifier words like "unspecified" are optional too.
 */
/** A drug product description ("metformin hydrochloride 500 MG Oral Tablet") names a strength. */
const PRODUCT_STRENGTH = /\d\s*(?:mg|mcg|ug|g|ml|unt|units?|meq|%)(?![a-z])/i;
/** In product descriptions, salt and route words are often left out of clinical text. */
const PRODUCT_OPTIONAL = new Set([
  "hydrochloride",
  "hcl",
  "hydrobromide",
  "hyclate",
  "monohydrate",
  "anhydrous",
  "oral",
  "tablet",
  "capsule",
  "extended",
  "release",
]);

/**
 * `essential`: words that stay required even where OPTIONAL_WORDS lists them ("other", "specified" in
 * ICD titles, see lexicon/icd-conventions.ts).
 */
export function termTokens(description: string, essential?: ReadonlySet<string>): TermToken[] {
  const out: TermToken[] = [];
  const product = PRODUCT_STRENGTH.test(description);
  let depth = 0;
  let prevLower: string | undefined;
  for (const lower of tokenStrings(description)) {
    if (lower === "(" || lower === "[") {
      depth++;
      continue;
    }
    if (lower === ")" || lower === "]") {
      depth = Math.max(0, depth - 1);
      continue;
    }
    const roman = romanAfter(prevLower, lower);
    prevLower = lower;
    if (!PUNCT_OR_WORD.test(lower)) continue;
    if (roman === undefined && MATCH_STOP_WORDS.has(lower)) continue;
    const wf = roman !== undefined ? { form: roman, key: roman } : normalizeWord(lower);
    if (MATCH_STOP_WORDS.has(wf.form)) continue;
    out.push({
      form: wf.form,
      key: wf.key,
      optional:
        depth > 0 ||
        (!essential?.has(lower) && (OPTIONAL_WORDS.has(lower) || OPTIONAL_WORDS.has(wf.form))) ||
        (product && PRODUCT_OPTIONAL.has(lower)),
    });
  }
  // A description that is nothing but parenthesised/qualifier words keeps them as required.
  if (out.length > 0 && out.every((t) => t.optional)) for (const t of out) t.optional = false;
  return out;
}
