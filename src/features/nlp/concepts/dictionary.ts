import { AppError } from "../../../platform/errors";
import { ICD_ESSENTIAL_WORDS } from "../lexicon/icd-conventions";
import { PHRASE_SYNONYM_GROUPS } from "../lexicon/phrase-synonyms";
import { GENERIC_SINGLE_WORDS, MODIFIER_WORDS, QUALIFIER_WORDS } from "../lexicon/word-lists";
import { compareIcdGenerality, icdPhrases, icdTermCarriesConcept, isIcdSystem } from "./icd-terms";
import { type TermToken, termTokens } from "./term-tokens";

/**
 * A code of any system as the engine needs it: code, description (`display`, or `description` as the
 * terminology store names it), optional synonyms and is-a parents.
 */
export interface DictionaryEntry {
  code: string;
  display?: string;
  description?: string;
  synonyms?: readonly string[];
  parents?: readonly string[];
}

export interface CompileOptions {
  /** Code system name and version, kept with the compiled form (cache keys, result metadata). */
  system?: string;
  version?: string;
  /** Add variants from Hearth's built-in clinical phrase synonyms (default true). */
  builtinSynonyms?: boolean;
  /** Ignore descriptions starting with "obsolete" (HPO/OBO convention; default true). */
  skipObsolete?: boolean;
  /**
   * Read descriptions and synonyms by the ICD-10 conventions (nonessential modifiers, NEC/NOS and default
   * qualifiers, Alphabetic Index syntax; see icd-terms.ts). Default: on when `system` names an ICD-10
   * system (ICD-10-CM, ICD-10-PCS, ...).
   */
  icdConventions?: boolean;
}

const COMMON_IN_TEXT: ReadonlySet<string> = new Set([...GENERIC_SINGLE_WORDS, ...MODIFIER_WORDS]);

/** Term flags (bit set). */
export const TERM_DISPLAY = 1;
export const TERM_VARIANT = 2;
export const TERM_ACRONYM = 4;
/**
 * Derived terms: the concept part of "Family history of X" / "Personal history of X" / "Allergy to X"
 * descriptions. They only count where the context says so ("mother had breast cancer" → Z80.3).
 */
export const TERM_FAMILY_HISTORY = 8;
export const TERM_PERSONAL_HISTORY = 16;
export const TERM_ALLERGY = 32;
export const TERM_CONTEXTUAL = TERM_FAMILY_HISTORY | TERM_PERSONAL_HISTORY | TERM_ALLERGY;
/** The description joins two of its words with "and"/"or" ("Nausea and vomiting"), so the text may too. */
export const TERM_HAS_AND = 64;
/**
 * A generated variant (TERM_VARIANT) made by Hearth's clinical lexicon (phrase synonyms, word forms) rather
 * than by the ICD conventions (icd-terms.ts: qualifiers and nonessential modifiers dropped). Rationales
 * say which: the two are different claims about why the words mean the code.
 */
export const TERM_LEXICON = 128;

const HAS_AND = /\b(?:and|or)\b|&/i;

const CONTEXTUAL_PATTERNS: ReadonlyArray<{ re: RegExp; flag: number }> = [
  { re: /^family history of\s+(.+)$/i, flag: TERM_FAMILY_HISTORY },
  { re: /^(?:personal )?history of\s+(.+)$/i, flag: TERM_PERSONAL_HISTORY },
  { re: /^allergy (?:status )?to\s+(.+)$/i, flag: TERM_ALLERGY },
  { re: /^(.+?)\s+allergy$/i, flag: TERM_ALLERGY },
];

/** The serialisable compiled form: plain arrays only, so `JSON.stringify` round-trips it. */
export interface CompiledDictionaryData {
  format: "hearth-nlp-dictionary";
  formatVersion: 1;
  system: string | null;
  version: string | null;
  builtinSynonyms: boolean;
  codes: string[];
  displays: string[];
  /** parents[i] = indexes (into codes) of the is-a parents of code i. */
  parents: number[][];
  keys: string[];
  forms: string[];
  termCode: number[];
  termFlags: number[];
  /** Term t owns token slots termTokStart[t] .. termTokStart[t+1]-1. */
  termTokStart: number[];
  tokKey: number[];
  tokForm: number[];
  tokOptional: number[];
  termAnchor: number[];
}

