import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { handleTerminologyJob } from "../../src/features/terminology";
import { builtinSystemId } from "../../src/features/terminology/catalog";
import {
  activateCodeSet,
  CodeSetWriter,
  createCodeSet,
  purgeCodeSet,
} from "../../src/features/terminology/code-set-writer";
import { getCode } from "../../src/features/terminology/get-code";
import { searchCodesSemantic } from "../../src/features/terminology/search-codes-semantic";
import { searchCodesText } from "../../src/features/terminology/search-codes-text";
import { d1Executor } from "../../src/features/terminology/sql-executor";
import { ctxFor, drainQueue } from "./helpers";

const exec = d1Executor(env.DB);
const ICD = builtinSystemId("ICD-10-CM", "2025");
const ctx = ctxFor("org_store_test");

async function loadSet(systemId: string, codes: Array<{ code: string; description: string; synonyms?: string[] }>) {
  const setId = await createCodeSet(exec, systemId);
  const writer = new CodeSetWriter(exec, setId);
  for (const c of codes) await writer.add({ ...c, active: true });
  return { setId, written: await writer.finish() };
}

describe("re-import replaces a version atomically", () => {
  let oldSet: number;

  // Messages sent to JOBS are delivered after max_batch_timeout; let them land before this file's runtime goes.
  afterAll(drainQueue);

  beforeAll(async () => {
    oldSet = (await env.DB.prepare("SELECT active_set FROM code_systems WHERE id = ?")
      .bind(ICD)
      .first<number>("active_set"))!;
  });

  it("readers keep the old generation while the new one loads, then switch at once", async () => {
    const { setId, written } = await loadSet(ICD, [
      { code: "E11.65", description: "Type 2 diabetes mellitus with hyperglycemia (new release)" },
      { code: "Z99.89", description: "Dependence on other enabling machines and devices" },
    ]);
    expect(written.count).toBe(2);
    // Loaded but not active: every read still answers from the old generation.
    expect((await getCode({ ctx, input: { name: "ICD-10-CM", code: "E11.65" } })).description).toBe(
      "Type 2 diabetes mellitus with hyperglycemia",
    );
    await expect(getCode({ ctx, input: { name: "ICD-10-CM", code: "Z99.89" } })).rejects.toMatchObject({
      kind: "not_found",
    });
    const found = await searchCodesText({ ctx, input: { name: "ICD-10-CM", q: "enabling machines" } });
    expect(found.found).toBe(0);

    expect(await activateCodeSet(exec, ICD, setId)).toBe(true);
    const after = await getCode({ ctx, input: { name: "ICD-10-CM", code: "E1165" } });
    expect(after.description).toBe("Type 2 diabetes mellitus with hyperglycemia (new release)");
    // Text search planned on the cached previous generation notices the switch.
    const now = await searchCodesText({ ctx, input: { name: "ICD-10-CM", q: "enabling machines" } });
    expect(now.results.map((r) => r.code)).toEqual(["Z99.89"]);
    const system = await env.DB.prepare("SELECT code_count, status FROM code_systems WHERE id = ?").bind(ICD).first();
    expect(system).toEqual({ code_count: 2, status: "ready" });
    expect(await env.DB.prepare("SELECT state FROM code_sets WHERE id = ?").bind(oldSet).first<string>("state")).toBe(
      "retired",
    );
  });

  it("purging the retired generation removes its rows, FTS entries and vocabulary", async () => {
    const before = await env.DB.prepare("SELECT count(*) AS n FROM codes WHERE set_id = ?")
      .bind(oldSet)
      .first<number>("n");
    expect(before).toBeGreaterThan(100);
    const seen: number[] = [];
    const deleted = await purgeCodeSet(exec, oldSet, async (ids) => {
      seen.push(...ids);
    });
    expect(deleted).toBe(before);
    expect(seen).toHaveLength(before!);
    expect(
      await env.DB.prepare("SELECT count(*) AS n FROM codes WHERE set_id = ?").bind(oldSet).first<number>("n"),
    ).toBe(0);
    expect(
      await env.DB.prepare("SELECT count(*) AS n FROM code_terms WHERE set_id = ?").bind(oldSet).first<number>("n"),
    ).toBe(0);
    expect(
      await env.DB.prepare("SELECT count(*) AS n FROM code_sets WHERE id = ?").bind(oldSet).first<number>("n"),
    ).toBe(0);
    // The external-content FTS index lost the rows too (no ghost matches).
    const ghosts = await env.DB.prepare(
      "SELECT count(*) AS n FROM codes_fts WHERE codes_fts MATCH 'cholera'",
    ).first<number>("n");
    expect(ghosts).toBe(0);
  });

  it("rejects duplicate codes and empty descriptions while loading", async () => {
    const setId = await createCodeSet(exec, ICD);
    const writer = new CodeSetWriter(exec, setId);
    await writer.add({ code: "A1", description: "one" });
    await expect(writer.add({ code: "A1", description: "again" })).rejects.toThrow(/duplicate code 'A1'/);
    await expect(writer.add({ code: "A2", description: "  " })).rejects.toThrow(/empty description/);
    await purgeCodeSet(exec, setId);
  });
});

