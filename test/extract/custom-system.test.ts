import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dictionaryKey } from "../../src/features/extract/dictionary-store";
import { clearDictionaryMemory } from "../../src/features/extract/load-dictionary";
import { createOrg, type TestOrg } from "../harness";
import { codesOf, drainQueue, type ErrorBody, extract, uploadSystem } from "./helpers";

afterAll(drainQueue);

const CODES = [
  { code: "RK-1", description: "Atrophic kidney" },
  { code: "RK-2", description: "Renal cyst" },
  { code: "RK-3", description: "Abnormal renal ultrasound" },
  { code: "RK-4", description: "Hydronephrosis" },
];
const TEXT =
  "Patient is a 14-year-old female, previously healthy, who is here for evaluation of abnormal renal ultrasound with atrophic right kidney. No hydronephrosis.";

let a: TestOrg;
let b: TestOrg;

async function activeSet(org: TestOrg, name: string, version: string): Promise<number> {
  const row = await env.DB.prepare(
    "SELECT active_set FROM code_systems WHERE org_id = ?1 AND name = ?2 AND version = ?3",
  )
    .bind(org.orgId, name, version)
    .first<{ active_set: number }>();
  return row!.active_set;
}

beforeAll(async () => {
  a = await createOrg("extract-custom-a");
  b = await createOrg("extract-custom-b");
  await uploadSystem(a, "RENAL_FINDINGS", "1.0", CODES);
});

describe("POST /construe/extract with a custom system", () => {
  it("extracts the tenant's own codes (name case-insensitive)", async () => {
    const r = await extract(a, { text: TEXT, system: { name: "renal_findings" }, config: { include_invalid: true } });
    expect(r.status).toBe(200);
    expect(r.body.system).toEqual({ name: "RENAL_FINDINGS", version: "1.0" });
    expect(r.body.codes.map((c) => [c.code, c.valid])).toEqual([
      ["RK-3", true],
      ["RK-1", true],
      ["RK-4", false], // "No hydronephrosis"
    ]);
  });

  it("is invisible to another tenant (404), who may have a system of the same name", async () => {
    const hidden = await extract<ErrorBody>(b, { text: TEXT, system: { name: "RENAL_FINDINGS" } });
    expect(hidden.status).toBe(404);
    expect(hidden.body.error.code).toBe("code_system_not_found");
    await uploadSystem(b, "RENAL_FINDINGS", "1.0", [{ code: "B-9", description: "Renal cyst" }]);
    const own = await extract(b, { text: `${TEXT} Small renal cyst.`, system: { name: "RENAL_FINDINGS" } });
    expect(codesOf(own)).toEqual(["B-9"]);
    const stillA = await extract(a, { text: TEXT, system: { name: "RENAL_FINDINGS" } });
    expect(codesOf(stillA)).toEqual(["RK-3", "RK-1"]);
  });
});

describe("compiled dictionaries: memory, R2, and invalidation by code set", () => {
  it("compiles once, stores the dictionary in R2, and a cold isolate loads the stored copy", async () => {
    await uploadSystem(a, "CACHED_CODES", "1", CODES);
    const setId = await activeSet(a, "CACHED_CODES", "1");
    const key = dictionaryKey(setId);
    expect(key).toBe(`code-sets/${setId}/nlp-dictionary-b3.json.gz`);
    expect(await env.BLOBS.head(key)).toBeNull();

    const req = { text: TEXT, system: { name: "CACHED_CODES" }, config: { include_citations: true } };
    const first = await extract(a, req);
    expect(first.headers.get("X-Hearth-Dictionary")).toMatch(/^compiled; codes=4; load_ms=/);
    const stored = await env.BLOBS.head(key);
    expect(stored?.customMetadata).toMatchObject({ system: "CACHED_CODES", version: "1", codes: "4" });

    const second = await extract(a, req);
    expect(second.headers.get("X-Hearth-Dictionary")).toMatch(/^memory; codes=4;/);
    expect(second.body).toEqual(first.body);

    clearDictionaryMemory(); // a new isolate: nothing in memory
    const cold = await extract(a, req);
    expect(cold.headers.get("X-Hearth-Dictionary")).toMatch(/^stored; codes=4;/);
    expect(cold.body).toEqual(first.body);
  });

  it("rebuilds from D1 when the stored copy is unreadable, and replaces it", async () => {
    await uploadSystem(a, "DAMAGED_CODES", "1", CODES);
    const key = dictionaryKey(await activeSet(a, "DAMAGED_CODES", "1"));
    const req = { text: TEXT, system: { name: "DAMAGED_CODES" } };
    const first = await extract(a, req);
    await env.BLOBS.put(key, "not gzip");
    clearDictionaryMemory();
    const rebuilt = await extract(a, req);
    expect(rebuilt.status).toBe(200);
    expect(rebuilt.headers.get("X-Hearth-Dictionary")).toMatch(/^compiled;/);
    expect(rebuilt.body).toEqual(first.body);
    clearDictionaryMemory();
    expect((await extract(a, req)).headers.get("X-Hearth-Dictionary")).toMatch(/^stored;/);
  });

  it("a replaced upload is a new code set: its dictionary is compiled afresh, the old one is not used", async () => {
    await uploadSystem(a, "REPLACED_CODES", "1", CODES);
    const oldSet = await activeSet(a, "REPLACED_CODES", "1");
    const req = { text: TEXT, system: { name: "REPLACED_CODES" } };
    expect(codesOf(await extract(a, req))).toEqual(["RK-3", "RK-1"]);
    expect(await env.BLOBS.head(dictionaryKey(oldSet))).not.toBeNull();
    await uploadSystem(a, "REPLACED_CODES", "1", [{ code: "NEW-1", description: "Atrophic kidney" }]);
    const newSet = await activeSet(a, "REPLACED_CODES", "1");
    expect(newSet).not.toBe(oldSet);
    // The retired set is purged with everything derived from it.
    expect(await env.BLOBS.head(dictionaryKey(oldSet))).toBeNull();
    const after = await extract(a, req);
    expect(after.headers.get("X-Hearth-Dictionary")).toMatch(/^compiled; codes=1;/);
    expect(codesOf(after)).toEqual(["NEW-1"]);
  });
});
