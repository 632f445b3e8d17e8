import { nowIso } from "../../platform/clock";
import { logError, logEvent } from "../../platform/logging";
import { activateCodeSet, CodeSetWriter, purgeCodeSet } from "./code-set-writer";
import type { TerminologyDeps } from "./deps";
import { type CodeRecord, ImportFormatError } from "./importers/types";
import { purgeSetWithVectors, purgeStaleSets } from "./purge-code-set";
import { embedCodes, markVectorsReady, vectorNamespace } from "./semantic-index";
import { d1Executor } from "./sql-executor";

/** A consumer that died holding a set is presumed gone after this long; a redelivery takes over. */
const LEASE_MS = 10 * 60 * 1000;

interface LoadingSet {
  id: number;
  system_id: string;
  source_key: string | null;
}

async function claim(db: D1Database, setId: number): Promise<LoadingSet | null> {
  const now = Date.now();
  return db
    .prepare(
      `UPDATE code_sets SET claimed_at = ?2
       WHERE id = ?1 AND state = 'loading' AND (claimed_at IS NULL OR claimed_at < ?3)
       RETURNING id, system_id, source_key`,
    )
    .bind(setId, new Date(now).toISOString(), new Date(now - LEASE_MS).toISOString())
    .first<LoadingSet>();
}

async function fail(deps: TerminologyDeps, set: LoadingSet, reason: string): Promise<void> {
  await deps.db.batch([
    deps.db
      .prepare("UPDATE code_systems SET status = 'failed', failure_reason = ?2, updated_at = ?3 WHERE id = ?1")
      .bind(set.system_id, reason, nowIso()),
    deps.db.prepare("UPDATE code_sets SET state = 'failed' WHERE id = ?1").bind(set.id),
  ]);
  await purgeSetWithVectors(deps, set.id, set.system_id);
}

/**
 * Queue job `terminology.process` (after POST /construe/upload): loads the validated codes from R2
 * into the set, builds its vectors, then activates it in one batch (status → `ready`, the previous
 * generation retired and purged). Any failure marks the system `failed` with the reason.
 * Redelivered messages are harmless: the set is claimed with a lease and handled once.
 */
export async function processUpload(deps: TerminologyDeps, setId: number): Promise<void> {
  const set = await claim(deps.db, setId);
  if (!set) return;
  const exec = d1Executor(deps.db);
  try {
    if (!set.source_key) throw new ImportFormatError("the upload has no stored payload");
    const obj = await deps.blobs.get(set.source_key);
    if (!obj) throw new ImportFormatError("the uploaded file is no longer stored; upload it again");
    const codes = (await obj.json()) as CodeRecord[];
    // A previous attempt may have written part of the set.
    await purgeCodeSet(
      exec,
      set.id,
      (ids) => deps.vectors.deleteByIds(vectorNamespace(set.system_id), ids.map(String)),
      {
        keepSet: true,
      },
    );
    const writer = new CodeSetWriter(exec, set.id);
    for (const c of codes) await writer.add(c);
    const written = await writer.finish();
    await embedCodes(deps, { systemId: set.system_id, setId: set.id, maxId: written.maxId ?? 0 }, 0);
    await markVectorsReady(deps.db, set.id, deps.embedder.id);
    if (!(await activateCodeSet(exec, set.system_id, set.id))) {
      // Deleted while processing: nothing may stay behind.
      await purgeSetWithVectors(deps, set.id, set.system_id);
      return;
    }
    await purgeStaleSets(deps, set.system_id);
    await deps.blobs.delete(set.source_key);
    logEvent("terminology_upload_ready", { systemId: set.system_id, setId: set.id, codes: written.count });
  } catch (e) {
    const reason =
      e instanceof ImportFormatError
        ? e.message
        : "indexing or embedding failed; upload again with replace: true to retry";
    if (!(e instanceof ImportFormatError)) logError(`terminology:set:${set.id}`, e);
    await fail(deps, set, reason);
  }
}
