/**
 * Index row extraction: what a resource contributes to each index table, computed from the R4 search
 * parameter definitions (FHIR R4 search.html, "Search Parameter Types" and the per-type value tables).
 * Pure and synchronous: the write path, $reindex and tests all call it.
 */
import { type CustomParams, paramsOf, type SearchParamDef, type SearchParamType } from "./definitions";
import { evaluatePath, referenceTargetType, type TypedNode } from "./path-program";
import { canonicalize, UCUM_SYSTEM } from "./ucum";
import {
  clip,
  DATE_MAX,
  DATE_MIN,
  MAX_TOKEN_LENGTH,
  MAX_URI_LENGTH,
  narrativeText,
  normalizeString,
  parseDateRange,
  type Range,
  soundex,
  words,
} from "./values";

/** [p, system, value, normalised display text or null] */
export type TokenRow = [string, string, string, string | null];
/** [p, normalised value, original value when different else ""] */
export type StringRow = [string, string, string];
/** [p, lo, hi] */
export type RangeRow = [string, number, number];
/** [p, system, code, lo, hi] */
export type QuantityRow = [string, string, string, number, number];
/** [p, target type, target id, url] */
export type ReferenceRow = [string, string, string, string];
/** [p, value] */
export type UriRow = [string, string];
/** [p, s1, c1, s2, c2, lo2, hi2, lo3, hi3] */
export type CompositeRow = [
  string,
  string,
  string,
  string | null,
  string | null,
  number | null,
  number | null,
  number | null,
  number | null,
];

export interface IndexRows {
  token: TokenRow[];
  string: StringRow[];
  date: RangeRow[];
  number: RangeRow[];
  quantity: QuantityRow[];
  reference: ReferenceRow[];
  uri: UriRow[];
  composite: CompositeRow[];
  /** Full text: narrative (`_text`) and distinct content words (`_content`); null when both are empty. */
  text: { narrative: string; content: string } | null;
  /** meta.lastUpdated in epoch ms (null when absent or invalid). */
  lastUpdated: number | null;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 ? v : undefined);

// ---------------------------------------------------------------------------------------------
// Per value type conversions (also used for composite components).

export interface TokenValue {
  sys: string;
  val: string;
  txt: string | null;
  /** Identifier.type codings, for :of-type rows. */
  ofType?: { sys: string; code: string }[];
}

function joinText(texts: (string | undefined)[]): string | null {
  const distinct = [...new Set(texts.filter((t): t is string => !!t).map(normalizeString))].filter((t) => t);
  return distinct.length ? clip(distinct.join(" | "), 512) : null;
}

export function tokenValues(node: TypedNode): TokenValue[] {
  const { value, type } = node;
  if (typeof value === "boolean") return [{ sys: "", val: String(value), txt: null }];
  if (typeof value === "number") return [{ sys: "", val: String(value), txt: null }];
  if (typeof value === "string") return value ? [{ sys: "", val: clip(value, MAX_TOKEN_LENGTH), txt: null }] : [];
  if (!isObject(value)) return [];
  const coding = (c: Record<string, unknown>, extraText?: string): TokenValue | undefined => {
    const code = str(c.code);
    const system = str(c.system);
    const txt = joinText([str(c.display), extraText]);
    if (!code && !system && !txt) return undefined;
    return { sys: clip(system ?? "", MAX_TOKEN_LENGTH), val: clip(code ?? "", MAX_TOKEN_LENGTH), txt };
  };
  if (type === "CodeableConcept" || (type === undefined && ("coding" in value || "text" in value))) {
    const out: TokenValue[] = [];
    const codings = Array.isArray(value.coding) ? value.coding.filter(isObject) : [];
    const ccText = str(value.text);
    for (const c of codings) {
      const row = coding(c, ccText);
      if (row) out.push(row);
    }
    if (out.length === 0 && ccText) out.push({ sys: "", val: "", txt: joinText([ccText]) });
    return out;
  }
  if (type === "Identifier" || (type === undefined && "value" in value && !("use" in value && "rank" in value))) {
    const v = str(value.value);
    const system = str(value.system);
    const typeCc = isObject(value.type) ? value.type : undefined;
    if (!v && !system) return [];
    const ofType = Array.isArray(typeCc?.coding)
      ? typeCc.coding.filter(isObject).flatMap((c) => {
          const code = str(c.code);
          return code ? [{ sys: str(c.system) ?? "", code }] : [];
        })
      : [];
    const txt = joinText([
      str(typeCc?.text),
      ...(Array.isArray(typeCc?.coding) ? typeCc.coding.filter(isObject).map((c) => str(c.display)) : []),
    ]);
    return [{ sys: clip(system ?? "", MAX_TOKEN_LENGTH), val: clip(v ?? "", MAX_TOKEN_LENGTH), txt, ofType }];
  }
  if (type === "ContactPoint") {
    const v = str(value.value);
    return v ? [{ sys: str(value.system) ?? "", val: clip(v, MAX_TOKEN_LENGTH), txt: null }] : [];
  }
  // Coding, and Quantity as a token (system|code of its unit).
  const row = coding(value);
  return row ? [row] : [];
}

