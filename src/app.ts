import { OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./env";
import { adminRouter } from "./features/admin";
import { authRouter } from "./features/auth";
import { extractRouter } from "./features/extract";
import { fhirRouter } from "./features/fhir";
import { ingestionRouter } from "./features/ingestion";
import { metaRouter } from "./features/meta";
import { storesRouter } from "./features/stores";
import { terminologyRouter } from "./features/terminology";
import { requestContext } from "./middleware/request-context";
import { renderError } from "./platform/error-response";
import { errorShapeForPath } from "./platform/error-shape";
import { AppError, type ErrorKind, errors, statusOfKind } from "./platform/errors";
import { logError } from "./platform/logging";
import { methodMatcher } from "./platform/route-methods";

export const OPENAPI_INFO = {
  title: "Hearth API",
  version: "0.1.0",
  description:
    "Edge-native healthcare API: managed FHIR R4 stores, ingestion, terminology, clinical text to FHIR, summaries, agents.",
};

/** Maps anything thrown to an AppError; unknown errors become a generic 500 (details only in the log). */
function toAppError(err: unknown, requestId: string): AppError {
  if (err instanceof AppError) {
    if (err.status >= 500 && !err.reported) logError(requestId, err.cause ?? err, "server_error");
    return err;
  }
  if (err instanceof HTTPException && err.status < 500) {
    // Hono's own validators throw these, e.g. "Malformed JSON in request body" (400) or 415.
    const kind = (Object.keys(statusOfKind) as ErrorKind[]).find((k) => statusOfKind[k] === err.status) ?? "invalid";
    return new AppError(kind, err.message || "Invalid request", {
      code: kind === "invalid" ? "invalid_request" : kind,
    });
  }
  logError(requestId, err);
  return errors.internal();
}

export function createApp() {
  const app = new OpenAPIHono<AppEnv>();
  app.use("*", requestContext);

  app.route("/", metaRouter);
  app.route("/", authRouter);
  app.route("/", adminRouter);
  app.route("/", storesRouter);
  app.route("/", ingestionRouter);
  app.route("/", terminologyRouter);
  app.route("/", extractRouter);
  app.route("/", fhirRouter);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    description: "An API key, or a JWT access token from POST /v2/auth/token",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "apiKeyHeader", {
    type: "apiKey",
    in: "header",
    name: "X-API-KEY",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "basicAuth", { type: "http", scheme: "basic" });
  app.openAPIRegistry.registerComponent("securitySchemes", "adminToken", {
    type: "http",
    scheme: "bearer",
    description: "The HEARTH_ADMIN_TOKEN secret (bootstrap admin API)",
  });
  app.doc31("/openapi.json", (c) => ({
    openapi: "3.1.0",
    info: OPENAPI_INFO,
    servers: [{ url: new URL(c.req.url).origin }],
  }));
  app.get("/docs", Scalar({ url: "/openapi.json", pageTitle: "Hearth API reference" }));

  const allowedMethods = methodMatcher(app.routes);
  app.notFound((c) => {
    const path = c.req.path;
    const methods = allowedMethods(path);
    const err = methods.length
      ? new AppError("method_not_allowed", `Method ${c.req.method} is not allowed on ${path}`, {
          code: "method_not_allowed",
          headers: { Allow: methods.join(", ") },
        })
      : errors.notFound(`No route for ${c.req.method} ${path}`, { code: "route_not_found" });
    return renderError(err, errorShapeForPath(path), c.var.requestId ?? "unknown");
  });
  app.onError((err, c) => {
    const requestId = c.var.requestId ?? "unknown";
    return renderError(toAppError(err, requestId), errorShapeForPath(c.req.path), requestId);
  });
  return app;
}
