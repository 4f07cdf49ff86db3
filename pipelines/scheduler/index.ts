// The scheduler role: declared jobs, run on their cron schedule with a MySQL ledger as the lock.
export { Scheduler, type SchedulerOptions, type RunOutcome } from './scheduler.js';
export type { ScheduledJob, JobContext, MissedPolicy } from './job.js';
export { runHistory, lastRuns, RUN_STATUSES, type JobRun, type RunStatus } from './ledger.js';
