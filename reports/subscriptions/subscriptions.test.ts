// Staff subscriptions and threshold alerts end to end: managed through the admin service over real
// HTTP (staff sessions, roles), run against a real warehouse (chDB on disk, the raw layer's own
// table layout), queued in the email queue and sent by the email worker over real SMTP to the
// local mailbox, where the test reads the messages and their CSV attachments.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { simpleParser, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAdminServer } from '../../api/admin/server.js';
import { platformJobs } from '../../bin/job-catalogue.js';
import { silentLogger } from '../../core/log.js';
import { addAdminUser } from '../../marketplace/auth/admin-accounts.js';
import type { RowDataPacket } from '../../marketplace/mysql/connection.js';
import { EmbeddedBus } from '../../pipelines/bus/embedded/index.js';
import { EmailSender } from '../../pipelines/sinks/email/email-worker.js';
import { DeadLetterCounter } from '../../pipelines/status/dead-letter-counts.js';
import { startLocalMailbox, type LocalMailbox } from '../../pipelines/sinks/email/local-mailbox.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { until } from '../../test/fixtures/eventually.js';
import { httpClient } from '../../test/fixtures/http-client.js';
import { tempDir } from '../../test/fixtures/temp-dir.js';
import { withWarehouseEngine } from '../../warehouse/chdb/engine-folders.js';
import { createWarehouseClient, type ClickHouseClient } from '../../warehouse/client.js';
import { readSourceTable, syncTable } from '../../warehouse/raw-schema.js';
import { getAlert } from './alert-store.js';
import { dueOccurrence } from './cadence.js';
import { breaches } from './checks.js';
import { evaluateAlert, evaluateAlerts } from './evaluate-alerts.js';
import { checkAlert, checkSubscription, ReportInputError } from './report-input.js';
import { csvRecordCount, dashboardPages, pageName, pageTables } from './report-target.js';
import { sendDueSubscriptions, sendSubscription } from './send-subscriptions.js';
import { createSubscription, getSubscription } from './subscription-store.js';

describe('schedules, CSV and input (pure)', () => {
  const daily = { cadence: 'daily' as const, hour: 7, weekday: null, timezone: 'UTC' };

  it('is due once per occurrence, never for one before the subscription existed', () => {
    const created = new Date('2026-03-10T09:00:00Z');
    expect(dueOccurrence(daily, new Date('2026-03-10T12:00:00Z'), null, created)).toBeUndefined();
    const next = dueOccurrence(daily, new Date('2026-03-11T07:04:00Z'), null, created);
    expect(next?.toISOString()).toBe('2026-03-11T07:00:00.000Z');
    expect(dueOccurrence(daily, new Date('2026-03-11T07:09:00Z'), next!, created)).toBeUndefined();
    // Down for three days: the newest occurrence once, not three emails.
    expect(dueOccurrence(daily, new Date('2026-03-14T10:00:00Z'), next!, created)?.toISOString()).toBe('2026-03-14T07:00:00.000Z');
    // Weekly on Monday at 07:00 in Berlin (06:00 UTC in winter); 2026-03-16 is a Monday.
    const weekly = { cadence: 'weekly' as const, hour: 7, weekday: 1, timezone: 'Europe/Berlin' };
    expect(dueOccurrence(weekly, new Date('2026-03-15T23:00:00Z'), null, created)).toBeUndefined();
    expect(dueOccurrence(weekly, new Date('2026-03-16T06:01:00Z'), null, created)?.toISOString()).toBe('2026-03-16T06:00:00.000Z');
  });

  it('counts CSV records, line breaks inside quotes included', () => {
    expect(csvRecordCount('"a","b"\n')).toBe(1);
    expect(csvRecordCount('"a","b"\n1,"two\nlines"\n3,"x"')).toBe(3);
    expect(csvRecordCount('')).toBe(0);
  });

  it('reads a page path and the dashboard tables its SQL uses', () => {
    expect(pageName('/reports/platform/')).toBe('platform');
    expect(pageName('/reports/')).toBe('index');
    const queries = { daily_listings: 'SELECT 1', build_info: 'SELECT 2' };
    expect(pageTables('select * from warehouse.daily_listings join warehouse.not_a_table\nfrom warehouse.daily_listings, warehouse.build_info', queries)).toEqual(['daily_listings', 'build_info']);
    expect(pageTables('from warehouse.constructor, warehouse.toString', queries)).toEqual([]);
  });

  it('says which field is wrong and why', () => {
    const fieldOf = (work: () => unknown) => {
      try {
        work();
        return 'accepted';
      } catch (error) {
        expect(error).toBeInstanceOf(ReportInputError);
        return (error as ReportInputError).field;
      }
    };
    const good = { name: 'Paid orders', email: 'ana@example.com', sql: 'SELECT 1', cadence: 'daily', hour: 7 };
    const sub = (change: Record<string, unknown>) => fieldOf(() => checkSubscription({ ...good, ...change }, ['index', 'platform'], pageName));
    expect(sub({})).toBe('accepted');
    expect(sub({ cadence: 'hourly' })).toBe('cadence');
    expect(sub({ hour: 24 })).toBe('hour');
    expect(sub({ email: 'ana' })).toBe('email');
    expect(sub({ page: 'platform' })).toBe('sql');
    expect(sub({ sql: undefined, page: 'nope' })).toBe('page');
    expect(sub({ weekday: 'monday' })).toBe('weekday');
    expect(sub({ cadence: 'weekly', weekday: 'someday' })).toBe('weekday');
    expect(sub({ timezone: 'Mars/Olympus' })).toBe('timezone');
    const alert = (input: Record<string, unknown>) => fieldOf(() => checkAlert({ name: 'x', recipients: ['ops@example.com'], ...input }));
    expect(alert({ check: 'dead_letters_above_zero' })).toBe('accepted');
    expect(alert({ check: 'query', sql: 'SELECT 1' })).toBe('comparison');
    expect(alert({ check: 'query', sql: 'SELECT 1', comparison: '>' })).toBe('threshold');
    expect(alert({ check: 'nonsense' })).toBe('check');
    expect(alert({ check: 'dead_letters_above_zero', recipients: ['ok@example.com', 'nope'] })).toBe('recipients.1');
    expect(breaches(0.25, '<', 0.5)).toBe(true);
    expect(breaches(null, '<', 0.5)).toBe(false);
  });
});

