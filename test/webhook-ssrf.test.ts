// Webhook URLs that point at the platform's own network, in every spelling we know of: each is
// refused when saved through the public API and, written to the database directly, when it is
// delivered, with nothing reaching the HTTP server on 127.0.0.1. The loopback spellings do reach
// that server once private addresses are allowed, so the refusals are the guard's own.
import { createServer, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPublicServer } from '../api/public/server.js';
import { generateWebhookSecret } from '../core/webhook-signature.js';
import { silentLogger } from '../core/log.js';
import type { ResultSetHeader, RowDataPacket } from '../marketplace/mysql/connection.js';
import { WebhookDispatcher } from '../pipelines/sinks/webhooks/dispatcher.js';
import { createTestDatabase, type TestDatabase } from './fixtures/database.js';
import { until } from './fixtures/eventually.js';
import { httpClient } from './fixtures/http-client.js';

/** A URL with PORT standing for the receiver's port, and whether it reaches the receiver when allowed. */
type Spelling = [url: string, reachesReceiver: boolean];

const spellings: Spelling[] = [
  // IPv4-mapped loopback: accepted and delivered before this guard (the URL parser writes it in hex).
  ['http://[::ffff:127.0.0.1]:PORT/', true], ['http://[::ffff:7f00:1]:PORT/', true], ['http://[0:0:0:0:0:ffff:127.0.0.1]:PORT/', true],
  // IPv4 loopback in the forms the URL parser turns into 127.0.0.1.
  ['http://127.0.0.1:PORT/', true], ['http://2130706433:PORT/', true], ['http://0x7f000001:PORT/', true], ['http://0x7f.0.0.1:PORT/', true],
  ['http://0177.0.0.1:PORT/', true], ['http://017700000001:PORT/', true], ['http://127.1:PORT/', true], ['http://127.0.1:PORT/', true],
  ['http://127.0.0.1.:PORT/', true], ['http://%31%32%37.0.0.1:PORT/', true],
  // "This host": Linux connects 0.0.0.0 to the local machine.
  ['http://0.0.0.0:PORT/', true], ['http://0:PORT/', true],
  // Names resolving to loopback, judged by the address the socket would connect to.
  ['http://localhost:PORT/', true], ['http://LOCALHOST:PORT/', true],
  // IPv6 loopback and unspecified, IPv4-compatible, NAT64, 6to4 and IPv4-translated loopback.
  ['http://[::1]:PORT/', false], ['http://[::]:PORT/', false], ['http://[::127.0.0.1]:PORT/', false], ['http://[::7f00:1]:PORT/', false],
  ['http://[64:ff9b::7f00:1]:PORT/', false], ['http://[64:ff9b::127.0.0.1]:PORT/', false], ['http://[64:ff9b:1::7f00:1]:PORT/', false],
  ['http://[2002:7f00:1::]:PORT/', false], ['http://[2002:7f00:1::1]:PORT/', false], ['http://[::ffff:0:7f00:1]:PORT/', false],
  // Cloud metadata (link-local) in its spellings.
  ['http://169.254.169.254/latest/meta-data/', false], ['http://2852039166/latest/meta-data/', false], ['http://[::ffff:a9fe:a9fe]/latest/meta-data/', false],
  ['http://[::ffff:169.254.169.254]/latest/meta-data/', false], ['http://[64:ff9b::a9fe:a9fe]/latest/meta-data/', false], ['http://[2002:a9fe:a9fe::]/latest/meta-data/', false],
  // Private, CGNAT, 0/8, multicast, broadcast, reserved, benchmarking and documentation IPv4, also mapped.
  ['http://10.0.0.1/', false], ['http://172.16.0.1/', false], ['http://172.31.255.254/', false], ['http://192.168.1.1/', false],
  ['http://[::ffff:10.0.0.1]/', false], ['http://[::ffff:c0a8:101]/', false], ['http://[2002:c0a8:101::1]/', false],
  ['http://100.64.0.1/', false], ['http://0.1.2.3/', false], ['http://224.0.0.1/', false], ['http://255.255.255.255/', false],
  ['http://240.0.0.1/', false], ['http://192.0.0.8/', false], ['http://198.18.0.1/', false], ['http://198.19.255.254/', false],
  ['http://192.0.2.1/', false], ['http://198.51.100.1/', false], ['http://203.0.113.1/', false],
  // IPv6 unique local, link-local, site-local, multicast, documentation, Teredo.
  ['http://[fd00::1]/', false], ['http://[fc00::1]/', false], ['http://[fe80::1]/', false], ['http://[fec0::1]/', false],
  ['http://[ff02::1]/', false], ['http://[2001:db8::1]/', false], ['http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/', false],
];

let db: TestDatabase;
let api: FastifyInstance;
let call: ReturnType<typeof httpClient>;
let receiver: Server;
let port: number;
const received: string[] = [];

const urlOf = (spelling: string, path = '') => `${spelling.replace('PORT', String(port))}${path}`;

