import type { AuthedCtx } from "../../context";
import { nowIso } from "../../platform/clock";
import { randomId } from "../../platform/ids";
import { depsOf } from "./deps";

export interface FeedbackInput {
  text: string;
  received_result: unknown;
  expected_result: unknown;
  detail?: string;
}

/** Seed 004 `construe_submitFeedback`: stored per tenant for later review. */
export async function submitFeedback({
  ctx,
  input,
}: {
  ctx: AuthedCtx;
  input: FeedbackInput;
}): Promise<{ id: string }> {
  const id = randomId();
  await depsOf(ctx)
    .db.prepare(
      `INSERT INTO construe_feedback (id, org_id, text, received_result, expected_result, detail, created_at)
       VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)`,
    )
    .bind(
      id,
      ctx.principal.orgId,
      input.text,
      JSON.stringify(input.received_result),
      JSON.stringify(input.expected_result),
      input.detail ?? null,
      nowIso(),
    )
    .run();
  return { id };
}
