import { detectContext } from "../context/detect-context";
import { BRAND_TO_GENERIC, GENERIC_DRUGS } from "../lexicon/drugs";
import { MATCH_STOP_WORDS } from "../lexicon/word-lists";
import type { TextDocument } from "../text/segment";
import { spanOf, type TextSpan } from "../text/span";
import {
  type DurationInfo,
  type FrequencyInfo,
  parseSig,
  type Quantity,
  type RouteInfo,
  type Strength,
} from "./medication-sig";

export type MedicationStatus = "active" | "stopped" | "on-hold" | "intended" | "not-taken";

export interface MedicationMention {
  /** The drug name as written. */
  name: string;
  /** Lower-case generic name ("atorvastatin" for "Lipitor"); the written name for unknown drugs. */
  ingredient: string;
  brand?: string;
  /** In Hearth's drug list (or the caller's extra names); false = recognised by its strength only. */
  known: boolean;
  /** The drug name. */
  span: TextSpan;
  /** Drug name through the last sig element ("metformin 500 mg PO BID"). */
  fullSpan: TextSpan;
  strength?: Strength;
  doseQuantity?: Quantity;
  doseForm?: string;
  release?: string;
  route?: RouteInfo;
  frequency?: FrequencyInfo;
  asNeeded: boolean;
  asNeededFor?: string;
  duration?: DurationInfo;
  status: MedicationStatus;
  /** Listed as an allergy (Allergies section, "allergic to"). */
  allergy: boolean;
  negated: boolean;
  sentence: number;
}

export interface MedicationOptions {
  /** More drug names to recognise (e.g. ingredient names of a loaded RxNorm system). */
  extraNames?: Iterable<string>;
}

interface TrieNode {
  next: Map<string, TrieNode>;
  generic?: string;
  brand?: string;
}

function buildTrie(extra?: Iterable<string>): TrieNode {
  const root: TrieNode = { next: new Map() };
  const add = (name: string, generic: string, brand?: string) => {
    let node = root;
    for (const w of name
      .toLowerCase()
      .split(/[\s-]+/)
      .filter(Boolean)) {
      let child = node.next.get(w);
      if (!child) {
        child = { next: new Map() };
        node.next.set(w, child);
      }
      node = child;
    }
    if (!node.generic) {
      node.generic = generic;
      if (brand) node.brand = brand;
    }
  };
  for (const g of GENERIC_DRUGS) add(g, g);
  for (const [brand, generic] of Object.entries(BRAND_TO_GENERIC)) add(brand, generic, brand);
  if (extra) for (const name of extra) if (name.trim().length >= 3) add(name, name.toLowerCase().trim());
  return root;
}

const DEFAULT_TRIE = buildTrie();

/** Words that precede a strength without being a drug ("take 2 mg", "total 40 mg", "glucose 120 mg/dL"). */
const NOT_DRUG = new Set([
  "take",
  "takes",
  "taking",
  "took",
  "dose",
  "doses",
  "dosed",
  "total",
  "daily",
  "about",
  "approximately",
  "approx",
  "around",
  "over",
  "under",
  "increase",
  "increased",
  "decrease",
  "decreased",
  "reduce",
  "reduced",
  "continue",
  "continued",
  "start",
  "started",
  "give",
  "given",
  "gave",
  "received",
  "receiving",
  "titrate",
  "then",
  "plus",
  "weight",
  "weighs",
  "glucose",
  "sugar",
  "sugars",
  "cholesterol",
  "ldl",
  "hdl",
  "sodium",
  "potassium",
  "calcium",
  "creatinine",
  "protein",
  "intake",
  "fluid",
  "fluids",
  "bolus",
  "only",
  "max",
  "maximum",
  "every",
  "each",
  "per",
  "than",
  "less",
  "more",
  "additional",
  "extra",
  "another",
  "units",
  "unit",
  "tablet",
  "tablets",
  "tab",
  "tabs",
  "capsule",
  "capsules",
  "dosage",
  "drink",
  "drinks",
  "cup",
  "cups",
  "loss",
  "gain",
  "lost",
  "gained",
]);

const STRENGTH_AHEAD = /^\s*\d+(?:[.,]\d+)?\s*(?:mg|mcg|µg|ug|g|units?|iu|ml|meq)(?![a-zµ/])/i;
const STOP_STATUS = /\b(?:stopped|stop|discontinued|discontinue|d\/c'?d|d\/c|dc'd|quit|ceased|off)\b/i;
const HOLD_STATUS = /\b(?:held|hold|holding|on hold|paused)\b/i;
const PLAN_STATUS =
  /\b(?:start|starting|will start|begin|initiate|initiating|prescribe|prescribed|plan to|recommend|trial of)\b/i;
