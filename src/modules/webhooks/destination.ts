/**
 * Where webhooks may deliver (API.md 8): `https://`, or `http://` on
 * loopback; no credentials in the URL; never an address on loopback, private
 * or link-local networks (nor unspecified, multicast, reserved ones) unless
 * ROSTER_WEBHOOK_ALLOW_PRIVATE=true. Names are resolved when a webhook is
 * saved and again at each delivery, and the connection goes to the address
 * that was checked (no second lookup a DNS rebinding could answer).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';

const refused = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  refused.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['::', 96],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['2001::', 32],
  ['2002::', 16],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['ff00::', 8],
] as const) {
  refused.addSubnet(network, prefix, 'ipv6');
}

/** Whether deliveries may go to `address` (an IPv4 or IPv6 literal). */
export function addressAllowed(address: string, allowPrivate: boolean): boolean {
  if (allowPrivate) return true;
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return !refused.check(mapped[1]!, 'ipv4');
    return !refused.check(address, 'ipv6');
  }
  return !refused.check(address, 'ipv4');
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Why a webhook URL is refused, or undefined when its form is acceptable (addresses are checked apart). */
export function urlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'url is not an absolute URL';
  }
  if (parsed.username !== '' || parsed.password !== '') return 'url must not contain credentials';
  if (parsed.protocol === 'https:') return undefined;
  if (parsed.protocol === 'http:') {
    const host = parsed.hostname.toLowerCase();
    if (LOOPBACK_NAMES.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host)) return undefined;
    return 'url must be https:// (http:// only on loopback)';
  }
  return 'url must be https:// (http:// only on loopback)';
}

/** Resolves the URL's host; answers why it is refused, or undefined when every address is allowed. */
export async function destinationProblem(url: string, allowPrivate: boolean): Promise<string | undefined> {
  const problem = urlProblem(url);
  if (problem) return problem;
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  let addresses: LookupAddress[];
  try {
    addresses = await new Promise((resolve, reject) =>
      dnsLookup(host, { all: true }, (error, found) => (error ? reject(error) : resolve(found))),
    );
  } catch {
    return `url's host ${host} does not resolve`;
  }
  if (addresses.length === 0) return `url's host ${host} does not resolve`;
  const bad = addresses.find((a) => !addressAllowed(a.address, allowPrivate));
  if (bad) {
    return `url resolves to ${bad.address}, a loopback, private or reserved address (ROSTER_WEBHOOK_ALLOW_PRIVATE allows it)`;
  }
  return undefined;
}

/**
 * A `lookup` for `http.request` that resolves as usual and fails when an
 * address is refused: the connection can only go to a checked address.
 */
export function guardedLookup(allowPrivate: boolean) {
  return (
    hostname: string,
    options: object,
    callback: (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
  ): void => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '');
      const bad = addresses.find((a) => !addressAllowed(a.address, allowPrivate));
      if (bad || addresses.length === 0) {
        const refusal: NodeJS.ErrnoException = new Error(`refused destination ${bad?.address ?? hostname}`);
        refusal.code = 'EREFUSEDDESTINATION';
        return callback(refusal, '');
      }
      if ((options as { all?: boolean }).all) return callback(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}
