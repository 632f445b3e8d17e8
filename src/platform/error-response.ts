import type { ErrorShape } from "../env";
import { type AppError, statusOfKind } from "./errors";

/** HTTP reason phrases used as `error` in the ingestion shape (seed 003). */
const reason: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  409: "Conflict",
  410: "Gone",
  412: "Precondition Failed",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Entity",
  424: "Failed Dependency",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** RFC 6749 §5.2 error codes for the token endpoints. */
function oauthError(e: AppError): string {
  if (
    [
      "invalid_request",
      "invalid_client",
      "invalid_grant",
      "unauthorized_client",
      "unsupported_grant_type",
      "invalid_scope",
    ].includes(e.code)
  ) {
    return e.code;
  }
  if (e.kind === "unauthorized") return "invalid_client";
  if (e.kind === "invalid" || e.kind === "unsupported_media_type" || e.kind === "too_large") return "invalid_request";
  return e.status >= 500 ? "server_error" : "invalid_request";
}

export function operationOutcomeOf(e: AppError): Record<string, unknown> {
  return {
    resourceType: "OperationOutcome",
    issue: e.issues.map((i) => ({
      severity: i.severity ?? "error",
      code: i.code,
      details: { text: i.diagnostics },
      diagnostics: i.diagnostics,
      ...(i.expression?.length ? { expression: i.expression } : {}),
    })),
  };
}

/** Renders an AppError in the route group's wire shape. The one place error bodies are built. */
export function renderError(e: AppError, shape: ErrorShape, requestId: string): Response {
  const status = statusOfKind[e.kind];
  const headers = new Headers(e.headers);
  headers.set("X-Request-Id", requestId);
  let body: unknown;
  switch (shape) {
    case "fhir":
      headers.set("Content-Type", "application/fhir+json; charset=utf-8");
      body = operationOutcomeOf(e);
      break;
    case "ingestion":
      body = {
        error: reason[status] ?? "Error",
        message: e.message,
        statusCode: status,
        ...(e.details !== undefined ? { details: e.details } : {}),
        ...(e.retryAfter !== undefined ? { retryAfter: e.retryAfter } : {}),
      };
      break;
    case "oauth":
      body = { error: oauthError(e), error_description: e.message };
      headers.set("Cache-Control", "no-store");
      break;
    case "legacy-auth":
      // Seed 004 POST /auth/token documents `{ code, message, data }` for its errors.
      body = { code: status, message: e.message, data: null };
      break;
    default:
      body = {
        success: false,
        message: e.message,
        data: null,
        error: { code: e.code, details: e.details ?? e.message },
      };
  }
  if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json; charset=utf-8");
  return new Response(JSON.stringify(body), { status, headers });
}
