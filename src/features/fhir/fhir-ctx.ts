import type { AuthedCtx } from "../../context";
import type { StoreRow } from "../stores/store-row";

/** What a FHIR domain verb receives: the caller, the store it opened, and the base URL it used. */
export interface FhirCtx extends AuthedCtx {
  store: StoreRow;
  /** Absolute FHIR base the client used (`{origin}/fhir/{id}`, `/datastore/{id}/r4` or `/FHIR/R4`). */
  base: string;
}
