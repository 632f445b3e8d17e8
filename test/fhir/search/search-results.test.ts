/**
 * Conformance: result control (sort, paging, _summary/_elements, _total, includes), error handling,
 * tenant isolation, tombstones and re-indexing.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { SearchBundle } from "../../../src/features/fhir/search/execute-search";
import { deleteStoreIndexStatements } from "../../../src/features/fhir/search/index-writer";
import { isAppError } from "../../../src/platform/errors";
import { deleteResource, idSet, ids, outcome, putResources, search } from "./fixtures";
import { loadPopulation, OTHER, STORE } from "./population";

beforeAll(loadPopulation);

const link = (b: SearchBundle, relation: string) => b.link.find((l) => l.relation === relation)?.url;
/** Runs the search a link points at (the link must round-trip to the same query). */
async function follow(url: string, type: string | null): Promise<SearchBundle> {
  const query = url.includes("?") ? url.slice(url.indexOf("?") + 1) : "";
  return search(STORE, type, query, { strict: true });
}

describe("_sort", () => {
  it.each([
    ["_sort=birthdate", ["pat-1", "pat-2", "pat-3", "pat-5"]],
    ["_sort=-birthdate", ["pat-3", "pat-2", "pat-1", "pat-5"]],
    ["_sort=family", ["pat-2", "pat-5", "pat-1", "pat-3"]],
    ["_sort=-family", ["pat-3", "pat-1", "pat-5", "pat-2"]],
    ["_sort=gender,-birthdate", ["pat-3", "pat-2", "pat-1", "pat-5"]],
    ["_sort=_id", ["pat-1", "pat-2", "pat-3", "pat-5"]],
    ["_sort=-_lastUpdated", ["pat-5", "pat-3", "pat-2", "pat-1"]],
  ])("Patient?%s", async (query, expected) => {
    expect(ids(await search(STORE, "Patient", query, { strict: true }))).toEqual(expected);
  });

  it("sorts by date descending (most recent first), missing values last", async () => {
    expect(ids(await search(STORE, "Observation", "patient=pat-1&_sort=-date", { strict: true }))).toEqual([
      "obs-3",
      "obs-1",
      "obs-2",
    ]);
    expect(ids(await search(STORE, "Observation", "code=8310-5&_sort=status,-date", { strict: true }))).toEqual([
      "obs-7",
      "obs-1",
      "obs-2",
      "obs-9",
      "obs-10",
    ]);
  });

  it("reports unsortable parameters", async () => {
    const b = await search(STORE, "Patient", "_sort=nonexistent");
    expect(outcome(b)[0].diagnostics).toMatch(/cannot sort/);
  });
});

