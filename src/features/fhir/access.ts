/**
 * THE authorisation point of the FHIR API: every interaction (single, batch entry, transaction entry,
 * search, history, operation) asks here. Scopes come from src/features/auth/scopes.ts (platform
 * `fhir:read`/`fhir:write` or SMART v1/v2 scopes).
 *
 * Rules:
 * - no grant for (interaction, type) → 403;
 * - `patient/` grants (credential with a patient context): only resources in that patient's
 *   compartment (FHIR R4 compartmentdefinition-patient) are visible or writable → 403 otherwise
 *   (seed 001: "The token does not have permission to access this patient's data");
 * - v2 query-constrained grants (`patient/Observation.rs?category=laboratory`): reads must match
 *   a constraint; writes through a constrained-only grant are refused, because a write cannot be
 *   checked against a search before it exists;
 * - consent-required credentials (seed 001): a patient's data is readable only while the patient has an
 *   active Consent permitting the credential's organization (src/features/consent) → 403 for direct
 *   reads; searches, includes, $everything and bulk export leave such patients out instead. Consent
 *   governs what a credential may see: writes are not consent-gated.
 */
import { errors } from "../../platform/errors";
import { type FhirInteraction, fhirAccess } from "../auth/scopes";
import { assertConsented } from "../consent/consent-access";
import type { FhirCtx } from "./fhir-ctx";
import { findMatches } from "./find-matches";
import { getParam, patientCompartmentParams } from "./search/definitions";
import { referenceValues } from "./search/extract";
import { evaluatePath } from "./search/path-program";
import type { FhirResource } from "./validation";

export interface FhirGrant {
  interaction: FhirInteraction;
  resourceType: string;
  /** null = unrestricted; otherwise the resource must match one of these searches. */
  constraints: URLSearchParams[] | null;
  /** Set when only patient/ scopes grant access: the patient whose compartment applies. */
  patientId: string | null;
  /** Seed 001: the credential sees a patient's data only while the patient consents (src/features/consent). */
  consentRequired: boolean;
}

const WRITES: ReadonlySet<FhirInteraction> = new Set(["create", "update", "patch", "delete"]);

/** Throws 403 unless the caller may perform `interaction` on `resourceType` ("*" for system level). */
export function authorize(ctx: FhirCtx, interaction: FhirInteraction, resourceType: string): FhirGrant {
  const p = ctx.principal;
  const access = fhirAccess(p.scopes, interaction, resourceType, p.patientId !== null);
  const what = resourceType === "*" ? "system-level" : resourceType;
  if (!access.allowed) {
    throw errors.forbidden(`This credential may not ${interaction} ${what} resources`, {
      details: { interaction, resourceType },
    });
  }
  if (access.constraints && WRITES.has(interaction)) {
    throw errors.forbidden(
      `This credential's ${what} ${interaction} permission is limited by a query constraint, which applies to reads only`,
      { details: { interaction, resourceType } },
    );
  }
  return {
    interaction,
    resourceType,
    constraints: access.constraints,
    patientId: access.patientScoped ? p.patientId : null,
    consentRequired: p.consentRequired,
  };
}

/** True when `resource` is in the compartment of Patient/`patientId`. */
export function inPatientCompartment(resource: FhirResource, patientId: string): boolean {
  if (resource.resourceType === "Patient") return resource.id === patientId;
  const codes = patientCompartmentParams(resource.resourceType);
  if (!codes) return false;
  const root = resource as Record<string, unknown>;
  for (const code of codes) {
    const def = getParam(resource.resourceType, code);
    if (!def) continue;
    const defs = def.alias
      ? def.alias.map((a) => getParam(resource.resourceType, a)).filter((d) => d !== undefined)
      : [def];
    for (const d of defs) {
      for (const path of d.paths) {
        for (const node of evaluatePath(path, root, root)) {
          for (const ref of referenceValues(node)) {
            if (ref.tid === patientId && (ref.tt === "Patient" || ref.tt === "")) return true;
          }
        }
      }
    }
  }
  return false;
}

/**
 * Checks a resource the caller is about to see or write against the grant's patient compartment.
 * (Query constraints on reads are checked by `constraintFilters` through search.)
 */
export function assertInCompartment(grant: FhirGrant, resource: FhirResource): void {
  if (grant.patientId === null) return;
  if (!inPatientCompartment(resource, grant.patientId)) {
    throw errors.forbidden("This credential may only access data in its patient's compartment", {
      details: { resourceType: resource.resourceType },
    });
  }
}

/**
 * Whether a stored resource may be shown under `grant`: its patient compartment (in memory) and, for
 * query-constrained grants, a search with `_id` plus each constraint (v2 scopes are searches).
 */
export async function assertReadable(ctx: FhirCtx, grant: FhirGrant, resource: FhirResource): Promise<void> {
  assertInCompartment(grant, resource);
  if (grant.consentRequired) await assertConsented(ctx, resource as Record<string, unknown>);
  if (!grant.constraints || typeof resource.id !== "string") return;
  for (const constraint of grant.constraints) {
    const params = new URLSearchParams(constraint);
    params.set("_id", resource.id);
    if ((await findMatches(ctx, resource.resourceType, params, 1)).length) return;
  }
  throw errors.forbidden("This credential's scopes do not cover this resource", {
    details: { resourceType: resource.resourceType },
  });
}

/** Whether resources must be looked at under this grant (plain scopes need no per-resource check). */
export const needsResourceCheck = (grant: FhirGrant): boolean =>
  grant.patientId !== null || grant.constraints !== null || grant.consentRequired;
