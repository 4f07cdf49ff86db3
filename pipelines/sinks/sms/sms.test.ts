// SMS end to end with the real twilio SDK against a stand-in for Twilio's REST API on 127.0.0.1
// (the real service cannot be reached from here; test/fixtures/twilio-stand-in.ts implements the
// Messages endpoint from Twilio's API reference): a number verified by a texted code through the
// public API, order and message notifications per preferences, Twilio's signed status callbacks,
// a vendor 5xx retried then dead-lettered, and an invalid number refused for good.
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAdminServer } from '../../../api/admin/server.js';
import { buildPublicServer } from '../../../api/public/server.js';
import { Steveslist, ValidationError } from '../../../client/index.js';
import type { FailureLine } from '../../../core/role-health.js';
import { addAdminUser } from '../../../marketplace/auth/admin-accounts.js';
import { createListing } from '../../../marketplace/domain/listings.js';
import { sendMessage } from '../../../marketplace/domain/messages.js';
import { placeOrder } from '../../../marketplace/domain/orders.js';
import type { RowDataPacket } from '../../../marketplace/mysql/connection.js';
import { capturedLog, type CapturedLog } from '../../../test/fixtures/captured-log.js';
import { readTopic, startTestReader, type TestReader } from '../../../test/fixtures/cdc.js';
import { createTestDatabase, type TestDatabase } from '../../../test/fixtures/database.js';
import { until } from '../../../test/fixtures/eventually.js';
import { httpClient } from '../../../test/fixtures/http-client.js';
import { tempDir } from '../../../test/fixtures/temp-dir.js';
import { startTwilioStandIn, type TwilioStandIn } from '../../../test/fixtures/twilio-stand-in.js';
import { logSms, recordAccepted } from './sms-log.js';
import { SmsWorker } from './sms-worker.js';
import { TwilioSms } from './twilio-sms.js';

// Twilio signs over the address it was given, which is the public one, not the test server's.
const CALLBACK_URL = 'https://api.steveslist.example/v1/sms/status';

const dir = tempDir();
let db: TestDatabase;
let twilioApi: TwilioStandIn;
let cdc: TestReader;
let app: FastifyInstance;
let call: ReturnType<typeof httpClient>;
let apiUrl: string;
let worker: SmsWorker;
let logs: CapturedLog;
let admin: FastifyInstance;
let staff: ReturnType<typeof httpClient>;
let staffToken: string;
/** What the worker told its health reporter, in order (the supervisor's reporter shows it in /health). */
const reported: { kind: 'failed' | 'succeeded' | 'deadLettered'; error?: string; line?: FailureLine }[] = [];

beforeAll(async () => {
  twilioApi = await startTwilioStandIn();
  db = await createTestDatabase('sms');
  logs = capturedLog('debug');
  const sms = new TwilioSms({ accountSid: twilioApi.accountSid, authToken: twilioApi.authToken, from: '+15005550006', messagingServiceSid: undefined, apiUrl: twilioApi.url, timeoutMs: 5_000 });
  app = await buildPublicServer({
    pool: db.pool, log: logs.log, rateLimit: { perMinute: 100_000, authPerMinute: 100_000 },
    sms: { port: sms, authToken: twilioApi.authToken, statusCallbackUrl: CALLBACK_URL },
  });
  apiUrl = await app.listen({ host: '127.0.0.1', port: 0 });
  call = httpClient(apiUrl);
  cdc = await startTestReader(db.url, join(dir.path, 'cdc'));
  worker = new SmsWorker({
    bus: cdc.bus, pool: db.pool, sms, topicPrefix: 'sl', log: logs.log, statusCallbackUrl: CALLBACK_URL, maxAttempts: 3, retryBackoffMs: 20,
    health: {
      failed: (error, line) => (reported.push({ kind: 'failed', error: (error as Error).message, line }), 0),
      succeeded: () => void reported.push({ kind: 'succeeded' }),
      deadLettered: (_count, error) => void reported.push({ kind: 'deadLettered', error: (error as Error).message }),
    },
  });
  await worker.start();
  await addAdminUser(db.pool, 'sam', 'correct horse battery staple', { role: 'support' });
  admin = await buildAdminServer({ pool: db.pool, log: logs.log });
  staff = httpClient(await admin.listen({ host: '127.0.0.1', port: 0 }));
  staffToken = (await staff('POST', '/admin/session', { body: { username: 'sam', password: 'correct horse battery staple' } })).body.token;
});
afterAll(async () => {
  await worker?.stop();
  await cdc?.stop();
  await app?.close();
  await admin?.close();
  await db?.close();
  await twilioApi?.close();
  dir.remove();
});

