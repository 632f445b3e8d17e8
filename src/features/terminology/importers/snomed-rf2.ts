import { lines } from "./lines";
import { type CodeRecord, cleanSynonyms, ImportFormatError, type TextChunks } from "./types";

const FSN = "900000000000003001";
const SYNONYM = "900000000000013009";
const IS_A = "116680003";
const PREFERRED = "900000000000548007";
/** US English language reference set. */
export const US_ENGLISH_REFSET = "900000000000509007";

/** Iterates tab-separated RF2 rows after checking the header starts with the expected columns. */
async function* rf2Rows(
  chunks: TextChunks,
  header: string[],
  what: string,
): AsyncGenerator<{ f: string[]; line: number }> {
  let lineNo = 0;
  for await (const line of lines(chunks)) {
    lineNo++;
    if (lineNo === 1) {
      const cols = line.split("\t");
      if (header.some((h, i) => cols[i] !== h)) {
        throw new ImportFormatError(`not an RF2 ${what} file: the header must start with ${header.join(", ")}`, 1);
      }
      continue;
    }
    if (!line) continue;
    const f = line.split("\t");
    if (f.length < header.length) throw new ImportFormatError(`expected ${header.length} tab-separated fields`, lineNo);
    yield { f, line: lineNo };
  }
}

/** `sct2_Relationship_Snapshot`: active is-a (116680003) rows → parents by concept id. */
export async function readSnomedParents(chunks: TextChunks): Promise<Map<string, string[]>> {
  const parents = new Map<string, string[]>();
  const header = [
    "id",
    "effectiveTime",
    "active",
    "moduleId",
    "sourceId",
    "destinationId",
    "relationshipGroup",
    "typeId",
  ];
  for await (const { f } of rf2Rows(chunks, header, "relationship")) {
    if (f[2] !== "1" || f[7] !== IS_A) continue;
    const child = f[4]!;
    const list = parents.get(child);
    if (!list) parents.set(child, [f[5]!]);
    else if (!list.includes(f[5]!)) list.push(f[5]!);
  }
  return parents;
}

/**
 * `der2_cRefset_LanguageSnapshot`: ids of the descriptions preferred in one language reference set
 * (default US English), so a concept is named by its preferred term rather than its FSN.
 */
export async function readSnomedPreferred(chunks: TextChunks, refsetId = US_ENGLISH_REFSET): Promise<Set<string>> {
  const preferred = new Set<string>();
  const header = ["id", "effectiveTime", "active", "moduleId", "refsetId", "referencedComponentId", "acceptabilityId"];
  for await (const { f } of rf2Rows(chunks, header, "language refset")) {
    if (f[2] === "1" && f[4] === refsetId && f[6] === PREFERRED) preferred.add(f[5]!);
  }
  return preferred;
}

/** `Hypertensive disorder, systemic arterial (disorder)` → without its semantic tag. */
export function withoutSemanticTag(fsn: string): string {
  return fsn.replace(/\s*\([^()]*\)\s*$/, "").trim() || fsn;
}

export interface SnomedOptions {
  parents?: Map<string, string[]>;
  preferred?: Set<string>;
}

/**
 * SNOMED CT RF2 `sct2_Description_Snapshot-en_*.txt` (tab-separated `id effectiveTime active
 * moduleId conceptId languageCode typeId term caseSignificanceId`). Descriptions are not ordered
 * by concept, so active terms are grouped per concept first (memory grows with the number of
 * concepts, not the file). A concept is named by its preferred synonym when a language refset is
 * given, else by its FSN without the semantic tag; the FSN and other synonyms become synonyms.
 */
export async function* importSnomedDescriptions(
  chunks: TextChunks,
  options: SnomedOptions = {},
): AsyncGenerator<CodeRecord> {
  const concepts = new Map<string, { fsn: string; preferred: string; terms: string[] }>();
  const header = ["id", "effectiveTime", "active", "moduleId", "conceptId", "languageCode", "typeId", "term"];
  for await (const { f, line } of rf2Rows(chunks, header, "description")) {
    if (f[2] !== "1") continue;
    const conceptId = f[4]!;
    if (!/^\d{6,18}$/.test(conceptId)) throw new ImportFormatError(`invalid conceptId '${conceptId}'`, line);
    const type = f[6];
    const term = f[7]!.trim();
    if (!term || (type !== FSN && type !== SYNONYM)) continue;
    let c = concepts.get(conceptId);
    if (!c) {
      c = { fsn: "", preferred: "", terms: [] };
      concepts.set(conceptId, c);
    }
    if (type === FSN) c.fsn = term;
    else if (options.preferred?.has(f[0]!) && !c.preferred) c.preferred = term;
    else c.terms.push(term);
  }
  for (const [code, c] of concepts) {
    const description = c.preferred || (c.fsn ? withoutSemanticTag(c.fsn) : c.terms[0]!);
    yield {
      code,
      description,
      synonyms: cleanSynonyms(description, [...c.terms, ...(c.fsn ? [c.fsn] : [])]),
      parents: options.parents?.get(code) ?? [],
      active: true,
    };
  }
}