const NAME_PARTS = ["family", "given", "prefix", "suffix", "text"];
const ADDRESS_PARTS = ["line", "city", "district", "state", "postalCode", "country", "text"];

export function stringValues(node: TypedNode): string[] {
  const { value } = node;
  if (typeof value === "string") return value ? [value] : [];
  if (!isObject(value)) return [];
  const parts = node.type === "HumanName" || "family" in value || "given" in value ? NAME_PARTS : ADDRESS_PARTS;
  const out: string[] = [];
  for (const key of parts) {
    const v = value[key];
    if (typeof v === "string" && v) out.push(v);
    else if (Array.isArray(v)) for (const item of v) if (typeof item === "string" && item) out.push(item);
  }
  return out;
}

export function dateRanges(node: TypedNode): Range[] {
  const { value } = node;
  if (typeof value === "string") {
    const r = parseDateRange(value);
    return r ? [r] : [];
  }
  if (!isObject(value)) return [];
  if ("start" in value || "end" in value) {
    // Period: an absent end means "ongoing" (FHIR R4 datatypes.html#Period).
    const start = typeof value.start === "string" ? parseDateRange(value.start) : undefined;
    const end = typeof value.end === "string" ? parseDateRange(value.end) : undefined;
    if (!start && !end) return [];
    return [{ lo: start?.lo ?? DATE_MIN, hi: end?.hi ?? DATE_MAX }];
  }
  if ("event" in value || "repeat" in value) {
    // Timing: only the outer limits of the events and the repeat bounds matter (search.html#date).
    const ranges: Range[] = [];
    if (Array.isArray(value.event))
      for (const e of value.event) {
        const r = typeof e === "string" ? parseDateRange(e) : undefined;
        if (r) ranges.push(r);
      }
    const repeat = isObject(value.repeat) ? value.repeat : undefined;
    if (repeat && isObject(repeat.boundsPeriod))
      ranges.push(...dateRanges({ value: repeat.boundsPeriod, type: "Period" }));
    if (ranges.length === 0) return [];
    return [{ lo: Math.min(...ranges.map((r) => r.lo)), hi: Math.max(...ranges.map((r) => r.hi)) }];
  }
  return [];
}

export function numberRanges(node: TypedNode): Range[] {
  const { value } = node;
  if (typeof value === "number" && Number.isFinite(value)) return [{ lo: value, hi: value }];
  if (isObject(value) && typeof value.value === "number") return [{ lo: value.value, hi: value.value }];
  return [];
}

export interface QuantityValue {
  sys: string;
  code: string;
  lo: number;
  hi: number;
}