let accounts = 0;
async function signUp() {
  const response = await call('POST', '/v1/users', { body: { email: `texter${++accounts}-${Date.now()}@example.com`, password: 'correct horse battery', name: `Texter ${accounts}` } });
  expect(response.status).toBe(201);
  return { id: response.body.user.id as number, token: response.body.session.token as string };
}

const codeTextedTo = (phone: string) => {
  const text = twilioApi.messages.filter((m) => m.to === phone).at(-1)?.body ?? '';
  return /code is (\d{6})/.exec(text)?.[1];
};

/** A user with a number verified through the API, and these preferences. */
async function verifiedUser(phone: string, preferences: { sms_orders: boolean; sms_messages: boolean }) {
  const user = await signUp();
  expect((await call('PUT', '/v1/me/phone', { token: user.token, body: { phone } })).status).toBe(202);
  const code = codeTextedTo(phone);
  expect((await call('POST', '/v1/me/phone/verification', { token: user.token, body: { code } })).body.verified).toBe(true);
  expect((await call('PATCH', '/v1/me/phone', { token: user.token, body: preferences })).status).toBe(200);
  return user;
}

const smsRows = async (userId: number) => {
  const [rows] = await db.pool.query<RowDataPacket[]>('SELECT id, kind, to_number, body, status, attempts, twilio_sid, error_code, last_error FROM sms_messages WHERE user_id = ? ORDER BY id', [userId]);
  return rows;
};

/** Twilio's X-Twilio-Signature, computed here from its documentation rather than with the SDK. */
function twilioSignature(url: string, params: Record<string, string>): string {
  const data = Object.keys(params).sort().reduce((text, key) => text + key + params[key], url);
  return createHmac('sha1', twilioApi.authToken).update(data, 'utf8').digest('base64');
}

function postStatus(smsId: number, params: Record<string, string>, signature = twilioSignature(`${CALLBACK_URL}?sms=${smsId}`, params)) {
  return call('POST', `/v1/sms/status?sms=${smsId}`, { raw: { text: new URLSearchParams(params).toString(), contentType: 'application/x-www-form-urlencoded' }, headers: { 'x-twilio-signature': signature } });
}

async function sellerAndListing(name: string) {
  const seller = await signUp();
  const listingId = await createListing(db.pool, { sellerId: seller.id, name, description: 'x', category: 'furniture', country: 'GB', city: 'Leeds', priceAmount: 12_550, priceCurrency: 'gbp' });
  return { seller, listingId };
}

