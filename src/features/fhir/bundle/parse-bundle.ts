/**
 * Parsing a batch/transaction Bundle (FHIR R4 http.html#transaction, bundle.html) into entries with
 * their interaction: only the Bundle's own shape is checked here; each entry's resource is validated
 * when the entry is processed.
 */
import { AppError, errors } from "../../../platform/errors";
import { isJsonObject, isValidId } from "../resource-json";
import { isResourceType } from "../validation";
import { BundleEntryError } from "./entry-error";

export type EntryKind =
  | "create"
  | "update"
  | "cond-update"
  | "patch"
  | "cond-patch"
  | "delete"
  | "cond-delete"
  | "read"
  | "vread"
  | "search"
  | "history-instance"
  | "history-type"
  | "history-system";

export interface ParsedEntry {
  index: number;
  fullUrl: string | null;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  kind: EntryKind;
  /** request.url as given. */
  url: string;
  resourceType: string | null;
  id: string | null;
  versionId: string | null;
  /** Query string (without "?") of conditional and search URLs. */
  query: string | null;
  resource: unknown;
  ifNoneExist: string | null;
  ifMatch: string | null;
  ifNoneMatch: string | null;
  ifModifiedSince: string | null;
}

export interface ParsedBundle {
  type: "batch" | "transaction";
  entries: ParsedEntry[];
  /** Entries that could not be parsed (batch only; a transaction throws the first). */
  failures: Map<number, BundleEntryError>;
}

const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE"]);

const str = (v: unknown): string | null => (typeof v === "string" && v.length > 0 ? v : null);

/** Strips our own base from absolute request URLs; leaves relative ones. */
function relativeUrl(url: string, base: string): string {
  let u = url.trim();
  if (u.startsWith(`${base}/`)) u = u.slice(base.length + 1);
  else if (/^https?:\/\//i.test(u)) {
    throw errors.invalid(`request.url '${url}' is an absolute URL of another server`, { code: "invalid_request_url" });
  }
  return u.replace(/^\/+/, "");
}

