import { nowIso } from "../../platform/clock";
import { type CodeRecord, ImportFormatError } from "./importers/types";
import { type SqlExecutor, type SqlStatement, sql } from "./sql-executor";
import { codeKey, words } from "./text";

/** JSON parameter size per INSERT: under D1's 1 MB value limit with room for escaping. */
const CHUNK_BYTES = 400_000;
/** INSERT statements sent per round trip (each one is its own json_each bulk insert). */
const STATEMENTS_PER_BATCH = 4;
const TERMS_PER_STATEMENT = 4000;

const INSERT_CODES = `
  INSERT INTO codes (set_id, code, code_key, description, definition, synonyms, parents, active)
  SELECT ?1, j.value ->> '$[0]', j.value ->> '$[1]', j.value ->> '$[2]', j.value ->> '$[3]',
         j.value ->> '$[4]', j.value ->> '$[5]', j.value ->> '$[6]'
  FROM json_each(?2) j`;

export interface WrittenSet {
  setId: number;
  count: number;
  minId: number | null;
  maxId: number | null;
}

/** A new, not yet visible generation of a system's codes (`code_sets.state = 'loading'`). */
export async function createCodeSet(
  exec: SqlExecutor,
  systemId: string,
  sourceKey: string | null = null,
): Promise<number> {
  const row = await exec.first<{ id: number }>(
    "INSERT INTO code_sets (system_id, state, source_key, created_at) VALUES (?1, 'loading', ?2, ?3) RETURNING id",
    [systemId, sourceKey, nowIso()],
  );
  if (!row) throw new Error("could not create a code set");
  return row.id;
}

/**
 * Streams code records into a loading set: validates them (non-empty code and description, no
 * duplicate code), bulk-inserts through `json_each` in chunks (the FTS5 indexes follow through
 * triggers) and collects the set's vocabulary for typo correction.
 */
export class CodeSetWriter {
  private rows: unknown[][] = [];
  private bytes = 0;
  private pending: SqlStatement[] = [];
  private readonly codes = new Set<string>();
  private readonly terms = new Set<string>();
  count = 0;

  private readonly chunkBytes: number;

  /** `chunkBytes`: JSON size per INSERT (SQL files sent to a remote D1 must keep statements under 100 KB). */
  constructor(
    private readonly exec: SqlExecutor,
    readonly setId: number,
    options: { chunkBytes?: number } = {},
  ) {
    this.chunkBytes = options.chunkBytes ?? CHUNK_BYTES;
  }

  async add(r: CodeRecord): Promise<void> {
    const code = r.code.trim();
    const description = r.description.replace(/\s+/g, " ").trim();
    if (!code) throw new ImportFormatError(`record ${this.count + 1}: empty code`);
    if (!description) throw new ImportFormatError(`code '${code}' has an empty description`);
    if (this.codes.has(code)) throw new ImportFormatError(`duplicate code '${code}'`);
    this.codes.add(code);
    for (const w of words(description)) this.terms.add(w);
    if (r.synonyms) for (const syn of r.synonyms) for (const w of words(syn)) this.terms.add(w);
    const definition = r.definition?.trim() || null;
    const synonyms = r.synonyms?.length ? JSON.stringify(r.synonyms) : null;
    const parents = r.parents?.length ? JSON.stringify(r.parents) : null;
    this.rows.push([code, codeKey(code), description, definition, synonyms, parents, r.active === false ? 0 : 1]);
    // Estimate of the JSON size (escapes may add a little: the chunk limit leaves room).
    this.bytes +=
      2 * code.length +
      description.length +
      (definition?.length ?? 0) +
      (synonyms?.length ?? 0) +
      (parents?.length ?? 0) +
      40;
    this.count++;
    if (this.bytes >= this.chunkBytes) await this.flushRows();
  }

  private async flushRows(force = false): Promise<void> {
    if (this.rows.length > 0) {
      this.pending.push(sql(INSERT_CODES, this.setId, JSON.stringify(this.rows)));
      this.rows = [];
      this.bytes = 0;
    }
    if (this.pending.length >= STATEMENTS_PER_BATCH || (force && this.pending.length > 0)) {
      const stmts = this.pending;
      this.pending = [];
      await this.exec.batch(stmts);
    }
  }

