import { nowIso } from "../../platform/clock";
import { authorize } from "./access";
import { commitWrites } from "./commit-writes";
import type { FhirCtx } from "./fhir-ctx";
import { criteriaParams, findMatches, tooManyMatches } from "./find-matches";
import { deleteOp } from "./plan-write";
import { withVersionRetry } from "./repo/commit";
import { readCurrent } from "./repo/rows";
import { isValidId } from "./resource-json";
import { assertCurrentWritable, checkIfMatch } from "./update-resource";

export interface DeleteOutcome {
  /** False when there was nothing to delete (unknown or already deleted). */
  deleted: boolean;
  resourceType: string;
  id: string | null;
  /** The version of the deletion. */
  versionId?: number;
  lastUpdated?: string;
}

/**
 * delete (FHIR R4 http.html#delete). Deleting an unknown or already deleted resource succeeds without
 * effect (R4: "or if the resource does not exist at all, the server should return ... 204 No Content"),
 * so deletes are idempotent; If-Match still applies (412 on mismatch).
 */
export async function deleteResource({
  ctx,
  input,
}: {
  ctx: FhirCtx;
  input: { resourceType: string; id: string; ifMatch?: string | null };
}): Promise<DeleteOutcome> {
  const grant = authorize(ctx, "delete", input.resourceType);
  if (!isValidId(input.id)) return { deleted: false, resourceType: input.resourceType, id: input.id };
  return withVersionRetry(input.ifMatch, async (): Promise<DeleteOutcome> => {
    const current = await readCurrent(ctx.services.db, ctx.store.id, input.resourceType, input.id);
    checkIfMatch(input.ifMatch, current);
    assertCurrentWritable(grant, current);
    const op = deleteOp(current, nowIso());
    if (!op) return { deleted: false, resourceType: input.resourceType, id: input.id };
    const audit = { action: "fhir.delete", entityType: op.resourceType, entityId: op.id, outcome: 204 };
    await commitWrites(ctx, [op], [audit]);
    return {
      deleted: true,
      resourceType: op.resourceType,
      id: op.id,
      versionId: op.versionId,
      lastUpdated: op.lastUpdated,
    };
  });
}

/**
 * Conditional delete (FHIR R4 http.html#cdelete), "single" mode: one match → deleted; none → nothing
 * to delete (204, like an unknown id); several → 412.
 */
export async function conditionalDelete({
  ctx,
  input,
}: {
  ctx: FhirCtx;
  input: { resourceType: string; query: string; ifMatch?: string | null };
}): Promise<DeleteOutcome> {
  authorize(ctx, "delete", input.resourceType);
  const ids = await findMatches(ctx, input.resourceType, criteriaParams(input.query, "Conditional delete"));
  if (ids.length > 1) throw tooManyMatches("Conditional delete", ids.length);
  if (ids.length === 0) return { deleted: false, resourceType: input.resourceType, id: null };
  return deleteResource({ ctx, input: { resourceType: input.resourceType, id: ids[0]!, ifMatch: input.ifMatch } });
}