/** A compiled dictionary ready to match: the data plus lookup indexes rebuilt on load. */
export class CompiledDictionary {
  readonly data: CompiledDictionaryData;
  readonly keyId: Map<string, number>;
  readonly formId: Map<string, number>;
  readonly codeIndex: Map<string, number>;
  /** anchor key id → term ids anchored on it (CSR layout: terms anchorTerms[anchorStart[k] .. anchorStart[k+1]-1]). */
  readonly anchorStart: Int32Array;
  readonly anchorTerms: Int32Array;
  /** Scratch table for the matcher (key id → head of a position list); reset after every sentence. */
  readonly scratchHead: Int32Array;
  /** Required (non-optional) key ids of each term, CSR layout: reqKeys[reqStart[t] .. reqStart[t+1]-1]. */
  readonly reqStart: Int32Array;
  readonly reqKeys: Int32Array;
  /** Normalised description words per code, filled on first use (similarity filter, Jaccard validation). */
  readonly descriptionKeyCache: Array<Set<string> | undefined>;
  readonly looksLikeHpo: boolean;

  constructor(data: CompiledDictionaryData) {
    this.data = data;
    this.keyId = new Map(data.keys.map((k, i) => [k, i]));
    this.formId = new Map(data.forms.map((f, i) => [f, i]));
    this.codeIndex = new Map(data.codes.map((c, i) => [c, i]));
    const termCount = data.termCode.length;
    const keyCount = data.keys.length;
    // How many terms use each key: required keys are checked rarest first, so most non-matching terms
    // are rejected on their first look-up.
    const df = new Int32Array(keyCount);
    for (let s = 0; s < data.tokKey.length; s++) df[data.tokKey[s]!]!++;
    this.reqStart = new Int32Array(termCount + 1);
    const req: number[] = [];
    const counts = new Int32Array(keyCount + 1);
    const scratch: number[] = [];
    for (let t = 0; t < termCount; t++) {
      this.reqStart[t] = req.length;
      const a = data.termAnchor[t]!;
      scratch.length = 0;
      for (let s = data.termTokStart[t]!; s < data.termTokStart[t + 1]!; s++) {
        // The anchor is present by construction when the term is looked at.
        if (!data.tokOptional[s] && data.tokKey[s] !== a) scratch.push(data.tokKey[s]!);
      }
      scratch.sort((x, y) => df[x]! - df[y]!);
      for (const k of scratch) req.push(k);
      if (a >= 0) counts[a + 1]!++;
    }
    this.reqStart[termCount] = req.length;
    this.reqKeys = Int32Array.from(req);
    this.descriptionKeyCache = new Array(data.codes.length);
    for (let k = 0; k < keyCount; k++) counts[k + 1]! += counts[k]!;
    this.anchorStart = counts;
    this.anchorTerms = new Int32Array(counts[keyCount]!);
    const fill = counts.slice(0, keyCount);
    for (let t = 0; t < termCount; t++) {
      const a = data.termAnchor[t]!;
      if (a >= 0) this.anchorTerms[fill[a]!++] = t;
    }
    this.scratchHead = new Int32Array(keyCount).fill(-1);
    let hp = 0;
    for (const c of data.codes) if (/^HP:\d{7}$/.test(c)) hp++;
    this.looksLikeHpo = data.codes.length > 0 && hp / data.codes.length >= 0.8;
  }

  get system(): string | null {
    return this.data.system;
  }

  get version(): string | null {
    return this.data.version;
  }

  get codeCount(): number {
    return this.data.codes.length;
  }

  get termCount(): number {
    return this.data.termCode.length;
  }

  has(code: string): boolean {
    return this.codeIndex.has(code);
  }

  display(code: string): string | undefined {
    const i = this.codeIndex.get(code);
    return i === undefined ? undefined : this.data.displays[i];
  }

  /** Parents of a code (direct is-a), as codes. */
  parentsOf(code: string): string[] {
    const i = this.codeIndex.get(code);
    if (i === undefined) return [];
    return (this.data.parents[i] ?? []).map((p) => this.data.codes[p]!);
  }

  /** All ancestors of a code, nearest first, without duplicates or cycles. */
  ancestorsOf(code: string): string[] {
    const start = this.codeIndex.get(code);
    if (start === undefined) return [];
    const seen = new Set<number>([start]);
    const out: string[] = [];
    let frontier = [start];
    while (frontier.length > 0) {
      const next: number[] = [];
      for (const i of frontier) {
        for (const p of this.data.parents[i] ?? []) {
          if (seen.has(p)) continue;
          seen.add(p);
          out.push(this.data.codes[p]!);
          next.push(p);
        }
      }
      frontier = next;
    }
    return out;
  }

