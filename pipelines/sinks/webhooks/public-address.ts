// Which IP addresses a webhook may reach: public unicast only. Fails closed: anything ipaddr.js
// does not call 'unicast' is refused, and IPv6 forms that carry an IPv4 address are judged by it.
import ipaddr from 'ipaddr.js';

/**
 * IANA hands out global unicast IPv6 only from 2000::/3. ipaddr.js calls every address outside
 * its named ranges 'unicast', so without this IPv4-compatible ::a.b.c.d (deprecated) and the
 * unallocated rest would pass.
 */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
/**
 * NAT64's well-known prefix: DNS64 resolvers on IPv6-only networks answer with it for IPv4-only
 * hosts, so a public IPv4 inside is legitimate. The local-use 64:ff9b:1::/48 is not unwrapped
 * (its translator is the operator's own) and stays refused.
 */
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');

/**
 * ipaddr.js reads the deprecated IPv4-compatible `::a.b.c.d` as IPv4-mapped `::ffff:a.b.c.d`, and
 * that is how a resolver prints an ::/96 address from a DNS answer (`::808:808` arrives as
 * `::8.8.8.8`). Neither mapped nor public: refused before the library sees it.
 */
function isIPv4CompatibleText(ip: string): boolean {
  return ip.startsWith('::') && ipaddr.IPv4.isValidFourPartDecimal(ip.slice(2).split('%')[0] ?? '');
}

interface Embedded { form: string; ipv4: ipaddr.IPv4 }

/** The IPv4 address an IPv6 address stands for, where the packet ends up at that IPv4 host. */
function embeddedIPv4(address: ipaddr.IPv6): Embedded | undefined {
  const bytes = address.toByteArray();
  if (address.isIPv4MappedAddress()) return { form: 'IPv4-mapped', ipv4: address.toIPv4Address() };
  if (address.match(NAT64_WELL_KNOWN)) return { form: 'NAT64', ipv4: new ipaddr.IPv4(bytes.slice(12, 16)) };
  if (address.range() === '6to4') return { form: '6to4', ipv4: new ipaddr.IPv4(bytes.slice(2, 6)) };
  return undefined;
}

/**
 * Why an address must not be reached (its range, e.g. 'loopback', 'NAT64 of 10.0.0.1: private'),
 * or undefined when it is public unicast.
 */
export function nonPublicRange(ip: string): string | undefined {
  if (!ipaddr.isValid(ip)) return 'not an IP address';
  if (isIPv4CompatibleText(ip)) return 'IPv4-compatible, deprecated';
  const address = ipaddr.parse(ip);
  if (address.kind() === 'ipv4') {
    const range = (address as ipaddr.IPv4).range();
    return range === 'unicast' ? undefined : range;
  }
  const v6 = address as ipaddr.IPv6;
  const embedded = embeddedIPv4(v6);
  if (embedded) {
    const range = embedded.ipv4.range();
    return range === 'unicast' ? undefined : `${embedded.form} ${embedded.ipv4.toString()}: ${range}`;
  }
  const range = v6.range();
  if (range !== 'unicast') return range;
  return v6.match(GLOBAL_UNICAST_V6) ? undefined : 'outside global unicast 2000::/3';
}
