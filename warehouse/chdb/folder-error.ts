// Why a chDB folder would not open, as the platform's errors say it.
import { EnvironmentError, ServiceUnavailable, type PlatformError } from '../../core/errors.js';

const ADVICE = 'chDB allows one process per folder: while the platform runs, steveslist commands reach its warehouse through it; otherwise stop the process that has it open';

/**
 * Another process holding the folder (a command that opened it while the platform was down) lets
 * go of it: worth waiting for (retriable). Anything else about the folder is not.
 */
export function folderError(dir: string, error: unknown): PlatformError {
  const reason = (error as Error).message;
  if (/Cannot lock file|Another server instance|Failed to create connection/i.test(reason)) {
    return new ServiceUnavailable(`WAREHOUSE_DIR: ${dir} is open in another process; ${ADVICE}`, { cause: error });
  }
  return new EnvironmentError(`WAREHOUSE_DIR: ${dir} cannot be opened (${reason}); ${ADVICE}`, { cause: error });
}
