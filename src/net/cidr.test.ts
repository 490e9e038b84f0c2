import { describe, expect, it } from 'vitest';
import ipaddr from 'ipaddr.js';
import {
  containsCidr,
  containsIp,
  formatCidr,
  intToIp,
  ipToInt,
  isValidIpv4,
  lastAddress,
  nthIp,
  nthSubnet,
  offsetOf,
  overlaps,
  parseCidr,
  size,
} from './cidr.js';

describe('parseCidr', () => {
  it('parses a network into base and prefix', () => {
    expect(parseCidr('10.8.0.0/16')).toEqual({ base: 0x0a080000, prefix: 16 });
    expect(parseCidr('0.0.0.0/0')).toEqual({ base: 0, prefix: 0 });
    expect(parseCidr('255.255.255.255/32')).toEqual({ base: 0xffffffff, prefix: 32 });
  });

  it('refuses host bits and names the network', () => {
    expect(() => parseCidr('10.8.0.1/16')).toThrow('"10.8.0.1/16" has host bits set; the network is 10.8.0.0/16');
    expect(() => parseCidr('10.10.21.0/22')).toThrow('the network is 10.10.20.0/22');
  });

  it('refuses what is not an IPv4 CIDR', () => {
    for (const bad of ['10.8.0.0', '10.8.0.0/33', '10.8.0.256/24', '10.8.0/24', 'x/8', '10.8.0.0/-1']) {
      expect(() => parseCidr(bad), bad).toThrow(`"${bad}" is not an IPv4 CIDR`);
    }
  });
});

describe('addresses and ranges', () => {
  it('converts addresses to numbers and back, unsigned', () => {
    expect(ipToInt('10.8.1.10')).toBe(0x0a08010a);
    expect(ipToInt('255.0.0.1')).toBe(0xff000001);
    expect(intToIp(0xc0a80001)).toBe('192.168.0.1');
    expect(formatCidr(parseCidr('192.168.128.0/17'))).toBe('192.168.128.0/17');
    expect(size(parseCidr('10.8.0.0/24'))).toBe(256);
    expect(intToIp(lastAddress(parseCidr('10.10.20.0/22')))).toBe('10.10.23.255');
  });

  it('overlaps is symmetric and true for containment, false for neighbours', () => {
    const pods = parseCidr('10.8.0.0/16');
    expect(overlaps(pods, parseCidr('10.8.128.0/17'))).toBe(true);
    expect(overlaps(parseCidr('10.8.128.0/17'), pods)).toBe(true);
    expect(overlaps(pods, parseCidr('10.0.0.0/8'))).toBe(true);
    expect(overlaps(pods, parseCidr('10.9.0.0/16'))).toBe(false);
    expect(overlaps(parseCidr('10.96.0.0/12'), pods)).toBe(false);
    expect(overlaps(parseCidr('10.10.20.0/22'), parseCidr('10.10.24.0/22'))).toBe(false);
  });

  it('containsIp checks the range boundaries exactly', () => {
    const c = parseCidr('10.8.0.0/24');
    expect(containsIp(c, '10.8.0.0')).toBe(true);
    expect(containsIp(c, '10.8.0.255')).toBe(true);
    expect(containsIp(c, '10.8.1.0')).toBe(false);
    expect(containsIp(c, '10.7.255.255')).toBe(false);
    expect(containsIp(parseCidr('128.0.0.0/1'), '200.1.1.1')).toBe(true);
    expect(containsIp(c, ipToInt('10.8.0.9'))).toBe(true);
  });

  it('containsCidr wants the inner range entirely inside', () => {
    expect(containsCidr(parseCidr('10.8.0.0/16'), parseCidr('10.8.3.0/24'))).toBe(true);
    expect(containsCidr(parseCidr('10.8.3.0/24'), parseCidr('10.8.0.0/16'))).toBe(false);
  });

  it('nthSubnet and nthIp count from the network address', () => {
    const c = parseCidr('10.8.0.0/16');
    expect(formatCidr(nthSubnet(c, 24, 0))).toBe('10.8.0.0/24');
    expect(formatCidr(nthSubnet(c, 24, 2))).toBe('10.8.2.0/24');
    expect(formatCidr(nthSubnet(c, 24, 255))).toBe('10.8.255.0/24');
    expect(formatCidr(nthSubnet(c, 26, 5))).toBe('10.8.1.64/26');
    expect(formatCidr(nthSubnet(parseCidr('192.0.0.0/8'), 16, 200))).toBe('192.200.0.0/16');
    expect(nthIp(parseCidr('10.8.1.0/24'), 10)).toBe('10.8.1.10');
    expect(() => nthIp(parseCidr('10.8.1.0/24'), 256)).toThrow('address #256 is outside 10.8.1.0/24');
    expect(offsetOf(parseCidr('10.8.0.0/24'), '10.8.0.5')).toBe(5);
  });
});

describe('isValidIpv4', () => {
  it('answers as ipaddr.IPv4.isValidFourPartDecimal, which it replaces for speed', () => {
    const octets = [
      '0',
      '00',
      '01',
      '1',
      '9',
      '10',
      '99',
      '100',
      '199',
      '200',
      '249',
      '250',
      '255',
      '256',
      '300',
      '999',
      '1000',
      '-1',
      '+1',
      'a',
      '',
      ' 1',
      '0x1',
    ];
    const inputs = ['', '1.2.3', '1.2.3.4.5', '1.2.3.4 ', '1..2.3', '::1', '10.0.0.1/24', '1.2.3.4\n'];
    for (const o of octets) inputs.push(`${o}.1.2.3`, `1.${o}.2.3`, `1.2.${o}.3`, `1.2.3.${o}`, `${o}.${o}.${o}.${o}`);
    for (const ip of inputs) expect(isValidIpv4(ip), JSON.stringify(ip)).toBe(ipaddr.IPv4.isValidFourPartDecimal(ip));
    expect(isValidIpv4('255.255.255.255')).toBe(true);
    expect(isValidIpv4('256.1.1.1')).toBe(false);
  });
});
