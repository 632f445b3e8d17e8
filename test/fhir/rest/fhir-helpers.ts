import { type CallInit, call, callJson, createOrg } from "../../harness";

export const FHIR_JSON = "application/fhir+json";

/** A FHIR request: JSON bodies go as application/fhir+json. */
export async function fhir<T = Record<string, unknown>>(path: string, init: CallInit = {}) {
  const headers = new Headers(init.headers);
  if (init.json !== undefined && !headers.has("Content-Type")) headers.set("Content-Type", FHIR_JSON);
  return callJson<T>(path, { ...init, headers });
}

export { call, callJson };

export interface TestStore {
  orgId: string;
  /** The org key (every platform scope). */
  key: string;
  storeId: string;
  /** The store's own key. */
  storeKey: string;
  base: string;
}

/** A fresh org with one store created through the stores API. */
export async function newStore(name = "test-store"): Promise<TestStore> {
  const org = await createOrg();
  const res = await callJson<{ data: { id: string; apiKey: string } }>("/api/fhirserver/create", {
    method: "POST",
    auth: org.key,
    json: { name, region: "global", fhirVersion: "R4", type: "serverless" },
  });
  if (res.status !== 201) throw new Error(`store create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return {
    orgId: org.orgId,
    key: org.key,
    storeId: res.body.data.id,
    storeKey: res.body.data.apiKey,
    base: `/fhir/${res.body.data.id}`,
  };
}

export const patient = (family = "Smith", extra: Record<string, unknown> = {}) => ({
  resourceType: "Patient",
  name: [{ family, given: ["Ann"] }],
  gender: "female",
  birthDate: "1980-02-03",
  ...extra,
});
