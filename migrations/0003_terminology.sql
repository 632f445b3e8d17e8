-- Terminology service (issue 5): code systems, their codes, full-text and code-substring indexes,
-- the local semantic index and extraction feedback. Hand-written: FTS5 tables and triggers are
-- beyond drizzle-kit. Table meanings are documented in docs/storage-schema.md.
--
-- Generations. A code system's codes live in a "code set" (one generation). An import or upload
-- fills a new set while readers keep using `code_systems.active_set`; one batch then points the
-- system at the new set, so readers see the old or the new content, never a mix. Retired sets are
-- purged afterwards in chunks (D1: one statement must stay well under its time limit).

CREATE TABLE code_systems (
  id TEXT PRIMARY KEY NOT NULL,
  -- NULL for builtin (shared) systems; the owning organization for custom uploads.
  org_id TEXT,
  -- Stored uppercase: names are case-insensitive (seed 004, POST /construe/upload).
  name TEXT NOT NULL,
  version TEXT NOT NULL,
  builtin INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL DEFAULT 'processing' CHECK (status IN ('processing', 'ready', 'failed')),
  failure_reason TEXT,
  code_count INTEGER NOT NULL DEFAULT 0,
  -- The generation readers see (code_sets.id); NULL until the first set is activated.
  active_set INTEGER,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX code_systems_scope_name_version ON code_systems (ifnull(org_id, ''), name, version);
CREATE INDEX code_systems_name ON code_systems (name, org_id);

CREATE TABLE code_sets (
  -- AUTOINCREMENT: a generation id is never reused, so in-memory caches can key on it.
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  system_id TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('loading', 'active', 'retired', 'failed')),
  -- R2 key of the validated upload payload the queue consumer loads (custom uploads only).
  source_key TEXT,
  -- Lease of the queue consumer processing an upload (a redelivered message waits for it to expire).
  claimed_at TEXT,
  code_count INTEGER NOT NULL DEFAULT 0,
  -- Rowid range of the set's codes: lets FTS5 seek to the set instead of filtering every match.
  min_code_id INTEGER,
  max_code_id INTEGER,
  -- Semantic index of the set: NULL (none), 'building' or 'ready', and which embedder built it.
  vectors_state TEXT CHECK (vectors_state IN ('building', 'ready')),
  vectors_embedder TEXT,
  created_at TEXT NOT NULL,
  activated_at TEXT
);
CREATE INDEX code_sets_system ON code_sets (system_id, state);

CREATE TABLE codes (
  -- AUTOINCREMENT keeps ids monotonic (a set's rows form one rowid range) and never reused
  -- (they double as vector ids in the semantic index).
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  set_id INTEGER NOT NULL,
  code TEXT NOT NULL,
  -- Uppercase code without dots: `E11.65` and `e1165` both look up `E1165`.
  code_key TEXT NOT NULL,
  description TEXT NOT NULL,
  definition TEXT,
  -- JSON arrays of strings, NULL when empty.
  synonyms TEXT,
  parents TEXT,
  active INTEGER NOT NULL DEFAULT 1
);
-- Serves lookups (set, key), cursor paging in (key, code) order and code-prefix ranges; being
-- unique on (set, key, code) it also makes (set, code) unique.
CREATE UNIQUE INDEX codes_set_key_code ON codes (set_id, code_key, code);

-- Words and prefixes of descriptions and synonyms (synonyms are indexed as their JSON text: the
-- tokenizer treats brackets, quotes and commas as separators).
CREATE VIRTUAL TABLE codes_fts USING fts5(
  description,
  synonyms,
  content = 'codes',
  content_rowid = 'id',
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '2 3'
);

-- Substrings of code ids (`11.65` finds `E11.65`: the key `1165` is a substring of `E1165`).
CREATE VIRTUAL TABLE codes_code_fts USING fts5(
  code_key,
  content = 'codes',
  content_rowid = 'id',
  tokenize = 'trigram'
);

CREATE TRIGGER codes_after_insert AFTER INSERT ON codes BEGIN
  INSERT INTO codes_fts (rowid, description, synonyms) VALUES (new.id, new.description, new.synonyms);
  INSERT INTO codes_code_fts (rowid, code_key) VALUES (new.id, new.code_key);
END;

CREATE TRIGGER codes_after_delete AFTER DELETE ON codes BEGIN
  INSERT INTO codes_fts (codes_fts, rowid, description, synonyms) VALUES ('delete', old.id, old.description, old.synonyms);
  INSERT INTO codes_code_fts (codes_code_fts, rowid, code_key) VALUES ('delete', old.id, old.code_key);
END;

-- Distinct words of a set (as the FTS tokenizer sees them): the dictionary typo tolerance
-- corrects query words against.
CREATE TABLE code_terms (
  set_id INTEGER NOT NULL,
  term TEXT NOT NULL,
  PRIMARY KEY (set_id, term)
) WITHOUT ROWID;

-- Local semantic index (the D1-backed VectorIndex port): one namespace per code system, int8
-- vectors with a float32 scale. `revision` changes on every write so isolates drop stale caches.
CREATE TABLE code_vectors (
  namespace TEXT NOT NULL,
  item_id TEXT NOT NULL,
  vector BLOB NOT NULL,
  PRIMARY KEY (namespace, item_id)
) WITHOUT ROWID;

CREATE TABLE code_vector_namespaces (
  namespace TEXT PRIMARY KEY NOT NULL,
  revision INTEGER NOT NULL DEFAULT 0,
  dimensions INTEGER NOT NULL
);

-- POST /construe/feedback, per tenant.
CREATE TABLE construe_feedback (
  id TEXT PRIMARY KEY NOT NULL,
  org_id TEXT NOT NULL,
  text TEXT NOT NULL,
  received_result TEXT NOT NULL,
  expected_result TEXT NOT NULL,
  detail TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX construe_feedback_org ON construe_feedback (org_id, created_at);
