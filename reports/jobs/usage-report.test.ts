// The daily usage report end to end: marketplace rows in MariaDB reach the warehouse (chDB on
// disk) through change capture, the report job counts them there, the email worker sends the
// report over real SMTP, and the numbers in the received email and its CSV match warehouse queries.
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/log.js';
import { uuidV7 } from '../../marketplace/domain/uuid-v7.js';
import type { RowDataPacket } from '../../marketplace/mysql/connection.js';
import type { ConsumerRunner } from '../../pipelines/consumers/runner.js';
import { EmailSender } from '../../pipelines/sinks/email/email-worker.js';
import { startLocalMailbox, type LocalMailbox } from '../../pipelines/sinks/email/local-mailbox.js';
import { startTestReader, type TestReader } from '../../test/fixtures/cdc.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { until } from '../../test/fixtures/eventually.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { createWarehouseClient, type ClickHouseClient } from '../../warehouse/client.js';
import { startWarehouseLoader } from '../../warehouse/loader.js';
import { refreshMarts } from '../../warehouse/marts.js';
import { bucketStarts, localDate, reportPeriod } from './report-period.js';
import { sendUsageReport } from './send-usage-report.js';
import { formatMoney, majorUnits, renderUsageEmail } from './usage-email.js';
import type { UsageReport } from './usage-report.js';
import { IS_SALE } from '../../warehouse/sale-statuses.js';

describe('report periods and money (pure)', () => {
  it('covers the last whole local day or ISO week, across a daylight-saving change', () => {
    const daily = reportPeriod('daily', new Date('2026-03-30T04:00:00Z'), 'Europe/Berlin');
    // 29 March 2026 in Berlin had 23 hours.
    expect([daily.previousFrom, daily.from, daily.to].map((d) => d.toISOString())).toEqual(['2026-03-27T23:00:00.000Z', '2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z']);
    expect(localDate(daily.from, 'Europe/Berlin')).toBe('2026-03-29');
    const weekly = reportPeriod('weekly', new Date('2026-11-25T12:00:00Z'), 'UTC');
    expect([weekly.previousFrom, weekly.from, weekly.to].map((d) => d.toISOString())).toEqual(['2026-11-09T00:00:00.000Z', '2026-11-16T00:00:00.000Z', '2026-11-23T00:00:00.000Z']);
  });

  it('gives a weekly report one row per local day, a 25-hour Sunday included', () => {
    // Berlin left summer time on Sunday 25 October 2026: that week is 7 days and an hour long.
    const week = reportPeriod('weekly', new Date('2026-10-26T06:00:00Z'), 'Europe/Berlin');
    expect([week.from, week.to].map((d) => d.toISOString())).toEqual(['2026-10-18T22:00:00.000Z', '2026-10-25T23:00:00.000Z']);
    const starts = bucketStarts(week).map((d) => d.toISOString());
    expect(starts).toEqual(['18', '19', '20', '21', '22', '23', '24'].map((day) => `2026-10-${day}T22:00:00.000Z`));
    expect(bucketStarts(reportPeriod('daily', new Date('2026-10-26T06:00:00Z'), 'Europe/Berlin'))).toHaveLength(25);
  });

  it('writes minor units as exact major units, with each currency\'s decimals', () => {
    expect(majorUnits(1_234_567, 'usd')).toBe('12345.67');
    expect(majorUnits(5, 'eur')).toBe('0.05');
    expect(majorUnits(-250, 'gbp')).toBe('-2.50');
    expect(majorUnits(1500, 'jpy')).toBe('1500');
    expect(formatMoney(123_456_789, 'usd')).toBe('1,234,567.89 USD');
  });

  it('renders the numbers against the period before, and the CSV per hour', () => {
    const totals = { signups: 3, listings: 10, orders: 4, messages: 0, removals: 1, gmv: { usd: 12_345 } };
    const report: UsageReport = {
      period: { kind: 'daily', timezone: 'UTC', from: '2026-03-10T00:00:00.000Z', to: '2026-03-11T00:00:00.000Z', previous_from: '2026-03-09T00:00:00.000Z' },
      current: totals, previous: { ...totals, signups: 2, orders: 0, gmv: {} },
      top_categories: [{ category: 'bikes', listings: 7, previous: 9 }],
      buckets: [{ start: '2026-03-10T00:00:00.000Z', ...totals }],
    };
    const email = renderUsageEmail(report);
    expect(email.subject).toBe('Steveslist daily usage: 2026-03-10');
    expect(email.text).toMatch(/^New users\s+3 \s*\(\+50% vs 2\)$/m);
    expect(email.text).toMatch(/^Orders\s+4 \s*\(new\)$/m);
    expect(email.text).toMatch(/^GMV USD\s+123\.45 USD \s*\(new\)$/m);
    expect(email.text).toContain('Top categories of new listings: bikes 7 (vs 9)');
    expect(email.html).toContain('<th align="left">New users</th><td align="right"><b>3</b></td>');
    expect(email.attachments[0]).toMatchObject({
      filename: 'steveslist-daily-usage-2026-03-10.csv',
      content: 'start_local,start_utc,signups,listings,orders,messages,removals,gmv_usd\r\n2026-03-10 00:00,2026-03-10T00:00:00.000Z,3,10,4,0,1,123.45\r\n',
    });
    const inTokyo = renderUsageEmail({ ...report, period: { ...report.period, timezone: 'Asia/Tokyo' } });
    expect(inTokyo.attachments[0]!.content).toContain('\r\n2026-03-10 09:00,2026-03-10T00:00:00.000Z,');
  });
});

