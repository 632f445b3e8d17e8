import type { SectionKind } from "../lexicon/sections";
import type { TextDocument } from "../text/segment";
import { type ContextCategory, TRIGGER_RULES, type TriggerKind, type TriggerRule } from "./context-rules";

/** The assertion context of a mention: flags plus the trigger texts that set them (for rationales). */
export interface Assertion {
  negated: boolean;
  uncertain: boolean;
  historical: boolean;
  family: boolean;
  hypothetical: boolean;
  /** Named as an allergy (Allergies section, "allergic to"). */
  allergy: boolean;
  /** "negated by 'denies'", "family history section", ... */
  evidence: string[];
}

export const PRESENT: Readonly<Assertion> = Object.freeze({
  negated: false,
  uncertain: false,
  historical: false,
  family: false,
  hypothetical: false,
  allergy: false,
  evidence: [],
});

interface TrieNode {
  next: Map<string, TrieNode>;
  rules: TriggerRule[];
}

function buildTrie(rules: readonly TriggerRule[]): TrieNode {
  const root: TrieNode = { next: new Map(), rules: [] };
  for (const rule of rules) {
    let node = root;
    for (const word of phraseTokens(rule.phrase)) {
      let child = node.next.get(word);
      if (!child) {
        child = { next: new Map(), rules: [] };
        node.next.set(word, child);
      }
      node = child;
    }
    node.rules.push(rule);
  }
  return root;
}

/** Split a trigger phrase the way the tokenizer splits text ("h/o" and "mother's" stay one token). */
function phraseTokens(phrase: string): string[] {
  return phrase.split(/\s+/).filter(Boolean);
}

const TRIE = buildTrie(TRIGGER_RULES);

interface TriggerHit {
  kind: TriggerKind;
  direction: TriggerRule["direction"];
  window: number;
  start: number;
  end: number;
  text: string;
}

/** A span of tokens whose context is wanted (a concept mention, a medication, a measurement). */
export interface ContextTarget {
  sentence: number;
  tokenStart: number;
  tokenEnd: number;
}

/**
 * Assign assertion context to targets, sentence by sentence. Tokens covered by `occupied` (other
 * recognised mentions) never act as triggers: "absent thumbs" is a finding, not a negation of the next one.
 */
export function detectContext<T extends ContextTarget>(
  doc: TextDocument,
  targets: readonly T[],
  occupied?: Uint8Array,
): Assertion[] {
  const result: Assertion[] = new Array(targets.length);
  const bySentence = new Map<number, number[]>();
  targets.forEach((t, i) => {
    const list = bySentence.get(t.sentence);
    if (list) list.push(i);
    else bySentence.set(t.sentence, [i]);
  });
  for (const [sentenceIndex, indexes] of bySentence) {
    const sentence = doc.sentences[sentenceIndex]!;
    const hits = findTriggers(doc, sentence.tokenStart, sentence.tokenEnd, occupied);
    const sectionKind = doc.sections[sentence.section]?.kind ?? "other";
    for (const i of indexes) result[i] = assess(doc, targets[i]!, hits, sectionKind);
  }
  return result;
}

function findTriggers(doc: TextDocument, from: number, to: number, occupied?: Uint8Array): TriggerHit[] {
  const hits: TriggerHit[] = [];
  const { tokens } = doc;
  let i = from;
  while (i < to) {
    let node: TrieNode | undefined = TRIE;
    let best: { rules: TriggerRule[]; end: number } | null = null;
    for (let j = i; j < to && node; j++) {
      node = node.next.get(tokens[j]!.lower);
      if (!node) break;
      if (node.rules.length > 0) best = { rules: node.rules, end: j + 1 };
    }
    if (!best || overlapsOccupied(occupied, i, best.end) || isFalseTrigger(doc, i, best.end)) {
      i++;
      continue;
    }
    const text = doc.text.slice(tokens[i]!.start, tokens[best.end - 1]!.end);
    for (const rule of best.rules) {
      hits.push({ kind: rule.kind, direction: rule.direction, window: rule.window, start: i, end: best.end, text });
    }
    i = best.end;
  }
  return hits;
}

