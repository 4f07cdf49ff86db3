// When a job's occurrences fall, and what to do with the ones a scheduler missed. Pure: values
// in, values out.
import { Cron } from 'croner';
import type { MissedPolicy, ScheduledJob } from './job.js';

function cronOf(job: Pick<ScheduledJob, 'cron' | 'timezone'>): Cron {
  return new Cron(job.cron, { timezone: job.timezone, paused: true });
}

/** Throws with the job's name when its cron expression or time zone is not valid. */
export function checkSchedule(job: Pick<ScheduledJob, 'name' | 'cron' | 'timezone'>): void {
  try {
    cronOf(job).nextRun(new Date(0));
  } catch (error) {
    throw new Error(`job ${job.name}: cron "${job.cron}" in ${job.timezone}: ${(error as Error).message}`);
  }
}

/** The first occurrence strictly after `after`. */
export function nextOccurrence(job: Pick<ScheduledJob, 'cron' | 'timezone'>, after: Date): Date | undefined {
  return cronOf(job).nextRun(after) ?? undefined;
}

/** The occurrences in (after, until], oldest first, at most `max` (the newest ones are kept). */
export function occurrencesBetween(job: Pick<ScheduledJob, 'cron' | 'timezone'>, after: Date, until: Date, max = 1000): Date[] {
  const cron = cronOf(job);
  const found: Date[] = [];
  let cursor: Date | null = after;
  while ((cursor = cron.nextRun(cursor)) && cursor.getTime() <= until.getTime()) {
    found.push(cursor);
    if (found.length > max) found.shift();
  }
  return found;
}

export interface MissedPlan {
  /** The occurrence to run now, if any. */
  run?: Date;
  /** Occurrences to record as skipped. */
  skip: Date[];
}

/**
 * Which of the due occurrences to run. One that is due for less than `lateAfterMs` is on time and
 * runs under either policy; older ones were missed and follow the job's policy.
 */
export function planDue(policy: MissedPolicy, due: readonly Date[], now: Date, lateAfterMs: number): MissedPlan {
  if (due.length === 0) return { skip: [] };
  const newest = due[due.length - 1]!;
  const older = due.slice(0, -1);
  if (now.getTime() - newest.getTime() <= lateAfterMs || policy === 'catch-up') return { run: newest, skip: older };
  return { skip: [...due] };
}
