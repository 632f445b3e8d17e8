import type { Embedder } from "../embedder";
import { CLINICAL_SYNONYM_GROUPS, WORD_EQUIVALENTS } from "./clinical-synonyms";

/**
 * A deterministic embedding built from the words of a text, with no model and no network: hashed
 * features (the "hashing trick") for words, word pairs, character trigrams and clinical concepts,
 * signed and summed into a fixed number of dimensions, then scaled to unit length. Cosine
 * similarity then measures shared vocabulary, shared word shapes (`diabetic` ~ `diabetes`) and
 * shared meaning through the synonym groups (`high blood sugar` ~ `hyperglycemia`).
 */

const DIMENSIONS = 512;
export const LEXICAL_EMBEDDER_ID = `hearth-lexical-v1-${DIMENSIONS}`;

const WORD_WEIGHT = 1;
const LOW_INFO_WEIGHT = 0.3;
const BIGRAM_WEIGHT = 0.5;
/** L2 weight of all character trigrams of one word together. */
const TRIGRAMS_WEIGHT = 0.35;
const CONCEPT_WEIGHT = 2;
/** A broader concept (`^name` in a synonym group) counts this much, halving per further level. */
const BROADER_WEIGHT = 1;
const EQUIVALENT_WEIGHT = 0.8;
/** Alternative names (lines after the first of a document) count less than its main name. */
const ALTERNATIVE_LINE_WEIGHT = 0.6;

const STOPWORDS = new Set(
  "a an the of and or with without in on at to for by from as is are was were be been than that this these those its into per via".split(
    " ",
  ),
);
/** Words on many codes that say little about which one is meant. */
const LOW_INFO = new Set(
  "unspecified other specified type disease disorder condition finding nos nec due site part region use encounter initial subsequent sequela".split(
    " ",
  ),
);

/** British → American spellings, so `haemoglobin`, `oedema` and `tumour` meet their US forms. */
function americanize(w: string): string {
  if (w.length < 4) return w;
  let s = w;
  if (s.includes("ae"))
    s = s
      .replace(/aem/g, "em")
      .replace(/^paed/, "ped")
      .replace(/aest/g, "est")
      .replace(/^anaes/, "anes");
  if (s.includes("oe")) {
    s = s
      .replace(/^oe(?=[sd])/, "e")
      .replace(/^foet/, "fet")
      .replace(/^coel/, "cel")
      .replace(/rrhoe/g, "rrhe")
      .replace(/noea$/, "nea")
      .replace(/oea$/, "ea");
  }
  if (s.endsWith("our") && /(tum|hum|col|behavi|flav|lab)our$/.test(s)) s = `${s.slice(0, -3)}or`;
  if (s.endsWith("isation")) s = `${s.slice(0, -7)}ization`;
  if (s.startsWith("sulph")) s = `sulf${s.slice(5)}`;
  return s;
}

/** Light singular form: plural endings only (clinical words are too irregular for a full stemmer). */
function singular(w: string): string {
  if (w.length <= 3 || /\d/.test(w)) return w;
  if (w.endsWith("ies") && w.length > 4) return `${w.slice(0, -3)}y`;
  if (/(ss|us|is|xes|ches|shes|sses)$/.test(w)) {
    if (/(xes|ches|shes|sses)$/.test(w)) return w.slice(0, -2);
    return w;
  }
  if (w.endsWith("s")) return w.slice(0, -1);
  return w;
}

const WORD_RE = /[\p{L}\p{N}]+/gu;
/** Folded, American, singular words of a text: the unit every feature is built from. */
export function lexicalTokens(text: string): string[] {
  const folded = text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase();
  const out: string[] = [];
  for (const m of folded.matchAll(WORD_RE)) {
    let w = m[0];
    if (w === "ii") w = "2";
    else if (w === "iii") w = "3";
    out.push(americanize(singular(w)));
  }
  return out;
}

interface Phrase {
  tokens: string[];
  concept: string;
}

/** Phrases by first token, longest first, for greedy matching. */
function phraseTable(groups: readonly (readonly string[])[], prefix: string): Map<string, Phrase[]> {
  const table = new Map<string, Phrase[]>();
  groups.forEach((group, g) => {
    for (const p of group) {
      if (p.startsWith("^")) continue;
      const tokens = lexicalTokens(p);
      if (tokens.length === 0) continue;
      const list = table.get(tokens[0]!) ?? [];
      if (!list.some((x) => x.concept === `${prefix}${g}` && x.tokens.join(" ") === tokens.join(" "))) {
        list.push({ tokens, concept: `${prefix}${g}` });
      }
      table.set(tokens[0]!, list);
    }
  });
  for (const list of table.values()) list.sort((a, b) => b.tokens.length - a.tokens.length);
  return table;
}

/** `^name` entries: concept → the concepts of the groups it is a narrower kind of. */
function broaderTable(groups: readonly (readonly string[])[], prefix: string): Map<string, string[]> {
  const byName = new Map(groups.map((group, g) => [group[0]!, `${prefix}${g}`]));
  const table = new Map<string, string[]>();
  groups.forEach((group, g) => {
    const up = group.filter((p) => p.startsWith("^")).map((p) => byName.get(p.slice(1)));
    const known = up.filter((c): c is string => c !== undefined);
    if (known.length) table.set(`${prefix}${g}`, known);
  });
  return table;
}

