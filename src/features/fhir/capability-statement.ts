/**
 * GET [base]/metadata (FHIR R4 http.html#capabilities): a CapabilityStatement generated from what this
 * server implements: the interactions of the routes in fhir.routes.ts and, per resource type, the search
 * parameters of the search helper's definitions (src/generated/search-params.json). Built once per
 * isolate; stores differ only by their base URL and their custom search parameters (activated by
 * $reindex), which are added to their types' entries.
 */
import { nowIso } from "../../platform/clock";
import { type CustomParams, getParam, paramsOf, RESOURCE_TYPES, targetTypes } from "./search/definitions";
import { FHIR_VERSION } from "./validation";

/** Instance and type interactions implemented for every resource type (see fhir.routes.ts). */
export const TYPE_INTERACTIONS = [
  "read",
  "vread",
  "update",
  "patch",
  "delete",
  "history-instance",
  "history-type",
  "create",
  "search-type",
] as const;
export const SYSTEM_INTERACTIONS = ["transaction", "batch", "search-system", "history-system"] as const;

export interface CapabilityOperation {
  name: string;
  definition: string;
  documentation?: string;
}

/** Operations served on every type (other features append theirs: $everything, $export, ...). */
export const OPERATIONS: CapabilityOperation[] = [
  {
    name: "validate",
    definition: "http://hl7.org/fhir/OperationDefinition/Resource-validate",
    documentation: "POST [type]/$validate or [type]/[id]/$validate; answers an OperationOutcome",
  },
  {
    name: "reindex",
    definition: "urn:hearth:OperationDefinition:reindex",
    documentation:
      "POST [base]/$reindex or [type]/$reindex: activates the store's SearchParameter resources and rebuilds its search indexes",
  },
];

const SEARCH_RESULT_PARAMS = [
  "_count",
  "_offset",
  "_sort",
  "_include",
  "_revinclude",
  "_summary",
  "_elements",
  "_total",
];

let cached: ReturnType<typeof build> | null = null;

function build() {
  const revIncludes = new Map<string, string[]>();
  const resources = RESOURCE_TYPES.map((type) => {
    const params = [...paramsOf(type).values()];
    const includes: string[] = [];
    for (const def of params) {
      if (def.type !== "reference") continue;
      includes.push(`${type}:${def.code}`);
      if (def.targets.includes("*")) continue;
      for (const target of targetTypes(def)) {
        const list = revIncludes.get(target) ?? [];
        list.push(`${type}:${def.code}`);
        revIncludes.set(target, list);
      }
    }
    return {
      type,
      profile: `http://hl7.org/fhir/StructureDefinition/${type}`,
      interaction: TYPE_INTERACTIONS.map((code) => ({ code })),
      versioning: "versioned-update",
      readHistory: true,
      updateCreate: true,
      conditionalCreate: true,
      conditionalRead: "full-support",
      conditionalUpdate: true,
      conditionalDelete: "single",
      referencePolicy: ["literal", "logical"],
      searchInclude: includes.sort(),
      searchParam: params
        .filter((d) => !d.code.startsWith("_"))
        .map((d): { name: string; type: string; documentation?: string } => ({
          name: d.code,
          type: d.type === "content" ? "string" : d.type,
        }))
        .sort((a, b) => a.name.localeCompare(b.name)),
      operation: OPERATIONS.map(({ name, definition }) => ({ name, definition })),
    };
  });
  for (const r of resources) {
    const rev = revIncludes.get(r.type);
    if (rev) Object.assign(r, { searchRevInclude: [...new Set(rev)].sort() });
  }
  const common = ["_id", "_lastUpdated", "_profile", "_security", "_source", "_tag", "_text", "_content"]
    .map((code) => ({ code, def: getParam("Patient", code) }))
    .filter((x) => x.def)
    .map((x) => ({ name: x.code, type: x.def!.type === "content" || x.def!.type === "text" ? "string" : x.def!.type }));
  // Generated, not published: the date is when this isolate built it.
  return { resources, common, date: nowIso() };
}

type ResourceEntry = ReturnType<typeof build>["resources"][number] & { searchRevInclude?: string[] };

/**
 * The type entries with the store's custom parameters added: to `searchParam`, and custom reference
 * params to `searchInclude` of their type and `searchRevInclude` of their declared targets (any-target
 * ones are left out of the latter, as the standard ones are).
 */
function withCustom(resources: ResourceEntry[], custom: CustomParams): ResourceEntry[] {
  const revIncludes = new Map<string, string[]>();
  for (const [type, own] of custom) {
    for (const def of own.values()) {
      if (def.type !== "reference" || def.targets.includes("*")) continue;
      for (const target of targetTypes(def))
        revIncludes.set(target, [...(revIncludes.get(target) ?? []), `${type}:${def.code}`]);
    }
  }
  return resources.map((entry) => {
    const own = [...(custom.get(entry.type)?.values() ?? [])];
    const rev = revIncludes.get(entry.type);
    if (own.length === 0 && !rev) return entry;
    const extra = own.map((d) => ({
      name: d.code,
      type: d.type,
      documentation: "Custom search parameter of this store (a SearchParameter activated by $reindex)",
    }));
    const includes = own.filter((d) => d.type === "reference").map((d) => `${entry.type}:${d.code}`);
    const out: ResourceEntry = {
      ...entry,
      searchParam: [...entry.searchParam, ...extra].sort((a, b) => a.name.localeCompare(b.name)),
      searchInclude: [...entry.searchInclude, ...includes].sort(),
    };
    if (rev) out.searchRevInclude = [...new Set([...(entry.searchRevInclude ?? []), ...rev])].sort();
    return out;
  });
}

export function capabilityStatement(
  base: string,
  software: { name: string; version: string },
  custom?: CustomParams,
): Record<string, unknown> {
  cached ??= build();
  const resources = custom ? withCustom(cached.resources, custom) : cached.resources;
  return {
    resourceType: "CapabilityStatement",
    status: "active",
    date: cached.date,
    publisher: software.name,
    kind: "instance",
    software,
    implementation: { description: `${software.name} FHIR R4 store`, url: base },
    fhirVersion: FHIR_VERSION,
    format: ["application/fhir+json", "json"],
    patchFormat: ["application/json-patch+json", "application/fhir+json"],
    rest: [
      {
        mode: "server",
        documentation: `Search result parameters: ${SEARCH_RESULT_PARAMS.join(", ")}. History: _count, _since, _at.`,
        security: {
          service: [
            {
              coding: [
                { system: "http://terminology.hl7.org/CodeSystem/restful-security-service", code: "SMART-on-FHIR" },
              ],
            },
          ],
          description: "API key (X-API-KEY or Authorization: Bearer) or an OAuth 2.0 access token; SMART v1/v2 scopes",
        },
        resource: resources,
        interaction: SYSTEM_INTERACTIONS.map((code) => ({ code })),
        searchParam: cached.common,
        operation: OPERATIONS.map(({ name, definition }) => ({ name, definition })),
        // Patient/[id]/[type] compartment search (search.html#compartments).
        compartment: ["http://hl7.org/fhir/CompartmentDefinition/patient"],
      },
    ],
  };
}
