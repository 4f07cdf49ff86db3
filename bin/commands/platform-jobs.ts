import type { Config } from '../../core/config/index.js';
import type { Pool } from '../../marketplace/mysql/connection.js';
import type { Bus } from '../../pipelines/bus/port.js';
import type { ScheduledJob } from '../../pipelines/scheduler/index.js';
import { DeadLetterCounter } from '../../pipelines/status/dead-letter-counts.js';
import { dashboardsDirOf } from '../../reports/export/build-dashboards.js';
import { platformJobs } from '../job-catalogue.js';
import { paymentsFromConfig } from '../../marketplace/payments/index.js';
import { openWarehouse, type ClickHouseClient } from '../../warehouse/index.js';

/**
 * The platform's jobs wired to this process's resources. `warehouse` is the client of a process
 * that holds one already (`up` owns the chDB folder); otherwise a run opens its own and closes it.
 * With `bus`, the dead-letter alert counts the letters in its dead-letter topics too.
 */
export function jobsFor(config: Config, db: { pool: Pool; source: { url: string } }, warehouse?: ClickHouseClient, bus?: Bus): ScheduledJob[] {
  const counter = bus && new DeadLetterCounter(bus, config.topicPrefix);
  const payments = paymentsFromConfig(config.payments);
  return platformJobs({
    pool: db.pool,
    payments: payments && config.payments.stripe && { port: payments, expiryMinutes: config.payments.stripe.paymentExpiryMinutes },
    timezone: config.scheduler.timezone,
    backup: { url: db.source.url, dir: config.backup.dir },
    reports: {
      recipients: config.reports.recipients,
      dashboardRebuildMinutes: config.reports.dashboardRebuildMinutes,
      dashboardsDir: dashboardsDirOf(config.dataDir),
      deadLetters: counter && (async () => (await counter.count()).reduce((sum, topic) => sum + topic.count, 0)),
      async withWarehouse(work) {
        if (warehouse) return work(warehouse);
        const client = openWarehouse(config);
        try {
          return await work(client);
        } finally {
          await client.close();
        }
      },
    },
  });
}