const NOT_TAKEN =
  /\b(?:not taking|refuses|refused|never took|does not take|doesn't take|non-?adherent|noncompliant)\b/i;
const ALLERGY = /\b(?:allergic to|allergy to|allergies to|intolerant of|intolerance to)\b/i;

/**
 * Medication mentions with their sig. Drug names come from Hearth's list of common medications and
 * brands (plus `extraNames`); an unknown word directly followed by a strength ("Foobarin 10 mg PO") is
 * reported with `known: false`.
 */
export function extractMedications(doc: TextDocument, options: MedicationOptions = {}): MedicationMention[] {
  const trie = options.extraNames ? buildTrie(options.extraNames) : DEFAULT_TRIE;
  const { tokens, text } = doc;
  const found: Array<{
    tokenStart: number;
    tokenEnd: number;
    generic: string;
    brand?: string;
    known: boolean;
    sentence: number;
  }> = [];
  for (const sentence of doc.sentences) {
    let t = sentence.tokenStart;
    while (t < sentence.tokenEnd) {
      let node: TrieNode | undefined = trie;
      let best: { end: number; node: TrieNode } | null = null;
      for (let j = t; j < sentence.tokenEnd && node; j++) {
        const tok = tokens[j]!;
        if (tok.text === "-" || tok.text === "/") continue;
        node = node.next.get(tok.lower);
        if (node?.generic) best = { end: j + 1, node };
      }
      if (best) {
        found.push({
          tokenStart: t,
          tokenEnd: best.end,
          generic: best.node.generic!,
          ...(best.node.brand ? { brand: best.node.brand } : {}),
          known: true,
          sentence: sentence.index,
        });
        t = best.end;
        continue;
      }
      const tok = tokens[t]!;
      if (
        tok.kind === "word" &&
        tok.text.length >= 4 &&
        /^[\p{L}][\p{L}-]*$/u.test(tok.text) &&
        !NOT_DRUG.has(tok.lower) &&
        !MATCH_STOP_WORDS.has(tok.lower) &&
        !doc.headingToken[t] &&
        STRENGTH_AHEAD.test(text.slice(tok.end, tok.end + 24))
      ) {
        found.push({ tokenStart: t, tokenEnd: t + 1, generic: tok.lower, known: false, sentence: sentence.index });
      }
      t++;
    }
  }
  if (found.length === 0) return [];
  const contexts = detectContext(doc, found);
  const out: MedicationMention[] = [];
  for (let i = 0; i < found.length; i++) {
    const f = found[i]!;
    const sentence = doc.sentences[f.sentence]!;
    const nameStart = tokens[f.tokenStart]!.start;
    const nameEnd = tokens[f.tokenEnd - 1]!.end;
    // The sig runs to the next drug in the sentence or the end of the line/sentence.
    const next = found[i + 1];
    let sigEnd = next && next.sentence === f.sentence ? tokens[next.tokenStart]!.start : sentence.end;
    const nl = text.indexOf("\n", nameEnd);
    if (nl >= 0 && nl < sigEnd) sigEnd = nl;
    const sigText = text.slice(nameEnd, sigEnd);
    const sig = parseSig(sigText);
    if (!f.known && !sig.strength) continue;
    const section = doc.sections[sentence.section]?.kind;
    const sentenceText = text.slice(sentence.start, sentence.end);
    const before = text.slice(sentence.start, nameStart);
    const ctx = contexts[i]!;
    let status: MedicationStatus = "active";
    if (NOT_TAKEN.test(sentenceText)) status = "not-taken";
    else if (STOP_STATUS.test(before) || STOP_STATUS.test(sigText)) status = "stopped";
    else if (HOLD_STATUS.test(before) || HOLD_STATUS.test(sigText)) status = "on-hold";
    else if (PLAN_STATUS.test(before) || section === "plan") status = "intended";
    const name = text.slice(nameStart, nameEnd);
    out.push({
      name,
      ingredient: f.known ? f.generic : name.toLowerCase(),
      ...(f.brand ? { brand: f.brand } : {}),
      known: f.known,
      span: spanOf(doc.utf8, nameStart, nameEnd),
      fullSpan: spanOf(doc.utf8, nameStart, nameEnd + trimmedLength(sigText, sig.consumed)),
      ...(sig.strength ? { strength: sig.strength } : {}),
      ...(sig.doseQuantity ? { doseQuantity: sig.doseQuantity } : {}),
      ...(sig.doseForm ? { doseForm: sig.doseForm } : {}),
      ...(sig.release ? { release: sig.release } : {}),
      ...(sig.route ? { route: sig.route } : {}),
      ...(sig.frequency ? { frequency: sig.frequency } : {}),
      asNeeded: sig.asNeeded,
      ...(sig.asNeededFor ? { asNeededFor: sig.asNeededFor } : {}),
      ...(sig.duration ? { duration: sig.duration } : {}),
      status,
      allergy: section === "allergies" || ALLERGY.test(before),
      negated: ctx.negated,
      sentence: f.sentence,
    });
  }
  return out;
}

function trimmedLength(sig: string, consumed: number): number {
  let n = consumed;
  while (n > 0 && /\s/.test(sig.charAt(n - 1))) n--;
  return n;
}
