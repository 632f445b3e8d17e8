/**
 * FHIR R4 resource validation: the public surface other features use before storing a resource.
 * See validate-resource.ts for what is checked and why this is not @medplum/core's validator.
 */
export { isFhirId, PRIMITIVE_TYPES } from "./primitives";
export { FHIR_VERSION } from "./structure";
export {
  checkResource,
  type FhirResource,
  isResourceType,
  isStructuralFailure,
  MAX_DEPTH,
  MAX_ISSUES,
  RESOURCE_TYPES,
  type ValidationIssue,
  validateResource,
} from "./validate-resource";
