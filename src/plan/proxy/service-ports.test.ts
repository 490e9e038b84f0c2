// kube-proxy derives a service's port infos and endpoints when its objects change, not on every
// sync; servicePortsWithEndpoints keeps them per model object. These tests pin down that what it
// keeps is never stale: a replaced object, another node, a slice more or less are derived anew.
import { describe, expect, it } from 'vitest';
import { endpoint, makeService, makeSlice, tcpPort } from '../../model/testing/services.js';
import { servicePortsWithEndpoints } from './service-ports.js';

const svc = makeService('default', 'web', (s) => {
  s.clusterIP = '10.96.0.10';
  s.ports = [tcpPort('http', 80)];
});
const slice = makeSlice('default', 'web', [endpoint('10.244.1.2', 'n1'), endpoint('10.244.2.2', 'n2')], [{ name: 'http', port: 8080 }]);

describe('servicePortsWithEndpoints, derived once per object', () => {
  it('hands out what it derived before for the same objects', () => {
    const [a] = servicePortsWithEndpoints([svc], [slice], 'n1');
    const [b] = servicePortsWithEndpoints([svc], [slice], 'n1');
    expect(b.spi).toBe(a.spi);
    expect(b.endpoints).toBe(a.endpoints);
    expect(a.endpoints.map((e) => [e.endpoint, e.isLocal])).toEqual([
      ['10.244.1.2:8080', true],
      ['10.244.2.2:8080', false],
    ]);
  });

  it('derives anew for a replaced slice, another node, or a slice more', () => {
    const notReady = { ...slice, endpoints: [endpoint('10.244.1.2', 'n1', { ready: false }), slice.endpoints[1]] };
    expect(servicePortsWithEndpoints([svc], [notReady], 'n1')[0].endpoints.map((e) => e.ready)).toEqual([false, true]);
    expect(servicePortsWithEndpoints([svc], [slice], 'n2')[0].endpoints.map((e) => e.isLocal)).toEqual([false, true]);
    const more = makeSlice('default', 'web', [endpoint('10.244.3.2', 'n3')], [{ name: 'http', port: 8080 }]);
    expect(servicePortsWithEndpoints([svc], [slice, more], 'n1')[0].endpoints).toHaveLength(3);
    expect(servicePortsWithEndpoints([svc], [], 'n1')[0].endpoints).toEqual([]);
  });

  it('derives a replaced Service anew', () => {
    const moved = { ...svc, clusterIP: '10.96.0.11' };
    expect(servicePortsWithEndpoints([moved], [slice], 'n1')[0].spi.clusterIP).toBe('10.96.0.11');
    expect(servicePortsWithEndpoints([{ ...svc, clusterIP: 'None' }], [slice], 'n1')).toEqual([]);
  });
});
