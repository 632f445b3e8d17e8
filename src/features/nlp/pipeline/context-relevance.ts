import type { TextDocument } from "../text/segment";
import type { Chunk } from "./chunk-text";
import { descriptionKeys, rangeKeys } from "./similarity";

/** What a chunk contains, for judging its relevance to an extraction goal. */
export interface ChunkFeatures {
  medications: number;
  labs: number;
  vitals: number;
  /** Concept mentions that are not negated/hypothetical/family. */
  findings: number;
}

const INTENTS: Array<{ re: RegExp; feature: keyof ChunkFeatures; weight: number }> = [
  {
    re: /\b(?:medications?|meds|drugs?|prescriptions?|prescribing|rx|pharmac\w*|dos(?:e|es|ing|age)|therap(?:y|ies)|treatments?)\b/i,
    feature: "medications",
    weight: 1,
  },
  {
    re: /\b(?:labs?|laborator(?:y|ies)|test results?|results|values|panels?|chemistr(?:y|ies)|blood work|bloodwork)\b/i,
    feature: "labs",
    weight: 1,
  },
  {
    re: /\b(?:vitals?|vital signs?|blood pressure|heart rate|temperature|oxygen saturation|bmi)\b/i,
    feature: "vitals",
    weight: 1,
  },
  {
    re: /\b(?:diagnos[a-z]*|problems?|conditions?|billing|icd|coding|codes?|visits?|encounters?|claims?|phenotyp[a-z]*|findings?|symptoms?|disorders?|diseases?|comorbidit(?:y|ies)|history)\b/i,
    feature: "findings",
    weight: 0.8,
  },
];

/**
 * Deterministic relevance of a chunk to the `extraction_context` goal (0..1): the goal's intent
 * (medications, labs, vitals, diagnoses) met by what the chunk contains, or the share of the goal's
 * content words that the chunk uses, whichever is higher.
 */
export function chunkRelevance(doc: TextDocument, chunk: Chunk, features: ChunkFeatures, context: string): number {
  let intent = 0;
  for (const i of INTENTS) if (i.re.test(context) && features[i.feature] > 0) intent = Math.max(intent, i.weight);
  const goal = descriptionKeys(context);
  if (goal.size === 0) return intent;
  const words = rangeKeys(doc, chunk.tokenStart, chunk.tokenEnd);
  let shared = 0;
  for (const k of goal) if (words.has(k)) shared++;
  const lexical = Math.min(1, shared / Math.min(goal.size, 4));
  return Math.round(Math.max(intent, lexical) * 1000) / 1000;
}