function parseEntry(raw: unknown, index: number, base: string): ParsedEntry {
  if (!isJsonObject(raw)) throw errors.invalid("Each entry must be an object", { code: "invalid_bundle" });
  const request = raw.request;
  if (!isJsonObject(request)) {
    throw errors.invalid("entry.request is required in a batch or transaction (method and url)", {
      code: "invalid_bundle",
      issues: [
        { severity: "error", code: "required", diagnostics: "entry.request is required", expression: ["request"] },
      ],
    });
  }
  const method = typeof request.method === "string" ? request.method : "";
  if (!METHODS.has(method)) {
    throw errors.invalid(
      `entry.request.method must be GET, POST, PUT, PATCH or DELETE (got '${String(request.method)}')`,
      {
        code: "invalid_bundle",
      },
    );
  }
  const rawUrl = str(request.url);
  if (!rawUrl) throw errors.invalid("entry.request.url is required", { code: "invalid_bundle" });
  const url = relativeUrl(rawUrl, base);
  const q = url.indexOf("?");
  const path = q >= 0 ? url.slice(0, q) : url;
  const query = q >= 0 ? url.slice(q + 1) : null;
  const segs = path.split("/").filter((s) => s.length > 0);
  const entry: ParsedEntry = {
    index,
    fullUrl: str(raw.fullUrl),
    method: method as ParsedEntry["method"],
    kind: "read",
    url: rawUrl,
    resourceType: null,
    id: null,
    versionId: null,
    query,
    resource: raw.resource,
    ifNoneExist: str(request.ifNoneExist),
    ifMatch: str(request.ifMatch),
    ifNoneMatch: str(request.ifNoneMatch),
    ifModifiedSince: str(request.ifModifiedSince),
  };
  const bad = () =>
    errors.invalid(`entry.request.url '${rawUrl}' is not valid for ${method}`, { code: "invalid_request_url" });
  if (segs.length === 1 && segs[0] === "_history" && method === "GET") {
    entry.kind = "history-system";
    return entry;
  }
  const type = segs[0];
  if (!type) throw bad();
  if (!isResourceType(type)) {
    throw errors.invalid(`Unknown resource type '${type}' in entry.request.url`, { code: "unknown_resource_type" });
  }
  entry.resourceType = type;
  const id = segs[1];
  if (id !== undefined && id !== "_history" && id !== "_search" && !isValidId(id)) {
    throw errors.invalid(`'${id}' in entry.request.url is not a valid resource id`, { code: "invalid_id" });
  }
  switch (method) {
    case "POST":
      if (segs.length === 2 && segs[1] === "_search") {
        entry.kind = "search";
        return entry;
      }
      if (segs.length !== 1 || query !== null) throw bad();
      entry.kind = "create";
      break;
    case "PUT":
    case "PATCH":
    case "DELETE": {
      const cond = method === "PUT" ? "cond-update" : method === "PATCH" ? "cond-patch" : "cond-delete";
      const plain = method === "PUT" ? "update" : method === "PATCH" ? "patch" : "delete";
      if (segs.length === 1 && query) entry.kind = cond;
      else if (segs.length === 2 && query === null) {
        entry.kind = plain;
        entry.id = id!;
      } else throw bad();
      break;
    }
    case "GET":
      if (segs.length === 1) entry.kind = "search";
      else if (segs.length === 2 && segs[1] === "_history") entry.kind = "history-type";
      else if (segs.length === 2) {
        entry.kind = "read";
        entry.id = id!;
      } else if (segs.length === 3 && segs[2] === "_history") {
        entry.kind = "history-instance";
        entry.id = id!;
      } else if (segs.length === 4 && segs[2] === "_history") {
        entry.kind = "vread";
        entry.id = id!;
        entry.versionId = segs[3]!;
      } else throw bad();
      break;
  }
  if (
    (entry.kind === "create" || entry.kind === "update" || entry.kind === "cond-update") &&
    !isJsonObject(entry.resource)
  ) {
    throw errors.invalid(`entry.resource is required for ${method} ${type}`, {
      code: "invalid_bundle",
      issues: [
        { severity: "error", code: "required", diagnostics: "entry.resource is required", expression: ["resource"] },
      ],
    });
  }
  if ((entry.kind === "patch" || entry.kind === "cond-patch") && !isJsonObject(entry.resource)) {
    throw errors.invalid("entry.resource must be a Binary (JSON Patch) or Parameters (FHIRPath Patch) for PATCH", {
      code: "invalid_bundle",
    });
  }
  return entry;
}

/**
 * Checks the Bundle envelope and parses the entries. A transaction stops at the first bad entry;
 * a batch records it and goes on (FHIR R4 http.html#brules).
 */
export function parseBundle(body: unknown, base: string, maxEntries: number): ParsedBundle {
  if (!isJsonObject(body))
    throw errors.invalid("The body must be a Bundle resource (a JSON object)", { code: "invalid_bundle" });
  if (body.resourceType !== "Bundle") {
    throw errors.invalid(`Invalid FHIR Bundle: resourceType must be 'Bundle' (got '${String(body.resourceType)}')`, {
      code: "invalid_bundle",
    });
  }
  if (body.type !== "batch" && body.type !== "transaction") {
    throw errors.invalid(`Bundle.type must be 'batch' or 'transaction' to be processed (got '${String(body.type)}')`, {
      code: "invalid_bundle",
      issues: [
        {
          severity: "error",
          code: "value",
          diagnostics: "Bundle.type must be batch or transaction",
          expression: ["Bundle.type"],
        },
      ],
    });
  }
  const rawEntries = body.entry === undefined ? [] : body.entry;
  if (!Array.isArray(rawEntries)) throw errors.invalid("Bundle.entry must be an array", { code: "invalid_bundle" });
  if (rawEntries.length > maxEntries) {
    throw errors.tooLarge(
      `The Bundle has ${rawEntries.length} entries; this server processes at most ${maxEntries} entries per batch or transaction. Split it into several bundles.`,
      { code: "too_many_entries", details: { entries: rawEntries.length, limit: maxEntries } },
    );
  }
  const entries: ParsedEntry[] = [];
  const failures = new Map<number, BundleEntryError>();
  rawEntries.forEach((raw, i) => {
    try {
      entries.push(parseEntry(raw, i, base));
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      const wrapped = new BundleEntryError(i, err);
      if (body.type === "transaction") throw wrapped;
      failures.set(i, wrapped);
    }
  });
  return { type: body.type, entries, failures };
}
