import type { VectorIndex } from "../vector-index";

/** Vectorize binding limits: 1000 vectors per upsert and per deleteByIds; topK ≤ 100 without values/metadata. */
const MAX_BATCH = 1000;
const MAX_TOP_K = 100;

type VectorizeBinding = Pick<VectorizeIndex | Vectorize, "upsert" | "query" | "deleteByIds">;

/**
 * Vectorize (`env.CODE_VECTORS`): one namespace per code system and version, ids are the codes'
 * row ids (unique across the whole index, as Vectorize requires). Writes are applied
 * asynchronously by Vectorize, so new vectors become queryable a few seconds after the upsert.
 */
export function vectorizeIndex(index: VectorizeBinding): VectorIndex {
  return {
    kind: "vectorize",
    maxBatch: MAX_BATCH,
    async upsert(namespace, records) {
      for (let i = 0; i < records.length; i += MAX_BATCH) {
        await index.upsert(records.slice(i, i + MAX_BATCH).map((r) => ({ id: r.id, values: r.values, namespace })));
      }
    },
    async query(namespace, vector, topK) {
      const res = await index.query(vector, {
        topK: Math.min(Math.max(1, topK), MAX_TOP_K),
        namespace,
        returnValues: false,
        returnMetadata: "none",
      });
      return res.matches.map((m) => ({ id: m.id, score: m.score }));
    },
    async deleteByIds(_namespace, ids) {
      for (let i = 0; i < ids.length; i += MAX_BATCH) await index.deleteByIds(ids.slice(i, i + MAX_BATCH));
    },
  };
}