const dir = tempDir();
let db: TestDatabase;
let cdc: TestReader;
let warehouse: ClickHouseClient;
let loader: ConsumerRunner;
let mailbox: LocalMailbox;
let sender: EmailSender;
const DAY = '2026-03-10';

async function insertAt(table: string, row: Record<string, unknown>): Promise<number> {
  const [result] = await db.pool.query<{ insertId: number } & RowDataPacket[]>(`INSERT INTO ${table} SET ?`, [row]);
  return result.insertId;
}

beforeAll(async () => {
  db = await createTestDatabase('report');
  mailbox = await startLocalMailbox(join(dir.path, 'mailbox'));
  cdc = await startTestReader(db.url, join(dir.path, 'cdc'));
  warehouse = createWarehouseClient({ path: join(dir.path, 'warehouse') });
  loader = startWarehouseLoader({ bus: cdc.bus, client: warehouse, pool: db.pool, database: db.name, topicPrefix: 'sl', log: silentLogger() });
  await loader.start();
  sender = new EmailSender({ pool: db.pool, log: silentLogger(), smtpUrl: mailbox.url, pollMs: 25 });

  // A day of marketplace activity, and some either side of it that the report must leave out.
  const users: number[] = [];
  for (const [i, at] of [`${DAY} 08:15:00`, `${DAY} 09:30:00`, `${DAY} 23:59:59`, '2026-03-09 12:00:00', '2026-03-11 00:00:00'].entries()) {
    users.push(await insertAt('users', { email: `u${i}@example.com`, name: `User ${i}`, created_at: at, updated_at: at }));
  }
  const listing = (seller: number, category: string, at: string) => insertAt('listings', {
    seller_id: seller, name: `${category} thing`, description: 'x', category, country: 'US', city: 'Austin', price_amount: 1000, price_currency: 'usd', status: 'active', created_at: at, updated_at: at,
  });
  const listings = [
    await listing(users[0]!, 'bikes', `${DAY} 10:00:00`), await listing(users[0]!, 'bikes', `${DAY} 10:30:00`),
    await listing(users[1]!, 'electronics', `${DAY} 11:00:00`), await listing(users[1]!, 'bikes', '2026-03-09 10:00:00'),
  ];
  // Listed and deleted the same day: still a new listing, as on the dashboards.
  await db.pool.query('DELETE FROM listings WHERE id = ?', [await listing(users[0]!, 'bikes', `${DAY} 13:00:00`)]);
  const order = (listingId: number, amount: number, currency: string, status: string, at: string) => insertAt('orders', {
    listing_id: listingId, buyer_id: users[1]!, seller_id: users[0]!, amount, currency, status, created_at: at, updated_at: at,
  });
  await order(listings[0]!, 25_000, 'usd', 'placed', `${DAY} 12:05:00`);
  await order(listings[1]!, 1_999, 'usd', 'completed', `${DAY} 12:45:00`);
  await order(listings[2]!, 9_900, 'eur', 'paid', `${DAY} 18:00:00`);
  await order(listings[3]!, 5_000, 'usd', 'refunded', `${DAY} 19:00:00`);
  await order(listings[3]!, 7_000, 'usd', 'placed', '2026-03-09 19:00:00');
  await insertAt('messages', { listing_id: listings[0]!, sender_id: users[1]!, recipient_id: users[0]!, body: 'still there?', created_at: `${DAY} 07:00:00` });
  await insertAt('outbox', { id: uuidV7(), aggregate_type: 'listing', aggregate_id: String(listings[3]), type: 'listing.removed', payload: JSON.stringify({ id: listings[3] }), created_at: `${DAY} 20:00:00` });
  const [[counts]] = await db.pool.query<RowDataPacket[]>('SELECT (SELECT COUNT(*) FROM orders) AS orders, (SELECT COUNT(*) FROM messages) AS messages');
  await until(async () => {
    const result = await warehouse.query({
      query: 'SELECT (SELECT count() FROM raw.orders FINAL) AS orders, (SELECT count() FROM raw.messages FINAL) AS messages, (SELECT count() FROM raw.domain_events) AS events, (SELECT countIf(_is_deleted = 1) FROM raw.listings) AS deleted',
      format: 'JSONEachRow',
    }).catch(() => undefined);
    return result ? (await result.json<{ orders: string; messages: string; events: string; deleted: string }>())[0] : undefined;
  }, (row) => Number(row?.orders) === Number(counts!.orders) && Number(row?.messages) === Number(counts!.messages) && Number(row?.events) >= 1 && Number(row?.deleted) === 1, 60_000);
  // The bus delivers at least once: a redelivered event is a second copy in the warehouse until a merge.
  await warehouse.command({ query: "INSERT INTO raw.domain_events SELECT * FROM raw.domain_events WHERE type = 'listing.removed'" });
  // The loader makes the marts beside its first batches, and they are recomputed every
  // MART_REFRESH_SECONDS: this waits for them and brings them to the raw layer now.
  expect(await until(() => refreshMarts(warehouse), (failed) => failed.length === 0, 60_000)).toEqual([]);
});
afterAll(async () => {
  await sender?.stop();
  await loader?.stop();
  await warehouse?.close();
  await cdc?.stop();
  await mailbox?.close();
  await db?.close();
  dir.remove();
});

