// Standard Webhooks signatures (https://www.standardwebhooks.com) as the platform makes them: the
// secrets of webhook endpoints, the signature header on each delivery, and the check the local
// listener runs. One implementation for sender and receivers: it lives in the client library,
// which imports nothing (node:crypto only) so receivers can take that file alone, and the
// platform uses it from there rather than keeping a second copy that could drift.
export { generateWebhookSecret, signatureHeader, signWebhook, verifyWebhook, WebhookVerificationError, type VerifyOptions } from '../client/webhooks.js';
