CREATE TABLE `fhir_history` (
	`store_id` text NOT NULL,
	`resource_type` text NOT NULL,
	`id` text NOT NULL,
	`version_id` integer NOT NULL,
	`last_updated` text NOT NULL,
	`deleted` integer DEFAULT false NOT NULL,
	`method` text NOT NULL,
	`body` text NOT NULL,
	PRIMARY KEY(`store_id`, `resource_type`, `id`, `version_id`)
);
--> statement-breakpoint
CREATE INDEX `fhir_history_store_time` ON `fhir_history` (`store_id`,`last_updated`);--> statement-breakpoint
CREATE INDEX `fhir_history_type_time` ON `fhir_history` (`store_id`,`resource_type`,`last_updated`);--> statement-breakpoint
CREATE TABLE `fhir_resources` (
	`store_id` text NOT NULL,
	`resource_type` text NOT NULL,
	`id` text NOT NULL,
	`version_id` integer NOT NULL,
	`last_updated` text NOT NULL,
	`deleted` integer DEFAULT false NOT NULL,
	`body` text NOT NULL,
	PRIMARY KEY(`store_id`, `resource_type`, `id`)
);
--> statement-breakpoint
CREATE INDEX `fhir_resources_type_updated` ON `fhir_resources` (`store_id`,`resource_type`,`last_updated`);--> statement-breakpoint
CREATE INDEX `fhir_resources_updated` ON `fhir_resources` (`store_id`,`last_updated`);--> statement-breakpoint
CREATE TABLE `fhir_stores` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text,
	`region` text NOT NULL,
	`fhir_version` text NOT NULL,
	`infrastructure` text NOT NULL,
	`status` text NOT NULL,
	`api_key_id` text,
	`is_default` integer DEFAULT false NOT NULL,
	`settings` text DEFAULT '{}' NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `fhir_stores_org` ON `fhir_stores` (`org_id`,`created_at`);