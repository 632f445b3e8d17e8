import { errors } from "../../platform/errors";
import { authorize, type FhirGrant } from "./access";
import type { WriteOutcome } from "./commit-writes";
import type { FhirCtx } from "./fhir-ctx";
import { criteriaParams, findMatches, tooManyMatches } from "./find-matches";
import { applyFhirPathPatch, applyJsonPatch } from "./patch";
import { checkedResource } from "./plan-write";
import { currentRowReader, type PrefetchedRead } from "./read-prefetch";
import { goneResource, notFoundResource } from "./read-resource";
import { withVersionRetry } from "./repo/commit";
import { readCurrent, type VersionRow } from "./repo/rows";
import { isJsonObject, isValidId } from "./resource-json";
import { writeUpdate } from "./update-resource";

/** JSON Patch (RFC 6902, `application/json-patch+json`) or FHIRPath Patch (a `Parameters` resource). */
export type PatchFormat = "json-patch" | "fhirpath-patch";

interface PatchInput {
  resourceType: string;
  id: string;
  patch: unknown;
  format: PatchFormat;
  ifMatch?: string | null;
}

async function patchById(
  ctx: FhirCtx,
  grant: FhirGrant,
  input: PatchInput,
  readCurrentRow: () => Promise<VersionRow | null>,
): Promise<WriteOutcome> {
  if (!isValidId(input.id)) throw notFoundResource(input.resourceType, input.id);
  const current = await readCurrentRow();
  if (!current) throw notFoundResource(input.resourceType, input.id);
  if (current.deleted) throw goneResource(current);
  const base = JSON.parse(current.body) as Record<string, unknown>;
  let patched: unknown;
  if (input.format === "json-patch") {
    if (!Array.isArray(input.patch))
      throw errors.invalid("A JSON Patch document must be an array of operations", { code: "invalid_patch" });
    patched = applyJsonPatch(base, input.patch);
  } else {
    if (!isJsonObject(input.patch) || input.patch.resourceType !== "Parameters") {
      throw errors.invalid("A FHIRPath Patch must be a Parameters resource (FHIR R4 fhirpatch.html)", {
        code: "invalid_patch",
      });
    }
    patched = applyFhirPathPatch(base, input.patch);
  }
  if (!isJsonObject(patched) || patched.resourceType !== input.resourceType || patched.id !== input.id) {
    throw errors.unprocessable("A patch may not change the resource's type or id", { code: "invalid_patch" });
  }
  const resource = checkedResource(patched, input.resourceType);
  return writeUpdate(ctx, grant, resource, input.id, current, input.ifMatch, "PATCH");
}

/** patch (FHIR R4 http.html#patch): the result is validated like an update; no change keeps the version. */
export async function patchResource({
  ctx,
  input,
}: {
  ctx: FhirCtx;
  /** `prefetched`: the current row read with the credential check (read-prefetch.ts), if it matches. */
  input: PatchInput & { prefetched?: PrefetchedRead };
}): Promise<WriteOutcome> {
  const grant = authorize(ctx, "patch", input.resourceType);
  const read = currentRowReader(ctx.services.db, input.prefetched, ctx.store.id, input.resourceType, input.id);
  return withVersionRetry(input.ifMatch, () => patchById(ctx, grant, input, read));
}

/** Conditional patch (PATCH [type]?criteria): exactly one match is patched; none → 404, several → 412. */
export async function conditionalPatch({
  ctx,
  input,
}: {
  ctx: FhirCtx;
  input: { resourceType: string; query: string; patch: unknown; format: PatchFormat; ifMatch?: string | null };
}): Promise<WriteOutcome> {
  const grant = authorize(ctx, "patch", input.resourceType);
  const ids = await findMatches(ctx, input.resourceType, criteriaParams(input.query, "Conditional patch"));
  if (ids.length > 1) throw tooManyMatches("Conditional patch", ids.length);
  if (ids.length === 0) {
    throw errors.notFound(`Conditional patch: no ${input.resourceType} matches the criteria`, {
      code: "resource_not_found",
    });
  }
  const id = ids[0]!;
  const read = () => readCurrent(ctx.services.db, ctx.store.id, input.resourceType, id);
  return withVersionRetry(input.ifMatch, () => patchById(ctx, grant, { ...input, id }, read));
}
