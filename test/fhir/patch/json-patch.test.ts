import { describe, expect, it } from "vitest";
import { applyJsonPatch, type JsonObject } from "../../../src/features/fhir/patch";
import { deepFreeze, expectAppError } from "./helpers";

const patient = (): JsonObject =>
  deepFreeze({
    resourceType: "Patient",
    id: "p1",
    active: true,
    name: [{ family: "Ng", given: ["Ann", "Bea"] }],
    identifier: [
      { system: "urn:a", value: "1" },
      { system: "urn:b", value: "2" },
    ],
  });

describe("applyJsonPatch: operations (RFC 6902 §4)", () => {
  it("adds an object member and inserts into an array at an index", () => {
    const out = applyJsonPatch(patient(), [
      { op: "add", path: "/gender", value: "female" },
      { op: "add", path: "/name/0/given/1", value: "Cat" },
    ]);
    expect(out.gender).toBe("female");
    expect(out.name).toEqual([{ family: "Ng", given: ["Ann", "Cat", "Bea"] }]);
  });

  it("appends with the '-' index", () => {
    const out = applyJsonPatch(patient(), [
      { op: "add", path: "/identifier/-", value: { system: "urn:c", value: "3" } },
    ]);
    expect((out.identifier as unknown[]).map((i) => (i as JsonObject).value)).toEqual(["1", "2", "3"]);
  });

  it("removes a member and an array element", () => {
    const out = applyJsonPatch(patient(), [
      { op: "remove", path: "/active" },
      { op: "remove", path: "/identifier/0" },
    ]);
    expect(out).not.toHaveProperty("active");
    expect(out.identifier).toEqual([{ system: "urn:b", value: "2" }]);
  });

  it("replaces a value", () => {
    const out = applyJsonPatch(patient(), [{ op: "replace", path: "/name/0/family", value: "Ngo" }]);
    expect((out.name as JsonObject[])[0]!.family).toBe("Ngo");
  });

  it("moves within an array and between members", () => {
    const out = applyJsonPatch(patient(), [
      { op: "move", from: "/identifier/0", path: "/identifier/1" },
      { op: "move", from: "/name/0/family", path: "/name/0/text" },
    ]);
    expect((out.identifier as JsonObject[]).map((i) => i.value)).toEqual(["2", "1"]);
    expect(out.name).toEqual([{ given: ["Ann", "Bea"], text: "Ng" }]);
  });

  it("copies a value as an independent copy", () => {
    const out = applyJsonPatch(patient(), [
      { op: "copy", from: "/identifier/0", path: "/identifier/-" },
      { op: "replace", path: "/identifier/2/value", value: "changed" },
    ]);
    expect((out.identifier as JsonObject[]).map((i) => i.value)).toEqual(["1", "2", "changed"]);
  });

  it("passes a successful test and fails a test with 422", () => {
    const ok = applyJsonPatch(patient(), [
      { op: "test", path: "/name/0/given/1", value: "Bea" },
      { op: "replace", path: "/active", value: false },
    ]);
    expect(ok.active).toBe(false);
    expectAppError(() => applyJsonPatch(patient(), [{ op: "test", path: "/active", value: "true" }]), 422, /not equal/);
    // a failed test stops the whole patch: nothing before it is kept
    expectAppError(
      () =>
        applyJsonPatch(patient(), [
          { op: "replace", path: "/active", value: false },
          { op: "test", path: "/id", value: "other" },
        ]),
      422,
    );
  });

  it("unescapes ~1 and ~0 in pointers (RFC 6901 §4)", () => {
    const doc = deepFreeze({ resourceType: "Basic", "a/b": 1, "m~n": 2, "~1": 3 });
    const out = applyJsonPatch(doc, [
      { op: "replace", path: "/a~1b", value: 10 },
      { op: "replace", path: "/m~0n", value: 20 },
      { op: "test", path: "/~01", value: 3 },
    ]);
    expect(out).toEqual({ resourceType: "Basic", "a/b": 10, "m~n": 20, "~1": 3 });
  });
});

