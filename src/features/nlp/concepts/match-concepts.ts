import type { Sentence } from "../text/segment";
import {
  type CompiledDictionary,
  TERM_ACRONYM,
  TERM_ALLERGY,
  TERM_CONTEXTUAL,
  TERM_DISPLAY,
  TERM_FAMILY_HISTORY,
  TERM_HAS_AND,
  TERM_LEXICON,
  TERM_PERSONAL_HISTORY,
  TERM_VARIANT,
} from "./dictionary";
import { GAP_COORDINATOR, GAP_MODIFIER, GAP_OTHER, GAP_STOP, type PreparedText } from "./prepare-text";

/** One recognised concept mention in the text. */
export interface ConceptMention {
  code: string;
  codeIndex: number;
  term: number;
  sentence: number;
  /** Matched token positions, ascending. */
  positions: number[];
  /** Token span [tokenStart, tokenEnd) from the first to the last matched token. */
  tokenStart: number;
  tokenEnd: number;
  /** UTF-16 span and UTF-8 byte span of the cited text. */
  start: number;
  end: number;
  begin: number;
  endByte: number;
  text: string;
  /** 0..1; 1 = the description's words, complete, contiguous, in order. */
  score: number;
  matchedDisplay: boolean;
  generatedVariant: boolean;
  /** Who generated the variant: the ICD conventions (a reading of the title or index term) or the lexicon. */
  variantSource: "icd" | "lexicon" | null;
  viaAbbreviation: "abbreviation" | "definition" | null;
  /** Description words matched only through their stem ("ataxic" for "ataxia" is an alias, so exact). */
  inexactWords: number;
  missingOptional: number;
  contiguous: boolean;
  /** Read across a comma as an inverted phrase ("Atrial fibrillation, paroxysmal"). */
  commaJoined: boolean;
  /** The context this mention needs to count (derived "Family history of X" terms and the like). */
  requires: "family" | "historical" | "allergy" | null;
}

const MAX_WINDOW = 14;
const NUMBER_INTRODUCERS = new Set(["type", "stage", "grade", "class", "phase", "level", "factor"]);

interface Candidate {
  term: number;
  positions: number[];
  matchedTokens: number;
  score: number;
  matchedDisplay: boolean;
  variant: boolean;
  via: "abbreviation" | "definition" | null;
  inexact: number;
  missingOptional: number;
  contiguous: boolean;
  /** Set when the mention borrows a word across a coordination; `near` is the token it borrows from. */
  coordination: { kind: "left" | "right"; near: number; nearSide: number[] } | null;
  /** Matched positions after the comma of an inverted phrase ("Atrial fibrillation, paroxysmal"). */
  commaJoin: number[] | null;
}

/** Recognise dictionary concepts in every sentence of a prepared text. */
export function matchConcepts(prepared: PreparedText, dict: CompiledDictionary): ConceptMention[] {
  const out: ConceptMention[] = [];
  for (const sentence of prepared.doc.sentences) {
    const candidates = matchSentence(prepared, dict, sentence);
    if (candidates.length === 0) continue;
    // Contextual readings ("breast cancer" as Z80.3 Family history of ...) do not compete with the
    // plain ones: context decides later which of them counts.
    const plain: Candidate[] = [];
    const contextual: Candidate[] = [];
    for (const c of candidates) (dict.data.termFlags[c.term]! & TERM_CONTEXTUAL ? contextual : plain).push(c);
    for (const c of resolveOverlaps(plain)) out.push(toMention(prepared, dict, sentence, c));
    if (contextual.length > 0)
      for (const c of resolveOverlaps(contextual)) out.push(toMention(prepared, dict, sentence, c));
  }
  return out;
}

/**
 * Positions of each dictionary key in the current sentence, as linked lists over flat arrays (no Map or
 * array allocation per sentence): head[key] → node, nodePos/nodeNext. `head` lives on the dictionary and is
 * reset after each sentence.
 */
interface SentenceIndex {
  head: Int32Array;
  nodePos: Int32Array;
  nodeNext: Int32Array;
  touched: number[];
}

