import { purgeCodeSet } from "./code-set-writer";
import type { TerminologyDeps } from "./deps";
import { vectorNamespace } from "./semantic-index";
import { d1Executor } from "./sql-executor";

/** Sets up to this size are purged inside the request; larger ones go to the JOBS queue. */
export const INLINE_PURGE_LIMIT = 20_000;

/**
 * R2 folder of the objects other features derive from one code set (e.g. the extraction dictionary).
 * A set's codes never change, so its id keys them; they go when the set is purged.
 */
export const codeSetArtifactPrefix = (setId: number): string => `code-sets/${setId}/`;

/** Removes a retired set: its vectors first (ids are the code row ids), then its rows and derived objects. */
export async function purgeSetWithVectors(deps: TerminologyDeps, setId: number, systemId: string): Promise<number> {
  const ns = vectorNamespace(systemId);
  const removed = await purgeCodeSet(d1Executor(deps.db), setId, (ids) =>
    deps.vectors.deleteByIds(ns, ids.map(String)),
  );
  await deleteArtifacts(deps.blobs, setId);
  return removed;
}

async function deleteArtifacts(blobs: R2Bucket, setId: number): Promise<void> {
  let cursor: string | undefined;
  do {
    const page = await blobs.list({ prefix: codeSetArtifactPrefix(setId), ...(cursor ? { cursor } : {}) });
    if (page.objects.length) await blobs.delete(page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
}

/** Purges now when small, else queues it (`terminology.purge`). */
export async function purgeOrQueue(
  deps: TerminologyDeps,
  set: { id: number; code_count: number },
  systemId: string,
): Promise<void> {
  if (set.code_count <= INLINE_PURGE_LIMIT) await purgeSetWithVectors(deps, set.id, systemId);
  else await deps.jobs.send({ type: "terminology.purge", setId: set.id, systemId });
}

/** Retired and failed sets of a system (left behind by a replace). */
export async function purgeStaleSets(deps: TerminologyDeps, systemId: string): Promise<void> {
  const { results } = await deps.db
    .prepare("SELECT id, code_count FROM code_sets WHERE system_id = ?1 AND state IN ('retired', 'failed')")
    .bind(systemId)
    .all<{ id: number; code_count: number }>();
  for (const set of results) await purgeOrQueue(deps, set, systemId);
}
