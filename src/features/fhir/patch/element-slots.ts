/**
 * Where an element lives in FHIR JSON, and the edits the patch engine makes there.
 *
 * FHIRPath names elements (`Patient.deceased`, `Patient.name[0].given[1]`); FHIR JSON stores them under a
 * property that may carry the choice type (`deceasedBoolean`, FHIR R4 json.html#choice), and a primitive's
 * id/extensions live in a `_name` twin, an array kept index-aligned with the values when the element
 * repeats (FHIR R4 json.html#primitive). Every edit here keeps value and twin together, and never leaves
 * an empty array or object behind (FHIR R4 json.html: empty arrays/objects are not allowed, ele-1).
 */
import { getTable, Kind, type Prop, type Table } from "../validation/structure";
import { isJsonObject, type JsonObject } from "./patch-guards";

/** One step of a located element: the property `key` of `parent`, item `index` when it repeats. */
export interface Slot {
  parent: JsonObject;
  key: string;
  index: number | undefined;
  /** The element's definition, when the parent's type is known. */
  prop: Prop | undefined;
  /** The type table of `parent`. */
  parentTable: Table | undefined;
}

export interface Located {
  /** Steps from the resource root; empty for the root itself. */
  chain: Slot[];
  value: unknown;
  /** Type table of `value` when it is a complex element or a resource. */
  table: Table | undefined;
}

/** A primitive's `_name` companion (FHIR R4 json.html#primitive); undefined for complex values. */
export interface Built {
  value: unknown;
  ext?: JsonObject | undefined;
}

export const tableOfResource = (resource: JsonObject): Table | undefined =>
  typeof resource.resourceType === "string" ? getTable(resource.resourceType) : undefined;

export function tableOfValue(prop: Prop | undefined, value: unknown): Table | undefined {
  if (!prop) return undefined;
  if (prop.type.kind === Kind.Complex) return prop.type.table ? getTable(prop.type.table) : undefined;
  if (prop.type.kind === Kind.Resource && isJsonObject(value)) return tableOfResource(value);
  return undefined;
}

/**
 * The JSON property holding element `name` of `obj`: the name itself, or the choice variant present
 * (`deceased` -> `deceasedBoolean`). Undefined when the element is absent.
 */
export function existingKey(obj: JsonObject, table: Table | undefined, name: string): string | undefined {
  if (Object.hasOwn(obj, name)) return name;
  const variants = Object.keys(obj).filter((k) => {
    if (!k.startsWith(name) || k.length === name.length) return false;
    if (table) return table.props.get(k)?.choiceBase === name;
    const next = k.charAt(name.length);
    return next >= "A" && next <= "Z";
  });
  return variants.length === 1 ? variants[0] : undefined;
}

const SEGMENT = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?$/;

/**
 * Follows a FHIRPath location as reported by @medplum/core's evaluator (`Patient.contact[0].name.text`)
 * through the JSON. Returns undefined when the location does not exist as written.
 */
export function locate(root: JsonObject, path: string): Located | undefined {
  const segments = path.split(".");
  // The evaluator prefixes locations with the resource type when the expression starts with it.
  if (segments[0] === root.resourceType && !Object.hasOwn(root, segments[0]!)) segments.shift();
  const chain: Slot[] = [];
  let current: unknown = root;
  let table = tableOfResource(root);
  for (const segment of segments) {
    const m = SEGMENT.exec(segment);
    if (!m || !isJsonObject(current)) return undefined;
    const key = existingKey(current, table, m[1]!);
    if (key === undefined) return undefined;
    const prop = table?.props.get(key);
    let value = current[key];
    let index: number | undefined;
    if (m[2] !== undefined) {
      index = Number(m[2]);
      if (!Array.isArray(value) || index >= value.length) return undefined;
      value = value[index];
    } else if (Array.isArray(value)) {
      return undefined;
    }
    chain.push({ parent: current, key, index, prop, parentTable: table });
    table = tableOfValue(prop, value);
    current = value;
  }
  return { chain, value: current, table };
}

const twinKey = (key: string) => `_${key}`;