function matchSentence(prepared: PreparedText, dict: CompiledDictionary, sentence: Sentence): Candidate[] {
  const { key, expansions } = prepared;
  const width = sentence.tokenEnd - sentence.tokenStart;
  let nodes = width;
  if (expansions.size > 0) {
    for (let p = sentence.tokenStart; p < sentence.tokenEnd; p++) nodes += expansions.get(p)?.keys.length ?? 0;
  }
  const index: SentenceIndex = {
    head: dict.scratchHead,
    nodePos: new Int32Array(nodes),
    nodeNext: new Int32Array(nodes),
    touched: [],
  };
  const { head, nodePos, nodeNext, touched } = index;
  let n = 0;
  for (let p = sentence.tokenStart; p < sentence.tokenEnd; p++) {
    const k = key[p]!;
    if (k >= 0) {
      if (head[k] === -1) touched.push(k);
      nodePos[n] = p;
      nodeNext[n] = head[k]!;
      head[k] = n++;
    }
    if (expansions.size > 0) {
      const ex = expansions.get(p);
      if (ex) {
        for (const ek of ex.keys) {
          const h = head[ek]!;
          if (h >= 0 && nodePos[h] === p) continue;
          if (h === -1) touched.push(ek);
          nodePos[n] = p;
          nodeNext[n] = h;
          head[ek] = n++;
        }
      }
    }
  }
  const candidates: Candidate[] = [];
  try {
    if (touched.length === 0) return candidates;
    const { anchorStart, anchorTerms, reqStart, reqKeys } = dict;
    const seen = new Set<string>();
    for (const k of touched) {
      const from = anchorStart[k]!;
      const to = anchorStart[k + 1]!;
      if (from === to) continue;
      for (let i = from; i < to; i++) {
        const t = anchorTerms[i]!;
        if (!allRequiredPresent(reqStart, reqKeys, t, head)) continue;
        for (let node = head[k]!; node >= 0; node = nodeNext[node]!) {
          const c = verify(prepared, dict, t, nodePos[node]!, index, sentence);
          if (!c) continue;
          const sig = `${t}:${c.positions.join(",")}`;
          if (seen.has(sig)) continue;
          seen.add(sig);
          candidates.push(c);
        }
      }
    }
    return candidates;
  } finally {
    for (const k of touched) head[k] = -1;
  }
}

/** Cheap rejection before the positional check: every required word must occur in the sentence. */
function allRequiredPresent(reqStart: Int32Array, reqKeys: Int32Array, term: number, head: Int32Array): boolean {
  const end = reqStart[term + 1]!;
  for (let i = reqStart[term]!; i < end; i++) if (head[reqKeys[i]!]! < 0) return false;
  return true;
}

