/**
 * Searchset Bundle assembly: entries, _summary/_elements shaping and paging links
 * (FHIR R4 search.html#summary, #elements, http.html#paging).
 */
import { choiceElements, requiredElements, summaryElements } from "./definitions";
import type { SearchIssue, SearchQuery } from "./search-query";

export interface BundleLink {
  relation: "self" | "first" | "previous" | "next" | "last";
  url: string;
}

export interface BundleEntry {
  fullUrl?: string;
  resource: Record<string, unknown>;
  search: { mode: "match" | "include" | "outcome" };
}

export interface SearchBundle {
  resourceType: "Bundle";
  id: string;
  meta: { lastUpdated: string };
  type: "searchset";
  total?: number;
  link: BundleLink[];
  entry?: BundleEntry[];
}

/** The tag a server adds to resources it returns incompletely (FHIR R4 search.html#summary). */
export const SUBSETTED_TAG = {
  system: "http://terminology.hl7.org/CodeSystem/v3-ObservationValue",
  code: "SUBSETTED",
  display: "Resource encoded in summary mode",
} as const;

function matchesElement(key: string, names: readonly string[]): boolean {
  for (const name of names) {
    if (name.endsWith("[x]")) {
      const base = name.slice(0, -3);
      if (key.startsWith(base) && key.length > base.length && /[A-Z]/.test(key[base.length])) return true;
    } else if (key === name) return true;
  }
  return false;
}

function withSubsettedTag(meta: unknown): Record<string, unknown> {
  const m = typeof meta === "object" && meta !== null ? { ...(meta as Record<string, unknown>) } : {};
  const tags = Array.isArray(m.tag) ? [...m.tag] : [];
  if (!tags.some((t) => typeof t === "object" && t && (t as { code?: string }).code === SUBSETTED_TAG.code))
    tags.push({ ...SUBSETTED_TAG });
  m.tag = tags;
  return m;
}

/** Applies _summary (true|text|data) or _elements to one resource; other modes return it unchanged. */
export function shapeResource(
  resource: Record<string, unknown>,
  summary: SearchQuery["summary"],
  elements: string[] | undefined,
): Record<string, unknown> {
  const type = String(resource.resourceType);
  let keep: ((key: string) => boolean) | undefined;
  if (summary === "true") {
    const names = summaryElements(type);
    keep = (k) => matchesElement(k, names);
  } else if (summary === "text") {
    const names = requiredElements(type);
    keep = (k) => k === "text" || matchesElement(k, names);
  } else if (summary === "data") {
    keep = (k) => k !== "text";
  } else if (elements) {
    const choices = new Set(choiceElements(type));
    const names = [...elements.map((e) => (choices.has(e) ? `${e}[x]` : e)), ...requiredElements(type)];
    keep = (k) => names.includes(k) || matchesElement(k, names);
  }
  if (!keep) return resource;
  const out: Record<string, unknown> = { resourceType: resource.resourceType };
  if (resource.id !== undefined) out.id = resource.id;
  for (const [k, v] of Object.entries(resource)) {
    if (k === "resourceType" || k === "id" || k === "meta") continue;
    // Primitive extensions (`_birthDate`) follow their element.
    if (keep(k.startsWith("_") ? k.slice(1) : k)) out[k] = v;
  }
  out.meta = withSubsettedTag(resource.meta);
  return out;
}

/** Query-string encoding that keeps FHIR's `:`, `|`, `,`, `/` and `$` readable (all are legal in a query). */
function encodeParams(params: [string, string][]): string {
  const enc = (s: string) =>
    encodeURIComponent(s)
      .replace(/%3A/gi, ":")
      .replace(/%7C/gi, "|")
      .replace(/%2C/gi, ",")
      .replace(/%2F/gi, "/")
      .replace(/%24/g, "$");
  return params.map(([k, v]) => `${enc(k)}=${enc(v)}`).join("&");
}

export function searchUrl(path: string, params: [string, string][]): string {
  return params.length ? `${path}?${encodeParams(params)}` : path;
}

/** self/first/previous/next/last links; paging links carry _count and _offset explicitly. */
export function pagingLinks(
  path: string,
  query: SearchQuery,
  hasMore: boolean,
  total: number | undefined,
): BundleLink[] {
  const base = query.linkParams.filter(([k]) => k !== "_offset" && k !== "_count");
  const page = (offset: number): [string, string][] => [
    ...base,
    ["_count", String(query.count)],
    ...(offset > 0 ? [["_offset", String(offset)] as [string, string]] : []),
  ];
  const links: BundleLink[] = [{ relation: "self", url: searchUrl(path, query.linkParams) }];
  if (query.count === 0) return links;
  links.push({ relation: "first", url: searchUrl(path, page(0)) });
  if (query.offset > 0)
    links.push({ relation: "previous", url: searchUrl(path, page(Math.max(0, query.offset - query.count))) });
  if (hasMore) links.push({ relation: "next", url: searchUrl(path, page(query.offset + query.count)) });
  if (total !== undefined) {
    const last = total > 0 ? Math.floor((total - 1) / query.count) * query.count : 0;
    links.push({ relation: "last", url: searchUrl(path, page(last)) });
  }
  return links;
}

export function outcomeEntry(issues: SearchIssue[]): BundleEntry {
  return {
    resource: {
      resourceType: "OperationOutcome",
      issue: issues.map((i) => ({
        // Ignored parameters are warnings: the search itself succeeded.
        severity: i.severity === "error" ? "warning" : i.severity,
        code: i.code,
        diagnostics: i.diagnostics,
        ...(i.expression ? { expression: i.expression } : {}),
      })),
    },
    search: { mode: "outcome" },
  };
}
