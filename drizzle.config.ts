import { defineConfig } from "drizzle-kit";

// drizzle-kit generates the migrations of the tables modelled in src/db/schema. Areas whose tables
// need SQL drizzle cannot model (FTS5, json_each bulk paths, partial indexes) add hand-written
// migration files next to them (see docs/storage-schema.md).
export default defineConfig({ dialect: "sqlite", schema: "./src/db/schema/index.ts", out: "./migrations" });
