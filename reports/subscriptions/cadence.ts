// When a subscription is due: its cadence (daily, or weekly on a weekday) at an hour of its time
// zone, as a cron the scheduler's own arithmetic reads. Pure.
import { occurrencesBetween } from '../../pipelines/scheduler/occurrences.js';

export const CADENCES = ['daily', 'weekly'] as const;
export type Cadence = (typeof CADENCES)[number];

export interface Schedule {
  cadence: Cadence;
  /** 0-23, on the subscription's clock. */
  hour: number;
  /** 0 = Sunday .. 6 = Saturday; weekly only. */
  weekday: number | null;
  timezone: string;
}

export const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;

export function cronOf(schedule: Schedule): string {
  return schedule.cadence === 'daily' ? `0 ${schedule.hour} * * *` : `0 ${schedule.hour} * * ${schedule.weekday ?? 1}`;
}

/** Longer than a week, so a weekly occurrence is always found. */
const LOOKBACK_MS = 8 * 86_400_000;

/**
 * The occurrence to send at `now`, if one is waiting: the newest occurrence at or before `now`
 * that is later than the one handled last and not before the subscription existed. A scheduler
 * that was down for days sends the newest occurrence once, not every one it missed.
 */
export function dueOccurrence(schedule: Schedule, now: Date, handledLast: Date | null, createdAt: Date): Date | undefined {
  const after = new Date(Math.max(now.getTime() - LOOKBACK_MS, (handledLast ?? createdAt).getTime() - (handledLast ? 0 : 1)));
  const found = occurrencesBetween({ cron: cronOf(schedule), timezone: schedule.timezone }, after, now);
  return found.at(-1);
}

/** "daily at 07:00 UTC", "weekly on monday at 07:00 Europe/Berlin". */
export function describeSchedule(schedule: Schedule): string {
  const at = `at ${String(schedule.hour).padStart(2, '0')}:00 ${schedule.timezone}`;
  return schedule.cadence === 'daily' ? `daily ${at}` : `weekly on ${WEEKDAYS[schedule.weekday ?? 1]} ${at}`;
}

export function isTimezone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
