// The modelled layer: the analysts' standing questions, answered ahead of time. Each mart is a
// ClickHouse refreshable materialized view: the warehouse recomputes it from the raw tables every
// MART_REFRESH_SECONDS into a new table and swaps it in whole, so a reader never sees a
// half-built mart, refreshes of one mart never overlap, and a dashboard pays no FINAL or join.
// chDB runs these refreshes in the background of the process that owns the folder.
import { createHash } from 'node:crypto';
import type { ClickHouseClient } from './client.js';
import { ident } from './raw-schema.js';
import { IS_SALE } from './sale-statuses.js';

export const MARTS_DATABASE = 'marts';
export const DEFAULT_MART_REFRESH_SECONDS = 30;

export interface MartDefinition {
  /** Raw tables the mart reads: the newest change of theirs a refresh saw is what it reflects. */
  sources: readonly string[];
  /** The mart table's sorting key: the column its readers filter on. */
  orderBy: string;
  /** The defining query over the raw layer; the mart holds its answer as of the last refresh. */
  select: string;
}

/** Every mart, by name. Adding one is one entry here; the warehouse creates it on its next start. */
export const MARTS: Record<string, MartDefinition> = {
  // Every listing ever created, by the day it was listed, place and category. Deleted listings
  // count too: their raw row keeps the last image, with _is_deleted = 1.
  daily_listings: {
    sources: ['listings'],
    orderBy: 'day',
    select: `
    SELECT toDate(created_at) AS day, country, city, category, count() AS listings
    FROM (
      -- Not FINAL: FINAL drops deleted rows, and a deleted listing was still listed that day.
      SELECT id, argMax(created_at, _version) AS created_at, argMax(country, _version) AS country,
             argMax(city, _version) AS city, argMax(category, _version) AS category
      FROM raw.listings GROUP BY id
    )
    GROUP BY day, country, city, category`,
  },
  // Orders and gross merchandise value by day, listing category and currency (minor units).
  orders_daily: {
    sources: ['orders', 'listings'],
    orderBy: '(day, category, currency)',
    select: `
    SELECT toDate(o.created_at) AS day, l.category AS category, o.currency AS currency,
           count() AS orders, sum(o.amount) AS gmv_minor
    FROM (SELECT * FROM raw.orders FINAL WHERE _is_deleted = 0 AND ${IS_SALE}) AS o
    LEFT JOIN (SELECT id, category FROM raw.listings FINAL) AS l ON l.id = o.listing_id
    GROUP BY day, category, currency`,
  },
  // Users by signup month, and how many of them listed something within 90 days of signing up.
  user_cohorts: {
    sources: ['users', 'listings'],
    orderBy: 'signup_month',
    select: `
    SELECT toStartOfMonth(u.created_at) AS signup_month,
           count() AS users,
           countIf(first_listing_at IS NOT NULL AND first_listing_at <= u.created_at + INTERVAL 90 DAY) AS listed_within_90_days,
           round(listed_within_90_days / users, 4) AS conversion
    FROM (SELECT id, created_at FROM raw.users FINAL WHERE _is_deleted = 0) AS u
    LEFT JOIN (
      SELECT seller_id, min(created_at) AS first_listing_at FROM raw.listings GROUP BY seller_id
    ) AS f ON f.seller_id = u.id
    GROUP BY signup_month
    SETTINGS join_use_nulls = 1`,
  },
  // Orders and GMV by day, the listing's category and country, and currency: the sales page's
  // period-against-period tables sum its days. An order whose listing the warehouse lacks gets ''
  // (no join_use_nulls), which the pages show as unknown.
  orders_by_place_daily: {
    sources: ['orders', 'listings'],
    orderBy: '(day, category, country, currency)',
    select: `
    SELECT toDate(o.created_at) AS day, l.category AS category, l.country AS country, o.currency AS currency,
           count() AS orders, sum(o.amount) AS gmv_minor
    FROM (SELECT * FROM raw.orders FINAL WHERE _is_deleted = 0 AND ${IS_SALE}) AS o
    LEFT JOIN (SELECT id, category, country FROM raw.listings FINAL) AS l ON l.id = o.listing_id
    GROUP BY day, category, country, currency`,
  },
  // Per seller and currency, sales in the last 30 days (today included) and the seller's name now.
  // A window on the day, not the second: answers change at midnight, not between two reads.
  // Sorted by sales: its readers ask for the top few, which ClickHouse then reads from the end.
  seller_sales_30d: {
    sources: ['orders', 'users'],
    orderBy: '(orders, gmv_minor, seller_id, currency)',
    select: `
    SELECT s.seller_id AS seller_id, ifNull(u.name, '') AS seller, s.currency AS currency, s.orders AS orders, s.gmv_minor AS gmv_minor
    FROM (
      SELECT seller_id, currency, count() AS orders, sum(amount) AS gmv_minor FROM raw.orders FINAL
      WHERE _is_deleted = 0 AND ${IS_SALE} AND created_at >= today() - 29
      GROUP BY seller_id, currency
    ) AS s
    LEFT JOIN (SELECT id, name FROM raw.users FINAL) AS u ON u.id = s.seller_id`,
  },
  // Per city, over the last 30 days (today included): what is offered (active listings now, new
  // listings) against what is asked for (orders for listings there, buyers' messages about them).
  city_supply_demand_30d: {
    sources: ['listings', 'orders', 'messages'],
    orderBy: '(country, city)',
    select: `
    SELECT country, city, sum(active) AS active_listings, sum(new) AS new_listings, sum(ordered) AS orders, sum(asked) AS messages
    FROM (
      SELECT country, city, countIf(status = 'active') AS active, countIf(created_at >= today() - 29) AS new,
             toUInt64(0) AS ordered, toUInt64(0) AS asked
      FROM raw.listings FINAL WHERE _is_deleted = 0 GROUP BY country, city
      UNION ALL
      SELECT l.country, l.city, toUInt64(0), toUInt64(0), count(), toUInt64(0)
      FROM (SELECT listing_id FROM raw.orders FINAL
            WHERE _is_deleted = 0 AND ${IS_SALE} AND created_at >= today() - 29) AS o
      JOIN (SELECT id, country, city FROM raw.listings FINAL) AS l ON l.id = o.listing_id
      GROUP BY l.country, l.city
      UNION ALL
      SELECT l.country, l.city, toUInt64(0), toUInt64(0), toUInt64(0), count()
      FROM (SELECT listing_id FROM raw.messages FINAL WHERE _is_deleted = 0 AND created_at >= today() - 29 AND listing_id IS NOT NULL) AS m
      JOIN (SELECT id, country, city FROM raw.listings FINAL) AS l ON l.id = m.listing_id
      GROUP BY l.country, l.city
    ) GROUP BY country, city`,
  },
  // Sign-up -> first listing -> first sale, by the month people signed up. A listing counts once
  // made (a deleted one too: it was listed); a sale is an order for one of their listings that
  // counts as one (sale-statuses.ts: placed or paid, not awaiting payment, cancelled or refunded).
  funnel_cohorts: {
    sources: ['users', 'listings', 'orders'],
    orderBy: 'cohort_month',
    select: `
    SELECT toStartOfMonth(u.created_at) AS cohort_month, count() AS signed_up,
           countIf(f.first_listing_at IS NOT NULL) AS listed, countIf(s.first_sale_at IS NOT NULL) AS sold
    FROM (SELECT id, created_at FROM raw.users FINAL WHERE _is_deleted = 0) AS u
    LEFT JOIN (SELECT seller_id, min(created_at) AS first_listing_at FROM raw.listings GROUP BY seller_id) AS f ON f.seller_id = u.id
    LEFT JOIN (
      SELECT seller_id, min(created_at) AS first_sale_at FROM raw.orders FINAL
      WHERE _is_deleted = 0 AND ${IS_SALE} GROUP BY seller_id
    ) AS s ON s.seller_id = u.id
    GROUP BY cohort_month
    SETTINGS join_use_nulls = 1`,
  },
  // Per seller: listings, sold listings and takings.
  seller_activity: {
    sources: ['listings'],
    orderBy: 'seller_id',
    select: `
    SELECT l.seller_id AS seller_id, count() AS listings, countIf(l.status = 'sold') AS sold,
           countIf(l.status = 'active') AS active, max(l.created_at) AS last_listed_at
    FROM raw.listings AS l FINAL
    WHERE l._is_deleted = 0
    GROUP BY l.seller_id`,
  },
  // The listing checks' price rule: per country, category and currency, the median price of the
  // listings on sale or sold now (deleted ones left out) and how many it was taken over. The
  // exact lower median (quantileExactLow, not the sampled `median`): a real price, and the same
  // answer as the checks' MySQL fallback gives over the same rows. Keys normalized as the checks
  // look them up: country upper case, currency lower case.
  listing_price_medians: {
    sources: ['listings'],
    orderBy: '(country, category, currency)',
    select: `
    SELECT upper(l.country) AS country, l.category AS category, lower(l.price_currency) AS currency,
           quantileExactLow(0.5)(l.price_amount) AS median_amount, count() AS samples
    FROM raw.listings AS l FINAL
    WHERE l._is_deleted = 0 AND l.status IN ('active', 'sold')
    GROUP BY country, category, currency`,
  },
};