const dir = tempDir();
const pagesDir = join(dir.path, 'pages');
let db: TestDatabase;
let warehouse: ClickHouseClient;
let mailbox: LocalMailbox;
let sender: EmailSender;
let admin: FastifyInstance;
let call: ReturnType<typeof httpClient>;
let analyst: string;
let support: string;
let nextOrderId = 1;
const log = silentLogger();

/** Orders straight into the warehouse's raw table (the loader's layout): the checks read only the warehouse. */
async function warehouseOrder(row: { status: string; amount?: number; at: Date; deleted?: boolean; id?: number; version?: number }): Promise<number> {
  const id = row.id ?? nextOrderId++;
  const at = row.at.toISOString().replace('T', ' ').replace('Z', '');
  await warehouse.command({
    query: `INSERT INTO raw.orders (id, listing_id, buyer_id, seller_id, amount, currency, status, created_at, updated_at, _version, _is_deleted, _synced_at)
            VALUES (${id}, 1, 2, 3, ${row.amount ?? 1000}, 'usd', '${row.status}', '${at}', '${at}', ${row.version ?? 1}, ${row.deleted ? 1 : 0}, now64(3))`,
  });
  return id;
}

async function login(username: string): Promise<string> {
  return (await call('POST', '/admin/session', { body: { username, password: 'correct horse battery staple' } })).body.token;
}

async function mails(count: number): Promise<ParsedMail[]> {
  const raw = await until(() => mailbox.messages(), (messages) => messages.length >= count);
  return Promise.all(raw.map((text) => simpleParser(text)));
}

async function emailRows(): Promise<number> {
  const [[row]] = await db.pool.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM email_messages WHERE template = 'report'");
  return Number(row!.n);
}