describe("paging", () => {
  async function walk(type: string, query: string): Promise<{ pages: SearchBundle[]; all: string[] }> {
    const pages = [await search(STORE, type, query, { strict: true })];
    for (let guard = 0; guard < 50; guard++) {
      const next = link(pages[pages.length - 1], "next");
      if (!next) break;
      pages.push(await follow(next, type));
    }
    return { pages, all: pages.flatMap((p) => ids(p)) };
  }

  it.each([
    ["Observation", "_count=2"],
    ["Observation", "_count=3&_sort=-date"],
    ["Observation", "_count=4&_sort=code,_id"],
    ["Patient", "_count=1&name=smith,muller"],
  ])("%s?%s: next links walk every match exactly once", async (type, query) => {
    const full = await search(STORE, type, `${query.replace(/_count=\d+/, "_count=1000")}`, { strict: true });
    const { pages, all } = await walk(type, query);
    expect(all).toEqual(ids(full));
    expect(new Set(all).size).toBe(all.length);
    for (const p of pages) expect(p.total).toBe(full.total);
    expect(pages.length).toBe(Math.ceil((full.total ?? 0) / Number(/_count=(\d+)/.exec(query)?.[1])));
  });

  it("previous, first and last links round-trip", async () => {
    const p1 = await search(STORE, "Observation", "_count=3&_sort=_id", { strict: true });
    const p2 = await follow(link(p1, "next") as string, "Observation");
    const back = await follow(link(p2, "previous") as string, "Observation");
    expect(ids(back)).toEqual(ids(p1));
    expect(ids(await follow(link(p2, "first") as string, "Observation"))).toEqual(ids(p1));
    const last = await follow(link(p1, "last") as string, "Observation");
    expect(link(last, "next")).toBeUndefined();
    expect(ids(last).length).toBeGreaterThan(0);
    expect(ids(last)).toEqual(
      ids(await search(STORE, "Observation", "_sort=_id&_count=1000")).slice(-ids(last).length),
    );
  });

  it("self link lists the parameters used; paging links carry _count/_offset", async () => {
    const b = await search(STORE, "Observation", "code=8310-5&_count=2");
    expect(link(b, "self")).toBe(`https://hearth.test/fhir/${STORE}/Observation?code=8310-5&_count=2`);
    expect(link(b, "next")).toBe(`https://hearth.test/fhir/${STORE}/Observation?code=8310-5&_count=2&_offset=2`);
    expect(link(b, "previous")).toBeUndefined();
  });

  it("_count=0 and _summary=count return only the total", async () => {
    for (const q of ["_count=0", "_summary=count"]) {
      const b = await search(STORE, "Observation", q, { strict: true });
      expect(b.entry).toBeUndefined();
      expect(b.total).toBe(10);
    }
  });

  it("_count above the maximum is clamped; offsets beyond the end give an empty page", async () => {
    const b = await search(STORE, "Observation", "_count=5000", { strict: true });
    expect(ids(b)).toHaveLength(10);
    const empty = await search(STORE, "Observation", "_offset=100", { strict: true });
    expect(ids(empty)).toEqual([]);
    expect(empty.total).toBe(10);
    expect(link(empty, "previous")).toBeDefined();
  });
});

describe("_total", () => {
  it("none omits the total; accurate counts beyond the page", async () => {
    expect((await search(STORE, "Observation", "_total=none&_count=2")).total).toBeUndefined();
    expect((await search(STORE, "Observation", "_total=accurate&_count=2")).total).toBe(10);
    expect((await search(STORE, "Observation", "_total=estimate&_count=2")).total).toBe(10);
    // without a total, the next link still appears when more matches exist
    const b = await search(STORE, "Observation", "_total=none&_count=2");
    expect(link(b, "next")).toBeDefined();
    const lastPage = await search(STORE, "Observation", "_total=none&_count=5&_offset=5");
    expect(link(lastPage, "next")).toBeUndefined();
  });
});

describe("_summary and _elements", () => {
  const subsetted = (r: Record<string, unknown>) =>
    ((r.meta as { tag?: { code: string }[] }).tag ?? []).map((t) => t.code);

  it("_summary=true keeps summary elements and tags SUBSETTED", async () => {
    const [e] = (await search(STORE, "Patient", "_id=pat-1&_summary=true", { strict: true })).entry ?? [];
    const r = e.resource;
    expect(r.name).toBeDefined();
    expect(r.birthDate).toBe("1970-05-15");
    expect(r.text).toBeUndefined();
    expect(subsetted(r)).toEqual(["vip", "SUBSETTED"]);
  });

  it("_summary=text keeps text, id, meta and mandatory elements", async () => {
    const [e] = (await search(STORE, "Observation", "_id=obs-1&_summary=text", { strict: true })).entry ?? [];
    expect(Object.keys(e.resource).sort()).toEqual(["code", "id", "meta", "resourceType", "status", "text"]);
  });

  it("_summary=data drops the narrative", async () => {
    const [e] = (await search(STORE, "Observation", "_id=obs-1&_summary=data", { strict: true })).entry ?? [];
    expect(e.resource.text).toBeUndefined();
    expect(e.resource.valueQuantity).toBeDefined();
    expect(subsetted(e.resource)).toContain("SUBSETTED");
  });

  it("_elements returns the listed (and mandatory) elements", async () => {
    const [p] = (await search(STORE, "Patient", "_id=pat-1&_elements=gender,birthDate", { strict: true })).entry ?? [];
    expect(Object.keys(p.resource).sort()).toEqual(["birthDate", "gender", "id", "meta", "resourceType"]);
    const [o] = (await search(STORE, "Observation", "_id=obs-1&_elements=value", { strict: true })).entry ?? [];
    expect(Object.keys(o.resource).sort()).toEqual(["code", "id", "meta", "resourceType", "status", "valueQuantity"]);
    expect(subsetted(o.resource)).toEqual(["SUBSETTED"]);
  });
});

