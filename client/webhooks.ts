// Standard Webhooks signatures (https://www.standardwebhooks.com): what Steveslist signs its
// deliveries with, and what a receiver verifies them with. No dependencies beyond node:crypto, so
// receivers can take this file alone.
//
//   webhook-id:        msg_... (stable across retries: dedupe on it)
//   webhook-timestamp: seconds since the epoch
//   webhook-signature: "v1,<base64 HMAC-SHA256(secret, id.timestamp.body)>", space-separated
//                      when a rotated-out secret still signs during its overlap
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

const PREFIX = 'whsec_';

/** A new signing secret: 32 random bytes, base64, with the standard's `whsec_` prefix. */
export function generateWebhookSecret(): string {
  return `${PREFIX}${randomBytes(32).toString('base64')}`;
}

function key(secret: string): Buffer {
  return Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64');
}

export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', key(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The signature header for one or more secrets (the current one first). */
export function signatureHeader(secrets: readonly string[], id: string, timestampSeconds: number, body: string): string {
  return secrets.map((secret) => signWebhook(secret, id, timestampSeconds, body)).join(' ');
}

export class WebhookVerificationError extends Error {}

export interface VerifyOptions {
  /** How far the timestamp may be from now, either way (replay protection). Default 5 minutes. */
  toleranceSeconds?: number;
  nowSeconds?: number;
}

/**
 * Checks a delivery: all three headers present, the timestamp fresh, and one of the signatures
 * made with `secret`. Returns the parsed body; throws WebhookVerificationError otherwise.
 */
export function verifyWebhook(secret: string, headers: Record<string, string | string[] | undefined>, body: string, options: VerifyOptions = {}): unknown {
  const header = (name: string) => {
    const value = headers[name] ?? headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  };
  const id = header('webhook-id');
  const timestamp = header('webhook-timestamp');
  const signatures = header('webhook-signature');
  if (!id || !timestamp || !signatures) throw new WebhookVerificationError('missing webhook-id, webhook-timestamp or webhook-signature header');
  const seconds = Number(timestamp);
  if (!/^\d+$/.test(timestamp)) throw new WebhookVerificationError('webhook-timestamp is not a number of seconds');
  const now = options.nowSeconds ?? Math.floor(Date.now() / 1000);
  const tolerance = options.toleranceSeconds ?? 300;
  if (seconds < now - tolerance) throw new WebhookVerificationError('webhook-timestamp is too old (possible replay)');
  if (seconds > now + tolerance) throw new WebhookVerificationError('webhook-timestamp is in the future');
  const expected = Buffer.from(signWebhook(secret, id, seconds, body).slice(3), 'base64');
  const matches = signatures.split(' ').some((candidate) => {
    const [version, mac] = candidate.split(',');
    if (version !== 'v1' || !mac) return false;
    const given = Buffer.from(mac, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!matches) throw new WebhookVerificationError('no signature matches the secret');
  return JSON.parse(body);
}
