import type { AuthedCtx } from "../../context";
import { visibleSystems } from "./code-systems";
import { depsOf } from "./deps";

export interface CodeSystemSummary {
  name: string;
  version: string;
  code_count: number;
  builtin: boolean;
}

/** Seed 004 `construe_list`: the builtin catalog plus the caller's own custom systems. */
export async function listCodeSystems({ ctx }: { ctx: AuthedCtx }): Promise<{ systems: CodeSystemSummary[] }> {
  const rows = await visibleSystems(depsOf(ctx).db, ctx.principal.orgId);
  return {
    systems: rows.map((r) => ({
      name: r.name,
      version: r.version,
      code_count: r.code_count,
      builtin: r.builtin === 1,
    })),
  };
}
