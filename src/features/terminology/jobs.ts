import { logError } from "../../platform/logging";
import { terminologyDeps } from "./deps";
import { processUpload } from "./process-upload";
import { purgeSetWithVectors } from "./purge-code-set";
import { embedCodes, markVectorsReady, releaseVectorBuild } from "./semantic-index";

/** Message types of the JOBS queue that belong to the terminology service. */
export const TERMINOLOGY_JOB_TYPES = ["terminology.process", "terminology.embed", "terminology.purge"] as const;

/** Codes embedded per `terminology.embed` message (a large set continues in follow-up messages). */
const EMBED_BUDGET = 5000;

export interface TerminologyJob {
  type: string;
  setId?: unknown;
  systemId?: unknown;
  afterId?: unknown;
}

async function continueEmbedding(env: Env, setId: number, afterId: number): Promise<void> {
  const deps = terminologyDeps(env);
  const set = await deps.db
    .prepare("SELECT system_id, max_code_id, state, vectors_state, vectors_embedder FROM code_sets WHERE id = ?1")
    .bind(setId)
    .first<{
      system_id: string;
      max_code_id: number | null;
      state: string;
      vectors_state: string | null;
      vectors_embedder: string | null;
    }>();
  // Gone, retired, or claimed for another embedder since: nothing to do.
  if (set?.state !== "active" || set.vectors_state !== "building" || set.vectors_embedder !== deps.embedder.id) return;
  try {
    const p = await embedCodes(
      deps,
      { systemId: set.system_id, setId, maxId: set.max_code_id ?? 0 },
      afterId,
      EMBED_BUDGET,
    );
    if (p.done) await markVectorsReady(deps.db, setId, deps.embedder.id);
    else await deps.jobs.send({ type: "terminology.embed", setId, afterId: p.lastId });
  } catch (e) {
    logError(`terminology:embed:${setId}`, e);
    await releaseVectorBuild(deps.db, setId);
  }
}

/**
 * The JOBS queue consumer's entry for terminology messages (see TERMINOLOGY_JOB_TYPES):
 * `terminology.process` {setId} processes an upload, `terminology.embed` {setId, afterId} builds a
 * large set's vectors page by page, `terminology.purge` {setId, systemId} deletes a retired set.
 * Throws only on transient errors worth a retry.
 */
export async function handleTerminologyJob(env: Env, message: TerminologyJob): Promise<void> {
  const setId = Number(message.setId);
  if (!Number.isInteger(setId) || setId <= 0) return;
  switch (message.type) {
    case "terminology.process":
      return processUpload(terminologyDeps(env), setId);
    case "terminology.embed":
      return continueEmbedding(env, setId, Number(message.afterId) || 0);
    case "terminology.purge":
      if (typeof message.systemId === "string")
        await purgeSetWithVectors(terminologyDeps(env), setId, message.systemId);
      return;
  }
}
