import { describe, expect, it } from 'vitest';
import type { PaymentsConfig } from '../../core/config/payments.js';
import { paymentsFromConfig } from './index.js';

const stripe = (secretKey: string): PaymentsConfig => ({
  stripe: { secretKey, webhookSecret: 'whsec_test', apiUrl: 'http://127.0.0.1:9', timeoutMs: 1000, maxNetworkRetries: 0, webhookToleranceSeconds: 300, paymentExpiryMinutes: 30 },
});

describe('paymentsFromConfig', () => {
  it('gives every caller with the same settings one adapter (one Stripe client per process)', () => {
    const config = stripe('sk_test_one');
    const first = paymentsFromConfig(config);
    expect(first?.provider).toBe('stripe');
    expect(paymentsFromConfig(config)).toBe(first);
    expect(paymentsFromConfig(stripe('sk_test_two'))).not.toBe(first);
  });

  it('is undefined without a secret key: orders are paid when placed', () => {
    expect(paymentsFromConfig({ stripe: undefined })).toBeUndefined();
  });
});
