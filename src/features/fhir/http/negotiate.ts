/**
 * Content negotiation and request preferences of the FHIR REST API (FHIR R4 http.html#mime-type,
 * http.html#parameters, http.html#ops "Prefer"). Hearth speaks JSON only.
 */
import { AppError, errors } from "../../../platform/errors";

export const FHIR_JSON = "application/fhir+json";
const JSON_TYPES = new Set(["application/fhir+json", "application/json", "application/json+fhir", "json"]);
const XML_OR_OTHER = /xml|turtle|ttl|html/i;

export interface Presentation {
  /** Media type of the response body. */
  contentType: string;
  pretty: boolean;
}

export type PreferReturn = "minimal" | "representation" | "OperationOutcome";

export interface Prefer {
  return?: PreferReturn;
  handling?: "strict" | "lenient";
  /** `respond-async` (Bulk Data kick-off, `$reindex`): the client accepts 202 + a status location. */
  respondAsync?: boolean;
}

const notAcceptable = (what: string) =>
  new AppError("not_acceptable", `${what} is not supported; this server returns application/fhir+json only`, {
    code: "not_acceptable",
  });

/**
 * `_format` overrides Accept (http.html#mime-type). Only JSON is served: XML/RDF asked for explicitly
 * is a 406; an Accept header that allows any JSON or `*` is fine.
 */
export function presentation(url: URL, accept: string | undefined): Presentation {
  const format = url.searchParams.get("_format");
  let contentType = `${FHIR_JSON}; charset=utf-8`;
  if (format !== null) {
    const f = format.trim().toLowerCase().split(";")[0]!.trim();
    if (!JSON_TYPES.has(f)) throw notAcceptable(`_format=${format}`);
    if (f === "application/json") contentType = "application/json; charset=utf-8";
  } else if (accept?.trim()) {
    const ranges = accept
      .split(",")
      .map((r) => r.split(";")[0]!.trim().toLowerCase())
      .filter(Boolean);
    const ok = ranges.some(
      (r) =>
        JSON_TYPES.has(r) || r === "*/*" || r === "application/*" || (!XML_OR_OTHER.test(r) && r.endsWith("+json")),
    );
    if (!ok) throw notAcceptable(`Accept: ${accept}`);
    if (!ranges.includes(FHIR_JSON) && !ranges.includes("application/json+fhir") && ranges.includes("application/json"))
      contentType = "application/json; charset=utf-8";
  }
  const pretty = url.searchParams.get("_pretty");
  if (pretty !== null && pretty !== "true" && pretty !== "false") {
    throw errors.invalid(`_pretty must be true or false (got '${pretty}')`, { code: "invalid_parameter" });
  }
  return { contentType, pretty: pretty === "true" };
}

/** RFC 7240 Prefer, the parts FHIR defines: return=..., handling=... and respond-async. */
export function parsePrefer(header: string | undefined): Prefer {
  const out: Prefer = {};
  if (!header) return out;
  for (const part of header.split(/[,;]/)) {
    const [k, v] = part.split("=").map((s) => s?.trim().replace(/^"|"$/g, ""));
    if (k?.toLowerCase() === "return" && (v === "minimal" || v === "representation" || v === "OperationOutcome"))
      out.return = v;
    if (k?.toLowerCase() === "handling" && (v === "strict" || v === "lenient")) out.handling = v;
    if (k?.toLowerCase() === "respond-async" && v === undefined) out.respondAsync = true;
  }
  return out;
}
