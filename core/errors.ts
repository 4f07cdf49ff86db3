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

/** A command-line argument is malformed. */
export class UsageError extends PlatformError {
  readonly code = 'USAGE';
  readonly retriable = false;
}

export function isRetriable(error: unknown): boolean {
  return error instanceof PlatformError && error.retriable;
}
