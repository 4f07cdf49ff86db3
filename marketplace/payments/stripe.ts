// The payments port over Stripe's official SDK. The SDK retries what may pass (network errors,
// 409, 429, 5xx) with exponential backoff and reuses the idempotency key on each retry; what it
// still throws is sorted here into retriable or refused. The SDK is loaded on the first call, not
// at start: importing it costs a start some 230 ms of CPU, before any payment needs it.
import type Stripe from 'stripe';
import type { StripeConfig } from '../../core/config/payments.js';
import { PaymentProviderUnavailable, PaymentRefused, PaymentSignatureInvalid } from './errors.js';
import type { Payment, PaymentEvent, PaymentRequest, PaymentsPort, Refund, RefundRequest } from './port.js';

export class StripePayments implements PaymentsPort {
  readonly provider = 'stripe' as const;
  #client: Promise<Stripe> | undefined;
  readonly #config: StripeConfig;

  constructor(config: StripeConfig) {
    this.#config = config;
  }

  /** The SDK's client, made on first use (a failed load is tried again by the next call). */
  #stripe(): Promise<Stripe> {
    if (!this.#client) {
      const config = this.#config;
      const client = loadStripe().then((StripeSdk) => {
        const url = new URL(config.apiUrl);
        const protocol = url.protocol === 'http:' ? 'http' : 'https';
        return new StripeSdk(config.secretKey, {
          host: url.hostname,
          port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443,
          protocol,
          timeout: config.timeoutMs,
          maxNetworkRetries: config.maxNetworkRetries,
          // No request metrics sent back to Stripe with the next call.
          telemetry: false,
        });
      });
      client.catch(() => { if (this.#client === client) this.#client = undefined; });
      this.#client = client;
    }
    return this.#client;
  }

  async createPayment(request: PaymentRequest): Promise<Payment> {
    const intent = await call('creating the payment', async () => (await this.#stripe()).paymentIntents.create({
      amount: request.amount,
      currency: request.currency.toLowerCase(),
      description: request.description,
      metadata: { order_id: String(request.orderId), ...(request.reference ? { payment_reference: request.reference } : {}) },
      automatic_payment_methods: { enabled: true },
    }, { idempotencyKey: request.idempotencyKey }));
    return paymentOf(intent);
  }

  async readPayment(id: string): Promise<Payment> {
    return paymentOf(await call('reading the payment', async () => (await this.#stripe()).paymentIntents.retrieve(id)));
  }

  async cancelPayment(id: string): Promise<Payment> {
    return paymentOf(await call('cancelling the payment', async () => (await this.#stripe()).paymentIntents.cancel(id, { cancellation_reason: 'abandoned' })));
  }

  async refund(request: RefundRequest): Promise<Refund> {
    const refund = await call('refunding', async () => (await this.#stripe()).refunds.create({
      payment_intent: request.paymentId,
      amount: request.amount,
      metadata: { order_id: String(request.orderId) },
    }, { idempotencyKey: request.idempotencyKey }));
    return { id: refund.id, status: refund.status ?? 'pending' };
  }

  async verifyEvent(rawBody: Buffer, signatureHeader: string | undefined): Promise<PaymentEvent> {
    if (!signatureHeader) throw new PaymentSignatureInvalid('Stripe-Signature: the header is missing');
    const stripe = await this.#stripe();
    let event: Stripe.Event;
    try {
      event = stripe.webhooks.constructEvent(rawBody, signatureHeader, this.#config.webhookSecret, this.#config.webhookToleranceSeconds);
    } catch (error) {
      throw new PaymentSignatureInvalid(`Stripe-Signature: ${(error as Error).message}`);
    }
    const object = event.data.object as { object?: string };
    if (object.object !== 'payment_intent') return { id: event.id, type: event.type, payment: undefined };
    const intent = object as Stripe.PaymentIntent;
    const orderId = Number(intent.metadata?.order_id);
    return {
      id: event.id,
      type: event.type,
      payment: {
        ...paymentOf(intent),
        orderId: Number.isSafeInteger(orderId) && orderId > 0 ? orderId : undefined,
        reference: intent.metadata?.payment_reference || undefined,
        lastError: intent.last_payment_error?.message ?? intent.cancellation_reason ?? undefined,
      },
    };
  }
}

function paymentOf(intent: Stripe.PaymentIntent): Payment {
  return { id: intent.id, status: intent.status, clientSecret: intent.client_secret, amount: intent.amount, currency: intent.currency };
}

/** Retriable: could not connect, timed out, a conflict, rate limited, or Stripe failed on its side. */
let sdk: Promise<typeof Stripe> | undefined;

function loadStripe(): Promise<typeof Stripe> {
  sdk ??= import('stripe').then((module) => (loaded = module.default), (error: unknown) => {
    sdk = undefined;
    throw error;
  });
  return sdk;
}

/** The SDK's classes once loaded: an error thrown before that cannot be one of its errors. */
let loaded: typeof Stripe | undefined;

export function isRetriableStripeError(error: unknown): boolean {
  const Stripe = loaded;
  if (!Stripe || !(error instanceof Stripe.errors.StripeError)) return true;
  if (error instanceof Stripe.errors.StripeConnectionError) return true;
  const status = error.statusCode;
  return status === undefined || status === 409 || status === 429 || status >= 500;
}

async function call<T>(what: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    const stripeError = loaded && error instanceof loaded.errors.StripeError ? error : undefined;
    const status = stripeError?.statusCode ? ` (HTTP ${stripeError.statusCode}${stripeError.code ? `, ${stripeError.code}` : ''})` : '';
    const reason = `Stripe, ${what}: ${(error as Error).message}${status}`;
    if (isRetriableStripeError(error)) throw new PaymentProviderUnavailable(reason, { cause: error });
    throw new PaymentRefused(reason, { cause: error });
  }
}
