// Which stretch of time a report covers: the last whole day (or ISO week, Monday to Monday) in the
// business's time zone before the report runs, and the one before it for comparison. Pure.
import { occurrencesBetween } from '../../pipelines/scheduler/occurrences.js';

export type ReportKind = 'daily' | 'weekly';

export interface ReportPeriod {
  kind: ReportKind;
  timezone: string;
  from: Date;
  to: Date;
  previousFrom: Date;
}

const BOUNDARY = { daily: '0 0 * * *', weekly: '0 0 * * 1' } as const;
const LOOKBACK_MS = { daily: 3 * 86_400_000, weekly: 22 * 86_400_000 } as const;

export function reportPeriod(kind: ReportKind, at: Date, timezone: string): ReportPeriod {
  // Local midnights, found by the same cron arithmetic as the scheduler: days of 23 or 25 hours included.
  const boundaries = occurrencesBetween({ cron: BOUNDARY[kind], timezone }, new Date(at.getTime() - LOOKBACK_MS[kind]), at);
  const [previousFrom, from, to] = boundaries.slice(-3) as [Date, Date, Date];
  return { kind, timezone, from, to, previousFrom };
}

/**
 * Where the attachment's rows start: every hour of a daily report, every local midnight of a weekly
 * one (so a week with a daylight-saving change still has one row per local day, of 23 or 25 hours).
 */
export function bucketStarts(period: ReportPeriod): Date[] {
  if (period.kind === 'daily') {
    const starts: Date[] = [];
    for (let at = period.from.getTime(); at < period.to.getTime(); at += 3_600_000) starts.push(new Date(at));
    return starts;
  }
  return [period.from, ...occurrencesBetween({ cron: BOUNDARY.daily, timezone: period.timezone }, period.from, new Date(period.to.getTime() - 1))];
}

/** The period's first day as the business says it, e.g. 2026-11-23. */
export function localDate(at: Date, timezone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}
