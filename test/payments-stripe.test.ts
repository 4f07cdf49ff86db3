// Payments through Stripe, end to end over real HTTP: the public API and the admin service with
// the official `stripe` SDK, against a private MariaDB. Stripe itself cannot be reached from the
// test machines, so the SDK talks to a stand-in written from Stripe's API reference
// (test/fixtures/stripe-server.ts); the webhook events are signed the way Stripe signs them.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAdminServer } from '../api/admin/server.js';
import { buildPublicServer } from '../api/public/server.js';
import type { StripeConfig } from '../core/config/payments.js';
import { addAdminUser } from '../marketplace/auth/admin-accounts.js';
import { signUp } from '../marketplace/auth/user-accounts.js';
import { createListing } from '../marketplace/domain/listings.js';
import type { ResultSetHeader, RowDataPacket } from '../marketplace/mysql/connection.js';
import { StripePayments } from '../marketplace/payments/stripe.js';
import { PaymentProviderUnavailable } from '../marketplace/payments/errors.js';
import { expirePendingPayments } from '../marketplace/payments/expire-pending.js';
import { platformJobs } from '../bin/job-catalogue.js';
import type { OpenDatabase } from '../bin/commands/open-database.js';
import { startPublicServer } from '../bin/roles/servers.js';
import { closeAll } from '../bin/roles/role-context.js';
import { loadConfig } from '../core/config/index.js';
import { tempDir } from './fixtures/temp-dir.js';
import { capturedLog } from './fixtures/captured-log.js';
import { createTestDatabase, type TestDatabase } from './fixtures/database.js';
import { httpClient } from './fixtures/http-client.js';
import { startFakeStripe, type FakeStripe } from './fixtures/stripe-server.js';

const SECRET_KEY = `sk_test_${'k'.repeat(24)}`;
const WEBHOOK_SECRET = `whsec_${'w'.repeat(32)}`;
const ADMIN_PASSWORD = 'correct horse battery staple';

let db: TestDatabase;
let stripe: FakeStripe;
let api: FastifyInstance;
let admin: FastifyInstance;
let call: ReturnType<typeof httpClient>;
let staff: ReturnType<typeof httpClient>;
let staffToken: string;
let payments: StripePayments;
const logged = capturedLog('debug');
const clientSecrets: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  stripe = await startFakeStripe({ secretKey: SECRET_KEY });
  const config: StripeConfig = { secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET, apiUrl: stripe.url, timeoutMs: 5_000, maxNetworkRetries: 2, webhookToleranceSeconds: 300, paymentExpiryMinutes: 60 };
  payments = new StripePayments(config);
  api = await buildPublicServer({ pool: db.pool, log: logged.log, payments, rateLimit: { perMinute: 100_000, authPerMinute: 100_000 } });
  admin = await buildAdminServer({ pool: db.pool, log: logged.log, payments });
  call = httpClient(await api.listen({ host: '127.0.0.1', port: 0 }));
  staff = httpClient(await admin.listen({ host: '127.0.0.1', port: 0 }));
  await addAdminUser(db.pool, 'sam', ADMIN_PASSWORD);
  const login = await staff('POST', '/admin/session', { body: { username: 'sam', password: ADMIN_PASSWORD } });
  staffToken = login.body.token;
});
afterAll(async () => {
  await api?.close();
  await admin?.close();
  await stripe?.close();
  await db?.close();
});

let people = 0;
async function person() {
  const { user, token } = await signUp(db.pool, { email: `payer${++people}@example.com`, password: `password-${people}-long`, name: `Person ${people}`, country: 'US', city: 'Boston' });
  return { id: user.id, token };
}

async function listing(sellerId: number, priceAmount = 25_000) {
  return createListing(db.pool, { sellerId, name: 'Oak table', description: 'Solid oak.', category: 'furniture', country: 'US', city: 'Boston', priceAmount, priceCurrency: 'usd' });
}

async function row(sql: string, params: unknown[]): Promise<RowDataPacket | undefined> {
  const [rows] = await db.pool.query<RowDataPacket[]>(sql, params);
  return rows[0];
}

