/**
 * FHIRPath Patch (FHIR R4 fhirpatch.html) for the FHIR `patch` interaction with a `Parameters` body
 * (FHIR R4 http.html#patch).
 *
 * Paths are evaluated with @medplum/core's FHIRPath engine, whose results carry their location
 * (`Patient.identifier[1].value`); element-slots.ts maps a location back to the JSON property, and each
 * mapping is checked against the value the engine returned, so an expression can only ever edit what it
 * selected. Operations apply in order, each to the result of the previous one.
 *
 * Cardinality rules (fhirpatch.html, operation table): `add` and `replace` need a path that selects
 * exactly one element, `delete` deletes at most one ("if found": no match is not an error), `insert` and
 * `move` work on a whole list, with `index` <= the list's length for insert and `source`/`destination`
 * inside the list for move. A path that selects nothing where something is required, several elements
 * where one is required, or an index out of range makes the patch inapplicable: 422.
 *
 * Why not @medplum/core's own `fhirpathPatchTypedValue`: it cannot build values from nested `part`s,
 * keeps `add` names verbatim (no choice types), leaves primitive `_x` twins and emptied parents behind,
 * accepts a move destination equal to the list length, and throws untyped errors.
 */
import { DotAtom, evalFhirPathTyped, FhirPathAtom, SymbolAtom, type TypedValue, toTypedValue } from "@medplum/core";
import type { Prop, Table } from "../validation/structure";
import { buildValue, elementPresent, targetFor } from "./build-patch-value";
import {
  insertItem,
  type Located,
  listAt,
  locate,
  pruneEmptyAncestors,
  removeAt,
  removeItem,
  renameKey,
  replaceAt,
  type Slot,
  setSingle,
  tableOfResource,
} from "./element-slots";
import { type FhirPathPatchOperation, parseFhirPathPatch } from "./parse-fhirpath-patch";
import {
  assertIdentityKept,
  cloneJson,
  identityOf,
  isJsonObject,
  type JsonObject,
  measureJson,
  patchInvalid,
  patchUnprocessable,
} from "./patch-guards";

type Op<T extends FhirPathPatchOperation["type"]> = Extract<FhirPathPatchOperation, { type: T }>;

const label = (op: FhirPathPatchOperation) => `${op.where} (${op.type} ${op.path.source})`;

function evaluate(atom: FhirPathAtom, doc: JsonObject, op: FhirPathPatchOperation): TypedValue[] {
  const root = toTypedValue(doc);
  try {
    return evalFhirPathTyped(atom, [root], { "%resource": root, "%rootResource": root, "%context": root });
  } catch (e) {
    const detail = e instanceof Error ? e.message : String(e);
    throw patchUnprocessable(`${label(op)}: the path could not be evaluated: ${detail}`, op.where);
  }
}

/** The location @medplum/core attaches to results that are elements of the input (TypedValueWithPath). */
function pathOf(result: TypedValue): string | undefined {
  const path: unknown = (result as { path?: unknown }).path;
  return typeof path === "string" ? path : undefined;
}

/** Maps each FHIRPath result to its place in the JSON; a result that is not an element of the resource is refused. */
function locateAll(results: TypedValue[], doc: JsonObject, op: FhirPathPatchOperation): Located[] {
  return results.map((result) => {
    const path = pathOf(result);
    const located = path === undefined ? undefined : locate(doc, path);
    const same = located !== undefined && located.value === result.value;
    if (!same) {
      throw patchUnprocessable(
        `${label(op)}: the path selects a value that is not an element of the resource`,
        op.where,
      );
    }
    return located;
  });
}

function single(op: FhirPathPatchOperation, doc: JsonObject, verb: string): Located | undefined {
  const results = evaluate(op.path.atom, doc, op);
  if (results.length > 1) {
    throw patchUnprocessable(
      `${label(op)}: the path selects ${results.length} elements; ${verb} needs exactly one`,
      op.where,
    );
  }
  return locateAll(results, doc, op)[0];
}

/** A repeating element as a whole: the property `key` of `parent`, possibly absent (empty list). */
interface ListRef {
  parent: JsonObject;
  key: string;
  prop: Prop | undefined;
  /** Type table of `parent`. */
  table: Table | undefined;
  length: number;
}

/**
 * The list an `insert`/`move` path names. A non-empty list is recognised from the results (all items of
 * one array, in order, none missing); an absent list from the expression's shape `<parent>.<name>`, so
 * `insert` at index 0 can start a list that does not exist yet.
 */
function resolveList(op: Op<"insert" | "move">, doc: JsonObject): ListRef {
  const results = evaluate(op.path.atom, doc, op);
  const notAList = () =>
    patchUnprocessable(`${label(op)}: the path must select a whole list (for example Patient.identifier)`, op.where);
  if (results.length > 0) {
    // Locate the first item; the others must be the rest of the same array, in order. Checked by location
    // text and identity rather than by locating each one, which would cost O(n) per item.
    const [first] = locateAll(results.slice(0, 1), doc, op);
    const slot = first!.chain.at(-1);
    if (slot?.index !== 0) throw notAList();
    const list = listAt(slot.parent, slot.key)!;
    const firstPath = pathOf(results[0]!) ?? "";
    const base = firstPath.slice(0, firstPath.lastIndexOf("["));
    const whole =
      results.length === list.length && results.every((r, i) => r.value === list[i] && pathOf(r) === `${base}[${i}]`);
    if (!whole) throw notAList();
    return { parent: slot.parent, key: slot.key, prop: slot.prop, table: slot.parentTable, length: list.length };
  }
  const child = op.path.atom.child;
  let parentTable: Table | undefined;
  let parent: JsonObject | undefined;
  let name: string | undefined;
  if (child instanceof SymbolAtom) {
    parent = doc;
    name = child.name;
    parentTable = tableOfResource(doc);
  } else if (child instanceof DotAtom && child.right instanceof SymbolAtom) {
    name = child.right.name;
    const parents = locateAll(evaluate(new FhirPathAtom(child.left.toString(), child.left), doc, op), doc, op);
    if (parents.length === 1 && isJsonObject(parents[0]!.value)) {
      parent = parents[0]!.value;
      parentTable = parents[0]!.table;
    }
  }
  if (!parent || !name) {
    throw patchUnprocessable(`${label(op)}: the path does not select any list in the resource`, op.where);
  }
  const prop = parentTable?.props.get(name);
  if (parentTable && !prop?.isArray) throw notAList();
  return { parent, key: name, prop, table: parentTable, length: 0 };
}