beforeAll(async () => {
  db = await createTestDatabase('subs');
  mailbox = await startLocalMailbox(join(dir.path, 'mailbox'));
  sender = new EmailSender({ pool: db.pool, log, smtpUrl: mailbox.url, pollMs: 25 });
  sender.start();
  warehouse = withWarehouseEngine(join(dir.path, 'warehouse'), () => createWarehouseClient({ path: join(dir.path, 'warehouse') }));
  await warehouse.command({ query: 'CREATE DATABASE IF NOT EXISTS raw' });
  await syncTable(warehouse, (await readSourceTable(db.pool, db.name, 'orders'))!);
  await addAdminUser(db.pool, 'ana', 'correct horse battery staple', { role: 'analyst' });
  await addAdminUser(db.pool, 'sam', 'correct horse battery staple', { role: 'support' });
  admin = await buildAdminServer({ pool: db.pool, log, warehouse });
  call = httpClient(await admin.listen({ host: '127.0.0.1', port: 0 }));
  analyst = await login('ana');
  support = await login('sam');
});
afterAll(async () => {
  await sender?.stop();
  await admin?.close();
  await warehouse?.close();
  await mailbox?.close();
  await db?.close();
  dir.remove();
});

describe('managing subscriptions and alerts in the admin service', () => {
  it('refuses callers without a session, and staff whose role is not analyst or admin', async () => {
    const body = { name: 'x', email: 'x@example.com', sql: 'SELECT 1', cadence: 'daily', hour: 7 };
    expect((await call('POST', '/admin/subscriptions', { body })).status).toBe(401);
    expect((await call('GET', '/admin/alerts')).status).toBe(401);
    expect((await call('GET', '/admin/subscriptions', { token: 'sla_not-a-session' })).status).toBe(401);
    expect((await call('POST', '/admin/subscriptions', { token: support, body })).status).toBe(403);
    expect((await call('GET', '/admin/alerts', { token: support })).status).toBe(403);
    const [[row]] = await db.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM report_subscriptions');
    expect(Number(row!.n)).toBe(0);
  });

  it('answers bad input with 400 naming the field and why', async () => {
    const good = { name: 'Paid orders', email: 'ana@example.com', sql: 'SELECT id FROM raw.orders', cadence: 'daily', hour: 7 };
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ ...good, cadence: 'hourly' }, 'cadence', /choose one of daily, weekly/],
      [{ ...good, hour: 31 }, 'hour', /0 to 23/],
      [{ ...good, email: 'ana at example' }, 'email', /not an email address/],
      [{ ...good, page: 'platform' }, 'sql', /either page .* or sql/],
      [{ ...good, sql: "SELECT * FROM file('/etc/passwd', 'LineAsString')" }, 'sql', /file\(\) is not allowed/],
      [{ ...good, sql: 'SELEKT 1' }, 'sql', /syntax/i],
      [{ ...good, colour: 'red' }, 'colour', /unknown field/],
    ];
    for (const [body, field, reason] of cases) {
      const response = await call('POST', '/admin/subscriptions', { token: analyst, body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.field).toBe(field);
      expect(response.body.message).toMatch(reason);
    }
    const alert = await call('POST', '/admin/alerts', { token: analyst, body: { name: 'x', check: 'query', sql: 'SELECT 1 AS value', threshold: 1, recipients: ['ops@example.com'] } });
    expect(alert.status).toBe(400);
    expect(alert.body).toMatchObject({ field: 'comparison', message: expect.stringMatching(/^comparison: .*choose one of/) });
  });

  it('creates, reads, changes and deletes a subscription', async () => {
    const created = await call('POST', '/admin/subscriptions', {
      token: analyst, body: { name: 'Weekly refunds', email: 'ana@example.com', sql: 'SELECT id FROM raw.orders', cadence: 'weekly', weekday: 'friday', hour: 9 },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ owner: 'ana', cadence: 'weekly', weekday: 5, hour: 9, timezone: 'UTC', schedule: 'weekly on friday at 09:00 UTC', enabled: true });
    const changed = await call('PATCH', `/admin/subscriptions/${created.body.id}`, { token: analyst, body: { cadence: 'daily', enabled: false } });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ cadence: 'daily', weekday: null, enabled: false, sql: 'SELECT id FROM raw.orders' });
    expect((await call('PATCH', `/admin/subscriptions/${created.body.id}`, { token: analyst, body: { hour: -1 } })).body.field).toBe('hour');
    expect((await call('GET', '/admin/subscriptions', { token: analyst })).body.data.map((s: { id: number }) => s.id)).toContain(created.body.id);
    expect((await call('DELETE', `/admin/subscriptions/${created.body.id}`, { token: analyst })).status).toBe(204);
    expect((await call('GET', `/admin/subscriptions/${created.body.id}`, { token: analyst })).status).toBe(404);
  });

  it('audits each change to a subscription or an alert, and each send or check now: who, which, what it set or changed', async () => {
    const auditOf = async (id: number, kind: 'subscription' | 'alert') => {
      const [rows] = await db.pool.query<RowDataPacket[]>(
        "SELECT admin_username AS admin, action, target_type, details FROM admin_audit WHERE target_id = ? AND action LIKE ? ORDER BY id", [id, `${kind}.%`],
      );
      return rows.map((row) => ({ ...row, details: typeof row.details === 'string' ? JSON.parse(row.details) : row.details }));
    };
    const sub = (await call('POST', '/admin/subscriptions', {
      token: analyst, body: { name: 'Orders', email: 'ana@example.com', sql: 'SELECT id FROM raw.orders', cadence: 'daily', hour: 6 },
    })).body;
    expect((await call('PATCH', `/admin/subscriptions/${sub.id}`, { token: analyst, body: { email: 'team@example.com', hour: 7 } })).status).toBe(200);
    // A refused change changes nothing and leaves no record.
    expect((await call('PATCH', `/admin/subscriptions/${sub.id}`, { token: analyst, body: { hour: 99 } })).status).toBe(400);
    expect((await call('POST', `/admin/subscriptions/${sub.id}/send`, { token: analyst })).body).toMatchObject({ outcome: 'skipped_empty' });
    expect((await call('DELETE', `/admin/subscriptions/${sub.id}`, { token: analyst })).status).toBe(204);
    const fields = { name: 'Orders', sql: 'SELECT id FROM raw.orders', cadence: 'daily', weekday: null, timezone: 'UTC', enabled: true };
    expect(await auditOf(sub.id, 'subscription')).toEqual([
      { admin: 'ana', action: 'subscription.create', target_type: 'subscription', details: { ...fields, email: 'ana@example.com', hour: 6 } },
      { admin: 'ana', action: 'subscription.update', target_type: 'subscription', details: { name: 'Orders', changes: { email: { from: 'ana@example.com', to: 'team@example.com' }, hour: { from: 6, to: 7 } } } },
      { admin: 'ana', action: 'subscription.send', target_type: 'subscription', details: expect.objectContaining({ name: 'Orders', email: 'team@example.com', outcome: expect.objectContaining({ outcome: 'skipped_empty' }) }) },
      { admin: 'ana', action: 'subscription.delete', target_type: 'subscription', details: { ...fields, email: 'team@example.com', hour: 7, owner: 'ana' } },
    ]);

    const alert = (await call('POST', '/admin/alerts', {
      token: analyst, body: { name: 'Too many', check: 'query', sql: 'SELECT 0 AS value', comparison: '>', threshold: 5, recipients: ['ops@example.com'] },
    })).body;
    expect((await call('PATCH', `/admin/alerts/${alert.id}`, { token: analyst, body: { threshold: 10, recipients: ['ops@example.com', 'ana@example.com'] } })).status).toBe(200);
    expect((await call('POST', `/admin/alerts/${alert.id}/check`, { token: analyst })).body).toMatchObject({ breached: false });
    expect((await call('DELETE', `/admin/alerts/${alert.id}`, { token: analyst })).status).toBe(204);
    expect(await auditOf(alert.id, 'alert')).toEqual([
      { admin: 'ana', action: 'alert.create', target_type: 'alert', details: { name: 'Too many', check: 'query', sql: 'SELECT 0 AS value', comparison: '>', threshold: 5, recipients: ['ops@example.com'], enabled: true } },
      { admin: 'ana', action: 'alert.update', target_type: 'alert', details: { name: 'Too many', changes: { threshold: { from: 5, to: 10 }, recipients: { from: ['ops@example.com'], to: ['ops@example.com', 'ana@example.com'] } } } },
      { admin: 'ana', action: 'alert.check', target_type: 'alert', details: expect.objectContaining({ name: 'Too many', outcome: expect.objectContaining({ value: 0, breached: false }) }) },
      { admin: 'ana', action: 'alert.delete', target_type: 'alert', details: { name: 'Too many', check: 'query', sql: 'SELECT 0 AS value', comparison: '>', threshold: 10, recipients: ['ops@example.com', 'ana@example.com'], enabled: true, owner: 'ana' } },
    ]);
  });
});

