import type { ErrorShape } from "../env";

/**
 * Which wire shape errors take on a path (docs/architecture.md, "Errors"). Decided by path prefix in
 * one place so that 404/405 for unknown routes get the same shape as errors inside the group.
 */
export function errorShapeForPath(path: string): ErrorShape {
  if (
    path.startsWith("/fhir/") ||
    path.startsWith("/datastore/") ||
    path === "/FHIR/R4" ||
    path.startsWith("/FHIR/R4/")
  ) {
    return "fhir";
  }
  if (path.startsWith("/api/g/")) return "ingestion";
  if (path === "/v2/auth/token") return "oauth";
  if (path === "/auth/token") return "legacy-auth";
  return "platform";
}
