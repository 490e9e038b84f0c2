import { describe, expect, it } from 'vitest';
import { base32Std } from '../chain-hash.js';
import {
  isServiceChainName,
  joinHostPort,
  serviceExternalChainName,
  serviceFirewallChainName,
  servicePortChainName,
  servicePortEndpointChainName,
  servicePortNameString,
  servicePortPolicyLocalChainName,
} from './iptables-names.js';
import { computeProbability, goFixed, masqueradeMarkFromBit } from './go-format.js';

// Vectors: chain names that appear in the expected dumps of kubernetes/kubernetes
// pkg/proxy/iptables/proxier_test.go (TestOverallIPTablesRules, TestSortIPTablesRules) at
// commit 531be81208e2274ef42e72525a26610a9622bcdf, for services whose ports are all "p80"/TCP.
describe('chain names (upstream vectors)', () => {
  const svcVectors: [string, string][] = [
    ['ns1/svc1:p80', 'XPGD46QRK7WJZT7O'],
    ['ns2/svc2:p80', 'GNZBNJ2PO5MGZ6GT'],
    ['ns3/svc3:p80', 'X27LE4BHSL4DOUIK'],
    ['ns4/svc4:p80', '4SW47YFZTEDKD3PK'],
    ['ns5/svc5:p80', 'NUKIZ6OKUXPJNT4C'],
  ];
  it.each(svcVectors)('%s hashes to %s for every per-service chain', (name, hash) => {
    expect(servicePortChainName(name, 'tcp')).toBe(`KUBE-SVC-${hash}`);
    expect(servicePortPolicyLocalChainName(name, 'tcp')).toBe(`KUBE-SVL-${hash}`);
    expect(serviceExternalChainName(name, 'tcp')).toBe(`KUBE-EXT-${hash}`);
    expect(serviceFirewallChainName(name, 'tcp')).toBe(`KUBE-FW-${hash}`);
  });

  const sepVectors: [string, string, string][] = [
    ['ns1/svc1:p80', '10.180.0.1:80', 'KUBE-SEP-SXIVWICOYRO3J4NJ'],
    ['ns2/svc2:p80', '10.180.0.2:80', 'KUBE-SEP-RS4RBKLTHTF2IUXJ'],
    ['ns3/svc3:p80', '10.180.0.3:80', 'KUBE-SEP-OYPFS5VJICHGATKP'],
    ['ns4/svc4:p80', '10.180.0.4:80', 'KUBE-SEP-UKSFD7AGPMPPLUHC'],
    ['ns4/svc4:p80', '10.180.0.5:80', 'KUBE-SEP-C6EBXVWJJZMIWKLZ'],
    ['ns5/svc5:p80', '10.180.0.3:80', 'KUBE-SEP-I77PXRDZVX7PMWMN'],
  ];
  it.each(sepVectors)('%s -> %s is %s', (name, ep, chain) => {
    expect(servicePortEndpointChainName(name, 'tcp', ep)).toBe(chain);
  });

  it('hashes the lowercase protocol (the same port over UDP gets another chain)', () => {
    expect(servicePortChainName('ns1/svc1:p80', 'udp')).not.toBe('KUBE-SVC-XPGD46QRK7WJZT7O');
  });
});

describe('ServicePortName.String() and endpoint strings', () => {
  it('omits the colon for an unnamed port', () => {
    expect(servicePortNameString('default', 'kubernetes', '')).toBe('default/kubernetes');
    expect(servicePortNameString('kube-system', 'kube-dns', 'dns-tcp')).toBe('kube-system/kube-dns:dns-tcp');
  });
  it('joins host and port like net.JoinHostPort', () => {
    expect(joinHostPort('10.8.0.5', 80)).toBe('10.8.0.5:80');
    expect(joinHostPort('fd00::5', 80)).toBe('[fd00::5]:80');
  });
  it('recognizes the per-service chains only', () => {
    for (const c of ['KUBE-SVC-X', 'KUBE-SVL-X', 'KUBE-EXT-X', 'KUBE-FW-X', 'KUBE-SEP-X']) expect(isServiceChainName(c)).toBe(true);
    for (const c of ['KUBE-SERVICES', 'KUBE-NODEPORTS', 'KUBE-MARK-MASQ', 'FOO']) expect(isServiceChainName(c)).toBe(false);
  });
  it('encodes base32 with padding like Go base32.StdEncoding', () => {
    expect(base32Std(new TextEncoder().encode('foobar'))).toBe('MZXW6YTBOI======');
    expect(base32Std(new TextEncoder().encode('f'))).toBe('MY======');
  });
});

describe('Go formatting', () => {
  it('formats probabilities as computeProbability (%0.10f of 1/n)', () => {
    expect([1, 2, 3, 4].map(computeProbability)).toEqual(['1.0000000000', '0.5000000000', '0.3333333333', '0.2500000000']);
    expect(computeProbability(7)).toBe('0.1428571429');
  });
  it('rounds exact ties half-to-even like Go (1/2048 = 0.00048828125)', () => {
    expect(computeProbability(2048)).toBe('0.0004882812');
    expect(goFixed(0.125, 2)).toBe('0.12');
    expect(goFixed(0.375, 2)).toBe('0.38');
  });
  it('formats the masquerade mark as %#08x', () => {
    expect(masqueradeMarkFromBit(14)).toBe('0x00004000');
    expect(masqueradeMarkFromBit(0)).toBe('0x00000001');
    expect(masqueradeMarkFromBit(31)).toBe('0x80000000');
  });
});