function verify(
  prepared: PreparedText,
  dict: CompiledDictionary,
  term: number,
  anchorPos: number,
  index: SentenceIndex,
  sentence: Sentence,
): Candidate | null {
  const d = dict.data;
  const s0 = d.termTokStart[term]!;
  const s1 = d.termTokStart[term + 1]!;
  const anchor = d.termAnchor[term]!;
  const flags = d.termFlags[term]!;
  const tokens = prepared.doc.tokens;
  const window = Math.min(MAX_WINDOW, 3 + 2 * (s1 - s0));
  const used: number[] = [];
  const matchedAt: number[] = [];
  let anchorTaken = false;
  let missingOptional = 0;
  let inexact = 0;
  let via: "abbreviation" | "definition" | null = null;
  let spanMin = anchorPos;
  let spanMax = anchorPos;
  for (let s = s0; s < s1; s++) {
    const k = d.tokKey[s]!;
    const optional = d.tokOptional[s] === 1;
    let q = -1;
    if (!anchorTaken && k === anchor && !optional) {
      q = anchorPos;
      anchorTaken = true;
    } else {
      // Of several occurrences, take the one that grows the mention least (then the one nearest the
      // anchor, then the earlier): "kidney transplantation for end-stage renal failure" reads "renal".
      let bestGrowth = Number.POSITIVE_INFINITY;
      let bestDist = Number.POSITIVE_INFINITY;
      for (let node = index.head[k]!; node >= 0; node = index.nodeNext[node]!) {
        const cand = index.nodePos[node]!;
        const dist = cand > anchorPos ? cand - anchorPos : anchorPos - cand;
        if (dist > window) continue;
        const growth = cand < spanMin ? spanMin - cand : cand > spanMax ? cand - spanMax : 0;
        if (growth > bestGrowth || (growth === bestGrowth && (dist > bestDist || (dist === bestDist && cand > q))))
          continue;
        if (used.includes(cand) && !prepared.expansions.has(cand)) continue;
        bestGrowth = growth;
        bestDist = dist;
        q = cand;
      }
    }
    if (q < 0) {
      if (optional) {
        missingOptional++;
        continue;
      }
      return null;
    }
    used.push(q);
    matchedAt.push(q);
    if (q < spanMin) spanMin = q;
    if (q > spanMax) spanMax = q;
    // Which reading of the token matched: the word itself or an expansion of it.
    const direct = prepared.key[q] === k;
    if (direct) {
      if (prepared.form[q] !== d.tokForm[s]) inexact++;
    } else {
      const ex = prepared.expansions.get(q);
      if (ex) {
        via = ex.source;
        const idx = ex.keys.indexOf(k);
        if (idx >= 0 && ex.forms[idx] !== d.tokForm[s]) inexact++;
      }
    }
  }
  const positions = sortedUnique(used);
  const first = positions[0]!;
  const last = positions[positions.length - 1]!;
  if (first < sentence.tokenStart || last >= sentence.tokenEnd) return null;

  // A one-word match needs care: acronyms only in capitals, short words only when written as such.
  if (positions.length === 1 && via === null) {
    const tok = tokens[first]!;
    if (flags & TERM_ACRONYM && tok.text === tok.lower) return null;
    if (tok.text.length <= 2 && tok.text === tok.lower && tok.kind === "word") return null;
  }

  // Words between the matched parts: function words and modifiers are fine ("pain in the left chest");
  // other words only in a coordination sharing the head ("skeletal and visceral abnormalities",
  // "abnormalities of the heart and kidneys").
  let penalty = 0;
  let contiguous = true;
  let coordinations = 0;
  let coordination: Candidate["coordination"] = null;
  let commaJoin: number[] | null = null;
  for (let i = 0; i + 1 < positions.length; i++) {
    const a = positions[i]!;
    const b = positions[i + 1]!;
    if (b === a + 1) continue;
    let other = 0;
    let numbers = 0;
    for (let g = a + 1; g < b; g++) {
      if (prepared.gapClass[g] === GAP_OTHER) other++;
      if (prepared.doc.tokens[g]!.kind === "number") numbers++;
    }
    const gapLen = b - a - 1;
    const firstCls = prepared.gapClass[a + 1]!;
    const lastCls = prepared.gapClass[b - 1]!;
    let hasCoordinator = false;
    for (let g = a + 1; g < b; g++) if (prepared.gapClass[g] === GAP_COORDINATOR) hasCoordinator = true;
    // "nausea and vomiting", "enlarged liver and spleen": a lone "and"/"or" joining two words of the
    // description itself.
    if (
      flags & TERM_HAS_AND &&
      other === 0 &&
      gapLen === 1 &&
      (prepared.doc.tokens[a + 1]!.lower === "and" || prepared.doc.tokens[a + 1]!.lower === "or")
    ) {
      penalty += 0.01;
      continue;
    }
    if (other === 0 && !hasCoordinator && gapLen <= 4) {
      // Only function words between; none of them signal a different thing.
      penalty += 0.01 * gapLen;
      if (gapLen > 0 && !allStop(prepared, a + 1, b)) contiguous = false;
      continue;
    }
    if (commaJoin === null && coordinations === 0 && gapLen <= 3 && commaJoinOk(prepared, positions, i, sentence)) {
      commaJoin = positions.slice(i + 1);
      // The comma is the inverted form's own punctuation, not a word in between.
      penalty += 0.02 + 0.01 * (gapLen - 1);
      continue;
    }
    // A coordination shares one head between parallel words, so the gap must hold at least one such
    // word ("skeletal [and visceral] abnormalities"); a bare ", " is a list separator between two
    // different findings ("peculiar face, short stature"). One coordination per mention.
    if (
      (firstCls === GAP_COORDINATOR || lastCls === GAP_COORDINATOR) &&
      other >= 1 &&
      other <= 3 &&
      numbers === 0 &&
      gapLen <= 7 &&
      coordinations === 0 &&
      hasHeadWord(prepared, positions, 0, i + 1) &&
      hasHeadWord(prepared, positions, i + 1, positions.length) &&
      coordinationShapeOk(prepared, positions, i, firstCls === GAP_COORDINATOR)
    ) {
      coordinations++;
      // "A and B N" (left): A is the element borrowed by this mention; "N of A and B" (right): B is.
      coordination =
        firstCls === GAP_COORDINATOR
          ? { kind: "left", near: a, nearSide: positions.slice(0, i + 1) }
          : { kind: "right", near: b, nearSide: positions.slice(i + 1) };
      penalty += 0.03 + 0.03 * other;
      contiguous = false;
      continue;
    }
    return null;
  }
  // Word order differing from the description's ("pain in the chest" for "chest pain").
  let ordered = true;
  for (let i = 1; i < matchedAt.length; i++) if (matchedAt[i]! < matchedAt[i - 1]!) ordered = false;

  let score = 1;
  const isDisplay = (flags & TERM_DISPLAY) !== 0;
  const variant = (flags & TERM_VARIANT) !== 0;
  if (!isDisplay) score -= 0.02;
  if (variant) score -= 0.03;
  score -= 0.04 * inexact;
  score -= Math.min(0.2, 0.07 * missingOptional);
  if (via === "abbreviation") score -= 0.03;
  else if (via === "definition") score -= 0.01;
  if (!ordered) score -= 0.02;
  score -= penalty;
  if (positions.length === 1 && via === null) {
    // One short lower-case word ("tic", "gag") or a one-word match through its stem only is weak evidence.
    const tok = tokens[first]!;
    if (tok.text.length <= 3 && tok.text === tok.lower) score -= 0.3;
    if (inexact > 0) score -= 0.1;
  }
  return {
    term,
    positions,
    matchedTokens: matchedAt.length,
    score: Math.max(0, Math.round(score * 1000) / 1000),
    matchedDisplay: isDisplay,
    variant,
    via,
    inexact,
    missingOptional,
    contiguous,
    coordination,
    commaJoin,
  };
}

