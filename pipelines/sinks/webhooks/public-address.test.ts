// Which addresses a webhook may reach: every special-purpose range refused, by the range it is in,
// IPv6 forms carrying an IPv4 address judged by that address; public unicast allowed.
import { describe, expect, it } from 'vitest';
import { nonPublicRange } from './public-address.js';

const refused: [string, string][] = [
  ['127.0.0.1', 'loopback'], ['127.255.255.254', 'loopback'], ['0.0.0.0', 'unspecified'], ['0.1.2.3', 'unspecified'],
  ['10.0.0.1', 'private'], ['172.16.0.1', 'private'], ['172.31.255.255', 'private'], ['192.168.1.1', 'private'],
  ['169.254.169.254', 'linkLocal'], ['100.64.0.1', 'carrierGradeNat'], ['100.127.255.255', 'carrierGradeNat'],
  ['224.0.0.1', 'multicast'], ['239.255.255.250', 'multicast'], ['255.255.255.255', 'broadcast'], ['240.0.0.1', 'reserved'],
  ['192.0.0.8', 'reserved'], ['192.0.2.1', 'reserved'], ['198.51.100.7', 'reserved'], ['203.0.113.9', 'reserved'],
  ['198.18.0.1', 'reserved'], ['198.19.255.255', 'reserved'], ['192.88.99.1', 'reserved'],
  ['::1', 'loopback'], ['::', 'unspecified'], ['fd00::1', 'uniqueLocal'], ['fc00::1', 'uniqueLocal'], ['fe80::1', 'linkLocal'],
  ['fe80::1%eth0', 'linkLocal'], ['ff02::1', 'multicast'], ['2001:db8::1', 'reserved'], ['3fff::1', 'reserved'],
  ['::ffff:7f00:1', 'IPv4-mapped 127.0.0.1: loopback'], ['::ffff:127.0.0.1', 'IPv4-mapped 127.0.0.1: loopback'],
  ['::ffff:a9fe:a9fe', 'IPv4-mapped 169.254.169.254: linkLocal'], ['::ffff:10.0.0.1', 'IPv4-mapped 10.0.0.1: private'],
  ['::ffff:0.0.0.0', 'IPv4-mapped 0.0.0.0: unspecified'], ['::ffff:100.64.0.1', 'IPv4-mapped 100.64.0.1: carrierGradeNat'],
  ['64:ff9b::7f00:1', 'NAT64 127.0.0.1: loopback'], ['64:ff9b::a9fe:a9fe', 'NAT64 169.254.169.254: linkLocal'],
  ['2002:7f00:1::', '6to4 127.0.0.1: loopback'], ['2002:c0a8:101::1', '6to4 192.168.1.1: private'],
  ['fec0::1', 'deprecatedSiteLocal'], ['100::1', 'discard'],
  // IPv4-compatible (deprecated; resolvers print it dotted) and the rest of the unallocated space.
  ['::127.0.0.1', 'IPv4-compatible, deprecated'], ['::8.8.8.8', 'IPv4-compatible, deprecated'],
  ['::7f00:1', 'outside global unicast 2000::/3'], ['::808:808', 'outside global unicast 2000::/3'], ['0:0:0:0:0:0:127.0.0.1', 'outside global unicast 2000::/3'],
  ['4000::1', 'outside global unicast 2000::/3'], ['e000::1', 'outside global unicast 2000::/3'],
  // Fail closed on ranges whose IPv4 is not the destination's own: translated, local-use NAT64, Teredo.
  ['::ffff:0:7f00:1', 'rfc6145'], ['64:ff9b:1::7f00:1', 'rfc6052'], ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'teredo'],
  ['localhost', 'not an IP address'], ['', 'not an IP address'],
];

const allowed = [
  '93.184.216.34', '8.8.8.8', '1.1.1.1', '100.63.255.255', '100.128.0.0', '172.32.0.1', '198.17.255.255', '198.20.0.1',
  '2606:2800:220:1::1', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1',
];

describe('public webhook addresses', () => {
  it.each(refused)('refuses %s (%s)', (ip, range) => {
    expect(nonPublicRange(ip)).toBe(range);
  });

  it.each(allowed)('allows public unicast %s', (ip) => {
    expect(nonPublicRange(ip)).toBeUndefined();
  });
});
