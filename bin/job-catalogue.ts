// The platform's scheduled jobs: wiring (backups, reports, the warehouse) for the scheduler, so it
// lives with the other wiring in bin/ and the scheduler itself imports none of it. Adding a job is one
// entry here.
import { archiveBinlogs, nightlyBackup } from '../marketplace/backup/index.js';
import type { Pool, ResultSetHeader } from '../marketplace/mysql/connection.js';
import { expirePendingPayments } from '../marketplace/payments/expire-pending.js';
import type { PaymentsPort } from '../marketplace/payments/port.js';
import { refreshDashboards } from '../reports/export/build-dashboards.js';
import { sendUsageReport } from '../reports/jobs/send-usage-report.js';
import { anyAlertEnabled } from '../reports/subscriptions/alert-store.js';
import { evaluateAlerts } from '../reports/subscriptions/evaluate-alerts.js';
import { sendDueSubscriptions } from '../reports/subscriptions/send-subscriptions.js';
import { anySubscriptionEnabled } from '../reports/subscriptions/subscription-store.js';
import type { ClickHouseClient } from '../warehouse/client.js';
import type { ScheduledJob } from '../pipelines/scheduler/job.js';

export interface JobDependencies {
  pool: Pool;
  /** The time zone the business keeps its days in (reports, "nightly"). */
  timezone: string;
  /** The live database and the backup folder; without them there are no backup jobs. */
  backup?: { url: string; dir: string };
  /** Usage reports: who gets them, and the warehouse to count from (lent for one run). */
  reports?: {
    recipients: readonly string[];
    withWarehouse<T>(work: (client: ClickHouseClient) => Promise<T>): Promise<T>;
    /** The dashboards' rebuild interval (DASHBOARD_REBUILD_MINUTES); default 5; 0 rebuilds nightly (05:30) and on demand only. */
    dashboardRebuildMinutes?: number;
    /** Where the dashboards are built and served from (under DATA_DIR). */
    dashboardsDir: string;
    /** Letters in the bus's dead-letter topics, for the dead-letter alert check; absent where this process has no bus. */
    deadLetters?: () => Promise<number>;
  };
  /** The payment provider, and how long an order may stay unpaid; without it no payment jobs. */
  payments?: { port: PaymentsPort; expiryMinutes: number };
}

export function platformJobs(deps: JobDependencies): ScheduledJob[] {
  const jobs: ScheduledJob[] = [
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
  const payments = deps.payments;
  if (payments) {
    jobs.push({
      name: 'payments.expire-unpaid',
      description: `Cancels orders not paid within STRIPE_PAYMENT_EXPIRY_MINUTES (${payments.expiryMinutes}): their payment is cancelled at Stripe and their listing is for sale again.`,
      cron: '*/5 * * * *',
      timezone: 'UTC',
      timeLimitMs: 4 * 60_000,
      missed: 'skip',
      async run({ log, signal }) {
        const result = await expirePendingPayments(deps.pool, payments.port, payments.expiryMinutes, log, signal);
        const summary = `${result.cancelled} unpaid order(s) cancelled, ${result.paidMeanwhile} found paid at Stripe and settled, ${result.processing} still processing`;
        // A failed run shows in the ledger with Stripe's reason; the next run tries those orders again.
        if (result.failed.length > 0) throw new Error(`${summary}; ${result.failed.length} could not be cancelled (order ${result.failed[0]!.orderId}: ${result.failed[0]!.reason})`);
        return summary;
      },
    });
  }
  const backup = deps.backup;
  if (backup) {
    jobs.push({
      name: 'backups.nightly',
      description: 'A consistent backup, the binlogs since the last one archived, the backup restored into a scratch server to prove it, old ones pruned (7 daily, 4 weekly, 12 monthly).',
      cron: '30 2 * * *',
      timezone: deps.timezone,
      timeLimitMs: 3 * 3_600_000,
      missed: 'catch-up',
      run: ({ log }) => nightlyBackup({ url: backup.url, backupDir: backup.dir, log }),
    }, {
      name: 'backups.archive-binlogs',
      description: 'Archives the binlog written since the last archive, so a restore can reach within the hour.',
      cron: '5 * * * *',
      timezone: deps.timezone,
      timeLimitMs: 30 * 60_000,
      missed: 'skip',
      async run({ log }) {
        const archived = await archiveBinlogs(backup.url, backup.dir, log);
        return `${archived.length} binlog(s) archived`;
      },
    });
  }
  const reports = deps.reports;
  if (reports) {
    jobs.push({
      name: 'reports.refresh-dashboards',
      description: 'Exports the warehouse numbers the dashboards show and rebuilds them (Evidence) beside the served ones, then switches /reports on the admin server to the new build; an unchanged warehouse keeps the last build.',
      // Live dashboards: every few minutes. A build still running when the next is due makes that one a no-op (one at a time).
      // 0 leaves one build a night (an Evidence build takes a core for a minute or more), and on demand.
      cron: reports.dashboardRebuildMinutes === 0 ? '30 5 * * *' : `*/${reports.dashboardRebuildMinutes ?? 5} * * * *`,
      timezone: deps.timezone,
      timeLimitMs: 30 * 60_000,
      missed: 'skip',
      run: ({ log, signal }) => refreshDashboards({ warehouse: (work) => reports.withWarehouse(work), log, signal, dashboardsDir: reports.dashboardsDir }),
    });
  }
  if (reports) {
    // Staff's own subscriptions and alerts (managed at /admin/subscriptions and /admin/alerts): a
    // missed run is not caught up, the next one finds what is due by then. With none, a run does
    // not open the warehouse.
    jobs.push({
      name: 'reports.subscriptions',
      description: 'Mails the staff subscriptions that are due (a dashboard page or a saved query as CSV; nothing when the result is empty).',
      cron: '*/5 * * * *',
      timezone: 'UTC',
      timeLimitMs: 10 * 60_000,
      missed: 'skip',
      run: async ({ scheduledFor, log }) => (await anySubscriptionEnabled(deps.pool)
        ? reports.withWarehouse((warehouse) => sendDueSubscriptions({ pool: deps.pool, warehouse, log, now: scheduledFor }))
        : 'no subscriptions'),
    }, {
      name: 'reports.alerts',
      description: 'Checks the staff threshold alerts and mails each once when it enters breach, with the values.',
      cron: '* * * * *',
      timezone: 'UTC',
      timeLimitMs: 5 * 60_000,
      missed: 'skip',
      run: async ({ scheduledFor, log }) => (await anyAlertEnabled(deps.pool)
        ? reports.withWarehouse((warehouse) => evaluateAlerts({ pool: deps.pool, warehouse, log, now: scheduledFor, deadLetters: reports.deadLetters }))
        : 'no alerts'),
    });
  }
  if (reports && reports.recipients.length > 0) {
    for (const [kind, cron] of [['daily', '0 6 * * *'], ['weekly', '0 7 * * 1']] as const) {
      jobs.push({
        name: `reports.${kind}-usage`,
        description: `Emails the ${kind} usage report (key numbers against the period before, CSV detail) to REPORT_RECIPIENTS.`,
        cron,
        timezone: deps.timezone,
        timeLimitMs: 30 * 60_000,
        missed: 'catch-up',
        run: ({ scheduledFor }) => reports.withWarehouse((warehouse) => sendUsageReport({
          kind, at: scheduledFor, timezone: deps.timezone, recipients: reports.recipients, pool: deps.pool, warehouse,
        })),
      });
    }
  }
  return jobs;
}
