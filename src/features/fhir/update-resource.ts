import { nowIso } from "../../platform/clock";
import { errors } from "../../platform/errors";
import { randomId } from "../../platform/ids";
import { assertInCompartment, authorize, type FhirGrant, needsResourceCheck } from "./access";
import { commitWrites, outcomeOfOp, type WriteOutcome } from "./commit-writes";
import { resolveOwnConditionalReferences } from "./create-resource";
import type { FhirCtx } from "./fhir-ctx";
import { criteriaParams, findMatches, tooManyMatches } from "./find-matches";
import { assertIdMatches, checkedResource, newVersionOp, updateOp } from "./plan-write";
import { currentRowReader, type PrefetchedRead } from "./read-prefetch";
import { withVersionRetry } from "./repo/commit";
import { readCurrent, type VersionRow } from "./repo/rows";
import { isValidId, versionFromEtag } from "./resource-json";
import type { FhirResource } from "./validation";

/** If-Match (FHIR R4 http.html#concurrency): the current version must be the one named, else 412. */
export function checkIfMatch(ifMatch: string | null | undefined, current: VersionRow | null): void {
  if (ifMatch == null) return;
  const expected = versionFromEtag(ifMatch);
  if (expected === null) {
    throw errors.invalid(`If-Match must be a version ETag such as W/"3" (got '${ifMatch}')`, {
      code: "invalid_if_match",
    });
  }
  if (!current || current.deleted || current.versionId !== expected) {
    const now = current && !current.deleted ? `version ${current.versionId}` : "no current version";
    throw errors.precondition(`If-Match W/"${expected}" does not match the resource (${now})`, {
      code: "version_mismatch",
    });
  }
}

/** The caller must be allowed to see what it overwrites (patient compartment of the current version). */
export function assertCurrentWritable(grant: FhirGrant, current: VersionRow | null): void {
  if (current && !current.deleted && needsResourceCheck(grant)) {
    assertInCompartment(grant, JSON.parse(current.body) as FhirResource);
  }
}

/** Shared by update, conditional update and patch: checks, then write a new version unless unchanged. */
export async function writeUpdate(
  ctx: FhirCtx,
  grant: FhirGrant,
  resource: FhirResource,
  id: string,
  current: VersionRow | null,
  ifMatch: string | null | undefined,
  method: "PUT" | "PATCH",
): Promise<WriteOutcome> {
  checkIfMatch(ifMatch, current);
  assertCurrentWritable(grant, current);
  if (!current || current.deleted) authorize(ctx, "create", resource.resourceType);
  assertInCompartment(grant, resource);
  await resolveOwnConditionalReferences(ctx, resource);
  const op = updateOp(current, resource, id, nowIso(), method);
  if (!op) {
    const c = current!;
    return {
      status: 200,
      outcome: "unchanged",
      version: {
        resourceType: c.resourceType,
        id: c.id,
        versionId: c.versionId,
        lastUpdated: c.lastUpdated,
        body: c.body,
      },
    };
  }
  const action = method === "PATCH" ? "fhir.patch" : op.created ? "fhir.create" : "fhir.update";
  await commitWrites(
    ctx,
    [op],
    [{ action, entityType: op.resourceType, entityId: op.id, outcome: op.created ? 201 : 200 }],
  );
  return outcomeOfOp(op);
}

/**
 * update (FHIR R4 http.html#update): PUT [type]/[id]. The body's id must equal the URL's (400).
 * Update-as-create when the resource does not exist (201). Content identical to the current version
 * keeps the version (200, nothing written).
 */
export async function updateResource({
  ctx,
  input,
}: {
  ctx: FhirCtx;
  /** `prefetched`: the current row read with the credential check (read-prefetch.ts), if it matches. */
  input: { resourceType: string; id: string; resource: unknown; ifMatch?: string | null; prefetched?: PrefetchedRead };
}): Promise<WriteOutcome> {
  const grant = authorize(ctx, "update", input.resourceType);
  if (!isValidId(input.id)) {
    throw errors.invalid(`'${input.id}' is not a valid resource id ([A-Za-z0-9-.]{1,64})`, { code: "invalid_id" });
  }
  const resource = checkedResource(input.resource, input.resourceType);
  assertIdMatches(resource, input.id);
  const readCurrentRow = currentRowReader(
    ctx.services.db,
    input.prefetched,
    ctx.store.id,
    input.resourceType,
    input.id,
  );
  return withVersionRetry(input.ifMatch, async () => {
    const current = await readCurrentRow();
    return writeUpdate(ctx, grant, resource, input.id, current, input.ifMatch, "PUT");
  });
}

/**
 * Conditional update (FHIR R4 http.html#cond-update): PUT [type]?criteria.
 * One match → update it (a body id that differs is a 400); several → 412; none → create, with the
 * body's id (update-as-create) or a new one. A body id naming an existing resource that does not
 * match the criteria is a 409 rather than silently overwriting it.
 */
export async function conditionalUpdate({
  ctx,
  input,
}: {
  ctx: FhirCtx;
  input: { resourceType: string; query: string; resource: unknown; ifMatch?: string | null };
}): Promise<WriteOutcome> {
  const grant = authorize(ctx, "update", input.resourceType);
  const resource = checkedResource(input.resource, input.resourceType);
  const ids = await findMatches(ctx, input.resourceType, criteriaParams(input.query, "Conditional update"));
  if (ids.length > 1) throw tooManyMatches("Conditional update", ids.length);
  const db = ctx.services.db;
  if (ids.length === 1) {
    const id = ids[0]!;
    if (resource.id !== undefined && resource.id !== id) {
      throw errors.invalid(
        `The resource id '${String(resource.id)}' differs from the matching resource ${input.resourceType}/${id}`,
        {
          code: "id_mismatch",
        },
      );
    }
    return withVersionRetry(input.ifMatch, async () => {
      const current = await readCurrent(db, ctx.store.id, input.resourceType, id);
      return writeUpdate(ctx, grant, { ...resource, id }, id, current, input.ifMatch, "PUT");
    });
  }
  if (typeof resource.id === "string") {
    const current = await readCurrent(db, ctx.store.id, input.resourceType, resource.id);
    if (current && !current.deleted) {
      throw errors.conflict(`${input.resourceType}/${resource.id} exists but does not match the criteria`, {
        code: "conditional_update_conflict",
      });
    }
    return writeUpdate(ctx, grant, resource, resource.id, current, input.ifMatch, "PUT");
  }
  authorize(ctx, "create", input.resourceType);
  if (input.ifMatch != null) checkIfMatch(input.ifMatch, null);
  assertInCompartment(grant, resource);
  await resolveOwnConditionalReferences(ctx, resource);
  const op = newVersionOp(resource, randomId(), null, nowIso(), "PUT");
  await commitWrites(
    ctx,
    [op],
    [{ action: "fhir.create", entityType: op.resourceType, entityId: op.id, outcome: 201 }],
  );
  return outcomeOfOp(op);
}
