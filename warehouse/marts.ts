// The modelled layer: views over the raw tables answering the analysts' standing questions.
// Views (not materialized) read FINAL, so they are always exactly as fresh as the raw layer.
import type { ClickHouseClient } from './client.js';

export const MARTS_DATABASE = 'marts';

export const MARTS: Record<string, string> = {
  // Every listing ever created, by the day it was listed, place and category. Deleted listings
  // count too: their raw row keeps the last image, with _is_deleted = 1.
  daily_listings: `
    SELECT toDate(created_at) AS day, country, city, category, count() AS listings
    FROM (
      -- Not FINAL: FINAL drops deleted rows, and a deleted listing was still listed that day.
      SELECT id, argMax(created_at, _version) AS created_at, argMax(country, _version) AS country,
             argMax(city, _version) AS city, argMax(category, _version) AS category
      FROM raw.listings GROUP BY id
    )
    GROUP BY day, country, city, category`,
  // Orders and gross merchandise value by day, listing category and currency (minor units).
  orders_daily: `
    SELECT toDate(o.created_at) AS day, l.category AS category, o.currency AS currency,
           count() AS orders, sum(o.amount) AS gmv_minor
    FROM (SELECT * FROM raw.orders FINAL WHERE _is_deleted = 0 AND status NOT IN ('cancelled', 'refunded')) AS o
    LEFT JOIN (SELECT id, category FROM raw.listings FINAL) AS l ON l.id = o.listing_id
    GROUP BY day, category, currency`,
  // Users by signup month, and how many of them listed something within 90 days of signing up.
  user_cohorts: `
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
  // Per seller: listings, sold listings and takings.
  seller_activity: `
    SELECT l.seller_id AS seller_id, count() AS listings, countIf(l.status = 'sold') AS sold,
           countIf(l.status = 'active') AS active, max(l.created_at) AS last_listed_at
    FROM raw.listings AS l FINAL
    WHERE l._is_deleted = 0
    GROUP BY l.seller_id`,
};

/** Creates or updates every mart; returns those that could not be made (a raw table missing). */
export async function ensureMarts(client: ClickHouseClient): Promise<{ name: string; error: string }[]> {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${MARTS_DATABASE}` });
  const failed: { name: string; error: string }[] = [];
  for (const [name, select] of Object.entries(MARTS)) {
    try {
      // CREATE OR REPLACE keeps a changed definition in step with the code.
      await client.command({ query: `CREATE OR REPLACE VIEW ${MARTS_DATABASE}.${name} AS ${select}` });
    } catch (error) {
      failed.push({ name, error: (error as Error).message });
    }
  }
  return failed;
}
