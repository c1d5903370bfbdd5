import { isIPv4, isIPv6 } from 'node:net';

/**
 * The rate-limit bucket of a client address. One client must not get a fresh allowance by
 * spelling its address differently or by stepping through the addresses it owns:
 * - an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) is the IPv4 address;
 * - IPv6 addresses are case-folded, expanded and cut to their /64, the block a single site or
 *   host is normally given (RFC 6177), so `2001:db8::1` and `2001:db8:0:0:ffff::2` share a bucket;
 * - a zone index (`fe80::1%eth0`) is dropped.
 * Anything that is not an address (should not happen: it comes from the socket) is kept as is,
 * bounded in length.
 */
export function clientAddressBucket(ip: string | null): string {
  if (ip === null || ip.trim() === '') return 'unknown';
  const address = ip.trim().toLowerCase().replace(/%.*$/, '');
  if (isIPv4(address)) return address;
  if (!isIPv6(address)) return address.slice(0, 64);
  const groups = expandIPv6(address);
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (mapped) return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address (with `::` and a trailing dotted IPv4 resolved). */
function expandIPv6(address: string): number[] {
  let text = address;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted[1]!.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string | undefined) =>
    part ? part.split(':').map((g) => Number.parseInt(g, 16)) : [];
  const left = parse(head);
  const right = parse(tail);
  const zeros = tail === undefined ? [] : new Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...zeros, ...right];
}