/** Punctuation and words that close the segment after a comma (the next list item or clause starts). */
const SEGMENT_BREAKS = new Set([".", ";", ":", "!", "?", "(", ")"]);
const MAX_COMMA_SEGMENT = 3;

/**
 * Inverted phrases, "X, Y" read as "Y X": clinical text and the ICD Alphabetic Index put the qualifier
 * after a comma ("Atrial fibrillation, paroxysmal", "Diabetes mellitus, type 2", "Obesity, morbid"), yet a
 * bare comma is also the list separator ("chest pain, cough, fever"). The join is allowed only when:
 * - the gap is the comma alone, or the comma followed by function words ("Diabetes mellitus, type 2");
 * - the segment after it (up to the next comma, conjunction, clause punctuation or sentence end) is short,
 *   1–3 tokens, and every content word of it belongs to this description: the segment is wholly a
 *   modifier of the concept before the comma, not a new finding that shares a word with it;
 * - the mention ends inside that segment, and the part before the comma holds a head word (not only
 *   modifiers);
 * - one comma join per mention.
 * A comma join is always longer than the reading of the pre-comma words alone, so longest match
 * (resolveOverlaps) picks it over that reading ("paroxysmal atrial fibrillation" over "atrial
 * fibrillation"); when the post-comma segment is a concept of its own, the comma is a list separator and
 * resolveOverlaps drops the join ("hypertension, diabetes" stays two findings).
 */
