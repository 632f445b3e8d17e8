/**
 * Reads a FHIRPath Patch document (FHIR R4 fhirpatch.html): a `Parameters` resource whose `operation`
 * parameters carry `type`, `path`, `name`, `value`, `index`, `source` and `destination` parts.
 *
 * Everything that can be checked without the target resource is checked here, so a malformed patch is a
 * 400 before any operation runs: unknown or repeated parts, parts a type does not use, missing parts,
 * FHIRPath syntax, element names, the JSON form of `value[x]`, and prototype-reaching property names.
 */
import { type FhirPathAtom, parseFhirPath } from "@medplum/core";
import { getTable, Kind } from "../validation/structure";
import {
  cloneJson,
  isForbiddenKey,
  isJsonObject,
  type JsonObject,
  MAX_OPERATIONS,
  MAX_PATH_LENGTH,
  patchInvalid,
  tooManyOperations,
} from "./patch-guards";

/** A `value` part. `anonymous` is a value built from nested `part`s (a backbone element or any complex type). */
export type PatchValue =
  | { kind: "primitive"; type: string; value: string | number | boolean; ext: JsonObject | undefined }
  | { kind: "complex"; type: string; value: JsonObject }
  | { kind: "resource"; type: string; value: JsonObject }
  | { kind: "anonymous"; parts: PatchPart[] };

export interface PatchPart {
  name: string;
  value: PatchValue;
  /** FHIRPath of the part in the Parameters resource, for messages. */
  where: string;
}

export interface PatchPath {
  source: string;
  atom: FhirPathAtom;
}

interface Common {
  path: PatchPath;
  /** `Parameters.parameter[i]`: where the operation is in the patch document. */
  where: string;
}

export type FhirPathPatchOperation = Common &
  (
    | { type: "add"; name: string; value: PatchValue }
    | { type: "insert"; value: PatchValue; index: number }
    | { type: "delete" }
    | { type: "replace"; value: PatchValue }
    | { type: "move"; source: number; destination: number }
  );

type OpType = FhirPathPatchOperation["type"];
type PartName = "type" | "path" | "name" | "value" | "index" | "source" | "destination";

/** FHIR R4 fhirpatch.html, the operation table: which parts each type takes (all of them required). */
const PARTS_OF: Record<OpType, readonly PartName[]> = {
  add: ["type", "path", "name", "value"],
  insert: ["type", "path", "value", "index"],
  delete: ["type", "path"],
  replace: ["type", "path", "value"],
  move: ["type", "path", "source", "destination"],
};

/** How each part carries its content (Parameters.parameter.value[x] type per the operation table). */
const VALUE_KEY_OF: Record<Exclude<PartName, "value">, string> = {
  type: "valueCode",
  path: "valueString",
  name: "valueString",
  index: "valueInteger",
  source: "valueInteger",
  destination: "valueInteger",
};

/** Parameters.parameter keys that are not content: allowed on any part, and ignored. */
const PART_META: ReadonlySet<string> = new Set(["id", "extension", "name"]);

/** FHIR element names (FHIR R4 elementdefinition.html#path: `[A-Za-z][A-Za-z0-9]*`). */
const ELEMENT_NAME = /^[A-Za-z][A-Za-z0-9]*$/;

/** Nested `part` levels of an anonymous value; deeper FHIR structures do not exist. */
const MAX_PART_DEPTH = 32;

export function checkElementName(name: string, where: string): string {
  if (isForbiddenKey(name)) throw patchInvalid(`${where}: '${name}' is not an element name`, where);
  if (!ELEMENT_NAME.test(name)) throw patchInvalid(`${where}: '${name}' is not a valid FHIR element name`, where);
  return name;
}

/** Parameters.parameter.value[x], as compiled tables: JSON key ("valueQuantity") -> its type. */
function valueVariant(key: string) {
  const prop = getTable("Parameters.parameter")?.props.get(key);
  return prop?.choiceBase === "value" ? prop : undefined;
}

