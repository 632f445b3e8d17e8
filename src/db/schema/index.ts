export * from "./fhir";
export * from "./platform";