function applyAdd(op: Op<"add">, doc: JsonObject): void {
  const target = single(op, doc, "add");
  if (!target) throw patchUnprocessable(`${label(op)}: no content found at ${op.path.source} when adding`, op.where);
  if (!isJsonObject(target.value)) {
    throw patchUnprocessable(`${label(op)}: the path selects a primitive; add needs an element to add into`, op.where);
  }
  const container = target.value;
  const at = targetFor(target.table, op.name, op.value, op.where);
  const item = buildValue(op.value, at.prop);
  const repeats = at.prop ? at.prop.isArray : Array.isArray(container[at.key]);
  if (repeats) {
    insertItem(container, at.key, listAt(container, at.key)?.length ?? 0, item);
  } else if (elementPresent(container, target.table, at)) {
    // fhirpatch.html: "Add can used for non-repeating elements as long as they do not already exist".
    throw patchUnprocessable(`${label(op)}: '${op.name}' already has a value; use replace`, op.where);
  } else {
    setSingle(container, at.key, item);
  }
}

function applyInsert(op: Op<"insert">, doc: JsonObject): void {
  const list = resolveList(op, doc);
  if (op.index > list.length) {
    throw patchUnprocessable(
      `${label(op)}: index ${op.index} is out of range; the list has ${list.length} element(s)`,
      op.where,
    );
  }
  // Type-check the new item against the list's element definition (lists are never choice elements).
  const prop = list.table ? targetFor(list.table, list.key, op.value, op.where).prop : list.prop;
  insertItem(list.parent, list.key, op.index, buildValue(op.value, prop));
}

function applyMove(op: Op<"move">, doc: JsonObject): void {
  const list = resolveList(op, doc);
  for (const [part, index] of [
    ["source", op.source],
    ["destination", op.destination],
  ] as const) {
    if (index >= list.length) {
      throw patchUnprocessable(
        `${label(op)}: ${part} ${index} is out of range; the list has ${list.length} element(s)`,
        op.where,
      );
    }
  }
  const item = removeItem(list.parent, list.key, op.source);
  insertItem(list.parent, list.key, op.destination, item);
}

function applyReplace(op: Op<"replace">, doc: JsonObject): void {
  const target = single(op, doc, "replace");
  if (!target) throw patchUnprocessable(`${label(op)}: no element found to replace`, op.where);
  const slot: Slot | undefined = target.chain.at(-1);
  if (!slot) throw patchUnprocessable(`${label(op)}: the resource itself cannot be replaced`, op.where);
  let key = slot.key;
  let prop = slot.prop;
  if (slot.parentTable && prop) {
    // Re-resolve by element name so a choice element may change type (valueQuantity -> valueString).
    const at = targetFor(slot.parentTable, prop.choiceBase ?? key, op.value, op.where);
    key = at.key;
    prop = at.prop;
  }
  if (key !== slot.key) renameKey(slot.parent, slot.key, key);
  replaceAt({ ...slot, key, prop }, buildValue(op.value, prop));
}

function applyDelete(op: Op<"delete">, doc: JsonObject): void {
  const target = single(op, doc, "delete");
  if (!target) return; // fhirpatch.html: "Path of the element to delete (if found)".
  if (target.chain.length === 0) {
    throw patchUnprocessable(`${label(op)}: the resource itself cannot be deleted`, op.where);
  }
  removeAt(target.chain.at(-1)!);
  pruneEmptyAncestors(target.chain);
}

/**
 * Applies a FHIRPath Patch (`Parameters`) to a resource and returns the patched copy. Neither argument is
 * mutated. Throws `invalid` (400) for a malformed patch or an identity change, `unprocessable` (422) when
 * an operation cannot be applied to this resource.
 */
export function applyFhirPathPatch(resource: JsonObject, parameters: unknown): JsonObject {
  if (!isJsonObject(resource)) throw patchInvalid("The resource to patch must be a JSON object");
  const operations = parseFhirPathPatch(parameters);
  const before = identityOf(resource);
  const doc = cloneJson(resource, "The resource") as JsonObject;
  measureJson(doc, "The resource");
  for (const op of operations) {
    switch (op.type) {
      case "add":
        applyAdd(op, doc);
        break;
      case "insert":
        applyInsert(op, doc);
        break;
      case "move":
        applyMove(op, doc);
        break;
      case "replace":
        applyReplace(op, doc);
        break;
      case "delete":
        applyDelete(op, doc);
        break;
    }
    assertIdentityKept(before, doc, label(op));
  }
  measureJson(doc, "The patched resource");
  return doc;
}
