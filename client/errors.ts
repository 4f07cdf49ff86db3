// Errors the client throws: one class per HTTP status family of the API, each carrying the
// API's own {error, message, field} so callers branch on types, not on status numbers.

/** The API's error body. */
export interface ApiErrorBody {
  error: string;
  message: string;
  field?: string;
}

export interface ErrorContext {
  status?: number;
  body?: ApiErrorBody;
  /** `GET /v1/listings`: what was asked, never with credentials. */
  request?: string;
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class SteveslistError extends Error {
  /** HTTP status; undefined when no answer came (ConnectionError). */
  readonly status: number | undefined;
  /** The API's `error` code (`invalid_request`, `conflict`, ...), or the client's own for failures without one. */
  readonly code: string;
  /** The input at fault, when the API named one. */
  readonly field: string | undefined;
  /** `GET /v1/listings/42`: which call failed. */
  readonly request: string | undefined;
  /**
   * Whether the condition is transient, so the same request may succeed later. The client has
   * already retried these where that is safe (see README: a POST that may have landed is not).
   */
  readonly retriable: boolean = false;

  constructor(message: string, code: string, context: ErrorContext) {
    super(message, context.cause === undefined ? undefined : { cause: context.cause });
    // Spelt out per class: bundlers minify class names, and name is what logs show.
    this.name = 'SteveslistError';
    this.status = context.status;
    this.code = code;
    this.field = context.body?.field;
    this.request = context.request;
  }
}

/** 400 or 413: an input is missing, malformed or too big; `field` names it. */
export class ValidationError extends SteveslistError {
  override name = 'ValidationError';
}

/** 401: no credential, or a wrong, expired or revoked one. */
export class AuthenticationError extends SteveslistError {
  override name = 'AuthenticationError';
}

/** 403: the resource is someone else's, the account is suspended, or the call needs a session rather than an API key. */
export class PermissionError extends SteveslistError {
  override name = 'PermissionError';
}

/** 404: no such resource, or not visible to the caller. */
export class NotFoundError extends SteveslistError {
  override name = 'NotFoundError';
}

/** 409: a business rule refused the write (already sold, email taken, ...). */
export class ConflictError extends SteveslistError {
  override name = 'ConflictError';
}

/** A refusal before any work was done: the same request may come again, after `retryAfterSeconds` if the server said. */
export abstract class RetryLaterError extends SteveslistError {
  override readonly retriable = true;
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, code: string, context: ErrorContext) {
    super(message, code, context);
    this.retryAfterSeconds = context.retryAfterSeconds;
  }
}

/** 429: too many requests; `retryAfterSeconds` is what the server asked for. */
export class RateLimitError extends RetryLaterError {
  override name = 'RateLimitError';
}

/** 503: a dependency of the API is down for now. */
export class ServiceUnavailableError extends RetryLaterError {
  override name = 'ServiceUnavailableError';
}

/** No answer: the network failed, the connection was reset, or the attempt timed out. */
export class ConnectionError extends SteveslistError {
  override name = 'ConnectionError';
  override readonly retriable = true;
  readonly timedOut: boolean;

  constructor(message: string, context: ErrorContext & { timedOut: boolean }) {
    super(message, context.timedOut ? 'timeout' : 'connection_failed', context);
    this.timedOut = context.timedOut;
  }
}

type ErrorClass = new (message: string, code: string, context: ErrorContext) => SteveslistError;

const BY_STATUS: Record<number, ErrorClass> = {
  400: ValidationError,
  401: AuthenticationError,
  403: PermissionError,
  404: NotFoundError,
  409: ConflictError,
  413: ValidationError,
  429: RateLimitError,
  503: ServiceUnavailableError,
};

function isApiErrorBody(value: unknown): value is ApiErrorBody {
  if (typeof value !== 'object' || value === null) return false;
  const body = value as Record<string, unknown>;
  return typeof body.error === 'string' && typeof body.message === 'string' && (body.field === undefined || body.field === null || typeof body.field === 'string');
}

/** The typed error for a non-2xx answer; `text` is its body as received. */
export function errorFromResponse(status: number, statusText: string, text: string, request: string, retryAfterSeconds?: number): SteveslistError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const type = BY_STATUS[status] ?? SteveslistError;
  if (isApiErrorBody(parsed)) {
    const body: ApiErrorBody = { error: parsed.error, message: parsed.message, ...(typeof parsed.field === 'string' ? { field: parsed.field } : {}) };
    return new type(body.message, body.error, { status, body, request, retryAfterSeconds });
  }
  // Proxies and load balancers answer in their own words; say so rather than guess a code.
  const reason = statusText ? `${status} ${statusText}` : String(status);
  return new type(`${request}: the server answered ${reason} without an API error body`, 'http_error', { status, request, retryAfterSeconds });
}
