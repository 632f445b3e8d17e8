import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { randomId } from "../platform/ids";
import { logEvent } from "../platform/logging";
import { createServices } from "../services";

const WELL_FORMED_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * First middleware: request id (kept from the caller when well-formed), the service container, and one
 * structured log line per request (id, org, route, status, duration; never bodies or PHI).
 */
export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  const incoming = c.req.header("X-Request-Id");
  const requestId = incoming && WELL_FORMED_ID.test(incoming) ? incoming : randomId();
  c.set("requestId", requestId);
  c.set("startedAt", Date.now());
  c.set("services", createServices(c.env));
  await next();
  c.res.headers.set("X-Request-Id", requestId);
  logEvent("request", {
    requestId,
    method: c.req.method,
    route: c.req.routePath,
    status: c.res.status,
    orgId: c.get("principal")?.orgId ?? null,
    durationMs: Date.now() - c.var.startedAt,
  });
});