describe("applyJsonPatch: errors", () => {
  it("rejects a malformed patch document with 400", () => {
    expectAppError(() => applyJsonPatch(patient(), { op: "add" }), 400, /array/);
    expectAppError(() => applyJsonPatch(patient(), ["add"]), 400, /must be an object/);
    expectAppError(() => applyJsonPatch(patient(), [{ op: "merge", path: "/a", value: 1 }]), 400, /'op'/);
    expectAppError(() => applyJsonPatch(patient(), [{ op: "add", path: "/gender" }]), 400, /'value' is required/);
    expectAppError(() => applyJsonPatch(patient(), [{ op: "copy", path: "/gender" }]), 400, /'from'/);
    expectAppError(() => applyJsonPatch(patient(), [{ op: "remove", path: "gender" }]), 400, /start with '\/'/);
    expectAppError(() => applyJsonPatch(patient(), [{ op: "remove", path: 3 }]), 400, /JSON Pointer/);
    expectAppError(() => applyJsonPatch(patient(), [{ op: "remove", path: "/a~2b" }]), 400, /escape/);
    expectAppError(() => applyJsonPatch(patient(), [{ op: "remove", path: "/identifier/01" }]), 400, /leading zero/);
    expectAppError(
      () => applyJsonPatch(patient(), [{ op: "move", from: "/name/0", path: "/name/0/given" }]),
      400,
      /own child/,
    );
  });

  it("reports operations that do not fit the resource with 422", () => {
    expectAppError(() => applyJsonPatch(patient(), [{ op: "remove", path: "/gender" }]), 422, /does not exist/);
    expectAppError(() => applyJsonPatch(patient(), [{ op: "replace", path: "/gender", value: "x" }]), 422);
    expectAppError(() => applyJsonPatch(patient(), [{ op: "add", path: "/contact/0/name", value: {} }]), 422);
    expectAppError(() => applyJsonPatch(patient(), [{ op: "add", path: "/identifier/5", value: {} }]), 422, /greater/);
    expectAppError(() => applyJsonPatch(patient(), [{ op: "remove", path: "/identifier/7" }]), 422);
    expectAppError(
      () => applyJsonPatch(patient(), [{ op: "add", path: "/identifier/x", value: {} }]),
      422,
      /array index/,
    );
    expectAppError(() => applyJsonPatch(patient(), [{ op: "copy", from: "/nope", path: "/x" }]), 422, /'from'/);
    expectAppError(() => applyJsonPatch(patient(), [{ op: "move", from: "/name/3", path: "/x" }]), 422, /'from'/);
    expectAppError(() => applyJsonPatch(patient(), [{ op: "add", path: "/active/x", value: 1 }]), 422);
  });

  it("names the failing operation by index", () => {
    const e = expectAppError(
      () =>
        applyJsonPatch(patient(), [
          { op: "add", path: "/gender", value: "male" },
          { op: "remove", path: "/birthDate" },
        ]),
      422,
    );
    expect(e.message).toContain("operation 1 (remove '/birthDate')");
    expect(e.code).toBe("patch_not_applicable");
  });

  it("refuses to change the resource id or type, but lets a patch test them", () => {
    expectAppError(
      () => applyJsonPatch(patient(), [{ op: "replace", path: "/id", value: "p2" }]),
      400,
      /cannot change the id/,
    );
    expectAppError(() => applyJsonPatch(patient(), [{ op: "remove", path: "/id" }]), 400, /id/);
    expectAppError(
      () => applyJsonPatch(patient(), [{ op: "replace", path: "/resourceType", value: "Person" }]),
      400,
      /resource type/,
    );
    expectAppError(
      () => applyJsonPatch(patient(), [{ op: "replace", path: "", value: { resourceType: "Patient", id: "p9" } }]),
      400,
    );
    expectAppError(() => applyJsonPatch(patient(), [{ op: "replace", path: "", value: [1] }]), 422, /non-object/);
    const same = applyJsonPatch(patient(), [
      { op: "test", path: "/id", value: "p1" },
      { op: "replace", path: "/id", value: "p1" },
    ]);
    expect(same.id).toBe("p1");
  });
});

describe("applyJsonPatch: hostile input", () => {
  it("rejects prototype-reaching pointers with 400 and pollutes nothing", () => {
    for (const path of ["/__proto__/polluted", "/constructor/prototype/polluted", "/name/0/__proto__", "/toString"]) {
      expectAppError(() => applyJsonPatch(patient(), [{ op: "add", path, value: "yes" }]), 400, /must not address/);
    }
    expectAppError(
      () => applyJsonPatch(patient(), [{ op: "copy", from: "/__proto__", path: "/x" }]),
      400,
      /must not address/,
    );
    const payload = JSON.parse('[{"op":"add","path":"/extension","value":{"__proto__":{"polluted":"yes"}}}]');
    expectAppError(() => applyJsonPatch(patient(), payload), 400, /forbidden property name/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("bounds operation count, value depth and copy growth", () => {
    const many = Array.from({ length: 1001 }, () => ({ op: "test", path: "/id", value: "p1" }));
    expectAppError(() => applyJsonPatch(patient(), many), 413, /1001 operations/);

    let deep: unknown = "leaf";
    for (let i = 0; i < 150; i++) deep = { x: deep };
    expectAppError(() => applyJsonPatch(patient(), [{ op: "add", path: "/extension", value: deep }]), 400, /deeper/);

    // each copy doubles the document: without a bound 40 operations would need 2^40 nodes
    const doubling = Array.from({ length: 40 }, () => ({ op: "copy", from: "/name", path: "/name/-" }));
    expectAppError(() => applyJsonPatch(patient(), doubling), 422, /JSON nodes/);
  });

  it("leaves its inputs untouched and is deterministic", () => {
    const resource = patient();
    const patch = deepFreeze([
      { op: "add", path: "/extension", value: [{ url: "urn:x", valueString: "a" }] },
      { op: "add", path: "/extension/0/valueString", value: "b" },
    ]);
    const first = applyJsonPatch(resource, patch);
    const second = applyJsonPatch(resource, patch);
    expect(JSON.stringify(first)).toBe(JSON.stringify(second));
    expect(first.extension).toEqual([{ url: "urn:x", valueString: "b" }]);
    expect(patch[0]!.value).toEqual([{ url: "urn:x", valueString: "a" }]);
    expect(resource).not.toHaveProperty("extension");
  });
});