describe("semantic index of large sets", () => {
  it("answers lexically while the queue builds the vectors, then by vectors", async () => {
    const id = "cs_test_large";
    const at = new Date().toISOString();
    await env.DB.prepare(
      "INSERT INTO code_systems (id, org_id, name, version, builtin, status, created_at, updated_at) VALUES (?, 'org_store_test', 'LARGE', '1', 0, 'processing', ?, ?)",
    )
      .bind(id, at, at)
      .run();
    const codes: Array<{ code: string; description: string; synonyms?: string[] }> = Array.from(
      { length: 5001 },
      (_, i) => ({
        code: `L${i}`,
        description: `Filler condition number ${i}`,
      }),
    );
    codes[4242] = { code: "L4242", description: "Hyperglycemia, unspecified", synonyms: ["Raised blood glucose"] };
    const { setId } = await loadSet(id, codes);
    await activateCodeSet(exec, id, setId);

    const first = await searchCodesSemantic({ ctx, input: { name: "LARGE", text: "high blood sugar", limit: 3 } });
    expect(first.results[0]!.code).toBe("L4242"); // keyword search widened with the synonyms of the query
    const state = await env.DB.prepare("SELECT vectors_state FROM code_sets WHERE id = ?")
      .bind(setId)
      .first<string>("vectors_state");
    expect(state).toBe("building");

    // The consumer embeds 5000 codes per message and queues the rest: run it as the queue would.
    await handleTerminologyJob(env, { type: "terminology.embed", setId, afterId: 0 });
    expect(
      await env.DB.prepare("SELECT vectors_state FROM code_sets WHERE id = ?")
        .bind(setId)
        .first<string>("vectors_state"),
    ).toBe("building");
    const lastId = await env.DB.prepare("SELECT id FROM codes WHERE set_id = ? ORDER BY id LIMIT 1 OFFSET 4999")
      .bind(setId)
      .first<number>("id");
    await handleTerminologyJob(env, { type: "terminology.embed", setId, afterId: lastId });
    expect(
      await env.DB.prepare("SELECT vectors_state FROM code_sets WHERE id = ?")
        .bind(setId)
        .first<string>("vectors_state"),
    ).toBe("ready");
    const vectors = await env.DB.prepare("SELECT count(*) AS n FROM code_vectors WHERE namespace = ?")
      .bind(id)
      .first<number>("n");
    expect(vectors).toBe(5001);
    const second = await searchCodesSemantic({ ctx, input: { name: "LARGE", text: "high blood sugar", limit: 3 } });
    expect(second.results[0]!.code).toBe("L4242");
  });

  it("ignores job messages for unknown or finished sets", async () => {
    await handleTerminologyJob(env, { type: "terminology.process", setId: 999999 });
    await handleTerminologyJob(env, { type: "terminology.embed", setId: 999999, afterId: 0 });
    await handleTerminologyJob(env, { type: "terminology.purge", setId: "nope" });
  });
});
