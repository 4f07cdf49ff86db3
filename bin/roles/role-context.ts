// What every role of the platform starts from, whether `up` runs them all in one process or a
// `worker` or `serve` command runs one: settings, logger, the database, the bus, and the list of
// things to close (last opened, first closed).
import type { Config } from '../../core/config/index.js';
import type { Logger } from '../../core/log.js';
import type { Bus } from '../../pipelines/bus/port.js';
import type { OpenDatabase } from '../commands/open-database.js';
import type { Supervisor } from './supervisor.js';

export interface RoleContext {
  config: Config;
  log: Logger;
  db: OpenDatabase;
  bus: Bus;
  closers: (() => Promise<void>)[];
  /** Where the roles report failures, for /health; without it they only log them. */
  supervisor?: Supervisor;
}

/** Runs the closers in reverse order, each once, logging (not throwing) what fails. */
export async function closeAll(closers: (() => Promise<void>)[], log: Logger): Promise<void> {
  while (closers.length > 0) await closers.pop()!().catch((error: unknown) => log.error({ err: error }, 'shutdown step failed'));
}
