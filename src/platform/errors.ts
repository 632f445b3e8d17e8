/**
 * The one error type of Hearth. Domain code throws `AppError`; the single `onError` handler
 * (src/platform/error-response.ts) renders it in the wire shape of the route group.
 *
 * `kind` decides the HTTP status and the FHIR issue code; `code` is the stable snake_case
 * identifier clients switch on (seed 000: `fhir_server_not_found`, ...).
 */
export type ErrorKind =
  | "invalid" // 400
  | "unauthorized" // 401
  | "payment_required" // 402
  | "forbidden" // 403
  | "not_found" // 404
  | "method_not_allowed" // 405
  | "not_acceptable" // 406
  | "conflict" // 409
  | "gone" // 410
  | "precondition_failed" // 412
  | "too_large" // 413
  | "unsupported_media_type" // 415
  | "unprocessable" // 422
  | "failed_dependency" // 424
  | "rate_limited" // 429
  | "internal" // 500
  | "bad_gateway" // 502
  | "unavailable" // 503
  | "timeout"; // 504

export const statusOfKind: Record<ErrorKind, number> = {
  invalid: 400,
  unauthorized: 401,
  payment_required: 402,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  not_acceptable: 406,
  conflict: 409,
  gone: 410,
  precondition_failed: 412,
  too_large: 413,
  unsupported_media_type: 415,
  unprocessable: 422,
  failed_dependency: 424,
  rate_limited: 429,
  internal: 500,
  bad_gateway: 502,
  unavailable: 503,
  timeout: 504,
};

/** FHIR R4 IssueType (valueset-issue-type) used when an AppError is rendered as OperationOutcome. */
export type FhirIssueCode =
  | "invalid"
  | "structure"
  | "required"
  | "value"
  | "invariant"
  | "security"
  | "login"
  | "forbidden"
  | "processing"
  | "not-supported"
  | "duplicate"
  | "not-found"
  | "deleted"
  | "too-long"
  | "too-costly"
  | "code-invalid"
  | "conflict"
  | "throttled"
  | "exception"
  | "timeout"
  | "transient"
  | "incomplete"
  | "business-rule"
  | "informational";

const fhirCodeOfKind: Record<ErrorKind, FhirIssueCode> = {
  invalid: "invalid",
  unauthorized: "login",
  payment_required: "business-rule",
  forbidden: "forbidden",
  not_found: "not-found",
  method_not_allowed: "not-supported",
  not_acceptable: "not-supported",
  conflict: "conflict",
  gone: "deleted",
  precondition_failed: "conflict",
  too_large: "too-long",
  unsupported_media_type: "not-supported",
  unprocessable: "processing",
  failed_dependency: "incomplete",
  rate_limited: "throttled",
  internal: "exception",
  bad_gateway: "transient",
  unavailable: "transient",
  timeout: "timeout",
};

/** One issue of an error, rendered as an OperationOutcome.issue on FHIR routes. */
export interface ErrorIssue {
  severity?: "fatal" | "error" | "warning" | "information";
  code: FhirIssueCode;
  diagnostics: string;
  /** FHIRPath expressions pointing at the offending element(s), e.g. `Patient.birthDate`. */
  expression?: string[];
}

export interface AppErrorOptions {
  /** Stable snake_case identifier (platform envelope `error.code`). Defaults to the kind. */
  code?: string;
  /** Machine-readable extra detail (platform `error.details`, ingestion `details`). */
  details?: unknown;
  /** Issues for an OperationOutcome; defaults to one issue built from the message. */
  issues?: ErrorIssue[];
  /** Extra response headers (e.g. Retry-After, WWW-Authenticate). */
  headers?: Record<string, string>;
  /** Seconds, for 429/503 responses. */
  retryAfter?: number;
  cause?: unknown;
  /**
   * A 5xx that reports a failure recorded elsewhere (e.g. a failed background job's status): the
   * error handler does not log it again as an unexpected error.
   */
  reported?: boolean;
}

export class AppError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  readonly details: unknown;
  readonly issues: ErrorIssue[];
  readonly headers: Record<string, string>;
  readonly retryAfter: number | undefined;
  readonly reported: boolean;

  constructor(kind: ErrorKind, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AppError";
    this.kind = kind;
    this.code = options.code ?? kind;
    this.details = options.details;
    this.issues = options.issues ?? [{ severity: "error", code: fhirCodeOfKind[kind], diagnostics: message }];
    this.headers = { ...(options.headers ?? {}) };
    this.retryAfter = options.retryAfter;
    this.reported = options.reported ?? false;
    if (options.retryAfter !== undefined) this.headers["Retry-After"] = String(options.retryAfter);
  }

  get status(): number {
    return statusOfKind[this.kind];
  }
}

export const isAppError = (e: unknown): e is AppError => e instanceof AppError;

/** Shorthands for the common cases, so call sites read as sentences. */
export const errors = {
  invalid: (message: string, o?: AppErrorOptions) => new AppError("invalid", message, o),
  unauthorized: (message = "Missing or invalid credentials", o?: AppErrorOptions) =>
    new AppError("unauthorized", message, { code: "unauthorized", ...o }),
  forbidden: (message = "Insufficient permissions", o?: AppErrorOptions) =>
    new AppError("forbidden", message, { code: "insufficient_permissions", ...o }),
  notFound: (message: string, o?: AppErrorOptions) => new AppError("not_found", message, o),
  conflict: (message: string, o?: AppErrorOptions) => new AppError("conflict", message, o),
  gone: (message: string, o?: AppErrorOptions) => new AppError("gone", message, o),
  precondition: (message: string, o?: AppErrorOptions) => new AppError("precondition_failed", message, o),
  tooLarge: (message: string, o?: AppErrorOptions) =>
    new AppError("too_large", message, { code: "payload_too_large", ...o }),
  unsupportedMediaType: (message: string, o?: AppErrorOptions) =>
    new AppError("unsupported_media_type", message, { code: "unsupported_media_type", ...o }),
  unprocessable: (message: string, o?: AppErrorOptions) => new AppError("unprocessable", message, o),
  rateLimited: (message: string, retryAfter: number, o?: AppErrorOptions) =>
    new AppError("rate_limited", message, { code: "rate_limited", retryAfter, ...o }),
  unavailable: (message: string, o?: AppErrorOptions) => new AppError("unavailable", message, o),
  timeout: (message: string, o?: AppErrorOptions) => new AppError("timeout", message, o),
  internal: (message = "An unexpected error occurred", o?: AppErrorOptions) => new AppError("internal", message, o),
};
