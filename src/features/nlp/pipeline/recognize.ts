import type { CompiledDictionary } from "../concepts/dictionary";
import { type ConceptMention, matchConcepts } from "../concepts/match-concepts";
import { prepareText } from "../concepts/prepare-text";
import { type Assertion, detectContext } from "../context/detect-context";
import { extractLabs } from "../extractors/extract-labs";
import { extractVitals, VITAL_LOINC_CODES } from "../extractors/extract-vitals";
import type { Measurement } from "../extractors/measurement";
import { LAB_DEFINITIONS } from "../lexicon/labs";
import type { TextDocument } from "../text/segment";

/** One piece of evidence for a code: where, how well, and in what context it was found. */
export interface Evidence {
  code: string;
  codeIndex: number;
  sentence: number;
  tokenStart: number;
  tokenEnd: number;
  start: number;
  end: number;
  begin: number;
  endByte: number;
  text: string;
  score: number;
  /** Human-readable account of the match for rationales; null for dictionary mentions, which
   * `explainEvidence` describes on demand (most requests never read it). */
  how: string | null;
  assertion: Assertion;
  source: "dictionary" | "measurement";
  /** The context a derived term needs ("Family history of X" read from "mother had X"). */
  requires: "family" | "historical" | "allergy" | null;
  mention?: ConceptMention;
  measurement?: Measurement;
}

export interface RecognizeOptions {
  abbreviations?: boolean;
  localAbbreviations?: boolean;
  structuredCodes?: boolean;
}

/** Concept recognition + structured LOINC evidence + assertion context, for one document and dictionary. */
export function recognize(doc: TextDocument, dict: CompiledDictionary, options: RecognizeOptions = {}): Evidence[] {
  const prepared = prepareText(doc, dict, {
    abbreviations: options.abbreviations ?? true,
    localAbbreviations: options.localAbbreviations ?? true,
  });
  const mentions = matchConcepts(prepared, dict);
  const occupied = new Uint8Array(doc.tokens.length);
  for (const m of mentions) for (const p of m.positions) occupied[p] = 1;
  const out: Evidence[] = mentions.map((m) => ({
    code: m.code,
    codeIndex: m.codeIndex,
    sentence: m.sentence,
    tokenStart: m.tokenStart,
    tokenEnd: m.tokenEnd,
    start: m.start,
    end: m.end,
    begin: m.begin,
    endByte: m.endByte,
    text: m.text,
    score: m.score,
    how: null,
    assertion: undefined as unknown as Assertion,
    source: "dictionary" as const,
    requires: m.requires,
    mention: m,
  }));
  if ((options.structuredCodes ?? true) && hasMeasurementCodes(dict)) {
    for (const m of [...extractVitals(doc.utf8), ...extractLabs(doc.utf8)]) {
      for (const part of [m, ...(m.components ?? [])]) {
        if (!part.loinc) continue;
        const codeIndex = dict.codeIndex.get(part.loinc);
        if (codeIndex === undefined) continue;
        const range = tokenRange(doc, part.span.start, part.span.end);
        if (!range) continue;
        out.push({
          code: part.loinc,
          codeIndex,
          sentence: range.sentence,
          tokenStart: range.tokenStart,
          tokenEnd: range.tokenEnd,
          start: part.span.start,
          end: part.span.end,
          begin: part.span.begin,
          endByte: part.span.endByte,
          text: part.span.text,
          score: 1,
          how: `measurement "${part.span.text}" read as ${part.display} = ${part.value} ${part.unit}`,
          assertion: undefined as unknown as Assertion,
          source: "measurement",
          requires: null,
          measurement: part,
        });
        for (let t = range.tokenStart; t < range.tokenEnd; t++) occupied[t] = 1;
      }
    }
  }
  const assertions = detectContext(doc, out, occupied);
  out.forEach((e, i) => {
    e.assertion = assertions[i]!;
  });
  const measurements = out.filter((e) => e.source === "measurement");
  const kept = out.filter((e) => {
    // A derived term counts only in its context; a dictionary reading inside a measurement of the same
    // code ("HR" inside "HR 96") is the same evidence, cited once.
    if (e.requires && !e.assertion[e.requires]) return false;
    if (e.source === "dictionary") {
      return !measurements.some((m) => m.code === e.code && m.start <= e.start && m.end >= e.end);
    }
    return true;
  });
  const deduped = dropContained(kept);
  deduped.sort((a, b) => a.start - b.start || b.end - a.end);
  return deduped;
}