  get hasHierarchy(): boolean {
    return this.data.parents.some((p) => p.length > 0);
  }

  toJSON(): CompiledDictionaryData {
    return this.data;
  }
}

interface DraftTerm {
  code: number;
  flags: number;
  tokens: TermToken[];
}

/**
 * Compile a dictionary from any code system's entries. Cost is linear in the number of descriptions
 * (≈ 0.2 s for 20,000 codes with synonyms); compile once per system version and cache the result
 * (in memory, or serialised with `serializeDictionary` to D1/R2).
 */
export function compileDictionary(
  entries: Iterable<DictionaryEntry>,
  options: CompileOptions = {},
): CompiledDictionary {
  const builtinSynonyms = options.builtinSynonyms ?? true;
  const skipObsolete = options.skipObsolete ?? true;
  const codes: string[] = [];
  const displays: string[] = [];
  const codeIndex = new Map<string, number>();
  const parentCodes: string[][] = [];
  const drafts: DraftTerm[] = [];
  // Per code, the sorted word keys of its terms already kept, and the draft holding each (a code has a
  // handful, so lists are enough).
  const seenByCode = new Map<number, { signatures: string[]; drafts: number[] }>();
  const synonymIndex = builtinSynonyms ? buildSynonymIndex() : null;

  const icd = options.icdConventions ?? isIcdSystem(options.system);
  const essential = icd ? ICD_ESSENTIAL_WORDS : undefined;

  const addTerm = (code: number, text: string, isDisplay: boolean) => {
    if (!icd) {
      addPhrase(code, text, isDisplay, false);
      return;
    }
    // ICD titles are tabular text; synonyms are Alphabetic Index terms (or tabular inclusion terms, which
    // read the same way: they rarely hold commas, and a comma there also puts the qualifier last).
    for (const phrase of icdPhrases(text, isDisplay ? "title" : "index")) {
      addPhrase(code, phrase.text, isDisplay, phrase.derived);
    }
  };

  const addPhrase = (code: number, text: string, isDisplay: boolean, derived: boolean) => {
    const trimmed = text.trim();
    if (trimmed.length === 0 || trimmed.length > 300) return;
    if (skipObsolete && /^obsolete\b/i.test(trimmed)) return;
    const tokens = termTokens(trimmed, essential);
    if (tokens.length === 0 || tokens.length > 24) return;
    const acronym = /^[A-Z0-9][A-Z0-9-]{1,7}$/.test(trimmed) && /[A-Z]/.test(trimmed);
    const flags = (isDisplay ? TERM_DISPLAY : 0) | (acronym ? TERM_ACRONYM : 0) | (derived ? TERM_VARIANT : 0);
    pushDraft(code, flags | (HAS_AND.test(trimmed) ? TERM_HAS_AND : 0), tokens);
    if (synonymIndex && !acronym) {
      for (const variant of synonymVariants(tokens, synonymIndex)) {
        pushDraft(
          code,
          flags | TERM_VARIANT | TERM_LEXICON | (variant.hasAnd || HAS_AND.test(trimmed) ? TERM_HAS_AND : 0),
          variant.tokens,
        );
      }
    }
    for (const { re, flag } of CONTEXTUAL_PATTERNS) {
      const m = re.exec(trimmed);
      if (!m) continue;
      const inner = termTokens(m[1]!.replace(/,\s*(?:unspecified|other)\b.*$/i, ""), essential);
      if (inner.length === 0 || inner.length > 12) break;
      const innerAnd = HAS_AND.test(m[1]!) ? TERM_HAS_AND : 0;
      pushDraft(code, flags | flag | innerAnd, inner);
      if (synonymIndex) {
        for (const variant of synonymVariants(inner, synonymIndex)) {
          pushDraft(
            code,
            flags | flag | TERM_VARIANT | TERM_LEXICON | (variant.hasAnd ? TERM_HAS_AND : innerAnd),
            variant.tokens,
          );
        }
      }
      break;
    }
  };

  const pushDraft = (code: number, flags: number, tokens: TermToken[]) => {
    const required = tokens.filter((t) => !t.optional);
    if (required.length === 0) return;
    // ICD index terms that reduce to a qualifier or generic head ("Old", "Healed or old", "Irritable") name
    // no condition on their own; a code's own title always counts.
    const ownTitle = (flags & TERM_DISPLAY) !== 0 && (flags & TERM_VARIANT) === 0;
    if (icd && !ownTitle && !icdTermCarriesConcept(required.map((t) => t.form))) return;
    // Descriptions made only of qualifiers ("Adult onset", "Slowly progressive", "Mild") describe other
    // findings; on their own they are not a mention of anything.
    if (required.every((t) => QUALIFIER_WORDS.has(t.form) || QUALIFIER_WORDS.has(t.key))) return;
    if (required.length === 1 && GENERIC_SINGLE_WORDS.has(required[0]!.form)) {
      // "Abnormality (finding)": the qualifier is all that makes it specific, so it is required.
      if (tokens.length === 1) return;
      tokens = tokens.map((t) => ({ ...t, optional: false }));
      if (tokens.every((t) => GENERIC_SINGLE_WORDS.has(t.form))) return;
    }
    const parts: string[] = new Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) parts[i] = tokens[i]!.optional ? `${tokens[i]!.key}?` : tokens[i]!.key;
    if (parts.length > 1) parts.sort();
    const signature = `${flags & TERM_CONTEXTUAL}|${parts.join(" ")}`;
    let seen = seenByCode.get(code);
    if (!seen) {
      seen = { signatures: [], drafts: [] };
      seenByCode.set(code, seen);
    }
    const at = seen.signatures.indexOf(signature);
    if (at >= 0) {
      // ICD: a synonym as written that repeats a generated reading of the title ("Seizure" after the
      // lexicon variant of "Unspecified convulsions") is the source's own term: it keeps that standing
      // when codes compete for it (resolveSharedTerms).
      const kept = drafts[seen.drafts[at]!]!;
      if (icd && provenance(flags) < provenance(kept.flags)) kept.flags = flags | (kept.flags & TERM_HAS_AND);
      return;
    }
    seen.signatures.push(signature);
    seen.drafts.push(drafts.length);
    drafts.push({ code, flags, tokens });
  };

  const pending: Array<{ code: number; display: string; synonyms: readonly string[] }> = [];
  for (const entry of entries) {
    const code = typeof entry.code === "string" ? entry.code.trim() : "";
    const display =
      typeof entry.display === "string"
        ? entry.display
        : typeof entry.description === "string"
          ? entry.description
          : "";
    if (code.length === 0) continue;
    let idx = codeIndex.get(code);
    if (idx === undefined) {
      idx = codes.length;
      codeIndex.set(code, idx);
      codes.push(code);
      displays.push(display);
      parentCodes.push([]);
    } else if (displays[idx]!.length === 0) displays[idx] = display;
    for (const p of entry.parents ?? []) if (typeof p === "string" && p !== code) parentCodes[idx]!.push(p);
    pending.push({ code: idx, display, synonyms: entry.synonyms ?? [] });
  }
  // Displays first so that, for a code, the preferred description wins de-duplication over synonyms.
  for (const p of pending) addTerm(p.code, p.display, true);
  for (const p of pending) for (const s of p.synonyms) if (typeof s === "string") addTerm(p.code, s, false);

  const kept = icd ? resolveSharedTerms(drafts, codes, displays) : drafts;

  const parents = parentCodes.map((list) => {
    const ids = new Set<number>();
    for (const c of list) {
      const i = codeIndex.get(c);
      if (i !== undefined) ids.add(i);
    }
    return [...ids];
  });

  return new CompiledDictionary(
    packTerms(kept, {
      codes,
      displays,
      parents,
      system: options.system ?? null,
      version: options.version ?? null,
      builtinSynonyms,
    }),
  );
}

