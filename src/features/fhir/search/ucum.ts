/**
 * A small UCUM canonicaliser for quantity search (FHIR R4 search.html#quantity: a server may match
 * quantities in different but comparable units, e.g. `5.4|http://unitsofmeasure.org|mg` finds 0.0054 g).
 *
 * It understands the unit expressions clinical data actually uses: metric prefixes on metric atoms,
 * products and quotients (`mg/dL`, `kg.m-2`, `mL/min/{1.73_m2}`), integer exponents, `10*3`-style
 * factors, annotations (`{beats}`, ignored) and the common customary units. Units with an offset
 * (Cel, [degF]) or anything it does not know return undefined: those quantities are matched on their
 * stored unit code only.
 */

export const UCUM_SYSTEM = "http://unitsofmeasure.org";

type Dims = Record<string, number>;
/** [factor to canonical, dimensions, metric (takes prefixes)] */
type Atom = [number, Dims, boolean];

const PREFIXES: Record<string, number> = {
  Y: 1e24,
  Z: 1e21,
  E: 1e18,
  P: 1e15,
  T: 1e12,
  G: 1e9,
  M: 1e6,
  k: 1e3,
  h: 1e2,
  da: 1e1,
  d: 1e-1,
  c: 1e-2,
  m: 1e-3,
  u: 1e-6,
  n: 1e-9,
  p: 1e-12,
  f: 1e-15,
  a: 1e-18,
};

// Base dimensions: g (mass), m (length), s (time), mol (amount), eq, U and [IU] (enzyme/arbitrary units,
// kept as their own dimension because they do not convert to anything else).
const ATOMS: Record<string, Atom> = {
  g: [1, { g: 1 }, true],
  m: [1, { m: 1 }, true],
  s: [1, { s: 1 }, true],
  L: [1e-3, { m: 3 }, true],
  l: [1e-3, { m: 3 }, true],
  mol: [1, { mol: 1 }, true],
  eq: [1, { eq: 1 }, true],
  U: [1, { U: 1 }, true],
  "[IU]": [1, { "[IU]": 1 }, true],
  "[iU]": [1, { "[IU]": 1 }, true],
  Hz: [1, { s: -1 }, true],
  Pa: [1000, { g: 1, m: -1, s: -2 }, true],
  "m[Hg]": [133_322_000, { g: 1, m: -1, s: -2 }, true],
  bar: [1e8, { g: 1, m: -1, s: -2 }, true],
  min: [60, { s: 1 }, false],
  h: [3600, { s: 1 }, false],
  d: [86_400, { s: 1 }, false],
  wk: [604_800, { s: 1 }, false],
  mo: [2_629_800, { s: 1 }, false],
  a: [31_557_600, { s: 1 }, false],
  "[lb_av]": [453.592_37, { g: 1 }, false],
  "[oz_av]": [28.349_523_125, { g: 1 }, false],
  "[in_i]": [0.0254, { m: 1 }, false],
  "[ft_i]": [0.3048, { m: 1 }, false],
  "[mi_i]": [1609.344, { m: 1 }, false],
  "[gal_us]": [0.003_785_411_784, { m: 3 }, false],
  "[foz_us]": [2.957_352_956_25e-5, { m: 3 }, false],
  "%": [0.01, {}, false],
  "[ppm]": [1e-6, {}, false],
  "[ppb]": [1e-9, {}, false],
  "1": [1, {}, false],
};

export interface Canonical {
  value: number;
  /** Canonical unit, e.g. "g.m-3"; "1" for dimensionless. */
  unit: string;
}

function parseComponent(text: string): [number, Dims] | undefined {
  const t = text;
  if (t === "") return [1, {}];
  const pow = /^10[*^]([+-]?\d+)$/.exec(t);
  if (pow) return [10 ** Number(pow[1]), {}];
  if (/^\d+$/.test(t)) return [Number(t), {}];
  const m = /^(.*?)([+-]?\d+)?$/.exec(t);
  if (!m) return undefined;
  const symbol = m[1];
  const exp = m[2] === undefined ? 1 : Number(m[2]);
  const atom = lookupAtom(symbol);
  if (!atom) return undefined;
  const dims: Dims = {};
  for (const [k, v] of Object.entries(atom[1])) dims[k] = v * exp;
  return [atom[0] ** exp, dims];
}

function lookupAtom(symbol: string): [number, Dims] | undefined {
  const exact = ATOMS[symbol];
  if (exact) return [exact[0], exact[1]];
  for (const [prefix, factor] of Object.entries(PREFIXES)) {
    if (!symbol.startsWith(prefix)) continue;
    const atom = ATOMS[symbol.slice(prefix.length)];
    if (atom?.[2]) return [factor * atom[0], atom[1]];
  }
  return undefined;
}

/** Converts `value` in UCUM unit `code` to canonical units, or undefined when the unit is not understood. */
export function canonicalize(value: number, code: string): Canonical | undefined {
  if (!code || code.length > 64 || /[()\s]/.test(code)) return undefined;
  let factor = 1;
  const dims: Dims = {};
  // Split on "." and "/" keeping the operator; a leading "/" means 1/x.
  // Annotations are comments (`{beats}/min` is `/min`) and may contain "." themselves.
  const tokens = code.replace(/\{[^}]*\}/g, "").split(/(?=[./])/);
  for (const raw of tokens) {
    let sign = 1;
    let part = raw;
    if (part.startsWith("/")) {
      sign = -1;
      part = part.slice(1);
    } else if (part.startsWith(".")) part = part.slice(1);
    const parsed = parseComponent(part);
    if (!parsed) return undefined;
    factor = sign === 1 ? factor * parsed[0] : factor / parsed[0];
    for (const [k, v] of Object.entries(parsed[1])) dims[k] = (dims[k] ?? 0) + sign * v;
  }
  const unit =
    Object.entries(dims)
      .filter(([, v]) => v !== 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => (v === 1 ? k : `${k}${v}`))
      .join(".") || "1";
  // Round away binary noise (0.1 * 1e-3) so equal quantities compare equal.
  const converted = Number.parseFloat((value * factor).toPrecision(12));
  return { value: converted, unit };
}