async function scalar(query: string): Promise<number> {
  const result = await warehouse.query({ query, format: 'JSONEachRow', clickhouse_settings: { output_format_json_quote_64bit_integers: 0 } });
  return Number(Object.values((await result.json<Record<string, unknown>>())[0]!)[0]);
}

describe('the daily usage report', () => {
  it('arrives by email with the warehouse\'s numbers and a CSV that adds up, once however often it runs', async () => {
    const options = { kind: 'daily' as const, at: new Date('2026-03-11T06:00:00Z'), timezone: 'UTC', recipients: ['ops@example.com', 'ceo@example.com'], pool: db.pool, warehouse };
    expect(await sendUsageReport(options)).toBe('Steveslist daily usage: 2026-03-10: queued for 2 of 2 recipient(s)');
    expect(await sendUsageReport(options)).toBe('Steveslist daily usage: 2026-03-10: queued for 0 of 2 recipient(s) (the others had it already)');
    sender.start();
    const raw = await until(() => mailbox.messages(), (messages) => messages.length === 2);
    expect(raw).toHaveLength(2);
    const email = await simpleParser(raw.find((m) => m.includes('ops@example.com'))!);
    expect(email.subject).toBe('Steveslist daily usage: 2026-03-10');

    const inDay = `toDate(created_at) = toDate('${DAY}')`;
    const expected = {
      users: await scalar(`SELECT count() FROM raw.users FINAL WHERE ${inDay}`),
      listings: await scalar(`SELECT sum(listings) FROM marts.daily_listings WHERE day = '${DAY}'`),
      orders: await scalar(`SELECT count() FROM raw.orders FINAL WHERE ${inDay} AND ${IS_SALE}`),
      usd: await scalar(`SELECT sum(amount) FROM raw.orders FINAL WHERE ${inDay} AND ${IS_SALE} AND currency = 'usd'`),
      eur: await scalar(`SELECT sum(amount) FROM raw.orders FINAL WHERE ${inDay} AND ${IS_SALE} AND currency = 'eur'`),
    };
    expect(expected).toEqual({ users: 3, listings: 4, orders: 3, usd: 26_999, eur: 9_900 });
    const text = email.text!;
    expect(text).toMatch(new RegExp(`^New users\\s+${expected.users} \\s*\\(\\+200% vs 1\\)$`, 'm'));
    expect(text).toMatch(new RegExp(`^New listings\\s+${expected.listings} \\s*\\(\\+300% vs 1\\)$`, 'm'));
    expect(text).toMatch(new RegExp(`^Orders\\s+${expected.orders} \\s*\\(\\+200% vs 1\\)$`, 'm'));
    expect(text).toMatch(/^GMV EUR\s+99\.00 EUR\s+\(new\)$/m);
    expect(text).toMatch(/^GMV USD\s+269\.99 USD\s+\(\+286% vs 70\.00 USD\)$/m);
    expect(text).toMatch(/^Messages\s+1 /m);
    expect(text).toMatch(/^Listings removed\s+1 /m);
    expect(text).toContain('Top categories of new listings: bikes 3 (vs 1), electronics 1 (vs 0)');
    expect(email.html).toContain('<b>269.99 USD</b>');

    expect(email.attachments).toHaveLength(1);
    const attachment = email.attachments[0]!;
    expect(attachment.filename).toBe('steveslist-daily-usage-2026-03-10.csv');
    const [header, ...rows] = attachment.content.toString('utf8').trim().split('\r\n');
    expect(header).toBe('start_local,start_utc,signups,listings,orders,messages,removals,gmv_eur,gmv_usd');
    expect(rows).toHaveLength(24);
    const column = (name: string) => rows.map((row) => Number(row.split(',')[header!.split(',').indexOf(name)]));
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    expect(sum(column('orders'))).toBe(expected.orders);
    expect(sum(column('signups'))).toBe(expected.users);
    expect(Math.round(sum(column('gmv_usd')) * 100)).toBe(expected.usd);
    expect(rows[12]).toBe('2026-03-10 12:00,2026-03-10T12:00:00.000Z,0,0,2,0,0,0.00,269.99');
    expect(sum(column('listings'))).toBe(expected.listings);

    const [queued] = await db.pool.query<RowDataPacket[]>("SELECT status FROM email_messages WHERE template = 'report'");
    expect(queued.map((row) => row.status)).toEqual(['sent', 'sent']);
  });

  it('sends the weekly report per local day, queued apart from the daily one', async () => {
    const options = { kind: 'weekly' as const, at: new Date('2026-03-16T07:00:00Z'), timezone: 'UTC', recipients: ['ops@example.com'], pool: db.pool, warehouse };
    expect(await sendUsageReport(options)).toBe('Steveslist weekly usage: 2026-03-09 to 2026-03-15: queued for 1 of 1 recipient(s)');
    expect(await sendUsageReport(options)).toMatch(/queued for 0 of 1 /);
    const raw = await until(() => mailbox.messages(), (messages) => messages.length === 3);
    const parsed = await Promise.all(raw.map((message) => simpleParser(message)));
    const weekly = parsed.filter((email) => email.subject?.startsWith('Steveslist weekly'));
    expect(weekly).toHaveLength(1);
    const email = weekly[0]!;

    const inWeek = "created_at >= '2026-03-09 00:00:00' AND created_at < '2026-03-16 00:00:00'";
    const paid = IS_SALE;
    const expected = {
      users: await scalar(`SELECT count() FROM raw.users FINAL WHERE ${inWeek}`),
      orders: await scalar(`SELECT count() FROM raw.orders FINAL WHERE ${inWeek} AND ${paid}`),
      usd: await scalar(`SELECT sum(amount) FROM raw.orders FINAL WHERE ${inWeek} AND ${paid} AND currency = 'usd'`),
    };
    expect(expected).toEqual({ users: 5, orders: 4, usd: 33_999 });
    expect(email.text).toMatch(new RegExp(`^New users\\s+${expected.users} \\s*\\(new\\)$`, 'm'));
    expect(email.text).toMatch(/^GMV USD\s+339\.99 USD\s+\(new\)$/m);
    expect(email.text).toMatch(/^Listings removed\s+1 /m);

    const attachment = email.attachments[0]!;
    expect(attachment.filename).toBe('steveslist-weekly-usage-2026-03-09.csv');
    const [header, ...rows] = attachment.content.toString('utf8').trim().split('\r\n');
    expect(header).toBe('start_local,start_utc,signups,listings,orders,messages,removals,gmv_eur,gmv_usd');
    expect(rows.map((row) => row.split(',')[0])).toEqual(['09', '10', '11', '12', '13', '14', '15'].map((day) => `2026-03-${day} 00:00`));
    expect(rows[1]).toBe('2026-03-10 00:00,2026-03-10T00:00:00.000Z,3,4,3,1,1,99.00,269.99');
    const column = (name: string) => rows.map((row) => Number(row.split(',')[header!.split(',').indexOf(name)]));
    expect(column('signups').reduce((a, b) => a + b, 0)).toBe(expected.users);
    expect(Math.round(column('gmv_usd').reduce((a, b) => a + b, 0) * 100)).toBe(expected.usd);
  });
});