/** The value array of a repeating element, or undefined. */
export function listAt(parent: JsonObject, key: string): unknown[] | undefined {
  const list = parent[key];
  return Array.isArray(list) ? list : undefined;
}

/** Drops an all-null (or empty) `_name` twin array, which carries nothing. */
function tidyTwin(parent: JsonObject, key: string): void {
  const twin = parent[twinKey(key)];
  if (Array.isArray(twin) && twin.every((t) => t === null || t === undefined)) delete parent[twinKey(key)];
}

/** The twin array aligned with `length` items, created (all null) when `create` is set and it is missing. */
function twinArray(parent: JsonObject, key: string, length: number, create: boolean): unknown[] | undefined {
  const existing = parent[twinKey(key)];
  if (!Array.isArray(existing) && !create) return undefined;
  const twin: unknown[] = Array.isArray(existing) ? existing : [];
  while (twin.length < length) twin.push(null);
  parent[twinKey(key)] = twin;
  return twin;
}

/** Inserts into the repeating element `key` (created when absent) at `index` (0..length). */
export function insertItem(parent: JsonObject, key: string, index: number, item: Built): void {
  const list = listAt(parent, key) ?? [];
  const twin = twinArray(parent, key, list.length, item.ext !== undefined);
  list.splice(index, 0, item.value);
  twin?.splice(index, 0, item.ext ?? null);
  parent[key] = list;
  tidyTwin(parent, key);
}

/** Removes item `index` of the repeating element `key`; the property goes when the list is empty. */
export function removeItem(parent: JsonObject, key: string, index: number): Built {
  const list = listAt(parent, key) ?? [];
  const twin = twinArray(parent, key, list.length, false);
  const [value] = list.splice(index, 1);
  const [ext] = twin?.splice(index, 1) ?? [];
  if (list.length === 0) {
    delete parent[key];
    delete parent[twinKey(key)];
  } else {
    tidyTwin(parent, key);
  }
  return { value, ext: isJsonObject(ext) ? ext : undefined };
}

/** Sets a non-repeating element (value and primitive twin). */
export function setSingle(parent: JsonObject, key: string, item: Built): void {
  parent[key] = item.value;
  if (item.ext !== undefined) parent[twinKey(key)] = item.ext;
  else delete parent[twinKey(key)];
}

/** Replaces the element in `slot` in place. */
export function replaceAt(slot: Slot, item: Built): void {
  if (slot.index === undefined) {
    setSingle(slot.parent, slot.key, item);
    return;
  }
  const list = listAt(slot.parent, slot.key)!;
  list[slot.index] = item.value;
  const twin = twinArray(slot.parent, slot.key, list.length, item.ext !== undefined);
  if (twin) twin[slot.index] = item.ext ?? null;
  tidyTwin(slot.parent, slot.key);
}

/** Removes the element in `slot` (with its twin). */
export function removeAt(slot: Slot): void {
  if (slot.index === undefined) {
    delete slot.parent[slot.key];
    delete slot.parent[twinKey(slot.key)];
  } else {
    removeItem(slot.parent, slot.key, slot.index);
  }
}

/**
 * Renames property `from` of `parent` to `to` keeping the property order, for a choice element whose
 * type changes (`valueQuantity` -> `valueString`). The old twin is dropped: it belonged to the old value.
 */
export function renameKey(parent: JsonObject, from: string, to: string): void {
  const entries = Object.entries(parent);
  for (const key of Object.keys(parent)) delete parent[key];
  for (const [key, value] of entries) {
    if (key === twinKey(from)) continue;
    parent[key === from ? to : key] = value;
  }
}

/**
 * After a removal at the end of `chain`, removes the ancestors the removal left empty, innermost first,
 * so deleting `Patient.contact[0].name.text` from a name with only a text removes `name` too.
 */
export function pruneEmptyAncestors(chain: Slot[]): void {
  for (let i = chain.length - 1; i >= 1; i--) {
    const container = chain[i]!.parent;
    if (Object.keys(container).length > 0) return;
    removeAt(chain[i - 1]!);
  }
}