describe('subscriptions', () => {
  it('mails a daily subscription its CSV with the query\'s rows once per occurrence, and nothing when the result is empty', async () => {
    const day = new Date(Date.UTC(2026, 2, 10, 12));
    await warehouseOrder({ status: 'paid', amount: 2500, at: day });
    await warehouseOrder({ status: 'paid', amount: 1999, at: day });
    await warehouseOrder({ status: 'placed', amount: 700, at: day });
    const paid = await call('POST', '/admin/subscriptions', {
      token: analyst,
      body: { name: 'Paid orders', email: 'ana@example.com', sql: "SELECT id, amount, currency FROM raw.orders FINAL WHERE status = 'paid' ORDER BY id", cadence: 'daily', hour: 7 },
    });
    const empty = await call('POST', '/admin/subscriptions', {
      token: analyst,
      body: { name: 'Refunds', email: 'ana@example.com', sql: "SELECT id FROM raw.orders FINAL WHERE status = 'refunded'", cadence: 'daily', hour: 7 },
    });
    expect([paid.status, empty.status]).toEqual([201, 201]);
    const before = mailbox.messages().length;

    // Not due yet: created after today's 07:00.
    const created = new Date(paid.body.created_at);
    expect(await sendDueSubscriptions({ pool: db.pool, warehouse, log, now: created })).toBe('0 mailed, 0 skipped (empty), 0 failed');
    const tomorrow = new Date(Date.UTC(created.getUTCFullYear(), created.getUTCMonth(), created.getUTCDate() + 1, 7, 3));
    expect(await sendDueSubscriptions({ pool: db.pool, warehouse, log, now: tomorrow })).toBe('1 mailed, 1 skipped (empty), 0 failed');
    // The same occurrence again (a second run, a second scheduler): nothing more.
    expect(await sendDueSubscriptions({ pool: db.pool, warehouse, log, now: new Date(tomorrow.getTime() + 5 * 60_000) })).toBe('0 mailed, 0 skipped (empty), 0 failed');

    const received = (await mails(before + 1)).slice(before);
    expect(received).toHaveLength(1);
    const [mail] = received;
    const date = tomorrow.toISOString().slice(0, 10);
    expect(mail!.subject).toBe(`Paid orders: ${date}`);
    expect(mail!.to).toMatchObject({ text: 'ana@example.com' });
    expect(mail!.text).toContain('paid-orders');
    expect(mail!.attachments.map((a) => [a.filename, a.contentType])).toEqual([[`paid-orders-${date}.csv`, 'text/csv']]);
    expect(mail!.attachments[0]!.content.toString('utf8')).toBe('"id","amount","currency"\n1,2500,"usd"\n2,1999,"usd"\n');

    const log1 = await call('GET', `/admin/subscriptions/${paid.body.id}`, { token: analyst });
    expect(log1.body.last_occurrence_at).toBe(new Date(Date.UTC(tomorrow.getUTCFullYear(), tomorrow.getUTCMonth(), tomorrow.getUTCDate(), 7)).toISOString());
    expect(log1.body.deliveries).toEqual([expect.objectContaining({ trigger: 'schedule', outcome: 'queued', rows: 2, email_status: 'sent' })]);
    const log2 = await call('GET', `/admin/subscriptions/${empty.body.id}`, { token: analyst });
    expect(log2.body.deliveries).toEqual([expect.objectContaining({ outcome: 'skipped_empty', rows: 0, email_message_id: null })]);
    // Empty means no email at all, not an email the worker has yet to send.
    const [[queued]] = await db.pool.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM email_messages WHERE subject LIKE 'Refunds%'");
    expect(Number(queued!.n)).toBe(0);

    // Send now: mailed whatever the schedule, recorded as manual.
    const now = await call('POST', `/admin/subscriptions/${paid.body.id}/send`, { token: analyst });
    expect(now.body).toMatchObject({ outcome: 'queued', rows: 2 });
    expect((await mails(before + 2)).slice(before)).toHaveLength(2);
    expect((await call('POST', `/admin/subscriptions/${empty.body.id}/send`, { token: analyst })).body).toMatchObject({ outcome: 'skipped_empty' });
  });

  it('records a subscription that fails, with the reason, and mails nothing for it', async () => {
    const big = await call('POST', '/admin/subscriptions', {
      token: analyst, body: { name: 'Too big', email: 'ana@example.com', sql: "SELECT number, repeat('x', 200) AS padding FROM numbers(50000)", cadence: 'daily' },
    });
    expect(big.status).toBe(201);
    const sent = await call('POST', `/admin/subscriptions/${big.body.id}/send`, { token: analyst });
    expect(sent.body).toMatchObject({ outcome: 'failed', detail: expect.stringMatching(/MiB as CSV, more than an email carries .*narrow the query/) });
    const detail = await call('GET', `/admin/subscriptions/${big.body.id}`, { token: analyst });
    expect(detail.body.deliveries).toEqual([expect.objectContaining({ trigger: 'manual', outcome: 'failed', email_message_id: null })]);
    const [[queued]] = await db.pool.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM email_messages WHERE subject LIKE 'Too big%'");
    expect(Number(queued!.n)).toBe(0);
    await call('DELETE', `/admin/subscriptions/${big.body.id}`, { token: analyst });
  });

  it('mails a dashboard page\'s data, one CSV per table the page reads', async () => {
    mkdirSync(pagesDir, { recursive: true });
    writeFileSync(join(pagesDir, 'ops.md'), '# Ops\n\n```sql paid\nselect * from warehouse.paid_orders\n```\n\n```sql nothing\nselect * from warehouse.refunds\n```\n');
    // The dashboards' tables as the export defines them (export-marts.ts), two of them here.
    const dashboardQueries = {
      paid_orders: "SELECT id, amount FROM raw.orders FINAL WHERE status = 'paid' AND toDate(created_at) = '2026-03-10' ORDER BY id",
      refunds: "SELECT id FROM raw.orders FINAL WHERE status = 'refunded' AND toDate(created_at) = '2026-03-10'",
    };
    const subscription = await createSubscription(db.pool, 'ana', { name: 'Ops page', email: 'ops@example.com', page: '/reports/ops', cadence: 'daily' }, {
      pages: () => dashboardPages(pagesDir), pageName,
    });
    expect(subscription.target).toEqual({ kind: 'page', page: 'ops' });
    const before = mailbox.messages().length;
    const at = new Date('2026-03-12T07:00:00Z');
    const outcome = await sendSubscription({ pool: db.pool, warehouse, log, pagesDir, dashboardQueries, dashboardsUrl: 'http://127.0.0.1:9/reports/' }, await getSubscription(db.pool, subscription.id), at, 'manual');
    expect(outcome).toMatchObject({ outcome: 'queued', rows: 2 });
    const [mail] = (await mails(before + 1)).slice(before);
    expect(mail!.text).toContain('Open the page: http://127.0.0.1:9/reports/ops');
    expect(mail!.text).toContain('ops-paid_orders-2026-03-12.csv: 2 rows');
    expect(mail!.text).toContain('ops-refunds-2026-03-12.csv: 0 rows');
    expect(mail!.attachments.map((a) => [a.filename, a.content.toString('utf8')])).toEqual([
      ['ops-paid_orders-2026-03-12.csv', '"id","amount"\n1,2500\n2,1999\n'],
      ['ops-refunds-2026-03-12.csv', '"id"\n'],
    ]);
  });
});