export const martTable = (name: string) => `${MARTS_DATABASE}.${ident(name)}`;

/** Marks a mart's table with its definition, so a changed definition is rebuilt and an unchanged one left alone. */
export function definitionTag(definition: MartDefinition): string {
  return `steveslist mart ${createHash('sha256').update(`${definition.orderBy}\n${definition.select}`).digest('hex').slice(0, 16)}`;
}

export function createMartSql(table: string, definition: MartDefinition, refreshSeconds: number): string {
  return `CREATE MATERIALIZED VIEW ${table} REFRESH EVERY ${refreshSeconds} SECOND
    ENGINE = MergeTree ORDER BY ${definition.orderBy}
    COMMENT '${definitionTag(definition)}'
    AS ${definition.select}`;
}

const UNIT_SECONDS: Record<string, number> = { SECOND: 1, MINUTE: 60, HOUR: 3600, DAY: 86_400, WEEK: 604_800 };

/**
 * A mart's refresh interval in seconds, read from its stored definition. ClickHouse stores the
 * interval in the largest whole unit (`EVERY 3600 SECOND` comes back as `EVERY 1 HOUR`).
 */
export function refreshSecondsOf(ddl: string): number | undefined {
  const every = /\bREFRESH EVERY (\d+) (SECOND|MINUTE|HOUR|DAY|WEEK)\b/.exec(ddl);
  return every ? Number(every[1]) * UNIT_SECONDS[every[2]!]! : undefined;
}

