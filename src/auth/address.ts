import { isIPv4, isIPv6 } from 'node:net';

/**
 * The unit rate limits count a client address in: an IPv4 address as it is
 * (an IPv4-mapped IPv6 address as its IPv4 form), an IPv6 address by its /64
 * network, since one client usually holds a whole /64 and could otherwise
 * take a fresh address for every attempt.
 */
export function addressGroup(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.toLowerCase().split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((g) => Number.parseInt(g || '0', 16).toString(16))
    .join(':')}::/64`;
}