describe('alerts', () => {
  it('mails once when a query alert enters breach, not while it stays breached, and again after it cleared', async () => {
    const created = await call('POST', '/admin/alerts', {
      token: analyst,
      body: { name: 'Refunds', check: 'query', sql: "SELECT count() AS value FROM raw.orders FINAL WHERE status = 'refunded'", comparison: '>', threshold: 0, recipients: ['ops@example.com', 'ana@example.com'] },
    });
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    const check = async () => (await call('POST', `/admin/alerts/${id}/check`, { token: analyst })).body;
    const emailsBefore = await emailRows();
    const before = mailbox.messages().length;

    expect(await check()).toMatchObject({ value: 0, breached: false, change: 'still_ok', emails: [] });
    const refund = await warehouseOrder({ status: 'refunded', amount: 5000, at: new Date() });
    const first = await check();
    expect(first).toMatchObject({ value: 1, breached: true, change: 'breached' });
    expect(first.emails).toHaveLength(2);
    // Still in breach, a minute later and by the job: no mail.
    expect(await check()).toMatchObject({ value: 1, change: 'still_breached', emails: [] });
    await evaluateAlerts({ pool: db.pool, warehouse, log, now: new Date() });
    expect(await emailRows()).toBe(emailsBefore + 2);

    const received = (await mails(before + 2)).slice(before);
    expect(received.map((m) => m.to && 'text' in m.to ? m.to.text : '').sort()).toEqual(['ana@example.com', 'ops@example.com']);
    expect(received[0]!.subject).toBe('Alert: Refunds (1 > 0)');
    expect(received[0]!.text).toContain('the value is 1 (fires when value > 0)');
    expect(received[0]!.text).toContain('value: 1');

    // The refund is deleted in the warehouse: cleared, no mail.
    await warehouseOrder({ id: refund, status: 'refunded', at: new Date(), version: 2, deleted: true });
    expect(await check()).toMatchObject({ value: 0, change: 'cleared', emails: [] });
    const stored = await getAlert(db.pool, id);
    expect(stored).toMatchObject({ state: 'ok', lastValue: 0 });
    expect(stored.lastClearedAt).not.toBeNull();
    // Breached again: mailed again.
    await warehouseOrder({ status: 'refunded', amount: 100, at: new Date() });
    expect(await check()).toMatchObject({ value: 1, change: 'breached' });
    expect(await emailRows()).toBe(emailsBefore + 4);
    expect((await mails(before + 4)).slice(before)).toHaveLength(4);
    const detail = await call('GET', `/admin/alerts/${id}`, { token: analyst });
    expect(detail.body).toMatchObject({ state: 'breached', last_value: 1 });
    expect(detail.body.deliveries).toHaveLength(4);
    expect(detail.body.deliveries.every((d: { email_message_id: number | null }) => d.email_message_id !== null)).toBe(true);
  });

  it('fires the built-in orders check when today has under half the orders of the same weekday last week, with the counts', async () => {
    // Its own day far from the other tests' orders: a Wednesday at 15:00 UTC.
    const at = new Date('2025-06-18T15:00:00Z');
    const lastWeek = new Date(at.getTime() - 7 * 86_400_000);
    for (const hour of [8, 9, 10, 11]) await warehouseOrder({ status: 'paid', at: new Date(lastWeek.getTime() - (15 - hour) * 3_600_000) });
    // Later that day last week: after the time of day compared, so not counted.
    await warehouseOrder({ status: 'paid', at: new Date(lastWeek.getTime() + 3_600_000) });
    await warehouseOrder({ status: 'paid', at: new Date(at.getTime() - 3_600_000) });
    const created = await call('POST', '/admin/alerts', {
      token: analyst, body: { name: 'Orders slump', check: 'orders_today_below_half_same_weekday_last_week', recipients: ['ops@example.com'] },
    });
    expect(created.body).toMatchObject({ comparison: '<', threshold: 0.5, state: 'ok' });
    const before = mailbox.messages().length;
    const outcome = await evaluateAlert({ pool: db.pool, warehouse, log }, await getAlert(db.pool, created.body.id), at);
    expect(outcome).toMatchObject({ value: 0.25, change: 'breached', details: { orders_today: 1, orders_same_weekday_last_week: 4 } });
    const [mail] = (await mails(before + 1)).slice(before);
    expect(mail!.subject).toBe('Alert: Orders slump (0.25 < 0.5)');
    expect(mail!.text).toContain('orders_today: 1');
    expect(mail!.text).toContain('orders_same_weekday_last_week: 4');
    // With the threshold at a quarter it is not a breach: the threshold is data.
    const changed = await call('PATCH', `/admin/alerts/${created.body.id}`, { token: analyst, body: { threshold: 0.2 } });
    expect(changed.body).toMatchObject({ threshold: 0.2, state: 'ok' });
    expect(await evaluateAlert({ pool: db.pool, warehouse, log }, await getAlert(db.pool, created.body.id), at)).toMatchObject({ value: 0.25, change: 'still_ok' });
  });

  it('fires the built-in dead-letter check when an email is dead', async () => {
    const created = await call('POST', '/admin/alerts', { token: analyst, body: { name: 'Dead letters', check: 'dead_letters_above_zero', recipients: ['ops@example.com'] } });
    expect((await call('POST', `/admin/alerts/${created.body.id}/check`, { token: analyst })).body).toMatchObject({ value: 0, change: 'still_ok' });
    await db.pool.query("INSERT INTO email_messages (template, to_address, subject, status, attempts) VALUES ('welcome', 'gone@example.com', 'Welcome', 'dead', 6)");
    const before = mailbox.messages().length;
    const fired = (await call('POST', `/admin/alerts/${created.body.id}/check`, { token: analyst })).body;
    expect(fired).toMatchObject({ value: 1, change: 'breached', details: { dead_emails: 1, dead_webhook_deliveries: 0 } });
    const [mail] = (await mails(before + 1)).slice(before);
    expect(mail!.subject).toBe('Alert: Dead letters (1 > 0)');
    expect(mail!.text).toContain('dead_emails: 1');
  });
});

