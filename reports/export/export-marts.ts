// The dashboards' data: query results from the warehouse written as Parquet files into the Evidence
// project's source folder. ClickHouse writes the Parquet itself, so days stay dates and counts stay
// numbers (no type guessing on the Evidence side). Run by the process that holds the warehouse
// (chDB allows one), then `evidence sources && evidence build` turns them into the site.
import { createWriteStream, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ClickHouseClient } from '../../warehouse/client.js';
import { DATA_AS_OF, formatDataAsOf, pagesDataAsOf, type PageDataAsOf } from './data-as-of.js';
import { dashboardPages, DEFAULT_PAGES_DIR, pageTables } from './page-tables.js';
import { martsRead, waitForMarts } from './wait-for-marts.js';

/** Zero-filled statuses: every known one gets a row, and a status the list lacks still shows. */
function countsByStatus(known: readonly string[], counts: string, as: string): string {
  return `SELECT status, sum(n) AS ${as} FROM (
      SELECT arrayJoin([${known.map((s) => `'${s}'`).join(', ')}]) AS status, toUInt64(0) AS n
      UNION ALL ${counts}
    ) GROUP BY status ORDER BY status`;
}

/**
 * Orders and GMV (major units, per currency) in the last 30 days (today included) and the 30
 * before them, grouped by `by`, from the daily mart. An order whose listing the warehouse lacks
 * has '' there, shown as "unknown".
 */
const withPreviousPeriod = (by: 'category' | 'country') => `SELECT ${by}, upper(currency) AS currency,
    sumIf(n, current) AS orders, sumIf(n, NOT current) AS orders_previous,
    toFloat64(sumIf(minor, current)) / 100 AS gmv, toFloat64(sumIf(minor, NOT current)) / 100 AS gmv_previous
  FROM (
    SELECT if(empty(category), 'unknown', category) AS category, if(empty(country), '??', country) AS country, currency,
           orders AS n, gmv_minor AS minor, day >= today() - 29 AS current
    FROM marts.orders_by_place_daily WHERE day >= today() - 59
  ) GROUP BY ${by}, currency ORDER BY gmv DESC, ${by}, currency`;
/** Every day of the last 30, for a daily series that shows a quiet day as zero rather than as a gap. */
const LAST_30_DAYS = 'SELECT today() - number AS day FROM numbers(30)';

/**
 * One Parquet file per query; the names are the tables the pages query (`warehouse.<name>`), each
 * read by `sources/warehouse/<name>.sql`. Money is in major units (Float64), counts are UInt64.
 */
