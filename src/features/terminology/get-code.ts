import type { AuthedCtx } from "../../context";
import { errors } from "../../platform/errors";
import { activeSetSql, resolveWith, systemRef } from "./code-systems";
import { depsOf } from "./deps";
import { codeKey } from "./text";

export interface CodeDetail {
  system: { name: string; version: string };
  code: string;
  description: string;
  definition?: string;
}

/**
 * Seed 004 `construe_lookup`. Codes match case- and dot-insensitively (`E1165` = `E11.65`); when
 * several codes share that key (custom systems), the exact spelling wins.
 */
export async function getCode({
  ctx,
  input,
}: {
  ctx: AuthedCtx;
  input: { name: string; code: string; version?: string };
}): Promise<CodeDetail> {
  const { db } = depsOf(ctx);
  const wanted = input.code.trim();
  const key = codeKey(wanted);
  if (!key) throw errors.invalid("Invalid code ID", { code: "invalid_code" });
  type Row = { code: string; description: string; definition: string | null };
  // One round trip: the system lookup and the code lookup in the same batch.
  const {
    system: s,
    rows: [results],
  } = await resolveWith<[Row]>(db, ctx.principal.orgId, input.name, input.version, (name) => [
    db
      .prepare(
        `SELECT code, description, definition FROM codes
         WHERE set_id = ${activeSetSql({ name: 1, org: 2, version: 3 })} AND code_key = ?4 LIMIT 10`,
      )
      .bind(name, ctx.principal.orgId, input.version ?? null, key),
  ]);
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
