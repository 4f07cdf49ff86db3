// The dispatcher on a clock the test moves: attempts land when the published schedule says,
// whatever the failure (an error status, a hang past the timeout, a refused connection); a new
// dispatcher carries on a schedule another one started; an endpoint failing for days is disabled
// and its owner emailed. Real HTTP receivers on 127.0.0.1 and real MariaDB throughout.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/fixtures/database.js';
import { generateWebhookSecret } from '../../../core/webhook-signature.js';
import { silentLogger } from '../../../core/log.js';
import { freePort } from '../../../core/ports.js';
import { createUser } from '../../../marketplace/domain/users.js';
import { createMysqlPool, type RowDataPacket } from '../../../marketplace/mysql/connection.js';
import { renderEmail } from '../email/templates.js';
import { claimDue } from '../outbound/claim-due.js';
import { WebhookDispatcher, type WebhookDispatcherOptions } from './dispatcher.js';
import { WEBHOOK_RETRY_SCHEDULE_MS } from './retry-schedule.js';

interface Received { path: string; headers: IncomingHttpHeaders }

let db: TestDatabase;
let receiver: Server;
let base: string;
const received: Received[] = [];
let flakyFailuresLeft = 0;
/** Requests to /hang, held open until the test lets them go. */
const hanging: import('node:http').ServerResponse[] = [];
let now = new Date('2026-03-02T09:00:00.000Z');
const clock = () => now;

beforeAll(async () => {
  receiver = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      if (request.url === '/hang') {
        hanging.push(response);
        return; // never answers
      }
      received.push({ path: request.url ?? '', headers: request.headers });
      if (request.url === '/endless') {
        // An answer whose body never ends: the sender must keep its start and hang up.
        response.writeHead(500, { 'content-type': 'text/plain' });
        const stream = setInterval(() => response.write('x'.repeat(16_384)), 5);
        response.on('close', () => clearInterval(stream));
        return;
      }
      if (request.url === '/ok' || (request.url === '/flaky' && flakyFailuresLeft-- <= 0)) return response.writeHead(204).end();
      response.writeHead(500).end('boom');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
  db = await createTestDatabase('dispatch');
});
afterAll(async () => {
  await db?.close();
  receiver?.closeAllConnections();
  receiver?.close();
});

const dispatcher = (options: Partial<WebhookDispatcherOptions> = {}) =>
  new WebhookDispatcher({ pool: db.pool, log: silentLogger(), allowPrivate: true, timeoutMs: 300, clock, ...options });

let users = 0;
async function endpoint(url: string): Promise<{ endpointId: number; userId: number }> {
  const user = await createUser(db.pool, { email: `owner${++users}@example.com`, name: `Owner ${users}`, passwordHash: 'x' });
  const [result] = await db.pool.query<{ insertId: number } & RowDataPacket[]>(
    'INSERT INTO webhook_endpoints (user_id, url, event_types, secret) VALUES (?, ?, ?, ?)', [user.id, url, '[]', generateWebhookSecret()],
  );
  return { endpointId: result.insertId, userId: user.id };
}

async function delivery(endpointId: number): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      const [result] = await db.pool.query<{ insertId: number } & RowDataPacket[]>(
        "INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload, next_attempt_at) VALUES (?, UUID(), 'listing.created', '{}', ?)", [endpointId, now],
      );
      return result.insertId;
    } catch (error) {
      // A running dispatcher's claim can deadlock an insert, as it can the enqueuer's (which retries too).
      if ((error as { code?: string }).code !== 'ER_LOCK_DEADLOCK' || attempt === 5) throw error;
    }
  }
}

const utc = (value: string) => new Date(`${value.replace(' ', 'T')}Z`);

async function deliveryRows(ids: number[]) {
  const [rows] = await db.pool.query<RowDataPacket[]>('SELECT id, status, attempts, next_attempt_at, last_error FROM webhook_deliveries WHERE id IN (?) ORDER BY id', [ids]);
  return rows;
}

