import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** Tenants. Every tenant-owned row elsewhere carries `org_id` and every query filters by it. */
export const organizations = sqliteTable("organizations", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
});

/** API keys: only the SHA-256 of the key is stored, plus a short visible prefix. */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    prefix: text("prefix").notNull(),
    keyHash: text("key_hash").notNull(),
    /** JSON array of scope strings. */
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
    /** Set for a store's own key: it opens that store's FHIR API only. */
    storeId: text("store_id"),
    /** SMART patient launch context carried by the key. */
    patientId: text("patient_id"),
    consentRequired: integer("consent_required", { mode: "boolean" }).notNull().default(false),
    expiresAt: text("expires_at"),
    revokedAt: text("revoked_at"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [uniqueIndex("api_keys_hash").on(t.keyHash), index("api_keys_org").on(t.orgId, t.createdAt)],
);

/** OAuth 2.0 confidential clients for the client-credentials grant (RFC 6749 §4.4). */
export const oauthClients = sqliteTable(
  "oauth_clients",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    secretHash: text("secret_hash").notNull(),
    secretPrefix: text("secret_prefix").notNull(),
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
    patientId: text("patient_id"),
    consentRequired: integer("consent_required", { mode: "boolean" }).notNull().default(false),
    revokedAt: text("revoked_at"),
    createdAt: text("created_at").notNull(),
  },
  (t) => [index("oauth_clients_org").on(t.orgId, t.createdAt)],
);

/** Who did what to which clinical data, and with what outcome. Never holds PHI values. */
export const auditEvents = sqliteTable(
  "audit_events",
  {
    id: text("id").primaryKey(),
    orgId: text("org_id").notNull(),
    recordedAt: text("recorded_at").notNull(),
    requestId: text("request_id"),
    actorType: text("actor_type").notNull(),
    actorId: text("actor_id").notNull(),
    /** create | read | vread | update | patch | delete | search | history | operation | export | ... */
    action: text("action").notNull(),
    entityType: text("entity_type"),
    entityId: text("entity_id"),
    storeId: text("store_id"),
    /** HTTP-like outcome code: 200, 201, 403, 404, ... */
    outcome: integer("outcome").notNull(),
    detail: text("detail"),
  },
  (t) => [
    index("audit_events_org_time").on(t.orgId, t.recordedAt),
    index("audit_events_entity").on(t.orgId, t.entityType, t.entityId),
  ],
);