let tables: {
  clinical: Map<string, Phrase[]>;
  equivalents: Map<string, Phrase[]>;
  broader: Map<string, string[]>;
} | null = null;
function phraseTables() {
  tables ??= {
    clinical: phraseTable(CLINICAL_SYNONYM_GROUPS, "c:"),
    equivalents: phraseTable(WORD_EQUIVALENTS, "e:"),
    broader: broaderTable(CLINICAL_SYNONYM_GROUPS, "c:"),
  };
  return tables;
}

function matchesAt(tokens: string[], i: number, p: Phrase): boolean {
  if (i + p.tokens.length > tokens.length) return false;
  for (let k = 0; k < p.tokens.length; k++) if (tokens[i + k] !== p.tokens[k]) return false;
  return true;
}

/**
 * Concepts named in a token sequence. Clinical phrases are matched greedily, longest first, so
 * `high blood sugar` means hyperglycemia rather than "high" + "blood sugar"; every phrase of a
 * synonym group yields all the group's concepts (a phrase may belong to several groups).
 */
export function conceptsOf(tokens: string[]): { clinical: string[]; equivalents: string[] } {
  const { clinical, equivalents } = phraseTables();
  const found: string[] = [];
  for (let i = 0; i < tokens.length; ) {
    const candidates = clinical.get(tokens[i]!);
    let len = 0;
    if (candidates) {
      for (const p of candidates) {
        if (p.tokens.length < len) break;
        if (matchesAt(tokens, i, p)) {
          len = p.tokens.length;
          found.push(p.concept);
        }
      }
    }
    i += Math.max(1, len);
  }
  const eq: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    for (const p of equivalents.get(tokens[i]!) ?? []) if (matchesAt(tokens, i, p)) eq.push(p.concept);
  }
  return { clinical: found, equivalents: eq };
}

function addFeature(features: Map<string, number>, key: string, weight: number) {
  // Max-pooling: a word repeated in several synonyms counts once, at its strongest.
  const prev = features.get(key);
  if (prev === undefined || prev < weight) features.set(key, weight);
}

/** Weighted features of one line of text (character trigrams only for main names and queries). */
function lineFeatures(features: Map<string, number>, line: string, scale: number, trigrams: boolean) {
  const tokens = lexicalTokens(line);
  const content = tokens.filter((t) => !STOPWORDS.has(t));
  for (const t of content) {
    addFeature(features, `w:${t}`, scale * (LOW_INFO.has(t) ? LOW_INFO_WEIGHT : WORD_WEIGHT));
    if (trigrams && t.length >= 3 && !/^\d+$/.test(t) && !LOW_INFO.has(t)) {
      const padded = `^${t}$`;
      const n = padded.length - 2;
      const w = (scale * TRIGRAMS_WEIGHT) / Math.sqrt(n);
      for (let k = 0; k < n; k++) addFeature(features, `t:${padded.slice(k, k + 3)}`, w);
    }
  }
  for (let k = 0; k + 1 < content.length; k++) {
    if (LOW_INFO.has(content[k]!) || LOW_INFO.has(content[k + 1]!)) continue;
    addFeature(features, `b:${content[k]}_${content[k + 1]}`, scale * BIGRAM_WEIGHT);
  }
  const { clinical, equivalents } = conceptsOf(tokens);
  const { broader } = phraseTables();
  for (const c of clinical) {
    addFeature(features, c, scale * CONCEPT_WEIGHT);
    // Up the "narrower than" links: diabetes type 2 → diabetes mellitus (weight halves per level).
    let level = [c];
    for (let depth = 0, w = BROADER_WEIGHT; depth < 3 && level.length; depth++, w /= 2) {
      level = level.flatMap((x) => broader.get(x) ?? []);
      for (const up of level) addFeature(features, up, scale * w);
    }
  }
  for (const c of equivalents) addFeature(features, c, scale * EQUIVALENT_WEIGHT);
}

/** 32-bit FNV-1a with a final avalanche, so nearby strings spread over the dimensions. */
function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/** The embedding of one text (documents: first line = main name, other lines = alternative names). */
export function lexicalVector(text: string, kind: "query" | "document"): Float32Array {
  const features = new Map<string, number>();
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    const alternative = kind === "document" && i > 0;
    if (line.trim()) lineFeatures(features, line, alternative ? ALTERNATIVE_LINE_WEIGHT : 1, !alternative);
  });
  const v = new Float32Array(DIMENSIONS);
  for (const [key, weight] of features) {
    const h = hash(key);
    v[h % DIMENSIONS]! += h & 0x80000000 ? -weight : weight;
  }
  let norm = 0;
  for (const x of v) norm += x * x;
  if (norm > 0) {
    const inv = 1 / Math.sqrt(norm);
    for (let i = 0; i < DIMENSIONS; i++) v[i]! *= inv;
  }
  return v;
}

/** The local Embedder: synchronous work, wrapped in the port's async interface. */
export function lexicalEmbedder(): Embedder {
  return {
    id: LEXICAL_EMBEDDER_ID,
    dimensions: DIMENSIONS,
    maxBatch: 1000,
    async embed(texts, kind) {
      return texts.map((t) => lexicalVector(t, kind));
    },
  };
}

/**
 * Other names of the clinical concepts a text mentions (`high blood sugar` → `hyperglycemia`, …):
 * lets keyword search stand in for semantic search when no vectors exist yet.
 */
export function synonymExpansions(text: string, perConcept = 3): string[] {
  const out = new Set<string>();
  for (const concept of conceptsOf(lexicalTokens(text)).clinical) {
    const group = CLINICAL_SYNONYM_GROUPS[Number(concept.slice(2))];
    for (const phrase of group?.slice(0, perConcept) ?? []) out.add(phrase);
  }
  return [...out];
}