describe('phone verification', () => {
  it('texts a code to a new number, refuses a wrong code and verifies with the right one', async () => {
    const user = await signUp();
    const added = await call('PUT', '/v1/me/phone', { token: user.token, body: { phone: '+44 7700 900123' } });
    expect(added.status).toBe(202);
    expect(added.body).toMatchObject({ phone: '+447700900123', verified: false, sms_orders: true, sms_messages: true });
    expect(added.body.code_expires_at).toMatch(/Z$/);
    const texted = twilioApi.messages.filter((m) => m.to === '+447700900123');
    expect(texted).toHaveLength(1);
    expect(texted[0]).toMatchObject({ from: '+15005550006', statusCallback: expect.stringMatching(/^https:\/\/api\.steveslist\.example\/v1\/sms\/status\?sms=\d+$/) });
    const code = codeTextedTo('+447700900123')!;
    expect(code).toMatch(/^\d{6}$/);

    const wrong = code === '000000' ? '111111' : '000000';
    const refused = await call('POST', '/v1/me/phone/verification', { token: user.token, body: { code: wrong } });
    expect(refused).toMatchObject({ status: 400, body: { field: 'code', message: 'code: wrong code; 4 tries left' } });
    expect((await call('GET', '/v1/me/phone', { token: user.token })).body.verified).toBe(false);

    const verified = await call('POST', '/v1/me/phone/verification', { token: user.token, body: { code } });
    expect(verified).toMatchObject({ status: 200, body: { phone: '+447700900123', verified: true, code_expires_at: null } });
    // Only the hash was stored, and the log of the SMS keeps no code.
    const [[log]] = await db.pool.query<RowDataPacket[]>("SELECT body, status FROM sms_messages WHERE user_id = ? AND kind = 'verification'", [user.id]);
    expect(log!.body).not.toContain(code);
    expect(log!.status).toBe('queued');
    expect(logs.text()).not.toContain(code);
    expect(logs.text()).not.toContain(twilioApi.authToken);
  });

  it('works through the client library', async () => {
    const user = await signUp();
    const client = new Steveslist({ baseUrl: apiUrl, token: user.token, maxRetries: 0 });
    expect(await client.phone.set('+1 (415) 555-0199')).toMatchObject({ phone: '+14155550199', verified: false });
    const error = await client.phone.verify('12345').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('code');
    expect(await client.phone.verify(codeTextedTo('+14155550199')!)).toMatchObject({ verified: true });
    expect(await client.phone.setPreferences({ sms_messages: false })).toMatchObject({ sms_orders: true, sms_messages: false });
    await client.phone.remove();
    expect(await client.phone.get().catch((caught: { status?: number }) => caught.status)).toBe(404);
  });

  it('says SMS is off when the platform has no Twilio settings', async () => {
    const off = await buildPublicServer({ pool: db.pool, log: logs.log, rateLimit: { perMinute: 100_000, authPerMinute: 100_000 } });
    try {
      const offCall = httpClient(await off.listen({ host: '127.0.0.1', port: 0 }));
      const user = await signUp();
      expect(await offCall('PUT', '/v1/me/phone', { token: user.token, body: { phone: '+447700900161' } })).toMatchObject({ status: 503, body: { error: 'sms_off' } });
      expect((await offCall('GET', '/v1/me/phone', { token: user.token })).status).toBe(404);
      expect((await offCall('POST', '/v1/sms/status?sms=1', { raw: { text: 'MessageSid=SM1&MessageStatus=sent', contentType: 'application/x-www-form-urlencoded' } })).status).toBe(404);
    } finally {
      await off.close();
    }
  });

  it('is in the OpenAPI document', async () => {
    const { body: doc } = await call('GET', '/v1/openapi.json');
    expect(Object.keys(doc.paths['/v1/me/phone']).sort()).toEqual(['delete', 'get', 'patch', 'put']);
    expect(doc.paths['/v1/me/phone'].put.tags).toEqual(['phone']);
    expect(doc.paths['/v1/me/phone/verification'].post.requestBody.content['application/json'].schema.required).toEqual(['code']);
    expect(doc.paths['/v1/me/phone/code'].post).toBeDefined();
    expect(doc.paths['/v1/sms/status'].post.summary).toMatch(/X-Twilio-Signature/);
  });

  it('refuses a number that is not E.164, naming the field and what to type', async () => {
    const user = await signUp();
    expect(await call('PUT', '/v1/me/phone', { token: user.token, body: { phone: '07700 900123' } })).toMatchObject({
      status: 400, body: { field: 'phone', message: 'phone: start with + and the country code, e.g. +44 7700 900123 or +1 415 555 0100' },
    });
    expect((await call('PUT', '/v1/me/phone', { token: user.token, body: { phone: '+44 77' } })).body.message).toBe('phone: an international number has 8 to 15 digits after the +; this one has 4');
    expect((await call('GET', '/v1/me/phone', { token: user.token })).status).toBe(404);
  });

  it('rate-limits new codes and ends a code after five wrong guesses', async () => {
    const user = await signUp();
    expect((await call('PUT', '/v1/me/phone', { token: user.token, body: { phone: '+14155550101' } })).status).toBe(202);
    const again = await call('POST', '/v1/me/phone/code', { token: user.token });
    expect(again.status).toBe(429);
    expect(again.body.message).toMatch(/^phone: a code was sent less than a minute ago; ask for another in \d+ s$/);
    expect(twilioApi.messages.filter((m) => m.to === '+14155550101')).toHaveLength(1);
    const code = codeTextedTo('+14155550101')!;
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) await call('POST', '/v1/me/phone/verification', { token: user.token, body: { code: wrong } });
    const locked = await call('POST', '/v1/me/phone/verification', { token: user.token, body: { code } });
    expect(locked).toMatchObject({ status: 429, body: { message: 'code: too many wrong codes; ask for a new one' } });
  });

  it('keeps the limits on codes when the number is removed and added again', async () => {
    const user = await signUp();
    expect((await call('PUT', '/v1/me/phone', { token: user.token, body: { phone: '+14155550161' } })).status).toBe(202);
    const code = codeTextedTo('+14155550161')!;
    expect((await call('DELETE', '/v1/me/phone', { token: user.token })).status).toBe(204);
    const again = await call('PUT', '/v1/me/phone', { token: user.token, body: { phone: '+14155550162' } });
    expect(again.status).toBe(429);
    expect(again.body.message).toMatch(/^phone: a code was sent less than a minute ago/);
    expect(twilioApi.messages.filter((m) => m.to === '+14155550162')).toHaveLength(0);
    // The removed number's code verifies nothing any more.
    expect((await call('POST', '/v1/me/phone/verification', { token: user.token, body: { code } })).status).toBe(400);
  });

  it('lets the user ask again at once when the code could not be sent, and caps codes per number', async () => {
    const user = await signUp();
    twilioApi.fail({ status: 503, code: 20503, message: 'Service Unavailable', to: '+447700900151' });
    const failed = await call('PUT', '/v1/me/phone', { token: user.token, body: { phone: '+447700900151' } });
    expect(failed).toMatchObject({ status: 503, body: { error: 'sms_unavailable' } });
    expect((await call('PUT', '/v1/me/phone', { token: user.token, body: { phone: '+447700900151' } })).status).toBe(202);
    expect(codeTextedTo('+447700900151')).toMatch(/^\d{6}$/);

    // Ten accounts asking codes for one number: the eleventh is refused, whoever asks.
    for (let i = 0; i < 9; i++) {
      const other = await signUp();
      expect((await call('PUT', '/v1/me/phone', { token: other.token, body: { phone: '+447700900151' } })).status).toBe(202);
    }
    const flood = await call('PUT', '/v1/me/phone', { token: (await signUp()).token, body: { phone: '+447700900151' } });
    expect(flood).toMatchObject({ status: 429, body: { message: 'phone: this number was sent 10 codes within the hour; try again later' } });
  });

  it('caps codes per number when many accounts ask at the same moment', async () => {
    const accounts = await Promise.all(Array.from({ length: 16 }, () => signUp()));
    const answers = await Promise.all(accounts.map((account) => call('PUT', '/v1/me/phone', { token: account.token, body: { phone: '+447700900152' } })));
    const statuses = answers.map((answer) => answer.status);
    expect(statuses.filter((status) => status === 202)).toHaveLength(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(6);
    expect(twilioApi.messages.filter((m) => m.to === '+447700900152')).toHaveLength(10);
    // A refused account's own limits were put back: it may ask again once the number has room.
    const refused = accounts[statuses.indexOf(429)]!;
    expect((await call('GET', '/v1/me/phone', { token: refused.token })).status).toBe(200);
  });

  it('tells the user when the SMS service refuses the number, and keeps it unverified', async () => {
    twilioApi.fail({ status: 400, code: 21211, message: "The 'To' number +15005550001 is not a valid phone number.", to: '+15005550001' });
    const user = await signUp();
    const refused = await call('PUT', '/v1/me/phone', { token: user.token, body: { phone: '+15005550001' } });
    expect(refused).toMatchObject({ status: 400, body: { field: 'phone', message: 'phone: the SMS service refused this number (error 21211); check it and try again' } });
    const [row] = await smsRows(user.id);
    expect(row).toMatchObject({ kind: 'verification', status: 'rejected', error_code: 21211 });
  });
});

