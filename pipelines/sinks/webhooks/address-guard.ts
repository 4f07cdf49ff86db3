// SSRF protection: a webhook URL must reach public addresses only, never the platform's own
// network. Checked when the endpoint is saved, before each delivery, and on the addresses the
// sender actually connects to: a host whose DNS answer changes between the check and the
// connection (rebinding) is caught too.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { lookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import type { Agent } from 'undici';
import { PoisonMessage } from '../../../core/errors.js';
import { onFirstUse } from '../../../core/load-on-first-use.js';
import { nonPublicRange } from './public-address.js';

const undici = onFirstUse<typeof import('undici')>('undici');

/** The first address that must not be reached, with why. */
function firstRefused(addresses: readonly string[]): { address: string; range: string } | undefined {
  for (const address of addresses) {
    const range = nonPublicRange(address);
    if (range) return { address, range };
  }
  return undefined;
}

/**
 * Throws unless every address the URL's host resolves to is public (or private ones are allowed).
 * `resolveNames: false` checks IP literals only, for a sender whose sockets resolve through
 * publicOnlyLookup anyway.
 */
export async function assertDeliverable(url: string, allowPrivate: boolean, { resolveNames = true } = {}): Promise<void> {
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new PoisonMessage(`webhook URL ${parsed.protocol} is not http(s)`);
  if (allowPrivate) return;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (!isIP(host) && !resolveNames) return;
  const addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  const blocked = firstRefused(addresses);
  if (blocked) throw refusal(parsed.host, blocked);
}

function refusal(host: string, { address, range }: { address: string; range: string }): PoisonMessage {
  return new PoisonMessage(`webhook URL ${host} resolves to ${address}, not a public address (${range}); set WEBHOOKS_ALLOW_PRIVATE=1 for local development`);
}

/** A resolver for sockets that refuses to hand out an address that is not public. */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    const blocked = firstRefused(addresses.map((a) => a.address));
    if (blocked) return callback(refusal(hostname, blocked) as unknown as NodeJS.ErrnoException, '', 0);
    if (options.all) return (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, addresses);
    const first = addresses[0];
    if (!first) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
    return callback(null, first.address, first.family);
  });
};

/**
 * The HTTP agent deliveries go through: with private addresses refused, every connection resolves
 * through publicOnlyLookup (IP literals never reach a resolver; assertDeliverable checks those).
 */
export function deliveryAgent(allowPrivate: boolean): Agent {
  return new (undici().Agent)(allowPrivate ? {} : { connect: { lookup: publicOnlyLookup } });
}