/**
 * Two readings of one code where one span contains the other ("Former smoker" and its contextual
 * reading "smoker"): keep the longer (equal spans: the first). A sweep per code in start order, so
 * long texts with many mentions of one code stay O(n log n).
 */
function dropContained(list: Evidence[]): Evidence[] {
  const order = list.map((_, i) => i);
  order.sort((x, y) => {
    const a = list[x]!;
    const b = list[y]!;
    return a.code < b.code ? -1 : a.code > b.code ? 1 : a.start - b.start || b.end - a.end || x - y;
  });
  const drop = new Uint8Array(list.length);
  let code: string | null = null;
  let maxEnd = -1;
  for (const i of order) {
    const e = list[i]!;
    if (e.code !== code) {
      code = e.code;
      maxEnd = -1;
    }
    // Every earlier reading in this order starts at or before e; one reaching e's end contains it.
    if (maxEnd >= e.end) drop[i] = 1;
    else maxEnd = e.end;
  }
  return list.filter((_, i) => drop[i] === 0);
}

const MEASUREMENT_CODES: readonly string[] = [
  ...VITAL_LOINC_CODES,
  ...LAB_DEFINITIONS.flatMap((d) => (d.loinc ? [d.loinc] : [])),
];
const measurementCodeCache = new WeakMap<CompiledDictionary, boolean>();

/** Only dictionaries holding some vital-sign/lab LOINC code need the measurement extractors. */
function hasMeasurementCodes(dict: CompiledDictionary): boolean {
  let has = measurementCodeCache.get(dict);
  if (has === undefined) {
    has = MEASUREMENT_CODES.some((c) => dict.codeIndex.has(c));
    measurementCodeCache.set(dict, has);
  }
  return has;
}

function tokenRange(doc: TextDocument, start: number, end: number) {
  const { tokens, sentences } = doc;
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (tokens[mid]!.end <= start) lo = mid + 1;
    else hi = mid;
  }
  const tokenStart = lo;
  let tokenEnd = tokenStart;
  while (tokenEnd < tokens.length && tokens[tokenEnd]!.start < end) tokenEnd++;
  if (tokenEnd === tokenStart) return null;
  const sentence = sentences.find((s) => s.tokenStart <= tokenStart && tokenStart < s.tokenEnd);
  if (!sentence) return null;
  return { tokenStart, tokenEnd, sentence: sentence.index };
}

/** The rationale text of one piece of evidence. */
export function explainEvidence(e: Evidence, dict: CompiledDictionary): string {
  if (e.how === null) e.how = e.mention ? describeMatch(e.mention, dict) : `"${e.text}"`;
  return e.how;
}

function describeMatch(m: ConceptMention, dict: CompiledDictionary): string {
  const display = dict.data.displays[m.codeIndex] ?? m.code;
  let kind: string;
  if (m.viaAbbreviation === "abbreviation") kind = "a clinical abbreviation";
  else if (m.viaAbbreviation === "definition") kind = "an abbreviation defined in the text";
  else if (m.variantSource === "lexicon")
    kind = `a clinical-lexicon synonym of ${m.matchedDisplay ? "the description" : "a code-system synonym"}`;
  else if (m.variantSource === "icd")
    kind = m.matchedDisplay
      ? "an ICD reading of the description (qualifiers and nonessential modifiers removed)"
      : "an ICD reading of an index term (qualifiers and nonessential modifiers removed)";
  else if (m.matchedDisplay) kind = "the description as written";
  else kind = "a synonym from the code system";
  const notes: string[] = [];
  if (m.requires === "family") kind = `family-history reading of ${kind}`;
  else if (m.requires === "historical") kind = `past-history reading of ${kind}`;
  else if (m.requires === "allergy") kind = `allergy reading of ${kind}`;
  if (m.commaJoined) notes.push("qualifier after a comma");
  if (m.inexactWords > 0) notes.push("word forms differ");
  if (m.missingOptional > 0) notes.push("qualifier words omitted");
  if (!m.contiguous) notes.push("words in between");
  // The code's own description closes the sentence, so a synonym is never read as the description.
  return `"${m.text}" matches ${kind}${notes.length ? ` (${notes.join(", ")})` : ""} of ${m.code} "${display}"`;
}
