import { type CompiledDictionary, compileDictionary, DictionaryCache, type DictionaryEntry } from "../nlp/engine";
import type { ResolvedSystem } from "../terminology/code-systems";
import { readStoredDictionary, writeStoredDictionary } from "./dictionary-store";

/** Where a request's dictionary came from: this isolate's memory, the R2 copy, or a fresh compile. */
export type DictionarySource = "memory" | "stored" | "compiled";

/**
 * Compiled dictionaries of this isolate, keyed by code set id (immutable content, see
 * dictionary-store.ts). Kept small: in memory, HPO with synonyms is ~16 MB and the 46k ICD-10-CM
 * codes ~28 MB, against a 128 MB isolate.
 */
const CAPACITY = 3;
let cache = new DictionaryCache(CAPACITY);

/** Codes read per D1 query while compiling (a full release has ~100k rows). */
const PAGE = 5000;

interface CodeRow {
  id: number;
  code: string;
  description: string;
  synonyms: string | null;
  parents: string | null;
}

function stringList(json: string | null): string[] | undefined {
  if (!json) return undefined;
  try {
    const v: unknown = JSON.parse(json);
    return Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : undefined;
  } catch {
    return undefined; // a malformed column only loses its synonyms or parents
  }
}

/** Active codes of a set, with synonyms and is-a parents, paged over the set's rowid range. */
async function readCodeSet(db: D1Database, setId: number, minId: number, maxId: number): Promise<DictionaryEntry[]> {
  const entries: DictionaryEntry[] = [];
  let after = minId - 1;
  for (;;) {
    const { results } = await db
      .prepare(
        `SELECT id, code, description, synonyms, parents FROM codes
         WHERE id > ?1 AND id <= ?2 AND set_id = ?3 AND active = 1 ORDER BY id LIMIT ?4`,
      )
      .bind(after, maxId, setId, PAGE)
      .all<CodeRow>();
    for (const r of results) {
      entries.push({
        code: r.code,
        description: r.description,
        synonyms: stringList(r.synonyms),
        parents: stringList(r.parents),
      });
    }
    if (results.length < PAGE) return entries;
    after = results[results.length - 1]!.id;
  }
}

/**
 * The compiled dictionary of a system's active code set: from memory, else from R2, else compiled
 * from D1 (and stored in R2 for the next cold isolate). Concurrent requests share one build.
 */
export async function loadDictionary(
  deps: { db: D1Database; blobs: R2Bucket },
  system: ResolvedSystem & { active_set: number },
): Promise<{ dict: CompiledDictionary; source: DictionarySource }> {
  const setId = system.active_set;
  let source: DictionarySource = "memory";
  const dict = await cache.get(`set:${setId}`, async () => {
    const stored = await readStoredDictionary(deps.blobs, setId);
    if (stored) {
      source = "stored";
      return stored;
    }
    source = "compiled";
    const entries =
      system.min_code_id === null || system.max_code_id === null
        ? []
        : await readCodeSet(deps.db, setId, system.min_code_id, system.max_code_id);
    const compiled = compileDictionary(entries, { system: system.name, version: system.version });
    await writeStoredDictionary(deps.blobs, setId, compiled);
    return compiled;
  });
  return { dict, source };
}

/** Drops this isolate's compiled dictionaries (tests: behave like a cold isolate). */
export function clearDictionaryMemory(): void {
  cache = new DictionaryCache(CAPACITY);
}