/**
 * Codes of an ICD system that share a term keep it on one code only: readings by the conventions make many
 * index entries say the same ("Diabetes, diabetic" under E11.9, "Diabetes, diabetic, specified type NEC"
 * under E13.9 would both read "diabetes" if "specified" were dropped), and the matcher would return every
 * code of the tie. Terms are compared by their required words (and contextual reading). The owner is, in
 * order: a code that is not a heading of other codes of the system (a category such as E11 "Type 2
 * diabetes mellitus" is not reported when it is subdivided, Guidelines I.B.2, so E11.9 takes the words);
 * the code that has the term as written (its title, then one of its synonyms) over one that only has it
 * as a generated reading ("seizure" is R56.9's own synonym, and only a lexicon variant of G40.909
 * "Epilepsy"); the most general code (icd-terms.ts compareIcdGenerality: fewest "with"/"other specified"
 * elements, most "unspecified"/"without ..." markers, then the shortest title, then the shortest code, then
 * the code itself). Decided at compile time, so every text gets the same code for the same words,
 * whatever the input order.
 */
function resolveSharedTerms(drafts: DraftTerm[], codes: string[], displays: string[]): DraftTerm[] {
  const heading = icdHeadings(codes);
  const signatures = drafts.map((d) => {
    const required: string[] = [];
    for (const t of d.tokens) if (!t.optional) required.push(t.key);
    required.sort();
    return `${d.flags & TERM_CONTEXTUAL}|${required.join(" ")}`;
  });
  const owner = new Map<string, { code: number; rank: number }>();
  drafts.forEach((d, i) => {
    const rank = provenance(d.flags);
    const current = owner.get(signatures[i]!);
    if (current === undefined) {
      owner.set(signatures[i]!, { code: d.code, rank });
      return;
    }
    if (current.code === d.code) {
      current.rank = Math.min(current.rank, rank);
      return;
    }
    const better =
      heading[d.code] !== heading[current.code]
        ? heading[d.code] === 0
        : rank !== current.rank
          ? rank < current.rank
          : compareIcdGenerality(
              { code: codes[d.code]!, title: displays[d.code]! },
              { code: codes[current.code]!, title: displays[current.code]! },
            ) < 0;
    if (better) owner.set(signatures[i]!, { code: d.code, rank });
  });
  return drafts.filter((d, i) => owner.get(signatures[i]!)!.code === d.code);
}

