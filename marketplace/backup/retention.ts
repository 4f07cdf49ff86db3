// Which backups to keep: the newest of each of the last 7 days, 4 ISO weeks and 12 months that
// have one (a day's newest backup can count for its week and month too); and which archived
// binlogs no kept backup can replay any more. Pure.

export interface RetentionPolicy {
  daily: number;
  weekly: number;
  monthly: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { daily: 7, weekly: 4, monthly: 12 };

const day = (at: Date) => at.toISOString().slice(0, 10);
const month = (at: Date) => at.toISOString().slice(0, 7);

/** ISO 8601 week, e.g. 2026-W48 (weeks start on Monday; week 1 holds the year's first Thursday). */
export function isoWeek(at: Date): string {
  const date = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  const weekday = date.getUTCDay() || 7;
  date.setUTCDate(date.getUTCDate() + 4 - weekday);
  const yearStart = Date.UTC(date.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((date.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${date.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

/** The sequence number in a binlog file name (binlog.000042 -> 42). */
export function binlogNumber(name: string): number {
  return Number(/\.(\d+)$/.exec(name)?.[1] ?? Number.NaN);
}

/**
 * The archived binlogs older than the file the oldest kept backup's coordinates point into: a
 * replay starts at a backup's coordinates, so nothing before them is ever read again. With no
 * backup kept, nothing is pruned (the binlogs are all there is).
 */
export function binlogsToPrune(archived: readonly string[], keptBackups: readonly { binlog: { file: string } }[]): string[] {
  if (keptBackups.length === 0) return [];
  const first = Math.min(...keptBackups.map((backup) => binlogNumber(backup.binlog.file)));
  return archived.filter((name) => binlogNumber(name) < first);
}

/** The ids to keep of backups taken at the given times. */
export function backupsToKeep(backups: readonly { id: string; created_at: string }[], policy: RetentionPolicy = DEFAULT_RETENTION): Set<string> {
  const newestFirst = [...backups].sort((a, b) => Date.parse(b.created_at) - Date.parse(a.created_at));
  const keep = new Set<string>();
  for (const [period, count] of [[day, policy.daily], [isoWeek, policy.weekly], [month, policy.monthly]] as const) {
    const seen = new Set<string>();
    for (const backup of newestFirst) {
      const key = period(new Date(backup.created_at));
      if (seen.has(key)) continue;
      if (seen.size >= count) break;
      seen.add(key);
      keep.add(backup.id);
    }
  }
  return keep;
}
