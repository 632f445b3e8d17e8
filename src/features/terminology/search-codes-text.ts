import type { AuthedCtx } from "../../context";
import { errors } from "../../platform/errors";
import { type ResolvedSystem, resolveSystem, resolveWith, systemRef } from "./code-systems";
import { depsOf } from "./deps";
import { normalizeSystemName } from "./text";
import { planTextSearch, type TextHit, textSearch } from "./text-search";

export const TEXT_DEFAULT_LIMIT = 20;
export const TEXT_MAX_LIMIT = 100;

/**
 * The generation last seen for a (tenant, name, version) in this isolate. Searches are planned
 * against it and sent in the same D1 batch as the system lookup (one round trip); when the lookup
 * shows another generation is active now, the search is planned again (a set's content never
 * changes, so a matching hint is always exact).
 */
const hints = new Map<string, ResolvedSystem>();
const MAX_HINTS = 256;

/**
 * Seed 004 `construe_searchText`: keyword search with code substrings, prefixes and typo tolerance.
 * Hearth indexes custom systems too (the seed's product answers them with empty results).
 */
export async function searchCodesText({
  ctx,
  input,
}: {
  ctx: AuthedCtx;
  input: { name: string; q: string; version?: string; limit?: number };
}): Promise<{ system: { name: string; version: string }; results: TextHit[]; found: number }> {
  const q = input.q.trim();
  if (!q) throw errors.invalid("Query parameter 'q' is required", { code: "missing_query" });
  if (q.length > 500)
    throw errors.invalid("Query parameter 'q' is longer than 500 characters", { code: "invalid_query" });
  const limit = input.limit ?? TEXT_DEFAULT_LIMIT;
  const { db } = depsOf(ctx);
  const orgId = ctx.principal.orgId;
  const key = `${orgId}\u0000${normalizeSystemName(input.name)}\u0000${input.version ?? ""}`;

  const hint = hints.get(key);
  if (hint?.active_set != null && hint.min_code_id !== null) {
    const plan = await planTextSearch(db, hint, q, limit);
    const { system, rows } = await resolveWith<unknown[]>(db, orgId, input.name, input.version, () => plan.statements);
    if (system.active_set === hint.active_set) {
      const result = plan.assemble(rows, true) ?? (await textSearch(db, system, q, limit, "any"));
      return { system: systemRef(system), ...result };
    }
  }
  const system = await resolveSystem(db, orgId, input.name, input.version);
  hints.delete(key);
  hints.set(key, system);
  if (hints.size > MAX_HINTS) hints.delete(hints.keys().next().value!);
  return { system: systemRef(system), ...(await textSearch(db, system, q, limit)) };
}
