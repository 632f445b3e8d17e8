import { z } from "@hono/zod-openapi";
import type { StoreRow } from "./store-row";

/** Seed 000's store object, field for field. */
export interface StoreView {
  id: string;
  name: string;
  description: string | null;
  region: string;
  fhirVersion: string;
  status: string;
  infrastructure: string;
  endpoint: string;
  /**
   * The store's own API key. The full secret only in the create response (it is stored hashed);
   * list/get show its visible prefix followed by "..." (seed 000 prints `"fhir_key_..."`), or null
   * when the store has no key (the default store made on first use).
   */
  apiKey: string | null;
  teamId: string;
  createdAt: string;
  updatedAt: string;
}

export const StoreViewSchema = z
  .object({
    id: z.string().openapi({ example: "fhs_3kTMd9e2Jq8wZb1xYc4LpA" }),
    name: z.string(),
    description: z.string().nullable(),
    region: z.string().openapi({ example: "global" }),
    fhirVersion: z.string().openapi({ example: "R4" }),
    status: z.string().openapi({ example: "running" }),
    infrastructure: z.string().openapi({ example: "serverless" }),
    endpoint: z.string().openapi({ example: "https://hearth.example.com/fhir/fhs_3kTMd9e2Jq8wZb1xYc4LpA" }),
    apiKey: z.string().nullable().openapi({
      description: "Full key in the create response only; afterwards its prefix followed by '...'",
      example: "fhir_key_...",
    }),
    teamId: z.string().openapi({ description: "The organization id" }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("FhirStore");

/** The FHIR base URL of a store: `{origin}/fhir/{storeId}` (also served as /datastore/{id}/r4). */
export const storeEndpoint = (origin: string, storeId: string) => `${origin}/fhir/${storeId}`;

export function storeView(row: StoreRow, origin: string, apiKey: string | null): StoreView {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    region: row.region,
    fhirVersion: row.fhirVersion,
    status: row.status,
    infrastructure: row.infrastructure,
    endpoint: storeEndpoint(origin, row.id),
    apiKey,
    teamId: row.orgId,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export const maskedKey = (prefix: string | null | undefined) => (prefix ? `${prefix}...` : null);
