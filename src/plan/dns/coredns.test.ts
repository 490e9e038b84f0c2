import { describe, expect, it } from 'vitest';
import { internetCorefile, kubeadmCorefile, withKubeconfig } from './coredns.js';

describe('Corefiles', () => {
  it("kubeadm's Corefile has the plugins in kubeadm's order", () => {
    const plugins = kubeadmCorefile()
      .split('\n')
      .map((l) => l.trim().split(/\s/)[0])
      .filter((w) => /^[a-z]+$/.test(w) && !['pods', 'fallthrough', 'ttl', 'lameduck', 'max_concurrent', 'disable'].includes(w));
    expect(plugins).toEqual(['errors', 'health', 'ready', 'kubernetes', 'prometheus', 'forward', 'cache', 'loop', 'reload', 'loadbalance']);
  });

  it('adds the kubeconfig line inside every kubernetes block and nothing else', () => {
    const out = withKubeconfig(kubeadmCorefile(), '/run/wirelab/x/kubeconfig', 'wirelab');
    expect(out).toContain('    kubernetes cluster.local in-addr.arpa ip6.arpa {\n       kubeconfig /run/wirelab/x/kubeconfig wirelab\n       pods insecure\n');
    expect(out.replace('       kubeconfig /run/wirelab/x/kubeconfig wirelab\n', '')).toBe(kubeadmCorefile());
  });

  it('turns a kubernetes line without a block into a block', () => {
    expect(withKubeconfig('.:53 {\n    kubernetes cluster.local\n}\n', '/k', 'c')).toBe(
      '.:53 {\n    kubernetes cluster.local {\n       kubeconfig /k c\n    }\n}\n',
    );
  });

  it('serves the internet DNS records with the hosts plugin', () => {
    expect(internetCorefile({ 'www.example.com': '203.0.113.10', 'example.com': '203.0.113.10' })).toContain(
      '    hosts {\n        203.0.113.10 example.com\n        203.0.113.10 www.example.com\n    }',
    );
  });
});