/** The content keys of a part: `value[x]`, `resource`, `part` (and `_value[x]` primitive extensions). */
function contentKeys(part: JsonObject): string[] {
  return Object.keys(part).filter((k) => !PART_META.has(k));
}

function readValue(part: JsonObject, where: string, depth: number): PatchValue {
  if (depth > MAX_PART_DEPTH) throw patchInvalid(`${where}: nested parts are deeper than ${MAX_PART_DEPTH} levels`);
  const keys = contentKeys(part);
  const main = keys.filter((k) => !k.startsWith("_"));
  if (main.length !== 1) {
    throw patchInvalid(
      main.length === 0
        ? `${where}: a value part needs a value[x], a resource, or nested parts`
        : `${where}: a value part must have exactly one of value[x], resource, part (found ${main.join(", ")})`,
      where,
    );
  }
  const key = main[0]!;
  const content = part[key];
  const extras = keys.filter((k) => k.startsWith("_") && k !== `_${key}`);
  if (extras.length > 0) throw patchInvalid(`${where}: unexpected property '${extras[0]}'`, where);

  if (key === "part") {
    if (!Array.isArray(content) || content.length === 0) {
      throw patchInvalid(`${where}: 'part' must be a non-empty array`, where);
    }
    const parts = content.map((sub, j): PatchPart => {
      const subWhere = `${where}.part[${j}]`;
      if (!isJsonObject(sub)) throw patchInvalid(`${subWhere} must be an object`, subWhere);
      if (typeof sub.name !== "string") throw patchInvalid(`${subWhere}: 'name' is required`, subWhere);
      return {
        name: checkElementName(sub.name, subWhere),
        value: readValue(sub, subWhere, depth + 1),
        where: subWhere,
      };
    });
    return { kind: "anonymous", parts };
  }
  if (key === "resource") {
    if (!isJsonObject(content) || typeof content.resourceType !== "string") {
      throw patchInvalid(`${where}: 'resource' must be a resource with a resourceType`, where);
    }
    return { kind: "resource", type: content.resourceType, value: cloneJson(content, where, 1) as JsonObject };
  }
  const variant = valueVariant(key);
  if (!variant) throw patchInvalid(`${where}: '${key}' is not a Parameters value[x] type`, where);
  if (variant.type.kind === Kind.Primitive) {
    const problem = variant.type.check?.(content);
    if (problem) throw patchInvalid(`${where}: ${key} is not a valid ${variant.type.name}: ${problem.message}`, where);
    const rawExt = part[`_${key}`];
    if (rawExt !== undefined && !isJsonObject(rawExt)) {
      throw patchInvalid(`${where}: '_${key}' must be an object (id and extension of the primitive)`, where);
    }
    const ext = rawExt === undefined ? undefined : (cloneJson(rawExt, where, 1) as JsonObject);
    return { kind: "primitive", type: variant.type.name, value: content as string | number | boolean, ext };
  }
  if (!isJsonObject(content)) throw patchInvalid(`${where}: ${key} must be a JSON object`, where);
  return { kind: "complex", type: variant.type.name, value: cloneJson(content, where, 1) as JsonObject };
}

function readPath(source: string, where: string): PatchPath {
  if (source.trim() === "") throw patchInvalid(`${where}: 'path' must not be empty`, where);
  if (source.length > MAX_PATH_LENGTH) {
    throw patchInvalid(`${where}: 'path' is longer than ${MAX_PATH_LENGTH} characters`, where);
  }
  try {
    return { source, atom: parseFhirPath(source) };
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    throw patchInvalid(`${where}: 'path' is not a valid FHIRPath expression (${source}): ${detail}`, where);
  }
}

