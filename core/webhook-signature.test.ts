import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateWebhookSecret, signatureHeader, verifyWebhook } from './webhook-signature.js';

const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
const BODY = '{"test": 2432232314}';

// The specification's vector and the verification rules are tested with the implementation
// (client/webhooks.test.ts); here, what the platform sends against the reference library.
describe('Standard Webhooks signatures (the platform)', () => {
  it('agrees with the reference library both ways', () => {
    const secret = generateWebhookSecret();
    const now = Math.floor(Date.now() / 1000);
    const ours = { 'webhook-id': ID, 'webhook-timestamp': String(now), 'webhook-signature': signatureHeader([secret], ID, now, BODY) };
    expect(new Webhook(secret).verify(BODY, ours)).toEqual({ test: 2432232314 });
    const theirs = { ...ours, 'webhook-signature': new Webhook(secret).sign(ID, new Date(now * 1000), BODY) };
    expect(verifyWebhook(secret, theirs, BODY)).toEqual({ test: 2432232314 });
  });
});
