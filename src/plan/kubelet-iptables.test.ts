// kubelet's iptables rules (pkg/kubelet/kubelet_network_linux.go, v1.34.2) in a lab's plan: on
// every node, before the pod network's and kube-proxy's rules, and kube-proxy's first sync
// leaving out its copies of the KUBE-FIREWALL jumps that kubelet already made.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseLabSource } from '../labfile/load.js';
import { resolveModel } from '../model/resolve.js';
import { REPO_ROOT } from '../paths.js';
import { kubeletRestoreText } from './kubelet-iptables.js';
import { planLab } from './plan-lab.js';

const model = (lab: string) => resolveModel(parseLabSource(readFileSync(join(REPO_ROOT, `labs/${lab}.yaml`), 'utf8'), `${lab}.yaml`));

describe("kubelet's iptables rules", () => {
  it('are the hint chain, KUBE-FIREWALL with its OUTPUT and INPUT jumps and drop rule, and the canaries', () => {
    const text = kubeletRestoreText();
    expect(text.split('\n').filter((l) => /^(\*|:|-)/.test(l))).toEqual([
      '*mangle',
      ':KUBE-IPTABLES-HINT - [0:0]',
      ':KUBE-KUBELET-CANARY - [0:0]',
      '*nat',
      ':KUBE-KUBELET-CANARY - [0:0]',
      '*filter',
      ':KUBE-FIREWALL - [0:0]',
      ':KUBE-KUBELET-CANARY - [0:0]',
      '-I OUTPUT -j KUBE-FIREWALL',
      '-I INPUT -j KUBE-FIREWALL',
      '-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
    ]);
  });

  for (const lab of ['nodeport', 'clusterip-nftables', 'clusterip-ipvs']) {
    it(`${lab}: run on every node before any other rule, and kube-proxy adds no KUBE-FIREWALL jump of its own`, () => {
      const m = model(lab);
      const ops = planLab(m).steps.flatMap((s) => s.ops);
      for (const node of m.nodes) {
        const ns = `wl-${m.lab}.${node.name}`;
        const rules = ops.filter((o) => (o.kind === 'iptables-restore' || o.kind === 'nft' || o.kind === 'restore') && o.netns === ns);
        expect(rules[0], node.name).toMatchObject({ kind: 'iptables-restore', rules: kubeletRestoreText() });
        const texts = rules.map((o) => (o.kind === 'iptables-restore' ? o.rules : 'input' in o ? o.input : '')).join('\n');
        expect(texts.match(/-I (INPUT|OUTPUT) -j KUBE-FIREWALL$/gm), node.name).toEqual(['-I OUTPUT -j KUBE-FIREWALL', '-I INPUT -j KUBE-FIREWALL']);
      }
    });
  }
});
