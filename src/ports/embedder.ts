import { workersAiEmbedder } from "./cloudflare/workers-ai-embedder";
import { lexicalEmbedder } from "./local/lexical-embedder";

/**
 * Turns texts into vectors for semantic code search. Production: Workers AI (bge); local dev,
 * tests and offline deployments: a deterministic lexical embedding (docs/architecture.md, "Ports").
 */
export interface Embedder {
  /** Identifies model and settings: vectors of different embedders are never compared. */
  readonly id: string;
  readonly dimensions: number;
  /** Most texts one `embed` call accepts. */
  readonly maxBatch: number;
  /**
   * Unit-length vectors, one per text. `document` texts may put the main name on the first line
   * and alternative names on the following lines.
   */
  embed(texts: string[], kind: "query" | "document"): Promise<Float32Array[]>;
}

/** Workers AI when configured (`EMBEDDER_PROVIDER=workers-ai` and an `AI` binding), else the local embedder. */
export function createEmbedder(env: Pick<Env, "AI" | "EMBEDDER_PROVIDER">): Embedder {
  if (env.EMBEDDER_PROVIDER === "workers-ai" && env.AI) return workersAiEmbedder(env.AI);
  return lexicalEmbedder();
}
