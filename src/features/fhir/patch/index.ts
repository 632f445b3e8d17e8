/**
 * FHIR `patch` interaction bodies (FHIR R4 http.html#patch): JSON Patch (RFC 6902,
 * `application/json-patch+json`) and FHIRPath Patch (a `Parameters` resource, FHIR R4 fhirpatch.html).
 * Pure functions: they return the patched copy of a resource and throw AppError (400 malformed patch or
 * identity change, 422 patch not applicable to this resource, 413 too many operations).
 */
export { applyFhirPathPatch } from "./apply-fhirpath-patch";
export { applyJsonPatch } from "./apply-json-patch";
export type { JsonObject } from "./patch-guards";
