/**
 * Size limits of the FHIR API. D1 strings, BLOBs and rows are at most 1,000,000 bytes (D1 limits) and a
 * Worker has 128 MB of memory, so a single resource is capped below the row limit (the bulk write also
 * binds it JSON-escaped inside an array parameter) and a bundle's entry count and size are bounded.
 * `FHIR_MAX_BUNDLE_ENTRIES` (a Worker var) lowers or raises the entry limit per deployment.
 */
import { MB } from "../../middleware/body";

/** Largest stored resource JSON. */
export const MAX_RESOURCE_BYTES = 900_000;
/** Largest bound string: the resource as escaped into its bulk-write parameter must fit too. */
export const MAX_BOUND_STRING_BYTES = 990_000;
/** Body limit of single-resource interactions (create/update/patch/$validate). */
export const MAX_RESOURCE_BODY_BYTES = 2 * MB;
/** Body limit of batch/transaction bundles. */
export const MAX_BUNDLE_BODY_BYTES = 48 * MB;
export const DEFAULT_MAX_BUNDLE_ENTRIES = 10_000;

export function maxBundleEntries(env: Env): number {
  const raw = (env as unknown as Record<string, unknown>).FHIR_MAX_BUNDLE_ENTRIES;
  const n = typeof raw === "string" || typeof raw === "number" ? Number(raw) : Number.NaN;
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_MAX_BUNDLE_ENTRIES;
}