async function attemptTimes(id: number): Promise<number[]> {
  const [rows] = await db.pool.query<RowDataPacket[]>('SELECT started_at FROM webhook_delivery_attempts WHERE delivery_id = ? ORDER BY attempt', [id]);
  return rows.map((row) => utc(String(row.started_at)).getTime());
}

/** Ticks, then moves the clock to the earliest next attempt, until none of `ids` is waiting. */
async function runToEnd(sender: WebhookDispatcher, ids: number[]): Promise<RowDataPacket[]> {
  for (let round = 0; round < 100; round++) {
    await sender.tick();
    const rows = await deliveryRows(ids);
    const waiting = rows.filter((row) => row.status === 'retrying');
    if (waiting.length === 0) return rows;
    now = new Date(Math.min(...waiting.map((row) => utc(String(row.next_attempt_at)).getTime())));
  }
  throw new Error('the schedule did not end in 100 rounds');
}

function expectOnSchedule(times: number[], schedule: readonly number[] = WEBHOOK_RETRY_SCHEDULE_MS): void {
  expect(times).toHaveLength(schedule.length);
  for (let i = 1; i < times.length; i++) {
    const gap = times[i]! - times[i - 1]!;
    // The published step, ±10% jitter.
    expect(gap).toBeGreaterThanOrEqual(Math.floor(schedule[i]! * 0.9));
    expect(gap).toBeLessThanOrEqual(Math.ceil(schedule[i]! * 1.1));
  }
}

