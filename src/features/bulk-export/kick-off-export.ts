/**
 * $export kick-off (FHIR Bulk Data Access v2, export.html#bulk-data-kick-off-request): validates the
 * request completely, records a job and queues it. The answer is 202 with Content-Location pointing at
 * the job's status URL.
 *
 * Access at kick-off: Group level needs `read` on Group and the Group must exist (404); at least one of
 * the requested (or, without `_type`, existing) types must be readable, else 403. Requested types the
 * caller may not read are not exported and are reported in the manifest's `error` file (one
 * OperationOutcome per type); without `_type`, unreadable types are skipped silently, as the spec's
 * "SHALL limit the data returned to only those FHIR resources for which the client is authorized" allows.
 */
import { nowIso } from "../../platform/clock";
import { errors } from "../../platform/errors";
import { randomId } from "../../platform/ids";
import { authorize } from "../fhir/access";
import { isCompartmentType } from "../fhir/everything/compartment";
import { readGrant } from "../fhir/everything/read-grants";
import type { FhirCtx } from "../fhir/fhir-ctx";
import { isValidId } from "../fhir/resource-json";
import { RESOURCE_TYPES } from "../fhir/search/definitions";
import { insertJobIfRoomStatement, type JobParams } from "./export-job-row";
import type { ExportLevel, ExportParams } from "./export-params";
import { readGroupPatients } from "./group-members";

/** Concurrent exports one credential may have running (more → 429, export.html allows it). */
export const MAX_ACTIVE_EXPORTS = 5;

export const BULK_EXPORT_JOB = "bulk-export";

export interface KickOffInput {
  level: ExportLevel;
  groupId: string | null;
  params: ExportParams;
  /** The kick-off URL as the client sent it (manifest `request`). */
  requestUrl: string;
}

export async function kickOffExport({
  ctx,
  input,
}: {
  ctx: FhirCtx;
  input: KickOffInput;
}): Promise<{ jobId: string; statusUrl: string }> {
  const db = ctx.services.db;
  const p = ctx.principal;
  if (input.level === "group") {
    authorize(ctx, "read", "Group");
    const id = input.groupId ?? "";
    if (!isValidId(id) || (await readGroupPatients(db, ctx.store.id, id)) === null) {
      throw errors.notFound(`Group/${id} is not known`, { code: "resource_not_found" });
    }
  }
  const { types, patients } = input.params;
  if (types && input.level !== "system") {
    const outside = types.filter((t) => !isCompartmentType(t));
    if (outside.length) {
      throw errors.invalid(
        `Parameter '_type': ${outside.join(", ")} is not in the Patient compartment, which a ${input.level}-level export covers`,
        {
          code: "invalid_parameter",
        },
      );
    }
  }
  if (patients && p.patientId !== null && patients.some((id) => id !== p.patientId)) {
    throw errors.forbidden("This credential may only access data in its patient's compartment", {
      code: "patient_context",
    });
  }
  const candidates = types ?? RESOURCE_TYPES;
  const readable = candidates.filter((t) => readGrant(ctx, t) !== null);
  if (readable.length === 0) {
    throw errors.forbidden("This credential may not read any of the requested resource types", {
      code: "insufficient_permissions",
    });
  }
  const params: JobParams = { ...input.params, deniedTypes: types ? types.filter((t) => !readable.includes(t)) : [] };
  const jobId = randomId();
  const inserted = await insertJobIfRoomStatement(
    db,
    {
      id: jobId,
      orgId: p.orgId,
      storeId: ctx.store.id,
      credentialId: p.credentialId,
      level: input.level,
      groupId: input.groupId,
      requestUrl: input.requestUrl,
      baseUrl: ctx.base,
      params,
      access: {
        scopes: [...p.scopes.raw],
        patientId: p.patientId,
        consentRequired: p.consentRequired,
        credentialKind: p.credentialKind,
        clientId: p.clientId,
      },
      transactionTime: nowIso(),
    },
    MAX_ACTIVE_EXPORTS,
  ).run();
  if (inserted.meta.changes === 0) {
    throw errors.rateLimited(
      `At most ${MAX_ACTIVE_EXPORTS} exports may run at once for one credential; wait for one to finish`,
      60,
    );
  }
  await ctx.services.jobs.send({ type: BULK_EXPORT_JOB, jobId });
  return { jobId, statusUrl: `${ctx.base}/$export-status/${jobId}` };
}
