import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleTerminologyJob } from "../../src/features/terminology";
import { createKey, createOrg, type TestOrg } from "../harness";
import { b64, drainQueue, tcall } from "./helpers";

// Messages sent to JOBS are delivered after max_batch_timeout; let them land before this file's runtime goes.
afterAll(drainQueue);

interface System {
  name: string;
  version: string;
  code_count: number;
  builtin: boolean;
  status?: string;
  failure_reason?: string;
}

/** Runs the JOBS consumer for every upload still loading (as the queue would), then waits for the status. */
async function settle(org: TestOrg, name: string, version: string): Promise<System> {
  for (let i = 0; i < 50; i++) {
    const { results } = await env.DB.prepare("SELECT id FROM code_sets WHERE state = 'loading'").all<{ id: number }>();
    for (const r of results) await handleTerminologyJob(env, { type: "terminology.process", setId: r.id });
    const { body } = await tcall<System>(`/construe/codes/systems/${name}?version=${version}`, { auth: org.key });
    if (body.status !== "processing") return body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${name} ${version} is still processing`);
}

const upload = (org: TestOrg, json: Record<string, unknown>) =>
  tcall("/construe/upload", { method: "POST", auth: org.key, json });

let a: TestOrg;
let b: TestOrg;

beforeAll(async () => {
  a = await createOrg("terminology-a");
  b = await createOrg("terminology-b");
});

describe("authentication and scopes", () => {
  it("401 without credentials, 403 without the terminology scope", async () => {
    expect((await tcall("/construe/codes/systems")).status).toBe(401);
    const key = await createKey(a.orgId, ["fhir:read"]);
    const r = await tcall<{ success: boolean; error: { code: string } }>("/construe/codes/systems", { auth: key });
    expect(r.status).toBe(403);
    expect(r.body.success).toBe(false);
    const readOnly = await createKey(a.orgId, ["terminology:read"]);
    expect((await tcall("/construe/codes/systems", { auth: readOnly })).status).toBe(200);
    const up = await tcall("/construe/upload", {
      method: "POST",
      auth: readOnly,
      json: { name: "X", version: "1", format: "json", codes: [{ code: "A", description: "a" }] },
    });
    expect(up.status).toBe(403);
  });
});

describe("OpenAPI", () => {
  it("documents the Construe routes with the seed's operation ids", async () => {
    const { status, body } = await tcall<{ paths: Record<string, Record<string, { operationId?: string }>> }>(
      "/openapi.json",
    );
    expect(status).toBe(200);
    expect(body.paths["/construe/codes/{codesystem}/search/text"]?.get?.operationId).toBe("construe_searchText");
    expect(body.paths["/construe/upload"]?.post?.operationId).toBe("construe_upload");
    expect(body.paths["/construe/codes/systems/{codesystem}"]?.delete?.operationId).toBe("construe_delete");
  });
});

describe("code systems catalog", () => {
  it("lists the builtin catalog of the seed with the starter content", async () => {
    const { status, body } = await tcall<{ systems: System[] }>("/construe/codes/systems", { auth: a.key });
    expect(status).toBe(200);
    const byName = new Map(body.systems.map((s) => [s.name, s]));
    for (const [name, version] of [
      ["ICD-10-CM", "2025"],
      ["ICD-10-PCS", "2025"],
      ["SNOMED_CT_US_LITE", "20240901"],
      ["RXNORM", "11042024"],
      ["LOINC", "2.78"],
      ["HPO", "2025"],
      ["CPT", "2025"],
    ] as const) {
      expect(byName.get(name)).toMatchObject({ name, version, builtin: true });
      expect(Object.keys(byName.get(name)!).sort()).toEqual(["builtin", "code_count", "name", "version"]);
    }
    expect(byName.get("ICD-10-CM")!.code_count).toBeGreaterThan(200);
    expect(byName.get("CPT")!.code_count).toBe(0);
  });

  it("gets one system by case-insensitive name; 404 for an unknown name or version", async () => {
    const r = await tcall<System & { created_at: string; updated_at: string }>("/construe/codes/systems/icd-10-cm", {
      auth: a.key,
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: "ICD-10-CM", version: "2025", builtin: true, status: "ready" });
    expect(r.body.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect((await tcall("/construe/codes/systems/NOPE", { auth: a.key })).status).toBe(404);
    expect((await tcall("/construe/codes/systems/ICD-10-CM?version=1999", { auth: a.key })).status).toBe(404);
  });

  it("builtin systems cannot be deleted or exported (403)", async () => {
    const del = await tcall<{ error: { code: string } }>("/construe/codes/systems/ICD-10-CM", {
      method: "DELETE",
      auth: a.key,
    });
    expect(del.status).toBe(403);
    expect(del.body.error.code).toBe("builtin_code_system");
    expect((await tcall("/construe/codes/systems/LOINC/export", { auth: a.key })).status).toBe(403);
  });
});

describe("codes of builtin systems", () => {
  it("looks up ICD-10-CM codes with or without the dot, case-insensitively", async () => {
    for (const id of ["E11.65", "E1165", "e11.65"]) {
      const r = await tcall(`/construe/codes/ICD-10-CM/${id}`, { auth: a.key });
      expect(r.status).toBe(200);
      expect(r.body).toEqual({
        system: { name: "ICD-10-CM", version: "2025" },
        code: "E11.65",
        description: "Type 2 diabetes mellitus with hyperglycemia",
      });
    }
    const miss = await tcall<{ error: { code: string } }>("/construe/codes/ICD-10-CM/E99.999", { auth: a.key });
    expect(miss.status).toBe(404);
    expect(miss.body.error.code).toBe("code_not_found");
    expect((await tcall("/construe/codes/NOPE/E11", { auth: a.key })).status).toBe(404);
  });

  it("looks up SNOMED CT, LOINC, RxNorm and HPO starter codes", async () => {
    const cases = [
      ["SNOMED_CT_US_LITE", "44054006", "Diabetes mellitus type 2"],
      ["LOINC", "8480-6", "Systolic blood pressure"],
      ["RXNORM", "860975", "24 HR metformin hydrochloride 500 MG Extended Release Oral Tablet"],
      ["HPO", "HP:0001250", "Seizure"],
    ] as const;
    for (const [system, code, description] of cases) {
      const r = await tcall<{ code: string; description: string }>(`/construe/codes/${system}/${code}`, {
        auth: a.key,
      });
      expect(r.status, system).toBe(200);
      expect(r.body.description).toBe(description);
    }
  });

  it("lists codes in code order with the seed's page shape; bad limits and cursors are 400", async () => {
    const r = await tcall<{
      system: unknown;
      codes: Array<{ code: string }>;
      next_cursor: string | null;
      has_more: boolean;
    }>("/construe/codes/ICD-10-CM?limit=5", { auth: a.key });
    expect(r.status).toBe(200);
    expect(r.body.system).toEqual({ name: "ICD-10-CM", version: "2025" });
    expect(r.body.codes).toHaveLength(5);
    expect(r.body.has_more).toBe(true);
    expect(typeof r.body.next_cursor).toBe("string");
    const dflt = await tcall<{ codes: unknown[] }>("/construe/codes/ICD-10-CM", { auth: a.key });
    expect(dflt.body.codes).toHaveLength(20);
    expect((await tcall("/construe/codes/ICD-10-CM?limit=0", { auth: a.key })).status).toBe(400);
    expect((await tcall("/construe/codes/ICD-10-CM?limit=abc", { auth: a.key })).status).toBe(400);
    const bad = await tcall<{ error: { code: string } }>("/construe/codes/ICD-10-CM?cursor=not-a-cursor", {
      auth: a.key,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe("invalid_cursor");
  });
});

describe("text search", () => {
  type Hits = { system: unknown; results: Array<{ code: string; description: string }>; found: number };
  const search = (system: string, q: string, extra = "") =>
    tcall<Hits>(`/construe/codes/${system}/search/text?q=${encodeURIComponent(q)}${extra}`, { auth: a.key });

  it("finds codes by substring of the code id (11.65 → E11.65) and ranks the exact code first", async () => {
    const r = await search("ICD-10-CM", "11.65");
    expect(r.status).toBe(200);
    expect(r.body.results[0]).toEqual({ code: "E11.65", description: "Type 2 diabetes mellitus with hyperglycemia" });
    const e11 = await search("ICD-10-CM", "E11");
    expect(e11.body.results.slice(0, 3).every((h) => h.code.startsWith("E11"))).toBe(true);
    expect(e11.body.found).toBeGreaterThanOrEqual(e11.body.results.length);
    const exact = await search("ICD-10-CM", "E1165");
    expect(exact.body.results[0]!.code).toBe("E11.65");
  });

  it("matches words and prefixes in descriptions and synonyms, exact terms first", async () => {
    const asthma = await search("SNOMED_CT_US_LITE", "asthma");
    expect(asthma.body.results[0]).toEqual({ code: "195967001", description: "Asthma" });
    const prefix = await search("ICD-10-CM", "hypert");
    expect(prefix.body.results.map((h) => h.code)).toContain("I10");
    const synonym = await search("LOINC", "hba1c");
    expect(synonym.body.results[0]!.code).toBe("4548-4");
    const multi = await search("ICD-10-CM", "type 2 diabetes hyperglycemia");
    expect(multi.body.results[0]!.code).toBe("E11.65");
  });

  it("tolerates typos by word length: none under 5 letters, 1 for 5–8, 2 from 9, transposition = 1", async () => {
    const codes = async (q: string) => (await search("SNOMED_CT_US_LITE", q)).body.results.map((h) => h.code);
    expect(await codes("astma")).toContain("195967001"); // 5 letters, 1 deletion
    expect(await codes("asma")).not.toContain("195967001"); // 4 letters: no typo allowed
    expect(await codes("pnuemonia")).toContain("233604007"); // transposition
    expect(await codes("hypertenshun")).toContain("38341003"); // 12 letters, 2 substitutions
    expect(await codes("diabtes")).toContain("73211009");
    expect(await codes("hypertenxxxn")).not.toContain("38341003"); // 3 edits: too many
  });

  it("requires q (400), caps limit at 100 (400 above), 404 for unknown systems", async () => {
    expect((await tcall("/construe/codes/ICD-10-CM/search/text", { auth: a.key })).status).toBe(400);
    expect((await search("ICD-10-CM", "diabetes", "&limit=101")).status).toBe(400);
    const three = await search("ICD-10-CM", "diabetes", "&limit=3");
    expect(three.body.results).toHaveLength(3);
    expect(three.body.found).toBeGreaterThan(3);
    expect((await search("NOPE", "x")).status).toBe(404);
  });
});

describe("semantic search", () => {
  type Hits = { system: { name: string }; results: Array<{ code: string; description: string }> };
  const semantic = (system: string, text: string, extra = "") =>
    tcall<Hits>(`/construe/codes/${system}/search/semantic?text=${encodeURIComponent(text)}${extra}`, { auth: a.key });

  it("finds hyperglycaemia codes for 'high blood sugar' (no shared word) through clinical synonyms", async () => {
    const icd = await semantic("ICD-10-CM", "high blood sugar");
    expect(icd.status).toBe(200);
    expect(icd.body.system).toEqual({ name: "ICD-10-CM", version: "2025" });
    const top = icd.body.results.slice(0, 5).map((h) => h.code);
    expect(top.some((c) => c.startsWith("R73") || c === "E11.65")).toBe(true);
    const sct = await semantic("SNOMED_CT_US_LITE", "high blood sugar", "&limit=3");
    expect(sct.body.results).toHaveLength(3);
    expect(sct.body.results[0]!.code).toBe("80394007");
  });

  it("ranks paraphrases: 'heart attack' → myocardial infarction, 'trouble breathing at night' → orthopnea or sleep apnea", async () => {
    const mi = await semantic("SNOMED_CT_US_LITE", "heart attack", "&limit=5");
    expect(mi.body.results.map((h) => h.code)).toContain("22298006");
    const night = await semantic("ICD-10-CM", "trouble breathing at night", "&limit=5");
    expect(
      night.body.results.map((h) => h.code).some((c) => ["R06.01", "G47.33", "R06.00", "R06.83"].includes(c)),
    ).toBe(true);
  });

  it("requires text (400) and caps limit at 50", async () => {
    expect((await tcall("/construe/codes/ICD-10-CM/search/semantic", { auth: a.key })).status).toBe(400);
    expect((await semantic("ICD-10-CM", "cough", "&limit=51")).status).toBe(400);
    expect((await semantic("ICD-10-CM", "cough")).body.results.length).toBeLessThanOrEqual(10);
  });
});

describe("custom code systems", () => {
  const codes = Array.from({ length: 57 }, (_, i) => ({
    code: `X${String(i).padStart(3, "0")}`,
    description: `Custom finding number ${i}`,
    ...(i % 10 === 0 ? { definition: `Definition of ${i}` } : {}),
  }));

  it("uploads JSON: 202 processing, then ready through the queue consumer", async () => {
    const r = await upload(a, { name: "custom_codes", version: "1.0", format: "json", codes });
    expect(r.status).toBe(202);
    expect(r.body).toEqual({ status: "processing", name: "CUSTOM_CODES", version: "1.0" });
    const before = await tcall<System>("/construe/codes/systems/CUSTOM_CODES?version=1.0", { auth: a.key });
    expect(before.body.status).toBe("processing");
    const after = await settle(a, "CUSTOM_CODES", "1.0");
    expect(after).toMatchObject({ status: "ready", code_count: 57, builtin: false });
    const code = await tcall("/construe/codes/custom_codes/x010", { auth: a.key });
    expect(code.body).toEqual({
      system: { name: "CUSTOM_CODES", version: "1.0" },
      code: "X010",
      description: "Custom finding number 10",
      definition: "Definition of 10",
    });
  });

  it("pages through every code without gaps or repeats, while another upload lands in between", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
      const r: { body: { codes: Array<{ code: string }>; next_cursor: string | null; has_more: boolean } } =
        await tcall(`/construe/codes/CUSTOM_CODES?limit=10${q}`, { auth: a.key });
      seen.push(...r.body.codes.map((c) => c.code));
      cursor = r.body.next_cursor;
      expect(r.body.has_more).toBe(cursor !== null);
      if (pages++ === 1) {
        // Concurrent activity elsewhere must not shift the pages.
        await upload(a, { name: "OTHER", version: "1", format: "json", codes: [{ code: "A0", description: "zzz" }] });
        await settle(a, "OTHER", "1");
      }
    } while (cursor);
    expect(pages).toBe(6);
    expect(seen).toEqual(codes.map((c) => c.code));
  });

  it("searches custom systems by text and by meaning", async () => {
    const t = await tcall<{ results: Array<{ code: string }>; found: number }>(
      "/construe/codes/CUSTOM_CODES/search/text?q=finding%20number%2042",
      { auth: a.key },
    );
    expect(t.body.results[0]!.code).toBe("X042");
    const s = await tcall<{ results: Array<{ code: string }> }>(
      "/construe/codes/CUSTOM_CODES/search/semantic?text=number%2042%20finding",
      {
        auth: a.key,
      },
    );
    expect(s.body.results[0]!.code).toBe("X042");
  });

  it("reserves builtin names (403), rejects unusable names (400) and duplicates (409)", async () => {
    const reserved = await upload(a, {
      name: "icd-10-cm",
      version: "x",
      format: "json",
      codes: [{ code: "A", description: "a" }],
    });
    expect(reserved.status).toBe(403);
    expect((reserved.body as { error: { code: string } }).error.code).toBe("reserved_code_system_name");
    expect(
      (await upload(a, { name: "systems", version: "1", format: "json", codes: [{ code: "A", description: "a" }] }))
        .status,
    ).toBe(400);
    const dup = await upload(a, {
      name: "CUSTOM_CODES",
      version: "1.0",
      format: "json",
      codes: [{ code: "A", description: "a" }],
    });
    expect(dup.status).toBe(409);
  });

  it("rejects bad JSON rows naming the row", async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [
        {
          codes: [
            { code: "A", description: "a" },
            { code: "B", description: " " },
          ],
        },
        /codes\[1\] \(row 2\): code 'B' has an empty description/,
      ],
      [
        {
          codes: [
            { code: "A", description: "a" },
            { code: "A", description: "b" },
          ],
        },
        /codes\[1\] \(row 2\): duplicate code 'A' \(first at row 1\)/,
      ],
      [{ codes: [{ description: "a" }] }, /codes\[0\] \(row 1\): 'code' is missing/],
      [{ codes: [] }, /no codes/],
      [{ file: b64('[{"code": "A"') }, /file is not valid JSON/],
      [{ file: "@@@" }, /not valid base64/],
      [{ file: b64('{"x": 1}') }, /JSON array/],
      [{}, /requires 'codes'/],
    ];
    for (const [extra, message] of cases) {
      const r = await upload(a, { name: "BAD_JSON", version: "1", format: "json", ...extra });
      expect(r.status, JSON.stringify(extra)).toBe(400);
      expect((r.body as { message: string }).message).toMatch(message);
    }
  });

  it("uploads CSV with code/description/definition columns and rejects bad rows naming the row", async () => {
    const csv = 'code,label,notes\nC1,"First, with comma",Long text one\nC2,Second,\n';
    const ok = await upload(a, {
      name: "CSV_CODES",
      version: "2024",
      format: "csv",
      file: b64(csv),
      code_col: "code",
      desc_col: "label",
      defn_col: "notes",
    });
    expect(ok.status).toBe(202);
    expect(await settle(a, "CSV_CODES", "2024")).toMatchObject({ status: "ready", code_count: 2 });
    const c1 = await tcall("/construe/codes/CSV_CODES/C1", { auth: a.key });
    expect(c1.body).toMatchObject({ code: "C1", description: "First, with comma", definition: "Long text one" });

    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [
        { file: b64("code,label\nC1,x\nC2,\n"), code_col: "code", desc_col: "label" },
        /row 3: code 'C2' has an empty description/,
      ],
      [{ file: b64("code,label\nC1,x\nC1,y\n"), code_col: "code", desc_col: "label" }, /row 3: duplicate code 'C1'/],
      [
        { file: b64("code,label\nC1,x\n"), code_col: "code", desc_col: "description" },
        /no description column 'description'/,
      ],
      [{ file: b64('code,label\nC1,"x\n'), code_col: "code", desc_col: "label" }, /line 2: unterminated quoted field/],
      [{ file: b64("code,label\nC1,x,extra\n"), code_col: "code", desc_col: "label" }, /row 2 has 3 fields/],
      [{ file: b64("code,label\n"), code_col: "code", desc_col: "label" }, /no codes/],
      [{ code_col: "code", desc_col: "label" }, /requires 'file'/],
      [{ file: b64("code,label\nC1,x\n"), desc_col: "label" }, /requires 'code_col'/],
    ];
    for (const [extra, message] of bad) {
      const r = await upload(a, { name: "BAD_CSV", version: "1", format: "csv", ...extra });
      expect(r.status, JSON.stringify(extra)).toBe(400);
      expect((r.body as { message: string }).message).toMatch(message);
    }
  });

  it("replaces a version with replace: true; readers see the new codes once ready", async () => {
    const r = await upload(a, {
      name: "CSV_CODES",
      version: "2024",
      format: "json",
      replace: true,
      file: b64(JSON.stringify([{ code: "N1", description: "New one" }])),
    });
    expect(r.status).toBe(202);
    // Until the consumer runs, the previous generation is still what readers see.
    expect((await tcall("/construe/codes/CSV_CODES/C1", { auth: a.key })).status).toBe(200);
    const again = await upload(a, {
      name: "CSV_CODES",
      version: "2024",
      format: "json",
      replace: true,
      codes: [{ code: "Z", description: "z" }],
    });
    expect(again.status).toBe(409); // still processing
    expect(await settle(a, "CSV_CODES", "2024")).toMatchObject({ status: "ready", code_count: 1 });
    expect((await tcall("/construe/codes/CSV_CODES/C1", { auth: a.key })).status).toBe(404);
    expect((await tcall("/construe/codes/CSV_CODES/N1", { auth: a.key })).status).toBe(200);
    // The retired generation is gone from the database.
    const rows = await env.DB.prepare(
      "SELECT count(*) AS n FROM codes c JOIN code_sets s ON s.id = c.set_id JOIN code_systems cs ON cs.id = s.system_id WHERE cs.name = 'CSV_CODES'",
    ).first<number>("n");
    expect(rows).toBe(1);
  });

  it("400 when several versions exist and none is named", async () => {
    await upload(a, {
      name: "CUSTOM_CODES",
      version: "2.0",
      format: "json",
      codes: [{ code: "V2", description: "Version two" }],
    });
    await settle(a, "CUSTOM_CODES", "2.0");
    const r = await tcall<{ error: { code: string }; message: string }>("/construe/codes/systems/CUSTOM_CODES", {
      auth: a.key,
    });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("version_required");
    expect(r.body.message).toMatch(/1\.0, 2\.0/);
    expect((await tcall("/construe/codes/CUSTOM_CODES", { auth: a.key })).status).toBe(400);
    expect((await tcall("/construe/codes/CUSTOM_CODES/V2?version=2.0", { auth: a.key })).status).toBe(200);
  });

  it("exports a custom system as a body that uploads as is", async () => {
    const ex = await tcall<{
      name: string;
      version: string;
      format: string;
      codes: Array<{ code: string; definition?: string }>;
    }>("/construe/codes/systems/CUSTOM_CODES/export?version=1.0", { auth: a.key });
    expect(ex.status).toBe(200);
    expect(ex.body).toMatchObject({ name: "CUSTOM_CODES", version: "1.0", format: "json" });
    expect(ex.body.codes).toHaveLength(57);
    expect(ex.body.codes[10]).toEqual({
      code: "X010",
      description: "Custom finding number 10",
      definition: "Definition of 10",
    });
    expect(ex.body.codes[1]).toEqual({ code: "X001", description: "Custom finding number 1" });
    // Another tenant re-uploads the exported document unchanged.
    const re = await upload(b, ex.body);
    expect(re.status).toBe(202);
    expect(await settle(b, "CUSTOM_CODES", "1.0")).toMatchObject({ status: "ready", code_count: 57 });
  });

  it("export: 409 while processing, 424 when processing failed (with the reason in the system detail)", async () => {
    await upload(a, { name: "FAILING", version: "1", format: "json", codes: [{ code: "F", description: "f" }] });
    const busy = await tcall("/construe/codes/systems/FAILING/export", { auth: a.key });
    expect(busy.status).toBe(409);
    // Lose the stored payload: processing must fail and say why.
    const set = await env.DB.prepare(
      "SELECT s.source_key FROM code_sets s JOIN code_systems cs ON cs.id = s.system_id WHERE cs.name = 'FAILING'",
    ).first<string>("source_key");
    await env.BLOBS.delete(set!);
    const failed = await settle(a, "FAILING", "1");
    expect(failed.status).toBe("failed");
    expect(failed.failure_reason).toMatch(/no longer stored/);
    expect((await tcall("/construe/codes/systems/FAILING/export", { auth: a.key })).status).toBe(424);
    // A failed upload is retried with replace: true.
    expect(
      (
        await upload(a, {
          name: "FAILING",
          version: "1",
          format: "json",
          replace: true,
          codes: [{ code: "F", description: "f" }],
        })
      ).status,
    ).toBe(202);
    expect((await settle(a, "FAILING", "1")).status).toBe("ready");
  });

  it("keeps custom systems to their tenant: another organization gets 404", async () => {
    const list = await tcall<{ systems: System[] }>("/construe/codes/systems", { auth: b.key });
    expect(list.body.systems.some((s) => s.name === "CSV_CODES")).toBe(false);
    for (const path of [
      "/construe/codes/systems/CSV_CODES",
      "/construe/codes/CSV_CODES",
      "/construe/codes/CSV_CODES/N1",
      "/construe/codes/CSV_CODES/search/text?q=new",
      "/construe/codes/CSV_CODES/search/semantic?text=new",
      "/construe/codes/systems/CSV_CODES/export",
    ]) {
      expect((await tcall(path, { auth: b.key })).status, path).toBe(404);
    }
    expect((await tcall("/construe/codes/systems/CSV_CODES", { method: "DELETE", auth: b.key })).status).toBe(404);
    // The same name is free in another tenant.
    expect(
      (
        await upload(b, {
          name: "CSV_CODES",
          version: "2024",
          format: "json",
          codes: [{ code: "B1", description: "b" }],
        })
      ).status,
    ).toBe(202);
  });

  it("deletes a custom system with its codes; then it is gone (404)", async () => {
    const del = await tcall("/construe/codes/systems/CSV_CODES?version=2024", { method: "DELETE", auth: a.key });
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ message: "code system deleted successfully" });
    expect((await tcall("/construe/codes/systems/CSV_CODES", { auth: a.key })).status).toBe(404);
    const left = await env.DB.prepare(
      "SELECT count(*) AS n FROM code_sets s LEFT JOIN code_systems cs ON cs.id = s.system_id WHERE cs.id IS NULL AND s.state <> 'loading'",
    ).first<number>("n");
    expect(left).toBe(0);
    // Tenant b's system of the same name is untouched.
    expect((await tcall("/construe/codes/systems/CSV_CODES", { auth: b.key })).status).toBe(200);
  });
});

describe("feedback", () => {
  const result = (code: string) => ({
    system: { name: "ICD-10-CM", version: "2025" },
    codes: [{ code, description: "x", valid: true }],
  });

  it("stores feedback per tenant: 201 {id}", async () => {
    const r = await tcall<{ id: string }>("/construe/feedback", {
      method: "POST",
      auth: a.key,
      json: {
        text: "Patient has type 2 diabetes with hyperglycemia",
        received_result: result("E11.9"),
        expected_result: result("E11.65"),
        detail: "hyperglycemia",
      },
    });
    expect(r.status).toBe(201);
    expect(Object.keys(r.body)).toEqual(["id"]);
    const row = await env.DB.prepare("SELECT org_id, detail FROM construe_feedback WHERE id = ?")
      .bind(r.body.id)
      .first();
    expect(row).toEqual({ org_id: a.orgId, detail: "hyperglycemia" });
  });

  it("400 on missing fields or malformed JSON", async () => {
    for (const json of [
      { text: "x", received_result: result("A") },
      { received_result: result("A"), expected_result: result("B") },
      { text: "x", received_result: {}, expected_result: result("B") },
    ]) {
      expect((await tcall("/construe/feedback", { method: "POST", auth: a.key, json })).status).toBe(400);
    }
    const malformed = await tcall("/construe/feedback", {
      method: "POST",
      auth: a.key,
      body: "{not json",
      headers: { "Content-Type": "application/json" },
    });
    expect(malformed.status).toBe(400);
  });
});
