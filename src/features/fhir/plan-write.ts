/**
 * Turning a validated resource into a version write (WriteOp), shared by the single-resource
 * interactions and batch/transaction. Pure: reads happen before, the commit after.
 */
import { errors } from "../../platform/errors";
import { MAX_BOUND_STRING_BYTES, MAX_RESOURCE_BYTES } from "./limits";
import type { VersionRow } from "./repo/rows";
import { utf8Bytes, type WriteMethod, type WriteOp } from "./repo/write-ops";
import { contentKey, isJsonObject, stampResource } from "./resource-json";
import { type FhirResource, validateResource } from "./validation";

/** Validates `resource` as a `type` (FHIR R4 structure definitions; 400/422 with expressions). */
export function checkedResource(resource: unknown, type: string): FhirResource {
  if (!isJsonObject(resource))
    throw errors.invalid("The body must be a FHIR resource (a JSON object)", { code: "not_a_resource" });
  validateResource(resource, { expectedType: type });
  return resource;
}

function serialise(resource: FhirResource): string {
  const body = JSON.stringify(resource);
  // UTF-8 takes at most 3 bytes per UTF-16 unit and escaping at most doubles it: only large bodies are measured.
  const tooBig =
    body.length > MAX_RESOURCE_BYTES ||
    (body.length > MAX_BOUND_STRING_BYTES / 6 &&
      (utf8Bytes(body) > MAX_RESOURCE_BYTES || utf8Bytes(JSON.stringify(body)) > MAX_BOUND_STRING_BYTES));
  if (tooBig) {
    throw errors.tooLarge(
      `${resource.resourceType} is ${body.length} bytes; the largest resource this server stores is ${MAX_RESOURCE_BYTES} bytes`,
      { details: { limitBytes: MAX_RESOURCE_BYTES } },
    );
  }
  return body;
}

/** A new resource (create, or update-as-create): version 1 or the version after a tombstone. */
export function newVersionOp(
  resource: FhirResource,
  id: string,
  previous: VersionRow | null,
  lastUpdated: string,
  method: WriteMethod,
): WriteOp {
  const versionId = (previous?.versionId ?? 0) + 1;
  const stamped = stampResource(resource, id, versionId, lastUpdated);
  return {
    resourceType: resource.resourceType,
    id,
    versionId,
    lastUpdated,
    method,
    resource: stamped,
    body: serialise(stamped),
    created: !previous || previous.deleted,
  };
}

/**
 * An update of `current` (FHIR R4 http.html#update). Returns null when the content equals the current
 * version's (only meta.versionId/lastUpdated differ): the version is kept, nothing is written.
 */
export function updateOp(
  current: VersionRow | null,
  resource: FhirResource,
  id: string,
  lastUpdated: string,
  method: "PUT" | "PATCH",
): WriteOp | null {
  if (current && !current.deleted) {
    const stored = JSON.parse(current.body) as FhirResource;
    if (contentKey(stored) === contentKey({ ...resource, id })) return null;
  }
  return newVersionOp(resource, id, current, lastUpdated, method);
}

/** A deletion (FHIR R4 http.html#delete): a tombstone version; null when already deleted or unknown. */
export function deleteOp(current: VersionRow | null, lastUpdated: string): WriteOp | null {
  if (!current || current.deleted) return null;
  return {
    resourceType: current.resourceType,
    id: current.id,
    versionId: current.versionId + 1,
    lastUpdated,
    method: "DELETE",
    resource: null,
    body: "{}",
    created: false,
  };
}

/** The resource id of a URL like PUT [type]/[id] must match the body's (FHIR R4 http.html#update). */
export function assertIdMatches(resource: FhirResource, id: string): void {
  if (resource.id === undefined) {
    throw errors.invalid(`The resource must carry its id ('${id}') in an update`, {
      code: "id_missing",
      issues: [
        {
          severity: "error",
          code: "required",
          diagnostics: `Resource id is required and must be '${id}'`,
          expression: [`${resource.resourceType}.id`],
        },
      ],
    });
  }
  if (resource.id !== id) {
    throw errors.invalid(`The resource id '${String(resource.id)}' does not match the id '${id}' in the URL`, {
      code: "id_mismatch",
      issues: [
        {
          severity: "error",
          code: "invalid",
          diagnostics: `Resource id '${String(resource.id)}' does not match the URL id '${id}'`,
          expression: [`${resource.resourceType}.id`],
        },
      ],
    });
  }
}