describe("_include and _revinclude", () => {
  const byMode = (b: SearchBundle, mode: string) =>
    (b.entry ?? [])
      .filter((e) => e.search.mode === mode)
      .map((e) => `${e.resource.resourceType}/${e.resource.id}`)
      .sort();

  it.each([
    ["Observation", "_id=obs-1&_include=Observation:patient", ["Patient/pat-1"]],
    ["Observation", "_id=obs-1&_include=Observation:subject:Patient", ["Patient/pat-1"]],
    ["Observation", "_id=obs-1,obs-2&_include=Observation:patient", ["Patient/pat-1"]],
    ["Observation", "_id=obs-1&_include=Observation:*", ["Encounter/enc-1", "Patient/pat-1", "Practitioner/pr-1"]],
    ["Observation", "_id=obs-1&_include=*", ["Encounter/enc-1", "Patient/pat-1", "Practitioner/pr-1"]],
    [
      "Patient",
      "_id=pat-1&_revinclude=Observation:patient",
      ["Observation/obs-1", "Observation/obs-2", "Observation/obs-3"],
    ],
    [
      "Patient",
      "_id=pat-1&_revinclude=Encounter:patient&_revinclude=Condition:subject",
      ["Condition/cond-1", "Encounter/enc-1"],
    ],
    ["Observation", "_id=obs-1&_revinclude=Provenance:target", ["Provenance/prov-1"]],
    [
      "DiagnosticReport",
      "_id=dr-1&_include=DiagnosticReport:result&_include:iterate=Observation:performer",
      ["Observation/obs-1", "Observation/obs-2", "Practitioner/pr-1"],
    ],
    [
      "Patient",
      "_id=pat-1&_revinclude=Observation:patient&_revinclude:iterate=Provenance:target",
      ["Observation/obs-1", "Observation/obs-2", "Observation/obs-3", "Provenance/prov-1"],
    ],
    // a deleted target is never included
    ["Observation", "_id=obs-10&_include=Observation:patient", []],
  ])("%s?%s", async (type, query, expected) => {
    const b = await search(STORE, type, query, { strict: true });
    expect(byMode(b, "include")).toEqual(expected);
    expect(b.total).toBe(byMode(b, "match").length);
  });

  it("a non-iterating include whose source is not searched is reported", async () => {
    const b = await search(
      STORE,
      "DiagnosticReport",
      "_id=dr-1&_include=DiagnosticReport:result&_include=Observation:performer",
    );
    expect(byMode(b, "include")).toEqual(["Observation/obs-1", "Observation/obs-2"]);
    expect(outcome(b)[0].diagnostics).toMatch(/Observation is not a searched type/);
  });

  it("included resources pass the access rule", async () => {
    const none = await search(STORE, "Observation", "_id=obs-1&_include=Observation:*", {
      includeAccess: (t) => (t === "Patient" ? "none" : "all"),
    });
    expect(byMode(none, "include")).toEqual(["Encounter/enc-1", "Practitioner/pr-1"]);
    const filtered = await search(STORE, "Patient", "_id=pat-1,pat-3&_revinclude=Observation:patient", {
      includeAccess: (t) => (t === "Observation" ? [new URLSearchParams("category=social-history")] : "all"),
    });
    expect(byMode(filtered, "include")).toEqual(["Observation/obs-6"]);
  });
});

