/** One code as an importer yields it: the shape every release format is mapped to. */
export interface CodeRecord {
  code: string;
  description: string;
  definition?: string | null;
  /** Other names of the concept (feed text search, the semantic index and the clinical engine). */
  synonyms?: string[];
  /** Codes of the direct parents in the system's hierarchy. */
  parents?: string[];
  /** False for retired/obsolete/deprecated codes (kept so that old data still resolves). */
  active?: boolean;
}

/** A release file as text: chunks of any size (a Node read stream, an R2 body through TextDecoderStream). */
export type TextChunks = AsyncIterable<string>;

/** A release file that cannot be read: names the line so the operator can fix the file. */
export class ImportFormatError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = "ImportFormatError";
  }
}

/** At most this many synonyms per code: keeps rows small and stops catch-all codes flooding search. */
export const MAX_SYNONYMS = 64;

/**
 * Synonyms without blanks, without the description itself and without case-insensitive duplicates,
 * in first-seen order.
 */
export function cleanSynonyms(description: string, synonyms: Iterable<string>): string[] {
  const seen = new Set<string>([description.trim().toLowerCase()]);
  const out: string[] = [];
  for (const raw of synonyms) {
    const s = raw.replace(/\s+/g, " ").trim();
    const k = s.toLowerCase();
    if (!s || seen.has(k)) continue;
    seen.add(k);
    out.push(s);
    if (out.length >= MAX_SYNONYMS) break;
  }
  return out;
}
