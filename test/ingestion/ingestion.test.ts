import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { callJson, createKey, createOrg } from "../harness";

type IngestError = {
  error: string;
  message: string;
  statusCode: number;
  details?: Record<string, unknown>;
  retryAfter?: number;
};
type Record_ = {
  transactionId: string;
  groupId: string;
  storeId: string;
  status: string;
  entryCount: number;
  created: number;
  updated: number;
  unchanged: number;
  resources: { resourceType: string; id: string; versionId: number | null; outcome: string }[];
  error: { statusCode: number; message: string } | null;
};

const P = "f6ff3181-2799-47a0-9b8e-ad5569eb91b0";
const A = "39f640a9-e304-4c13-8b40-07ece7a03c15";
const E = "73ca6eec-0a49-429d-8c4d-86c8ccb8a365";
const O = "40275738-6dfc-45f8-bacf-f3a702bf1720";

/** Seed 003's example bundle (trimmed narrative). */
function seedBundle(birthDate = "2004-05-23") {
  const entry = (uuid: string, resource: Record<string, unknown>) => ({
    fullUrl: `urn:uuid:${uuid}`,
    resource,
    request: { method: "POST", url: resource.resourceType },
  });
  return {
    resourceType: "Bundle",
    type: "transaction",
    entry: [
      entry(P, {
        resourceType: "Patient",
        identifier: [{ system: "http://hospital.org/mrn", value: "24250053463" }],
        name: [{ family: "Khan", given: ["Ali"] }],
        gender: "male",
        birthDate,
        telecom: [{ system: "phone", use: "mobile", value: "+923001234313" }],
      }),
      entry(A, {
        resourceType: "Appointment",
        status: "booked",
        start: "2024-05-23T10:00:00Z",
        end: "2024-05-23T11:00:00Z",
        participant: [{ actor: { reference: `urn:uuid:${P}` }, status: "accepted" }],
      }),
      entry(E, {
        resourceType: "Encounter",
        status: "in-progress",
        class: { system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "AMB", display: "ambulatory" },
        subject: { reference: `urn:uuid:${P}` },
        appointment: [{ reference: `urn:uuid:${A}` }],
        period: { start: "2024-05-23T10:05:00Z" },
      }),
      entry(O, {
        resourceType: "Observation",
        status: "final",
        code: { coding: [{ system: "http://loinc.org", code: "85354-9" }], text: "Blood Pressure" },
        subject: { reference: `urn:uuid:${P}` },
        encounter: { reference: `urn:uuid:${E}` },
        effectiveDateTime: "2024-05-23T10:12:00Z",
        performer: [{ reference: "Practitioner/practitioner-1", display: "Dr. Example" }],
      }),
    ],
  };
}

const ingest = (groupId: string, key: string | null, body: unknown, headers: Record<string, string> = {}) =>
  callJson<IngestError & { transactionId: string }>(`/api/g/${groupId}/ingestion/fhir/v4`, {
    method: "POST",
    headers: { ...(key ? { "X-API-KEY": key } : {}), ...headers },
    ...(typeof body === "string"
      ? { body, headers: { "Content-Type": "application/json", ...(key ? { "X-API-KEY": key } : {}), ...headers } }
      : { json: body }),
  });
const record = (groupId: string, key: string, id: string) =>
  callJson<Record_ & IngestError>(`/api/g/${groupId}/ingestion/transactions/${id}`, { headers: { "X-API-KEY": key } });

