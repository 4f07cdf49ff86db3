// SSRF protection: a webhook URL must not reach the platform's own network. Checked when the
// delivery is made (not only when the endpoint is saved), since DNS can change in between.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { PoisonMessage } from '../../../core/errors.js';

function v4Private(ip: string): boolean {
  const [a, b] = ip.split('.').map(Number) as [number, number];
  return a === 10 || a === 127 || a === 0 || (a === 169 && b === 254) || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127) || a >= 224;
}

export function isPrivateAddress(ip: string): boolean {
  if (isIP(ip) === 4) return v4Private(ip);
  const lower = ip.toLowerCase();
  if (lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4) return v4Private(lower.slice(7));
  return lower === '::1' || lower === '::' || lower.startsWith('fc') || lower.startsWith('fd') || lower.startsWith('fe80') || lower.startsWith('ff');
}

/** Throws unless every address the URL's host resolves to is public (or private ones are allowed). */
export async function assertDeliverable(url: string, allowPrivate: boolean): Promise<void> {
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new PoisonMessage(`webhook URL ${parsed.protocol} is not http(s)`);
  if (allowPrivate) return;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  const blocked = addresses.find(isPrivateAddress);
  if (blocked) throw new PoisonMessage(`webhook URL ${parsed.host} resolves to ${blocked}, a private, loopback or link-local address (set WEBHOOKS_ALLOW_PRIVATE=1 for local development)`);
}
