/**
 * The R4 element tables (src/generated/fhir-structure.json, built by scripts/gen-fhir-definitions.ts)
 * compiled into per-table JSON-property indexes. Compilation is lazy, per table, on first use: a Worker
 * isolate that only ever sees Patients and Observations never pays for the other ~670 tables.
 */
import artifactJson from "../../../generated/fhir-structure.json";
import { PRIMITIVE_CHECKS, type PrimitiveCheck } from "./primitives";

type RawEntry = [number, number | "*", string] | [number, number | "*", string, string];
interface Artifact {
  fhirVersion: string;
  resourceTypes: string[];
  tables: Record<string, Record<string, RawEntry>>;
  valueSets: Record<string, string[]>;
}

const artifact = artifactJson as unknown as Artifact;

export const FHIR_VERSION = artifact.fhirVersion;
export const RESOURCE_TYPE_SET: ReadonlySet<string> = new Set(artifact.resourceTypes);

export const Kind = { Primitive: 0, Complex: 1, Resource: 2 } as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

export interface TypeInfo {
  kind: Kind;
  /** Type name as in the definitions: "code", "Quantity", "Observation.component", "Resource". */
  name: string;
  /** Kind.Primitive: the lexical check. */
  check?: PrimitiveCheck;
  /** Kind.Complex: the table of the value's children. */
  table?: string;
  /** Reference only: allowed target resource types; undefined = any. */
  targets?: ReadonlySet<string>;
}

export interface Prop {
  /** JSON property name (choice variants expanded: "valueQuantity"). */
  jsonName: string;
  /** Element name in the definition ("value[x]" for choices). */
  element: string;
  /** For choice variants: the shared base name ("value"), to detect two variants set at once. */
  choiceBase?: string;
  min: number;
  max: number; // Infinity for "*"
  isArray: boolean;
  type: TypeInfo;
  valueSet?: ReadonlySet<string>;
  valueSetName?: string;
}

export interface RequiredElement {
  /** Element name for diagnostics/expressions ("status", "value[x]"). */
  element: string;
  /** Any of these JSON properties satisfies the requirement (incl. `_x` primitive extensions). */
  jsonNames: string[];
}

export interface Table {
  name: string;
  props: Map<string, Prop>;
  required: RequiredElement[];
  hasChoices: boolean;
}

const typeCache = new Map<string, TypeInfo>();
const tableCache = new Map<string, Table>();
const valueSetCache = new Map<string, ReadonlySet<string>>();

function typeInfo(spec: string): TypeInfo {
  const cached = typeCache.get(spec);
  if (cached) return cached;
  let info: TypeInfo;
  const check = PRIMITIVE_CHECKS.get(spec);
  if (check) {
    info = { kind: Kind.Primitive, name: spec, check };
  } else if (spec === "Resource" || RESOURCE_TYPE_SET.has(spec)) {
    info = { kind: Kind.Resource, name: spec };
  } else if (spec.startsWith("Reference")) {
    const open = spec.indexOf("(");
    const targets = open > 0 ? new Set(spec.slice(open + 1, -1).split(",")) : undefined;
    info = { kind: Kind.Complex, name: "Reference", table: "Reference", targets };
  } else if (artifact.tables[spec]) {
    info = { kind: Kind.Complex, name: spec, table: spec };
  } else {
    throw new Error(`fhir-structure.json: unknown type '${spec}'`);
  }
  typeCache.set(spec, info);
  return info;
}

function valueSet(name: string): ReadonlySet<string> {
  let set = valueSetCache.get(name);
  if (!set) {
    const codes = artifact.valueSets[name];
    if (!codes) throw new Error(`fhir-structure.json: unknown value set '${name}'`);
    set = new Set(codes);
    valueSetCache.set(name, set);
  }
  return set;
}

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

function compileTable(name: string, raw: Record<string, RawEntry>): Table {
  const props = new Map<string, Prop>();
  const required: RequiredElement[] = [];
  let hasChoices = false;
  for (const [element, entry] of Object.entries(raw)) {
    const [min, rawMax, types, vs] = entry;
    const max = rawMax === "*" ? Number.POSITIVE_INFINITY : rawMax;
    // FHIR R4 json.html#arrays: an element is an array in JSON iff its *base* max is > 1. The tables are
    // base (unprofiled) definitions, so the element's own max decides.
    const isArray = max > 1;
    const jsonNames: string[] = [];
    const add = (jsonName: string, type: TypeInfo, choiceBase?: string) => {
      const prop: Prop = { jsonName, element, min, max, isArray, type, choiceBase };
      if (vs) {
        prop.valueSet = valueSet(vs);
        prop.valueSetName = vs;
      }
      props.set(jsonName, prop);
      jsonNames.push(jsonName);
      if (type.kind === Kind.Primitive) jsonNames.push(`_${jsonName}`);
    };
    if (element.endsWith("[x]")) {
      hasChoices = true;
      const base = element.slice(0, -3);
      for (const spec of types.split("|")) {
        const info = typeInfo(spec);
        const typeName = spec.startsWith("Reference") ? "Reference" : spec;
        add(base + capitalize(typeName), info, base);
      }
    } else {
      add(element, typeInfo(types));
    }
    if (min > 0) required.push({ element, jsonNames });
  }
  return { name, props, required, hasChoices };
}

/** The compiled table of a type / backbone path, or undefined when unknown. */
export function getTable(name: string): Table | undefined {
  let table = tableCache.get(name);
  if (table) return table;
  if (!Object.hasOwn(artifact.tables, name)) return undefined;
  const raw = artifact.tables[name]!;
  table = compileTable(name, raw);
  tableCache.set(name, table);
  return table;
}

/** Compiles every table now (tests and benchmarks use it to surface artifact problems and warm up). */
export function compileAllTables(): number {
  for (const name of Object.keys(artifact.tables)) getTable(name);
  return tableCache.size;
}
