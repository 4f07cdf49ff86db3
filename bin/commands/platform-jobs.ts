import type { Config } from '../../core/config/index.js';
import type { Pool } from '../../marketplace/mysql/connection.js';
import type { ScheduledJob } from '../../pipelines/scheduler/index.js';
import { dashboardsDirOf } from '../../reports/export/build-dashboards.js';
import { platformJobs } from '../job-catalogue.js';
import { openWarehouse, type ClickHouseClient } from '../../warehouse/index.js';

/**
 * The platform's jobs wired to this process's resources. `warehouse` is the client of a process
 * that holds one already (`up` owns the chDB folder); otherwise a run opens its own and closes it.
 */
export function jobsFor(config: Config, db: { pool: Pool; source: { url: string } }, warehouse?: ClickHouseClient): ScheduledJob[] {
  return platformJobs({
    pool: db.pool,
    timezone: config.scheduler.timezone,
    backup: { url: db.source.url, dir: config.backup.dir },
    reports: {
      recipients: config.reports.recipients,
      dashboardRebuildMinutes: config.reports.dashboardRebuildMinutes,
      dashboardsDir: dashboardsDirOf(config.dataDir),
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
