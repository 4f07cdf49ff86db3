// Which peers may say, in X-Forwarded-For, whose request they pass on. Without this a platform
// behind a load balancer sees the balancer's address on every request, so per-address limits
// (anonymous rate limits, the sign-up burst check) lump every user together; trusting any peer
// instead would let a client name any address it likes and escape them.
import { isIP } from 'node:net';

/** Names the proxy-address matcher understands for whole ranges. */
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** Why an entry is not an address, a CIDR range or a range name; undefined when it is one. */
export function trustedProxyProblem(entry: string): string | undefined {
  if (RANGE_NAMES.has(entry)) return undefined;
  const [address, prefix, extra] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || extra !== undefined) return `"${entry}" is not an IP address, a CIDR range (10.0.0.0/8) or one of ${[...RANGE_NAMES].join(', ')}`;
  if (prefix === undefined) return undefined;
  const bits = Number(prefix);
  const max = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || bits > max) return `"${entry}": the prefix length must be 0-${max}`;
  return undefined;
}
