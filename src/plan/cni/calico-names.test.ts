// What Calico's CNI plugin names and sets up around a pod: VethNameForWorkload
// (libcalico-go/lib/backend/k8s/conversion/workload_endpoint_default.go) and
// cni-plugin/pkg/dataplane/linux/dataplane_linux.go (DoWorkloadNetnsSetUp, configureSysctls,
// SetupRoutes).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CALICO_GATEWAY_IP,
  CALICO_HOST_SIDE_MAC,
  calicoHostRoute,
  calicoHostVethSysctls,
  calicoPodAddress,
  calicoPodRoutes,
  calicoPodSysctls,
  calicoVethName,
} from './calico-names.js';

describe('Calico veth names (VethNameForWorkload)', () => {
  it("matches upstream's own test vector", () => {
    // libcalico-go/lib/backend/k8s/conversion/conversion_test.go: with
    // FELIX_INTERFACEPREFIX="eni,veth,foo", VethNameForWorkload("namespace", "podname") is
    // "eni82111e10a96" - the first prefix of the list, then the hash.
    expect(calicoVethName('namespace', 'podname', 'eni,veth,foo')).toBe('eni82111e10a96');
    expect(calicoVethName('namespace', 'podname')).toBe('cali82111e10a96');
  });

  it('is "cali" + the first 11 hex digits of sha1("<namespace>.<pod>")', () => {
    // sha1("default.web-0") = 0d7763386da...; computed the way upstream does (h.Write of
    // fmt.Appendf("%s.%s"), hex.EncodeToString(...)[:11]).
    expect(createHash('sha1').update('default.web-0').digest('hex').slice(0, 11)).toBe('0d7763386da');
    expect(calicoVethName('default', 'web-0')).toBe('cali0d7763386da');
    expect(calicoVethName('kube-system', 'coredns-0')).toBe('cali8c346e38bf4');
  });

  it('always fits in IFNAMSIZ (15 characters) and depends on namespace and name', () => {
    const name = calicoVethName('a-very-long-namespace-name', 'a-very-long-pod-name-0123456789');
    expect(name).toMatch(/^cali[0-9a-f]{11}$/);
    expect(name).toHaveLength(15);
    expect(calicoVethName('default', 'web-0')).not.toBe(calicoVethName('prod', 'web-0'));
    // The dot separator is upstream's: "a.b"/"c" and "a"/"b.c" collide there too.
    expect(calicoVethName('a.b', 'c')).toBe(calicoVethName('a', 'b.c'));
  });
});

describe('Calico pod and host wiring (dataplane_linux.go)', () => {
  it('routes the pod through 169.254.1.1 on eth0 with a /32 address', () => {
    expect(CALICO_GATEWAY_IP).toBe('169.254.1.1');
    expect(calicoPodAddress('10.8.0.5')).toBe('10.8.0.5/32');
    // cni-plugin/tests/calico_cni_k8s_test.go expects "default via 169.254.1.1 dev eth0" and
    // "169.254.1.1 dev eth0 scope link".
    expect(calicoPodRoutes().map((r) => r.join(' '))).toEqual(['169.254.1.1/32 dev eth0 scope link', 'default via 169.254.1.1 dev eth0']);
    expect(calicoPodRoutes(['10.123.0.0/16']).map((r) => r.join(' '))).toEqual([
      '169.254.1.1/32 dev eth0 scope link',
      '10.123.0.0/16 via 169.254.1.1 dev eth0',
    ]);
    expect(calicoPodSysctls()).toEqual([['net.ipv4.ip_forward', '0']]);
  });

  it('answers ARP with proxy ARP on the host side, whose MAC is ee:ee:ee:ee:ee:ee', () => {
    expect(CALICO_HOST_SIDE_MAC).toBe('ee:ee:ee:ee:ee:ee');
    const veth = calicoVethName('default', 'web-0');
    expect(calicoHostVethSysctls(veth)).toEqual([
      [`net.ipv4.conf.${veth}.route_localnet`, '1'],
      [`net.ipv4.neigh.${veth}.proxy_delay`, '0'],
      [`net.ipv4.conf.${veth}.proxy_arp`, '1'],
      [`net.ipv4.conf.${veth}.forwarding`, '1'],
      [`net.ipv6.conf.${veth}.accept_ra`, '0'],
    ]);
    expect(calicoHostRoute('10.8.0.5', veth)).toEqual(['10.8.0.5/32', 'dev', veth, 'scope', 'link']);
  });
});
