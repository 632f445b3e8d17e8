/**
 * The FHIR R4 REST API router, mounted by src/app.ts. Each route of fhir.routes.ts is registered on the
 * three bases. Routes of other FHIR features with literal segments (`$everything`, `$export`, ...) must
 * be registered BEFORE these generic `{type}/{id}` routes (add them to `operationRouters` below).
 */
import { createRouter } from "../../platform/router";
import { bulkExportRouter } from "../bulk-export";
import { everythingRouter } from "./everything";
import { FHIR_BASES, fhirRoutes } from "./fhir.routes";
import { fhirHandlers } from "./fhir-handlers";
import { reindexRouter } from "./reindex";

export const fhirRouter = createRouter();

/** Routers of FHIR operations served under the same bases; mounted first (see above). */
const operationRouters: ReturnType<typeof createRouter>[] = [everythingRouter, bulkExportRouter, reindexRouter];
for (const r of operationRouters) fhirRouter.route("/", r);

for (const base of FHIR_BASES) {
  const handlers = fhirHandlers(base);
  for (const { name, route } of fhirRoutes(base)) {
    fhirRouter.openapi(route, handlers[name] as never);
  }
}
