import type { TerminologyDeps } from "./deps";

/** One namespace per code system and version (Vectorize namespaces are ≤ 64 bytes; system ids are short). */
export const vectorNamespace = (systemId: string): string => systemId;

/** Synonyms beyond these add little to an embedding and would dilute the name. */
const MAX_SYNONYMS_EMBEDDED = 12;
const PAGE = 500;
/** Sets up to this size get their vectors built inside the request that first needs them. */
export const INLINE_BUILD_LIMIT = 5000;

/** Main name on the first line, alternative names after it (the Embedder's document convention). */
export function documentText(description: string, synonymsJson: string | null): string {
  const synonyms = synonymsJson ? (JSON.parse(synonymsJson) as string[]) : [];
  return [description, ...synonyms.slice(0, MAX_SYNONYMS_EMBEDDED)].join("\n");
}

export interface EmbedProgress {
  lastId: number;
  done: boolean;
  embedded: number;
}

/**
 * Embeds the set's codes with ids in (afterId, maxId], at most `budget` of them, and upserts the
 * vectors (id = the code's row id) into the system's namespace.
 */
export async function embedCodes(
  deps: Pick<TerminologyDeps, "db" | "embedder" | "vectors">,
  target: { systemId: string; setId: number; maxId: number },
  afterId: number,
  budget = Number.POSITIVE_INFINITY,
  page = PAGE,
): Promise<EmbedProgress> {
  let lastId = afterId;
  let embedded = 0;
  while (embedded < budget) {
    const { results } = await deps.db
      .prepare(
        "SELECT id, description, synonyms FROM codes WHERE id > ?1 AND id <= ?2 AND set_id = ?3 ORDER BY id LIMIT ?4",
      )
      .bind(lastId, target.maxId, target.setId, Math.min(page, budget - embedded))
      .all<{ id: number; description: string; synonyms: string | null }>();
    if (results.length === 0) return { lastId, done: true, embedded };
    const vectors: Float32Array[] = [];
    for (let i = 0; i < results.length; i += deps.embedder.maxBatch) {
      const batch = results.slice(i, i + deps.embedder.maxBatch);
      vectors.push(
        ...(await deps.embedder.embed(
          batch.map((r) => documentText(r.description, r.synonyms)),
          "document",
        )),
      );
    }
    await deps.vectors.upsert(
      vectorNamespace(target.systemId),
      results.map((r, i) => ({ id: String(r.id), values: vectors[i]! })),
    );
    embedded += results.length;
    lastId = results[results.length - 1]!.id;
  }
  const more = await deps.db
    .prepare("SELECT 1 AS x FROM codes WHERE id > ?1 AND id <= ?2 AND set_id = ?3 LIMIT 1")
    .bind(lastId, target.maxId, target.setId)
    .first<number>("x");
  return { lastId, done: more === null, embedded };
}

export async function markVectorsReady(db: D1Database, setId: number, embedderId: string): Promise<void> {
  await db
    .prepare("UPDATE code_sets SET vectors_state = 'ready', vectors_embedder = ?2 WHERE id = ?1")
    .bind(setId, embedderId)
    .run();
}

/**
 * Claims the building of a set's vectors for the current embedder; false when another worker
 * already builds them (or they are ready).
 */
export async function claimVectorBuild(db: D1Database, setId: number, embedderId: string): Promise<boolean> {
  const res = await db
    .prepare(
      `UPDATE code_sets SET vectors_state = 'building', vectors_embedder = ?2
       WHERE id = ?1 AND (vectors_state IS NULL OR vectors_embedder IS NOT ?2)`,
    )
    .bind(setId, embedderId)
    .run();
  return (res.meta.changes ?? 0) > 0;
}

/** Gives a failed build back, so the next semantic query claims it again. */
export async function releaseVectorBuild(db: D1Database, setId: number): Promise<void> {
  await db
    .prepare("UPDATE code_sets SET vectors_state = NULL WHERE id = ?1 AND vectors_state = 'building'")
    .bind(setId)
    .run();
}