function commaJoinOk(prepared: PreparedText, positions: number[], gapAfter: number, sentence: Sentence): boolean {
  const tokens = prepared.doc.tokens;
  const a = positions[gapAfter]!;
  const b = positions[gapAfter + 1]!;
  if (tokens[a + 1]!.text !== ",") return false;
  for (let g = a + 2; g < b; g++) if (prepared.gapClass[g] !== GAP_STOP) return false;
  let end = a + 2;
  while (
    end < sentence.tokenEnd &&
    prepared.gapClass[end] !== GAP_COORDINATOR &&
    !SEGMENT_BREAKS.has(tokens[end]!.text)
  )
    end++;
  const segmentLength = end - (a + 2);
  if (segmentLength < 1 || segmentLength > MAX_COMMA_SEGMENT) return false;
  const last = positions[positions.length - 1]!;
  if (last >= end) return false;
  for (let g = a + 2; g < end; g++) {
    if (prepared.gapClass[g] === GAP_STOP || tokens[g]!.kind === "punct") continue;
    if (!positions.includes(g)) return false;
  }
  return hasHeadWord(prepared, positions, 0, gapAfter + 1);
}

/**
 * Shapes of coordination that share a word across a gap:
 * - left ("skeletal and visceral abnormalities"): the shared head closes the noun phrase, so the word after
 *   the last matched one is not another content word ("attenuated retinal vessels" does not lend "retinal");
 * - right without a preposition ("joint pain and swelling"): the far side is the bare head, one word
 *   ("muscle weakness, calf hypertrophy" does not lend "muscle" to "calf hypertrophy");
 * - right with a preposition ("loss of vision and hearing") is free.
 */
function coordinationShapeOk(prepared: PreparedText, positions: number[], gapAfter: number, left: boolean): boolean {
  const a = positions[gapAfter]!;
  const b = positions[gapAfter + 1]!;
  if (left) {
    const last = positions[positions.length - 1]!;
    const next = prepared.doc.tokens[last + 1];
    return !(next && next.kind !== "punct" && prepared.gapClass[last + 1] === GAP_OTHER);
  }
  for (let g = a + 1; g < b; g++) if (PREPOSITIONS.has(prepared.doc.tokens[g]!.lower)) return true;
  return positions.length - (gapAfter + 1) === 1;
}

const PREPOSITIONS = new Set(["of", "in", "on", "at", "to", "for", "with", "from", "by"]);

/** A side of a coordination must hold a word other than a modifier ("progressive" alone is not a conjunct). */
function hasHeadWord(prepared: PreparedText, positions: number[], from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (prepared.gapClass[positions[i]!] !== GAP_MODIFIER) return true;
  return false;
}

/** Ascending distinct values of a short array (insertion sort: mentions have a handful of words). */
function sortedUnique(values: number[]): number[] {
  const out: number[] = [];
  for (const v of values) {
    let i = out.length;
    while (i > 0 && out[i - 1]! > v) i--;
    if (i > 0 && out[i - 1] === v) continue;
    out.splice(i, 0, v);
  }
  return out;
}

function allStop(prepared: PreparedText, from: number, to: number): boolean {
  for (let g = from; g < to; g++) if (prepared.gapClass[g] !== GAP_STOP) return false;
  return true;
}

/**
 * Longest match: a candidate whose matched tokens are a proper subset of an accepted candidate's is
 * dropped ("pain" inside "chest pain"); candidates on the same tokens keep the ones using the most
 * description words, then the best score (ties are all kept: one phrase, several equally good codes).
 * Partial overlaps survive ("skeletal and visceral abnormalities" is two mentions sharing a head).
 */
