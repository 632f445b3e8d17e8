/**
 * Loads a release into a builtin code system: a new generation is filled while readers keep the
 * current one, its local vectors are built, then one batch switches readers over and the previous
 * generation is purged (the same steps as the Worker's upload consumer).
 */
import { builtinSystemId } from "../../src/features/terminology/catalog";
import {
  activateCodeSet,
  CodeSetWriter,
  createCodeSet,
  purgeCodeSet,
  type WrittenSet,
} from "../../src/features/terminology/code-set-writer";
import type { CodeRecord } from "../../src/features/terminology/importers/types";
import { embedCodes, markVectorsReady, vectorNamespace } from "../../src/features/terminology/semantic-index";
import { type SqlExecutor, sql } from "../../src/features/terminology/sql-executor";
import { normalizeSystemName } from "../../src/features/terminology/text";
import { d1VectorIndex } from "../../src/ports/local/d1-vector-index";
import { lexicalEmbedder } from "../../src/ports/local/lexical-embedder";

export interface LoadOptions {
  exec: SqlExecutor;
  /** The local D1 binding: when given, the set's vectors for local semantic search are built too. */
  db?: D1Database;
  system: string;
  version: string;
  records: AsyncIterable<CodeRecord>;
  chunkBytes?: number;
  onCodes?: (count: number) => void;
  onPhase?: (phase: string) => void;
}

export interface LoadResult {
  systemId: string;
  written: WrittenSet;
  vectors: number;
  seconds: { codes: number; vectors: number; total: number };
}

const now = () => new Date().toISOString();

async function ensureSystem(exec: SqlExecutor, name: string, version: string): Promise<string> {
  const row = await exec.first<{ id: string }>(
    "SELECT id FROM code_systems WHERE org_id IS NULL AND name = ?1 AND version = ?2",
    [name, version],
  );
  if (row) return row.id;
  const id = builtinSystemId(name, version);
  const at = now();
  await exec.batch([
    sql(
      `INSERT INTO code_systems (id, org_id, name, version, builtin, status, code_count, created_at, updated_at)
       VALUES (?1, NULL, ?2, ?3, 1, 'processing', 0, ?4, ?4)`,
      id,
      name,
      version,
      at,
    ),
  ]);
  return id;
}

export async function loadRelease(o: LoadOptions): Promise<LoadResult> {
  const started = performance.now();
  const name = normalizeSystemName(o.system);
  const systemId = await ensureSystem(o.exec, name, o.version);
  const vectors = o.db ? d1VectorIndex(o.db) : null;
  const ns = vectorNamespace(systemId);
  const dropVectors = vectors ? (ids: number[]) => vectors.deleteByIds(ns, ids.map(String)) : undefined;

  // Leftovers of an interrupted import of this system.
  const stale = await o.exec.all<{ id: number }>(
    "SELECT id FROM code_sets WHERE system_id = ?1 AND state IN ('loading', 'failed', 'retired')",
    [systemId],
  );
  for (const s of stale) await purgeCodeSet(o.exec, s.id, dropVectors);

  const setId = await createCodeSet(o.exec, systemId);
  try {
    o.onPhase?.("codes");
    const writer = new CodeSetWriter(o.exec, setId, { chunkBytes: o.chunkBytes });
    for await (const r of o.records) {
      await writer.add(r);
      if (writer.count % 1000 === 0) o.onCodes?.(writer.count);
    }
    o.onCodes?.(writer.count);
    const written = await writer.finish();
    if (written.count === 0) throw new Error("the release contains no codes");
    const codesDone = performance.now();

    let embedded = 0;
    if (o.db && vectors) {
      o.onPhase?.("vectors");
      const embedder = lexicalEmbedder();
      const p = await embedCodes(
        { db: o.db, embedder, vectors },
        { systemId, setId, maxId: written.maxId ?? 0 },
        0,
        Number.POSITIVE_INFINITY,
        2000,
      );
      embedded = p.embedded;
      await markVectorsReady(o.db, setId, embedder.id);
    }
    const vectorsDone = performance.now();

    o.onPhase?.("activate");
    if (!(await activateCodeSet(o.exec, systemId, setId)))
      throw new Error(`code system ${name} ${o.version} disappeared during the import`);
    const retired = await o.exec.all<{ id: number }>(
      "SELECT id FROM code_sets WHERE system_id = ?1 AND state = 'retired'",
      [systemId],
    );
    for (const s of retired) await purgeCodeSet(o.exec, s.id, dropVectors);
    const end = performance.now();
    return {
      systemId,
      written,
      vectors: embedded,
      seconds: {
        codes: (codesDone - started) / 1000,
        vectors: (vectorsDone - codesDone) / 1000,
        total: (end - started) / 1000,
      },
    };
  } catch (e) {
    await o.exec.batch([
      sql("UPDATE code_sets SET state = 'failed' WHERE id = ?1", setId),
      sql(
        "UPDATE code_systems SET status = 'failed', failure_reason = ?2, updated_at = ?3 WHERE id = ?1 AND active_set IS NULL",
        systemId,
        `import failed: ${(e as Error).message}`,
        now(),
      ),
    ]);
    await purgeCodeSet(o.exec, setId, dropVectors);
    throw e;
  }
}
