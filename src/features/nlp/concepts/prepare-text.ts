import { type Abbreviation, CLINICAL_ABBREVIATIONS } from "../lexicon/abbreviations";
import { COORDINATORS, MATCH_STOP_WORDS, MODIFIER_WORDS } from "../lexicon/word-lists";
import type { TextDocument } from "../text/segment";
import type { CompiledDictionary } from "./dictionary";
import { findLocalAbbreviations } from "./local-abbreviations";
import { normalizeWord, romanAfter } from "./normalize";
import { type TermToken, termTokens } from "./term-tokens";

/** Gap classes for deciding whether words between the parts of a mention are acceptable. */
export const GAP_OTHER = 0;
export const GAP_STOP = 1;
export const GAP_MODIFIER = 2;
export const GAP_COORDINATOR = 3;

export type ExpansionSource = "abbreviation" | "definition";

/** Extra words a token stands for ("HTN" → hypertension), as dictionary ids. */
export interface SlotExpansion {
  keys: number[];
  forms: number[];
  source: ExpansionSource;
}

/** A document prepared for one dictionary: each token's key/form id and its expansions. */
export interface PreparedText {
  doc: TextDocument;
  key: Int32Array;
  form: Int32Array;
  gapClass: Uint8Array;
  expansions: Map<number, SlotExpansion>;
}

export interface PrepareOptions {
  /** Expand Hearth's curated clinical abbreviations (default true). */
  abbreviations?: boolean;
  /** Expand abbreviations the document defines, "long form (SF)" (default true). */
  localAbbreviations?: boolean;
}

const exactCase = new Map<string, TermToken[]>();
const anyCase = new Map<string, TermToken[]>();
for (const a of CLINICAL_ABBREVIATIONS as readonly Abbreviation[]) {
  const tokens = termTokens(a.expansion);
  exactCase.set(a.abbr, tokens);
  if (!a.cs) anyCase.set(a.abbr.toLowerCase(), tokens);
}

const PRONOUN_FILLERS = new Set(["my", "your", "our", "it", "he", "she", "they", "him", "them", "very", "quite"]);

export function gapClassOf(lower: string): number {
  if (COORDINATORS.has(lower)) return GAP_COORDINATOR;
  if (MATCH_STOP_WORDS.has(lower) || PRONOUN_FILLERS.has(lower)) return GAP_STOP;
  if (MODIFIER_WORDS.has(lower)) return GAP_MODIFIER;
  return GAP_OTHER;
}

/** Everything the matcher needs about one lower-cased word, computed once per isolate. */
interface WordInfo {
  form: string;
  key: string;
  gapClass: number;
  stop: boolean;
  anyCaseExpansion: TermToken[] | undefined;
  /** Ids in the dictionary used last (a one-entry cache: a Worker typically matches one system at a time). */
  dict: CompiledDictionary | null;
  keyId: number;
  formId: number;
}

const wordInfos = new Map<string, WordInfo>();

function wordInfo(lower: string): WordInfo {
  let info = wordInfos.get(lower);
  if (info === undefined) {
    const wf = normalizeWord(lower);
    info = {
      form: wf.form,
      key: wf.key,
      gapClass: gapClassOf(lower),
      stop: MATCH_STOP_WORDS.has(lower) || MATCH_STOP_WORDS.has(wf.form),
      anyCaseExpansion: anyCase.get(lower),
      dict: null,
      keyId: -1,
      formId: -1,
    };
    if (wordInfos.size >= 200_000) wordInfos.clear();
    wordInfos.set(lower, info);
  }
  return info;
}

export function prepareText(doc: TextDocument, dict: CompiledDictionary, options: PrepareOptions = {}): PreparedText {
  const { tokens } = doc;
  const n = tokens.length;
  const key = new Int32Array(n).fill(-1);
  const form = new Int32Array(n).fill(-1);
  const gapClass = new Uint8Array(n);
  const expansions = new Map<number, SlotExpansion>();
  const local = new Map<string, TermToken[]>();
  const definitionTokens = new Set<number>();
  if (options.localAbbreviations ?? true) {
    for (const def of findLocalAbbreviations(doc)) {
      const expansion = termTokens(def.long);
      if (expansion.length === 0) continue;
      local.set(def.short, expansion);
      definitionTokens.add(def.definitionToken);
    }
  }
  const builtin = options.abbreviations ?? true;
  for (let i = 0; i < n; i++) {
    const tok = tokens[i]!;
    const info = wordInfo(tok.lower);
    gapClass[i] = info.gapClass;
    if (tok.kind === "punct" || doc.headingToken[i]) continue;
    let k: number;
    let f: number;
    const roman = i > 0 ? romanAfter(tokens[i - 1]!.lower, tok.lower) : undefined;
    if (roman !== undefined) {
      k = dict.keyId.get(roman) ?? -1;
      f = dict.formId.get(roman) ?? -1;
    } else {
      if (info.stop) continue;
      if (info.dict !== dict) {
        info.dict = dict;
        info.keyId = dict.keyId.get(info.key) ?? -1;
        info.formId = dict.formId.get(info.form) ?? -1;
      }
      k = info.keyId;
      f = info.formId;
    }
    key[i] = k;
    form[i] = f;
    if (tok.kind !== "word" || definitionTokens.has(i)) continue;
    let expansion: TermToken[] | undefined;
    let source: ExpansionSource = "abbreviation";
    const defined = local.size > 0 ? local.get(tok.text) : undefined;
    if (defined) {
      expansion = defined;
      source = "definition";
    } else if (builtin) {
      expansion = tok.text !== tok.lower ? (exactCase.get(tok.text) ?? info.anyCaseExpansion) : info.anyCaseExpansion;
    }
    if (!expansion) continue;
    const keys: number[] = [];
    const forms: number[] = [];
    for (const t of expansion) {
      const ek = dict.keyId.get(t.key);
      if (ek === undefined) continue;
      keys.push(ek);
      forms.push(dict.formId.get(t.form) ?? -1);
    }
    if (keys.length > 0) expansions.set(i, { keys, forms, source });
  }
  return { doc, key, form, gapClass, expansions };
}