describe('the scheduled jobs', () => {
  it('count the letters in the bus\'s dead-letter topics in the dead-letter alert, where the process has the bus', async () => {
    const bus = await EmbeddedBus.open({
      dir: join(dir.path, 'bus'), defaultPartitions: 2, segmentBytes: 64 * 1024, fsync: 'always', fsyncIntervalMs: 100, retentionBytes: 1 << 30, retentionMs: 3_600_000,
    });
    try {
      await bus.publish('sl.dlq.warehouse', [{ key: '{"id":7}', value: '{"error":"poison"}' }]);
      await bus.publish('sl.other.topic', [{ key: null, value: 'not a dead letter' }]);
      // Only the bus's letters count here: the dead email of the test above is sent again, the other alerts are off.
      await db.pool.query("UPDATE email_messages SET status = 'sent' WHERE status = 'dead'");
      await db.pool.query('UPDATE report_alerts SET enabled = 0');
      const created = await call('POST', '/admin/alerts', { token: analyst, body: { name: 'Bus letters', check: 'dead_letters_above_zero', recipients: ['ops@example.com'] } });
      const context = { scheduledFor: new Date(), signal: new AbortController().signal, log };
      const reports = { recipients: [], dashboardsDir: join(dir.path, 'dashboards'), withWarehouse: <T>(work: (client: ClickHouseClient) => Promise<T>) => work(warehouse) };
      const withoutBus = platformJobs({ pool: db.pool, timezone: 'UTC', reports }).find((job) => job.name === 'reports.alerts')!;
      expect(await withoutBus.run(context)).toBe('0 breached (mailed), 0 still breached, 0 cleared, 1 ok, 0 failed');
      const counter = new DeadLetterCounter(bus, 'sl');
      const deadLetters = async () => (await counter.count()).reduce((sum, topic) => sum + topic.count, 0);
      const withBus = platformJobs({ pool: db.pool, timezone: 'UTC', reports: { ...reports, deadLetters } }).find((job) => job.name === 'reports.alerts')!;
      const before = mailbox.messages().length;
      expect(await withBus.run(context)).toBe('1 breached (mailed), 0 still breached, 0 cleared, 0 ok, 0 failed');
      expect(await getAlert(db.pool, created.body.id)).toMatchObject({ state: 'breached', lastValue: 1 });
      const [mail] = (await mails(before + 1)).slice(before);
      expect(mail!.subject).toBe('Alert: Bus letters (1 > 0)');
      expect(mail!.text).toContain('dead_letter_topics: 1');
    } finally {
      await bus.close();
    }
  });

  it('runs subscriptions every five minutes and alerts every minute through the scheduler\'s catalogue, opening the warehouse only when there is work', async () => {
    let lent = 0;
    await db.pool.query('UPDATE report_alerts SET enabled = 1');
    const jobs = platformJobs({ pool: db.pool, timezone: 'UTC', reports: { recipients: [], dashboardsDir: join(dir.path, 'dashboards'), withWarehouse: (work) => { lent++; return work(warehouse); } } });
    const subscriptions = jobs.find((job) => job.name === 'reports.subscriptions')!;
    const alerts = jobs.find((job) => job.name === 'reports.alerts')!;
    expect([subscriptions.cron, alerts.cron]).toEqual(['*/5 * * * *', '* * * * *']);
    const context = { scheduledFor: new Date(), signal: new AbortController().signal, log };
    expect(await alerts.run(context)).toMatch(/^\d+ breached \(mailed\), \d+ still breached, \d+ cleared, \d+ ok, 0 failed$/);
    expect(await subscriptions.run(context)).toMatch(/^\d+ mailed, \d+ skipped \(empty\), 0 failed$/);
    expect(lent).toBe(2);
    await db.pool.query('UPDATE report_alerts SET enabled = 0');
    await db.pool.query('UPDATE report_subscriptions SET enabled = 0');
    expect(await alerts.run(context)).toBe('no alerts');
    expect(await subscriptions.run(context)).toBe('no subscriptions');
    expect(lent).toBe(2);
  });
});
