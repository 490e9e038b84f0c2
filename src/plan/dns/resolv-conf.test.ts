// kubelet's resolv.conf per dnsPolicy (kubernetes/kubernetes pkg/kubelet/network/dns/dns.go
// GetPodDNS, appendDNSConfig, mergeDNSOptions) in containerd's layout (parseDNSOptions).
import { describe, expect, it } from 'vitest';
import { podResolverConfig } from '../../model/pod-dns.js';
import { renderResolvConf } from './resolv-conf.js';

const dns = {
  clusterDNS: '10.96.0.10',
  clusterDomain: 'cluster.local',
  node: { nameservers: ['203.0.113.53'], searches: ['lab.local'], options: ['timeout:2'] },
};

describe('podResolverConfig', () => {
  it("ClusterFirst: kube-dns, the three cluster search domains then the node's, ndots:5", () => {
    const r = podResolverConfig({ namespace: 'default', dnsPolicy: 'ClusterFirst' }, dns);
    expect(renderResolvConf(r)).toBe('search default.svc.cluster.local svc.cluster.local cluster.local lab.local\nnameserver 10.96.0.10\noptions ndots:5\n');
  });

  it("uses the pod's namespace in the first search domain", () => {
    expect(podResolverConfig({ namespace: 'kube-system', dnsPolicy: 'ClusterFirst' }, dns).searches[0]).toBe('kube-system.svc.cluster.local');
  });

  it("Default: the node's resolv.conf", () => {
    expect(renderResolvConf(podResolverConfig({ namespace: 'default', dnsPolicy: 'Default' }, dns))).toBe(
      'search lab.local\nnameserver 203.0.113.53\noptions timeout:2\n',
    );
  });

  it("None: only dnsConfig (seed 004's custom-dns-pod)", () => {
    const r = podResolverConfig(
      {
        namespace: 'default',
        dnsPolicy: 'None',
        dnsConfig: {
          nameservers: ['1.1.1.1'],
          searches: ['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
          options: [{ name: 'ndots', value: '5' }],
        },
      },
      dns,
    );
    expect(renderResolvConf(r)).toBe('search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 1.1.1.1\noptions ndots:5\n');
  });

  it('merges dnsConfig into ClusterFirst: appended without duplicates, options overridden by name', () => {
    const r = podResolverConfig(
      {
        namespace: 'default',
        dnsPolicy: 'ClusterFirst',
        dnsConfig: {
          nameservers: ['10.96.0.10', '1.2.3.4'],
          searches: ['cluster.local', 'my.dns.search.suffix'],
          options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }],
        },
      },
      dns,
    );
    expect(r.nameservers).toEqual(['10.96.0.10', '1.2.3.4']);
    expect(r.searches).toEqual(['default.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'lab.local', 'my.dns.search.suffix']);
    expect(r.options).toEqual(['ndots:2', 'edns0']);
  });
});
