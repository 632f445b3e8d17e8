import type { AuthedCtx } from "../../context";
import { errors } from "../../platform/errors";
import { activeSetSql, resolvedFrom, resolveWith, systemRef, visibleSystemsStatement } from "./code-systems";
import { depsOf } from "./deps";
import { codeKey, normalizeSystemName } from "./text";

export interface CodeDetail {
  system: { name: string; version: string };
  code: string;
  description: string;
  definition?: string;
}

type Row = { code: string; description: string; definition: string | null };

/** What a lookup reads: the system (visible to `orgId`) and the codes with the wanted key. */
export interface CodeLookup {
  orgId: string;
  /** Normalized system name. */
  name: string;
  version: string | undefined;
  key: string;
}

/** The request's lookup, or null when the code id is empty (400 in getCode). */
export function codeLookup(
  orgId: string,
  rawName: string,
  code: string,
  version: string | undefined,
): CodeLookup | null {
  const key = codeKey(code.trim());
  return key ? { orgId, name: normalizeSystemName(rawName), version, key } : null;
}

/** The code query of a lookup (the system lookup is visibleSystemsStatement). */
function codeStatement(db: D1Database, l: CodeLookup): D1PreparedStatement {
  return db
    .prepare(
      `SELECT code, description, definition FROM codes
       WHERE set_id = ${activeSetSql({ name: 1, org: 2, version: 3 })} AND code_key = ?4 LIMIT 10`,
    )
    .bind(l.name, l.orgId, l.version ?? null, l.key);
}

/** Both statements of a lookup, in resolveWith's order (one D1 batch). */
export function lookupStatements(db: D1Database, l: CodeLookup): D1PreparedStatement[] {
  return [visibleSystemsStatement(db, l.orgId, l.name), codeStatement(db, l)];
}

/** A lookup already run (code-prefetch.ts: in the credential check's batch). */
export interface PrefetchedLookup {
  lookup: CodeLookup;
  results?: D1Result[];
}

const sameLookup = (a: CodeLookup, b: CodeLookup) =>
  a.orgId === b.orgId && a.name === b.name && a.version === b.version && a.key === b.key;

/**
 * Seed 004 `construe_lookup`. Codes match case- and dot-insensitively (`E1165` = `E11.65`); when
 * several codes share that key (custom systems), the exact spelling wins. One round trip: the system
 * and code lookups in the same batch, or none when `prefetched` ran this very lookup for this caller.
 */
export async function getCode({
  ctx,
  input,
}: {
  ctx: AuthedCtx;
  input: { name: string; code: string; version?: string; prefetched?: PrefetchedLookup };
}): Promise<CodeDetail> {
  const { db } = depsOf(ctx);
  const wanted = input.code.trim();
  const lookup = codeLookup(ctx.principal.orgId, input.name, wanted, input.version);
  if (!lookup) throw errors.invalid("Invalid code ID", { code: "invalid_code" });
  const p = input.prefetched;
  const {
    system: s,
    rows: [results],
  } =
    p?.results && sameLookup(p.lookup, lookup)
      ? resolvedFrom<[Row]>(p.results, lookup.name, lookup.version)
      : await resolveWith<[Row]>(db, lookup.orgId, input.name, input.version, () => [codeStatement(db, lookup)]);
  const row =
    results.find((r) => r.code === wanted) ??
    results.find((r) => r.code.toUpperCase() === wanted.toUpperCase()) ??
    results[0];
  if (!row) throw errors.notFound(`Code '${wanted}' not found in ${s.name} ${s.version}`, { code: "code_not_found" });
  return {
    system: systemRef(s),
    code: row.code,
    description: row.description,
    ...(row.definition ? { definition: row.definition } : {}),
  };
}
