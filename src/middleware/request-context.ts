import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { randomId } from "../platform/ids";
import { logEvent } from "../platform/logging";
import { ServerTiming } from "../platform/server-timing";
import { timedD1 } from "../platform/timed-d1";
import { createServices } from "../services";

const WELL_FORMED_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * First middleware: request id (kept from the caller when well-formed), the service container, the
 * `Server-Timing` header (time spent in the Worker, so clients can tell it from network and proxy
 * time), and one structured log line per request (id, org, route, status, duration; never bodies or PHI).
 */
export const requestContext = createMiddleware<AppEnv>(async (c, next) => {
  const timing = new ServerTiming();
  const incoming = c.req.header("X-Request-Id");
  const requestId = incoming && WELL_FORMED_ID.test(incoming) ? incoming : randomId();
  c.set("requestId", requestId);
  c.set("timing", timing);
  c.set("services", createServices(c.env, timedD1(c.env.DB, timing)));
  await next();
  c.res.headers.set("X-Request-Id", requestId);
  c.res.headers.set("Server-Timing", timing.header());
  logEvent("request", {
    requestId,
    method: c.req.method,
    route: c.req.routePath,
    status: c.res.status,
    orgId: c.get("principal")?.orgId ?? null,
    durationMs: timing.elapsedMs(),
  });
});