const orderStatus = async (id: number) => String((await row('SELECT status FROM orders WHERE id = ?', [id]))!.status);
const listingStatus = async (id: number) => String((await row('SELECT status FROM listings WHERE id = ?', [id]))!.status);
const outboxCount = async (id: number, type: string) => Number((await row('SELECT COUNT(*) AS n FROM outbox WHERE aggregate_id = ? AND type = ?', [String(id), type]))!.n);

/** A buyer buys a new listing; the order waits for payment. */
async function buy(priceAmount = 25_000) {
  const seller = await person();
  const buyer = await person();
  const listingId = await listing(seller.id, priceAmount);
  const response = await call('POST', `/v1/listings/${listingId}/orders`, { token: buyer.token });
  if (response.body?.payment?.client_secret) clientSecrets.push(response.body.payment.client_secret);
  // A failed payment still made the order: its Location says which.
  const orderId = Number(/\/v1\/orders\/(\d+)$/.exec(response.headers.get('location') ?? '')?.[1]);
  return { seller, buyer, listingId, response, orderId, intentId: response.body?.payment?.payment_intent_id as string };
}

async function deliver(event: Record<string, unknown>, options: { secret?: string; timestamp?: number } = {}) {
  const { payload, header } = stripe.sign(event, options.secret ?? WEBHOOK_SECRET, options.timestamp);
  return call('POST', '/v1/payments/stripe/webhook', { raw: { text: payload, contentType: 'application/json; charset=utf-8' }, headers: { 'stripe-signature': header } });
}

