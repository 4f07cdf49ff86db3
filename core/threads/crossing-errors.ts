// Errors as they cross from one thread to another: structured cloning keeps an Error's message
// and stack but drops its own fields, which are what isRetriable, stopsThePlatform and the logs
// read (a driver's code and errno, a platform error's code and retriability).
import { PlatformError } from '../errors.js';

/** An error as it crosses threads: what isRetriable, stopsThePlatform and the logs look at. */
export interface CrossedError {
  name: string;
  message: string;
  stack?: string;
  code?: string | number;
  errno?: number;
  fatal?: boolean;
  retriable?: boolean;
  platform?: boolean;
  problems?: string[];
}

export function crossError(error: unknown): CrossedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const fields = error as Error & { code?: unknown; errno?: unknown; fatal?: unknown; problems?: unknown };
  const crossed: CrossedError = { name: error.name, message: error.message };
  if (error.stack) crossed.stack = error.stack;
  if (typeof fields.code === 'string' || typeof fields.code === 'number') crossed.code = fields.code;
  if (typeof fields.errno === 'number') crossed.errno = fields.errno;
  if (typeof fields.fatal === 'boolean') crossed.fatal = fields.fatal;
  if (error instanceof PlatformError) {
    crossed.platform = true;
    crossed.retriable = error.retriable;
    if (Array.isArray(fields.problems)) crossed.problems = fields.problems.map(String);
  }
  return crossed;
}

/** A platform error from the other thread: still retriable or not, still stopping the platform or not. */
class CrossedPlatformError extends PlatformError {
  readonly code: string;
  readonly retriable: boolean;

  constructor(crossed: CrossedError) {
    super(crossed.message);
    this.code = String(crossed.code);
    this.retriable = crossed.retriable === true;
  }
}

export function reviveError(crossed: CrossedError): Error {
  const error: Error & Record<string, unknown> = crossed.platform ? new CrossedPlatformError(crossed) as never : new Error(crossed.message) as never;
  error.name = crossed.name;
  if (crossed.stack) error.stack = crossed.stack;
  if (!crossed.platform && crossed.code !== undefined) error.code = crossed.code;
  if (crossed.errno !== undefined) error.errno = crossed.errno;
  if (crossed.fatal !== undefined) error.fatal = crossed.fatal;
  if (crossed.problems) error.problems = crossed.problems;
  return error;
}
