import type { AuthedCtx } from "../../context";
import { errors } from "../../platform/errors";
import { logError } from "../../platform/logging";
import { synonymExpansions } from "../../ports/local/lexical-embedder";
import { type ResolvedSystem, resolveSystem, systemRef } from "./code-systems";
import { depsOf, type TerminologyDeps } from "./deps";
import {
  claimVectorBuild,
  embedCodes,
  INLINE_BUILD_LIMIT,
  markVectorsReady,
  releaseVectorBuild,
  vectorNamespace,
} from "./semantic-index";
import { type TextHit, textSearch } from "./text-search";

export const SEMANTIC_DEFAULT_LIMIT = 10;
export const SEMANTIC_MAX_LIMIT = 50;

/**
 * Makes sure the active set has vectors from the current embedder. Small sets (the starter content,
 * most custom systems) are embedded right here; larger ones are handed to the queue consumer and
 * answered lexically until their vectors are ready.
 */
async function ensureVectors(deps: TerminologyDeps, s: ResolvedSystem): Promise<boolean> {
  if (s.vectors_state === "ready" && s.vectors_embedder === deps.embedder.id) return true;
  const setId = s.active_set!;
  const count = s.set_code_count ?? 0;
  if (count <= INLINE_BUILD_LIMIT) {
    // Idempotent: concurrent requests may both build; upserts of the same ids agree.
    await embedCodes(deps, { systemId: s.id, setId, maxId: s.max_code_id ?? 0 }, 0);
    await markVectorsReady(deps.db, setId, deps.embedder.id);
    return true;
  }
  if (await claimVectorBuild(deps.db, setId, deps.embedder.id)) {
    try {
      await deps.jobs.send({ type: "terminology.embed", setId, afterId: 0 });
    } catch (e) {
      await releaseVectorBuild(deps.db, setId);
      throw e;
    }
  }
  return false;
}

/** Keyword search widened with the clinical synonyms of the query (stands in while vectors build). */
async function lexicalFallback(
  deps: TerminologyDeps,
  s: ResolvedSystem,
  text: string,
  limit: number,
): Promise<TextHit[]> {
  const query = [text, ...synonymExpansions(text)].join(" ");
  return (await textSearch(deps.db, s, query, limit, "any")).results;
}

/**
 * Seed 004 `construe_searchSemantic`: codes ordered by similarity of meaning, through the Embedder
 * and VectorIndex ports (Workers AI + Vectorize in production, the lexical embedder + D1 locally).
 */
export async function searchCodesSemantic({
  ctx,
  input,
}: {
  ctx: AuthedCtx;
  input: { name: string; text: string; version?: string; limit?: number };
}): Promise<{ system: { name: string; version: string }; results: TextHit[] }> {
  const text = input.text.trim();
  if (!text) throw errors.invalid("Query parameter 'text' is required", { code: "missing_query" });
  if (text.length > 2000)
    throw errors.invalid("Query parameter 'text' is longer than 2000 characters", { code: "invalid_query" });
  const limit = input.limit ?? SEMANTIC_DEFAULT_LIMIT;
  const deps = depsOf(ctx);
  const s = await resolveSystem(deps.db, ctx.principal.orgId, input.name, input.version);
  if (s.active_set === null) return { system: systemRef(s), results: [] };
  if (!(await ensureVectors(deps, s)))
    return { system: systemRef(s), results: await lexicalFallback(deps, s, text, limit) };

  const [vector] = await deps.embedder.embed([text], "query");
  // Over-fetch: during a replace the namespace briefly holds the old generation's vectors too.
  const matches = (await deps.vectors.query(vectorNamespace(s.id), vector!, Math.min(100, limit * 3))).filter(
    (m) => m.score > 0,
  );
  if (matches.length === 0) return { system: systemRef(s), results: [] };
  const { results: rows } = await deps.db
    .prepare(
      `SELECT id, code, description FROM codes
       WHERE id IN (SELECT value FROM json_each(?1)) AND set_id = ?2 AND active = 1`,
    )
    .bind(JSON.stringify(matches.map((m) => Number(m.id))), s.active_set)
    .all<{ id: number; code: string; description: string }>();
  const byId = new Map(rows.map((r) => [String(r.id), r]));
  const results: TextHit[] = [];
  for (const m of matches) {
    const r = byId.get(m.id);
    if (r) results.push({ code: r.code, description: r.description });
    if (results.length === limit) break;
  }
  if (results.length === 0 && rows.length === 0 && matches.length > 0) {
    logError(ctx.requestId, new Error(`semantic index of ${s.name} ${s.version} returned ids outside its active set`));
  }
  return { system: systemRef(s), results };
}
