/**
 * history (FHIR R4 http.html#history): instance, type and system level, newest first, with `_count`,
 * `_since` (instant), `_at` (versions current during that date/time period) and offset paging links
 * (self, first, previous, next). Deletions appear as entries with request DELETE and no resource.
 */
import { errors } from "../../platform/errors";
import { authorize, needsResourceCheck } from "./access";
import type { FhirCtx } from "./fhir-ctx";
import { parseFhirDateRange } from "./fhir-dates";
import { readResource } from "./read-resource";
import { currentFromResult, type HistoryRow, historyFromRaw, readCurrentStatement } from "./repo/rows";
import { etagOf, isValidId } from "./resource-json";

export const DEFAULT_HISTORY_COUNT = 50;
export const MAX_HISTORY_COUNT = 1000;
const MAX_OFFSET = 100_000;

export interface HistoryInput {
  resourceType?: string;
  id?: string;
  params: URLSearchParams;
}

const KNOWN = new Set(["_count", "_since", "_at", "_offset", "_format", "_pretty"]);

function intParam(params: URLSearchParams, name: string, def: number, max: number): number {
  const raw = params.get(name);
  if (raw === null) return def;
  if (!/^\d{1,9}$/.test(raw))
    throw errors.invalid(`${name} must be a non-negative integer (got '${raw}')`, { code: "invalid_parameter" });
  return Math.min(Number(raw), max);
}

interface HistoryQuery {
  total: D1PreparedStatement;
  page: D1PreparedStatement;
  count: number;
  offset: number;
}

/** The count and page statements of a history request (throws 400 on a bad parameter). */
function historyQuery(ctx: FhirCtx, input: HistoryInput, strict: boolean): HistoryQuery {
  const { resourceType, id, params } = input;
  if (strict) {
    const unknown = [...params.keys()].filter((k) => !KNOWN.has(k));
    if (unknown.length)
      throw errors.invalid(`Unknown history parameter(s): ${unknown.join(", ")}`, { code: "invalid_parameter" });
  }
  const count = intParam(params, "_count", DEFAULT_HISTORY_COUNT, MAX_HISTORY_COUNT);
  const offset = intParam(params, "_offset", 0, MAX_OFFSET);
  const where = ["h.store_id = ?1"];
  const binds: unknown[] = [ctx.store.id];
  const bind = (v: unknown) => {
    binds.push(v);
    return `?${binds.length}`;
  };
  if (resourceType) where.push(`h.resource_type = ${bind(resourceType)}`);
  if (id) where.push(`h.id = ${bind(id)}`);
  const since = params.get("_since");
  if (since !== null) {
    const r = parseFhirDateRange(since);
    if (!r)
      throw errors.invalid(`_since must be an instant such as 2024-01-01T00:00:00Z (got '${since}')`, {
        code: "invalid_parameter",
      });
    where.push(`h.last_updated >= ${bind(r.start)}`);
  }
  const at = params.get("_at");
  if (at !== null) {
    const r = parseFhirDateRange(at);
    if (!r) throw errors.invalid(`_at must be a date or dateTime (got '${at}')`, { code: "invalid_parameter" });
    // Current at some point of [start, end): written before the end, and not replaced before the start.
    where.push(`h.last_updated < ${bind(r.end)}`);
    where.push(
      `NOT EXISTS (SELECT 1 FROM fhir_history n WHERE n.store_id = h.store_id AND n.resource_type = h.resource_type AND n.id = h.id AND n.version_id = h.version_id + 1 AND n.last_updated <= ${bind(r.start)})`,
    );
  }
  const whereSql = where.join(" AND ");
  const db = ctx.services.db;
  const order = id ? "h.version_id DESC" : "h.last_updated DESC, h.resource_type, h.id, h.version_id DESC";
  return {
    total: db.prepare(`SELECT count(*) AS n FROM fhir_history h WHERE ${whereSql}`).bind(...binds),
    page: db
      .prepare(
        `SELECT h.resource_type, h.id, h.version_id, h.last_updated, h.deleted, h.method, h.body FROM fhir_history h WHERE ${whereSql} ORDER BY ${order} LIMIT ${count} OFFSET ${offset}`,
      )
      .bind(...binds),
    count,
    offset,
  };
}

