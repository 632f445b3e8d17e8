import { LAB_DEFINITIONS, type LabDefinition } from "../lexicon/labs";
import { spanOf } from "../text/span";
import type { Utf8Index } from "../text/utf8";
import { interpret, type Measurement, parseNumber } from "./measurement";

// One pass per case mode over all test names: a name → definition map resolves each hit.
const nameToDef = new Map<string, { def: LabDefinition; unitRes: RegExp[] }>();
const ciNames: string[] = [];
const csNames: string[] = [];
for (const def of LAB_DEFINITIONS) {
  const entry = { def, unitRes: def.units.map((u) => new RegExp(String.raw`\s*(${u.pattern})(?![\p{L}])`, "iuy")) };
  for (const n of def.names) {
    nameToDef.set(canonicalName(n.replace(/\?$/, "")), entry);
    if (n.endsWith("?")) nameToDef.set(canonicalName(n.replace(/s\?$/, "")), entry);
    ciNames.push(n.replace(/ /g, String.raw`[\s-]*`));
  }
  for (const n of def.caseSensitiveNames ?? []) {
    nameToDef.set(`cs:${n.replace(/\\/g, "")}`, entry);
    csNames.push(n);
  }
}
const byLength = (a: string, b: string) => b.length - a.length;
const CI_NAME_RE = new RegExp(
  String.raw`(?<![\p{L}\p{N}])(?:${ciNames.sort(byLength).join("|")})(?![\p{L}\p{N}])`,
  "giu",
);
const CS_NAME_RE = new RegExp(
  String.raw`(?<![\p{L}\p{N}])(?:${csNames.sort(byLength).join("|")})(?![\p{L}\p{N}])`,
  "gu",
);

function canonicalName(s: string): string {
  return s
    .toLowerCase()
    .replace(/[\s-]+/g, " ")
    .trim();
}

// After the test name: optional "level"/"of"/"was"/":" and the number (a comparator allowed), not a
// ratio or a date ("140/90", "3/4/2025").
const VALUE_RE =
  /(?:\s*(?:levels?|values?|counts?|results?))?(?:\s*(?:of|was|were|is|are|at|:|=|-|–|now|today|down to|up to|increased to|decreased to|elevated at|rose to|fell to)){0,3}\s*(<|>|≤|≥|<=|>=)?\s*(\d+(?:[.,]\d+)?)(?!\s*[/:]\s*\d)(?!\d|[.,]\d)/iy;

/** Laboratory values with LOINC codes, UCUM units and H/L flags against adult reference ranges. */
export function extractLabs(utf8: Utf8Index): Measurement[] {
  const text = utf8.text;
  const found: Measurement[] = [];
  for (const [re, cs] of [
    [CI_NAME_RE, false],
    [CS_NAME_RE, true],
  ] as const) {
    re.lastIndex = 0;
    for (let m = re.exec(text); m !== null; m = re.exec(text)) {
      const entry = nameToDef.get(cs ? `cs:${m[0]}` : canonicalName(m[0]));
      if (!entry) continue;
      const { def, unitRes } = entry;
      const nameEnd = m.index + m[0].length;
      VALUE_RE.lastIndex = nameEnd;
      const v = VALUE_RE.exec(text);
      if (!v) continue;
      const value = parseNumber(v[2]!);
      let end = VALUE_RE.lastIndex;
      let unitIndex = def.defaultUnit;
      let unitText: string | null = null;
      for (let u = 0; u < unitRes.length; u++) {
        const ure = unitRes[u]!;
        ure.lastIndex = end;
        const um = ure.exec(text);
        if (um) {
          unitIndex = u;
          unitText = um[1]!;
          end = ure.lastIndex;
          break;
        }
      }
      const unit = def.units[unitIndex]!;
      if (value < unit.plausible[0] || value > unit.plausible[1]) continue;
      const range = { low: unit.low, high: unit.high, unit: unit.ucum };
      found.push({
        category: "laboratory",
        name: def.name,
        display: def.display,
        ...(def.loinc ? { loinc: def.loinc } : {}),
        value,
        unit: unit.ucum,
        unitText,
        interpretation: v[1] ? undefined : interpret(value, range),
        referenceRange: range,
        span: spanOf(utf8, m.index, end),
      });
    }
  }
  // Overlaps ("hemoglobin A1c" vs "hemoglobin"): the longest reading wins.
  found.sort((a, b) => a.span.start - b.span.start || b.span.end - b.span.start - (a.span.end - a.span.start));
  const out: Measurement[] = [];
  for (const m of found) {
    const last = out[out.length - 1];
    if (last && m.span.start < last.span.end) continue;
    out.push(m);
  }
  return out;
}
