/** Building FHIR responses: JSON bodies (optionally pretty), versioning headers, Prefer handling. */
import { etagOf, httpDate } from "../resource-json";
import type { Prefer, Presentation } from "./negotiate";

export function jsonBody(p: Presentation, body: string | object): string {
  if (typeof body === "string") return p.pretty ? JSON.stringify(JSON.parse(body), null, 2) : body;
  return JSON.stringify(body, null, p.pretty ? 2 : undefined);
}

export function fhirJson(
  p: Presentation,
  status: number,
  body: string | object,
  headers: Record<string, string> = {},
): Response {
  return new Response(jsonBody(p, body), { status, headers: { "Content-Type": p.contentType, ...headers } });
}

/** ETag + Last-Modified of a version (FHIR R4 http.html#versioning). */
export function versionHeaders(v: { versionId: number; lastUpdated: string }): Record<string, string> {
  return { ETag: etagOf(v.versionId), "Last-Modified": httpDate(v.lastUpdated) };
}

export function informationOutcome(diagnostics: string): Record<string, unknown> {
  return {
    resourceType: "OperationOutcome",
    issue: [{ severity: "information", code: "informational", details: { text: diagnostics }, diagnostics }],
  };
}

/**
 * The body of a successful write, per `Prefer: return=` (FHIR R4 http.html#ops): minimal → none,
 * OperationOutcome → an informational outcome, representation (the default) → the resource.
 */
export function writeResponse(
  p: Presentation,
  prefer: Prefer,
  status: number,
  resourceBody: string,
  headers: Record<string, string>,
  summary: string,
): Response {
  if (prefer.return === "minimal") return new Response(null, { status, headers });
  if (prefer.return === "OperationOutcome") return fhirJson(p, status, informationOutcome(summary), headers);
  return fhirJson(p, status, resourceBody, headers);
}
