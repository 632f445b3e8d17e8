/**
 * The R4 search parameter table (src/generated/search-params.json, built by scripts/gen-search-params.ts)
 * as typed, lazily compiled definitions. One registry serves the write path (what to index) and the
 * query compiler (what a parameter means), so both always agree.
 */
import artifactJson from "../../../generated/search-params.json";
import { compilePathProgram, type PathProgram } from "./path-program";

export type SearchParamType =
  | "token"
  | "string"
  | "date"
  | "number"
  | "quantity"
  | "reference"
  | "uri"
  | "composite"
  | "text"
  | "content";

interface RawParam {
  t: string;
  p?: string[];
  g?: string[];
  c?: [string, string][];
  a?: string[];
  f?: string;
  s?: "id" | "lu";
}
interface Artifact {
  version: string;
  common: Record<string, RawParam>;
  types: Record<string, Record<string, RawParam>>;
  compartments: { Patient: Record<string, string[]> };
  summary: Record<string, string[]>;
  required: Record<string, string[]>;
  choices: Record<string, string[]>;
}

const artifact = artifactJson as unknown as Artifact;

export interface CompositeComponent {
  type: SearchParamType;
  paths: PathProgram[];
}

export interface SearchParamDef {
  code: string;
  type: SearchParamType;
  /** What to evaluate on the resource (empty for aliases and resource-column params). */
  paths: PathProgram[];
  /** Reference targets; ["*"] = any resource type. */
  targets: string[];
  /** Composite components, in order. */
  components?: CompositeComponent[];
  /** Codes whose index rows answer this param (it writes none itself): `patient` -> ["subject"]. */
  alias?: string[];
  /** With `alias` on references: only rows whose target type is this. */
  aliasTarget?: string;
  /** Answered from fhir_search_res columns instead of index rows. */
  column?: "id" | "lu";
}

/** Every concrete resource type Hearth knows (those with a summary table in the artifact). */
export const RESOURCE_TYPES: readonly string[] = Object.keys(artifact.summary);
const resourceTypeSet: ReadonlySet<string> = new Set(RESOURCE_TYPES);
export const isResourceType = (t: string): boolean => resourceTypeSet.has(t);

const compiled = new Map<string, Map<string, SearchParamDef>>();

function compileParam(code: string, raw: RawParam): SearchParamDef {
  return {
    code,
    type: raw.t as SearchParamType,
    paths: (raw.p ?? []).map(compilePathProgram),
    targets: raw.g ?? [],
    components: raw.c?.map(([type, path]) => ({
      type: type as SearchParamType,
      paths: path.split("|").map(compilePathProgram),
    })),
    alias: raw.a,
    aliasTarget: raw.f,
    column: raw.s,
  };
}

/** The search parameters of a resource type (its own plus the common Resource ones), compiled once. */
export function paramsOf(resourceType: string): Map<string, SearchParamDef> {
  let params = compiled.get(resourceType);
  if (!params) {
    params = new Map();
    for (const [code, raw] of Object.entries(artifact.common)) {
      // _text searches the narrative, which only DomainResources have.
      if (code === "_text" && ["Bundle", "Binary", "Parameters"].includes(resourceType)) continue;
      params.set(code, compileParam(code, raw));
    }
    for (const [code, raw] of Object.entries(artifact.types[resourceType] ?? {}))
      params.set(code, compileParam(code, raw));
    compiled.set(resourceType, params);
  }
  return params;
}

/**
 * A store's custom search parameters (SearchParameter resources activated by $reindex), by resource type
 * then code; loaded by custom-params.ts. Their codes never shadow a standard parameter of the type.
 */
export type CustomParams = ReadonlyMap<string, ReadonlyMap<string, SearchParamDef>>;

/** A standard parameter of the type or, with `custom`, one of the store's custom parameters. */
export function getParam(resourceType: string, code: string, custom?: CustomParams): SearchParamDef | undefined {
  return paramsOf(resourceType).get(code) ?? custom?.get(resourceType)?.get(code);
}

/** Codes of every parameter of the type (standard, then the store's custom ones). */
export function paramCodes(resourceType: string, custom?: CustomParams): string[] {
  return [...paramsOf(resourceType).keys(), ...(custom?.get(resourceType)?.keys() ?? [])];
}

/** The common params (valid on every type, and the only ones valid on a system search without _type). */
export function commonParam(code: string): SearchParamDef | undefined {
  return paramsOf("Resource").get(code);
}

/** Reference targets with "*" expanded. */
export function targetTypes(def: SearchParamDef): string[] {
  return def.targets.includes("*") ? [...RESOURCE_TYPES] : def.targets;
}

/** Params of `resourceType` that put a resource in the Patient compartment (FHIR R4 compartmentdefinition-patient). */
export function patientCompartmentParams(resourceType: string): string[] | undefined {
  return artifact.compartments.Patient[resourceType];
}

/** Resource types that can be in a Patient compartment (the Patient itself included). */
export const PATIENT_COMPARTMENT_TYPES: readonly string[] = ["Patient", ...Object.keys(artifact.compartments.Patient)];

/** Top-level elements marked isSummary (choice elements end in "[x]"). */
export function summaryElements(resourceType: string): string[] {
  return artifact.summary[resourceType] ?? [];
}

/** Top-level elements with min >= 1 (kept by _summary=text and _elements). */
export function requiredElements(resourceType: string): string[] {
  return artifact.required[resourceType] ?? [];
}

/** Top-level choice elements of a type, without "[x]" (`value` for Observation.value[x]). */
export function choiceElements(resourceType: string): string[] {
  return artifact.choices[resourceType] ?? [];
}

export const SEARCH_DEFINITIONS_VERSION = artifact.version;
