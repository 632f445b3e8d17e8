import { verbCtx } from "../../context";
import { envelope } from "../../platform/envelope";
import { createRouter } from "../../platform/router";
import * as r from "./admin.routes";
import { createApiKey } from "./create-api-key";
import { createOrganization } from "./create-organization";
import { listApiKeys, revokeApiKey } from "./manage-api-keys";
import { createOAuthClient, listOAuthClients, revokeOAuthClient } from "./manage-oauth-clients";

export const adminRouter = createRouter()
  .openapi(r.createOrganizationRoute, async (c) => {
    const data = await createOrganization({ ctx: verbCtx(c), input: c.req.valid("json") });
    return c.json(envelope(data, "Organization created"), 201);
  })
  .openapi(r.createApiKeyRoute, async (c) => {
    const data = await createApiKey({
      ctx: verbCtx(c),
      input: { ...c.req.valid("json"), orgId: c.req.valid("param").orgId },
    });
    return c.json(envelope(data, "API key created"), 201);
  })
  .openapi(r.listApiKeysRoute, async (c) => {
    const data = await listApiKeys({ ctx: verbCtx(c), input: c.req.valid("param") });
    return c.json(envelope(data, "API keys retrieved"), 200);
  })
  .openapi(r.revokeApiKeyRoute, async (c) => {
    await revokeApiKey({ ctx: verbCtx(c), input: c.req.valid("param") });
    return c.json(envelope(null, "API key revoked"), 200);
  })
  .openapi(r.createOAuthClientRoute, async (c) => {
    const data = await createOAuthClient({
      ctx: verbCtx(c),
      input: { ...c.req.valid("json"), orgId: c.req.valid("param").orgId },
    });
    return c.json(envelope(data, "OAuth client created"), 201);
  })
  .openapi(r.listOAuthClientsRoute, async (c) => {
    const data = await listOAuthClients({ ctx: verbCtx(c), input: c.req.valid("param") });
    return c.json(envelope(data, "OAuth clients retrieved"), 200);
  })
  .openapi(r.revokeOAuthClientRoute, async (c) => {
    await revokeOAuthClient({ ctx: verbCtx(c), input: c.req.valid("param") });
    return c.json(envelope(null, "OAuth client revoked"), 200);
  });
