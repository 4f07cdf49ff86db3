// The numbers of a usage report, from the warehouse's raw layer (current rows, FINAL): signups,
// new listings and their top categories, orders and GMV per currency (cancelled and refunded left
// out), messages, listings removed; for the period, the one before, and per hour (daily) or local
// day (weekly) for the attachment.
import type { ClickHouseClient } from '../../warehouse/client.js';
import { bucketStarts, type ReportPeriod } from './report-period.js';
import { IS_SALE } from '../../warehouse/sale-statuses.js';

export interface UsageTotals {
  signups: number;
  listings: number;
  orders: number;
  messages: number;
  removals: number;
  /** GMV in minor units per ISO 4217 currency (lower case). */
  gmv: Record<string, number>;
}

export interface UsageBucket extends UsageTotals {
  start: string;
}

export interface UsageReport {
  period: { kind: ReportPeriod['kind']; timezone: string; from: string; to: string; previous_from: string };
  current: UsageTotals;
  previous: UsageTotals;
  /** The most listed categories of the period, with their count in the period before. */
  top_categories: { category: string; listings: number; previous: number }[];
  buckets: UsageBucket[];
}

// Every listing ever created, deleted or not: FINAL drops deleted rows, and a listing deleted the
// same day was still listed (the dashboards' daily_listings counts the same way).
// Aliases named apart from the columns: ClickHouse would let them shadow the columns they read.
const LISTED = 'SELECT id, argMax(created_at, _version) AS listed_at, argMax(category, _version) AS listed_in FROM raw.listings GROUP BY id';

const COUNTS = {
  signups: 'SELECT created_at AS at FROM raw.users FINAL',
  listings: `SELECT listed_at AS at FROM (${LISTED})`,
  messages: 'SELECT created_at AS at FROM raw.messages FINAL',
  // FINAL here too: a redelivered event is a second copy of the row until a merge removes it.
  removals: "SELECT created_at AS at FROM raw.domain_events FINAL WHERE type = 'listing.removed'",
} as const;

const ORDERS = `SELECT created_at AS at, currency, amount FROM raw.orders FINAL WHERE ${IS_SALE}`;

const emptyTotals = (): UsageTotals => ({ signups: 0, listings: 0, orders: 0, messages: 0, removals: 0, gmv: {} });

/** Seconds since the epoch, as ClickHouse compares them. */
const seconds = (at: Date) => Math.floor(at.getTime() / 1000);

async function rows<T>(client: ClickHouseClient, query: string, params: Record<string, unknown>): Promise<T[]> {
  const result = await client.query({ query, query_params: params, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
  return result.json<T>();
}

export async function collectUsage(client: ClickHouseClient, period: ReportPeriod): Promise<UsageReport> {
  const starts = bucketStarts(period);
  const params = { previous: seconds(period.previousFrom), from: seconds(period.from), to: seconds(period.to), starts: starts.map(seconds) };
  // -1 is the previous period; 0.. are the buckets of this one (hours, or local days of 23-25 h).
  const bucketOf = 'arrayCount(s -> s <= toUnixTimestamp(at), {starts:Array(Int64)}) - 1';
  const within = 'toUnixTimestamp(at) >= {previous:Int64} AND toUnixTimestamp(at) < {to:Int64}';

  const buckets: UsageBucket[] = starts.map((start) => ({ start: start.toISOString(), ...emptyTotals() }));
  const current = emptyTotals();
  const previous = emptyTotals();
  const totalsFor = (bucket: number): UsageTotals | undefined => (bucket < 0 ? previous : buckets[bucket]);

  for (const [metric, select] of Object.entries(COUNTS) as [keyof typeof COUNTS, string][]) {
    const counted = await rows<{ bucket: number; n: number }>(client, `SELECT ${bucketOf} AS bucket, count() AS n FROM (${select}) WHERE ${within} GROUP BY bucket`, params);
    for (const { bucket, n } of counted) {
      const totals = totalsFor(Number(bucket));
      if (!totals) continue;
      totals[metric] += Number(n);
      if (Number(bucket) >= 0) current[metric] += Number(n);
    }
  }
  const orders = await rows<{ bucket: number; currency: string; n: number; gmv: number }>(
    client, `SELECT ${bucketOf} AS bucket, currency, count() AS n, sum(amount) AS gmv FROM (${ORDERS}) WHERE ${within} GROUP BY bucket, currency`, params,
  );
  for (const { bucket, currency, n, gmv } of orders) {
    const targets = [totalsFor(Number(bucket)), ...(Number(bucket) >= 0 ? [current] : [])].filter((t): t is UsageTotals => Boolean(t));
    for (const totals of targets) {
      totals.orders += Number(n);
      totals.gmv[currency] = (totals.gmv[currency] ?? 0) + Number(gmv);
    }
  }
  const topCategories = await rows<{ category: string; in_period: number; in_previous: number }>(
    client,
    `SELECT listed_in AS category, countIf(toUnixTimestamp(listed_at) >= {from:Int64}) AS in_period, countIf(toUnixTimestamp(listed_at) < {from:Int64}) AS in_previous
     FROM (${LISTED}) WHERE toUnixTimestamp(listed_at) >= {previous:Int64} AND toUnixTimestamp(listed_at) < {to:Int64}
     GROUP BY category HAVING in_period > 0 ORDER BY in_period DESC, category LIMIT 5`,
    params,
  );
  return {
    period: { kind: period.kind, timezone: period.timezone, from: period.from.toISOString(), to: period.to.toISOString(), previous_from: period.previousFrom.toISOString() },
    current, previous, top_categories: topCategories.map((row) => ({ category: row.category, listings: Number(row.in_period), previous: Number(row.in_previous) })), buckets,
  };
}
