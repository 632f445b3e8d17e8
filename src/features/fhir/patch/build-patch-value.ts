/**
 * Turns the `value` of a FHIRPath Patch operation into FHIR JSON for a given element, using the R4 element
 * tables: choice elements get their typed JSON name (`add` of `value` with a `valueQuantity` becomes
 * `valueQuantity`, FHIR R4 json.html#choice), values made of nested `part`s become objects of the target
 * type with repeating elements as arrays (FHIR R4 fhirpatch.html: "a value may be ... a set of parts for
 * anonymous types"), and a value of the wrong kind or type for the element is refused with a 422.
 */
import { Kind, type Prop, type Table } from "../validation/structure";
import { type Built, insertItem, listAt, setSingle, tableOfValue } from "./element-slots";
import type { PatchPart, PatchValue } from "./parse-fhirpath-patch";
import { type JsonObject, patchUnprocessable } from "./patch-guards";

/** R4 profiles of Quantity that are also types of their own (datatypes.html#quantity). */
const QUANTITY_TYPES: ReadonlySet<string> = new Set(["Quantity", "Age", "Count", "Distance", "Duration"]);

const capitalize = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

export interface Target {
  /** JSON property name (choice variant resolved). */
  key: string;
  prop: Prop | undefined;
}

const describe = (v: PatchValue): string => (v.kind === "anonymous" ? "value made of parts" : `${v.type} value`);

/** Refuses a value that cannot be stored in `prop` (kind, type, primitive lexical form). */
function checkFits(table: Table, prop: Prop, v: PatchValue, where: string): void {
  const declared = prop.type;
  const element = `${table.name}.${prop.jsonName}`;
  const refuse = () =>
    patchUnprocessable(`${where}: ${element} is of type ${declared.name} and cannot take a ${describe(v)}`, where);
  switch (v.kind) {
    case "anonymous":
      if (declared.kind !== Kind.Complex) throw refuse();
      return;
    case "primitive": {
      if (declared.kind !== Kind.Primitive) throw refuse();
      // A choice variant names its type; a plain primitive element accepts any primitive whose JSON form
      // is valid for it (valueString for a code is common in practice).
      if (prop.choiceBase && declared.name !== v.type) throw refuse();
      const problem = declared.check?.(v.value);
      if (problem) {
        throw patchUnprocessable(`${where}: not a valid ${declared.name} for ${element}: ${problem.message}`, where);
      }
      return;
    }
    case "complex":
      if (declared.kind !== Kind.Complex) throw refuse();
      if (declared.name !== v.type && !(declared.name === "Quantity" && QUANTITY_TYPES.has(v.type))) throw refuse();
      return;
    case "resource":
      if (declared.kind !== Kind.Resource) throw refuse();
      if (declared.name !== "Resource" && declared.name !== v.type) throw refuse();
      return;
  }
}

/**
 * The property under which `v` is stored as element `name` of an object of type `table`. Without a table
 * (type unknown to the R4 definitions) the name is used as given.
 */
export function targetFor(table: Table | undefined, name: string, v: PatchValue, where: string): Target {
  if (!table) return { key: name, prop: undefined };
  const direct = table.props.get(name);
  if (direct) {
    checkFits(table, direct, v, where);
    return { key: name, prop: direct };
  }
  const isChoice = [...table.props.values()].some((p) => p.choiceBase === name);
  if (!isChoice) throw patchUnprocessable(`${where}: ${table.name} has no element '${name}'`, where);
  if (v.kind === "anonymous") {
    throw patchUnprocessable(`${where}: ${table.name}.${name}[x] is a choice element; its value needs a type`, where);
  }
  const suffixes = [capitalize(v.type)];
  if (QUANTITY_TYPES.has(v.type)) suffixes.push("Quantity");
  for (const suffix of suffixes) {
    const variant = table.props.get(name + suffix);
    if (variant?.choiceBase === name) {
      checkFits(table, variant, v, where);
      return { key: variant.jsonName, prop: variant };
    }
  }
  throw patchUnprocessable(`${where}: ${table.name}.${name}[x] does not allow the type ${v.type}`, where);
}

/** True when element `key` (or, for a choice element, any of its variants) already has a value in `obj`. */
export function elementPresent(obj: JsonObject, table: Table | undefined, target: Target): boolean {
  if (Object.hasOwn(obj, target.key) || Object.hasOwn(obj, `_${target.key}`)) return true;
  const base = target.prop?.choiceBase;
  if (!base || !table) return false;
  for (const prop of table.props.values()) {
    if (prop.choiceBase === base && (Object.hasOwn(obj, prop.jsonName) || Object.hasOwn(obj, `_${prop.jsonName}`))) {
      return true;
    }
  }
  return false;
}

function buildObject(parts: PatchPart[], table: Table | undefined): JsonObject {
  const obj: JsonObject = {};
  for (const part of parts) {
    const target = targetFor(table, part.name, part.value, part.where);
    const item = buildValue(part.value, target.prop);
    if (target.prop?.isArray) {
      insertItem(obj, target.key, listAt(obj, target.key)?.length ?? 0, item);
    } else if (elementPresent(obj, table, target)) {
      throw patchUnprocessable(`${part.where}: '${part.name}' does not repeat but is given more than once`, part.where);
    } else {
      setSingle(obj, target.key, item);
    }
  }
  return obj;
}

/** FHIR JSON for `v` stored in an element defined by `prop` (undefined: type unknown). */
export function buildValue(v: PatchValue, prop: Prop | undefined): Built {
  switch (v.kind) {
    case "primitive":
      return { value: v.value, ext: v.ext };
    case "complex":
    case "resource":
      return { value: v.value };
    case "anonymous":
      return { value: buildObject(v.parts, tableOfValue(prop, undefined)) };
  }
}
