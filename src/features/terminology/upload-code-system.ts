import type { AuthedCtx } from "../../context";
import { nowIso } from "../../platform/clock";
import { AppError, errors } from "../../platform/errors";
import { prefixedId, randomId } from "../../platform/ids";
import { RESERVED_NAMES, UNUSABLE_NAMES } from "./catalog";
import { createCodeSet } from "./code-set-writer";
import type { SystemRow } from "./code-systems";
import { depsOf } from "./deps";
import { parseUpload, type UploadInput } from "./parse-upload";
import { d1Executor } from "./sql-executor";
import { normalizeSystemName } from "./text";

export const UPLOAD_PREFIX = "terminology/uploads/";

/**
 * Seed 004 `construe_upload`. Validates every row now (400 naming the row), stores the codes in R2
 * and answers 202 at once; the JOBS queue consumer indexes and embeds them and moves the status to
 * `ready` or `failed`. Names are case-insensitive (stored uppercase); builtin names are reserved
 * (403); an existing name+version is 409 unless `replace` is true.
 */
export async function uploadCodeSystem({
  ctx,
  input,
}: {
  ctx: AuthedCtx;
  input: UploadInput;
}): Promise<{ status: "processing"; name: string; version: string }> {
  const deps = depsOf(ctx);
  const orgId = ctx.principal.orgId;
  const name = normalizeSystemName(input.name);
  const version = input.version.trim();
  if (!name) throw errors.invalid("'name' is empty", { code: "invalid_upload" });
  if (!version) throw errors.invalid("'version' is empty", { code: "invalid_upload" });
  if (UNUSABLE_NAMES.has(name))
    throw errors.invalid(`'${name}' cannot be used as a code system name`, { code: "invalid_upload" });
  const builtinNamed = await deps.db
    .prepare("SELECT 1 AS x FROM code_systems WHERE name = ?1 AND builtin = 1 LIMIT 1")
    .bind(name)
    .first();
  if (RESERVED_NAMES.has(name) || builtinNamed) {
    throw errors.forbidden(`'${name}' is a builtin code system name and cannot be used for a custom upload`, {
      code: "reserved_code_system_name",
    });
  }
  const existing = await deps.db
    .prepare("SELECT * FROM code_systems WHERE org_id = ?1 AND name = ?2 AND version = ?3")
    .bind(orgId, name, version)
    .first<SystemRow>();
  if (existing && !input.replace) {
    throw errors.conflict(
      `Code system '${name}' version '${version}' already exists (send replace: true to replace it)`,
      {
        code: "code_system_exists",
      },
    );
  }
  if (existing?.status === "processing") {
    throw errors.conflict(
      `Code system '${name}' version '${version}' is still processing; retry when it is ready or failed`,
      {
        code: "code_system_processing",
      },
    );
  }

  const codes = await parseUpload(input);
  const sourceKey = `${UPLOAD_PREFIX}${orgId}/${randomId()}.json`;
  await deps.blobs.put(sourceKey, JSON.stringify(codes), { httpMetadata: { contentType: "application/json" } });

  const at = nowIso();
  const systemId = existing?.id ?? prefixedId("cs");
  try {
    if (existing) {
      await deps.db
        .prepare("UPDATE code_systems SET status = 'processing', failure_reason = NULL, updated_at = ?2 WHERE id = ?1")
        .bind(systemId, at)
        .run();
    } else {
      await deps.db
        .prepare(
          `INSERT INTO code_systems (id, org_id, name, version, builtin, status, code_count, created_at, updated_at)
           VALUES (?1, ?2, ?3, ?4, 0, 'processing', 0, ?5, ?5)`,
        )
        .bind(systemId, orgId, name, version, at)
        .run();
    }
  } catch (e) {
    await deps.blobs.delete(sourceKey);
    if (String(e).includes("UNIQUE")) {
      throw errors.conflict(`Code system '${name}' version '${version}' already exists`, {
        code: "code_system_exists",
      });
    }
    throw e;
  }
  try {
    const setId = await createCodeSet(d1Executor(deps.db), systemId, sourceKey);
    await deps.jobs.send({ type: "terminology.process", setId });
  } catch (e) {
    // Nothing will process the upload: say so in the status rather than leave it "processing".
    await deps.db
      .prepare("UPDATE code_systems SET status = 'failed', failure_reason = ?2, updated_at = ?3 WHERE id = ?1")
      .bind(systemId, "the upload could not be queued for processing; upload again with replace: true", nowIso())
      .run();
    throw new AppError(
      "failed_dependency",
      "The code system could not be queued for processing; retry the upload with replace: true",
      {
        code: "code_system_queue_failed",
        cause: e,
      },
    );
  }
  return { status: "processing", name, version };
}