describe("unknown and malformed parameters", () => {
  it("lenient: ignored, reported in an outcome entry, left out of the self link", async () => {
    const b = await search(STORE, "Patient", "foo=bar&name=smith&birthdate=notadate");
    expect(idSet(b)).toEqual(["pat-1", "pat-3"]);
    const issues = outcome(b);
    expect(issues.map((i) => i.diagnostics).join("\n")).toMatch(/'foo'.*\n.*'birthdate'/s);
    expect(link(b, "self")).toBe(`https://hearth.test/fhir/${STORE}/Patient?name=smith`);
    const oo = (b.entry ?? []).find((e) => e.search.mode === "outcome");
    expect(oo?.resource.resourceType).toBe("OperationOutcome");
  });

  it("strict: 400 with every issue", async () => {
    const err = await search(STORE, "Patient", "foo=bar&name=smith&_count=abc", { strict: true }).catch(
      (e: unknown) => e,
    );
    expect(isAppError(err)).toBe(true);
    expect(err).toMatchObject({ status: 400 });
    expect((err as { issues: unknown[] }).issues).toHaveLength(2);
  });

  it("suggests the closest parameter name", async () => {
    const b = await search(STORE, "Patient", "birthdat=1970");
    expect(outcome(b)[0].diagnostics).toMatch(/Did you mean 'birthdate'\?/);
  });

  it("unknown resource types are a 400", async () => {
    await expect(search(STORE, "Nope", "")).rejects.toMatchObject({ status: 400 });
  });

  it("never a 500, whatever the input", async () => {
    const nasty = [
      "name=",
      "name:foo=x",
      "code:in=http://vs",
      "date=ge",
      "date=2023-02-30",
      "value-quantity=abc|x",
      "value-quantity=1|2|3|4",
      "subject=",
      "subject=a b",
      "subject:Nope=1",
      "subject:Patient.name.given=x",
      "_has=1",
      "_has:Observation",
      "code-value-quantity=1$2$3",
      "code-value-quantity=$",
      "_sort=-",
      "_sort=,,",
      "_count=-1",
      "_count=99999999999999",
      "_offset=x",
      "_summary=maybe",
      "_total=all",
      "_elements=a.b.c,$",
      "_include=Observation",
      "_include=Nope:subject",
      "_revinclude=Observation:code",
      "_include:foo=Observation:subject",
      "_content=!!!",
      "_text=",
      "_list=../x",
      "_filter=name eq x",
      "identifier:of-type=a|b",
      "_lastUpdated=gt",
      `name=${"x".repeat(5000)}`,
      `code=${Array.from({ length: 60 }, (_, i) => `c${i}`).join(",")}`,
      `${Array.from({ length: 120 }, (_, i) => `code=c${i}`).join("&")}`,
      "subject.subject.subject.subject.subject.name=x",
      "%zz=1",
      "name=%E0%A4%A",
      "probability=1e999",
      "date=ap9999-12-31",
      "date=0001-01-01",
    ];
    for (const q of nasty) {
      for (const type of ["Observation", "Patient"]) {
        const lenient = await search(STORE, type, q).catch((e: unknown) => e);
        if (!(lenient as SearchBundle).resourceType) {
          expect(isAppError(lenient), `${type}?${q}: ${String(lenient)}`).toBe(true);
          expect((lenient as { status: number }).status).toBe(400);
        }
        const strict = await search(STORE, type, q, { strict: true }).catch((e: unknown) => e);
        if (!(strict as SearchBundle).resourceType) {
          expect(isAppError(strict), `${type}?${q}: ${String(strict)}`).toBe(true);
          expect((strict as { status: number }).status).toBeLessThan(500);
        }
      }
    }
  });
});

