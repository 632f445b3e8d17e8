import type { AppError } from "../../../platform/errors";

export interface EntryResult {
  index: number;
  status: number;
  /** `Type/id/_history/vid` of the version written or returned. */
  location?: string;
  etag?: string;
  lastModified?: string;
  resourceType?: string;
  id?: string;
  versionId?: number;
  /** What happened, for ingestion records and counts. */
  outcome?: "created" | "updated" | "unchanged" | "existing" | "deleted" | "noop" | "read" | "not-modified";
  /** JSON text of the resource (written version, or a GET's result). */
  body?: string;
  error?: AppError;
}

export interface BundleResult {
  type: "batch" | "transaction";
  results: EntryResult[];
}

const STATUS_TEXT: Record<number, string> = {
  200: "OK",
  201: "Created",
  204: "No Content",
  304: "Not Modified",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  410: "Gone",
  412: "Precondition Failed",
  413: "Payload Too Large",
  422: "Unprocessable Entity",
  429: "Too Many Requests",
  500: "Internal Server Error",
};

export const statusLine = (status: number) => `${status} ${STATUS_TEXT[status] ?? ""}`.trim();
