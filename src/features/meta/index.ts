import { createRoute, z } from "@hono/zod-openapi";
import { createRouter } from "../../platform/router";

const healthRoute = createRoute({
  method: "get",
  path: "/health",
  tags: ["Meta"],
  summary: "Liveness and database reachability",
  responses: {
    200: {
      description: "Healthy",
      content: {
        "application/json": {
          schema: z.object({ status: z.literal("ok"), time: z.string(), database: z.literal("ok") }),
        },
      },
    },
    503: {
      description: "Database unreachable",
      content: {
        "application/json": {
          schema: z.object({ status: z.literal("degraded"), time: z.string(), database: z.literal("error") }),
        },
      },
    },
  },
});

export const metaRouter = createRouter().openapi(healthRoute, async (c) => {
  const time = new Date().toISOString();
  try {
    await c.var.services.db.prepare("SELECT 1").first();
    return c.json({ status: "ok" as const, time, database: "ok" as const }, 200);
  } catch {
    return c.json({ status: "degraded" as const, time, database: "error" as const }, 503);
  }
});
