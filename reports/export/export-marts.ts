// The dashboards' data: query results from the warehouse written as Parquet files into the Evidence
// project's source folder. ClickHouse writes the Parquet itself, so days stay dates and counts stay
// numbers (no type guessing on the Evidence side). Run by the process that holds the warehouse
// (chDB allows one), then `evidence sources && evidence build` turns them into the site.
import { createWriteStream, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ClickHouseClient } from '../../warehouse/client.js';

/** Zero-filled statuses: every known one gets a row, and a status the list lacks still shows. */
function countsByStatus(known: readonly string[], counts: string, as: string): string {
  return `SELECT status, sum(n) AS ${as} FROM (
      SELECT arrayJoin([${known.map((s) => `'${s}'`).join(', ')}]) AS status, toUInt64(0) AS n
      UNION ALL ${counts}
    ) GROUP BY status ORDER BY status`;
}

/**
 * One Parquet file per query; the names are the tables the pages query (`warehouse.<name>`), each
 * read by `sources/warehouse/<name>.sql`. Money is in major units (Float64), counts are UInt64.
 */
export const DASHBOARD_QUERIES: Record<string, string> = {
  daily_listings: `SELECT day, category, city, sum(listings) AS listings FROM marts.daily_listings
    WHERE day >= today() - 90 GROUP BY day, category, city ORDER BY day, category, city`,
  orders_daily: `SELECT day, category, currency, sum(orders) AS orders, toFloat64(sum(gmv_minor)) / 100 AS gmv FROM marts.orders_daily
    WHERE day >= today() - 90 GROUP BY day, category, currency ORDER BY day, category, currency`,
  user_cohorts: `SELECT formatDateTime(signup_month, '%Y-%m') AS signup_month, users, listed_within_90_days, toFloat64(conversion) AS conversion
    FROM marts.user_cohorts ORDER BY signup_month`,
  // Every day of the last 30, so a quiet day shows as zero rather than as a gap.
  webhook_deliveries: `SELECT day, status, sum(n) AS deliveries FROM (
      SELECT today() - number AS day, status, toUInt64(0) AS n
      FROM numbers(30) AS d CROSS JOIN (SELECT arrayJoin(['pending', 'succeeded', 'retrying', 'failed', 'dead']) AS status) AS s
      UNION ALL
      SELECT toDate(created_at) AS day, toString(status) AS status, count() AS n FROM raw.webhook_deliveries FINAL
      WHERE created_at >= today() - 29 GROUP BY day, status
    ) GROUP BY day, status ORDER BY day, status`,
  // How long a domain event took from its MySQL transaction to the warehouse (change capture, bus,
  // loader): its first arrival, so a redelivery does not count as a delay. A backfill or a new
  // snapshot shows as a spike on the day of the events it loaded. Milliseconds from the Unix
  // times: dateDiff across DateTime64 precisions (6 and 3 here) gave wrong answers.
  capture_delay: `SELECT d.day AS day, ifNull(e.events, 0) AS events, e.p50_seconds AS p50_seconds, e.p95_seconds AS p95_seconds
    FROM (SELECT today() - number AS day FROM numbers(30)) AS d
    LEFT JOIN (
      SELECT toDate(written_at) AS day, count() AS events,
             quantile(0.5)(toUnixTimestamp64Milli(synced_at) - toUnixTimestamp64Milli(written_at)) / 1000 AS p50_seconds,
             quantile(0.95)(toUnixTimestamp64Milli(synced_at) - toUnixTimestamp64Milli(written_at)) / 1000 AS p95_seconds
      FROM (SELECT id, any(created_at) AS written_at, min(_synced_at) AS synced_at FROM raw.domain_events
            WHERE created_at >= today() - 29 GROUP BY id)
      GROUP BY day
    ) AS e ON e.day = d.day
    ORDER BY day
    SETTINGS join_use_nulls = 1`,
  email_statuses: countsByStatus(['queued', 'rendering', 'sending', 'sent', 'failed_retrying', 'dead'],
    'SELECT toString(status) AS status, count() AS n FROM raw.email_messages FINAL GROUP BY status', 'emails'),
  // One row always (an aggregate without GROUP BY): empty values until the first nightly backup.
  last_backup: `SELECT formatDateTime(maxOrNull(finished_at), '%Y-%m-%d %H:%i:%S') AS last_finished_at, argMaxOrNull(toString(status), finished_at) AS last_status,
    argMaxOrNull(summary, finished_at) AS last_summary FROM raw.job_runs FINAL WHERE job = 'backups.nightly' AND status <> 'skipped'`,
  job_runs: countsByStatus(['running', 'succeeded', 'failed', 'timed_out', 'skipped'],
    'SELECT toString(status) AS status, count() AS n FROM raw.job_runs FINAL WHERE scheduled_for >= now() - INTERVAL 30 DAY GROUP BY status', 'runs'),
};

/** Writes every dashboard Parquet file into `dir` (each replaced whole, never half-written); returns rows per file. */
export async function exportDashboardData(client: ClickHouseClient, dir: string): Promise<Record<string, number>> {
  mkdirSync(dir, { recursive: true });
  const counts: Record<string, number> = {};
  for (const [name, query] of Object.entries(DASHBOARD_QUERIES)) {
    const path = join(dir, `${name}.parquet`);
    const result = await client.exec({ query: `${query} FORMAT Parquet` });
    await pipeline(result.stream, createWriteStream(`${path}.partial`));
    renameSync(`${path}.partial`, path);
    const count = await client.query({ query: `SELECT count() AS n FROM (${query})`, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
    counts[name] = Number((await count.json<{ n: number }>())[0]?.n ?? 0);
  }
  return counts;
}
