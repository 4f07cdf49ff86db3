// Typed errors: every failure says whether retrying can help, and user-facing ones name the
// setting or field to fix. The CLI prints a PlatformError as one line, never a stack trace.

export abstract class PlatformError extends Error {
  abstract readonly code: string;
  abstract readonly retriable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A setting is missing or malformed; `problems` lists every one found, not only the first. */
export class ConfigError extends PlatformError {
  readonly code = 'CONFIG_INVALID';
  readonly retriable = false;

  constructor(readonly problems: readonly string[]) {
    super(problems.length === 1 ? problems[0]! : `invalid configuration:\n  ${problems.join('\n  ')}`);
  }
}

/** The environment cannot run what was asked (missing binary, port taken, wrong owner, ...). */
export class EnvironmentError extends PlatformError {
  readonly code = 'ENVIRONMENT';
  readonly retriable = false;
}

/** A server is unreachable for now; trying again later may work. */
export class ServiceUnavailable extends PlatformError {
  readonly code = 'SERVICE_UNAVAILABLE';
  readonly retriable = true;
}

/** The MySQL source is reachable but not set up the way change capture needs. */
export class SourceMisconfigured extends PlatformError {
  readonly code = 'SOURCE_MISCONFIGURED';
  readonly retriable = false;

  constructor(readonly problems: readonly string[]) {
    super(problems.length === 1 ? problems[0]! : problems.join('\n'));
  }
}

/** A migration cannot be applied (bad SQL, or a file edited after it was applied). */
export class MigrationError extends PlatformError {
  readonly code = 'MIGRATION_FAILED';
  readonly retriable = false;
}

/** A business rule refused a write (e.g. buying a listing that is already sold). */
export class ConflictError extends PlatformError {
  readonly code = 'CONFLICT';
  readonly retriable = false;
}

export class NotFoundError extends PlatformError {
  readonly code = 'NOT_FOUND';
  readonly retriable = false;
}

/** The caller is known but may not do this (someone else's resource, a suspended account). */
export class ForbiddenError extends PlatformError {
  readonly code = 'FORBIDDEN';
  readonly retriable = false;
}

/** A credential is missing, wrong, expired or revoked. */
export class AuthenticationError extends PlatformError {
  readonly code = 'UNAUTHENTICATED';
  readonly retriable = false;
}

/** A command-line argument is malformed. */
export class UsageError extends PlatformError {
  readonly code = 'USAGE';
  readonly retriable = false;
}

/** A sink or downstream service refused or failed a write for now (retry later). */
export class SinkUnavailable extends PlatformError {
  readonly code = 'SINK_UNAVAILABLE';
  readonly retriable = true;
}

/** The caller did this too often for now: try again later (an HTTP 429). */
export class RateLimited extends PlatformError {
  readonly code = 'RATE_LIMITED';
  readonly retriable = false;
}

/** A message that can never be handled as it is (malformed, violates the sink's mapping...). */
export class PoisonMessage extends PlatformError {
  readonly code = 'POISON_MESSAGE';
  readonly retriable = false;
}

const TRANSIENT_SYSTEM_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ER_SERVER_SHUTDOWN', 'ER_CONNECTION_KILLED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'PROTOCOL_CONNECTION_LOST', 'ER_LOCK_DEADLOCK', 'ER_LOCK_WAIT_TIMEOUT']);

/**
 * Whether trying again can help: typed errors say so themselves; of the rest, network and lock
 * failures are transient and anything else (a bug, bad data) is not.
 */
export function isRetriable(error: unknown): boolean {
  if (error instanceof PlatformError) return error.retriable;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TRANSIENT_SYSTEM_CODES.has(code);
}

/** Codes of failures that restarting cannot fix: the setting or the environment must change first. */
const STOPS_THE_PLATFORM = new Set(['CONFIG_INVALID', 'ENVIRONMENT', 'SOURCE_MISCONFIGURED', 'BINLOG_PURGED']);

/**
 * Whether a role's failure should stop the whole platform rather than restart the role: only a
 * non-retriable configuration or environment error (wrong credentials, a binlog purged under
 * CDC_ON_MISSING_BINLOG=fail), whose message names the setting to fix. Anything else restarts.
 */
export function stopsThePlatform(error: unknown): boolean {
  return error instanceof PlatformError && !error.retriable && STOPS_THE_PLATFORM.has(error.code);
}

export function errorCode(error: unknown): string {
  if (error instanceof PlatformError) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : (error as Error | null)?.name ?? 'Error';
}

/** A backup file does not match its manifest (damaged, truncated, edited): restoring it would be wrong. */
export class BackupCorrupted extends PlatformError {
  readonly code = 'BACKUP_CORRUPTED';
  readonly retriable = false;
}
