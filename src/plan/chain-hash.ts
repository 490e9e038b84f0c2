// kube-proxy's hashed chain names: the first 16 characters of base32(sha256(text)), as
// pkg/proxy/iptables/proxier.go portProtoHash computes them (Go's base32.StdEncoding). The policy
// engine names its per-pod chains the same way, so they stay within iptables' 28 characters.
import { createHash } from 'node:crypto';

const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 with padding, as Go's base32.StdEncoding.EncodeToString. */
export function base32Std(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(value << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}

/** Names hashed so far: kube-proxy computes a service's and an endpoint's chain names once, when
 * it first sees them (newServiceInfo, newEndpointInfo), not on every sync; a node agent that
 * re-renders on every change keeps them here (about 100 bytes per name). */
const memo = new Map<string, string>();

/** base32(sha256(text)), first 16 characters. */
export function hash16(text: string): string {
  let h = memo.get(text);
  if (h === undefined) {
    h = base32Std(createHash('sha256').update(text, 'utf8').digest()).slice(0, 16);
    memo.set(text, h);
  }
  return h;
}