describe('notifications', () => {
  it('texts buyer and seller of an order and the recipient of a message, per their preferences, once each', async () => {
    const buyer = await verifiedUser('+447700900201', { sms_orders: true, sms_messages: false });
    const { seller, listingId } = await sellerAndListing('Oak table');
    // The seller's number was never verified: nothing goes to it.
    await call('PUT', '/v1/me/phone', { token: seller.token, body: { phone: '+447700900202' } });
    const order = await placeOrder(db.pool, listingId, buyer.id);
    const [receipt] = await until(() => smsRows(buyer.id), (rows) => rows.some((r) => r.kind === 'order_placed_buyer' && r.status === 'queued'))
      .then((rows) => rows.filter((r) => r.kind === 'order_placed_buyer'));
    expect(receipt).toMatchObject({ to_number: '+447700900201', attempts: 1, twilio_sid: expect.stringMatching(/^SM[0-9a-f]{32}$/) });
    expect(receipt!.body).toBe(`Steveslist: you bought "Oak table" for 125.50 GBP (order ${order.id}).`);
    const sent = twilioApi.messages.find((m) => m.sid === receipt!.twilio_sid)!;
    expect(sent).toMatchObject({ to: '+447700900201', body: receipt!.body, statusCallback: `${CALLBACK_URL}?sms=${receipt!.id}` });

    // Messages: the buyer turned them off, the seller (now verified) wants them.
    await sendMessage(db.pool, { listingId, senderId: seller.id, recipientId: buyer.id, body: 'Thanks!' });
    const code = codeTextedTo('+447700900202');
    expect((await call('POST', '/v1/me/phone/verification', { token: seller.token, body: { code } })).status).toBe(200);
    await sendMessage(db.pool, { listingId, senderId: buyer.id, recipientId: seller.id, body: 'When can I collect?' });
    await until(() => smsRows(seller.id), (rows) => rows.some((r) => r.kind === 'message_received' && r.status === 'queued'));
    // Everything before the seller's message is handled by now (one partition per aggregate, in order).
    await until(() => cdc.bus.lag('sms'), (lags) => lags.every((l) => l.lag === 0));
    expect((await smsRows(buyer.id)).map((r) => r.kind)).toEqual(['verification', 'order_placed_buyer']);
    expect((await smsRows(seller.id)).map((r) => r.kind)).toEqual(['verification', 'message_received']);

    // A redelivered event texts nobody twice.
    const toBuyer = () => twilioApi.messages.filter((m) => m.to === '+447700900201').length;
    const before = toBuyer();
    const events = await readTopic(cdc.bus, 'sl.events.order');
    await cdc.bus.publish('sl.events.order', events.map((m) => ({ key: m.key, value: m.value, headers: m.headers })));
    await until(() => cdc.bus.lag('sms'), (lags) => lags.every((l) => l.lag === 0));
    expect(toBuyer()).toBe(before);
    expect((await smsRows(buyer.id)).filter((r) => r.kind === 'order_placed_buyer')).toHaveLength(1);

    // The same event as if from two days ago (a group that was stopped meanwhile): too old to text about.
    const [placed] = events.map((m) => JSON.parse(m.value!.toString())).filter((e) => e.type === 'order.placed' && e.payload.id === order.id);
    const stale = { ...placed, id: '01900000-0000-7000-8000-000000000001', created_at: new Date(Date.now() - 2 * 86_400_000).toISOString() };
    await cdc.bus.publish('sl.events.order', [{ key: events[0]!.key, value: Buffer.from(JSON.stringify(stale)), headers: {} }]);
    await until(() => cdc.bus.lag('sms'), (lags) => lags.every((l) => l.lag === 0));
    expect(toBuyer()).toBe(before);
    const [staleRows] = await db.pool.query<RowDataPacket[]>('SELECT id FROM sms_messages WHERE event_id = ?', [stale.id]);
    expect(staleRows).toHaveLength(0);
  });

  it('records the statuses of Twilio\'s signed callbacks, moving forward only', async () => {
    const buyer = await verifiedUser('+447700900301', { sms_orders: true, sms_messages: true });
    const { listingId } = await sellerAndListing('Lamp');
    await placeOrder(db.pool, listingId, buyer.id);
    const [row] = await until(() => smsRows(buyer.id), (rows) => rows.some((r) => r.kind === 'order_placed_buyer' && r.twilio_sid))
      .then((rows) => rows.filter((r) => r.kind === 'order_placed_buyer'));
    const base = { AccountSid: twilioApi.accountSid, MessageSid: row!.twilio_sid, SmsSid: row!.twilio_sid, From: '+15005550006', To: '+447700900301', ApiVersion: '2010-04-01' };
    expect((await postStatus(row!.id, { ...base, MessageStatus: 'sent', SmsStatus: 'sent' })).status).toBe(204);
    expect((await postStatus(row!.id, { ...base, MessageStatus: 'delivered', SmsStatus: 'delivered' })).status).toBe(204);
    // A late 'sent' changes the timeline, not the status.
    expect((await postStatus(row!.id, { ...base, MessageStatus: 'sent', SmsStatus: 'sent' })).status).toBe(204);
    const [[after]] = await db.pool.query<RowDataPacket[]>('SELECT status FROM sms_messages WHERE id = ?', [row!.id]);
    expect(after!.status).toBe('delivered');
    const [events] = await db.pool.query<RowDataPacket[]>('SELECT status FROM sms_status_events WHERE sms_message_id = ? ORDER BY id', [row!.id]);
    expect(events.map((e) => e.status)).toEqual(['sent', 'delivered', 'sent']);
    // Support sees the same on the admin API.
    const seen = await staff('GET', `/admin/sms/${row!.id}`, { token: staffToken });
    expect(seen).toMatchObject({ status: 200, body: { kind: 'order_placed_buyer', status: 'delivered', to_number: '+447700900301', statuses: [{ status: 'sent' }, { status: 'delivered' }, { status: 'sent' }] } });
    const listed = await staff('GET', `/admin/sms?user_id=${buyer.id}`, { token: staffToken });
    expect(listed.body.data.map((s: { kind: string }) => s.kind).sort()).toEqual(['order_placed_buyer', 'verification']);
  });

  it('keeps a status that came before the sender recorded Twilio\'s answer', async () => {
    const user = await signUp();
    const id = await logSms(db.pool, { userId: user.id, kind: 'order_placed_buyer', to: '+447700900351', body: 'x' });
    const sid = `SM${'b'.repeat(32)}`;
    expect((await postStatus(id, { AccountSid: twilioApi.accountSid, MessageSid: sid, MessageStatus: 'delivered' })).status).toBe(204);
    await recordAccepted(db.pool, id, 1, { sid, status: 'queued' });
    const [[row]] = await db.pool.query<RowDataPacket[]>('SELECT status, twilio_sid, attempts FROM sms_messages WHERE id = ?', [id]);
    expect(row).toMatchObject({ status: 'delivered', twilio_sid: sid, attempts: 1 });
  });

  it('refuses a callback with a bad signature and changes nothing', async () => {
    const user = await signUp();
    await call('PUT', '/v1/me/phone', { token: user.token, body: { phone: '+447700900401' } });
    const [row] = await smsRows(user.id);
    const params = { AccountSid: twilioApi.accountSid, MessageSid: row!.twilio_sid, MessageStatus: 'failed', ErrorCode: '30008' };
    const forged = await postStatus(row!.id, params, twilioSignature(`${CALLBACK_URL}?sms=${row!.id}`, { ...params, MessageStatus: 'delivered' }));
    expect(forged).toMatchObject({ status: 400, body: { error: 'bad_signature' } });
    expect((await postStatus(row!.id, params, '')).status).toBe(400);
    // Signed for another SMS: the address is part of what is signed.
    expect((await postStatus(row!.id, params, twilioSignature(`${CALLBACK_URL}?sms=${row!.id + 1}`, params))).status).toBe(400);
    const [[after]] = await db.pool.query<RowDataPacket[]>('SELECT status, error_code FROM sms_messages WHERE id = ?', [row!.id]);
    expect(after).toMatchObject({ status: 'queued', error_code: null });
    const [events] = await db.pool.query<RowDataPacket[]>('SELECT id FROM sms_status_events WHERE sms_message_id = ?', [row!.id]);
    expect(events).toHaveLength(0);
    // The same report, signed, is recorded with Twilio's error code.
    expect((await postStatus(row!.id, params)).status).toBe(204);
    const [[failed]] = await db.pool.query<RowDataPacket[]>('SELECT status, error_code FROM sms_messages WHERE id = ?', [row!.id]);
    expect(failed).toMatchObject({ status: 'failed', error_code: 30008 });
  });

  it('retries a vendor 5xx, then marks the SMS dead and dead-letters its event with the reason', async () => {
    const buyer = await verifiedUser('+447700900501', { sms_orders: true, sms_messages: true });
    const { listingId } = await sellerAndListing('Bicycle');
    twilioApi.fail({ status: 503, code: 20503, message: 'Service Unavailable', to: '+447700900501', times: 3 });
    const order = await placeOrder(db.pool, listingId, buyer.id);
    const [row] = await until(() => smsRows(buyer.id), (rows) => rows.some((r) => r.kind === 'order_placed_buyer' && r.status === 'dead'))
      .then((rows) => rows.filter((r) => r.kind === 'order_placed_buyer'));
    expect(row).toMatchObject({ attempts: 3, error_code: 20503, twilio_sid: null });
    expect(row!.last_error).toBe('dead after 3 attempts: Twilio answered HTTP 503 (error 20503): Service Unavailable');
    expect(twilioApi.requests.filter((r) => r.to === '+447700900501' && r.status === 503)).toHaveLength(3);
    const letters = await until(() => readTopic(cdc.bus, worker.deadLetterTopic), (m) => m.length > 0);
    const letter = letters.find((m) => JSON.parse(m.value!.toString()).payload?.id === order.id)!;
    expect(letter.headers['dlq.error']).toBe(`SMS ${row!.id} to +44…501 dead after 3 attempts: Twilio answered HTTP 503 (error 20503): Service Unavailable`);
    expect(letter.headers['dlq.group']).toBe('sms');
    expect(logs.text()).not.toContain(twilioApi.authToken);
  });

  it('shows the role degraded from the first failed attempt, one report a try of the batch, and recovers when the SMS goes out', async () => {
    const buyer = await verifiedUser('+447700900701', { sms_orders: true, sms_messages: false });
    const { listingId } = await sellerAndListing('Lamp');
    twilioApi.fail({ status: 503, code: 20503, message: 'Service Unavailable', to: '+447700900701', times: 2 });
    const from = reported.length;
    await placeOrder(db.pool, listingId, buyer.id);
    const [row] = await until(() => smsRows(buyer.id), (rows) => rows.some((r) => r.kind === 'order_placed_buyer' && r.twilio_sid !== null))
      .then((rows) => rows.filter((r) => r.kind === 'order_placed_buyer'));
    expect(row).toMatchObject({ attempts: 3, status: 'queued' });
    // Told at each failed try (not only once the SMS died), then ok once it was sent.
    const since = reported.slice(from);
    const failures = since.filter((r) => r.kind === 'failed' && r.error!.startsWith(`SMS ${row!.id} `));
    expect(failures.map((r) => r.error)).toEqual([1, 2].map((attempt) => `SMS ${row!.id} to +44…701: Twilio answered HTTP 503 (error 20503): Service Unavailable (attempt ${attempt} of 3)`));
    expect(failures.map((r) => r.line?.fields)).toMatchObject([{ attempt: 1, code: 'SINK_UNAVAILABLE' }, { attempt: 2, code: 'SINK_UNAVAILABLE' }]);
    expect(since.slice(since.indexOf(failures[1]!)).map((r) => r.kind)).toContain('succeeded');
    expect(since.some((r) => r.kind === 'deadLettered')).toBe(false);
    // The reporter logs the batch's line: the worker adds none of its own per attempt.
    expect(logs.text()).not.toContain('SMS failed; retrying');
  });

  it('records an invalid number as refused with Twilio\'s code and does not retry it', async () => {
    const buyer = await verifiedUser('+447700900601', { sms_orders: true, sms_messages: true });
    const { listingId } = await sellerAndListing('Kettle');
    twilioApi.fail({ status: 400, code: 21211, message: "The 'To' number +447700900601 is not a valid phone number.", to: '+447700900601' });
    await placeOrder(db.pool, listingId, buyer.id);
    const [row] = await until(() => smsRows(buyer.id), (rows) => rows.some((r) => r.kind === 'order_placed_buyer' && r.status === 'rejected'))
      .then((rows) => rows.filter((r) => r.kind === 'order_placed_buyer'));
    expect(row).toMatchObject({ attempts: 1, error_code: 21211, last_error: "Twilio answered HTTP 400 (error 21211): The 'To' number +447700900601 is not a valid phone number." });
    expect(twilioApi.requests.filter((r) => r.to === '+447700900601' && r.status === 400)).toHaveLength(1);
  });
});
