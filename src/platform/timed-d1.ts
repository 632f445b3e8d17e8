import type { ServerTiming } from "./server-timing";

/**
 * A D1Database that reports every round trip (a statement's first/all/run/raw, a batch, an exec) to the
 * request's ServerTiming, so `Server-Timing: d1;dur=..;desc="N round trips, M statements"` shows how
 * many times a request went to the database and how many statements it ran (D1 caps the queries of one
 * Worker invocation: 1,000 on Workers Paid). Statements are the real D1 objects with their methods
 * wrapped in place, so `batch()` still receives genuine D1PreparedStatements.
 */
export function timedD1(db: D1Database, timing: ServerTiming): D1Database {
  const wrap = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const { bind, first, run, all, raw } = stmt;
    return Object.assign(stmt, {
      bind: (...values: unknown[]) => wrap(bind.apply(stmt, values)),
      first: (...args: unknown[]) => timing.d1(Reflect.apply(first, stmt, args)),
      run: () => timing.d1(run.call(stmt)),
      all: () => timing.d1(all.call(stmt)),
      raw: (...args: unknown[]) => timing.d1(Reflect.apply(raw, stmt, args)),
    });
  };
  const timed: Pick<D1Database, "prepare" | "batch" | "exec" | "withSession" | "dump"> = {
    prepare: (query) => wrap(db.prepare(query)),
    batch: (statements) => timing.d1(db.batch(statements), statements.length),
    exec: (query) => timing.d1(db.exec(query)),
    // Sessions (read replication) are passed through untimed.
    withSession: (constraint) => db.withSession(constraint),
    dump: () => db.dump(),
  };
  return timed as D1Database;
}
