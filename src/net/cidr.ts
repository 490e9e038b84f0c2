// IPv4 arithmetic on top of ipaddr.js: parsing, containment, overlap, the n-th address.
import ipaddr from 'ipaddr.js';

export interface Cidr {
  /** Network address as a 32-bit unsigned number. */
  base: number;
  prefix: number;
}

export function ipToInt(ip: string): number {
  const bytes = ipaddr.IPv4.parse(ip).toByteArray();
  return ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

/** One octet in dotted-decimal, 0-255 without leading zeros. */
const OCTET = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';
const FOUR_PART_DECIMAL = new RegExp(`^${OCTET}(\\.${OCTET}){3}$`);

/** ipaddr.IPv4.isValidFourPartDecimal's answer, in one regular expression: kube-proxy's
 * renderers ask it for every address of every service and endpoint of every sync, and ipaddr's
 * parse-then-match took a tenth of a 1k-service render. */
export function isValidIpv4(ip: string): boolean {
  return typeof ip === 'string' && FOUR_PART_DECIMAL.test(ip);
}

export function maskOf(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses "a.b.c.d/n"; throws with a message a user can act on. */
export function parseCidr(text: string): Cidr {
  const [ip, len] = text.split('/');
  const prefix = Number(len);
  if (!isValidIpv4(ip) || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    throw new Error(`"${text}" is not an IPv4 CIDR`);
  }
  const addr = ipToInt(ip);
  const base = (addr & maskOf(prefix)) >>> 0;
  if (base !== addr) throw new Error(`"${text}" has host bits set; the network is ${intToIp(base)}/${prefix}`);
  return { base, prefix };
}

export function formatCidr(c: Cidr): string {
  return `${intToIp(c.base)}/${c.prefix}`;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function lastAddress(c: Cidr): number {
  return (c.base + size(c) - 1) >>> 0;
}

export function containsIp(c: Cidr, ip: string | number): boolean {
  const n = typeof ip === 'number' ? ip : ipToInt(ip);
  return (n & maskOf(c.prefix)) >>> 0 === c.base;
}

export function containsCidr(outer: Cidr, inner: Cidr): boolean {
  return inner.prefix >= outer.prefix && containsIp(outer, inner.base);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return containsIp(a, b.base) || containsIp(b, a.base);
}

/** The n-th address of the range (0 = network address). */
export function nthIp(c: Cidr, n: number): string {
  if (n < 0 || n >= size(c)) throw new Error(`address #${n} is outside ${formatCidr(c)}`);
  return intToIp((c.base + n) >>> 0);
}

/** The i-th subnet of the given prefix inside c. */
export function nthSubnet(c: Cidr, prefix: number, i: number): Cidr {
  return { base: (c.base + i * 2 ** (32 - prefix)) >>> 0, prefix };
}

/** Index of an address within its range, e.g. 10.8.0.5 in 10.8.0.0/24 is 5. */
export function offsetOf(c: Cidr, ip: string): number {
  return ipToInt(ip) - c.base;
}
