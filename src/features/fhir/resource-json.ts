/**
 * Small pure helpers over resource JSON shared by every interaction: ids, the served body of a
 * version (meta stamped), and content comparison for "an update that changes nothing keeps the version".
 */
import type { FhirResource } from "./validation";

/** FHIR R4 datatypes.html#id. */
export const ID_RE = /^[A-Za-z0-9\-.]{1,64}$/;
export const isValidId = (id: string): boolean => ID_RE.test(id);

export const isJsonObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/** JSON with object keys sorted at every level: two resources with equal content give equal strings. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  if (isJsonObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/**
 * What "the same content" means for versioning: everything except the server-maintained
 * meta.versionId / meta.lastUpdated (FHIR R4 resource.html#Meta). Contained resources keep theirs.
 */
export function contentKey(resource: FhirResource): string {
  const { meta, ...rest } = resource;
  if (meta) {
    const { versionId: _v, lastUpdated: _l, ...metaRest } = meta;
    if (Object.keys(metaRest).length) return stableStringify({ ...rest, meta: metaRest });
  }
  return stableStringify(rest);
}

/**
 * The resource as stored and served for one version: resourceType, id, meta (versionId, lastUpdated and
 * whatever else the client sent in meta) first, then the content in the client's order.
 */
export function stampResource(
  resource: FhirResource,
  id: string,
  versionId: number,
  lastUpdated: string,
): FhirResource {
  const { resourceType, id: _id, meta, ...rest } = resource;
  const { versionId: _v, lastUpdated: _l, ...metaRest } = meta ?? {};
  return { resourceType, id, meta: { versionId: String(versionId), lastUpdated, ...metaRest }, ...rest };
}

/** `W/"3"` (FHIR R4 http.html#versioning). */
export const etagOf = (versionId: number | string) => `W/"${versionId}"`;

/** If-Match / ifMatch value → version number, or null when it is not a version ETag. */
export function versionFromEtag(value: string): number | null {
  const m = /^\s*(?:W\/)?"?([0-9]{1,15})"?\s*$/.exec(value);
  return m ? Number(m[1]) : null;
}

/** RFC 9110 §5.6.7 IMF-fixdate for Last-Modified. */
export const httpDate = (iso: string) => new Date(iso).toUTCString();
