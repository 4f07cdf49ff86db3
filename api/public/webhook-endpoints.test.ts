// Webhook endpoints over the real public API, with the real dispatcher sending to a real receiver
// on 127.0.0.1: the secret shown once and never logged, test events verified by an independent
// Standard Webhooks implementation, rotation with an overlap, the delivery log, and replays.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RowDataPacket } from '../../marketplace/mysql/connection.js';
import { WebhookDispatcher } from '../../pipelines/sinks/webhooks/dispatcher.js';
import { capturedLog } from '../../test/fixtures/captured-log.js';
import { createTestDatabase, type TestDatabase } from '../../test/fixtures/database.js';
import { until } from '../../test/fixtures/eventually.js';
import { httpClient } from '../../test/fixtures/http-client.js';
import { buildPublicServer } from './server.js';

interface Received { path: string; headers: IncomingHttpHeaders; body: string }

let db: TestDatabase;
let app: FastifyInstance;
let strictApp: FastifyInstance;
let dispatcher: WebhookDispatcher;
let receiver: Server;
let hooks: string;
let call: ReturnType<typeof httpClient>;
let strictCall: ReturnType<typeof httpClient>;
const received: Received[] = [];
let receiverDown = false;
const logged = capturedLog('debug');
const secrets: string[] = [];

