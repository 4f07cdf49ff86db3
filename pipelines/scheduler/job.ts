// A scheduled job as declared in code: when it runs (cron and time zone), how long it may take,
// what happens to occurrences missed while no scheduler ran, and the work itself.
import type { Logger } from '../../core/log.js';

/**
 * After downtime: `catch-up` runs the most recent missed occurrence once (a nightly backup that
 * did not happen should happen now) and records older ones as skipped; `skip` records every
 * missed occurrence as skipped and waits for the next (a report about "yesterday" sent late is noise).
 */
export type MissedPolicy = 'catch-up' | 'skip';

export interface JobContext {
  /** The occurrence being run (for `jobs run`, the moment it was asked for). */
  scheduledFor: Date;
  /** Aborted when the run exceeds its time limit or the scheduler stops: stop work promptly. */
  signal: AbortSignal;
  log: Logger;
}

export interface ScheduledJob {
  name: string;
  description: string;
  /** Five fields (or six, with seconds first), as croner reads them. */
  cron: string;
  /** IANA name, e.g. Europe/Berlin: "03:00" means 03:00 there, across daylight-saving changes. */
  timezone: string;
  timeLimitMs: number;
  missed: MissedPolicy;
  /** Resolves with a one-line summary for the ledger, or nothing. */
  run(context: JobContext): Promise<string | void>;
}