describe('buying with Stripe', () => {
  it('creates a PaymentIntent for the order and keeps it pending_payment until the signed succeeded event; then paid and order.placed', async () => {
    const { orderId, listingId, response, intentId } = await buy();
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ id: orderId, status: 'pending_payment', amount: 25_000, currency: 'usd', payment: { provider: 'stripe', status: 'requires_payment_method', error: null } });
    expect(response.body.payment.client_secret).toMatch(/^pi_\w+_secret_\w+$/);
    const created = stripe.requests.find((request) => request.path === '/v1/payment_intents' && request.method === 'POST' && request.params.metadata && (request.params.metadata as Record<string, string>).order_id === String(orderId))!;
    expect(created).toMatchObject({ authorization: `Bearer ${SECRET_KEY}`, idempotencyKey: `order-${orderId}-payment-1`, params: { amount: '25000', currency: 'usd' } });
    // Held for this buyer while the payment is pending; the sale is not announced yet.
    expect(await listingStatus(listingId)).toBe('sold');
    expect(await outboxCount(orderId, 'order.placed')).toBe(0);

    const delivered = await deliver(stripe.succeed(intentId));
    expect(delivered).toMatchObject({ status: 200, body: { received: true, outcome: 'paid' } });
    expect(await orderStatus(orderId)).toBe('paid');
    expect(await listingStatus(listingId)).toBe('sold');
    const [placed] = await db.pool.query<RowDataPacket[]>("SELECT payload FROM outbox WHERE aggregate_id = ? AND type = 'order.placed'", [String(orderId)]);
    expect(placed).toHaveLength(1);
    const payload = typeof placed[0]!.payload === 'string' ? JSON.parse(placed[0]!.payload) : placed[0]!.payload;
    expect(payload).toMatchObject({ id: orderId, listing_id: listingId, amount: 25_000, currency: 'usd', status: 'paid', listing_name: 'Oak table' });
  });

  it('refuses an event with a bad, stale or missing signature with 400 and changes nothing', async () => {
    const { orderId, intentId } = await buy();
    const event = stripe.succeed(intentId);
    const forged = await deliver(event, { secret: 'whsec_not_the_secret' });
    expect(forged).toMatchObject({ status: 400, body: { error: 'invalid_signature', field: 'stripe-signature' } });
    const stale = await deliver(event, { timestamp: Math.floor(Date.now() / 1000) - 600 });
    expect(stale.status).toBe(400);
    expect(stale.body.message).toMatch(/tolerance/i);
    const unsigned = await call('POST', '/v1/payments/stripe/webhook', { raw: { text: JSON.stringify(event), contentType: 'application/json' } });
    expect(unsigned.status).toBe(400);
    // A body changed after signing (a re-serialised JSON) no longer matches the signature.
    const { header } = stripe.sign(event, WEBHOOK_SECRET);
    const reshaped = await call('POST', '/v1/payments/stripe/webhook', { raw: { text: JSON.stringify(event), contentType: 'application/json' }, headers: { 'stripe-signature': header } });
    expect(reshaped.status).toBe(400);
    expect(await orderStatus(orderId)).toBe('pending_payment');
    expect(await outboxCount(orderId, 'order.placed')).toBe(0);
    expect(await row('SELECT id FROM stripe_events WHERE id = ?', [event.id])).toBeUndefined();
  });

  it('applies an event delivered twice once', async () => {
    const { orderId, intentId } = await buy();
    const event = stripe.succeed(intentId);
    expect((await deliver(event)).body.outcome).toBe('paid');
    const again = await deliver(event);
    expect(again).toMatchObject({ status: 200, body: { received: true, outcome: 'duplicate' } });
    expect(await outboxCount(orderId, 'order.placed')).toBe(1);
    expect(await orderStatus(orderId)).toBe('paid');
  });

  it('a payment whose id was never stored is matched by its order and secret reference; another application\'s payment naming the same order id is ignored', async () => {
    const { orderId, intentId } = await buy();
    // The platform stopped between Stripe's answer and recording the payment's id.
    await db.pool.query('UPDATE order_payments SET payment_intent_id = NULL WHERE order_id = ?', [orderId]);
    const created = stripe.requests.find((request) => request.path === '/v1/payment_intents' && (request.params.metadata as Record<string, string> | undefined)?.order_id === String(orderId))!;
    const reference = (created.params.metadata as Record<string, string>).payment_reference;
    expect(reference).toMatch(/^[0-9a-f]{32}$/);
    expect((await row('SELECT reference FROM order_payments WHERE order_id = ?', [orderId]))!.reference).toBe(reference);

    // Another application on the same Stripe account numbers its orders too.
    const foreign = await fetch(`${stripe.url}/v1/payment_intents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SECRET_KEY}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: `amount=25000&currency=usd&metadata[order_id]=${orderId}`,
    }).then((response) => response.json() as Promise<{ id: string }>);
    expect((await deliver(stripe.succeed(foreign.id))).body.outcome).toBe('ignored');
    expect(await orderStatus(orderId)).toBe('pending_payment');

    expect((await deliver(stripe.succeed(intentId))).body.outcome).toBe('paid');
    expect(await orderStatus(orderId)).toBe('paid');
    expect((await row('SELECT payment_intent_id FROM order_payments WHERE order_id = ?', [orderId]))!.payment_intent_id).toBe(intentId);
  });

  it('a failed payment fails the order with Stripe\'s reason and puts the listing back on sale', async () => {
    const { orderId, listingId, intentId, buyer, seller } = await buy();
    const delivered = await deliver(stripe.fail(intentId, 'Your card was declined.'));
    expect(delivered.body.outcome).toBe('payment_failed');
    expect(await orderStatus(orderId)).toBe('payment_failed');
    expect(await listingStatus(listingId)).toBe('active');
    expect(await outboxCount(orderId, 'order.placed')).toBe(0);
    const payment = await call('GET', `/v1/orders/${orderId}/payment`, { token: buyer.token });
    expect(payment).toMatchObject({ status: 200, body: { payment_intent_id: intentId, error: 'Your card was declined.', client_secret: null } });
    // The card's refusal is the buyer's business: the seller learns only that the payment failed.
    const sellerView = await call('GET', `/v1/orders/${orderId}/payment`, { token: seller.token });
    expect(sellerView).toMatchObject({ status: 200, body: { order_id: orderId, error: 'the buyer\'s payment did not go through', client_secret: null } });
    expect(JSON.stringify(sellerView.body)).not.toMatch(/declined/);
    // Someone else can buy it now.
    const other = await person();
    expect((await call('POST', `/v1/listings/${listingId}/orders`, { token: other.token })).status).toBe(201);
  });

  it('a cancelled payment cancels the order and puts the listing back on sale', async () => {
    const { orderId, listingId, intentId } = await buy();
    expect((await deliver(stripe.cancel(intentId))).body.outcome).toBe('cancelled');
    expect(await orderStatus(orderId)).toBe('cancelled');
    expect(await listingStatus(listingId)).toBe('active');
  });

  it('Stripe failing on its side is retried with the same idempotency key, then the order keeps waiting with the reason; a later try creates the payment', async () => {
    stripe.failNext('/v1/payment_intents', 3, 500);
    const before = stripe.requests.length;
    const { orderId, listingId, response, buyer } = await buy();
    expect(response.status).toBe(502);
    expect(response.body.error).toBe('payment_provider_unavailable');
    expect(response.body.message).toMatch(/An unknown error occurred.*HTTP 500.*POST \/v1\/orders\/\d+\/payment/);
    const tries = stripe.requests.slice(before).filter((request) => request.path === '/v1/payment_intents');
    expect(tries.map((request) => request.status)).toEqual([500, 500, 500]);
    expect(new Set(tries.map((request) => request.idempotencyKey))).toEqual(new Set([`order-${orderId}-payment-1`]));
    expect(await orderStatus(orderId)).toBe('pending_payment');
    expect(await listingStatus(listingId)).toBe('sold');
    expect((await row('SELECT error FROM order_payments WHERE order_id = ?', [orderId]))!.error).toMatch(/HTTP 500/);

    const retried = await call('POST', `/v1/orders/${orderId}/payment`, { token: buyer.token });
    expect(retried).toMatchObject({ status: 200, body: { order_id: orderId, status: 'requires_payment_method', error: null } });
    clientSecrets.push(retried.body.client_secret);
    expect(stripe.requests.at(-1)!.idempotencyKey).toBe(`order-${orderId}-payment-2`);
    // Asking again reads the same payment instead of creating another.
    const again = await call('POST', `/v1/orders/${orderId}/payment`, { token: buyer.token });
    expect(again.body.payment_intent_id).toBe(retried.body.payment_intent_id);
    expect(again.body.client_secret).toBe(retried.body.client_secret);
  });

  it('a request Stripe does not answer in time is given up after the timeout and retried under the same key, then reported retriable', async () => {
    const impatient = new StripePayments({ secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET, apiUrl: stripe.url, timeoutMs: 300, maxNetworkRetries: 1, webhookToleranceSeconds: 300, paymentExpiryMinutes: 60 });
    stripe.stallNext('/v1/payment_intents', 2, 3_000);
    const before = stripe.requests.length;
    const started = Date.now();
    const failure = await impatient.createPayment({ orderId: 999_001, reference: undefined, amount: 1_000, currency: 'usd', description: 'timeout', idempotencyKey: 'order-999001-payment-1' }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(PaymentProviderUnavailable);
    expect((failure as Error).message).toMatch(/^Stripe, creating the payment: .*(timed out|timeout)/i);
    // Two tries of 300 ms and a backoff between them, not the 3 s the server stalls each for.
    expect(Date.now() - started).toBeLessThan(2_900);
    const tries = stripe.requests.slice(before).filter((request) => request.path === '/v1/payment_intents');
    expect(tries.map((request) => request.idempotencyKey)).toEqual(['order-999001-payment-1', 'order-999001-payment-1']);
  });

  it('a payment that succeeds after a moderator took the listing down makes no sale: the order is cancelled and needs a refund', async () => {
    const { orderId, listingId, intentId } = await buy();
    expect((await staff('POST', `/admin/listings/${listingId}/remove`, { token: staffToken, body: { reason: 'counterfeit' } })).status).toBe(200);
    expect((await deliver(stripe.succeed(intentId))).body.outcome).toBe('needs_refund');
    expect(await orderStatus(orderId)).toBe('cancelled');
    expect(await listingStatus(listingId)).toBe('removed');
    expect(await outboxCount(orderId, 'order.placed')).toBe(0);
    expect((await row('SELECT error FROM order_payments WHERE order_id = ?', [orderId]))!.error).toMatch(/refund it/);
    const refunded = await staff('POST', `/admin/orders/${orderId}/refund`, { token: staffToken, body: { reason: 'listing taken down' } });
    expect(refunded).toMatchObject({ status: 200, body: { previous_status: 'cancelled', refund: { status: 'succeeded' } } });
  });

  it('a request Stripe refuses is not retried: 402 with the reason, the order failed and the listing on sale again', async () => {
    const before = stripe.requests.length;
    const { orderId, listingId, response } = await buy(30);
    expect(response).toMatchObject({ status: 402, body: { error: 'payment_refused' } });
    expect(response.body.message).toMatch(/Amount must be at least \$0.50 usd.*amount_too_small/);
    expect(stripe.requests.slice(before).filter((request) => request.path === '/v1/payment_intents')).toHaveLength(1);
    expect(await orderStatus(orderId)).toBe('payment_failed');
    expect(await listingStatus(listingId)).toBe('active');
  });

  it('a buyer holds at most five listings with orders awaiting payment; a sixth is refused until one is settled', async () => {
    const seller = await person();
    const buyer = await person();
    const orders: { orderId: number; intentId: string }[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await call('POST', `/v1/listings/${await listing(seller.id)}/orders`, { token: buyer.token });
      expect(response.status).toBe(201);
      orders.push({ orderId: response.body.id, intentId: response.body.payment.payment_intent_id });
    }
    const sixth = await listing(seller.id);
    const refused = await call('POST', `/v1/listings/${sixth}/orders`, { token: buyer.token });
    expect(refused).toMatchObject({ status: 429, body: { error: 'rate_limited', message: 'you have 5 orders awaiting payment: pay for one or wait for it to expire before buying more' } });
    expect(await listingStatus(sixth)).toBe('active');
    await deliver(stripe.succeed(orders[0]!.intentId));
    expect((await call('POST', `/v1/listings/${sixth}/orders`, { token: buyer.token })).status).toBe(201);
  });

  it('a free listing needs no payment: placed at once as before', async () => {
    const { response } = await buy(0);
    expect(response.status).toBe(201);
    expect(response.body.status).toBe('placed');
    expect(response.body.payment).toBeUndefined();
  });
});

describe('refunds through Stripe', () => {
  async function paidOrder() {
    const bought = await buy();
    await deliver(stripe.succeed(bought.intentId));
    return bought;
  }

  it('refunds a paid order at Stripe with an idempotency key, then marks it refunded with order.refunded', async () => {
    const { orderId, intentId } = await paidOrder();
    const response = await staff('POST', `/admin/orders/${orderId}/refund`, { token: staffToken, body: { reason: 'item never arrived' } });
    expect(response).toMatchObject({ status: 200, body: { id: orderId, status: 'refunded', previous_status: 'paid', refund: { provider: 'stripe', status: 'succeeded' } } });
    const refund = stripe.requests.filter((request) => request.path === '/v1/refunds').at(-1)!;
    expect(refund).toMatchObject({ status: 200, params: { payment_intent: intentId, amount: '25000', metadata: { order_id: String(orderId) } } });
    expect(refund.idempotencyKey).toMatch(/^refund-\d+$/);
    expect(stripe.refunds.get(response.body.refund.id)).toMatchObject({ payment_intent: intentId, amount: 25_000 });
    expect(await orderStatus(orderId)).toBe('refunded');
    expect(await outboxCount(orderId, 'order.refunded')).toBe(1);
    const attempts = await staff('GET', `/admin/orders/${orderId}/refunds`, { token: staffToken });
    expect(attempts.body.items).toMatchObject([{ status: 'succeeded', provider_refund_id: response.body.refund.id, admin: 'sam', reason: 'item never arrived', error: null }]);
  });

  it('Stripe failing on its side is retried, then the refund is shown failed with the reason and the order keeps its status; a new attempt goes through', async () => {
    const { orderId } = await paidOrder();
    stripe.failNext('/v1/refunds', 3, 503);
    const failed = await staff('POST', `/admin/orders/${orderId}/refund`, { token: staffToken, body: { reason: 'damaged' } });
    expect(failed).toMatchObject({ status: 502, body: { error: 'payment_provider_unavailable' } });
    expect(failed.body.message).toMatch(/HTTP 503/);
    const tries = stripe.requests.filter((request) => request.path === '/v1/refunds' && request.status === 503);
    expect(tries).toHaveLength(3);
    expect(new Set(tries.map((request) => request.idempotencyKey)).size).toBe(1);
    expect(await orderStatus(orderId)).toBe('paid');
    expect(await outboxCount(orderId, 'order.refunded')).toBe(0);
    const shown = await staff('GET', `/admin/orders/${orderId}/refunds`, { token: staffToken });
    expect(shown.body.items).toMatchObject([{ status: 'failed', admin: 'sam', reason: 'damaged' }]);
    expect(shown.body.items[0].error).toMatch(/HTTP 503/);
    // Staff asked for money back and it did not go: the audit trail says so, with the reason.
    const [audit] = await db.pool.query<RowDataPacket[]>("SELECT admin_username AS admin, action, target_type, target_id, reason, details FROM admin_audit WHERE action = 'order.refund_failed' AND target_id = ?", [orderId]);
    expect(audit.map((row) => ({ ...row, target_id: Number(row.target_id), details: typeof row.details === 'string' ? JSON.parse(row.details) : row.details }))).toMatchObject([{ admin: 'sam', action: 'order.refund_failed', target_type: 'order', target_id: orderId, reason: 'damaged', details: { provider: 'stripe', error: expect.stringMatching(/HTTP 503/) } }]);

    const retried = await staff('POST', `/admin/orders/${orderId}/refund`, { token: staffToken, body: { reason: 'damaged' } });
    expect(retried.status).toBe(200);
    expect(stripe.requests.at(-1)!.idempotencyKey).not.toBe(tries[0]!.idempotencyKey);
    expect(await orderStatus(orderId)).toBe('refunded');
  });

  it('an attempt whose answer was lost is asked again under its own key, so Stripe refunds once', async () => {
    const { orderId, intentId } = await paidOrder();
    // The platform stopped after Stripe refunded and before it recorded the answer.
    const [inserted] = await db.pool.query<ResultSetHeader>("INSERT INTO payment_refunds (order_id, provider, amount, currency, admin, reason) VALUES (?, 'stripe', 25000, 'usd', 'sam', 'lost answer')", [orderId]);
    const lost = await payments.refund({ paymentId: intentId, orderId, amount: 25_000, idempotencyKey: `refund-${inserted.insertId}` });
    const response = await staff('POST', `/admin/orders/${orderId}/refund`, { token: staffToken, body: { reason: 'lost answer' } });
    expect(response).toMatchObject({ status: 200, body: { status: 'refunded', refund: { id: lost.id, status: 'succeeded' } } });
    expect([...stripe.refunds.values()].filter((refund) => refund.payment_intent === intentId)).toHaveLength(1);
    const again = await staff('POST', `/admin/orders/${orderId}/refund`, { token: staffToken, body: { reason: 'twice' } });
    expect(again.status).toBe(409);
  });

  it('refunds a payment Stripe took after the order was closed and its listing sold to someone else', async () => {
    const { orderId, listingId, intentId } = await buy();
    await deliver(stripe.fail(intentId, 'Your card was declined.'));
    const other = await person();
    expect((await call('POST', `/v1/listings/${listingId}/orders`, { token: other.token })).status).toBe(201);
    // The first buyer tried another card on the same payment, and it went through.
    expect((await deliver(stripe.succeed(intentId))).body.outcome).toBe('needs_refund');
    expect(await orderStatus(orderId)).toBe('payment_failed');
    const response = await staff('POST', `/admin/orders/${orderId}/refund`, { token: staffToken, body: { reason: 'paid after the listing was sold' } });
    expect(response).toMatchObject({ status: 200, body: { status: 'refunded', previous_status: 'payment_failed', refund: { provider: 'stripe', status: 'succeeded' } } });
    expect([...stripe.refunds.values()].filter((refund) => refund.payment_intent === intentId)).toMatchObject([{ amount: 25_000 }]);
    // Still held for the other buyer.
    expect(await listingStatus(listingId)).toBe('sold');
  });

  it('a payment taken after the order was closed makes no sale when the seller changed the price meanwhile', async () => {
    const { orderId, listingId, intentId } = await buy(25_000);
    await deliver(stripe.fail(intentId, 'Your card was declined.'));
    await db.pool.query('UPDATE listings SET price_amount = 30000 WHERE id = ?', [listingId]);
    const late = await deliver(stripe.succeed(intentId));
    expect(late.body.outcome).toBe('needs_refund');
    expect(await orderStatus(orderId)).toBe('payment_failed');
    expect(await listingStatus(listingId)).toBe('active');
    expect(String((await row('SELECT error FROM order_payments WHERE order_id = ?', [orderId]))!.error)).toMatch(/price changed to 30000 usd.*refund it/);
  });

  it('a payment of another amount than its order makes no sale: the order is cancelled, the listing on sale again, and the payment marked to refund', async () => {
    const { orderId, listingId, intentId } = await buy(25_000);
    const event = stripe.succeed(intentId) as { data: { object: { amount: number; amount_received: number } } };
    event.data.object.amount = 100;
    event.data.object.amount_received = 100;
    expect((await deliver(event as never)).body.outcome).toBe('needs_refund');
    expect(await orderStatus(orderId)).toBe('cancelled');
    expect(await listingStatus(listingId)).toBe('active');
    expect(await outboxCount(orderId, 'order.placed')).toBe(0);
    expect(String((await row('SELECT error FROM order_payments WHERE order_id = ?', [orderId]))!.error)).toBe('paid 100 usd for an order of 25000 usd: refund it');
    const response = await staff('POST', `/admin/orders/${orderId}/refund`, { token: staffToken, body: { reason: 'wrong amount' } });
    expect(response).toMatchObject({ status: 200, body: { status: 'refunded', previous_status: 'cancelled' } });
  });

  it('a closed order whose payment Stripe never took cannot be refunded', async () => {
    const { orderId, intentId } = await buy();
    await deliver(stripe.cancel(intentId));
    const response = await staff('POST', `/admin/orders/${orderId}/refund`, { token: staffToken, body: { reason: 'x' } });
    expect(response.status).toBe(409);
    expect(stripe.requests.filter((request) => request.path === '/v1/refunds' && request.params.payment_intent === intentId)).toHaveLength(0);
  });

  it('an order awaiting payment cannot be refunded', async () => {
    const { orderId } = await buy();
    const response = await staff('POST', `/admin/orders/${orderId}/refund`, { token: staffToken, body: { reason: 'x' } });
    expect(response.status).toBe(409);
  });
});

describe('unpaid orders', () => {
  /** Makes the order look bought `minutes` ago. */
  const age = (orderId: number, minutes: number) => db.pool.query('UPDATE orders SET created_at = UTC_TIMESTAMP(6) - INTERVAL ? MINUTE WHERE id = ?', [minutes, orderId]);

  it('cancels the payment of an order unpaid past the limit and puts its listing back on sale; a young one is left, and one paid at Stripe whose event never came is settled as paid', async () => {
    const stale = await buy();
    const young = await buy();
    const paidMeanwhile = await buy();
    await age(stale.orderId, 90);
    await age(paidMeanwhile.orderId, 90);
    await age(young.orderId, 10);
    // Paid at Stripe, its event lost on the way: Stripe refuses to cancel it.
    const lost = stripe.succeed(paidMeanwhile.intentId);

    const result = await expirePendingPayments(db.pool, payments, 60, logged.log);
    expect(result).toEqual({ cancelled: 1, paidMeanwhile: 1, processing: 0, failed: [] });
    expect(stripe.intents.get(stale.intentId)).toMatchObject({ status: 'canceled', cancellation_reason: 'abandoned' });
    expect(await orderStatus(stale.orderId)).toBe('cancelled');
    expect(await listingStatus(stale.listingId)).toBe('active');
    expect((await row('SELECT error FROM order_payments WHERE order_id = ?', [stale.orderId]))!.error).toBe('not paid within 60 minutes');
    expect(await orderStatus(young.orderId)).toBe('pending_payment');
    expect(await orderStatus(paidMeanwhile.orderId)).toBe('paid');
    expect(await outboxCount(paidMeanwhile.orderId, 'order.placed')).toBe(1);
    // Stripe's events arriving afterwards change nothing more.
    expect((await deliver({ ...stripe.cancel(stale.intentId) })).body.outcome).toBe('ignored');
    expect((await deliver(lost)).body.outcome).toBe('ignored');
    expect(await outboxCount(paidMeanwhile.orderId, 'order.placed')).toBe(1);
  });

  it('a run whose cancellations Stripe fails is recorded failed with the reason, and the order stays for the next run', async () => {
    const stale = await buy();
    await age(stale.orderId, 90);
    const [job] = platformJobs({ pool: db.pool, timezone: 'UTC', payments: { port: payments, expiryMinutes: 60 } }).filter((entry) => entry.name === 'payments.expire-unpaid');
    stripe.failNext(`/v1/payment_intents/${stale.intentId}/cancel`, 3, 500);
    const context = { scheduledFor: new Date(), signal: new AbortController().signal, log: logged.log };
    await expect(job!.run(context)).rejects.toThrow(new RegExp(`could not be cancelled \\(order ${stale.orderId}: Stripe, cancelling the payment: .*HTTP 500`));
    expect(await orderStatus(stale.orderId)).toBe('pending_payment');
    expect(await job!.run(context)).toMatch(/^1 unpaid order\(s\) cancelled/);
    expect(await orderStatus(stale.orderId)).toBe('cancelled');
  });
});

describe('start-up', () => {
  async function start(env: NodeJS.ProcessEnv) {
    const dir = tempDir();
    const log = capturedLog('info');
    const closers: (() => Promise<void>)[] = [];
    try {
      const config = loadConfig({ PORT: '0', ...env }, { cwd: dir.path, dotEnv: false });
      // The public server needs the database's pool only.
      const address = await startPublicServer({ config, log: log.log, db: { pool: db.pool } as OpenDatabase, closers }, undefined);
      const webhook = await fetch(`${address}/v1/payments/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      return { text: log.text(), webhookStatus: webhook.status };
    } finally {
      await closeAll(closers, log.log);
      dir.remove();
    }
  }

  it('says at start that no payments are configured, and has no webhook endpoint then', async () => {
    const { text, webhookStatus } = await start({});
    expect(text).toContain('payments: none configured');
    expect(webhookStatus).toBe(404);
  });

  it('says at start that payments go through Stripe, and verifies what is posted to the webhook', async () => {
    const { text, webhookStatus } = await start({ STRIPE_SECRET_KEY: SECRET_KEY, STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET, STRIPE_API_URL: stripe.url });
    expect(text).toContain('payments: stripe');
    expect(text).not.toContain(SECRET_KEY);
    expect(webhookStatus).toBe(400);
  });
});

describe('secrets', () => {
  it('redacts the payment settings and client secrets wherever a log line carries them', () => {
    const log = capturedLog('info');
    const clientSecret = 'pi_123_secret_abc';
    log.log.info({ stripe: { secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET }, payment: { client_secret: clientSecret }, clientSecret }, 'payment state');
    const text = log.text();
    expect(text).toContain('payment state');
    for (const secret of [SECRET_KEY, WEBHOOK_SECRET, clientSecret]) expect(text).not.toContain(secret);
  });

  it('logs neither the secret key, the webhook secret nor a client secret', () => {
    const text = logged.text();
    expect(text.length).toBeGreaterThan(0);
    expect(clientSecrets.length).toBeGreaterThan(0);
    for (const secret of [SECRET_KEY, WEBHOOK_SECRET, ...clientSecrets]) expect(text).not.toContain(secret);
  });
});
