import { errors } from "../../platform/errors";
import { normalizeSystemName } from "./text";

export type SystemStatus = "processing" | "ready" | "failed";

export interface SystemRow {
  id: string;
  org_id: string | null;
  name: string;
  version: string;
  builtin: number;
  status: SystemStatus;
  failure_reason: string | null;
  code_count: number;
  active_set: number | null;
  created_at: string;
  updated_at: string;
}

/** A system with the generation readers use (null columns when nothing is active yet). */
export interface ResolvedSystem extends SystemRow {
  min_code_id: number | null;
  max_code_id: number | null;
  set_code_count: number | null;
  vectors_state: "building" | "ready" | null;
  vectors_embedder: string | null;
}

const SELECT_RESOLVED = `
  SELECT s.*, cs.min_code_id, cs.max_code_id, cs.code_count AS set_code_count, cs.vectors_state, cs.vectors_embedder
  FROM code_systems s LEFT JOIN code_sets cs ON cs.id = s.active_set`;

/** Builtin systems and the caller's own custom systems; other tenants' systems do not exist for it. */
export function visibleSystemsStatement(db: D1Database, orgId: string, name?: string): D1PreparedStatement {
  return name
    ? db
        .prepare(`${SELECT_RESOLVED} WHERE s.name = ?1 AND (s.org_id IS NULL OR s.org_id = ?2) ORDER BY s.version`)
        .bind(name, orgId)
    : db
        .prepare(
          `${SELECT_RESOLVED} WHERE s.org_id IS NULL OR s.org_id = ?1 ORDER BY s.builtin DESC, s.name, s.version`,
        )
        .bind(orgId);
}

export async function visibleSystems(db: D1Database, orgId: string, name?: string): Promise<ResolvedSystem[]> {
  const { results } = await visibleSystemsStatement(db, orgId, name).all<ResolvedSystem>();
  return results;
}

/**
 * One code system among the versions visible under a name. Seed 004: the version is "required if
 * multiple versions exist" → 400 naming them; unknown name or version → 404.
 */
export function pickSystem(rows: ResolvedSystem[], name: string, version?: string): ResolvedSystem {
  if (rows.length === 0) throw errors.notFound(`Code system '${name}' not found`, { code: "code_system_not_found" });
  if (version !== undefined) {
    const row = rows.find((r) => r.version === version);
    if (!row) {
      throw errors.notFound(
        `Code system '${name}' has no version '${version}' (versions: ${rows.map((r) => r.version).join(", ")})`,
        {
          code: "code_system_not_found",
        },
      );
    }
    return row;
  }
  if (rows.length > 1) {
    throw errors.invalid(
      `Code system '${name}' has several versions (${rows.map((r) => r.version).join(", ")}): pass ?version= to choose one`,
      { code: "version_required", details: { versions: rows.map((r) => r.version) } },
    );
  }
  return rows[0]!;
}

export async function resolveSystem(
  db: D1Database,
  orgId: string,
  rawName: string,
  version?: string,
): Promise<ResolvedSystem> {
  const name = normalizeSystemName(rawName);
  return pickSystem(await visibleSystems(db, orgId, name), name, version);
}

/**
 * SQL for the active set of the system a request names, as a scalar subquery over the numbered
 * parameters given: lets the codes query travel in the same D1 batch as the system lookup (one
 * round trip). When several versions match and none is named, `pickSystem` rejects the request
 * and the rows fetched alongside are ignored.
 */
export function activeSetSql(p: { name: number; org: number; version: number }): string {
  return `(SELECT active_set FROM code_systems WHERE name = ?${p.name} AND (org_id IS NULL OR org_id = ?${p.org})
           AND (?${p.version} IS NULL OR version = ?${p.version}) ORDER BY version LIMIT 1)`;
}

/**
 * Runs the system lookup and `more` statements (built over the same request) in one D1 batch,
 * then applies the version rules. Returns the system and the other statements' rows.
 */
export async function resolveWith<T extends unknown[]>(
  db: D1Database,
  orgId: string,
  rawName: string,
  version: string | undefined,
  more: (name: string) => D1PreparedStatement[],
): Promise<{ system: ResolvedSystem; rows: { [K in keyof T]: T[K][] } }> {
  const name = normalizeSystemName(rawName);
  return resolvedFrom<T>(await db.batch([visibleSystemsStatement(db, orgId, name), ...more(name)]), name, version);
}

/**
 * The system and rows of a resolveWith batch already run (`results[0]` from visibleSystemsStatement
 * for the normalized `name`, then the other statements'), e.g. sent with the credential check.
 */
export function resolvedFrom<T extends unknown[]>(
  results: D1Result[],
  name: string,
  version: string | undefined,
): { system: ResolvedSystem; rows: { [K in keyof T]: T[K][] } } {
  const [head, ...rest] = results;
  const system = pickSystem((head?.results ?? []) as ResolvedSystem[], name, version);
  return { system, rows: rest.map((r) => r.results) as { [K in keyof T]: T[K][] } };
}

/** `{ name, version }` as the seed's responses name a system. */
export const systemRef = (s: Pick<SystemRow, "name" | "version">) => ({ name: s.name, version: s.version });
