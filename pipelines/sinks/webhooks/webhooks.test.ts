// Webhooks end to end: an order placed in MariaDB reaches the seller's HTTP endpoint, signed,
// through change capture, the bus, the enqueuer and the dispatcher; failures are retried on the
// schedule and end dead; private addresses are refused unless allowed.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestReader, type TestReader } from '../../../test/fixtures/cdc.js';
import { createTestDatabase, type TestDatabase } from '../../../test/fixtures/database.js';
import { until } from '../../../test/fixtures/eventually.js';
import { tempDir } from '../../../test/fixtures/temp-dir.js';
import { generateWebhookSecret, verifyWebhook } from '../../../core/webhook-signature.js';
import { silentLogger } from '../../../core/log.js';
import { freePort } from '../../../core/ports.js';
import { createListing } from '../../../marketplace/domain/listings.js';
import { placeOrder } from '../../../marketplace/domain/orders.js';
import { createUser } from '../../../marketplace/domain/users.js';
import type { RowDataPacket } from '../../../marketplace/mysql/connection.js';
import type { ConsumerRunner } from '../../consumers/runner.js';
import { Webhook } from 'standardwebhooks';
import { fetch } from 'undici';
import { PoisonMessage } from '../../../core/errors.js';
import { deliveryAgent } from './address-guard.js';
import { nonPublicRange } from './public-address.js';
import { startWebhookEnqueuer, WebhookDispatcher } from './webhook-worker.js';

interface Received { headers: IncomingHttpHeaders; body: string }

const dir = tempDir();
let db: TestDatabase;
let cdc: TestReader;
let enqueuer: ConsumerRunner;
let dispatcher: WebhookDispatcher;
let receiver: Server;
let base: string;
const received: Received[] = [];
let failuresLeft = 0;
let alwaysFail = false;

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      if (request.url === '/hooks/hang') return; // never answers: the sender must time out
      received.push({ headers: request.headers, body });
      const fail = alwaysFail || failuresLeft-- > 0;
      response.writeHead(fail ? 503 : 204).end(fail ? 'try later' : undefined);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
  db = await createTestDatabase('hooks');
  cdc = await startTestReader(db.url, join(dir.path, 'cdc'));
  const options = { bus: cdc.bus, pool: db.pool, topicPrefix: 'sl', log: silentLogger(), allowPrivate: true, schedule: [0, 50, 100], pollMs: 25, timeoutMs: 2000 };
  enqueuer = startWebhookEnqueuer(options);
  await enqueuer.start();
  dispatcher = new WebhookDispatcher(options);
  dispatcher.start();
});
afterAll(async () => {
  await dispatcher?.stop();
  await enqueuer?.stop();
  await cdc?.stop();
  await db?.close();
  receiver?.close();
  dir.remove();
});

async function endpointFor(userId: number, path: string, types: string[] = []): Promise<string> {
  const secret = generateWebhookSecret();
  await db.pool.query('INSERT INTO webhook_endpoints (user_id, url, event_types, secret) VALUES (?, ?, ?, ?)', [userId, `${base}${path}`, JSON.stringify(types), secret]);
  return secret;
}


const deliveries = async (eventType: string) => {
  const [rows] = await db.pool.query<RowDataPacket[]>('SELECT status, attempts, last_response_code, last_error FROM webhook_deliveries WHERE event_type = ? ORDER BY id', [eventType]);
  return rows;
};

