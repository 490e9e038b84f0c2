// kube-proxy's nftables chain and set names (kubernetes v1.34.2 pkg/proxy/nftables/proxier.go
// hashAndTruncate, servicePortChainNameBase, servicePortEndpointChainNameBase): an 8-character
// base32 sha256 prefix, then "namespace/name/protocol/portName[__ip/port]".
import { hash16 } from '../chain-hash.js';

/** knftables.NameLengthMax (256) minus chainNamePrefixLengthMax (16). */
const CHAIN_NAME_BASE_LENGTH_MAX = 256 - 16;

export function hashAndTruncate(name: string): string {
  // The first 8 characters of the same base32(sha256) the iptables names use 16 of (memoized).
  const full = `${hash16(name).slice(0, 8)}-${name}`;
  return full.length > CHAIN_NAME_BASE_LENGTH_MAX ? full.slice(0, CHAIN_NAME_BASE_LENGTH_MAX - 3) + '...' : full;
}

export function servicePortChainNameBase(namespace: string, name: string, protocol: string, portName: string): string {
  return hashAndTruncate(`${namespace}/${name}/${protocol}/${portName}`);
}

export function servicePortEndpointChainNameBase(namespace: string, name: string, protocol: string, portName: string, ip: string, port: number): string {
  return hashAndTruncate(`${namespace}/${name}/${protocol}/${portName}__${ip.replace(/:/g, '.')}/${port}`);
}

/** Stock chains have no "/", service and endpoint chains always do (isServiceChainName). */
export const isNftServiceChainName = (chain: string) => chain.includes('/');
export const isAffinitySetName = (set: string) => set.startsWith('affinity-');