function readOperation(param: unknown, where: string): FhirPathPatchOperation {
  if (!isJsonObject(param)) throw patchInvalid(`${where} must be an object`, where);
  if (param.name !== "operation") {
    throw patchInvalid(
      `${where}: a FHIRPath Patch has only 'operation' parameters (got '${String(param.name)}')`,
      where,
    );
  }
  if (param.modifierExtension !== undefined) throw patchInvalid(`${where}: modifierExtension is not supported`, where);
  if (!Array.isArray(param.part)) throw patchInvalid(`${where}: an operation needs its 'part's`, where);

  const parts = new Map<PartName, { part: JsonObject; where: string }>();
  param.part.forEach((part: unknown, j: number) => {
    const partWhere = `${where}.part[${j}]`;
    if (!isJsonObject(part)) throw patchInvalid(`${partWhere} must be an object`, partWhere);
    const name = part.name;
    if (typeof name !== "string" || !isPartName(name)) {
      throw patchInvalid(
        `${partWhere}: unknown operation part ${JSON.stringify(name) ?? "without a name"} (expected type, path, name, value, index, source, destination)`,
        partWhere,
      );
    }
    if (parts.has(name)) throw patchInvalid(`${partWhere}: the '${name}' part is repeated`, partWhere);
    parts.set(name, { part, where: partWhere });
  });

  const scalar = (name: Exclude<PartName, "value">): unknown => {
    const entry = parts.get(name);
    if (!entry) throw patchInvalid(`${where}: the '${name}' part is required`, where);
    const valueKey = VALUE_KEY_OF[name];
    const keys = contentKeys(entry.part);
    if (keys.length !== 1 || keys[0] !== valueKey) {
      throw patchInvalid(`${entry.where}: the '${name}' part must have exactly a ${valueKey}`, entry.where);
    }
    return entry.part[valueKey];
  };
  const text = (name: "type" | "path" | "name"): string => {
    const v = scalar(name);
    if (typeof v !== "string") throw patchInvalid(`${where}: the '${name}' part must be a string`, where);
    return v;
  };
  const count = (name: "index" | "source" | "destination"): number => {
    const v = scalar(name);
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
      throw patchInvalid(`${where}: the '${name}' part must be an integer >= 0`, where);
    }
    return v;
  };

  const type = text("type");
  if (!isOpType(type)) {
    throw patchInvalid(
      `${where}: unknown operation type '${type}' (expected add, insert, delete, replace, move)`,
      where,
    );
  }
  for (const name of parts.keys()) {
    if (!PARTS_OF[type].includes(name)) {
      throw patchInvalid(`${where}: a '${type}' operation does not take a '${name}' part`, where);
    }
  }
  const path = readPath(text("path"), where);
  const value = (): PatchValue => {
    const entry = parts.get("value");
    if (!entry) throw patchInvalid(`${where}: the 'value' part is required`, where);
    return readValue(entry.part, entry.where, 0);
  };
  switch (type) {
    case "add":
      return { type, path, where, name: checkElementName(text("name"), where), value: value() };
    case "insert":
      return { type, path, where, index: count("index"), value: value() };
    case "delete":
      return { type, path, where };
    case "replace":
      return { type, path, where, value: value() };
    case "move":
      return { type, path, where, source: count("source"), destination: count("destination") };
  }
}

const isOpType = (t: string): t is OpType => Object.hasOwn(PARTS_OF, t);
const isPartName = (n: string): n is PartName => n === "value" || Object.hasOwn(VALUE_KEY_OF, n);

/** Parses and checks a FHIRPath Patch `Parameters` document; throws `invalid` (400) when it is malformed. */
export function parseFhirPathPatch(parameters: unknown): FhirPathPatchOperation[] {
  if (!isJsonObject(parameters) || parameters.resourceType !== "Parameters") {
    throw patchInvalid("A FHIRPath Patch document must be a Parameters resource (FHIR R4 fhirpatch.html)");
  }
  const list = parameters.parameter;
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw patchInvalid("Parameters.parameter must be an array", "Parameters.parameter");
  if (list.length > MAX_OPERATIONS) throw tooManyOperations(list.length);
  return list.map((param, i) => readOperation(param, `Parameters.parameter[${i}]`));
}
