/**
 * Seed 003 Universal Ingestion: a transaction Bundle of at most 100 entries into the group's
 * (organization's) default store, all-or-nothing, recorded in ingestion_transactions in the same
 * atomic batch. Idempotent by fullUrl: a POST entry with `fullUrl: urn:uuid:<uuid>` writes
 * `Type/<uuid>`, so resubmitting updates the same resources, and identical data adds no version.
 */
import type { AuthedCtx } from "../../context";
import { nowIso } from "../../platform/clock";
import { AppError, errors } from "../../platform/errors";
import { randomId } from "../../platform/ids";
import { BundleEntryError } from "../fhir/bundle/entry-error";
import { processBundle } from "../fhir/bundle/process-bundle";
import { isJsonObject } from "../fhir/resource-json";
import { openDefaultStore } from "../stores/open-store";
import { storeEndpoint } from "../stores/store-view";
import { completedStatement, failedStatement, ingestedResources, type RecordInput } from "./ingestion-record";

/** Seed 003 "Bundle Size Limit: Maximum 100 entries per bundle". */
export const MAX_INGESTION_ENTRIES = 100;

/** Entry errors that are validation failures of the data (seed 003: 422 with {resourceType, field, issue}). */
const VALIDATION_CODES = new Set([
  "invalid_resource",
  "resource_rule_violation",
  "resource_type_mismatch",
  "unresolved_reference",
  "reference_not_found",
  "duplicate",
  "id_mismatch",
]);

export function requireGroup(ctx: AuthedCtx, groupId: string): void {
  // The group is the caller's organization; any other id is "not found" (no existence leak).
  if (groupId !== ctx.principal.orgId)
    throw errors.notFound(`Group '${groupId}' not found`, { code: "group_not_found" });
}

/** Seed 003's 400 for anything that is not a transaction Bundle of at most 100 entries. */
function checkEnvelope(body: unknown): number {
  if (!isJsonObject(body))
    throw errors.invalid("Invalid FHIR Bundle: the body must be a JSON object", { code: "invalid_bundle" });
  if (body.resourceType !== "Bundle") {
    throw errors.invalid("Invalid FHIR Bundle: resourceType must be 'Bundle'", { code: "invalid_bundle" });
  }
  if (body.type !== "transaction") {
    throw errors.invalid(`Invalid FHIR Bundle: type must be 'transaction' (got '${String(body.type)}')`, {
      code: "invalid_bundle",
    });
  }
  if (body.entry !== undefined && !Array.isArray(body.entry)) {
    throw errors.invalid("Invalid FHIR Bundle: entry must be an array", { code: "invalid_bundle" });
  }
  const n = Array.isArray(body.entry) ? body.entry.length : 0;
  if (n === 0) throw errors.invalid("Invalid FHIR Bundle: the Bundle has no entries", { code: "invalid_bundle" });
  if (n > MAX_INGESTION_ENTRIES) {
    throw errors.invalid(
      `Invalid FHIR Bundle: the Bundle has ${n} entries; the maximum is ${MAX_INGESTION_ENTRIES} entries per bundle`,
      { code: "too_many_entries", details: { entries: n, limit: MAX_INGESTION_ENTRIES } },
    );
  }
  return n;
}

/** Maps an entry's failure to seed 003's shapes: data validation → 422 with {resourceType, field, issue}. */
function ingestionError(err: AppError, body: unknown): AppError {
  if (!(err instanceof BundleEntryError)) return err;
  const original = err.original;
  if (!VALIDATION_CODES.has(original.code) && original.kind !== "unprocessable") {
    const prefix = original.kind === "invalid" ? "Invalid FHIR Bundle: entry" : "Bundle entry";
    return new AppError(original.kind, `${prefix} ${err.entryIndex}: ${original.message}`, {
      code: original.code,
      headers: original.headers,
    });
  }
  const entries = isJsonObject(body) && Array.isArray(body.entry) ? body.entry : [];
  const entry = entries[err.entryIndex];
  const resource = isJsonObject(entry) && isJsonObject(entry.resource) ? entry.resource : null;
  const first = original.issues[0];
  const expression = first?.expression?.[0] ?? "";
  const typeFromResource = typeof resource?.resourceType === "string" ? resource.resourceType : undefined;
  const head = /^([A-Z][A-Za-z]+)(?:\.(.+))?$/.exec(expression);
  const resourceType = typeFromResource ?? head?.[1] ?? "Bundle";
  const field = head ? (head[2] ?? "resourceType") : expression || "resource";
  return errors.unprocessable(`FHIR validation error: ${original.message}`, {
    code: original.code,
    details: { resourceType, field, issue: first?.diagnostics ?? original.message, entry: err.entryIndex },
  });
}

export async function ingestBundle({
  ctx,
  input,
}: {
  ctx: AuthedCtx;
  input: { groupId: string; body: unknown };
}): Promise<{ transactionId: string }> {
  requireGroup(ctx, input.groupId);
  const entryCount = checkEnvelope(input.body);
  const store = await openDefaultStore(ctx);
  const fctx = { ...ctx, store, base: storeEndpoint(ctx.origin, store.id) };
  const record: RecordInput = {
    id: randomId(),
    orgId: ctx.principal.orgId,
    storeId: store.id,
    credentialId: ctx.principal.credentialId,
    entryCount,
    createdAt: nowIso(),
  };
  const db = ctx.services.db;
  try {
    await processBundle({
      ctx: fctx,
      input: {
        bundle: input.body,
        options: {
          prefer: { return: "minimal" },
          idempotentFullUrls: true,
          requireType: "transaction",
          audit: { action: "ingestion.transaction", entityType: "IngestionTransaction", entityId: record.id },
          extraStatements: (results) => [completedStatement(db, record, ingestedResources(results), nowIso())],
        },
      },
    });
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    const mapped = ingestionError(err, input.body);
    // The failed attempt is recorded too (nothing of it was stored), so GET .../transactions/{id} can explain it.
    try {
      await failedStatement(
        db,
        record,
        { statusCode: mapped.status, message: mapped.message, details: mapped.details },
        nowIso(),
      ).run();
    } catch {
      // Recording the failure must not hide the failure itself.
    }
    throw mapped;
  }
  return { transactionId: record.id };
}
