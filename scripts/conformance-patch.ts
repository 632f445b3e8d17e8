/**
 * Runs the FHIR community patch test cases (FHIR/fhir-test-cases, r4/patch) through Hearth's patch code:
 *   fhir-patch-tests.xml  FHIRPath Patch cases (FHIR XML, converted to JSON by scripts/lib/fhir-xml.ts)
 *   json-patch-tests.json JSON Patch (RFC 6902) cases
 * A case passes when the patched resource equals the expected output (or, for an error case, when the
 * patch is refused with a 4xx AppError) and the input objects were left untouched.
 *
 *   npx tsx scripts/conformance-patch.ts [dir]     (default: ../shared/data/fhir/fhir-test-cases/r4/patch)
 *
 * Exit code 1 when any case fails; 0 (with a message) when the test-case folder is absent.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { applyFhirPathPatch, applyJsonPatch, type JsonObject } from "../src/features/fhir/patch";
import { isAppError } from "../src/platform/errors";
import { childElements, FhirXmlConverter, parseXml, R4Definitions, type XmlElement } from "./lib/fhir-xml";

const repoRoot = resolve(fileURLToPath(new URL("..", import.meta.url)));
const dir = resolve(
  process.argv[2] ?? join(repoRoot, "..", "shared", "data", "fhir", "fhir-test-cases", "r4", "patch"),
);

interface Outcome {
  suite: string;
  name: string;
  ok: boolean;
  detail: string;
}

/**
 * XHTML narrative is compared with insignificant whitespace collapsed: the expected `div` comes from
 * pretty-printed XML while patched values carry the whitespace of whoever serialized them.
 */
const normalizeXhtml = (s: string) => s.replace(/\s+/g, " ").replace(/>\s+</g, "><").trim();

function canonical(value: unknown, key = ""): unknown {
  if (typeof value === "string" && key === "div") return normalizeXhtml(value);
  if (Array.isArray(value)) return value.map((v) => canonical(v));
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = canonical((value as Record<string, unknown>)[k], k);
    return out;
  }
  return value;
}

const same = (a: unknown, b: unknown) => JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

function runCase(
  suite: string,
  name: string,
  apply: () => JsonObject,
  inputs: unknown[],
  expected: unknown,
  expectError: boolean,
): Outcome {
  const snapshot = JSON.stringify(inputs);
  let result: JsonObject | undefined;
  let error: unknown;
  try {
    result = apply();
  } catch (e) {
    error = e;
  }
  if (JSON.stringify(inputs) !== snapshot) return { suite, name, ok: false, detail: "the input was mutated" };
  if (expectError) {
    if (error === undefined)
      return { suite, name, ok: false, detail: `expected an error, got ${JSON.stringify(result)}` };
    if (!isAppError(error) || error.status < 400 || error.status >= 500) {
      return { suite, name, ok: false, detail: `expected a 4xx AppError, got ${String(error)}` };
    }
    return { suite, name, ok: true, detail: `${error.status} ${error.message}` };
  }
  if (error !== undefined) {
    return {
      suite,
      name,
      ok: false,
      detail: `unexpected error: ${isAppError(error) ? error.status : ""} ${String(error)}`,
    };
  }
  if (!same(result, expected)) {
    return {
      suite,
      name,
      ok: false,
      detail: `got ${JSON.stringify(result)}\n        want ${JSON.stringify(expected)}`,
    };
  }
  return { suite, name, ok: true, detail: "" };
}

function fhirPathCases(file: string): Outcome[] {
  const converter = new FhirXmlConverter(R4Definitions.load());
  const tests = parseXml(readFileSync(file, "utf8"));
  const single = (el: XmlElement | undefined): XmlElement => {
    const inner = el ? childElements(el) : [];
    if (inner.length !== 1) throw new Error(`<${el?.name}> must contain one resource`);
    return inner[0]!;
  };
  return childElements(tests)
    .filter((c) => c.name === "case")
    .map((testCase) => {
      const name = testCase.attrs.name ?? "(unnamed)";
      const part = (n: string) => childElements(testCase).find((c) => c.name === n);
      try {
        const input = converter.resource(single(part("input")));
        const diff = converter.resource(single(part("diff")));
        const errorEl = part("error");
        const expected = errorEl ? undefined : converter.resource(single(part("output")));
        return runCase("fhirpath", name, () => applyFhirPathPatch(input, diff), [input, diff], expected, !!errorEl);
      } catch (e) {
        return { suite: "fhirpath", name, ok: false, detail: `could not read the case: ${String(e)}` };
      }
    });
}

interface JsonPatchCase {
  comment?: string;
  doc: JsonObject;
  patch: unknown;
  expected?: unknown;
  error?: string;
  disabled?: boolean;
}

function jsonPatchCases(file: string): Outcome[] {
  const cases = JSON.parse(readFileSync(file, "utf8")) as JsonPatchCase[];
  return cases
    .filter((c) => !c.disabled)
    .map((c, i) => {
      const name = c.comment ?? `case ${i}`;
      const expectError = c.error !== undefined;
      return runCase(
        "json-patch",
        name,
        () => applyJsonPatch(c.doc, c.patch),
        [c.doc, c.patch],
        c.expected,
        expectError,
      );
    });
}

function main(): number {
  if (!existsSync(dir)) {
    console.log(`conformance-patch: test-case folder not found: ${dir}`);
    console.log("conformance-patch: nothing to run (it is reference data outside the repo); skipping.");
    return 0;
  }
  const outcomes: Outcome[] = [];
  const fhirFile = join(dir, "fhir-patch-tests.xml");
  const jsonFile = join(dir, "json-patch-tests.json");
  for (const [file, run] of [
    [fhirFile, fhirPathCases],
    [jsonFile, jsonPatchCases],
  ] as const) {
    if (existsSync(file)) outcomes.push(...run(file));
    else console.log(`conformance-patch: ${file} not found; skipped`);
  }
  for (const o of outcomes) {
    console.log(`${o.ok ? "PASS" : "FAIL"}  ${o.suite.padEnd(10)} ${o.name}${o.detail ? `\n        ${o.detail}` : ""}`);
  }
  const summary = (suite: string) => {
    const mine = outcomes.filter((o) => o.suite === suite);
    return `${suite} ${mine.filter((o) => o.ok).length}/${mine.length}`;
  };
  const failed = outcomes.filter((o) => !o.ok).length;
  console.log(
    `\nTotal: ${outcomes.length - failed}/${outcomes.length} passed (${summary("fhirpath")}, ${summary("json-patch")})`,
  );
  return failed > 0 ? 1 : 0;
}

process.exitCode = main();
