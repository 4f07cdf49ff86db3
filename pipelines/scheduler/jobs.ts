// The platform's scheduled jobs. Adding a job is one entry here.
import type { Pool, ResultSetHeader } from '../../marketplace/mysql/connection.js';
import type { ScheduledJob } from './job.js';

export interface JobDependencies {
  pool: Pool;
  /** The time zone the business keeps its days in (reports, "nightly"). */
  timezone: string;
}

export function platformJobs(deps: JobDependencies): ScheduledJob[] {
  return [
    {
      name: 'sessions.purge-expired',
      description: 'Deletes expired user and admin sessions (their tokens no longer work; the rows are clutter).',
      cron: '17 4 * * *',
      timezone: deps.timezone,
      timeLimitMs: 10 * 60_000,
      missed: 'catch-up',
      async run() {
        const [users] = await deps.pool.query<ResultSetHeader>('DELETE FROM user_sessions WHERE expires_at < UTC_TIMESTAMP(6)');
        const [admins] = await deps.pool.query<ResultSetHeader>('DELETE FROM admin_sessions WHERE expires_at < UTC_TIMESTAMP(6)');
        return `deleted ${users.affectedRows} user and ${admins.affectedRows} admin sessions`;
      },
    },
  ];
}
