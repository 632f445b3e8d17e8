-- FHIR Bulk Data export jobs (hand-written; the consumer is src/features/bulk-export/run-export-job.ts).
-- One row per kick-off. The queue consumer advances `cursor` and appends to `output` as it completes
-- files, so an export resumes across consumer invocations; `lease_until` keeps two invocations from
-- working on the same job at once.
CREATE TABLE `bulk_export_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`store_id` text NOT NULL,
	-- the API key id / OAuth client id that started it: status, files and cancel answer only to it
	`credential_id` text NOT NULL,
	-- accepted | in-progress | completed | failed | cancelled
	`status` text NOT NULL,
	-- system | patient | group
	`level` text NOT NULL,
	`group_id` text,
	-- the kick-off request URL (manifest `request`)
	`request_url` text NOT NULL,
	-- absolute FHIR base the client used (file and status URLs are built on it)
	`base_url` text NOT NULL,
	-- JSON: {types, since, typeFilters, patients} as validated at kick-off
	`params` text NOT NULL,
	-- JSON: the caller's access at kick-off {scopes, patientId, consentRequired, credentialKind, clientId}
	`access` text NOT NULL,
	-- manifest transactionTime: resources changed after it are not exported
	`transaction_time` text NOT NULL,
	-- JSON: where the consumer resumes {unit, afterRid, fileSeq}
	`cursor` text DEFAULT '{}' NOT NULL,
	`progress` text,
	-- JSON array of {type, file, count} completed files
	`output` text DEFAULT '[]' NOT NULL,
	-- JSON array of {type, file, count} OperationOutcome files (manifest `error`)
	`errors` text DEFAULT '[]' NOT NULL,
	-- failure message (status = failed)
	`error` text,
	`lease_until` integer DEFAULT 0 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`completed_at` text
);
--> statement-breakpoint
CREATE INDEX `bulk_export_jobs_org` ON `bulk_export_jobs` (`org_id`, `credential_id`, `status`);
