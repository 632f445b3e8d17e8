import type { AuthedCtx } from "../../context";
import { errors } from "../../platform/errors";
import { resolveSystem } from "./code-systems";
import { depsOf } from "./deps";
import { purgeOrQueue } from "./purge-code-set";

/**
 * Seed 004 `construe_delete`: custom systems only (builtin → 403). The system disappears at once;
 * its codes and vectors are purged right away when small, else by the queue consumer.
 */
export async function deleteCodeSystem({
  ctx,
  input,
}: {
  ctx: AuthedCtx;
  input: { name: string; version?: string };
}): Promise<{ message: string }> {
  const deps = depsOf(ctx);
  const s = await resolveSystem(deps.db, ctx.principal.orgId, input.name, input.version);
  if (s.builtin === 1 || s.org_id === null) {
    throw errors.forbidden(`Builtin code system '${s.name}' cannot be deleted`, { code: "builtin_code_system" });
  }
  const { results: sets } = await deps.db
    .prepare("SELECT id, code_count FROM code_sets WHERE system_id = ?1")
    .bind(s.id)
    .all<{ id: number; code_count: number }>();
  await deps.db.batch([
    deps.db.prepare("DELETE FROM code_systems WHERE id = ?1 AND org_id = ?2").bind(s.id, ctx.principal.orgId),
    deps.db.prepare("UPDATE code_sets SET state = 'retired' WHERE system_id = ?1").bind(s.id),
  ]);
  for (const set of sets) await purgeOrQueue(deps, set, s.id);
  return { message: "code system deleted successfully" };
}