  /** Writes what is buffered plus the vocabulary, and records count and rowid range on the set. */
  async finish(): Promise<WrittenSet> {
    await this.flushRows(true);
    const terms = [...this.terms];
    const stmts: SqlStatement[] = [];
    for (let i = 0; i < terms.length; i += TERMS_PER_STATEMENT) {
      stmts.push(
        sql(
          "INSERT OR IGNORE INTO code_terms (set_id, term) SELECT ?1, value FROM json_each(?2)",
          this.setId,
          JSON.stringify(terms.slice(i, i + TERMS_PER_STATEMENT)),
        ),
      );
      if (stmts.length === STATEMENTS_PER_BATCH) await this.exec.batch(stmts.splice(0));
    }
    stmts.push(
      sql(
        `UPDATE code_sets SET (code_count, min_code_id, max_code_id) =
           (SELECT count(*), min(id), max(id) FROM codes WHERE set_id = ?1)
         WHERE id = ?1`,
        this.setId,
      ),
    );
    await this.exec.batch(stmts);
    const row = await this.exec.first<{ count: number; minId: number | null; maxId: number | null }>(
      "SELECT code_count AS count, min_code_id AS minId, max_code_id AS maxId FROM code_sets WHERE id = ?1",
      [this.setId],
    );
    return { setId: this.setId, count: row?.count ?? 0, minId: row?.minId ?? null, maxId: row?.maxId ?? null };
  }
}

/**
 * Makes a loaded set the one readers see, in one transaction: the system points at it (readers
 * switch from the old to the new generation at once), the previous active set is retired (purged
 * afterwards). Returns false when the system no longer exists (deleted meanwhile).
 */
export async function activateCodeSet(exec: SqlExecutor, systemId: string, setId: number): Promise<boolean> {
  const at = nowIso();
  const changes = await exec.batch([
    sql(
      "UPDATE code_sets SET state = 'retired' WHERE system_id = ?1 AND state = 'active' AND id <> ?2",
      systemId,
      setId,
    ),
    sql("UPDATE code_sets SET state = 'active', activated_at = ?2 WHERE id = ?1", setId, at),
    sql(
      `UPDATE code_systems SET active_set = ?2, status = 'ready', failure_reason = NULL, updated_at = ?3,
         code_count = (SELECT code_count FROM code_sets WHERE id = ?2)
       WHERE id = ?1`,
      systemId,
      setId,
      at,
    ),
  ]);
  return (changes[2] ?? 0) > 0;
}

const PURGE_CHUNK = 2000;

/**
 * Deletes a set's codes (and their FTS rows, through the trigger), vocabulary and the set itself,
 * in chunks that keep each statement short. `beforeDelete` receives the row ids of each chunk
 * first (to drop their vectors from the semantic index).
 */
export async function purgeCodeSet(
  exec: SqlExecutor,
  setId: number,
  beforeDelete?: (ids: number[]) => Promise<void>,
  options: { keepSet?: boolean } = {},
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const rows = await exec.all<{ id: number }>("SELECT id FROM codes WHERE set_id = ?1 LIMIT ?2", [
      setId,
      PURGE_CHUNK,
    ]);
    if (rows.length === 0) break;
    const ids = rows.map((r) => r.id);
    if (beforeDelete) await beforeDelete(ids);
    await exec.batch([sql("DELETE FROM codes WHERE id IN (SELECT value FROM json_each(?1))", JSON.stringify(ids))]);
    deleted += ids.length;
  }
  for (;;) {
    const [n] = await exec.batch([
      sql(
        "DELETE FROM code_terms WHERE set_id = ?1 AND term IN (SELECT term FROM code_terms WHERE set_id = ?1 LIMIT ?2)",
        setId,
        TERMS_PER_STATEMENT,
      ),
    ]);
    if (!n) break;
  }
  if (!options.keepSet) await exec.batch([sql("DELETE FROM code_sets WHERE id = ?1", setId)]);
  return deleted;
}
