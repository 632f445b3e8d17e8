import { nowIso } from "../../platform/clock";
import { randomId } from "../../platform/ids";
import { assertInCompartment, authorize } from "./access";
import { commitWrites, outcomeOfOp, type WriteOutcome } from "./commit-writes";
import type { FhirCtx } from "./fhir-ctx";
import { criteriaParams, findMatches, tooManyMatches } from "./find-matches";
import { checkedResource, newVersionOp } from "./plan-write";
import { conditionalReferences, mapReferences, resolveConditionalReferences } from "./references";
import { readCurrent } from "./repo/rows";
import type { FhirResource } from "./validation";

/**
 * Resolves a resource's conditional references in place (FHIR R4 http.html#trules), for single
 * writes as for transactions, so no `Type?criteria` reference is ever stored.
 */
export async function resolveOwnConditionalReferences(ctx: FhirCtx, resource: FhirResource): Promise<void> {
  const refs = conditionalReferences(resource);
  if (refs.size === 0) return;
  const map = await resolveConditionalReferences(ctx, refs, (t) => authorize(ctx, "search", t));
  mapReferences(resource, (ref) => map.get(ref));
}

/**
 * create (FHIR R4 http.html#create): the server assigns the id (any id in the body is ignored).
 * With If-None-Exist (http.html#ccreate): no match → create; one match → 200 with it, nothing
 * written; several → 412.
 */
export async function createResource({
  ctx,
  input,
}: {
  ctx: FhirCtx;
  input: { resourceType: string; resource: unknown; ifNoneExist?: string | null };
}): Promise<WriteOutcome> {
  const grant = authorize(ctx, "create", input.resourceType);
  const resource = checkedResource(input.resource, input.resourceType);
  assertInCompartment(grant, resource);
  if (input.ifNoneExist != null) {
    const ids = await findMatches(ctx, input.resourceType, criteriaParams(input.ifNoneExist, "If-None-Exist"));
    if (ids.length > 1) throw tooManyMatches("If-None-Exist", ids.length);
    if (ids.length === 1) {
      const row = await readCurrent(ctx.services.db, ctx.store.id, input.resourceType, ids[0]!);
      if (row && !row.deleted) {
        return {
          status: 200,
          outcome: "existing",
          version: {
            resourceType: row.resourceType,
            id: row.id,
            versionId: row.versionId,
            lastUpdated: row.lastUpdated,
            body: row.body,
          },
        };
      }
    }
  }
  await resolveOwnConditionalReferences(ctx, resource);
  const op = newVersionOp(resource, randomId(), null, nowIso(), "POST");
  await commitWrites(
    ctx,
    [op],
    [{ action: "fhir.create", entityType: op.resourceType, entityId: op.id, outcome: 201 }],
  );
  return outcomeOfOp(op);
}
