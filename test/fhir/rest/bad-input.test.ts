import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call } from "../../harness";
import { newStore, patient } from "./fhir-helpers";

/**
 * Bad input never causes a 5xx: a few hundred malformed resources, patches and bundles, each answered
 * with a 4xx, and nothing written.
 */

const obs = (extra: Record<string, unknown>) => ({
  resourceType: "Observation",
  status: "final",
  code: { text: "x" },
  ...extra,
});

function nested(depth: number): unknown {
  let v: unknown = { url: "http://x", valueString: "leaf" };
  for (let i = 0; i < depth; i++) v = { url: "http://x", extension: [v] };
  return v;
}
const deepArrays = `{"resourceType":"Patient","name":${"[".repeat(5000)}${"]".repeat(5000)}}`;

const badPatients: unknown[] = [
  ...[
    "",
    "2020-13-01",
    "2020-02-30",
    "tomorrow",
    "2020-1-1",
    "99999-01-01",
    "1980-02-03T25:00:00Z",
    19800203,
    true,
    null,
    [],
    {},
  ].map((birthDate) => patient("D", { birthDate })),
  ...[
    1,
    true,
    "male",
    [],
    [{ family: ["a"] }],
    [{ given: "Ann" }],
    [{ family: 3 }],
    [null],
    [{ period: { start: "x" } }],
  ].map((name) => patient("N", { name })),
  ...["robot", 1, ["male"], "", "MALE"].map((gender) => patient("G", { gender })),
  ...["yes", 1, null, [true]].map((active) => patient("A", { active })),
  ...[{}, "x", [1], [{ system: "nope" }], [{ value: 5 }], [{ period: "2020" }]].map((telecom) =>
    patient("T", { telecom }),
  ),
  ...[1, "x", [{ system: 1 }], [{ value: {} }], {}].map((identifier) => patient("I", { identifier })),
  ...[
    "x",
    [1],
    [{ url: 1 }],
    [{ valueString: "no url" }],
    [{ url: "http://x" }],
    [{ url: "http://x", valueString: "a", valueBoolean: true }],
  ].map((extension) => patient("E", { extension })),
  ...[[], "x", { versionId: 1 }, { lastUpdated: "yesterday" }, { profile: "http://x" }, { tag: [{ system: 1 }] }].map(
    (meta) => patient("M", { meta }),
  ),
  ...[
    { unknownElement: 1 },
    { _birthDate: "x" },
    { deceasedBoolean: true, deceasedDateTime: "2020" },
    { deceasedString: "yes" },
    { contact: [{}] },
    { communication: [{ language: "en" }] },
    { managingOrganization: { reference: 12 } },
    { managingOrganization: { reference: "not a reference" } },
    { managingOrganization: { reference: "Unicorn/1" } },
    { managingOrganization: { reference: "urn:uuid:not-a-uuid" } },
    { generalPractitioner: [{ reference: "Patient/" }] },
    { link: [{ other: { reference: "Patient/x" } }] },
    { text: { status: "generated" } },
    { text: { status: "nope", div: '<div xmlns="http://www.w3.org/1999/xhtml">x</div>' } },
    { text: { status: "generated", div: "plain text" } },
    { id: "bad id with spaces" },
    { id: "x".repeat(65) },
    { contained: [{ resourceType: "Unicorn" }] },
    { contained: [{ resourceType: "Practitioner" }] },
    { photo: [{ data: "not base64!!" }] },
    { multipleBirthInteger: 1.5 },
    { multipleBirthInteger: "2" },
    { extension: [nested(150)] },
    { "": 1 },
    { __proto__: { polluted: true }, constructor: { prototype: { polluted: true } } },
    { name: [{ family: "\ud800" }], active: "lone surrogate" },
  ].map((extra) => patient("X", extra as Record<string, unknown>)),
  { name: [{ family: "no type" }] },
  { resourceType: "Unicorn" },
  { resourceType: 7 },
  { resourceType: "" },
  { resourceType: "patient" },
];

const badObservations: unknown[] = [
  obs({ status: "done" }),
  obs({ code: "x" }),
  obs({ code: undefined, status: undefined }),
  obs({ valueQuantity: { value: "1" } }),
  obs({ valueInteger: 2 ** 40 }),
  obs({ valueDecimal: 1 }),
  obs({ valueString: "a", valueBoolean: true }),
  obs({ effectiveDateTime: "2020-02-30T10:00:00Z" }),
  obs({ effectiveDateTime: "2020-01-01T10:00:00" }),
  obs({ issued: "2020-01-01" }),
  obs({ subject: { reference: "Observation" } }),
  obs({ subject: "Patient/1" }),
  obs({ component: [{ valueString: "no code" }] }),
  obs({ referenceRange: [{}] }),
  obs({ category: { coding: [] } }),
  obs({ interpretation: [{ coding: [{ code: 5 }] }] }),
];

