import type { VerbCtx } from "../../context";
import { createEmbedder, type Embedder } from "../../ports/embedder";
import { createVectorIndex, type VectorIndex } from "../../ports/vector-index";

/** What the terminology service touches: D1, R2 (upload payloads), the JOBS queue and the semantic ports. */
export interface TerminologyDeps {
  db: D1Database;
  blobs: R2Bucket;
  jobs: Queue;
  embedder: Embedder;
  vectors: VectorIndex;
}

const byEnv = new WeakMap<object, TerminologyDeps>();

/** Ports are chosen from the bindings present (docs/architecture.md, "Ports and adapters"). */
export function terminologyDeps(env: Env): TerminologyDeps {
  let deps = byEnv.get(env);
  if (!deps) {
    const embedder = createEmbedder(env);
    deps = { db: env.DB, blobs: env.BLOBS, jobs: env.JOBS, embedder, vectors: createVectorIndex(env, embedder) };
    byEnv.set(env, deps);
  }
  return deps;
}

/**
 * A request's deps: D1 through the request's services, so its round trips show in Server-Timing
 * (platform/timed-d1.ts); queue jobs, with no request, use `terminologyDeps` directly.
 */
export const depsOf = (ctx: VerbCtx): TerminologyDeps => ({
  ...terminologyDeps(ctx.services.env),
  db: ctx.services.db,
});
