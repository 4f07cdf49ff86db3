// Payments settings: Stripe when a secret key is given; without one, orders are paid at once as
// before payments existed, so a fresh machine runs without an account.
import type { SettingsReader } from './settings-reader.js';

export interface StripeConfig {
  secretKey: string;
  /** Signs the events Stripe posts to the webhook endpoint (whsec_...). */
  webhookSecret: string;
  /** Where the SDK sends its requests; Stripe's own API unless pointed elsewhere. */
  apiUrl: string;
  /** Per request, each retry included. */
  timeoutMs: number;
  /** Retries of a request that failed for a reason that may pass (network, 409, 5xx). */
  maxNetworkRetries: number;
  /** How old a signed event may be before it is refused as a replay. */
  webhookToleranceSeconds: number;
  /** An order still unpaid this long after buying is cancelled, and its listing is for sale again. */
  paymentExpiryMinutes: number;
}

export interface PaymentsConfig {
  /** undefined: no payment provider; an order is paid when it is placed. */
  stripe: StripeConfig | undefined;
}

export function readPayments(r: SettingsReader): PaymentsConfig {
  const secretKey = r.optionalString('STRIPE_SECRET_KEY');
  const webhookSecret = r.optionalString('STRIPE_WEBHOOK_SECRET');
  const apiUrl = r.httpUrl('STRIPE_API_URL') ?? 'https://api.stripe.com';
  const timeoutMs = r.integer('STRIPE_TIMEOUT_MS', 20_000, 100, 600_000);
  const maxNetworkRetries = r.integer('STRIPE_MAX_NETWORK_RETRIES', 2, 0, 10);
  const webhookToleranceSeconds = r.integer('STRIPE_WEBHOOK_TOLERANCE_SECONDS', 300, 1, 86_400);
  const paymentExpiryMinutes = r.integer('STRIPE_PAYMENT_EXPIRY_MINUTES', 60, 5, 10_080);
  if (secretKey === undefined) {
    if (webhookSecret !== undefined) r.fail('STRIPE_WEBHOOK_SECRET', 'is set but STRIPE_SECRET_KEY is not: set both to take payments through Stripe, or neither');
    return { stripe: undefined };
  }
  if (!/^(sk|rk)_(test|live)_\S+$/.test(secretKey)) r.fail('STRIPE_SECRET_KEY', 'expected a secret or restricted key from the Stripe dashboard (sk_live_..., sk_test_... or rk_...)');
  if (webhookSecret === undefined) {
    r.fail('STRIPE_WEBHOOK_SECRET', 'missing while STRIPE_SECRET_KEY is set: orders would wait for payment forever without verified webhooks (the endpoint\'s signing secret, whsec_...)');
    return { stripe: undefined };
  }
  return { stripe: { secretKey, webhookSecret, apiUrl, timeoutMs, maxNetworkRetries, webhookToleranceSeconds, paymentExpiryMinutes } };
}
