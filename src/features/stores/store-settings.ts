import { z } from "@hono/zod-openapi";
import { errors } from "../../platform/errors";
import { isResourceType } from "../fhir/validation";

/**
 * Per-store settings (the `fhir_stores.settings` JSON column).
 *
 * `uniqueIdentifiers`: resource types whose `identifier` (system + value) must be unique within the
 * store, e.g. `["Patient"]`. A write that would reuse another resource's identifier fails with 422 and
 * issue code `duplicate` (seed 002, "Business rule violation (e.g., duplicate identifier)").
 */
export interface StoreSettings {
  uniqueIdentifiers: string[];
}

export const StoreSettingsSchema = z
  .object({
    uniqueIdentifiers: z
      .array(z.string().min(1).max(64))
      .max(50)
      .optional()
      .openapi({
        description: "Resource types whose identifier (system|value) must be unique in the store",
        example: ["Patient"],
      }),
  })
  .strict()
  .openapi("FhirStoreSettings");

export type StoreSettingsInput = z.infer<typeof StoreSettingsSchema>;

export const DEFAULT_SETTINGS: StoreSettings = { uniqueIdentifiers: [] };

/** Checks and normalises settings from a request (unknown resource types are a 400). */
export function normaliseSettings(input: StoreSettingsInput | undefined, base = DEFAULT_SETTINGS): StoreSettings {
  const types = input?.uniqueIdentifiers ?? base.uniqueIdentifiers;
  const unknown = types.filter((t) => !isResourceType(t));
  if (unknown.length) {
    throw errors.invalid(`Unknown resource type(s) in uniqueIdentifiers: ${unknown.join(", ")}`, {
      code: "invalid_settings",
      details: { unknown },
    });
  }
  return { uniqueIdentifiers: [...new Set(types)].sort() };
}

/** Reads the stored JSON; tolerant, because the column predates any rule (default `{}`). */
export function parseStoreSettings(json: string | null | undefined): StoreSettings {
  if (!json) return { ...DEFAULT_SETTINGS };
  try {
    const v: unknown = JSON.parse(json);
    if (typeof v !== "object" || v === null) return { ...DEFAULT_SETTINGS };
    const u = (v as { uniqueIdentifiers?: unknown }).uniqueIdentifiers;
    return {
      uniqueIdentifiers: Array.isArray(u) ? u.filter((t): t is string => typeof t === "string") : [],
    };
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
}
