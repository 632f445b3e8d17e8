import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { organizations } from "./platform";

/**
 * Managed FHIR data stores (seed 000). FHIR tables below are keyed by `store_id`; a store is resolved
 * with the caller's `org_id` at the start of every FHIR request, so store-keyed queries are tenant-safe.
 */
export const fhirStores = sqliteTable(
  "fhir_stores",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    description: text("description"),
    region: text("region").notNull(),
    fhirVersion: text("fhir_version").notNull(),
    infrastructure: text("infrastructure").notNull(),
    status: text("status").notNull(),
    /** The store's own API key (api_keys.id with store_id set). */
    apiKeyId: text("api_key_id"),
    /** The org's default store: target of `/FHIR/R4` and of ingestion. */
    isDefault: integer("is_default", { mode: "boolean" }).notNull().default(false),
    /** JSON: per-store settings such as uniqueness rules. */
    settings: text("settings", { mode: "json" }).$type<Record<string, unknown>>().notNull().default({}),
    createdAt: text("created_at").notNull(),
    updatedAt: text("updated_at").notNull(),
  },
  (t) => [index("fhir_stores_org").on(t.orgId, t.createdAt)],
);

/** Current version of every resource (deleted ones keep a tombstone row with `deleted = 1`). */
export const fhirResources = sqliteTable(
  "fhir_resources",
  {
    storeId: text("store_id").notNull(),
    resourceType: text("resource_type").notNull(),
    id: text("id").notNull(),
    versionId: integer("version_id").notNull(),
    lastUpdated: text("last_updated").notNull(),
    deleted: integer("deleted", { mode: "boolean" }).notNull().default(false),
    /** The resource JSON as served (meta.versionId/lastUpdated included); `{}` for tombstones. */
    body: text("body").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.storeId, t.resourceType, t.id] }),
    index("fhir_resources_type_updated").on(t.storeId, t.resourceType, t.lastUpdated),
    index("fhir_resources_updated").on(t.storeId, t.lastUpdated),
  ],
);

/** Every version of every resource, the current one included (history and vread read only this). */
export const fhirHistory = sqliteTable(
  "fhir_history",
  {
    storeId: text("store_id").notNull(),
    resourceType: text("resource_type").notNull(),
    id: text("id").notNull(),
    versionId: integer("version_id").notNull(),
    lastUpdated: text("last_updated").notNull(),
    deleted: integer("deleted", { mode: "boolean" }).notNull().default(false),
    /** POST | PUT | PATCH | DELETE: the Bundle.entry.request.method of a history entry. */
    method: text("method").notNull(),
    body: text("body").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.storeId, t.resourceType, t.id, t.versionId] }),
    index("fhir_history_store_time").on(t.storeId, t.lastUpdated),
    index("fhir_history_type_time").on(t.storeId, t.resourceType, t.lastUpdated),
  ],
);