const bodies: { path: string; method: string; body: string; type?: string }[] = [
  // A number JSON can carry but a double cannot.
  {
    path: "Observation",
    method: "POST",
    body: '{"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1e400}}',
  },
];
for (const p of badPatients) bodies.push({ path: "Patient", method: "POST", body: JSON.stringify(p) });
for (const p of badPatients.slice(0, 40))
  bodies.push({ path: "Patient/fixed-id", method: "PUT", body: JSON.stringify({ ...(p as object), id: "fixed-id" }) });
for (const o of badObservations) bodies.push({ path: "Observation", method: "POST", body: JSON.stringify(o) });
for (const raw of [
  "",
  "null",
  "123",
  '"str"',
  "[]",
  "true",
  "{",
  "{]",
  "\u0000",
  deepArrays,
  '{"resourceType":"Patient",}',
  '{"a":1}{"b":2}',
]) {
  bodies.push({ path: "Patient", method: "POST", body: raw });
  bodies.push({ path: "", method: "POST", body: raw });
}
bodies.push({
  path: "Patient",
  method: "POST",
  body: JSON.stringify(patient("Huge", { name: [{ family: "x".repeat(1_200_000) }] })),
});
bodies.push({
  path: "Patient",
  method: "POST",
  body: JSON.stringify(patient("Huge", { name: [{ family: "x".repeat(3_000_000) }] })),
});
for (const url of ["Unicorn", "patient", "Patient/bad id", "Patient/x/_history/1", "123"]) {
  bodies.push({ path: url, method: "PUT", body: JSON.stringify(patient()) });
}
bodies.push({ path: "Patient", method: "POST", body: JSON.stringify(patient()), type: "text/plain" });
bodies.push({
  path: "Patient",
  method: "POST",
  body: '<Patient xmlns="http://hl7.org/fhir"/>',
  type: "application/fhir+xml",
});

const patches: unknown[] = [
  {},
  "x",
  [1],
  [{ op: "nope", path: "/gender" }],
  [{ op: "replace", path: "gender", value: "male" }],
  [{ op: "replace", path: "/gender" }],
  [{ op: "add", path: "/name/99/family", value: "x" }],
  [{ op: "move", from: "/nope", path: "/x" }],
  [{ op: "replace", path: "/resourceType", value: "Observation" }],
  [{ op: "add", path: "/__proto__/polluted", value: true }],
  [{ op: "replace", path: "/birthDate", value: "never" }],
  [{ op: "add", path: "/unknownElement", value: 1 }],
  Array.from({ length: 2000 }, () => ({ op: "test", path: "/gender", value: "female" })),
  { resourceType: "Parameters", parameter: [{ name: "operation", part: [{ name: "type", valueCode: "explode" }] }] },
  {
    resourceType: "Parameters",
    parameter: [
      {
        name: "operation",
        part: [
          { name: "type", valueCode: "replace" },
          { name: "path", valueString: "Patient.(" },
        ],
      },
    ],
  },
  { resourceType: "Parameters", parameter: "x" },
  { resourceType: "Patient" },
];