describe("isolation, tombstones and re-indexing", () => {
  it("a store never sees another store's resources", async () => {
    const a = await search(STORE, "Patient", "name=smith");
    const b = await search(OTHER, "Patient", "name=smith");
    expect(idSet(a)).toEqual(["pat-1", "pat-3"]);
    expect(idSet(b)).toEqual(["pat-1"]);
    expect(b.entry?.[0].resource.name).toEqual([{ family: "Smith", given: ["Other"] }]);
    expect(idSet(await search(OTHER, "Observation", "patient=pat-1&_include=Observation:patient"))).toEqual(["obs-1"]);
    expect(idSet(await search(OTHER, "Observation", "patient.name=john"))).toEqual([]);
    expect(idSet(await search(OTHER, "Patient", "_has:Observation:patient:date=2023-05-01"))).toEqual(["pat-1"]);
    expect(idSet(await search("store-none", "Patient", ""))).toEqual([]);
    const text = await search(OTHER, "Observation", "_content=temperature");
    expect([idSet(text), text.total]).toEqual([["obs-1"], 1]);
    expect((await search(STORE, "Observation", "_content=temperature")).total).toBe(5);
  });

  it("deleted resources (tombstones) are never found", async () => {
    expect(idSet(await search(STORE, "Patient", "name=ghost"))).toEqual([]);
    expect(idSet(await search(STORE, "Patient", "_id=pat-4"))).toEqual([]);
    expect(idSet(await search(STORE, "Patient", "gender=other"))).toEqual([]);
    const row = await env.DB.prepare("SELECT deleted FROM fhir_resources WHERE store_id = ?1 AND id = 'pat-4'")
      .bind(STORE)
      .first<{ deleted: number }>();
    expect(row?.deleted).toBe(1);
  });

  it("an update replaces the index rows; deleting and re-creating works", async () => {
    await putResources(STORE, [{ resourceType: "Practitioner", id: "pr-2", name: [{ family: "Zed" }] }]);
    expect(idSet(await search(STORE, "Practitioner", "name=brown"))).toEqual([]);
    expect(idSet(await search(STORE, "Practitioner", "name=zed"))).toEqual(["pr-2"]);
    await deleteResource(STORE, "Practitioner", "pr-2");
    expect(idSet(await search(STORE, "Practitioner", "name=zed"))).toEqual([]);
    await putResources(STORE, [{ resourceType: "Practitioner", id: "pr-2", name: [{ family: "Again" }] }]);
    expect(idSet(await search(STORE, "Practitioner", "name=again"))).toEqual(["pr-2"]);
    expect(idSet(await search(STORE, "Practitioner", ""))).toEqual(["pr-1", "pr-2"]);
  });

  it("store deletion removes every index row of that store only", async () => {
    await putResources("store-c", [
      {
        resourceType: "Patient",
        id: "c1",
        name: [{ family: "Cee" }],
        text: { status: "generated", div: "<div>cee</div>" },
      },
      {
        resourceType: "Observation",
        id: "c2",
        status: "final",
        code: { text: "x" },
        subject: { reference: "Patient/c1" },
      },
    ]);
    expect(idSet(await search("store-c", "Patient", "_text=cee"))).toEqual(["c1"]);
    await env.DB.batch(deleteStoreIndexStatements(env.DB, "store-c"));
    expect(idSet(await search("store-c", "Patient", ""))).toEqual([]);
    const left = await env.DB.prepare(
      "SELECT (SELECT count(*) FROM fhir_search_scope WHERE store_id = 'store-c') + (SELECT count(*) FROM fhir_idx_text WHERE fhir_idx_text MATCH 'cee') AS n",
    ).first<{ n: number }>();
    expect(left?.n).toBe(0);
    expect(idSet(await search(STORE, "Patient", "name=smith"))).toEqual(["pat-1", "pat-3"]);
  });

  it("a batch naming the same resource twice keeps the last version", async () => {
    const { indexStatements } = await import("../../../src/features/fhir/search/index-writer");
    await env.DB.batch(
      indexStatements(env.DB, "store-d", [
        {
          resourceType: "Patient",
          id: "d1",
          resource: { resourceType: "Patient", id: "d1", name: [{ family: "First" }] },
        },
        {
          resourceType: "Patient",
          id: "d1",
          resource: { resourceType: "Patient", id: "d1", name: [{ family: "Second" }] },
        },
      ]),
    );
    const rows = await env.DB.prepare(
      "SELECT v FROM fhir_idx_string WHERE p = 'family' AND v IN ('first', 'second')",
    ).all<{ v: string }>();
    expect(rows.results.map((r) => r.v)).toEqual(["second"]);
    const pending = await env.DB.prepare("SELECT count(*) AS n FROM fhir_search_pending").first<{ n: number }>();
    expect(pending?.n).toBe(0);
  });
});
