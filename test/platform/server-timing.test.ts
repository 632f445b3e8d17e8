import { describe, expect, it } from "vitest";
import { newStore, patient } from "../fhir/rest/fhir-helpers";
import { admin, call, createKey, createOrg } from "../harness";

/** `d1` round trips from a Server-Timing header (`d1;dur=..;desc="N round trips"`), 0 when absent. */
function d1RoundTrips(res: Response): number {
  const m = /d1;dur=[\d.]+;desc="(\d+) round trips?, \d+ statements?"/.exec(res.headers.get("Server-Timing") ?? "");
  return m ? Number(m[1]) : 0;
}

const fhirJson = { "Content-Type": "application/fhir+json" };

describe("Server-Timing", () => {
  it("reports the time in the Worker and the D1 round trips of a request", async () => {
    const res = await call("/health");
    expect(res.status).toBe(200);
    expect(res.headers.get("Server-Timing")).toMatch(
      /^app;dur=\d+\.\d, d1;dur=\d+\.\d;desc="1 round trip, 1 statement"$/,
    );
    const none = await call("/no-such-route");
    expect(none.status).toBe(404);
    expect(none.headers.get("Server-Timing")).toMatch(/^app;dur=\d+\.\d$/);
  });

  it("FHIR create and read: credential and store in one D1 round trip, steps auth and rate reported", async () => {
    const s = await newStore();
    const created = await call(`${s.base}/Patient`, {
      method: "POST",
      auth: s.key,
      headers: fhirJson,
      body: JSON.stringify(patient()),
    });
    expect(created.status).toBe(201);
    // Credential + store (one query), then the write batch with its audit row.
    expect(d1RoundTrips(created)).toBe(2);
    expect(created.headers.get("Server-Timing")).toMatch(/auth;dur=.*rate;dur=/);
    const id = ((await created.json()) as { id: string }).id;

    const read = await call(`${s.base}/Patient/${id}`, { auth: s.key });
    expect(read.status).toBe(200);
    // Credential + store + the resource in one batch (the audit row is written later, coalesced).
    expect(d1RoundTrips(read)).toBe(1);
    expect(read.headers.get("RateLimit-Limit")).toBe("1000");
  });
});

describe("FHIR routes: credential and store checked on every request", () => {
  it("a revoked key is refused on the very next request, also once the isolate knows it", async () => {
    const s = await newStore();
    const key = await createKey(s.orgId, ["fhir:read", "fhir:write"]);
    for (let i = 0; i < 2; i++) expect((await call(`${s.base}/Patient?_count=1`, { auth: key })).status).toBe(200);
    const keys = (await admin(`/admin/organizations/${s.orgId}/api-keys`)).body.data as {
      id: string;
      prefix: string;
    }[];
    const row = keys.find((k) => key.startsWith(k.prefix))!;
    expect((await admin(`/admin/organizations/${s.orgId}/api-keys/${row.id}`, { method: "DELETE" })).status).toBe(200);
    const refused = await call(`${s.base}/Patient?_count=1`, { auth: key });
    expect(refused.status).toBe(401);
    // The rest of the organization is unaffected.
    expect((await call(`${s.base}/Patient?_count=1`, { auth: s.key })).status).toBe(200);
  });

  it("another organization's key never opens the store; a deleted store is gone at once", async () => {
    const s = await newStore();
    const other = await createOrg();
    const cross = await call(`${s.base}/Patient?_count=1`, { auth: other.key });
    expect(cross.status).toBe(404);
    const cross2 = await call(`/datastore/${s.storeId}/r4/Patient/x`, { auth: other.key });
    expect(cross2.status).toBe(404);
    expect(((await cross2.json()) as { issue: { diagnostics?: string }[] }).issue[0]?.diagnostics).toContain(
      "not found",
    );

    expect((await call(`${s.base}/Patient?_count=1`, { auth: s.key })).status).toBe(200);
    const del = await call(`/api/fhirserver/${s.storeId}`, { method: "DELETE", auth: s.key });
    expect(del.status).toBeLessThan(300);
    expect((await call(`${s.base}/Patient?_count=1`, { auth: s.key })).status).toBe(404);
  });
});
