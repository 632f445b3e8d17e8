import { authedCtx } from "../../context";
import { envelope } from "../../platform/envelope";
import { createRouter } from "../../platform/router";
import { createStore } from "./create-store";
import { deleteStore } from "./delete-store";
import { getStoreSettings, updateStoreSettings } from "./manage-store-settings";
import { getStore, listStores } from "./read-stores";
import * as r from "./stores.routes";

/** Seed 000 "Health Data Store API". `list` is registered before `{serverId}`, which would match it. */
export const storesRouter = createRouter()
  .openapi(r.createStoreRoute, async (c) => {
    const data = await createStore({ ctx: authedCtx(c), input: c.req.valid("json") });
    return c.json(envelope(data, "FHIR server created successfully"), 201);
  })
  .openapi(r.listStoresRoute, async (c) => {
    const data = await listStores({ ctx: authedCtx(c) });
    return c.json(envelope(data, "FHIR servers retrieved successfully"), 200);
  })
  .openapi(r.getStoreRoute, async (c) => {
    const data = await getStore({ ctx: authedCtx(c), input: { storeId: c.req.valid("param").serverId } });
    return c.json(envelope(data, "FHIR server retrieved successfully"), 200);
  })
  .openapi(r.deleteStoreRoute, async (c) => {
    await deleteStore({ ctx: authedCtx(c), input: { storeId: c.req.valid("param").serverId } });
    return c.json(envelope(null, "FHIR server deleted successfully"), 200);
  })
  .openapi(r.getStoreSettingsRoute, async (c) => {
    const data = await getStoreSettings({ ctx: authedCtx(c), input: { storeId: c.req.valid("param").serverId } });
    return c.json(envelope(data, "FHIR server settings retrieved successfully"), 200);
  })
  .openapi(r.putStoreSettingsRoute, async (c) => {
    const data = await updateStoreSettings({
      ctx: authedCtx(c),
      input: { storeId: c.req.valid("param").serverId, settings: c.req.valid("json") },
    });
    return c.json(envelope(data, "FHIR server settings updated successfully"), 200);
  });
