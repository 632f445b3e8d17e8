/**
 * Syntax of Reference.reference (FHIR R4 references.html#literal): a relative `Type/id`
 * (optionally `/_history/vid`), an absolute URL, `urn:uuid:` / `urn:oid:` (bundle-local, bundle.html#references),
 * `#id` for a contained resource (or `#` for the container), and the conditional form `Type?query`
 * that transactions resolve before storing (http.html#trules, "conditional references").
 */

export type ParsedReference =
  | { kind: "local"; id: string } // "#id"; id "" means the container itself
  | { kind: "relative"; type: string; id: string }
  | { kind: "conditional"; type: string }
  | { kind: "absolute"; type?: string }
  | { kind: "urn" }
  | { kind: "invalid"; message: string };

const RELATIVE_RE = /^([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(\/_history\/[A-Za-z0-9\-.]{1,64})?$/;
const CONDITIONAL_RE = /^([A-Za-z]+)\?(.+)$/s;
const LOCAL_RE = /^#([A-Za-z0-9\-.]{1,64})?$/;
const UUID_URN_RE = /^urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const OID_URN_RE = /^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$/;
const ABSOLUTE_RE = /^[A-Za-z][A-Za-z0-9+.-]*:[^ \t\n\r]+$/;
/** The RESTful tail of an absolute URL: `.../Type/id[/_history/vid]`. */
const REST_TAIL_RE = /\/([A-Z][A-Za-z]+)\/[A-Za-z0-9\-.]{1,64}(\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

export function parseReference(ref: string, isResourceType: (t: string) => boolean): ParsedReference {
  const first = ref.charCodeAt(0);
  if (first === 0x23 /* # */) {
    const m = LOCAL_RE.exec(ref);
    return m ? { kind: "local", id: m[1] ?? "" } : { kind: "invalid", message: `invalid local reference '${ref}'` };
  }
  const relative = RELATIVE_RE.exec(ref);
  if (relative) {
    const type = relative[1]!;
    if (!isResourceType(type)) return { kind: "invalid", message: `unknown resource type '${type}' in reference` };
    return { kind: "relative", type, id: relative[2]! };
  }
  if (ref.startsWith("urn:")) {
    if (ref.startsWith("urn:uuid:")) {
      return UUID_URN_RE.test(ref) ? { kind: "urn" } : { kind: "invalid", message: "malformed urn:uuid: reference" };
    }
    if (ref.startsWith("urn:oid:")) {
      return OID_URN_RE.test(ref) ? { kind: "urn" } : { kind: "invalid", message: "malformed urn:oid: reference" };
    }
  }
  const conditional = CONDITIONAL_RE.exec(ref);
  if (conditional) {
    const type = conditional[1]!;
    if (!isResourceType(type)) return { kind: "invalid", message: `unknown resource type '${type}' in reference` };
    return { kind: "conditional", type };
  }
  if (ABSOLUTE_RE.test(ref)) {
    const tail = REST_TAIL_RE.exec(ref);
    // Only a known resource type in the tail says what is referenced; other URLs stay untyped.
    return tail && isResourceType(tail[1]!) ? { kind: "absolute", type: tail[1]! } : { kind: "absolute" };
  }
  return {
    kind: "invalid",
    message: "expected Type/id, Type/id/_history/vid, an absolute URL, urn:uuid:, urn:oid: or #id",
  };
}
