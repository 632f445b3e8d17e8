/**
 * The few SQL operations the code-set writer needs, so that the same writer fills D1 from the
 * Worker (queue consumer) and from the import CLI (local D1 through wrangler's platform proxy, or
 * the deployed D1 through `wrangler d1 execute --remote`).
 */
export interface SqlStatement {
  sql: string;
  params: unknown[];
}

export interface SqlExecutor {
  /** Runs the statements as one transaction; returns the rows changed by each. */
  batch(stmts: SqlStatement[]): Promise<number[]>;
  first<T>(sql: string, params?: unknown[]): Promise<T | null>;
  all<T>(sql: string, params?: unknown[]): Promise<T[]>;
}

export const sql = (text: string, ...params: unknown[]): SqlStatement => ({ sql: text, params });

export function d1Executor(db: D1Database): SqlExecutor {
  return {
    async batch(stmts) {
      if (stmts.length === 0) return [];
      const res = await db.batch(stmts.map((s) => db.prepare(s.sql).bind(...s.params)));
      return res.map((r) => r.meta.changes ?? 0);
    },
    first: (text, params = []) =>
      db
        .prepare(text)
        .bind(...params)
        .first(),
    async all<T>(text: string, params: unknown[] = []) {
      const { results } = await db
        .prepare(text)
        .bind(...params)
        .all<T>();
      return results;
    },
  };
}
