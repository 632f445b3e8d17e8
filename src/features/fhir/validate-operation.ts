/**
 * $validate (FHIR R4 resource-operation-validate.html): answers 200 with an OperationOutcome whether or
 * not the resource is valid; 4xx only when the request itself is wrong. The body is the resource or a
 * Parameters with `resource` (and optional `mode`: create | update | delete).
 */
import { errors } from "../../platform/errors";
import { authorize } from "./access";
import type { FhirCtx } from "./fhir-ctx";
import { informationOutcome } from "./http/respond";
import { readCurrent } from "./repo/rows";
import { isJsonObject } from "./resource-json";
import { checkResource, isResourceType } from "./validation";

type Mode = "create" | "update" | "delete";

function unpack(body: unknown, urlMode: string | null): { resource: unknown; mode: Mode | null } {
  let resource: unknown = body;
  let mode: string | null = urlMode;
  if (isJsonObject(body) && body.resourceType === "Parameters" && Array.isArray(body.parameter)) {
    resource = undefined;
    for (const p of body.parameter) {
      if (!isJsonObject(p)) continue;
      if (p.name === "resource") resource = p.resource;
      if (p.name === "mode" && typeof p.valueCode === "string") mode = p.valueCode;
    }
  }
  if (mode !== null && mode !== "create" && mode !== "update" && mode !== "delete") {
    throw errors.invalid(`mode must be create, update or delete (got '${mode}')`, { code: "invalid_parameter" });
  }
  return { resource, mode: mode as Mode | null };
}

export async function validateOperation({
  ctx,
  input,
}: {
  ctx: FhirCtx;
  input: { resourceType: string; id?: string; body: unknown; mode: string | null };
}): Promise<Record<string, unknown>> {
  authorize(ctx, "operation", input.resourceType);
  const { resource, mode } = unpack(input.body, input.mode);
  if (mode === "delete") {
    if (!input.id) throw errors.invalid("mode=delete needs [type]/[id]/$validate", { code: "invalid_parameter" });
    const row = await readCurrent(ctx.services.db, ctx.store.id, input.resourceType, input.id);
    if (!row || row.deleted) {
      return {
        resourceType: "OperationOutcome",
        issue: [
          { severity: "error", code: "not-found", diagnostics: `${input.resourceType}/${input.id} does not exist` },
        ],
      };
    }
    return informationOutcome(`${input.resourceType}/${input.id} can be deleted`);
  }
  if (!isJsonObject(resource))
    throw errors.invalid("$validate needs a resource to validate", { code: "invalid_parameter" });
  const issues = checkResource(resource).map((i) => ({
    severity: i.severity ?? "error",
    code: i.code,
    diagnostics: i.diagnostics,
    ...(i.expression ? { expression: i.expression } : {}),
  }));
  if (
    typeof resource.resourceType === "string" &&
    isResourceType(resource.resourceType) &&
    resource.resourceType !== input.resourceType
  ) {
    issues.push({
      severity: "error",
      code: "invalid",
      diagnostics: `Resource type '${resource.resourceType}' does not match '${input.resourceType}'`,
      expression: ["resourceType"],
    });
  }
  if ((mode === "update" || input.id) && resource.id !== input.id && input.id) {
    issues.push({
      severity: "error",
      code: "invalid",
      diagnostics: `The resource id must be '${input.id}'`,
      expression: [`${input.resourceType}.id`],
    });
  }
  if (issues.length === 0) return informationOutcome("Validation successful: no issues found");
  return { resourceType: "OperationOutcome", issue: issues };
}