interface ExistingMart { name: string; engine: string; comment: string; refreshSeconds: number | undefined }

async function existingMarts(client: ClickHouseClient): Promise<Map<string, ExistingMart>> {
  const result = await client.query({
    query: 'SELECT name, engine, comment, create_table_query AS ddl FROM system.tables WHERE database = {db:String}',
    query_params: { db: MARTS_DATABASE }, format: 'JSONEachRow',
  });
  const rows = await result.json<{ name: string; engine: string; comment: string; ddl: string }>();
  return new Map(rows.map((r) => [r.name, { name: r.name, engine: r.engine, comment: r.comment, refreshSeconds: refreshSecondsOf(r.ddl) }]));
}

/**
 * Builds the mart beside the one readers use, waits for its first refresh, then swaps the two in
 * one step: readers see the old answer until the new one is whole. Also replaces a plain view of
 * the same name (the marts were views before).
 */
async function buildMart(client: ClickHouseClient, name: string, definition: MartDefinition, refreshSeconds: number, exists: boolean): Promise<void> {
  const next = martTable(`${name}__next`);
  await client.command({ query: `DROP TABLE IF EXISTS ${next}` });
  await client.command({ query: createMartSql(next, definition, refreshSeconds) });
  try {
    await client.command({ query: `SYSTEM WAIT VIEW ${next}` });
    if (exists) {
      await client.command({ query: `EXCHANGE TABLES ${next} AND ${martTable(name)}` });
      await client.command({ query: `DROP TABLE ${next}` });
    } else {
      await client.command({ query: `RENAME TABLE ${next} TO ${martTable(name)}` });
    }
  } catch (error) {
    await client.command({ query: `DROP TABLE IF EXISTS ${next}` }).catch(() => undefined);
    throw error;
  }
}