/** Quantity-like values as stored, plus their canonical UCUM form when it differs. */
export function quantityValues(node: TypedNode): QuantityValue[] {
  const { value } = node;
  if (!isObject(value)) return [];
  const out: QuantityValue[] = [];
  const add = (q: Record<string, unknown> | undefined, lo: number, hi: number) => {
    const sys = str(q?.system) ?? (q && "currency" in q ? "urn:iso:std:iso:4217" : "");
    const code = str(q?.code) ?? str(q?.currency) ?? str(q?.unit) ?? "";
    out.push({ sys: clip(sys, MAX_TOKEN_LENGTH), code: clip(code, MAX_TOKEN_LENGTH), lo, hi });
    if ((sys === UCUM_SYSTEM || sys === "") && code) {
      const clo = canonicalize(lo, code);
      const chi = canonicalize(hi, code);
      // Always written when convertible (even if identical to the stored form): searches in UCUM units
      // compare canonical rows only.
      if (clo && chi) out.push({ sys: "", code: `=${clo.unit}`, lo: clo.value, hi: chi.value });
    }
  };
  if (typeof value.value === "number") add(value, value.value, value.value);
  else if (isObject(value.low) || isObject(value.high)) {
    // Range: one row spanning low..high (open ends unbounded).
    const low = isObject(value.low) && typeof value.low.value === "number" ? value.low : undefined;
    const high = isObject(value.high) && typeof value.high.value === "number" ? value.high : undefined;
    if (low || high)
      add(
        low ?? high,
        (low?.value as number | undefined) ?? -Number.MAX_VALUE,
        (high?.value as number | undefined) ?? Number.MAX_VALUE,
      );
  }
  return out;
}

export interface ReferenceValue {
  tt: string;
  tid: string;
  u: string;
  identifier?: TokenValue;
}

