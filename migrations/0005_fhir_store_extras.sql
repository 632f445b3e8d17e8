-- FHIR store extras (hand-written: partial index and json_each-driven tables drizzle does not model).

-- At most one default store per organization (target of /FHIR/R4 and of ingestion). Creating the
-- default store on first use races between concurrent requests; this index makes the loser's
-- INSERT a no-op (INSERT ... ON CONFLICT DO NOTHING) instead of a second default.
CREATE UNIQUE INDEX `fhir_stores_one_default` ON `fhir_stores` (`org_id`) WHERE `is_default` = 1;
--> statement-breakpoint

-- Store keys are looked up by store when a store is deleted.
CREATE INDEX `api_keys_store` ON `api_keys` (`store_id`) WHERE `store_id` IS NOT NULL;
--> statement-breakpoint

-- Per-store uniqueness rules (seed 002: 422 "duplicate"), e.g. Patient.identifier system|value.
-- One row per (store, type, key) owned by the resource `id`; the primary key makes a concurrent
-- duplicate fail the whole write batch atomically, so the rule holds without locks.
CREATE TABLE `fhir_unique_keys` (
	`store_id` text NOT NULL,
	`resource_type` text NOT NULL,
	`unique_key` text NOT NULL,
	`id` text NOT NULL,
	PRIMARY KEY(`store_id`, `resource_type`, `unique_key`)
);
--> statement-breakpoint
CREATE INDEX `fhir_unique_keys_owner` ON `fhir_unique_keys` (`store_id`, `resource_type`, `id`);
--> statement-breakpoint

-- Seed 003 ingestion transactions: what each POST /api/g/{groupId}/ingestion/fhir/v4 did.
CREATE TABLE `ingestion_transactions` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`store_id` text NOT NULL,
	`credential_id` text NOT NULL,
	-- completed | failed
	`status` text NOT NULL,
	`entry_count` integer NOT NULL,
	`created_count` integer DEFAULT 0 NOT NULL,
	`updated_count` integer DEFAULT 0 NOT NULL,
	`unchanged_count` integer DEFAULT 0 NOT NULL,
	-- JSON array of {resourceType, id, versionId, outcome: created|updated|unchanged}
	`resources` text DEFAULT '[]' NOT NULL,
	-- JSON {statusCode, message, details?} when status = failed
	`error` text,
	`created_at` text NOT NULL,
	`completed_at` text
);
--> statement-breakpoint
CREATE INDEX `ingestion_transactions_org` ON `ingestion_transactions` (`org_id`, `created_at`);