export function resolveOverlaps(candidates: Candidate[]): Candidate[] {
  candidates.sort(
    (a, b) =>
      b.positions.length - a.positions.length ||
      b.matchedTokens - a.matchedTokens ||
      b.score - a.score ||
      a.positions[0]! - b.positions[0]! ||
      a.term - b.term,
  );
  // A conjunct that is a concept on its own ("hypotonia" in "hypotonia, feeding difficulties in infancy",
  // "developmental delay" in "developmental delay, absent speech") is a list item, not a modifier
  // sharing the head.
  // Likewise a comma segment that is a concept on its own is the next list item ("hypertension,
  // diabetes"), not a qualifier completing the concept before the comma.
  const standalone = new Set<string>();
  for (const c of candidates) if (!c.coordination && !c.commaJoin) standalone.add(c.positions.join(","));
  let pool = candidates.filter(
    (c) =>
      (!c.coordination || !standalone.has(c.coordination.nearSide.join(","))) &&
      (!c.commaJoin || !standalone.has(c.commaJoin.join(","))),
  );
  // A coordination reading loses to a plain mention that owns the conjunct it borrows: in "cerebellar
  // atrophy and thinning of the corpus callosum", "atrophy" belongs to "cerebellar atrophy", so
  // "corpus callosum atrophy" is not read. Dropping one may re-admit what it had dominated, hence the loop.
  for (let round = 0; round < 3; round++) {
    const accepted = acceptLongest(pool);
    const rejected = new Set<Candidate>();
    for (const c of accepted) {
      if (!c.coordination) continue;
      const near = c.coordination.near;
      if (
        accepted.some(
          (o) => o !== c && !o.coordination && o.positions.includes(near) && !isSubset(o.positions, c.positions),
        )
      ) {
        rejected.add(c);
      }
    }
    if (rejected.size === 0) return accepted;
    pool = pool.filter((c) => !rejected.has(c));
  }
  return acceptLongest(pool);
}

function acceptLongest(candidates: Candidate[]): Candidate[] {
  const accepted: Candidate[] = [];
  const bestBySpan = new Map<string, Candidate>();
  for (const c of candidates) {
    const sig = c.positions.join(",");
    const sameSpan = bestBySpan.get(sig);
    if (sameSpan) {
      if (c.matchedTokens === sameSpan.matchedTokens && c.score >= sameSpan.score - 1e-9) accepted.push(c);
      continue;
    }
    let dominated = false;
    for (const a of accepted) {
      if (a.positions.length > c.positions.length && isSubset(c.positions, a.positions)) {
        dominated = true;
        break;
      }
    }
    if (dominated) continue;
    bestBySpan.set(sig, c);
    accepted.push(c);
  }
  return accepted;
}

function isSubset(small: number[], big: number[]): boolean {
  let j = 0;
  for (const x of small) {
    while (j < big.length && big[j]! < x) j++;
    if (j >= big.length || big[j] !== x) return false;
  }
  return true;
}

function toMention(prepared: PreparedText, dict: CompiledDictionary, sentence: Sentence, c: Candidate): ConceptMention {
  const tokens = prepared.doc.tokens;
  let firstIndex = c.positions[0]!;
  // "Type 2 diabetes": the number was matched, the word that introduces it belongs to the citation.
  const before = tokens[firstIndex - 1];
  if (before && firstIndex - 1 >= sentence.tokenStart && NUMBER_INTRODUCERS.has(before.lower)) {
    const t = tokens[firstIndex]!;
    if (t.kind === "number" || /^(?:i{1,3}|iv|v|vi{1,3}|ix|x)$/i.test(t.text)) firstIndex--;
  }
  const first = tokens[firstIndex]!;
  const last = tokens[c.positions[c.positions.length - 1]!]!;
  const codeIndex = dict.data.termCode[c.term]!;
  const flags = dict.data.termFlags[c.term]!;
  return {
    code: dict.data.codes[codeIndex]!,
    codeIndex,
    term: c.term,
    sentence: sentence.index,
    positions: c.positions,
    tokenStart: firstIndex,
    tokenEnd: c.positions[c.positions.length - 1]! + 1,
    start: first.start,
    end: last.end,
    begin: first.begin,
    endByte: last.endByte,
    text: prepared.doc.text.slice(first.start, last.end),
    score: c.score,
    matchedDisplay: c.matchedDisplay,
    generatedVariant: c.variant,
    variantSource: c.variant ? (flags & TERM_LEXICON ? "lexicon" : "icd") : null,
    viaAbbreviation: c.via,
    inexactWords: c.inexact,
    missingOptional: c.missingOptional,
    contiguous: c.contiguous,
    commaJoined: c.commaJoin !== null,
    requires:
      flags & TERM_FAMILY_HISTORY
        ? "family"
        : flags & TERM_PERSONAL_HISTORY
          ? "historical"
          : flags & TERM_ALLERGY
            ? "allergy"
            : null,
  };
}