async function stored(table: string, storeId: string): Promise<number> {
  const r = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE store_id = ?1`)
    .bind(storeId)
    .first<{ n: number }>();
  return r?.n ?? 0;
}

describe("POST /api/g/{groupId}/ingestion/fhir/v4", () => {
  it("ingests seed 003's bundle into the org's default store; the transaction is recorded", async () => {
    const org = await createOrg();
    const r = await ingest(org.orgId, org.key, seedBundle());
    expect(r.status).toBe(200);
    expect(Object.keys(r.body)).toEqual(["transactionId"]);
    expect(r.body.transactionId).toMatch(/^[A-Za-z0-9]{22}$/);
    const rec = await record(org.orgId, org.key, r.body.transactionId);
    expect(rec.status).toBe(200);
    expect(rec.body).toMatchObject({
      groupId: org.orgId,
      status: "completed",
      entryCount: 4,
      created: 4,
      updated: 0,
      unchanged: 0,
      error: null,
    });
    expect(rec.body.resources.map((x) => `${x.resourceType}/${x.id}`).sort()).toEqual(
      [`Appointment/${A}`, `Encounter/${E}`, `Observation/${O}`, `Patient/${P}`].sort(),
    );
    // Stored in the default store (created on first use), references rewritten to Type/<uuid>.
    const enc = await callJson<{ subject: { reference: string }; appointment: { reference: string }[] }>(
      `/FHIR/R4/Encounter/${E}`,
      { auth: org.key },
    );
    expect(enc.status).toBe(200);
    expect(enc.body.subject.reference).toBe(`Patient/${P}`);
    expect(enc.body.appointment[0]!.reference).toBe(`Appointment/${A}`);
    const stores = await callJson<{ data: { id: string; name: string }[] }>("/api/fhirserver/list", { auth: org.key });
    expect(stores.body.data.map((x) => x.id)).toEqual([rec.body.storeId]);
  });

  it("is idempotent by fullUrl: resubmitting updates the same resources, identical data adds no version", async () => {
    const org = await createOrg();
    const first = await ingest(org.orgId, org.key, seedBundle());
    const storeId = (await record(org.orgId, org.key, first.body.transactionId)).body.storeId;
    const again = await ingest(org.orgId, org.key, seedBundle());
    expect(again.status).toBe(200);
    expect(again.body.transactionId).not.toBe(first.body.transactionId);
    const rec2 = (await record(org.orgId, org.key, again.body.transactionId)).body;
    expect(rec2).toMatchObject({ created: 0, updated: 0, unchanged: 4 });
    expect(await stored("fhir_resources", storeId)).toBe(4);
    expect(await stored("fhir_history", storeId)).toBe(4);
    const changed = await ingest(org.orgId, org.key, seedBundle("2004-05-24"));
    const rec3 = (await record(org.orgId, org.key, changed.body.transactionId)).body;
    expect(rec3).toMatchObject({ created: 0, updated: 1, unchanged: 3 });
    expect(rec3.resources.find((x) => x.resourceType === "Patient")).toMatchObject({
      id: P,
      versionId: 2,
      outcome: "updated",
    });
    expect(await stored("fhir_resources", storeId)).toBe(4);
    expect(await stored("fhir_history", storeId)).toBe(5);
  });

  it("400s in seed 003's shape: malformed JSON, not a Bundle, not a transaction, over 100 entries", async () => {
    const org = await createOrg();
    const malformed = await ingest(org.orgId, org.key, "{nope");
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: "Bad Request", statusCode: 400 });
    const notBundle = await ingest(org.orgId, org.key, { resourceType: "Patient" });
    expect(notBundle.body).toEqual({
      error: "Bad Request",
      message: "Invalid FHIR Bundle: resourceType must be 'Bundle'",
      statusCode: 400,
    });
    const batch = await ingest(org.orgId, org.key, { ...seedBundle(), type: "batch" });
    expect(batch.status).toBe(400);
    expect(batch.body.message).toContain("type must be 'transaction'");
    const big = seedBundle();
    const many = {
      ...big,
      entry: Array.from({ length: 101 }, (_, i) => ({
        ...big.entry[0],
        fullUrl: `urn:uuid:00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      })),
    };
    const over = await ingest(org.orgId, org.key, many);
    expect(over.status).toBe(400);
    expect(over.body.message).toContain("101 entries; the maximum is 100");
    const badEntry = await ingest(org.orgId, org.key, {
      resourceType: "Bundle",
      type: "transaction",
      entry: [{ resource: { resourceType: "Patient" } }],
    });
    expect(badEntry.status).toBe(400);
    expect(badEntry.body.statusCode).toBe(400);
    const xml = await ingest(org.orgId, org.key, "<Bundle/>", { "Content-Type": "application/xml" });
    expect(xml.status).toBe(415);
  });

  it("401 without or with an invalid key; 403 without ingestion:write; 404 for another group", async () => {
    const org = await createOrg();
    const none = await ingest(org.orgId, null, seedBundle());
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ error: "Unauthorized", message: "Invalid or missing API key", statusCode: 401 });
    const wrong = await ingest(org.orgId, "hk_invalid", seedBundle());
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe("Unauthorized");
    const fhirOnly = await createKey(org.orgId, ["fhir:write"]);
    const forbidden = await ingest(org.orgId, fhirOnly, seedBundle());
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toMatchObject({ error: "Forbidden", statusCode: 403 });
    const other = await createOrg();
    const cross = await ingest(other.orgId, org.key, seedBundle());
    expect(cross.status).toBe(404);
    expect(cross.body).toMatchObject({ error: "Not Found", statusCode: 404 });
  });

  it("422 with {resourceType, field, issue} for invalid data; nothing is stored; the failure is recorded", async () => {
    const org = await createOrg();
    const r = await ingest(org.orgId, org.key, seedBundle("23/05/2004"));
    expect(r.status).toBe(422);
    expect(r.body.error).toBe("Unprocessable Entity");
    expect(r.body.message).toMatch(/^FHIR validation error: /);
    expect(r.body.details).toMatchObject({ resourceType: "Patient", field: "birthDate" });
    expect(typeof r.body.details!.issue).toBe("string");
    const stores = await callJson<{ data: { id: string }[] }>("/api/fhirserver/list", { auth: org.key });
    expect(await stored("fhir_resources", stores.body.data[0]!.id)).toBe(0);
    const dangling = seedBundle();
    (dangling.entry[3]!.resource as { subject: { reference: string } }).subject.reference =
      "urn:uuid:11111111-2222-4333-8444-555555555555";
    const d = await ingest(org.orgId, org.key, dangling);
    expect(d.status).toBe(422);
    expect(d.body.details).toMatchObject({ resourceType: "Observation" });
    const rows = await env.DB.prepare("SELECT status, error FROM ingestion_transactions WHERE org_id = ?1")
      .bind(org.orgId)
      .all<{ status: string; error: string }>();
    expect(rows.results.map((x) => x.status)).toEqual(["failed", "failed"]);
  });

  it("429 with retryAfter beyond 10 requests per second", async () => {
    const org = await createOrg();
    const key = await createKey(org.orgId, ["ingestion:write"]);
    const results = await Promise.all(
      Array.from({ length: 14 }, () => ingest(org.orgId, key, { resourceType: "Patient" })),
    );
    const limited = results.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.body).toMatchObject({
      error: "Too Many Requests",
      message: "Rate limit exceeded. Please try again later.",
      statusCode: 429,
    });
    expect(limited[0]!.body.retryAfter).toBeGreaterThanOrEqual(1);
    expect(results.every((r) => r.status === 429 || r.status === 400)).toBe(true);
  });
});

describe("GET /api/g/{groupId}/ingestion/transactions/{id}", () => {
  it("404 for unknown ids and other organizations' transactions", async () => {
    const org = await createOrg();
    const other = await createOrg();
    const r = await ingest(org.orgId, org.key, seedBundle());
    expect((await record(org.orgId, org.key, "nope")).status).toBe(404);
    const cross = await record(other.orgId, other.key, r.body.transactionId);
    expect(cross.status).toBe(404);
    expect(cross.body).toMatchObject({ error: "Not Found", statusCode: 404 });
    expect((await record(org.orgId, other.key, r.body.transactionId)).status).toBe(404);
  });
});