/** 0: a code's title as written; 1: a synonym as written (index terms read in natural order); 2: generated. */
function provenance(flags: number): number {
  return flags & TERM_VARIANT ? 2 : flags & TERM_DISPLAY ? 0 : 1;
}

/** 1 for codes that head others: ICD codes nest by prefix ("E11" → "E11.9", "E11.6" → "E11.65"). */
function icdHeadings(codes: string[]): Uint8Array {
  const keys = codes.map((c) => c.replace(/\./g, "").toUpperCase());
  const order = keys.map((_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : 0));
  const heading = new Uint8Array(codes.length);
  // In sorted order a code's descendants follow it directly.
  for (let j = 0; j + 1 < order.length; j++) {
    const k = keys[order[j]!]!;
    const next = keys[order[j + 1]!]!;
    if (next.length > k.length && next.startsWith(k)) heading[order[j]!] = 1;
  }
  return heading;
}

function packTerms(
  drafts: DraftTerm[],
  base: {
    codes: string[];
    displays: string[];
    parents: number[][];
    system: string | null;
    version: string | null;
    builtinSynonyms: boolean;
  },
): CompiledDictionaryData {
  const keys: string[] = [];
  const keyId = new Map<string, number>();
  const forms: string[] = [];
  const formId = new Map<string, number>();
  const intern = (map: Map<string, number>, list: string[], s: string) => {
    let id = map.get(s);
    if (id === undefined) {
      id = list.length;
      map.set(s, id);
      list.push(s);
    }
    return id;
  };
  // Document frequency of each key over terms: the rarest required key anchors a term, so that a
  // frequent word ("abnormality", "disease") does not trigger thousands of verifications.
  const df = new Map<string, number>();
  for (const d of drafts) {
    for (let i = 0; i < d.tokens.length; i++) {
      const k = d.tokens[i]!.key;
      let repeated = false;
      for (let j = 0; j < i; j++) if (d.tokens[j]!.key === k) repeated = true;
      if (!repeated) df.set(k, (df.get(k) ?? 0) + 1);
    }
  }
  const termCode: number[] = [];
  const termFlags: number[] = [];
  const termTokStart: number[] = [];
  const tokKey: number[] = [];
  const tokForm: number[] = [];
  const tokOptional: number[] = [];
  const termAnchor: number[] = [];
  for (const d of drafts) {
    termTokStart.push(tokKey.length);
    termCode.push(d.code);
    termFlags.push(d.flags);
    let anchor = -1;
    let anchorDf = Number.POSITIVE_INFINITY;
    let anchorLen = 0;
    for (const t of d.tokens) {
      const k = intern(keyId, keys, t.key);
      tokKey.push(k);
      tokForm.push(intern(formId, forms, t.form));
      tokOptional.push(t.optional ? 1 : 0);
      if (t.optional) continue;
      // Words frequent in running text ("large", "partial", "left") make poor anchors even when few
      // descriptions use them; prefer any other word of the description.
      const f = (df.get(t.key) ?? 0) + (COMMON_IN_TEXT.has(t.form) ? 1_000_000 : 0);
      if (f < anchorDf || (f === anchorDf && t.key.length > anchorLen)) {
        anchor = k;
        anchorDf = f;
        anchorLen = t.key.length;
      }
    }
    termAnchor.push(anchor);
  }
  termTokStart.push(tokKey.length);
  return {
    format: "hearth-nlp-dictionary",
    formatVersion: 1,
    system: base.system,
    version: base.version,
    builtinSynonyms: base.builtinSynonyms,
    codes: base.codes,
    displays: base.displays,
    parents: base.parents,
    keys,
    forms,
    termCode,
    termFlags,
    termTokStart,
    tokKey,
    tokForm,
    tokOptional,
    termAnchor,
  };
}

