import type { AuthedCtx } from "../../context";
import { resolveSystem, type SystemStatus } from "./code-systems";
import { depsOf } from "./deps";

export interface CodeSystemDetail {
  name: string;
  version: string;
  code_count: number;
  builtin: boolean;
  status: SystemStatus;
  created_at: string;
  updated_at: string;
  /** Why processing failed (Hearth addition; present only when status is "failed"). */
  failure_reason?: string;
}

/** Seed 004 `construe_find`. */
export async function getCodeSystem({
  ctx,
  input,
}: {
  ctx: AuthedCtx;
  input: { name: string; version?: string };
}): Promise<CodeSystemDetail> {
  const s = await resolveSystem(depsOf(ctx).db, ctx.principal.orgId, input.name, input.version);
  return {
    name: s.name,
    version: s.version,
    code_count: s.code_count,
    builtin: s.builtin === 1,
    status: s.status,
    created_at: s.created_at,
    updated_at: s.updated_at,
    ...(s.status === "failed" && s.failure_reason ? { failure_reason: s.failure_reason } : {}),
  };
}
