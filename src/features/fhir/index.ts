import { createRouter } from "../../platform/router";

// Mounted by src/app.ts; the FHIR-core work fills it.
export const fhirRouter = createRouter();