function overlapsOccupied(occupied: Uint8Array | undefined, from: number, to: number): boolean {
  if (!occupied) return false;
  for (let t = from; t < to; t++) if (occupied[t]) return true;
  return false;
}

/** Context words used otherwise: "No. 5", "?" inside a word, "non" not followed by a hyphenated word. */
function isFalseTrigger(doc: TextDocument, start: number, end: number): boolean {
  const tokens = doc.tokens;
  const first = tokens[start]!;
  const next = tokens[end];
  if (first.lower === "no" && next && (next.text === "." || next.kind === "number")) return true;
  if ((first.lower === "non" || first.lower === "un") && end - start === 1) return !(next && next.text === "-");
  return false;
}

const SECTION_CONTEXT: Partial<Record<SectionKind, ContextCategory>> = {
  family_history: "family",
  past_history: "historical",
  surgical_history: "historical",
  allergies: "allergy",
};

function assess(doc: TextDocument, target: ContextTarget, hits: TriggerHit[], section: SectionKind): Assertion {
  const a: Assertion = {
    negated: false,
    uncertain: false,
    historical: false,
    family: false,
    hypothetical: false,
    allergy: false,
    evidence: [],
  };
  const sectionCategory = SECTION_CONTEXT[section];
  if (sectionCategory) {
    a[sectionCategory] = true;
    a.evidence.push(
      `${sectionCategory === "family" ? "family history" : sectionCategory === "allergy" ? "allergies" : "past history"} section`,
    );
  }
  for (const hit of hits) {
    if (hit.kind === "pseudo" || hit.kind === "terminate" || hit.kind === "terminate_affirm") continue;
    const category = hit.kind;
    let applies = false;
    if ((hit.direction === "forward" || hit.direction === "both") && hit.end <= target.tokenStart) {
      applies = inScope(doc, hits, hit.end, target.tokenStart, hit.window, category);
    }
    if (
      !applies &&
      (hit.direction === "backward" || hit.direction === "both") &&
      hit.start >= target.tokenEnd &&
      !isAttributive(doc, hit)
    ) {
      applies = inScope(doc, hits, target.tokenEnd, hit.start, hit.window, category);
    }
    if (applies && !a[category]) {
      a[category] = true;
      a.evidence.push(`${category} by "${hit.text}"`);
    }
  }
  return a;
}

const POSTPOSED = new Set(["absent", "negative", "neg", "free", "none", "resolved"]);

/**
 * "absent speech", "negative symptoms": a one-word post-trigger followed by a word qualifies that word,
 * so it says nothing about the mention before it ("developmental delay, absent speech").
 */
function isAttributive(doc: TextDocument, hit: TriggerHit): boolean {
  if (hit.end - hit.start !== 1 || !POSTPOSED.has(doc.tokens[hit.start]!.lower)) return false;
  const next = doc.tokens[hit.end];
  return next !== undefined && next.kind === "word";
}

/** No terminator between `from` and `to`, and at most `window` words. */
function inScope(
  doc: TextDocument,
  hits: TriggerHit[],
  from: number,
  to: number,
  window: number,
  category: ContextCategory,
): boolean {
  let words = 0;
  for (let t = from; t < to; t++) if (doc.tokens[t]!.kind !== "punct") words++;
  if (words > window) return false;
  for (const h of hits) {
    if (h.start < from || h.start >= to) continue;
    if (h.kind === "terminate") return false;
    if (h.kind === "terminate_affirm" && category !== "hypothetical") return false;
  }
  // A colon or a closing bracket between trigger and target ends the scope as well.
  for (let t = from; t < to; t++) {
    const x = doc.tokens[t]!.text;
    if (x === ":" || x === ")" || x === "(") return false;
  }
  return true;
}
