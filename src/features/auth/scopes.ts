/**
 * One scope model for every feature: Hearth's platform scopes (`terminology:read`, `agents:*`, `admin`)
 * and SMART on FHIR scopes, v1 (`system/Patient.read`, `user/*.write`) and v2 (`system/*.cruds`,
 * `patient/Observation.rs?category=laboratory`), parsed into the same structure.
 *
 * SMART App Launch 2.0 §"Scopes for requesting FHIR resources": v2 permissions are the letters
 * c r u d s in that order; v1 `read` maps to `rs`, `write` to `cud`, `*` to `cruds`.
 */

export const PLATFORM_AREAS = [
  "fhir",
  "stores",
  "ingestion",
  "terminology",
  "lang2fhir",
  "summary",
  "omop",
  "agents",
  "workflows",
  "tools",
  "providers",
  "voice",
] as const;
export type PlatformArea = (typeof PLATFORM_AREAS)[number];
export type PlatformScope = `${PlatformArea}:${"read" | "write"}` | "admin";

/** Every platform scope that exists; an organization's first key receives all of them. */
export const ALL_PLATFORM_SCOPES: string[] = [...PLATFORM_AREAS.flatMap((a) => [`${a}:read`, `${a}:write`]), "admin"];

export type SmartContext = "patient" | "user" | "system";
export type SmartPermission = "c" | "r" | "u" | "d" | "s";

export interface FhirScope {
  context: SmartContext;
  /** A resource type or `*`. */
  resourceType: string;
  permissions: ReadonlySet<SmartPermission>;
  /** v2 query constraint (`?category=laboratory`), applied as an extra search filter. */
  constraint: URLSearchParams | null;
  raw: string;
}

export interface ScopeSet {
  platform: ReadonlySet<string>;
  fhir: readonly FhirScope[];
  raw: readonly string[];
}

export type FhirInteraction =
  | "create"
  | "read"
  | "vread"
  | "update"
  | "patch"
  | "delete"
  | "search"
  | "history-instance"
  | "history-type"
  | "history-system"
  | "operation";

const permissionOf: Record<FhirInteraction, SmartPermission> = {
  create: "c",
  read: "r",
  vread: "r",
  "history-instance": "r",
  operation: "r",
  update: "u",
  patch: "u",
  delete: "d",
  search: "s",
  "history-type": "s",
  "history-system": "s",
};

const SMART_RE = /^(patient|user|system)\/(\*|[A-Z][A-Za-z]{1,63})\.(read|write|\*|c?r?u?d?s?)(\?.*)?$/;
const PLATFORM_RE = /^([a-z][a-z0-9]*):(read|write|\*)$/;

export interface ParsedScopes {
  scopes: ScopeSet;
  invalid: string[];
}

/** Splits a space-separated scope string (RFC 6749 §3.3) or takes a list; unknown scopes are reported. */
export function parseScopes(input: string | readonly string[]): ParsedScopes {
  const list = (typeof input === "string" ? input.split(/\s+/) : [...input]).map((s) => s.trim()).filter(Boolean);
  const platform = new Set<string>();
  const fhir: FhirScope[] = [];
  const invalid: string[] = [];
  for (const raw of new Set(list)) {
    if (raw === "*" || raw === "admin") {
      platform.add(raw);
      continue;
    }
    const p = PLATFORM_RE.exec(raw);
    if (p) {
      if ((PLATFORM_AREAS as readonly string[]).includes(p[1]!)) platform.add(raw);
      else invalid.push(raw);
      continue;
    }
    const s = SMART_RE.exec(raw);
    if (s && s[3] !== "") {
      const perm = s[3]!;
      const letters = perm === "read" ? "rs" : perm === "write" ? "cud" : perm === "*" ? "cruds" : perm;
      // v2 constraints only go with v2 letters, never with v1 read/write.
      if (s[4] && (perm === "read" || perm === "write" || perm === "*")) {
        invalid.push(raw);
        continue;
      }
      const constraint = s[4] ? new URLSearchParams(s[4].slice(1)) : null;
      if (constraint && [...constraint.keys()].length === 0) {
        invalid.push(raw);
        continue;
      }
      fhir.push({
        context: s[1] as SmartContext,
        resourceType: s[2]!,
        permissions: new Set(letters.split("") as SmartPermission[]),
        constraint,
        raw,
      });
      continue;
    }
    invalid.push(raw);
  }
  return { scopes: { platform, fhir, raw: [...new Set(list)].filter((r) => !invalid.includes(r)) }, invalid };
}

/** `terminology:read` is granted by itself, by `terminology:*`, or by `*`. `admin` only by itself or `*`. */
export function hasPlatformScope(scopes: ScopeSet, needed: string): boolean {
  if (scopes.platform.has("*") || scopes.platform.has(needed)) return true;
  const area = needed.split(":")[0];
  return needed !== "admin" && scopes.platform.has(`${area}:*`);
}

export interface FhirAccess {
  allowed: boolean;
  /**
   * When allowed: `null` means unrestricted; otherwise the resource must match at least one of these
   * query constraints (each one a conjunction of search parameters), from v2 query-constrained scopes.
   */
  constraints: URLSearchParams[] | null;
  /** True when the grant came only from `patient/` scopes: the caller's patient compartment applies. */
  patientScoped: boolean;
}

/**
 * What the caller may do with `resourceType` through `interaction`. Platform scopes `fhir:read` and
 * `fhir:write` stand for `system/*.rs` and `system/*.cud`. `patient/` scopes count only for a
 * credential that carries a patient context.
 */
export function fhirAccess(
  scopes: ScopeSet,
  interaction: FhirInteraction,
  resourceType: string,
  hasPatientContext: boolean,
): FhirAccess {
  const letter = permissionOf[interaction];
  if (hasPlatformScope(scopes, letter === "r" || letter === "s" ? "fhir:read" : "fhir:write")) {
    return { allowed: true, constraints: null, patientScoped: false };
  }
  const constraints: URLSearchParams[] = [];
  let unconstrained = false;
  let nonPatient = false;
  for (const s of scopes.fhir) {
    if (s.context === "patient" && !hasPatientContext) continue;
    if (s.resourceType !== "*" && s.resourceType !== resourceType) continue;
    if (!s.permissions.has(letter)) continue;
    if (s.context !== "patient") nonPatient = true;
    if (s.constraint) constraints.push(s.constraint);
    else unconstrained = true;
  }
  const allowed = unconstrained || constraints.length > 0;
  return { allowed, constraints: unconstrained ? null : constraints, patientScoped: allowed && !nonPatient };
}

/** Whether `requested` is covered by `granted` (token requests may only narrow a client's scopes). */
export function scopeCovered(granted: ScopeSet, requested: string): boolean {
  const { scopes, invalid } = parseScopes(requested);
  if (invalid.length) return false;
  for (const p of scopes.platform) if (!hasPlatformScope(granted, p)) return false;
  for (const r of scopes.fhir) {
    const letters = [...r.permissions];
    const covered =
      letters.every((l) => hasPlatformScope(granted, l === "r" || l === "s" ? "fhir:read" : "fhir:write")) ||
      granted.fhir.some(
        (g) =>
          g.context === r.context &&
          (g.resourceType === "*" || g.resourceType === r.resourceType) &&
          letters.every((l) => g.permissions.has(l)) &&
          (g.constraint === null || g.constraint.toString() === r.constraint?.toString()),
      );
    if (!covered) return false;
  }
  return true;
}
