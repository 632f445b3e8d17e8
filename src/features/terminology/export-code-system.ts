import type { AuthedCtx } from "../../context";
import { AppError, errors } from "../../platform/errors";
import { resolveSystem } from "./code-systems";
import { depsOf } from "./deps";

export interface ExportedCode {
  code: string;
  description: string;
  definition?: string;
}

export interface ExportedCodeSystem {
  name: string;
  version: string;
  format: "json";
  codes: ExportedCode[];
}

/**
 * Seed 004 `construe_export`: a custom system as the JSON upload body that recreates it (POST it to
 * /construe/upload as is). Builtin → 403, still processing → 409, failed → 424.
 */
export async function exportCodeSystem({
  ctx,
  input,
}: {
  ctx: AuthedCtx;
  input: { name: string; version?: string };
}): Promise<ExportedCodeSystem> {
  const { db } = depsOf(ctx);
  const s = await resolveSystem(db, ctx.principal.orgId, input.name, input.version);
  if (s.builtin === 1 || s.org_id === null) {
    throw errors.forbidden(`Builtin code system '${s.name}' cannot be exported`, { code: "builtin_code_system" });
  }
  if (s.status === "processing") {
    throw errors.conflict(`Code system '${s.name}' ${s.version} is still processing`, {
      code: "code_system_processing",
    });
  }
  if (s.status === "failed") {
    throw new AppError(
      "failed_dependency",
      `Code system '${s.name}' ${s.version} failed processing: ${s.failure_reason ?? "unknown reason"}`,
      {
        code: "code_system_failed",
      },
    );
  }
  const rows =
    s.active_set === null
      ? []
      : (
          await db
            .prepare("SELECT code, description, definition FROM codes WHERE set_id = ?1 ORDER BY code_key, code")
            .bind(s.active_set)
            .all<{ code: string; description: string; definition: string | null }>()
        ).results;
  return {
    name: s.name,
    version: s.version,
    format: "json",
    codes: rows.map((r) => ({
      code: r.code,
      description: r.description,
      ...(r.definition ? { definition: r.definition } : {}),
    })),
  };
}