beforeAll(async () => {
  receiver = createServer((request, response) => {
    received.push(request.url ?? '');
    request.resume();
    if (request.url === '/redirect') response.writeHead(307, { location: `http://127.0.0.1:${port}/redirected` }).end();
    else response.writeHead(204).end();
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  port = (receiver.address() as { port: number }).port;
  db = await createTestDatabase('ssrf');
  // Default settings: private addresses refused.
  api = await buildPublicServer({ pool: db.pool, log: silentLogger(), rateLimit: { perMinute: 100_000, authPerMinute: 100_000 } });
  call = httpClient(await api.listen({ host: '127.0.0.1', port: 0 }));
});
afterAll(async () => {
  await api?.close();
  await db?.close();
  receiver?.close();
});

/** Writes an endpoint and a due delivery straight into the database, as no API would let one. */
async function queueDelivery(userId: number, url: string, eventType: string): Promise<number> {
  const [endpoint] = await db.pool.query<ResultSetHeader>(
    "INSERT INTO webhook_endpoints (user_id, url, event_types, secret) VALUES (?, ?, '[]', ?)", [userId, url, generateWebhookSecret()],
  );
  const [delivery] = await db.pool.query<ResultSetHeader>(
    "INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, payload, next_attempt_at) VALUES (?, UUID(), ?, '{}', UTC_TIMESTAMP(6))", [endpoint.insertId, eventType],
  );
  return delivery.insertId;
}

async function deliveriesOf(eventType: string): Promise<RowDataPacket[]> {
  const [rows] = await db.pool.query<RowDataPacket[]>(
    `SELECT e.url, d.status, d.attempts, d.last_response_code, d.last_error, a.error AS attempt_error
     FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id
     LEFT JOIN webhook_delivery_attempts a ON a.delivery_id = d.id AND a.attempt = 1
     WHERE d.event_type = ? ORDER BY d.id`, [eventType],
  );
  return rows;
}

/** Runs a dispatcher until every delivery of the event type is settled. */
async function dispatchAll(allowPrivate: boolean, eventType: string, settled: (row: RowDataPacket) => boolean): Promise<RowDataPacket[]> {
  const dispatcher = new WebhookDispatcher({ pool: db.pool, log: silentLogger(), allowPrivate, schedule: [0, 20], timeoutMs: 2000 });
  try {
    return await until(async () => { await dispatcher.tick(); return deliveriesOf(eventType); }, (rows) => rows.every(settled), 30_000);
  } finally {
    await dispatcher.stop();
  }
}

describe('webhook URLs that reach the platform\'s own network', () => {
  let token: string;
  let userId: number;
  let publicEndpoint: number;

  beforeAll(async () => {
    const user = await call('POST', '/v1/users', { body: { email: `ssrf-${Date.now()}@example.com`, password: 'correct horse battery', name: 'SSRF' } });
    expect(user.status).toBe(201);
    token = user.body.session.token;
    userId = user.body.user.id;
    // A public address literal: saved without a lookup, and nothing is sent until an event comes.
    const created = await call('POST', '/v1/webhook-endpoints', { token, body: { url: 'http://93.184.216.34/hook' } });
    expect(created.status).toBe(201);
    publicEndpoint = created.body.id;
  });

  it.each(spellings)('refuses %s when an endpoint is created or changed', async (spelling) => {
    const url = urlOf(spelling);
    const created = await call('POST', '/v1/webhook-endpoints', { token, body: { url } });
    expect(created).toMatchObject({ status: 400, body: { error: 'invalid_request', field: 'url' } });
    expect(created.body.message).toMatch(/not a public address/);
    const changed = await call('PATCH', `/v1/webhook-endpoints/${publicEndpoint}`, { token, body: { url } });
    expect(changed).toMatchObject({ status: 400, body: { error: 'invalid_request', field: 'url' } });
    expect(changed.body.message).toMatch(/not a public address/);
  });

  it('kept only the public endpoint, unchanged', async () => {
    const listed = await call('GET', '/v1/webhook-endpoints', { token });
    expect(listed.body.data.map((e: { id: number; url: string }) => [e.id, e.url])).toEqual([[publicEndpoint, 'http://93.184.216.34/hook']]);
  });

  it('refuses every spelling at delivery, records why, and sends nothing to the local server', async () => {
    for (const [spelling] of spellings) await queueDelivery(userId, urlOf(spelling), 'ssrf.refused');
    const rows = await dispatchAll(false, 'ssrf.refused', (row) => row.status !== 'pending' && row.status !== 'sending');
    // One table of outcomes, so a failure lists every spelling that got through.
    expect(rows.map((row) => ({
      url: row.url, status: row.status, attempts: row.attempts, code: row.last_response_code,
      why: /not a public address \(.+\)/.test(String(row.last_error)) && row.attempt_error === row.last_error,
    }))).toEqual(spellings.map(([spelling]) => ({ url: urlOf(spelling), status: 'failed', attempts: 1, code: null, why: true })));
    expect(received).toEqual([]);
  });

  it('delivers the loopback spellings to the local server once private addresses are allowed', async () => {
    const reaching = spellings.filter(([, reaches]) => reaches);
    for (const [index, [spelling]] of reaching.entries()) await queueDelivery(userId, urlOf(spelling, `allowed-${index}`), 'ssrf.allowed');
    const rows = await dispatchAll(true, 'ssrf.allowed', (row) => row.status === 'succeeded' || row.status === 'dead');
    expect(rows.map((row) => [row.url, row.status, row.last_response_code])).toEqual(reaching.map(([spelling], index) => [urlOf(spelling, `allowed-${index}`), 'succeeded', 204]));
    expect(received.sort()).toEqual(reaching.map((_, index) => `/allowed-${index}`).sort());
  });

  it('does not follow a redirect: the 3xx is the attempt\'s answer and its target is never asked', async () => {
    received.length = 0;
    await queueDelivery(userId, `http://127.0.0.1:${port}/redirect`, 'ssrf.redirect');
    const [row] = await dispatchAll(true, 'ssrf.redirect', (r) => r.status === 'dead');
    expect(row).toMatchObject({ status: 'dead', attempts: 2, last_response_code: 307 });
    expect(received).toEqual(['/redirect', '/redirect']);
  });
});
