// What an alert measures: its own saved query (one row; the `value` column, or the first), or a
// built-in check. Every check gives a number (or none, when there is nothing to compare) and the
// figures behind it, and the alert compares the number with its threshold.
import type { Pool, RowDataPacket } from '../../marketplace/mysql/connection.js';
import { analystQuery } from '../../warehouse/analyst-query.js';
import type { ClickHouseClient } from '../../warehouse/client.js';

export const COMPARISONS = ['>', '>=', '<', '<=', '=', '!='] as const;
export type Comparison = (typeof COMPARISONS)[number];

export interface CheckContext {
  pool: Pool;
  warehouse: ClickHouseClient;
  /** When the check runs: "today" and "last week" are counted from it (UTC days). */
  at: Date;
  /** Letters in the bus's dead-letter topics, where the process has the bus. */
  deadLetters?: () => Promise<number>;
}

export interface Measurement {
  /** Null when there is nothing to compare (no orders last week to halve): never a breach. */
  value: number | null;
  /** The figures behind the value, mailed with the alert. */
  details: Record<string, number | string>;
}

export interface BuiltInCheck {
  description: string;
  /** The defaults a new alert takes; both are stored with the alert and may be changed. */
  comparison: Comparison;
  threshold: number;
  measure(context: CheckContext): Promise<Measurement>;
}

const DAY_MS = 86_400_000;
const seconds = (at: Date) => Math.floor(at.getTime() / 1000);

async function ordersAgainstLastWeek(context: CheckContext): Promise<Measurement> {
  const now = context.at;
  const todayStart = new Date(Math.floor(now.getTime() / DAY_MS) * DAY_MS);
  const weekAgo = new Date(now.getTime() - 7 * DAY_MS);
  const weekAgoStart = new Date(todayStart.getTime() - 7 * DAY_MS);
  // The same stretch of the day a week ago (midnight to this time of day), so a morning is not
  // compared with a whole day.
  const result = await context.warehouse.query({
    query: `SELECT countIf(toUnixTimestamp(created_at) >= {today:Int64} AND toUnixTimestamp(created_at) < {now:Int64}) AS today,
                   countIf(toUnixTimestamp(created_at) >= {weekStart:Int64} AND toUnixTimestamp(created_at) < {weekNow:Int64}) AS last_week
            FROM raw.orders FINAL WHERE _is_deleted = 0 AND toUnixTimestamp(created_at) >= {weekStart:Int64}`,
    query_params: { today: seconds(todayStart), now: seconds(now), weekStart: seconds(weekAgoStart), weekNow: seconds(weekAgo) },
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
  });
  const [row] = await result.json<{ today: number; last_week: number }>();
  const today = Number(row?.today ?? 0);
  const lastWeek = Number(row?.last_week ?? 0);
  const details = { orders_today: today, orders_same_weekday_last_week: lastWeek, up_to: now.toISOString().slice(11, 16) + ' UTC' };
  return { value: lastWeek === 0 ? null : Math.round((today / lastWeek) * 1000) / 1000, details };
}

async function deadLetters(context: CheckContext): Promise<Measurement> {
  const [[row]] = await context.pool.query<RowDataPacket[]>(
    "SELECT (SELECT COUNT(*) FROM email_messages WHERE status = 'dead') AS emails, (SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'dead') AS webhooks",
  );
  const details: Record<string, number> = { dead_emails: Number(row!.emails), dead_webhook_deliveries: Number(row!.webhooks) };
  if (context.deadLetters) details.dead_letter_topics = await context.deadLetters();
  return { value: Object.values(details).reduce((sum, n) => sum + n, 0), details };
}

export const BUILT_IN_CHECKS: Record<string, BuiltInCheck> = {
  orders_today_below_half_same_weekday_last_week: {
    description: 'Orders so far today (UTC) divided by orders in the same hours of the same weekday last week; fires below the threshold (0.5: under half).',
    comparison: '<',
    threshold: 0.5,
    measure: ordersAgainstLastWeek,
  },
  dead_letters_above_zero: {
    description: 'Dead emails, dead webhook deliveries and, where the process has the bus, letters in the dead-letter topics; fires above the threshold.',
    comparison: '>',
    threshold: 0,
    measure: deadLetters,
  },
};

/** A saved query's one row: its `value` column, or the first; every column goes in the details. */
export async function measureQuery(context: CheckContext, sql: string): Promise<Measurement> {
  const output = (await analystQuery(context.warehouse, sql, { format: 'json', maxRows: 1000, timeoutSeconds: 60 })).toString('utf8');
  const first = output.split('\n').find((line) => line.trim() !== '');
  if (!first) return { value: null, details: { rows: 0 } };
  const row = JSON.parse(first) as Record<string, unknown>;
  const raw = 'value' in row ? row.value : Object.values(row)[0];
  const value = raw === null || raw === undefined || raw === '' ? null : Number(raw);
  if (value !== null && !Number.isFinite(value)) throw new Error(`the query's ${'value' in row ? 'value' : 'first'} column is ${JSON.stringify(raw)}, not a number`);
  const details = Object.fromEntries(Object.entries(row).map(([key, cell]) => [key, typeof cell === 'number' ? cell : String(cell)]));
  return { value, details };
}

export function breaches(value: number | null, comparison: Comparison, threshold: number): boolean {
  if (value === null) return false;
  switch (comparison) {
    case '>': return value > threshold;
    case '>=': return value >= threshold;
    case '<': return value < threshold;
    case '<=': return value <= threshold;
    case '=': return value === threshold;
    case '!=': return value !== threshold;
  }
}
