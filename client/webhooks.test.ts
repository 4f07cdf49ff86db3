import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, signatureHeader, signWebhook, verifyWebhook, WebhookVerificationError } from './webhooks.js';

// The Standard Webhooks reference libraries' own test vector.
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const TIMESTAMP = 1614265330;
const BODY = '{"test": 2432232314}';

describe('Standard Webhooks signatures', () => {
  it('matches the specification\'s test vector', () => {
    expect(signWebhook(SECRET, ID, TIMESTAMP, BODY)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('verifies a fresh delivery and returns its body', () => {
    const headers = { 'webhook-id': ID, 'webhook-timestamp': String(TIMESTAMP), 'webhook-signature': signWebhook(SECRET, ID, TIMESTAMP, BODY) };
    expect(verifyWebhook(SECRET, headers, BODY, { nowSeconds: TIMESTAMP + 10 })).toEqual({ test: 2432232314 });
  });

  it('accepts any listed signature, so secrets rotate without downtime', () => {
    const next = generateWebhookSecret();
    expect(next).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const headers = { 'webhook-id': ID, 'webhook-timestamp': String(TIMESTAMP), 'webhook-signature': signatureHeader([next, SECRET], ID, TIMESTAMP, BODY) };
    expect(verifyWebhook(SECRET, headers, BODY, { nowSeconds: TIMESTAMP })).toBeTruthy();
    expect(verifyWebhook(next, headers, BODY, { nowSeconds: TIMESTAMP })).toBeTruthy();
  });

  it('rejects stale or future timestamps, a changed body, another secret and missing headers', () => {
    const headers = { 'webhook-id': ID, 'webhook-timestamp': String(TIMESTAMP), 'webhook-signature': signWebhook(SECRET, ID, TIMESTAMP, BODY) };
    const reject = (fn: () => unknown, message: RegExp) => expect(fn).toThrow(expect.objectContaining({ message: expect.stringMatching(message) }));
    reject(() => verifyWebhook(SECRET, headers, BODY, { nowSeconds: TIMESTAMP + 301 }), /too old/);
    reject(() => verifyWebhook(SECRET, headers, BODY, { nowSeconds: TIMESTAMP - 301 }), /in the future/);
    reject(() => verifyWebhook(SECRET, headers, '{"test": 1}', { nowSeconds: TIMESTAMP }), /no signature matches/);
    reject(() => verifyWebhook(generateWebhookSecret(), headers, BODY, { nowSeconds: TIMESTAMP }), /no signature matches/);
    reject(() => verifyWebhook(SECRET, { 'webhook-id': ID }, BODY, { nowSeconds: TIMESTAMP }), /missing/);
    expect(() => verifyWebhook(SECRET, { ...headers, 'webhook-signature': 'v1,AAAA' }, BODY, { nowSeconds: TIMESTAMP })).toThrow(WebhookVerificationError);
  });
});
