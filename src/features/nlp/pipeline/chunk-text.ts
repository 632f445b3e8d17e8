import { soapPartOf } from "../lexicon/sections";
import type { TextDocument } from "../text/segment";
import type { ChunkingMethod } from "./extract-config";

export type ChunkKind = "document" | "sentence" | "paragraph" | "section" | "soap" | "concept";

export interface Chunk {
  index: number;
  kind: ChunkKind;
  /** Section label or SOAP part, when the chunk is one. */
  label?: string;
  start: number;
  end: number;
  tokenStart: number;
  tokenEnd: number;
}

export interface Chunking {
  chunks: Chunk[];
  /** What was actually done. */
  applied: ChunkKind;
  /** True when the seed's method is model-based and a deterministic split stood in for it. */
  fallback: boolean;
  note?: string;
}

interface Spanned {
  tokenStart: number;
  tokenEnd: number;
}

/**
 * Split a document per the seed's `chunking_method`. `paragraphs`, `topics` and `soap_note` are
 * LLM-based in the seed; without a model they use the note's own structure (blank lines, section
 * headings, SOAP headings) and say so (`fallback`). `clinical_ner_extract` makes one chunk per group of
 * overlapping concept mentions (`concepts`).
 */
export function chunkDocument(doc: TextDocument, method: ChunkingMethod, concepts: readonly Spanned[] = []): Chunking {
  const whole = (): Chunk[] =>
    doc.tokens.length === 0
      ? []
      : [{ index: 0, kind: "document", start: 0, end: doc.text.length, tokenStart: 0, tokenEnd: doc.tokens.length }];
  switch (method) {
    case "none":
    case "fasthpocr":
      return { chunks: whole(), applied: "document", fallback: false };
    case "sentences":
      return {
        chunks: doc.sentences.map((s, i) => ({
          index: i,
          kind: "sentence",
          start: s.start,
          end: s.end,
          tokenStart: s.tokenStart,
          tokenEnd: s.tokenEnd,
        })),
        applied: "sentence",
        fallback: false,
      };
    case "paragraphs":
      return { chunks: paragraphs(doc), applied: "paragraph", fallback: true, note: "paragraphs split at blank lines" };
    case "topics": {
      const sections = sectionChunks(doc);
      if (sections.length > 1)
        return { chunks: sections, applied: "section", fallback: true, note: "topics split at section headings" };
      return {
        chunks: paragraphs(doc),
        applied: "paragraph",
        fallback: true,
        note: "no section headings; topics split at blank lines",
      };
    }
    case "soap_note": {
      const soap = soapChunks(doc);
      if (soap.length > 0)
        return { chunks: soap, applied: "soap", fallback: true, note: "SOAP parts from section headings" };
      return {
        chunks: paragraphs(doc),
        applied: "paragraph",
        fallback: true,
        note: "no SOAP headings; split at blank lines",
      };
    }
    case "clinical_ner_extract":
      return { chunks: conceptChunks(doc, concepts), applied: "concept", fallback: false };
  }
}

function paragraphs(doc: TextDocument): Chunk[] {
  return doc.paragraphs.map((p, i) => ({
    index: i,
    kind: "paragraph",
    start: p.start,
    end: p.end,
    tokenStart: p.tokenStart,
    tokenEnd: p.tokenEnd,
  }));
}

function sectionChunks(doc: TextDocument): Chunk[] {
  return doc.sections
    .filter((s) => s.tokenEnd > s.tokenStart)
    .map((s, i) => ({
      index: i,
      kind: "section" as const,
      ...(s.label ? { label: s.label } : {}),
      start: doc.tokens[s.tokenStart]!.start,
      end: doc.tokens[s.tokenEnd - 1]!.end,
      tokenStart: s.tokenStart,
      tokenEnd: s.tokenEnd,
    }));
}

function soapChunks(doc: TextDocument): Chunk[] {
  const parts = doc.sections.map((s) => ({ s, part: soapPartOf(s.kind) }));
  if (!parts.some((p) => p.part !== undefined)) return [];
  const chunks: Chunk[] = [];
  for (const { s, part } of parts) {
    if (s.tokenEnd <= s.tokenStart) continue;
    const label = part ?? "other";
    const last = chunks[chunks.length - 1];
    if (last && last.label === label && last.tokenEnd === s.tokenStart) {
      last.tokenEnd = s.tokenEnd;
      last.end = doc.tokens[s.tokenEnd - 1]!.end;
      continue;
    }
    chunks.push({
      index: chunks.length,
      kind: "soap",
      label,
      start: doc.tokens[s.tokenStart]!.start,
      end: doc.tokens[s.tokenEnd - 1]!.end,
      tokenStart: s.tokenStart,
      tokenEnd: s.tokenEnd,
    });
  }
  return chunks;
}

function conceptChunks(doc: TextDocument, concepts: readonly Spanned[]): Chunk[] {
  const sorted = [...concepts].sort((a, b) => a.tokenStart - b.tokenStart || b.tokenEnd - a.tokenEnd);
  const chunks: Chunk[] = [];
  for (const c of sorted) {
    const last = chunks[chunks.length - 1];
    if (last && c.tokenStart < last.tokenEnd) {
      if (c.tokenEnd > last.tokenEnd) {
        last.tokenEnd = c.tokenEnd;
        last.end = doc.tokens[c.tokenEnd - 1]!.end;
      }
      continue;
    }
    chunks.push({
      index: chunks.length,
      kind: "concept",
      start: doc.tokens[c.tokenStart]!.start,
      end: doc.tokens[c.tokenEnd - 1]!.end,
      tokenStart: c.tokenStart,
      tokenEnd: c.tokenEnd,
    });
  }
  return chunks;
}
