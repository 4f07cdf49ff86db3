// The web app in Chromium with payments on: after "Buy" the order says it awaits payment (the app
// has no card form and pretends none), then paid or failed as Stripe's signed event says. The
// public server runs with the real `stripe` SDK against the stand-in for Stripe's API
// (test/fixtures/stripe-server.ts), since Stripe cannot be reached from the test machines.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPublicServer } from '../api/public/server.js';
import { signUp } from '../marketplace/auth/user-accounts.js';
import { createListing } from '../marketplace/domain/listings.js';
import type { RowDataPacket } from '../marketplace/mysql/connection.js';
import { StripePayments } from '../marketplace/payments/stripe.js';
import { silentLogger } from '../core/log.js';
import { createTestDatabase, type TestDatabase } from './fixtures/database.js';
import { startFakeStripe, type FakeStripe } from './fixtures/stripe-server.js';
import { buildOnce, PASSWORD } from './fixtures/web-app.js';

const SECRET_KEY = `sk_test_${'b'.repeat(24)}`;
const WEBHOOK_SECRET = `whsec_${'c'.repeat(32)}`;

let db: TestDatabase;
let stripe: FakeStripe;
let api: FastifyInstance;
let browser: Browser;
let baseUrl: string;

beforeAll(async () => {
  await buildOnce();
  db = await createTestDatabase();
  stripe = await startFakeStripe({ secretKey: SECRET_KEY });
  const payments = new StripePayments({ secretKey: SECRET_KEY, webhookSecret: WEBHOOK_SECRET, apiUrl: stripe.url, timeoutMs: 5_000, maxNetworkRetries: 1, webhookToleranceSeconds: 300, paymentExpiryMinutes: 60 });
  api = await buildPublicServer({ pool: db.pool, log: silentLogger(), payments, rateLimit: { perMinute: 100_000, authPerMinute: 100_000 } });
  baseUrl = await api.listen({ host: '127.0.0.1', port: 0 });
  browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await api?.close();
  await stripe?.close();
  await db?.close();
});

async function screenshot(page: Page, name: string): Promise<void> {
  const shots = process.env.WEB_SCREENSHOTS;
  if (!shots) return;
  mkdirSync(shots, { recursive: true });
  await page.screenshot({ path: join(shots, `payments-${name}.png`), fullPage: true });
}

let people = 0;
const sellerEmails = new Map<number, string>();
async function buyerPage(): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${baseUrl}/signup`);
  await page.getByLabel('Your name').fill('Bo Buyer');
  await page.getByLabel('Email').fill(`bo${++people}.${Date.now()}@example.com`);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByTestId('signed-in-as').waitFor();
  return { page, errors };
}

async function listingOfSol(name: string): Promise<number> {
  const email = `sol${++people}@example.com`;
  const { user } = await signUp(db.pool, { email, password: PASSWORD, name: 'Sol Seller', country: 'DE', city: 'Berlin' });
  const id = await createListing(db.pool, { sellerId: user.id, name, description: 'Two drawers.', category: 'furniture', country: 'DE', city: 'Berlin', priceAmount: 24_550, priceCurrency: 'eur' });
  sellerEmails.set(id, email);
  return id;
}

async function intentOfListing(listingId: number): Promise<string> {
  const [rows] = await db.pool.query<RowDataPacket[]>('SELECT p.payment_intent_id FROM order_payments p JOIN orders o ON o.id = p.order_id WHERE o.listing_id = ? ORDER BY o.id DESC LIMIT 1', [listingId]);
  return String(rows[0]!.payment_intent_id);
}

async function deliver(event: Record<string, unknown>): Promise<void> {
  const { payload, header } = stripe.sign(event, WEBHOOK_SECRET);
  const response = await fetch(`${baseUrl}/v1/payments/stripe/webhook`, { method: 'POST', headers: { 'content-type': 'application/json', 'stripe-signature': header }, body: payload });
  expect(response.status).toBe(200);
}

describe('buying in the web app with payments on', () => {
  it('shows the order awaiting payment after Buy, then paid once Stripe confirms it', async () => {
    const listingId = await listingOfSol('Teak desk');
    const { page, errors } = await buyerPage();
    await page.goto(`${baseUrl}/listings/${listingId}/buy`);
    await page.getByRole('button', { name: 'Confirm purchase for €245.50' }).click();
    const state = page.getByTestId('payment-state');
    await state.filter({ hasText: 'Awaiting payment' }).waitFor();
    expect(await page.getByTestId('order-facts').textContent()).toContain('Awaiting payment');
    // The sale is not announced before it is paid, and no card field is offered.
    expect(await page.getByText('has been told').count()).toBe(0);
    expect(await page.locator('input').count()).toBe(0);
    await screenshot(page, 'awaiting');
    // The seller's listing says it is held, not sold, while the payment is pending.
    const seller = await browser.newContext({ locale: 'en-US' });
    const sellerPage = await seller.newPage();
    await sellerPage.goto(`${baseUrl}/login`);
    await sellerPage.getByLabel('Email').fill(sellerEmails.get(listingId)!);
    await sellerPage.getByLabel('Password').fill(PASSWORD);
    await sellerPage.getByRole('button', { name: 'Log in' }).click();
    await sellerPage.getByTestId('signed-in-as').waitFor();
    await sellerPage.goto(`${baseUrl}/listings/${listingId}`);
    await sellerPage.getByTestId('sold-to').filter({ hasText: 'Held for Bo Buyer, awaiting their payment of €245.50.' }).waitFor();
    await screenshot(sellerPage, 'seller-held');

    await deliver(stripe.succeed(await intentOfListing(listingId)));
    await page.reload();
    await page.getByRole('status').filter({ hasText: 'You bought it for €245.50. Sol Seller has been told.' }).waitFor();
    expect(await page.getByTestId('order-facts').textContent()).toContain('Paid');
    expect(await state.count()).toBe(0);
    await screenshot(page, 'paid');
    expect(errors).toEqual([]);
  });

  it('shows why a payment failed and that the item is back on sale', async () => {
    const listingId = await listingOfSol('Oak shelf');
    const { page, errors } = await buyerPage();
    await page.goto(`${baseUrl}/listings/${listingId}/buy`);
    await page.getByRole('button', { name: 'Confirm purchase for €245.50' }).click();
    await page.getByTestId('payment-state').filter({ hasText: 'Awaiting payment' }).waitFor();
    await deliver(stripe.fail(await intentOfListing(listingId), 'Your card was declined.'));
    await page.reload();
    await page.getByTestId('payment-state').filter({ hasText: 'The payment did not go through: Your card was declined. The item is back on sale; you can buy it again.' }).waitFor();
    expect(await page.getByTestId('order-facts').textContent()).toContain('Payment failed');
    expect(await page.getByText('has been told').count()).toBe(0);
    await screenshot(page, 'failed');
    expect(errors).toEqual([]);
  });
});
