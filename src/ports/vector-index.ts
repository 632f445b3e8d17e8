import { vectorizeIndex } from "./cloudflare/vectorize-index";
import type { Embedder } from "./embedder";
import { d1VectorIndex } from "./local/d1-vector-index";

export interface VectorRecord {
  id: string;
  values: Float32Array;
}

export interface VectorMatch {
  id: string;
  /** Cosine similarity: higher is closer. */
  score: number;
}

/**
 * Nearest-neighbour index over embeddings, partitioned in namespaces (one per code system and
 * version). Production: Vectorize; local: a D1 table scanned in memory.
 */
export interface VectorIndex {
  readonly kind: "vectorize" | "d1";
  /** Most records one `upsert` call accepts. */
  readonly maxBatch: number;
  upsert(namespace: string, records: VectorRecord[]): Promise<void>;
  query(namespace: string, vector: Float32Array, topK: number): Promise<VectorMatch[]>;
  deleteByIds(namespace: string, ids: string[]): Promise<void>;
}

/**
 * Vectorize holds the Workers AI embeddings it was created for; the local embedder's vectors (other
 * dimensions) always go to the D1 index.
 */
export function createVectorIndex(env: Pick<Env, "DB" | "CODE_VECTORS">, embedder: Embedder): VectorIndex {
  if (env.CODE_VECTORS && embedder.id.startsWith("workers-ai:")) return vectorizeIndex(env.CODE_VECTORS);
  return d1VectorIndex(env.DB);
}
