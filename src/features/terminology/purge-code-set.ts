import { purgeCodeSet } from "./code-set-writer";
import type { TerminologyDeps } from "./deps";
import { vectorNamespace } from "./semantic-index";
import { d1Executor } from "./sql-executor";

/** Sets up to this size are purged inside the request; larger ones go to the JOBS queue. */
export const INLINE_PURGE_LIMIT = 20_000;

/** Removes a retired set: its vectors first (ids are the code row ids), then its rows. */
export function purgeSetWithVectors(deps: TerminologyDeps, setId: number, systemId: string): Promise<number> {
  const ns = vectorNamespace(systemId);
  return purgeCodeSet(d1Executor(deps.db), setId, (ids) => deps.vectors.deleteByIds(ns, ids.map(String)));
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
