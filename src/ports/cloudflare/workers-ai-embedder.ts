import type { Embedder } from "../embedder";

const MODEL = "@cf/baai/bge-base-en-v1.5";
const DIMENSIONS = 768;
/** Workers AI text-embedding models take at most 100 texts per call. */
const MAX_BATCH = 100;
/**
 * bge v1.5 model card: short retrieval queries work best with this instruction; documents go in
 * as they are.
 */
const QUERY_INSTRUCTION = "Represent this sentence for searching relevant passages: ";
/** bge reads 512 tokens; longer synonym lists are cut (the name comes first, so it always counts). */
const MAX_CHARS = 1500;

function unit(values: number[]): Float32Array {
  const v = Float32Array.from(values);
  let n = 0;
  for (const x of v) n += x * x;
  n = Math.sqrt(n) || 1;
  for (let i = 0; i < v.length; i++) v[i]! /= n;
  return v;
}

/** Embeddings from Workers AI (`env.AI`, model bge-base-en-v1.5, 768 dimensions). */
export function workersAiEmbedder(ai: Ai): Embedder {
  return {
    id: `workers-ai:${MODEL}`,
    dimensions: DIMENSIONS,
    maxBatch: MAX_BATCH,
    async embed(texts, kind) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += MAX_BATCH) {
        const batch = texts
          .slice(i, i + MAX_BATCH)
          .map((t) => (kind === "query" ? QUERY_INSTRUCTION + t : t.replace(/\n/g, "; ")).slice(0, MAX_CHARS));
        const res = await ai.run(MODEL, { text: batch });
        const data = "data" in res ? res.data : undefined;
        if (!Array.isArray(data) || data.length !== batch.length) {
          throw new Error(
            `Workers AI ${MODEL} returned ${Array.isArray(data) ? data.length : "no"} embeddings for ${batch.length} texts`,
          );
        }
        for (const row of data) out.push(unit(row));
      }
      return out;
    },
  };
}
