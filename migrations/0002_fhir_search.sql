-- FHIR R4 search indexes (hand-written; see src/features/fhir/search/README.md for the design).
--
-- Rows are kept lean because Synthea-sized stores produce ~1M of them:
--   * fhir_search_scope maps (store_id, resource_type) to a small integer `sk`, so index rows carry a
--     1-2 byte scope instead of two text keys, and every index lookup is confined to one store + type.
--   * fhir_search_res maps each live resource to an integer `rid`; index rows carry `rid`, not the id.
--   * Index tables are WITHOUT ROWID with a primary key starting with `rid`: one b-tree clusters a
--     resource's rows (cheap delete on update, cheap EXISTS probes), and one secondary index starting with
--     (sk, p, value) drives searches. Secondary index entries carry the primary key, so they cover `rid`.
--   * `p` is the search parameter code (short text). NOT NULL text columns use '' for "absent" because
--     WITHOUT ROWID primary keys cannot hold NULLs.

CREATE TABLE `fhir_search_scope` (
	`sk` integer PRIMARY KEY,
	`store_id` text NOT NULL,
	`resource_type` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `fhir_search_scope_key` ON `fhir_search_scope` (`store_id`, `resource_type`);
--> statement-breakpoint

-- One row per live (not deleted) resource. `lu` = meta.lastUpdated in epoch milliseconds.
CREATE TABLE `fhir_search_res` (
	`rid` integer PRIMARY KEY,
	`sk` integer NOT NULL,
	`id` text NOT NULL,
	`lu` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `fhir_search_res_id` ON `fhir_search_res` (`sk`, `id`);
--> statement-breakpoint
-- (sk) alone: entries are (sk, rid), the default result order, so unfiltered pages stream without a sort.
CREATE INDEX `fhir_search_res_sk` ON `fhir_search_res` (`sk`);
--> statement-breakpoint
CREATE INDEX `fhir_search_res_lu` ON `fhir_search_res` (`sk`, `lu`);
--> statement-breakpoint

-- Scratch rows of one index write (keyed by a random batch id `b`): maps the n-th target of the batch to
-- its scope and rid, so the bulk INSERT ... SELECT FROM json_each(?) statements carry small integers, not
-- ids. `old` = the resource had index rows before this batch (only those are deleted: deleting absent
-- rows is not free, least of all in FTS5). Emptied by the last statement of the same batch.
CREATE TABLE `fhir_search_pending` (
	`b` text NOT NULL,
	`n` integer NOT NULL,
	`sk` integer NOT NULL,
	`id` text NOT NULL,
	`rid` integer,
	`old` integer NOT NULL,
	`del` integer NOT NULL,
	PRIMARY KEY (`b`, `n`)
) WITHOUT ROWID;
--> statement-breakpoint

-- token: Coding/CodeableConcept (system, code), Identifier (system, value), ContactPoint (value), code,
-- boolean, id, string. `txt` = normalised display text(s) for :text. Identifier type rows for :of-type
-- use p = '<code>:t' and sys = '<type system>|<type code>'; Reference.identifier rows use p = '<code>:i'.
CREATE TABLE `fhir_idx_token` (
	`rid` integer NOT NULL,
	`sk` integer NOT NULL,
	`p` text NOT NULL,
	`sys` text NOT NULL,
	`val` text NOT NULL,
	`txt` text,
	PRIMARY KEY (`rid`, `p`, `val`, `sys`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `fhir_idx_token_v` ON `fhir_idx_token` (`sk`, `p`, `val`, `sys`);
--> statement-breakpoint

-- string: `v` lower-cased, accent-stripped (default starts-with and :contains); `x` the original value
-- when it differs from `v` (for :exact), else ''.
CREATE TABLE `fhir_idx_string` (
	`rid` integer NOT NULL,
	`sk` integer NOT NULL,
	`p` text NOT NULL,
	`v` text NOT NULL,
	`x` text NOT NULL,
	PRIMARY KEY (`rid`, `p`, `v`, `x`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `fhir_idx_string_v` ON `fhir_idx_string` (`sk`, `p`, `v`);
--> statement-breakpoint

-- date: [lo, hi] in epoch ms, both inclusive, covering the value's precision, a Period or a Timing.
CREATE TABLE `fhir_idx_date` (
	`rid` integer NOT NULL,
	`sk` integer NOT NULL,
	`p` text NOT NULL,
	`lo` integer NOT NULL,
	`hi` integer NOT NULL,
	PRIMARY KEY (`rid`, `p`, `lo`, `hi`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `fhir_idx_date_lo` ON `fhir_idx_date` (`sk`, `p`, `lo`);
--> statement-breakpoint

-- number: [lo, hi] (lo = hi for plain numbers).
CREATE TABLE `fhir_idx_number` (
	`rid` integer NOT NULL,
	`sk` integer NOT NULL,
	`p` text NOT NULL,
	`lo` real NOT NULL,
	`hi` real NOT NULL,
	PRIMARY KEY (`rid`, `p`, `lo`, `hi`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `fhir_idx_number_lo` ON `fhir_idx_number` (`sk`, `p`, `lo`);
--> statement-breakpoint

-- quantity: Quantity/Money/Range/Duration/Age with (system, code) as stored. A UCUM-convertible value
-- also gets a canonical row: sys = '', code = '=' || canonical unit, lo/hi in canonical units.
CREATE TABLE `fhir_idx_quantity` (
	`rid` integer NOT NULL,
	`sk` integer NOT NULL,
	`p` text NOT NULL,
	`sys` text NOT NULL,
	`code` text NOT NULL,
	`lo` real NOT NULL,
	`hi` real NOT NULL,
	PRIMARY KEY (`rid`, `p`, `code`, `sys`, `lo`, `hi`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `fhir_idx_quantity_v` ON `fhir_idx_quantity` (`sk`, `p`, `code`, `lo`);
--> statement-breakpoint

-- reference: local references as (tt target type, tid target id); absolute URLs and canonicals also keep
-- the URL in `u` (tt/tid parsed from it when it ends in Type/id).
CREATE TABLE `fhir_idx_reference` (
	`rid` integer NOT NULL,
	`sk` integer NOT NULL,
	`p` text NOT NULL,
	`tt` text NOT NULL,
	`tid` text NOT NULL,
	`u` text NOT NULL,
	PRIMARY KEY (`rid`, `p`, `tt`, `tid`, `u`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `fhir_idx_reference_t` ON `fhir_idx_reference` (`sk`, `p`, `tid`, `tt`);
--> statement-breakpoint

-- uri
CREATE TABLE `fhir_idx_uri` (
	`rid` integer NOT NULL,
	`sk` integer NOT NULL,
	`p` text NOT NULL,
	`v` text NOT NULL,
	PRIMARY KEY (`rid`, `p`, `v`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `fhir_idx_uri_v` ON `fhir_idx_uri` (`sk`, `p`, `v`);
--> statement-breakpoint

-- composite: one row per element instance combining its components. Component 1 is always a token
-- (s1, c1); component 2 is a token/string/reference (s2, c2) or a number/quantity/date range (lo2, hi2,
-- with the unit in s2/c2 for quantities); component 3 (MolecularSequence coordinates) a number (lo3, hi3).
CREATE TABLE `fhir_idx_composite` (
	`rid` integer NOT NULL,
	`sk` integer NOT NULL,
	`p` text NOT NULL,
	`s1` text NOT NULL,
	`c1` text NOT NULL,
	`s2` text,
	`c2` text,
	`lo2` real,
	`hi2` real,
	`lo3` real,
	`hi3` real
);
--> statement-breakpoint
CREATE INDEX `fhir_idx_composite_rid` ON `fhir_idx_composite` (`rid`);
--> statement-breakpoint
CREATE INDEX `fhir_idx_composite_v` ON `fhir_idx_composite` (`sk`, `p`, `c1`);
--> statement-breakpoint

-- _text (narrative, column t) and _content (distinct words of every string in the resource, column c);
-- rowid = rid. Column s holds one token "k<sk>": queries AND it in, so FTS5 intersects with the scope's
-- posting list instead of returning every tenant's matches. Contentless: only the inverted index is
-- stored; contentless_delete allows DELETE by rowid.
CREATE VIRTUAL TABLE `fhir_idx_text` USING fts5(
	t, c, s, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2'
);