describe('webhooks', () => {
  it('delivers order.placed to the seller\'s endpoint, signed per Standard Webhooks', async () => {
    const seller = await createUser(db.pool, { email: 'seller@example.com', name: 'Seller', passwordHash: 'x' });
    const buyer = await createUser(db.pool, { email: 'buyer@example.com', name: 'Buyer', passwordHash: 'x' });
    const secret = await endpointFor(seller.id, '/hooks/orders', ['order.placed']);
    const listingId = await createListing(db.pool, { sellerId: seller.id, name: 'Bike', description: 'Fast', category: 'bikes', country: 'US', city: 'Austin', priceAmount: 30_000, priceCurrency: 'usd' });
    const order = await placeOrder(db.pool, listingId, buyer.id);

    const got = await until(async () => received.filter((r) => r.headers['webhook-id'] && r.body.includes('order.placed')), (r) => r.length > 0);
    expect(got).toHaveLength(1);
    const body = verifyWebhook(secret, got[0]!.headers as Record<string, string>, got[0]!.body) as { type: string; timestamp: string; data: Record<string, unknown> };
    expect(body).toMatchObject({ type: 'order.placed', data: { id: order.id, listing_id: listingId, seller_id: seller.id, amount: 30_000, currency: 'usd' } });
    // An independent implementation of the standard accepts our signature too.
    expect(new Webhook(secret).verify(got[0]!.body, got[0]!.headers as Record<string, string>)).toMatchObject({ type: 'order.placed' });
    expect(got[0]!.headers['webhook-id']).toMatch(/^msg_[0-9a-f-]{36}$/);
    expect(await until(() => deliveries('order.placed'), (rows) => rows[0]?.status === 'succeeded')).toMatchObject([{ status: 'succeeded', attempts: 1, last_response_code: 204 }]);
    // Only subscribed types: the listing.created of that listing was not sent to this endpoint.
    expect(received.filter((r) => r.body.includes('"listing.created"'))).toEqual([]);
  });

  it('retries a failing endpoint on the schedule with the same webhook-id, then gives up', async () => {
    const user = await createUser(db.pool, { email: 'flaky@example.com', name: 'Flaky', passwordHash: 'x' });
    await endpointFor(user.id, '/hooks/flaky', ['listing.created']);
    failuresLeft = 2;
    const first = received.length;
    await createListing(db.pool, { sellerId: user.id, name: 'Lamp', description: 'x', category: 'home-garden', country: 'US', city: 'Austin', priceAmount: 1_000, priceCurrency: 'usd' });
    const rows = await until(() => deliveries('listing.created'), (r) => r.some((row) => row.status === 'succeeded'));
    expect(rows.find((row) => row.status === 'succeeded')).toMatchObject({ attempts: 3, last_response_code: 204 });
    const attempts = received.slice(first).filter((r) => r.body.includes('"Lamp"'));
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((a) => a.headers['webhook-id'])).size).toBe(1);

    alwaysFail = true;
    await createListing(db.pool, { sellerId: user.id, name: 'Doomed', description: 'x', category: 'home-garden', country: 'US', city: 'Austin', priceAmount: 1_000, priceCurrency: 'usd' });
    const dead = await until(() => deliveries('listing.created'), (r) => r.some((row) => row.status === 'dead'));
    alwaysFail = false;
    expect(dead.find((row) => row.status === 'dead')).toMatchObject({ attempts: 3, last_response_code: 503, last_error: 'HTTP 503: try later' });
  });

  it('retries a receiver that hangs past the timeout, and one that refuses connections', async () => {
    const user = await createUser(db.pool, { email: 'hang@example.com', name: 'Hang', passwordHash: 'x' });
    await endpointFor(user.id, '/hooks/hang', ['user.signed_up']);
    const closed = await freePort(); // nothing listens there: connections are refused
    await db.pool.query('INSERT INTO webhook_endpoints (user_id, url, event_types, secret) VALUES (?, ?, ?, ?)', [user.id, `http://127.0.0.1:${closed}/closed`, '["user.signed_up"]', generateWebhookSecret()]);
    await db.pool.query("INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload, next_attempt_at) SELECT id, UUID(), 'timeout.test', '{}', UTC_TIMESTAMP(6) FROM webhook_endpoints WHERE user_id = ?", [user.id]);
    const rows = await until(() => deliveries('timeout.test'), (r) => r.length === 2 && r.every((row) => row.status === 'dead'), 30_000);
    const errors = rows.map((row) => String(row.last_error));
    expect(errors.some((e) => /fetch failed \(ECONNREFUSED\)/.test(e))).toBe(true);
    expect(errors.some((e) => /no response within 2 s/.test(e))).toBe(true);
    expect(rows.every((row) => row.attempts === 3)).toBe(true);
  });

  it('refuses private and loopback addresses unless allowed', async () => {
    expect(['127.0.0.1', '10.1.2.3', '192.168.0.4', '172.20.0.1', '169.254.169.254', '::1', 'fd00::1', '::ffff:10.0.0.1'].every(nonPublicRange)).toBe(true);
    expect(['93.184.216.34', '2606:2800:220:1::1'].some(nonPublicRange)).toBe(false);
    const strict = new WebhookDispatcher({ pool: db.pool, log: silentLogger(), allowPrivate: false, schedule: [0, 50] });
    await dispatcher.stop();
    try {
      const user = await createUser(db.pool, { email: 'ssrf@example.com', name: 'SSRF', passwordHash: 'x' });
      await endpointFor(user.id, '/hooks/internal', ['user.signed_up']);
      await db.pool.query("INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload, next_attempt_at) SELECT id, UUID(), 'ssrf.test', '{}', UTC_TIMESTAMP(6) FROM webhook_endpoints WHERE url LIKE '%/hooks/internal'");
      // Other tests' deliveries may be due too: tick until ours has been tried.
      const [row] = await until(async () => { await strict.tick(); return deliveries('ssrf.test'); }, (rows) => rows[0]?.status === 'failed');
      expect(row).toMatchObject({ status: 'failed', attempts: 1, last_response_code: null });
      expect(row!.last_error).toMatch(/resolves to 127\.0\.0\.1, not a public address \(loopback\)/);

      // A name is judged by the address the connection would go to, so nothing reaches the receiver.
      const sentBefore = received.length;
      await db.pool.query("UPDATE webhook_endpoints SET url = REPLACE(url, '127.0.0.1', 'localhost') WHERE url LIKE '%/hooks/internal'");
      await db.pool.query("INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload, next_attempt_at) SELECT id, UUID(), 'ssrf.name', '{}', UTC_TIMESTAMP(6) FROM webhook_endpoints WHERE url LIKE '%/hooks/internal'");
      const [named] = await until(async () => { await strict.tick(); return deliveries('ssrf.name'); }, (rows) => rows[0]?.status === 'failed');
      expect(named).toMatchObject({ status: 'failed', attempts: 1, last_response_code: null });
      expect(named!.last_error).toMatch(/^webhook URL localhost resolves to (127\.0\.0\.1|::1), not a public address \(loopback\)/);
      expect(received.slice(sentBefore).filter((r) => r.headers['webhook-id'] && r.body === '{}')).toEqual([]);
    } finally {
      await strict.stop();
      dispatcher = new WebhookDispatcher({ pool: db.pool, log: silentLogger(), allowPrivate: true, schedule: [0, 50, 100], pollMs: 25 });
      dispatcher.start();
    }
  });
  it('refuses a private address met when connecting, though the URL was checked before (DNS rebinding)', async () => {
    // The sender's connections resolve names themselves: a host that answered with a public
    // address at the check and a private one now is refused when the socket is made.
    const url = `http://localhost:${new URL(base).port}/hooks/rebound`;
    const strict = deliveryAgent(false);
    const lenient = deliveryAgent(true);
    try {
      const refused = await fetch(url, { method: 'POST', body: '{}', dispatcher: strict }).then(() => undefined, (error: Error) => error);
      expect(refused?.cause).toBeInstanceOf(PoisonMessage);
      expect((refused!.cause as Error).message).toMatch(/localhost resolves to (127\.0\.0\.1|::1), not a public address \(loopback\)/);
      expect(received.filter((r) => r.body === '{"rebound":true}')).toEqual([]);
      // The same request through the lenient agent arrives: the refusal above was the guard's.
      const response = await fetch(url, { method: 'POST', body: '{"rebound":true}', dispatcher: lenient });
      expect(response.status).toBe(204);
      expect(received.filter((r) => r.body === '{"rebound":true}')).toHaveLength(1);
    } finally {
      await strict.close();
      await lenient.close();
    }
  });
});