const tx = (entry: unknown, type = "transaction") => JSON.stringify({ resourceType: "Bundle", type, entry });
const req = (method: string, url: string, extra: Record<string, unknown> = {}) => ({ method, url, ...extra });
const bundles: string[] = [
  JSON.stringify({ resourceType: "Bundle" }),
  JSON.stringify({ resourceType: "Bundle", type: "collection", entry: [] }),
  JSON.stringify({ resourceType: "Bundle", type: "searchset" }),
  JSON.stringify({ resourceType: "Bundle", type: "transaction", entry: "x" }),
  JSON.stringify({ resourceType: "Patient", type: "transaction", entry: [] }),
  tx([null]),
  tx([1]),
  tx(["x"]),
  tx([{}]),
  tx([{ resource: patient() }]),
  tx([{ request: {} }]),
  tx([{ resource: patient(), request: req("post", "Patient") }]),
  tx([{ resource: patient(), request: req("POST", "") }]),
  tx([{ resource: patient(), request: req("POST", "Patient/1") }]),
  tx([{ resource: patient(), request: req("POST", "Patient?x=1") }]),
  tx([{ resource: patient(), request: req("POST", "http://elsewhere.example/fhir/Patient") }]),
  tx([{ resource: patient(), request: req("POST", "../../Patient") }]),
  tx([{ resource: patient(), request: req("PUT", "Patient") }]),
  tx([{ resource: patient(), request: req("PUT", "Patient/a/b/c") }]),
  tx([{ resource: patient(), request: req("PUT", "Patient/1") }]),
  tx([{ resource: { ...patient(), id: "2" }, request: req("PUT", "Patient/1") }]),
  tx([{ request: req("PUT", "Patient/1") }]),
  tx([{ resource: "x", request: req("POST", "Patient") }]),
  tx([{ resource: patient(), request: req("DELETE", "Patient") }]),
  tx([{ resource: patient(), request: req("PATCH", "Patient/1") }]),
  tx([{ resource: { resourceType: "Binary", data: "!!!" }, request: req("PATCH", "Patient/1") }]),
  tx([{ resource: patient(), request: req("GET", "Patient/1/2/3/4/5") }]),
  tx([{ resource: patient(), request: req("HEAD", "Patient") }]),
  tx([{ resource: patient(), request: { method: 1, url: 2 } }]),
  tx([
    { resource: patient(), request: req("POST", "Patient", { ifNoneExist: "" }) },
    { resource: patient("B", { gender: "robot" }), request: req("POST", "Patient") },
  ]),
  tx([{ resource: patient(), request: req("POST", "Patient", { ifNoneExist: "nonsense=1" }) }]),
  tx([{ resource: patient(), request: req("POST", "Patient", { ifNoneExist: "birthdate=notadate" }) }]),
  tx([
    { resource: obs({ subject: { reference: "Patient?identifier=none|none" } }), request: req("POST", "Observation") },
  ]),
  tx([{ resource: obs({ subject: { reference: "Unicorn?x=1" } }), request: req("POST", "Observation") }]),
  tx([
    {
      resource: obs({ subject: { reference: "urn:uuid:12345678-1234-4234-8234-123456789012" } }),
      request: req("POST", "Observation"),
    },
  ]),
  tx([{ resource: patient(), request: req("PUT", "Patient/1", { ifMatch: "banana" }) }]),
  tx([
    { resource: patient(), request: req("POST", "Patient") },
    ...badPatients.slice(0, 10).map((p) => ({ resource: p, request: req("POST", "Patient") })),
  ]),
  tx([
    { fullUrl: "urn:uuid:12345678-1234-4234-8234-123456789012", resource: patient(), request: req("POST", "Patient") },
    { resource: { ...patient(), id: "p" }, request: req("PUT", "Patient/p") },
    { request: req("DELETE", "Patient/p") },
  ]),
  tx([
    { resource: patient(), request: req("POST", "Patient") },
    { resource: patient(), request: req("PUT", "Patient?") },
  ]),
  tx(Array.from({ length: 10_001 }, () => null)),
  ...badPatients.slice(10, 60).map((p) =>
    tx([
      { resource: patient(), request: req("POST", "Patient") },
      { resource: p, request: req("POST", "Patient") },
    ]),
  ),
  ...badObservations.map((o) =>
    tx([
      {
        fullUrl: "urn:uuid:12345678-1234-4234-8234-123456789012",
        resource: patient(),
        request: req("POST", "Patient"),
      },
      { resource: o, request: req("POST", "Observation") },
    ]),
  ),
  ...badObservations.map((o) =>
    tx([{ resource: { ...(o as object), id: "o1" }, request: req("PUT", "Observation/o1") }]),
  ),
];

describe("bad input", () => {
  it("never causes a 5xx and never writes anything", async () => {
    const s = await newStore();
    const statuses: string[] = [];
    const send = async (method: string, path: string, body: string, type = "application/fhir+json") => {
      const r = await call(`${s.base}${path ? `/${path}` : ""}`, {
        method,
        auth: s.key,
        body,
        headers: { "Content-Type": type },
      });
      await r.arrayBuffer();
      statuses.push(`${r.status} ${method} ${path} ${body.slice(0, 80)}`);
    };
    const jobs: (() => Promise<void>)[] = [
      ...bodies.map((b) => () => send(b.method, b.path, b.body, b.type)),
      ...patches.map(
        (p) => () =>
          send(
            "PATCH",
            "Patient/nope-but-fine",
            JSON.stringify(p),
            Array.isArray(p) ? "application/json-patch+json" : "application/fhir+json",
          ),
      ),
      ...bundles.map((b) => () => send("POST", "", b)),
    ];
    for (let i = 0; i < jobs.length; i += 16) await Promise.all(jobs.slice(i, i + 16).map((j) => j()));
    expect(jobs.length).toBeGreaterThan(300);
    const bad = statuses.filter((x) => !/^4\d\d /.test(x));
    expect(bad).toEqual([]);
    const n = await env.DB.prepare(
      "SELECT (SELECT count(*) FROM fhir_resources WHERE store_id = ?1) + (SELECT count(*) FROM fhir_history WHERE store_id = ?1) AS n",
    )
      .bind(s.storeId)
      .first<{ n: number }>();
    expect(n?.n).toBe(0);
  });

  it("patches on an existing resource: invalid ones are 4xx and leave version 1", async () => {
    const s = await newStore();
    const c = await call(`${s.base}/Patient`, {
      method: "POST",
      auth: s.key,
      body: JSON.stringify(patient()),
      headers: { "Content-Type": "application/fhir+json" },
    });
    const { id } = (await c.json()) as { id: string };
    for (const p of patches) {
      const r = await call(`${s.base}/Patient/${id}`, {
        method: "PATCH",
        auth: s.key,
        body: JSON.stringify(p),
        headers: { "Content-Type": Array.isArray(p) ? "application/json-patch+json" : "application/fhir+json" },
      });
      await r.arrayBuffer();
      // Every one is refused: malformed (400), not applicable (422/409) or too many operations (413).
      expect(`${r.status} ${JSON.stringify(p).slice(0, 60)}`).toMatch(/^4\d\d /);
    }
    const h = await env.DB.prepare("SELECT count(*) AS n FROM fhir_history WHERE store_id = ?1")
      .bind(s.storeId)
      .first<{ n: number }>();
    expect(h?.n).toBe(1);
  });
});
