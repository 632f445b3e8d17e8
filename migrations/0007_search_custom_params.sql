-- Custom SearchParameters and $reindex (hand-written; design in src/features/fhir/search/README.md,
-- "Extending"). A store's SearchParameter resources become searchable when `$reindex` validates them,
-- copies them here and rebuilds the store's index rows with them.

-- Bumped by every $reindex. Read with the store row (no extra query on the write path); isolates cache
-- the compiled definitions of a store per version (src/features/fhir/search/custom-params.ts).
ALTER TABLE `fhir_stores` ADD COLUMN `search_params_version` integer DEFAULT 0 NOT NULL;
--> statement-breakpoint

-- The active custom parameters of each store: one row per (base resource type, code). Codes never
-- shadow a standard R4 parameter of the type ($reindex refuses them).
CREATE TABLE `fhir_search_custom_params` (
	`store_id` text NOT NULL,
	`resource_type` text NOT NULL,
	`code` text NOT NULL,
	-- token | string | date | number | quantity | reference | uri | composite
	`type` text NOT NULL,
	-- FHIRPath (SearchParameter.expression), evaluated on resources of `resource_type`
	`expression` text NOT NULL,
	-- JSON {targets?: string[], components?: [{type, expression}]}
	`detail` text DEFAULT '{}' NOT NULL,
	-- the SearchParameter it came from (id in the store, canonical url)
	`source_id` text NOT NULL,
	`url` text,
	PRIMARY KEY (`store_id`, `resource_type`, `code`)
) WITHOUT ROWID;
--> statement-breakpoint

-- $reindex runs: processed in keyset pages of fhir_resources (resource_type, id) from `cursor_*`; a run
-- that outgrows the request continues on the JOBS queue (message `{type: "fhir-reindex", jobId}`),
-- `lease_until` keeping two invocations off the same job.
CREATE TABLE `fhir_reindex_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`store_id` text NOT NULL,
	-- NULL: every resource of the store; else one type (type-level $reindex)
	`resource_type` text,
	-- in-progress | completed | failed | cancelled (superseded by a newer $reindex)
	`status` text NOT NULL,
	`cursor_type` text DEFAULT '' NOT NULL,
	`cursor_id` text DEFAULT '' NOT NULL,
	`total` integer NOT NULL,
	`processed` integer DEFAULT 0 NOT NULL,
	-- custom parameters active for the job's scope
	`params` integer DEFAULT 0 NOT NULL,
	-- JSON array of OperationOutcome issues (warnings about SearchParameters left out)
	`issues` text DEFAULT '[]' NOT NULL,
	`error` text,
	`failures` integer DEFAULT 0 NOT NULL,
	`lease_until` integer DEFAULT 0 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`completed_at` text
);
--> statement-breakpoint
CREATE INDEX `fhir_reindex_jobs_store` ON `fhir_reindex_jobs` (`store_id`, `status`);
