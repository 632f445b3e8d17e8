import type { Context } from "hono";
import type { AppEnv } from "../../../env";
import { errors } from "../../../platform/errors";

/** Request media types accepted for resources and bundles (FHIR R4 http.html#mime-type; +json+fhir is DSTU2's). */
export const RESOURCE_MEDIA_TYPES = ["application/fhir+json", "application/json", "application/json+fhir"];
/** PATCH: JSON Patch (RFC 6902) or a FHIRPath Patch Parameters resource (FHIR R4 http.html#patch). */
export const JSON_PATCH_MEDIA_TYPE = "application/json-patch+json";

export function mediaTypeOf(c: Context<AppEnv>): string {
  return (c.req.header("Content-Type") ?? "").split(";")[0]!.trim().toLowerCase();
}

/** 415 unless the request's Content-Type is one of `types`. */
export function requireMedia(c: Context<AppEnv>, types: readonly string[]): string {
  const ct = mediaTypeOf(c);
  if (!types.includes(ct)) {
    throw errors.unsupportedMediaType(
      `Content-Type must be ${types.join(" or ")}${ct ? ` (got '${ct}')` : " (none given)"}`,
    );
  }
  return ct;
}

/** Parses the JSON body (size already limited by the route's limitBody). Malformed or empty → 400. */
export async function readJson(c: Context<AppEnv>): Promise<unknown> {
  const text = await c.req.text();
  if (!text.trim())
    throw errors.invalid("The request body is empty; a JSON document is required", { code: "empty_body" });
  try {
    return JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : "parse error";
    throw errors.invalid(`Malformed JSON in request body: ${detail}`, { code: "malformed_json" });
  }
}
