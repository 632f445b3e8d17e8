/**
 * Conditional references of a batch or transaction (`Practitioner?identifier=s|v`, FHIR R4
 * http.html#trules "Conditional References"): each distinct reference is resolved by search once;
 * exactly one match → `Type/id`, none → 404, several → 412.
 *
 * In a transaction the search sees the state after the bundle's writes ("Resolve any conditional
 * references" comes last in the processing order): resources the bundle deletes no longer match,
 * resources it creates or updates match by their new content (in-bundle-matches.ts), and a create's
 * own If-None-Exist criteria name its target. A batch has no such dependencies between entries
 * (http.html#transaction): its references are resolved against the stored resources only.
 */
import { errors } from "../../../platform/errors";
import { authorize } from "../access";
import type { FhirCtx } from "../fhir-ctx";
import { criteriaParams, findMatches, tooManyMatches } from "../find-matches";
import { findMatchesMany } from "../find-matches-many";
import { conditionalReferences } from "../references";
import { keyOf } from "../repo/rows";
import type { CustomParams } from "../search/definitions";
import type { FhirResource } from "../validation";
import { inBundleMatcher } from "./in-bundle-matches";

/** What a transaction writes, as conditional references must see it. */
export interface BundleWrites {
  /** New content of created and updated resources, by type. */
  written: Map<string, { id: string; resource: FhirResource }[]>;
  /** `Type/id` of resources deleted by the bundle. */
  deleted: Set<string>;
  /** `Type/id` of created and updated resources (their stored content is no longer the truth). */
  rewritten: Set<string>;
  /** `Type?criteria` of each create's If-None-Exist → the `Type/id` it created or matched. */
  byIfNoneExist: Map<string, string>;
  /** Store custom search parameters (the matcher indexes resources like the write path does). */
  custom?: CustomParams;
}

export const emptyBundleWrites = (custom?: CustomParams): BundleWrites => ({
  written: new Map(),
  deleted: new Set(),
  rewritten: new Set(),
  byIfNoneExist: new Map(),
  custom,
});

export function addWritten(w: BundleWrites, resourceType: string, id: string, resource: unknown): void {
  if (typeof resource !== "object" || resource === null) return;
  const list = w.written.get(resourceType) ?? [];
  list.push({ id, resource: resource as FhirResource });
  w.written.set(resourceType, list);
  w.rewritten.add(keyOf(resourceType, id));
}

/** The canonical `Type?criteria` key of a conditional URL's query (as used for If-None-Exist). */
export const criteriaKey = (resourceType: string, query: string, what: string): string =>
  `${resourceType}?${criteriaParams(query, what)}`;

/**
 * Resolves the conditional references in the resources of `writers` (`resourceOf`), as a map
 * reference → `Type/id`. A writer whose reference cannot be resolved is handed to `fail` with the
 * reason. `writes`: the transaction's writes (null for a batch).
 */
export async function resolveConditionalRefs<W>(
  ctx: FhirCtx,
  writers: W[],
  resourceOf: (w: W) => unknown,
  fail: (w: W, err: unknown) => void,
  writes: BundleWrites | null,
): Promise<Map<string, string>> {
  const refsOf = new Map<W, Set<string>>();
  const all = new Set<string>();
  for (const w of writers) {
    const refs = conditionalReferences(resourceOf(w));
    if (refs.size) {
      refsOf.set(w, refs);
      for (const r of refs) all.add(r);
    }
  }
  const resolved = new Map<string, string>();
  if (all.size === 0) return resolved;
  const failures = new Map<string, unknown>();
  const lookups: { ref: string; type: string; params: URLSearchParams }[] = [];
  for (const ref of all) {
    const q = ref.indexOf("?");
    const type = ref.slice(0, q);
    try {
      authorize(ctx, "search", type);
      lookups.push({ ref, type, params: criteriaParams(ref.slice(q + 1), `Conditional reference '${ref}'`) });
    } catch (err) {
      failures.set(ref, err);
    }
  }
  const settled = await findMatchesMany(
    ctx,
    lookups.map((l) => ({ resourceType: l.type, params: l.params })),
  );
  await Promise.all(
    lookups.map(async ({ ref, type, params }, i) => {
      const m = settled[i]!;
      if (!m.ok) {
        failures.set(ref, m.error);
        return;
      }
      const ids = writes ? await afterWrites(ctx, type, params, m.ids, writes) : m.ids;
      if (ids.length === 0) {
        failures.set(
          ref,
          errors.notFound(`Conditional reference '${ref}' matched no resource`, { code: "reference_not_found" }),
        );
      } else if (ids.length > 1) failures.set(ref, tooManyMatches(`Conditional reference '${ref}'`, ids.length));
      else resolved.set(ref, `${type}/${ids[0]}`);
    }),
  );
  for (const [w, refs] of refsOf) {
    for (const ref of refs) {
      if (failures.has(ref)) {
        fail(w, failures.get(ref));
        break;
      }
    }
  }
  return resolved;
}

/**
 * The ids matching `type?params` once the transaction's writes are applied, given the stored matches
 * (at most 2). Criteria the matcher cannot evaluate keep the stored answer minus deletions, plus the
 * create whose If-None-Exist is the same criteria.
 */
async function afterWrites(
  ctx: FhirCtx,
  type: string,
  params: URLSearchParams,
  stored: string[],
  writes: BundleWrites,
): Promise<string[]> {
  const matcher = inBundleMatcher(type, params, writes.custom);
  // Stored matches that no longer count as stored: deleted, or re-evaluated below on their new content.
  const stale = (id: string) =>
    writes.deleted.has(keyOf(type, id)) || (matcher !== null && writes.rewritten.has(keyOf(type, id)));
  let kept = stored.filter((id) => !stale(id));
  if (kept.length < stored.length && stored.length >= 2) {
    // The stored search stopped at 2: look further so the discarded ones do not hide a real match.
    const more = await findMatches(ctx, type, params, 2 + stored.length);
    kept = more.filter((id) => !stale(id));
  }
  const ids = new Set(kept);
  if (matcher) {
    for (const { id, resource } of writes.written.get(type) ?? []) if (matcher(resource, id)) ids.add(id);
  }
  const created = writes.byIfNoneExist.get(`${type}?${params}`);
  if (created) ids.add(created.slice(type.length + 1));
  return [...ids].slice(0, 3);
}