describe('webhook dispatcher', () => {
  it('retries an error status, a hang past the timeout and a refused connection on the published schedule, then marks them dead', async () => {
    const refused = await freePort();
    const targets = [`${base}/fail`, `${base}/hang`, `http://127.0.0.1:${refused}/closed`];
    const ids: number[] = [];
    for (const url of targets) ids.push(await delivery((await endpoint(url)).endpointId));

    const rows = await runToEnd(dispatcher(), ids);
    expect(rows.map((row) => row.status)).toEqual(['dead', 'dead', 'dead']);
    expect(rows.map((row) => row.attempts)).toEqual(Array(3).fill(WEBHOOK_RETRY_SCHEDULE_MS.length));
    expect(rows.every((row) => row.next_attempt_at === null)).toBe(true);
    expect(rows[0]!.last_error).toBe('HTTP 500: boom');
    expect(rows[1]!.last_error).toMatch(/no response within 0\.3 s/);
    expect(rows[2]!.last_error).toMatch(/ECONNREFUSED/);
    for (const id of ids) expectOnSchedule(await attemptTimes(id));

    const [log] = await db.pool.query<RowDataPacket[]>('SELECT attempt, response_code, response_body, succeeded FROM webhook_delivery_attempts WHERE delivery_id = ? ORDER BY attempt', [ids[0]]);
    expect(log.map((row) => row.attempt)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(log.every((row) => row.response_code === 500 && row.response_body === 'boom' && row.succeeded === 0)).toBe(true);
  });

  it('carries on a schedule that another dispatcher started, after it stopped or died mid-send', async () => {
    flakyFailuresLeft = 3;
    const { endpointId } = await endpoint(`${base}/flaky`);
    const id = await delivery(endpointId);
    const first = received.length;

    const before = dispatcher();
    await before.tick();
    now = utc(String((await deliveryRows([id]))[0]!.next_attempt_at));
    await before.tick();
    await before.stop();

    // A new process: its own pool, its own dispatcher, nothing shared but MySQL.
    const pool = await createMysqlPool(db.url);
    try {
      // The next one claims the delivery and dies before sending: the lease keeps everyone off it
      // until it expires, then the delivery is sent again.
      now = utc(String((await deliveryRows([id]))[0]!.next_attempt_at));
      expect(await claimDue(pool, { table: 'webhook_deliveries', waiting: ['pending', 'retrying'], inFlight: 'sending', leaseSeconds: 60, limit: 20, now })).toEqual([id]);
      const after = new WebhookDispatcher({ pool, log: silentLogger(), allowPrivate: true, timeoutMs: 300, clock });
      expect(await after.tick()).toBe(0);
      now = new Date(now.getTime() + 61_000);
      await after.tick(); // attempt 3 fails
      now = utc(String((await deliveryRows([id]))[0]!.next_attempt_at));
      await after.tick(); // attempt 4 succeeds
    } finally {
      await pool.end();
    }
    const [row] = await deliveryRows([id]);
    expect(row).toMatchObject({ status: 'succeeded', attempts: 4, next_attempt_at: null });
    const times = await attemptTimes(id);
    expect(times).toHaveLength(4);
    expectOnSchedule(times.slice(0, 2), WEBHOOK_RETRY_SCHEDULE_MS.slice(0, 2));
    // The third attempt came late, once the dead sender's lease had expired; the fourth on time.
    expect(times[2]! - times[1]!).toBeGreaterThan(WEBHOOK_RETRY_SCHEDULE_MS[2]! * 0.9);
    expect(times[3]! - times[2]!).toBeGreaterThanOrEqual(Math.floor(WEBHOOK_RETRY_SCHEDULE_MS[3]! * 0.9));
    expect(times[3]! - times[2]!).toBeLessThanOrEqual(Math.ceil(WEBHOOK_RETRY_SCHEDULE_MS[3]! * 1.1));
    const sent = received.slice(first).filter((r) => r.path === '/flaky');
    expect(sent).toHaveLength(4);
    expect(new Set(sent.map((r) => r.headers['webhook-id'])).size).toBe(1);
  });

  it('disables an endpoint that failed every delivery for 5 days, emails its owner, and holds its deliveries', async () => {
    const { endpointId, userId } = await endpoint(`${base}/fail`);
    const sender = dispatcher();
    const started = now;
    await delivery(endpointId);
    await sender.tick();
    const [marked] = await db.pool.query<RowDataPacket[]>('SELECT enabled, failing_since FROM webhook_endpoints WHERE id = ?', [endpointId]);
    expect(marked[0]).toMatchObject({ enabled: 1 });
    expect(utc(String(marked[0]!.failing_since)).getTime()).toBe(started.getTime());

    now = new Date(started.getTime() + 4 * 86_400_000);
    await delivery(endpointId);
    await sender.tick();
    expect((await db.pool.query<RowDataPacket[]>('SELECT enabled FROM webhook_endpoints WHERE id = ?', [endpointId]))[0][0]).toMatchObject({ enabled: 1 });

    now = new Date(started.getTime() + 5 * 86_400_000 + 1_000);
    await delivery(endpointId);
    await sender.tick();
    const [endpoints] = await db.pool.query<RowDataPacket[]>('SELECT enabled, disabled_reason FROM webhook_endpoints WHERE id = ?', [endpointId]);
    expect(endpoints[0]).toMatchObject({ enabled: 0, disabled_reason: 'every delivery failed for 5 days' });
    const [emails] = await db.pool.query<RowDataPacket[]>("SELECT user_id, to_address, status, data FROM email_messages WHERE template = 'webhook_endpoint_disabled' AND user_id = ?", [userId]);
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({ to_address: `owner${users}@example.com`, status: 'queued' });
    const raw = emails[0]!.data as unknown;
    const data = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Record<string, unknown>;
    expect(renderEmail('webhook_endpoint_disabled', 'Owner', data).text).toContain(`${base}/fail`);

    // Further deliveries are kept as failed, not sent, until the owner re-enables and replays.
    const sentBefore = received.length;
    const held = await delivery(endpointId);
    await sender.tick();
    expect((await deliveryRows([held]))[0]).toMatchObject({ status: 'failed', attempts: 0, last_error: 'the endpoint is disabled' });
    expect(received.length).toBe(sentBefore);
    // Failing longer does not mail again.
    now = new Date(now.getTime() + 86_400_000);
    await sender.tick();
    const [count] = await db.pool.query<RowDataPacket[]>("SELECT COUNT(*) AS n FROM email_messages WHERE template = 'webhook_endpoint_disabled' AND user_id = ?", [userId]);
    expect(Number(count[0]!.n)).toBe(1);
  });

  it('forgets an endpoint\'s failures once a delivery succeeds', async () => {
    flakyFailuresLeft = 1;
    const { endpointId } = await endpoint(`${base}/flaky`);
    const id = await delivery(endpointId);
    const rows = await runToEnd(dispatcher(), [id]);
    expect(rows[0]).toMatchObject({ status: 'succeeded', attempts: 2 });
    const [endpoints] = await db.pool.query<RowDataPacket[]>('SELECT enabled, failing_since FROM webhook_endpoints WHERE id = ?', [endpointId]);
    expect(endpoints[0]).toMatchObject({ enabled: 1, failing_since: null });
  });

  it('sends to other endpoints while one receiver hangs, holding only a few sends for it', async () => {
    // Earlier tests' deliveries still waiting would be sent too, with this test's long timeout.
    await db.pool.query("UPDATE webhook_deliveries SET status = 'failed', lease_until = NULL WHERE status IN ('pending', 'retrying', 'sending')");
    for (const response of hanging.splice(0)) response.destroy();
    const stuck = await endpoint(`${base}/hang`);
    const healthy = await endpoint(`${base}/ok`);
    const stuckIds = await Promise.all(Array.from({ length: 30 }, () => delivery(stuck.endpointId)));
    const healthyIds: number[] = [];
    const sender = dispatcher({ timeoutMs: 120_000, maxInFlightPerEndpoint: 4, pollMs: 20 });
    sender.start();
    try {
      // Due after the stuck ones, so a sender that waited for its whole batch would never get to them.
      for (let i = 0; i < 20; i++) healthyIds.push(await delivery(healthy.endpointId));
      for (const deadline = Date.now() + 20_000; ;) {
        const rows = await deliveryRows(healthyIds);
        if (rows.every((row) => row.status === 'succeeded')) break;
        if (Date.now() > deadline) throw new Error(`healthy deliveries stuck: ${JSON.stringify(rows.map((row) => row.status))}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      // Every healthy send finished while the hanging receiver still holds its four.
      const stuckRows = await deliveryRows(stuckIds);
      expect(stuckRows.filter((row) => row.status === 'sending')).toHaveLength(4);
      expect(stuckRows.filter((row) => row.status === 'pending')).toHaveLength(26);
      expect(hanging).toHaveLength(4);
    } finally {
      // Stopped, the sender waits for its sends in hand: the receiver lets them go (and any it
      // started meanwhile), and each ends as a failed attempt to try again.
      let stopped = false;
      const stopping = sender.stop().finally(() => { stopped = true; });
      while (!stopped) {
        for (const response of hanging.splice(0)) response.destroy();
        await new Promise((r) => setTimeout(r, 20));
      }
      await stopping;
      const after = await deliveryRows(stuckIds);
      // Not left due for the tests after this one.
      await db.pool.query("UPDATE webhook_deliveries SET status = 'failed' WHERE endpoint_id = ?", [stuck.endpointId]);
      expect(after.filter((row) => row.status === 'retrying').length).toBeGreaterThanOrEqual(4);
      expect(after.every((row) => row.status === 'retrying' || row.status === 'pending')).toBe(true);
    }
  });

  it('keeps the start of an answer whose body never ends, and hangs up', async () => {
    // Last in this file: its retries stay due and would reach the receiver in later tests.
    const { endpointId } = await endpoint(`${base}/endless`);
    const id = await delivery(endpointId);
    // Long enough that reading until the timeout would be a hang, not a slow receiver.
    await dispatcher({ timeoutMs: 60_000 }).tick();
    const [row] = await deliveryRows([id]);
    expect(row).toMatchObject({ status: 'retrying', attempts: 1, last_error: `HTTP 500: ${'x'.repeat(200)}` });
    const [log] = await db.pool.query<RowDataPacket[]>('SELECT response_code, response_body, error FROM webhook_delivery_attempts WHERE delivery_id = ?', [id]);
    expect(log).toEqual([{ response_code: 500, response_body: 'x'.repeat(500), error: `HTTP 500: ${'x'.repeat(200)}` }]);
  });
});
