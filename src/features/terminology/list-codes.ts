import type { AuthedCtx } from "../../context";
import { errors } from "../../platform/errors";
import { activeSetSql, resolveWith, systemRef } from "./code-systems";
import { depsOf } from "./deps";

export const LIST_DEFAULT_LIMIT = 20;
export const LIST_MAX_LIMIT = 1000;

export interface ListedCode {
  code: string;
  description: string;
  definition?: string;
}

/** Opaque keyset cursor: the (key, code) of the last row returned, base64url-encoded. */
function encodeCursor(key: string, code: string): string {
  const bytes = new TextEncoder().encode(JSON.stringify([key, code]));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const b64 = cursor.replace(/-/g, "+").replace(/_/g, "/");
    const bin = atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, "="));
    const value = JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)))) as unknown;
    if (Array.isArray(value) && value.length === 2 && typeof value[0] === "string" && typeof value[1] === "string") {
      return [value[0], value[1]];
    }
  } catch {
    // fall through to the 400 below
  }
  throw errors.invalid("Invalid cursor: pass next_cursor from a previous page unchanged", { code: "invalid_cursor" });
}

/**
 * Seed 004 `construe_listCodes`: codes in code order, keyset-paged. A cursor names the last code
 * seen (not an offset), so pages never skip or repeat codes while other systems are uploaded.
 */
export async function listCodes({
  ctx,
  input,
}: {
  ctx: AuthedCtx;
  input: { name: string; version?: string; cursor?: string; limit?: number };
}): Promise<{
  system: { name: string; version: string };
  codes: ListedCode[];
  next_cursor: string | null;
  has_more: boolean;
}> {
  const { db } = depsOf(ctx);
  const limit = input.limit ?? LIST_DEFAULT_LIMIT;
  const after = input.cursor ? decodeCursor(input.cursor) : null;
  type Row = { code: string; code_key: string; description: string; definition: string | null };
  const set = activeSetSql({ name: 1, org: 2, version: 3 });
  // One round trip: the system lookup and the page in the same batch.
  const {
    system: s,
    rows: [results],
  } = await resolveWith<[Row]>(db, ctx.principal.orgId, input.name, input.version, (name) => [
    after
      ? db
          .prepare(
            `SELECT code, code_key, description, definition FROM codes
             WHERE set_id = ${set} AND (code_key, code) > (?4, ?5) ORDER BY code_key, code LIMIT ?6`,
          )
          .bind(name, ctx.principal.orgId, input.version ?? null, after[0], after[1], limit + 1)
      : db
          .prepare(
            `SELECT code, code_key, description, definition FROM codes WHERE set_id = ${set} ORDER BY code_key, code LIMIT ?4`,
          )
          .bind(name, ctx.principal.orgId, input.version ?? null, limit + 1),
  ]);
  if (s.active_set === null) return { system: systemRef(s), codes: [], next_cursor: null, has_more: false };
  const page = results.slice(0, limit);
  const hasMore = results.length > limit;
  const last = page[page.length - 1];
  return {
    system: systemRef(s),
    codes: page.map((r) => ({
      code: r.code,
      description: r.description,
      ...(r.definition ? { definition: r.definition } : {}),
    })),
    next_cursor: hasMore && last ? encodeCursor(last.code_key, last.code) : null,
    has_more: hasMore,
  };
}