export interface EnsureMartsOptions {
  /** How often each mart is recomputed; undefined keeps an existing mart's and gives a new one the default. */
  refreshSeconds?: number;
  /** Refresh the marts that were already there and wait for it (default true): callers then read current answers. */
  refresh?: boolean;
  marts?: Record<string, MartDefinition>;
}

/**
 * Creates every mart that is missing, rebuilds one whose definition changed, sets the refresh
 * interval, and (unless told not to) brings them up to date; returns those that could not be made
 * (a raw table missing) or refreshed.
 */
export async function ensureMarts(client: ClickHouseClient, options: EnsureMartsOptions = {}): Promise<{ name: string; error: string }[]> {
  const marts = options.marts ?? MARTS;
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${MARTS_DATABASE}` });
  await ensureRefreshLedger(client);
  const existing = await existingMarts(client);
  const failed: { name: string; error: string }[] = [];
  const current: string[] = [];
  for (const [name, definition] of Object.entries(marts)) {
    const found = existing.get(name);
    try {
      if (!found || found.engine !== 'MaterializedView' || found.comment !== definitionTag(definition)) {
        await buildMart(client, name, definition, options.refreshSeconds ?? found?.refreshSeconds ?? DEFAULT_MART_REFRESH_SECONDS, found !== undefined);
        continue;
      }
      if (options.refreshSeconds !== undefined && found.refreshSeconds !== options.refreshSeconds) {
        await client.command({ query: `ALTER TABLE ${martTable(name)} MODIFY REFRESH EVERY ${options.refreshSeconds} SECOND` });
      }
      current.push(name);
    } catch (error) {
      failed.push({ name, error: (error as Error).message });
    }
  }
  if (options.refresh ?? true) failed.push(...await refreshMarts(client, current));
  return failed;
}

/** Recomputes the marts now (all by default) and waits until each is swapped in; returns those whose refresh failed. */
export async function refreshMarts(client: ClickHouseClient, names: readonly string[] = Object.keys(MARTS)): Promise<{ name: string; error: string }[]> {
  const failed: { name: string; error: string }[] = [];
  for (const name of names) {
    try {
      await client.command({ query: `SYSTEM REFRESH VIEW ${martTable(name)}` });
      await client.command({ query: `SYSTEM WAIT VIEW ${martTable(name)}` });
    } catch (error) {
      failed.push({ name, error: (error as Error).message });
    }
  }
  return failed;
}

/** Per mart, its latest refresh as the warehouse role saw it: readable by any process over the served warehouse. */
export const REFRESH_LEDGER = `${MARTS_DATABASE}._refreshes`;

export async function ensureRefreshLedger(client: ClickHouseClient): Promise<void> {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${MARTS_DATABASE}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${REFRESH_LEDGER} (
  mart String,
  refresh_seconds UInt32,
  refreshed_at Nullable(DateTime('UTC')),
  duration_ms UInt64,
  source_synced_through Nullable(DateTime64(3, 'UTC')),
  error String,
  failed_at Nullable(DateTime('UTC')),
  recorded_at DateTime64(3, 'UTC')
) ENGINE = ReplacingMergeTree(recorded_at) ORDER BY mart`,
  });
}