beforeAll(async () => {
  receiver = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => { body += chunk; });
    request.on('end', () => {
      received.push({ path: request.url ?? '', headers: request.headers, body });
      response.writeHead(receiverDown ? 503 : 204).end(receiverDown ? 'down for maintenance' : undefined);
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hooks = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
  db = await createTestDatabase('hookapi');
  const rateLimit = { perMinute: 100_000, authPerMinute: 100_000 };
  app = await buildPublicServer({ pool: db.pool, log: logged.log, rateLimit, webhooksAllowPrivate: true });
  call = httpClient(await app.listen({ host: '127.0.0.1', port: 0 }));
  strictApp = await buildPublicServer({ pool: db.pool, log: logged.log, rateLimit });
  strictCall = httpClient(await strictApp.listen({ host: '127.0.0.1', port: 0 }));
  dispatcher = new WebhookDispatcher({ pool: db.pool, log: logged.log, allowPrivate: true, schedule: [0, 20], pollMs: 20, timeoutMs: 2000 });
  dispatcher.start();
});
afterAll(async () => {
  await dispatcher?.stop();
  await app?.close();
  await strictApp?.close();
  await db?.close();
  receiver?.close();
});

let accounts = 0;
async function signUp(): Promise<{ id: number; token: string }> {
  const response = await call('POST', '/v1/users', { body: { email: `hooks${++accounts}-${Date.now()}@example.com`, password: 'correct horse battery', name: 'Hook Owner' } });
  expect(response.status).toBe(201);
  secrets.push(response.body.session.token);
  return { id: response.body.user.id, token: response.body.session.token };
}

async function createEndpoint(token: string, path: string, extra: Record<string, unknown> = {}) {
  const created = await call('POST', '/v1/webhook-endpoints', { token, body: { url: `${hooks}${path}`, ...extra } });
  expect(created.status).toBe(201);
  secrets.push(created.body.secret);
  return created.body as { id: number; secret: string; url: string };
}

const deliveryOf = (token: string, id: number, done: (body: any) => boolean) =>
  until(async () => (await call('GET', `/v1/webhook-deliveries/${id}`, { token })).body, done);

describe('webhook endpoints API', () => {
  it('creates an endpoint with a whsec_ secret shown once, lists it without the secret, and keeps it from others', async () => {
    const owner = await signUp();
    const created = await call('POST', '/v1/webhook-endpoints', {
      token: owner.token, body: { url: `${hooks}/orders`, description: 'order feed', event_types: ['order.placed'] },
    });
    expect(created.status).toBe(201);
    secrets.push(created.body.secret);
    expect(created.body).toMatchObject({ url: `${hooks}/orders`, description: 'order feed', event_types: ['order.placed'], enabled: true, disabled_reason: null });
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created.headers.get('location')).toBe(`/v1/webhook-endpoints/${created.body.id}`);

    const listed = await call('GET', '/v1/webhook-endpoints', { token: owner.token });
    expect(listed.body.data).toHaveLength(1);
    expect(listed.body.data[0]).not.toHaveProperty('secret');
    const got = await call('GET', `/v1/webhook-endpoints/${created.body.id}`, { token: owner.token });
    expect(got.body).toEqual(listed.body.data[0]);
    expect(JSON.stringify(got.body)).not.toContain('whsec_');

    const stranger = await signUp();
    expect((await call('GET', `/v1/webhook-endpoints/${created.body.id}`, { token: stranger.token })).status).toBe(404);
    expect((await call('PATCH', `/v1/webhook-endpoints/${created.body.id}`, { token: stranger.token, body: { enabled: false } })).status).toBe(404);
    expect((await call('DELETE', `/v1/webhook-endpoints/${created.body.id}`, { token: stranger.token })).status).toBe(404);
    expect((await call('GET', '/v1/webhook-endpoints')).status).toBe(401);
  });

  it('refuses bad endpoints with the field and the reason, private addresses included', async () => {
    const owner = await signUp();
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ url: 'ftp://example.com/hook' }, 'url', /http or https/],
      [{ url: 'not a url at all' }, 'url', /not a URL/],
      [{ url: 'https://user:pw@example.com/hook' }, 'url', /user name or password/],
      [{ url: `${hooks}/x`, event_types: ['order.shipped'] }, 'event_types.0', /choose one of .*order\.placed/],
      [{ url: `${hooks}/x`, secret: 'whsec_mine' }, 'secret', /unknown field/],
      [{}, 'url', /required/],
    ];
    for (const [body, field, reason] of cases) {
      const response = await call('POST', '/v1/webhook-endpoints', { token: owner.token, body });
      expect(response, JSON.stringify(body)).toMatchObject({ status: 400, body: { error: 'invalid_request', field } });
      expect(response.body.message).toMatch(reason);
    }
    const internal = await strictCall('POST', '/v1/webhook-endpoints', { token: owner.token, body: { url: 'http://169.254.169.254/latest/meta-data' } });
    expect(internal).toMatchObject({ status: 400, body: { field: 'url' } });
    expect(internal.body.message).toMatch(/not a public address \(linkLocal\)/);
  });

  it('sends a signed test event through the sender and shows it in the delivery log', async () => {
    const owner = await signUp();
    const endpoint = await createEndpoint(owner.token, '/test-event');
    const queued = await call('POST', `/v1/webhook-endpoints/${endpoint.id}/test`, { token: owner.token });
    expect(queued).toMatchObject({ status: 202, body: { endpoint_id: endpoint.id, event_type: 'webhook.test', status: 'pending' } });

    const delivery = await deliveryOf(owner.token, queued.body.id, (body) => body.status === 'succeeded');
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 1, last_response_code: 204 });
    expect(delivery.attempt_log).toEqual([expect.objectContaining({ attempt: 1, response_code: 204, succeeded: true, error: null })]);
    const got = received.find((r) => r.path === '/test-event')!;
    expect(new Webhook(endpoint.secret).verify(got.body, got.headers as Record<string, string>)).toMatchObject({ type: 'webhook.test', data: { endpoint_id: endpoint.id } });
    expect(got.headers['webhook-id']).toBe(`msg_${queued.body.event_id}`);
  });

  it('rotates the secret: both sign during the overlap, then only the new one', async () => {
    const owner = await signUp();
    const endpoint = await createEndpoint(owner.token, '/rotating');
    const rotated = await call('POST', `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, { token: owner.token, body: { overlap_hours: 2 } });
    expect(rotated.status).toBe(200);
    secrets.push(rotated.body.secret);
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    expect(Date.parse(rotated.body.previous_secret_expires_at) - Date.now()).toBeGreaterThan(3_600_000);

    const queued = await call('POST', `/v1/webhook-endpoints/${endpoint.id}/test`, { token: owner.token });
    await deliveryOf(owner.token, queued.body.id, (body) => body.status === 'succeeded');
    const got = received.filter((r) => r.path === '/rotating').at(-1)!;
    expect(String(got.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const secret of [endpoint.secret, rotated.body.secret]) {
      expect(new Webhook(secret).verify(got.body, got.headers as Record<string, string>)).toMatchObject({ type: 'webhook.test' });
    }

    // No overlap (and no body at all): the old secret stops at once.
    const again = await call('POST', `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, { token: owner.token, body: { overlap_hours: 0 } });
    secrets.push(again.body.secret);
    expect(again.body.previous_secret_expires_at).toBeNull();
    const bare = await call('POST', `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, { token: owner.token });
    expect(bare.status).toBe(200);
    secrets.push(bare.body.secret);
  });

  it('replays a dead delivery with the same webhook-id on a fresh schedule, and every failed one since a time', async () => {
    const owner = await signUp();
    const endpoint = await createEndpoint(owner.token, '/flaky');
    receiverDown = true;
    const ids: number[] = [];
    for (let i = 0; i < 3; i++) ids.push((await call('POST', `/v1/webhook-endpoints/${endpoint.id}/test`, { token: owner.token })).body.id);
    for (const id of ids) await deliveryOf(owner.token, id, (body) => body.status === 'dead');
    const dead = await call('GET', `/v1/webhook-endpoints/${endpoint.id}/deliveries?status=dead&limit=2`, { token: owner.token });
    expect(dead.body.data.map((d: { id: number }) => d.id)).toEqual([ids[2], ids[1]]);
    expect(dead.body.data[0].event_id).toMatch(/^[0-9a-f-]{36}$/);
    const rest = await call('GET', `/v1/webhook-endpoints/${endpoint.id}/deliveries?status=dead&limit=2&cursor=${dead.body.next_cursor}`, { token: owner.token });
    expect(rest.body).toMatchObject({ data: [{ id: ids[0] }], next_cursor: null });
    const log = (await call('GET', `/v1/webhook-deliveries/${ids[0]}`, { token: owner.token })).body;
    expect(log.attempt_log.map((a: { attempt: number; response_code: number; response_body: string }) => [a.attempt, a.response_code, a.response_body]))
      .toEqual([[1, 503, 'down for maintenance'], [2, 503, 'down for maintenance']]);

    receiverDown = false;
    const replayed = await call('POST', `/v1/webhook-deliveries/${ids[0]}/replay`, { token: owner.token });
    expect(replayed).toMatchObject({ status: 202, body: { id: ids[0], status: 'pending', attempts: 2 } });
    const done = await deliveryOf(owner.token, ids[0]!, (body) => body.status === 'succeeded');
    expect(done).toMatchObject({ attempts: 3, last_response_code: 204 });
    const sent = received.filter((r) => r.body.includes(`"endpoint_id":${endpoint.id}`) && r.headers['webhook-id'] === `msg_${done.event_id}`);
    expect(sent).toHaveLength(3);

    // A disabled endpoint replays nothing; enabled again, one call replays the rest.
    expect((await call('PATCH', `/v1/webhook-endpoints/${endpoint.id}`, { token: owner.token, body: { enabled: false } })).body)
      .toMatchObject({ enabled: false, disabled_reason: 'disabled by its owner' });
    const since = new Date(Date.now() - 3_600_000).toISOString();
    expect(await call('POST', `/v1/webhook-endpoints/${endpoint.id}/replay`, { token: owner.token, body: { since } })).toMatchObject({ status: 409, body: { error: 'conflict' } });
    expect((await call('PATCH', `/v1/webhook-endpoints/${endpoint.id}`, { token: owner.token, body: { enabled: true } })).body).toMatchObject({ enabled: true, disabled_reason: null });
    expect(await call('POST', `/v1/webhook-endpoints/${endpoint.id}/replay`, { token: owner.token, body: { since } })).toMatchObject({ status: 202, body: { replayed: 2 } });
    for (const id of ids.slice(1)) expect(await deliveryOf(owner.token, id, (body) => body.status === 'succeeded')).toMatchObject({ status: 'succeeded', attempts: 3 });
    expect(await call('POST', `/v1/webhook-endpoints/${endpoint.id}/replay`, { token: owner.token, body: { since: 'yesterday' } })).toMatchObject({ status: 400, body: { field: 'since' } });
  });

  it('works with an API key, edits an endpoint, and deletes it with its deliveries', async () => {
    const owner = await signUp();
    const key = await call('POST', '/v1/api-keys', { token: owner.token, body: { name: 'hooks' } });
    secrets.push(key.body.key);
    const created = await call('POST', '/v1/webhook-endpoints', { apiKey: key.body.key, body: { url: `${hooks}/by-key` } });
    expect(created.status).toBe(201);
    secrets.push(created.body.secret);
    expect(created.body.event_types).toEqual([]);
    const edited = await call('PATCH', `/v1/webhook-endpoints/${created.body.id}`, { apiKey: key.body.key, body: { event_types: ['listing.created', 'order.placed'], description: null } });
    expect(edited.body).toMatchObject({ event_types: ['listing.created', 'order.placed'], description: null });
    expect((await call('PATCH', `/v1/webhook-endpoints/${created.body.id}`, { apiKey: key.body.key, body: {} })).status).toBe(400);

    const queued = await call('POST', `/v1/webhook-endpoints/${created.body.id}/test`, { apiKey: key.body.key });
    await deliveryOf(owner.token, queued.body.id, (body) => body.status === 'succeeded');
    expect((await call('DELETE', `/v1/webhook-endpoints/${created.body.id}`, { apiKey: key.body.key })).status).toBe(204);
    expect((await call('GET', `/v1/webhook-endpoints/${created.body.id}`, { token: owner.token })).status).toBe(404);
    expect((await call('GET', `/v1/webhook-deliveries/${queued.body.id}`, { token: owner.token })).status).toBe(404);
    const [rows] = await db.pool.query<RowDataPacket[]>('SELECT COUNT(*) AS n FROM webhook_delivery_attempts WHERE delivery_id = ?', [queued.body.id]);
    expect(Number(rows[0]!.n)).toBe(0);
  });

  it('logs a failed write of a new endpoint without the secret in its statement', async () => {
    const owner = await signUp();
    await db.pool.query(`CREATE TRIGGER refuse_marked_endpoint BEFORE INSERT ON webhook_endpoints FOR EACH ROW
      BEGIN IF NEW.description = 'refuse me' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'endpoint refused by a trigger'; END IF; END`);
    try {
      const failed = await call('POST', '/v1/webhook-endpoints', { token: owner.token, body: { url: `${hooks}/refused`, description: 'refuse me' } });
      expect(failed).toMatchObject({ status: 500, body: { error: 'internal' } });
    } finally {
      await db.pool.query('DROP TRIGGER refuse_marked_endpoint');
    }
    const line = logged.text().split('\n').find((l) => l.includes('endpoint refused by a trigger'));
    expect(line).toBeDefined();
    expect(line).toContain('"sql":"[redacted]"');
    expect(line).not.toContain('whsec_');
  });

  it('never logs a secret, a token or a key', () => {
    const text = logged.text();
    expect(text.length).toBeGreaterThan(0);
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toMatch(/whsec_[A-Za-z0-9+/]{20}/);
  });
});
