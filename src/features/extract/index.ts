import { authedCtx } from "../../context";
import { createRouter } from "../../platform/router";
import { extractRoute } from "./extract.routes";
import { extractFromText } from "./extract-from-text";
import { extractHeaders } from "./extract-headers";

/** Seed 004 `POST /construe/extract`: the seed's body, engine details in response headers. */
export const extractRouter = createRouter().openapi(extractRoute, async (c) => {
  const outcome = await extractFromText({ ctx: authedCtx(c), input: c.req.valid("json") });
  return c.json(outcome.body, 200, extractHeaders(outcome));
});
