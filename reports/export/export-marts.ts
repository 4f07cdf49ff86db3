// The dashboards' data: query results from the warehouse written as CSV files into the Evidence
// project's source folder. Run by the process that holds the warehouse (chDB allows one), then
// `evidence sources && evidence build` turns them into the site.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '../../warehouse/client.js';

/** One CSV per query; the names are the tables the pages query (`warehouse.<name>`). */
export const DASHBOARD_QUERIES: Record<string, string> = {
  daily_listings: `SELECT day, category, city, sum(listings) AS listings FROM marts.daily_listings
    WHERE day >= today() - 90 GROUP BY day, category, city ORDER BY day, category, city`,
  orders_daily: `SELECT day, category, currency, sum(orders) AS orders, sum(gmv_minor) / 100 AS gmv FROM marts.orders_daily
    WHERE day >= today() - 90 GROUP BY day, category, currency ORDER BY day, category, currency`,
  user_cohorts: `SELECT formatDateTime(signup_month, '%Y-%m') AS signup_month, users, listed_within_90_days, conversion
    FROM marts.user_cohorts ORDER BY signup_month`,
  // The platform's own tables are zero-filled: Evidence cannot build a page over an empty source.
  webhook_deliveries: `SELECT d.day AS day, s.status AS status, ifNull(c.deliveries, 0) AS deliveries
    FROM (SELECT arrayJoin(arrayMap(i -> today() - i, range(30))) AS day) AS d
    CROSS JOIN (SELECT arrayJoin(['succeeded', 'retrying', 'failed', 'dead']) AS status) AS s
    LEFT JOIN (SELECT toDate(created_at) AS day, toString(status) AS status, count() AS deliveries FROM raw.webhook_deliveries FINAL
               WHERE created_at >= today() - 30 GROUP BY day, status) AS c ON c.day = d.day AND c.status = s.status
    ORDER BY day, status`,
  email_statuses: `SELECT s.status AS status, ifNull(c.emails, 0) AS emails
    FROM (SELECT arrayJoin(['queued', 'rendering', 'sending', 'sent', 'failed_retrying', 'dead']) AS status) AS s
    LEFT JOIN (SELECT toString(status) AS status, count() AS emails FROM raw.email_messages FINAL GROUP BY status) AS c ON c.status = s.status
    ORDER BY status`,
  // One row always (an aggregate without GROUP BY): empty values until the first nightly backup.
  last_backup: `SELECT formatDateTime(maxOrNull(finished_at), '%Y-%m-%d %H:%i:%S') AS last_finished_at, argMaxOrNull(toString(status), finished_at) AS last_status,
    argMaxOrNull(summary, finished_at) AS last_summary FROM raw.job_runs FINAL WHERE job = 'backups.nightly' AND status <> 'skipped'`,
  job_runs: `SELECT s.status AS status, ifNull(c.runs, 0) AS runs
    FROM (SELECT arrayJoin(['succeeded', 'failed', 'timed_out', 'skipped']) AS status) AS s
    LEFT JOIN (SELECT toString(status) AS status, count() AS runs FROM raw.job_runs FINAL
               WHERE scheduled_for >= now() - INTERVAL 30 DAY GROUP BY status) AS c ON c.status = s.status
    ORDER BY status`,
};

function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Writes every dashboard CSV into `dir` (each replaced whole, never half-written); returns rows per file. */
export async function exportDashboardData(client: ClickHouseClient, dir: string): Promise<Record<string, number>> {
  mkdirSync(dir, { recursive: true });
  const counts: Record<string, number> = {};
  for (const [name, query] of Object.entries(DASHBOARD_QUERIES)) {
    const result = await client.query({ query, format: 'JSONCompactEachRowWithNames', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
    const [header, ...rows] = await result.json<unknown[]>();
    const text = [header!, ...rows].map((row) => row.map(csvField).join(',')).join('\n');
    const path = join(dir, `${name}.csv`);
    writeFileSync(`${path}.partial`, `${text}\n`);
    renameSync(`${path}.partial`, path);
    counts[name] = rows.length;
  }
  return counts;
}
