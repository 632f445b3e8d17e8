/**
 * Many conditional lookups at once (a Synthea batch bundle carries 2,382 `ifNoneExist` criteria). The
 * common shape, `identifier=system|value` on one type, is answered with one search per chunk of values
 * OR-ed in a single parameter (FHIR R4 search.html#combining: `identifier=a|1,a|2`), and each returned
 * resource is attributed back to the criteria it carries. Every other shape, and any result that cannot
 * be attributed exactly, goes through `findMatches` one by one. This keeps a large bundle to a few dozen
 * D1 queries (a Worker invocation may make at most 1,000).
 */
import { AppError, errors } from "../../platform/errors";
import { mapLimit } from "./bundle/map-limit";
import type { FhirCtx } from "./fhir-ctx";
import { findMatches } from "./find-matches";
import { isJsonObject } from "./resource-json";
import { searchResources } from "./search/execute-search";

export interface Lookup {
  resourceType: string;
  params: URLSearchParams;
}

export type LookupResult = { ok: true; ids: string[] } | { ok: false; error: unknown };

/**
 * Values per grouped search: the search helper accepts at most 50 OR-ed values per parameter. The page
 * holds 2 matches per value (enough to tell "several") plus one to notice a fuller result.
 */
const GROUP_SIZE = 50;
const CONCURRENCY = 8;
/**
 * Most searches one call may run. D1 allows 1,000 queries per Worker invocation (Workers Paid); a
 * bundle resolves its conditional targets and its conditional references with one call each, and
 * also reads current versions and commits, so two calls at this cap stay well under it. Beyond it
 * the answer is a 413 that names the limit, not a Worker killed half-way.
 */
export const MAX_LOOKUP_SEARCHES = 400;

function tooManySearches(n: number) {
  return errors.tooLarge(
    `Resolving this bundle's conditional criteria would take ${n} separate searches; the limit is ${MAX_LOOKUP_SEARCHES}. ` +
      `Criteria of the form identifier=system|value are answered ${GROUP_SIZE} at a time; split the bundle or use those.`,
    { code: "too_many_conditional_searches", details: { limit: MAX_LOOKUP_SEARCHES, searches: n } },
  );
}
/** A token value without the characters FHIR search escapes (`,` `$` `\`) and with exactly one `|`. */
const SIMPLE_TOKEN = /^[^,$\\|]*\|[^,$\\|]+$/;

function identifierToken(params: URLSearchParams): string | null {
  const keys = [...params.keys()];
  if (keys.length !== 1 || keys[0] !== "identifier") return null;
  const values = params.getAll("identifier");
  return values.length === 1 && SIMPLE_TOKEN.test(values[0]!) ? values[0]! : null;
}

function identifierKeys(resource: Record<string, unknown>): string[] {
  const raw = resource.identifier;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  const out: string[] = [];
  for (const i of list) {
    if (isJsonObject(i) && typeof i.value === "string")
      out.push(`${typeof i.system === "string" ? i.system : ""}|${i.value}`);
  }
  return out;
}

async function one(ctx: FhirCtx, l: Lookup): Promise<LookupResult> {
  try {
    return { ok: true, ids: await findMatches(ctx, l.resourceType, l.params) };
  } catch (error) {
    if (!(error instanceof AppError)) throw error;
    return { ok: false, error };
  }
}

/** Ids matching each lookup (at most 2 each), in the order given. */
export async function findMatchesMany(ctx: FhirCtx, lookups: Lookup[]): Promise<LookupResult[]> {
  const results = new Array<LookupResult | undefined>(lookups.length);
  const groups = new Map<string, { index: number; token: string }[]>();
  const single: number[] = [];
  lookups.forEach((l, index) => {
    const token = identifierToken(l.params);
    if (token === null) {
      single.push(index);
      return;
    }
    const g = groups.get(l.resourceType) ?? [];
    g.push({ index, token });
    groups.set(l.resourceType, g);
  });
  const chunks: { type: string; items: { index: number; token: string }[] }[] = [];
  for (const [type, items] of groups) {
    // A lone criterion gains nothing from grouping.
    if (items.length === 1) {
      single.push(items[0]!.index);
      continue;
    }
    for (let i = 0; i < items.length; i += GROUP_SIZE) chunks.push({ type, items: items.slice(i, i + GROUP_SIZE) });
  }
  if (chunks.length + single.length > MAX_LOOKUP_SEARCHES) throw tooManySearches(chunks.length + single.length);
  await mapLimit(chunks, CONCURRENCY, async ({ type, items }) => {
    const tokens = [...new Set(items.map((x) => x.token))];
    const params = new URLSearchParams();
    params.set("identifier", tokens.join(","));
    params.set("_count", String(tokens.length * 2 + 1));
    params.set("_total", "none");
    params.set("_elements", "identifier");
    let bundle: unknown;
    try {
      bundle = await searchResources(ctx.services.db, {
        storeId: ctx.store.id,
        resourceType: type,
        params,
        baseUrl: ctx.base,
        strict: true,
      });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      for (const x of items) single.push(x.index);
      return;
    }
    const entries = isJsonObject(bundle) && Array.isArray(bundle.entry) ? bundle.entry : [];
    const byToken = new Map<string, string[]>();
    let unattributed = entries.length > tokens.length * 2;
    for (const e of entries) {
      if (!isJsonObject(e) || !isJsonObject(e.resource) || typeof e.resource.id !== "string") {
        // An OperationOutcome entry means the search did not run as asked.
        if (isJsonObject(e) && isJsonObject(e.search) && e.search.mode === "outcome") unattributed = true;
        continue;
      }
      const keys = identifierKeys(e.resource).filter((k) => tokens.includes(k));
      if (keys.length === 0) unattributed = true;
      for (const k of new Set(keys)) byToken.set(k, [...(byToken.get(k) ?? []), e.resource.id]);
    }
    if (unattributed) {
      // The search matched something our exact comparison cannot explain: ask one by one.
      for (const x of items) single.push(x.index);
      return;
    }
    for (const x of items) results[x.index] = { ok: true, ids: (byToken.get(x.token) ?? []).slice(0, 2) };
  });
  // Grouped searches whose answer could not be attributed fall back to one search per criterion.
  if (chunks.length + single.length > MAX_LOOKUP_SEARCHES) throw tooManySearches(chunks.length + single.length);
  const singles = await mapLimit(single, CONCURRENCY, (i) => one(ctx, lookups[i]!));
  single.forEach((i, n) => {
    results[i] = singles[n]!;
  });
  return results.map((r) => r!);
}