interface SynonymMember {
  tokens: TermToken[];
  hasAnd: boolean;
}
type SynonymIndex = Map<string, Array<{ member: SynonymMember; group: SynonymMember[] }>>;

let synonymIndexCache: SynonymIndex | null = null;

function buildSynonymIndex(): SynonymIndex {
  if (synonymIndexCache) return synonymIndexCache;
  const index: SynonymIndex = new Map();
  for (const group of PHRASE_SYNONYM_GROUPS) {
    const members: SynonymMember[] = group.map((m) => ({
      tokens: termTokens(m).map((t) => ({ ...t, optional: false })),
      hasAnd: HAS_AND.test(m),
    }));
    for (const member of members) {
      if (member.tokens.length === 0) continue;
      const first = member.tokens[0]!.key;
      let list = index.get(first);
      if (!list) {
        list = [];
        index.set(first, list);
      }
      list.push({ member, group: members });
    }
  }
  synonymIndexCache = index;
  return index;
}

const MAX_VARIANTS = 8;

/** Variants of a description with one phrase replaced by each of its built-in synonyms. */
function synonymVariants(tokens: TermToken[], index: SynonymIndex): SynonymMember[] {
  const out: SynonymMember[] = [];
  for (let i = 0; i < tokens.length && out.length < MAX_VARIANTS; i++) {
    const candidates = index.get(tokens[i]!.key);
    if (!candidates) continue;
    for (const { member, group } of candidates) {
      const m = member.tokens;
      if (i + m.length > tokens.length) continue;
      let same = true;
      for (let j = 0; j < m.length; j++) {
        if (tokens[i + j]!.key !== m[j]!.key) {
          same = false;
          break;
        }
      }
      if (!same) continue;
      for (const other of group) {
        if (other === member || other.tokens.length === 0) continue;
        out.push({
          tokens: [...tokens.slice(0, i), ...other.tokens, ...tokens.slice(i + m.length)],
          hasAnd: other.hasAnd,
        });
        if (out.length >= MAX_VARIANTS) return out;
      }
    }
  }
  return out;
}

/** Serialise a compiled dictionary (for D1/R2); `deserializeDictionary` rebuilds it without recompiling. */
export function serializeDictionary(dict: CompiledDictionary): string {
  return JSON.stringify(dict.data);
}

export function deserializeDictionary(json: string | CompiledDictionaryData): CompiledDictionary {
  let data: unknown;
  try {
    data = typeof json === "string" ? JSON.parse(json) : json;
  } catch (cause) {
    throw new AppError("unprocessable", "Compiled dictionary is not valid JSON", { code: "invalid_dictionary", cause });
  }
  if (!isDictionaryData(data)) {
    throw new AppError("unprocessable", "Not a compiled Hearth dictionary (format hearth-nlp-dictionary v1)", {
      code: "invalid_dictionary",
    });
  }
  return new CompiledDictionary(data);
}

function isDictionaryData(v: unknown): v is CompiledDictionaryData {
  if (typeof v !== "object" || v === null) return false;
  const d = v as Record<string, unknown>;
  const arrays = [
    "codes",
    "displays",
    "parents",
    "keys",
    "forms",
    "termCode",
    "termFlags",
    "termTokStart",
    "tokKey",
    "tokForm",
    "tokOptional",
    "termAnchor",
  ];
  if (d.format !== "hearth-nlp-dictionary" || d.formatVersion !== 1) return false;
  if (!arrays.every((k) => Array.isArray(d[k]))) return false;
  const terms = (d.termCode as unknown[]).length;
  return (
    (d.termTokStart as unknown[]).length === terms + 1 &&
    (d.termAnchor as unknown[]).length === terms &&
    (d.codes as unknown[]).length === (d.displays as unknown[]).length &&
    (d.tokKey as unknown[]).length === (d.tokForm as unknown[]).length
  );
}
