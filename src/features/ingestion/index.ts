import { authedCtx } from "../../context";
import { AppError, errors } from "../../platform/errors";
import { createRouter } from "../../platform/router";
import { readJson, requireMedia } from "../fhir/http/body";
import { ingestBundle, requireGroup } from "./ingest-bundle";
import { getIngestionRoute, ingestRoute } from "./ingestion.routes";
import { findRecord } from "./ingestion-record";

export const ingestionRouter = createRouter()
  .openapi(ingestRoute, async (c) => {
    const ctx = authedCtx(c);
    const { groupId } = c.req.valid("param");
    requireGroup(ctx, groupId);
    requireMedia(c, ["application/json", "application/fhir+json"]);
    const body = await readJson(c);
    try {
      const data = await ingestBundle({ ctx, input: { groupId, body } });
      return c.json(data, 200);
    } catch (err) {
      if (err instanceof AppError) throw err;
      // Seed 003's 500 message; the cause is logged by onError, never sent.
      throw errors.internal("An unexpected error occurred while processing the FHIR Bundle", { cause: err });
    }
  })
  .openapi(getIngestionRoute, async (c) => {
    const ctx = authedCtx(c);
    const { groupId, transactionId } = c.req.valid("param");
    requireGroup(ctx, groupId);
    const record = await findRecord(ctx.services.db, ctx.principal.orgId, transactionId);
    if (!record) throw errors.notFound(`Transaction '${transactionId}' not found`, { code: "transaction_not_found" });
    return c.json(record, 200);
  });