export const DASHBOARD_QUERIES: Record<string, string> = {
  daily_listings: `SELECT day, category, city, sum(listings) AS listings FROM marts.daily_listings
    WHERE day >= today() - 90 GROUP BY day, category, city ORDER BY day, category, city`,
  orders_daily: `SELECT day, category, upper(currency) AS currency, sum(orders) AS orders, toFloat64(sum(gmv_minor)) / 100 AS gmv FROM marts.orders_daily
    WHERE day >= today() - 90 GROUP BY day, category, currency ORDER BY day, category, currency`,
  // Per day of the last 30 and currency, zero-filled: one order on one day still draws a month's axis.
  orders_by_day: `SELECT day, currency, sum(orders) AS orders, sum(gmv) AS gmv FROM (
      SELECT d.day AS day, c.currency AS currency, toUInt64(0) AS orders, toFloat64(0) AS gmv
      FROM (${LAST_30_DAYS}) AS d CROSS JOIN (SELECT DISTINCT upper(currency) AS currency FROM marts.orders_daily WHERE day >= today() - 29) AS c
      UNION ALL
      SELECT day, upper(currency), sum(orders), toFloat64(sum(gmv_minor)) / 100 FROM marts.orders_daily WHERE day >= today() - 29 GROUP BY day, currency
    ) GROUP BY day, currency ORDER BY day, currency`,
  // Sign-up -> first listing -> first sale, by the month people signed up.
  funnel_cohorts: `SELECT formatDateTime(cohort_month, '%Y-%m') AS cohort, signed_up, listed, sold FROM marts.funnel_cohorts ORDER BY cohort`,
  gmv_by_category: withPreviousPeriod('category'),
  gmv_by_country: withPreviousPeriod('country'),
  // The sellers with the most sales in the last 30 days (their takings per currency beside it).
  top_sellers: `SELECT seller_id, seller, upper(currency) AS currency, orders, toFloat64(gmv_minor) / 100 AS gmv
    FROM marts.seller_sales_30d ORDER BY orders DESC, gmv_minor DESC, seller_id, currency LIMIT 25`,
  // Per city: what is offered against what is asked for, over the last 30 days; the busiest first.
  supply_demand: `SELECT country, city, active_listings, new_listings, orders, messages FROM marts.city_supply_demand_30d
    ORDER BY active_listings + orders DESC, country, city LIMIT 100`,
  // Moderation per day: complaints filed and settled, listings removed and users warned by staff.
  moderation_daily: `SELECT d.day AS day, sum(c.filed) AS complaints, sum(c.settled) AS settled, sum(c.removals) AS removals, sum(c.warnings) AS warnings
    FROM (${LAST_30_DAYS}) AS d
    LEFT JOIN (
      SELECT day, sum(filed) AS filed, sum(settled) AS settled, sum(removals) AS removals, sum(warnings) AS warnings FROM (
        SELECT toDate(created_at) AS day, count() AS filed, toUInt64(0) AS settled, toUInt64(0) AS removals, toUInt64(0) AS warnings
          FROM raw.complaints FINAL WHERE _is_deleted = 0 GROUP BY day
        UNION ALL
        SELECT toDate(resolved_at), toUInt64(0), count(), toUInt64(0), toUInt64(0)
          FROM raw.complaints FINAL WHERE _is_deleted = 0 AND resolved_at IS NOT NULL GROUP BY toDate(resolved_at)
        UNION ALL
        SELECT toDate(created_at), toUInt64(0), toUInt64(0), count(), toUInt64(0)
          FROM raw.admin_audit FINAL WHERE action = 'listing.remove' GROUP BY toDate(created_at)
        UNION ALL
        SELECT toDate(created_at), toUInt64(0), toUInt64(0), toUInt64(0), count()
          FROM raw.user_warnings FINAL WHERE _is_deleted = 0 GROUP BY toDate(created_at)
      ) GROUP BY day
    ) AS c ON c.day = d.day
    GROUP BY day ORDER BY day`,
  complaints_by_reason: `SELECT toString(reason) AS reason, toString(status) AS status, count() AS complaints
    FROM raw.complaints FINAL WHERE _is_deleted = 0 AND created_at >= now() - INTERVAL 30 DAY GROUP BY reason, status ORDER BY reason, status`,
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

/** Writes one query's answer as `<name>.parquet` in `dir`, replaced whole (never half-written). */
async function writeParquet(client: ClickHouseClient, dir: string, name: string, query: string, params?: Record<string, unknown>): Promise<void> {
  const path = join(dir, `${name}.parquet`);
  const result = await client.exec({ query: `${query} FORMAT Parquet`, query_params: params });
  await pipeline(result.stream, createWriteStream(`${path}.partial`));
  renameSync(`${path}.partial`, path);
}

export interface DashboardExport {
  /** Rows per exported table. */
  rows: Record<string, number>;
  /** When the export began: the age of every table read from the raw layer. */
  at: Date;
  /** Each page's "data as of" (also written as the data_as_of table the pages show). */
  pages: PageDataAsOf[];
}

/**
 * Writes every dashboard Parquet file into `dir`, and beside them each page's "data as of": the
 * marts' refresh times are read first, so a refresh that lands during the export can only make a
 * page's data newer than it says, never older.
 */
export async function exportDashboardData(
  client: ClickHouseClient, dir: string, pagesDir = DEFAULT_PAGES_DIR, options: { martsTimeoutMs?: number; waitingForMarts?: (missing: string[]) => void } = {},
): Promise<DashboardExport> {
  const refreshed = await waitForMarts(client, martsRead(DASHBOARD_QUERIES), { timeoutMs: options.martsTimeoutMs, waiting: options.waitingForMarts });
  const at = new Date();
  mkdirSync(dir, { recursive: true });
  const counts: Record<string, number> = {};
  for (const [name, query] of Object.entries(DASHBOARD_QUERIES)) {
    await writeParquet(client, dir, name, query);
    const count = await client.query({ query: `SELECT count() AS n FROM (${query})`, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
    counts[name] = Number((await count.json<{ n: number }>())[0]?.n ?? 0);
  }
  const pageTablesByName = Object.fromEntries(dashboardPages(pagesDir).map((page) => [page, pageTables(readFileSync(join(pagesDir, `${page}.md`), 'utf8'), DASHBOARD_QUERIES)]));
  const pages = pagesDataAsOf(pageTablesByName, DASHBOARD_QUERIES, refreshed, at.getTime());
  const dated = pages.filter((page) => page.asOfMs !== undefined);
  await writeParquet(client, dir, DATA_AS_OF,
    'SELECT t.1 AS page, t.2 AS data_as_of FROM (SELECT arrayJoin(arrayZip({pages:Array(String)}, {times:Array(String)})) AS t) ORDER BY page',
    { pages: dated.map((page) => page.page), times: dated.map((page) => formatDataAsOf(page.asOfMs!)) });
  return { rows: counts, at, pages };
}