const REF_RE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;
const ABS_REF_RE = /\/([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/** Splits a reference string into target type/id (local `Type/id`) or URL (absolute, canonical, urn). */
export function parseReference(ref: string): ReferenceValue | undefined {
  if (!ref || ref.startsWith("#")) return undefined; // contained: not a searchable target
  const local = REF_RE.exec(ref);
  if (local) return { tt: local[1], tid: local[2], u: "" };
  const url = clip(ref.split("|")[0], MAX_URI_LENGTH);
  const abs = ABS_REF_RE.exec(url);
  return abs ? { tt: abs[1], tid: abs[2], u: url } : { tt: "", tid: "", u: url };
}

export function referenceValues(node: TypedNode): ReferenceValue[] {
  const { value } = node;
  if (typeof value === "string") {
    const r = parseReference(value);
    return r ? [r] : [];
  }
  if (!isObject(value)) return [];
  const out: ReferenceValue[] = [];
  if (typeof value.reference === "string") {
    const r = parseReference(value.reference);
    if (r) {
      // An explicit Reference.type wins over the type in the URL for typed logical references.
      if (!r.tt && typeof value.type === "string") r.tt = value.type;
      out.push(r);
    }
  }
  if (isObject(value.identifier)) {
    const [ident] = tokenValues({ value: value.identifier, type: "Identifier" });
    if (ident) out.push({ tt: "", tid: "", u: "", identifier: ident });
  }
  if (out.length === 0 && typeof value.resourceType === "string" && typeof value.id === "string") {
    // FHIRPath fallbacks such as Bundle.entry[0].resource yield resources: index them as a reference.
    out.push({ tt: value.resourceType, tid: value.id, u: "" });
  }
  return out;
}

export function uriValues(node: TypedNode): string[] {
  return typeof node.value === "string" && node.value ? [clip(node.value, MAX_URI_LENGTH)] : [];
}

// ---------------------------------------------------------------------------------------------
// Row collection.

class RowSet<T extends unknown[]> {
  readonly rows: T[] = [];
  private readonly seen = new Set<string>();
  add(row: T, key: string): void {
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.rows.push(row);
  }
}

const SEP = "\u0001";

/** Keys whose string values are identifiers/URLs/binary rather than words (skipped for _content). */
const NON_CONTENT_KEYS = new Set([
  "reference",
  "system",
  "url",
  "data",
  "id",
  "fullUrl",
  "div",
  "versionId",
  "lastUpdated",
  "profile",
  "source",
]);
const MAX_CONTENT_CHARS = 16_000;
const DATE_LIKE = /^\d{4}-\d{2}(-\d{2})?(T|$)/;
const MAX_NARRATIVE_CHARS = 16_000;

function collectWords(value: unknown, key: string, out: Set<string>, budget: { chars: number }): void {
  if (budget.chars <= 0) return;
  if (typeof value === "string") {
    // Dates and instants tokenise into digit noise ("2023 05 03t10"): _content is for words.
    if (NON_CONTENT_KEYS.has(key) || value.length > 4000 || DATE_LIKE.test(value)) return;
    for (const w of words(value)) {
      if (!out.has(w)) {
        out.add(w);
        budget.chars -= w.length + 1;
      }
    }
  } else if (Array.isArray(value)) {
    for (const item of value) collectWords(item, key, out, budget);
  } else if (isObject(value)) {
    for (const k in value) {
      if (k === "contained" || k === "meta") continue;
      collectWords(value[k], k, out, budget);
    }
  }
}

function fullText(resource: Record<string, unknown>, withNarrative: boolean): IndexRows["text"] {
  const div = isObject(resource.text) && typeof resource.text.div === "string" ? resource.text.div : "";
  const narrative = withNarrative && div ? clip(narrativeText(div), MAX_NARRATIVE_CHARS) : "";
  const set = new Set<string>();
  collectWords(resource, "", set, { chars: MAX_CONTENT_CHARS });
  if (narrative) for (const w of words(narrative)) set.add(w);
  const content = [...set].join(" ");
  return narrative || content ? { narrative, content } : null;
}

interface Sink {
  token: RowSet<TokenRow>;
  string: RowSet<StringRow>;
  date: RowSet<RangeRow>;
  number: RowSet<RangeRow>;
  quantity: RowSet<QuantityRow>;
  reference: RowSet<ReferenceRow>;
  uri: RowSet<UriRow>;
  composite: RowSet<CompositeRow>;
}

function addToken(sink: Sink, p: string, t: TokenValue): void {
  sink.token.add([p, t.sys, t.val, t.txt], p + SEP + t.sys + SEP + t.val);
  if (t.ofType)
    for (const ot of t.ofType) {
      const row: TokenRow = [`${p}:t`, `${ot.sys}|${ot.code}`, t.val, null];
      sink.token.add(row, row[0] + SEP + row[1] + SEP + row[2]);
    }
}

function addValues(sink: Sink, def: SearchParamDef, nodes: TypedNode[]): void {
  const p = def.code;
  switch (def.type) {
    case "token":
      for (const n of nodes) for (const t of tokenValues(n)) addToken(sink, p, t);
      return;
    case "string":
      for (const n of nodes)
        for (const s of stringValues(n)) {
          if (p === "phonetic") {
            const code = soundex(s);
            if (code) sink.string.add([p, code.toLowerCase(), ""], p + SEP + code);
            continue;
          }
          const v = normalizeString(s);
          if (!v) continue;
          const raw = clip(s, 256);
          const x = raw === v ? "" : raw;
          sink.string.add([p, v, x], p + SEP + v + SEP + x);
        }
      return;
    case "date":
      for (const n of nodes)
        for (const r of dateRanges(n)) sink.date.add([p, r.lo, r.hi], `${p}${SEP}${r.lo}${SEP}${r.hi}`);
      return;
    case "number":
      for (const n of nodes)
        for (const r of numberRanges(n)) sink.number.add([p, r.lo, r.hi], `${p}${SEP}${r.lo}${SEP}${r.hi}`);
      return;
    case "quantity":
      for (const n of nodes)
        for (const q of quantityValues(n))
          sink.quantity.add(
            [p, q.sys, q.code, q.lo, q.hi],
            `${p}${SEP}${q.sys}${SEP}${q.code}${SEP}${q.lo}${SEP}${q.hi}`,
          );
      return;
    case "reference":
      for (const n of nodes)
        for (const r of referenceValues(n)) {
          if (r.identifier) addToken(sink, `${p}:i`, r.identifier);
          else sink.reference.add([p, r.tt, r.tid, r.u], p + SEP + r.tt + SEP + r.tid + SEP + r.u);
        }
      return;
    case "uri":
      for (const n of nodes) for (const u of uriValues(n)) sink.uri.add([p, u], p + SEP + u);
      return;
    default:
      return;
  }
}

/** Values of one composite component as partial composite columns. */
type Part = { s: string | null; c: string | null; lo: number | null; hi: number | null };

function componentParts(type: SearchParamType, nodes: TypedNode[]): Part[] {
  const out: Part[] = [];
  for (const n of nodes) {
    switch (type) {
      case "token":
        for (const t of tokenValues(n)) out.push({ s: t.sys, c: t.val, lo: null, hi: null });
        break;
      case "string":
        for (const s of stringValues(n)) out.push({ s: null, c: normalizeString(s), lo: null, hi: null });
        break;
      case "reference":
        for (const r of referenceValues(n))
          if (!r.identifier) out.push({ s: null, c: r.tt ? `${r.tt}/${r.tid}` : r.u, lo: null, hi: null });
        break;
      case "quantity":
        for (const q of quantityValues(n)) out.push({ s: q.sys, c: q.code, lo: q.lo, hi: q.hi });
        break;
      case "number":
        for (const r of numberRanges(n)) out.push({ s: null, c: null, lo: r.lo, hi: r.hi });
        break;
      case "date":
        for (const r of dateRanges(n)) out.push({ s: null, c: null, lo: r.lo, hi: r.hi });
        break;
      default:
        break;
    }
  }
  return out;
}

function addComposite(sink: Sink, def: SearchParamDef, resource: Record<string, unknown>): void {
  const components = def.components ?? [];
  if (components.length < 2 || components[0].type !== "token") return;
  for (const program of def.paths) {
    const bases =
      program.steps.length === 0 && !program.fhirpath
        ? [resource]
        : evaluatePath(program, resource, resource).map((n) => n.value);
    for (const base of bases) {
      const parts = components.map((comp) =>
        componentParts(
          comp.type,
          comp.paths.flatMap((path) => evaluatePath(path, base, resource)),
        ),
      );
      const [first, second, third] = parts;
      for (const a of first)
        for (const b of second) {
          for (const c of third ?? [null]) {
            const row: CompositeRow = [
              def.code,
              a.s ?? "",
              a.c ?? "",
              b.s,
              b.c,
              b.lo,
              b.hi,
              c?.lo ?? null,
              c?.hi ?? null,
            ];
            sink.composite.add(row, row.join(SEP));
          }
        }
    }
  }
}

/**
 * The index rows of one resource: the FHIR R4 search parameters of its type plus the common ones, and
 * the store's custom parameters of the type when given.
 */
export function extractIndexRows(resource: Record<string, unknown>, custom?: CustomParams): IndexRows {
  const type = typeof resource.resourceType === "string" ? resource.resourceType : "";
  const sink: Sink = {
    token: new RowSet(),
    string: new RowSet(),
    date: new RowSet(),
    number: new RowSet(),
    quantity: new RowSet(),
    reference: new RowSet(),
    uri: new RowSet(),
    composite: new RowSet(),
  };
  let text: IndexRows["text"] = null;
  const own = custom?.get(type);
  const defs = own ? [...paramsOf(type).values(), ...own.values()] : paramsOf(type).values();
  for (const def of defs) {
    if (def.alias || def.column) continue;
    if (def.type === "text") continue;
    if (def.type === "content") {
      text = fullText(resource, paramsOf(type).has("_text"));
      continue;
    }
    if (def.type === "composite") {
      addComposite(sink, def, resource);
      continue;
    }
    const nodes: TypedNode[] = [];
    for (const program of def.paths) nodes.push(...evaluatePath(program, resource, resource));
    if (nodes.length) addValues(sink, def, nodes);
  }
  const meta = isObject(resource.meta) ? resource.meta : undefined;
  const lu = typeof meta?.lastUpdated === "string" ? parseDateRange(meta.lastUpdated) : undefined;
  return {
    token: sink.token.rows,
    string: sink.string.rows,
    date: sink.date.rows,
    number: sink.number.rows,
    quantity: sink.quantity.rows,
    reference: sink.reference.rows,
    uri: sink.uri.rows,
    composite: sink.composite.rows,
    text,
    lastUpdated: lu ? lu.lo : null,
  };
}

export { referenceTargetType };
