/**
 * Reads are audited (who, what, when, outcome) in coalesced batches written after the answer
 * (src/features/audit/record-audit.ts): no event may be lost, and each row names its request.
 */
import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { FHIR_JSON, newStore, patient } from "../fhir/rest/fhir-helpers";
import { call } from "../harness";

async function auditRows(orgId: string, requestIds: string[], want: number) {
  const query = env.DB.prepare(
    "SELECT request_id, action, entity_type, entity_id, outcome, actor_type FROM audit_events WHERE org_id = ? AND request_id IN (SELECT value FROM json_each(?))",
  ).bind(orgId, JSON.stringify(requestIds));
  let rows = (await query.all<Record<string, unknown>>()).results;
  for (let i = 0; i < 100 && rows.length < want; i++) {
    await new Promise((r) => setTimeout(r, 20));
    rows = (await query.all<Record<string, unknown>>()).results;
  }
  return rows;
}

it("every one of 40 concurrent reads leaves its own audit row", async () => {
  const s = await newStore();
  const created = await call(`${s.base}/Patient`, {
    method: "POST",
    auth: s.key,
    headers: { "Content-Type": FHIR_JSON },
    body: JSON.stringify(patient("Audited")),
  });
  const id = ((await created.json()) as { id: string }).id;
  const reads = await Promise.all(Array.from({ length: 40 }, () => call(`${s.base}/Patient/${id}`, { auth: s.key })));
  const ids = reads.map((r) => {
    expect(r.status).toBe(200);
    return r.headers.get("X-Request-Id") as string;
  });
  const rows = await auditRows(s.orgId, ids, 40);
  expect(rows).toHaveLength(40);
  expect(new Set(rows.map((r) => r.request_id))).toEqual(new Set(ids));
  for (const r of rows) {
    expect(r).toMatchObject({
      action: "fhir.read",
      entity_type: "Patient",
      entity_id: id,
      outcome: 200,
      actor_type: "api_key",
    });
  }
});