/** Returns the history bundle as JSON text (stored bodies are embedded without re-parsing). */
export async function readHistory({
  ctx,
  input,
  strict = false,
}: {
  ctx: FhirCtx;
  input: HistoryInput;
  strict?: boolean;
}): Promise<string> {
  const { resourceType, id, params } = input;
  const level = id ? "history-instance" : resourceType ? "history-type" : "history-system";
  const grant = authorize(ctx, level, resourceType ?? "*");
  const db = ctx.services.db;
  // The instance must exist (a deleted one still has history) and be visible to the caller. Without a
  // per-resource check, its existence is read in the same D1 batch as the page (`exists` below).
  let exists: D1PreparedStatement | null = null;
  const unknown = () => errors.notFound(`${resourceType}/${id} is not known`, { code: "resource_not_found" });
  if (id) {
    if (!isValidId(id)) throw unknown();
    if (needsResourceCheck(grant)) await readResource({ ctx, input: { resourceType: resourceType!, id } });
    else exists = readCurrentStatement(db, ctx.store.id, resourceType!, id);
  } else if (needsResourceCheck(grant)) {
    // Type and system history mix every patient's versions; filtering them per patient (compartment, query
    // constraint or consent) is not offered, so such credentials are told why instead of seeing a subset.
    const reason = grant.consentRequired
      ? "a consent-required credential"
      : grant.patientId !== null
        ? "a credential limited to one patient"
        : "a query-constrained scope";
    throw errors.forbidden(
      `History across resources is not available to ${reason}; read each resource's own _history`,
      {
        details: { interaction: level },
      },
    );
  }
  let query: HistoryQuery;
  try {
    query = historyQuery(ctx, input, strict);
  } catch (err) {
    // An unknown instance is a 404 before any parameter error, as when its existence was read first.
    if (exists && !currentFromResult(await exists.all())) throw unknown();
    throw err;
  }
  const { count, offset } = query;
  const results = await db.batch<{ n?: number } & Record<string, unknown>>([
    ...(exists ? [exists] : []),
    query.total,
    query.page,
  ]);
  if (exists && !currentFromResult(results.shift()!)) throw unknown();
  const [totalRow, page] = results;
  const total = Number(totalRow!.results[0]?.n ?? 0);
  const rows = (page!.results as unknown as Parameters<typeof historyFromRaw>[0][]).map(historyFromRaw);
  const path = id ? `/${resourceType}/${id}/_history` : resourceType ? `/${resourceType}/_history` : "/_history";
  const link = (off: number) => {
    const q = new URLSearchParams();
    for (const k of ["_since", "_at"]) {
      const v = params.get(k);
      if (v !== null) q.set(k, v);
    }
    q.set("_count", String(count));
    if (off) q.set("_offset", String(off));
    return `${ctx.base}${path}?${q}`;
  };
  const links = [
    { relation: "self", url: link(offset) },
    { relation: "first", url: link(0) },
  ];
  if (offset > 0) links.push({ relation: "previous", url: link(Math.max(0, offset - count)) });
  if (offset + rows.length < total) links.push({ relation: "next", url: link(offset + count) });
  const head = JSON.stringify({ resourceType: "Bundle", type: "history", total, link: links });
  const entries = rows.map((r) => historyEntryJson(ctx.base, r));
  return `${head.slice(0, -1)},"entry":[${entries.join(",")}]}`;
}

function statusOf(r: HistoryRow): string {
  if (r.deleted) return "204 No Content";
  return r.versionId === 1 || r.method === "POST" ? "201 Created" : "200 OK";
}

/** One history entry; the stored body is spliced in as-is. */
export function historyEntryJson(base: string, r: HistoryRow): string {
  const entry = JSON.stringify({
    fullUrl: `${base}/${r.resourceType}/${r.id}`,
    request: { method: r.method, url: r.method === "POST" ? r.resourceType : `${r.resourceType}/${r.id}` },
    response: {
      status: statusOf(r),
      etag: etagOf(r.versionId),
      lastModified: r.lastUpdated,
    },
  });
  return r.deleted ? entry : `${entry.slice(0, -1)},"resource":${r.body}}`;
}
