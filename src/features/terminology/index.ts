import { authedCtx } from "../../context";
import { createRouter } from "../../platform/router";
import { deleteCodeSystem } from "./delete-code-system";
import { exportCodeSystem } from "./export-code-system";
import { getCode } from "./get-code";
import { getCodeSystem } from "./get-code-system";
import { listCodeSystems } from "./list-code-systems";
import { listCodes } from "./list-codes";
import { searchCodesSemantic } from "./search-codes-semantic";
import { searchCodesText } from "./search-codes-text";
import { submitFeedback } from "./submit-feedback";
import * as r from "./terminology.routes";
import { uploadCodeSystem } from "./upload-code-system";

export { handleTerminologyJob, TERMINOLOGY_JOB_TYPES } from "./jobs";

/**
 * Seed 004 "Construe" terminology routes. Success bodies keep the seed's shapes; errors take the
 * platform envelope. Fixed paths are registered before the `{codesystem}` ones that would match them.
 */
export const terminologyRouter = createRouter()
  .openapi(r.listSystemsRoute, async (c) => c.json(await listCodeSystems({ ctx: authedCtx(c) }), 200))
  .openapi(r.exportSystemRoute, async (c) => {
    const { codesystem } = c.req.valid("param");
    const data = await exportCodeSystem({
      ctx: authedCtx(c),
      input: { name: codesystem, version: c.req.valid("query").version },
    });
    return c.json(data, 200);
  })
  .openapi(r.getSystemRoute, async (c) => {
    const { codesystem } = c.req.valid("param");
    const data = await getCodeSystem({
      ctx: authedCtx(c),
      input: { name: codesystem, version: c.req.valid("query").version },
    });
    return c.json(data, 200);
  })
  .openapi(r.deleteSystemRoute, async (c) => {
    const { codesystem } = c.req.valid("param");
    const data = await deleteCodeSystem({
      ctx: authedCtx(c),
      input: { name: codesystem, version: c.req.valid("query").version },
    });
    return c.json(data, 200);
  })
  .openapi(r.uploadRoute, async (c) =>
    c.json(await uploadCodeSystem({ ctx: authedCtx(c), input: c.req.valid("json") }), 202),
  )
  .openapi(r.feedbackRoute, async (c) =>
    c.json(await submitFeedback({ ctx: authedCtx(c), input: c.req.valid("json") }), 201),
  )
  .openapi(r.searchTextRoute, async (c) => {
    const { codesystem } = c.req.valid("param");
    const { q, version, limit } = c.req.valid("query");
    return c.json(await searchCodesText({ ctx: authedCtx(c), input: { name: codesystem, q, version, limit } }), 200);
  })
  .openapi(r.searchSemanticRoute, async (c) => {
    const { codesystem } = c.req.valid("param");
    const { text, version, limit } = c.req.valid("query");
    return c.json(
      await searchCodesSemantic({ ctx: authedCtx(c), input: { name: codesystem, text, version, limit } }),
      200,
    );
  })
  .openapi(r.listCodesRoute, async (c) => {
    const { codesystem } = c.req.valid("param");
    const { version, cursor, limit } = c.req.valid("query");
    return c.json(await listCodes({ ctx: authedCtx(c), input: { name: codesystem, version, cursor, limit } }), 200);
  })
  .openapi(r.getCodeRoute, async (c) => {
    const { codesystem, codeID } = c.req.valid("param");
    const data = await getCode({
      ctx: authedCtx(c),
      input: {
        name: codesystem,
        code: codeID,
        version: c.req.valid("query").version,
        prefetched: c.var.prefetchedLookup,
      },
    });
    return c.json(data, 200);
  });
