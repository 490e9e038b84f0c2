// The iptables rendering of NetworkPolicy: one test per API feature on the produced lines (chains,
// jumps, peers, ports, ipBlock except), names and limits, determinism, stale chains, requirements.
import { describe, expect, it } from 'vitest';
import {
  NFLOG_PREFIX_MAX,
  POLICY_CHAIN,
  ipBlockChainName,
  nflogPrefix,
  podChainName,
  policyRequires,
  renderPodsFromModel,
  renderPolicyRules,
  renderedChains,
} from './render.js';
import type { Pod } from '../../model/types.js';
import { E, I, PODS, THREE_TIER, byId, chainLines, input, lines, pod, pol } from './testing/policy-fixture.js';

describe('renderPolicyRules', () => {
  it('with no policies: the chain, the return-traffic rule and the FORWARD jump only', () => {
    expect(renderPolicyRules(input('n1', []))).toBe(
      [
        '*filter',
        ':WL-POLICY - [0:0]',
        '-A WL-POLICY -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
        '-I FORWARD 1 -m comment --comment "wirelab network policy" -j WL-POLICY',
        'COMMIT',
        '',
      ].join('\n'),
    );
    expect(renderPolicyRules({ ...input('n1', []), includeJump: false })).not.toContain('-I FORWARD');
  });

  it('default-deny ingress: a -d jump per selected local pod, a chain that logs and drops', () => {
    const text = renderPolicyRules(input('n1', [pol('shop', 'deny', { podSelector: {}, ingress: [] })]));
    const web = byId('shop/web');
    expect(chainLines(text, POLICY_CHAIN)).toEqual([
      '-A WL-POLICY -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      `-A WL-POLICY -d 10.8.0.10/32 -m comment --comment "wirelab policy: ingress shop/client (veth-client)" -j ${I('shop/client')}`,
      `-A WL-POLICY -d 10.8.0.11/32 -m comment --comment "wirelab policy: ingress shop/web (veth-web)" -j ${I('shop/web')}`,
    ]);
    expect(chainLines(text, I('shop/web'))).toEqual([
      `-A ${I('shop/web')} -m comment --comment "wirelab policy: deny ingress shop/web" -j NFLOG --nflog-group 100 --nflog-prefix "WL-DENY I shop/web"`,
      `-A ${I('shop/web')} -m comment --comment "wirelab policy: deny ingress shop/web" -j DROP`,
    ]);
    expect(web.nodeName).toBe('n1');
    // pods of other namespaces and other nodes get nothing here
    expect(text).not.toContain('10.8.0.2/32');
    expect(text).not.toContain('10.8.1.10/32 -m comment --comment "wirelab policy: ingress');
  });

  it('an egress-only policy jumps on the source address only: ingress stays open', () => {
    const text = renderPolicyRules(input('n2', [pol('shop', 'db-egress', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Egress'] })]));
    expect(chainLines(text, POLICY_CHAIN).slice(1)).toEqual([
      `-A WL-POLICY -s 10.8.1.11/32 -m comment --comment "wirelab policy: egress shop/db (veth-db)" -j ${E('shop/db')}`,
    ]);
    expect(text).not.toContain('WL-I-');
  });

  it('egress jumps come before ingress jumps, so on one node both checks run in turn', () => {
    const text = renderPolicyRules(input('n1', THREE_TIER));
    const jumps = chainLines(text, POLICY_CHAIN)
      .slice(1)
      .map((l) => l.split(' ')[2]);
    expect(jumps).toEqual(['-s', '-s', '-d', '-d']); // client, web egress; coredns, web ingress
  });

  it('allow-all rule ([{}]): an unconditional RETURN', () => {
    const text = renderPolicyRules(input('n1', [pol('shop', 'allow-all', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{}] })]));
    expect(chainLines(text, I('shop/web'))[0]).toBe(`-A ${I('shop/web')} -m comment --comment "shop/allow-all ingress[0]" -j RETURN`);
  });

  it('podSelector peers become the /32 of every matching pod, on any node, in the policy namespace', () => {
    const text = renderPolicyRules(
      input('n2', [
        pol('shop', 'db', {
          podSelector: { matchLabels: { app: 'db' } },
          ingress: [
            {
              from: [
                { podSelector: { matchLabels: { tier: 'frontend' } } },
                { podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: ['api', 'prom'] }] } },
              ],
            },
          ],
        }),
      ]),
    );
    expect(chainLines(text, I('shop/db')).slice(0, -2)).toEqual([
      `-A ${I('shop/db')} -m comment --comment "shop/db ingress[0]" -s 10.8.0.11/32 -j RETURN`,
      `-A ${I('shop/db')} -m comment --comment "shop/db ingress[0]" -s 10.8.1.10/32 -j RETURN`, // not monitoring/prom: other namespace
    ]);
  });

  it('namespaceSelector (kubernetes.io/metadata.name) and the AND of both selectors', () => {
    const nsOnly = renderPolicyRules(
      input('n2', [
        pol('shop', 'p', {
          podSelector: { matchLabels: { app: 'db' } },
          ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }] }],
        }),
      ]),
    );
    expect(chainLines(nsOnly, I('shop/db'))[0]).toContain('-s 10.8.0.2/32 -j RETURN');
    expect(chainLines(nsOnly, I('shop/db'))).toHaveLength(3);
    const and = renderPolicyRules(
      input('n2', [
        pol('shop', 'p', {
          podSelector: { matchLabels: { app: 'db' } },
          ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { tier: 'backend' } } }] }],
        }),
      ]),
    );
    expect(
      chainLines(and, I('shop/db'))
        .slice(0, -2)
        .map((l) => l.split(' -s ')[1]),
    ).toEqual(['10.8.1.10/32 -j RETURN', '10.8.1.11/32 -j RETURN']);
  });

  it('ports: protocol, protocol only, endPort ranges', () => {
    const text = renderPolicyRules(
      input('n2', [
        pol('shop', 'p', {
          podSelector: { matchLabels: { app: 'api' } },
          ingress: [{ ports: [{ port: 8080 }, { protocol: 'UDP', port: 53 }, { protocol: 'SCTP' }, { port: 9100, endPort: 9200 }] }],
        }),
      ]),
    );
    expect(
      chainLines(text, I('shop/api'))
        .slice(0, -2)
        .map((l) => l.split('ingress[0]" ')[1]),
    ).toEqual(['-p tcp -m tcp --dport 8080 -j RETURN', '-p udp -m udp --dport 53 -j RETURN', '-p sctp -j RETURN', '-p tcp -m tcp --dport 9100:9200 -j RETURN']);
  });

  it('named ports in ingress resolve against the local pod (same name, different ports per pod)', () => {
    const p = pol('shop', 'metrics', { podSelector: { matchLabels: { tier: 'backend' } }, ingress: [{ ports: [{ port: 'metrics' }, { port: 'pg' }] }] });
    const text = renderPolicyRules(input('n2', [p]));
    expect(
      chainLines(text, I('shop/api'))
        .slice(0, -2)
        .map((l) => l.split('" ')[1]),
    ).toEqual(['-p tcp -m tcp --dport 9100 -j RETURN']);
    expect(
      chainLines(text, I('shop/db'))
        .slice(0, -2)
        .map((l) => l.split('" ')[1]),
    ).toEqual(['-p tcp -m tcp --dport 9187 -j RETURN', '-p tcp -m tcp --dport 5432 -j RETURN']);
  });

  it('named ports in egress resolve per destination pod; a name of another protocol does not match', () => {
    const p = pol('monitoring', 'scrape', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [{ namespaceSelector: {} }], ports: [{ port: 'metrics' }, { port: 'dns' }] }],
    });
    const text = renderPolicyRules(input('n2', [p]));
    expect(
      chainLines(text, E('monitoring/prom'))
        .slice(0, -2)
        .map((l) => l.split('" ')[1]),
    ).toEqual([
      '-d 10.8.1.10/32 -p tcp -m tcp --dport 9100 -j RETURN',
      '-d 10.8.1.11/32 -p tcp -m tcp --dport 9187 -j RETURN',
      // "dns" is UDP on coredns and the policy port defaults to TCP: no line
    ]);
  });

  it('ipBlock without except: a plain -s/-d; with except: a sub-chain and the mark', () => {
    const text = renderPolicyRules(
      input('n2', [
        pol('shop', 'api-egress', {
          podSelector: { matchLabels: { app: 'api' } },
          policyTypes: ['Egress'],
          egress: [
            {
              to: [{ ipBlock: { cidr: '192.0.2.0/24' } }, { ipBlock: { cidr: '10.10.0.0/16', except: ['10.10.5.0/24', '10.10.9.9/32'] } }],
              ports: [{ port: 443 }],
            },
          ],
        }),
      ]),
    );
    const sub = ipBlockChainName('dst', { cidr: '10.10.0.0/16', except: ['10.10.5.0/24', '10.10.9.9/32'] });
    expect(sub.length).toBeLessThanOrEqual(28);
    expect(chainLines(text, E('shop/api')).slice(0, -2)).toEqual([
      `-A ${E('shop/api')} -j MARK --set-xmark 0x0/0x10000`,
      `-A ${E('shop/api')} -m comment --comment "shop/api-egress egress[0]" -d 192.0.2.0/24 -p tcp -m tcp --dport 443 -j RETURN`,
      `-A ${E('shop/api')} -m comment --comment "shop/api-egress egress[0]" -p tcp -m tcp --dport 443 -j ${sub}`,
      `-A ${E('shop/api')} -m comment --comment "shop/api-egress egress[0]" -p tcp -m tcp --dport 443 -m mark --mark 0x10000/0x10000 -j RETURN`,
    ]);
    expect(chainLines(text, sub)).toEqual([
      `-A ${sub} -d 10.10.5.0/24 -j RETURN`,
      `-A ${sub} -d 10.10.9.9/32 -j RETURN`,
      `-A ${sub} -d 10.10.0.0/16 -j MARK --set-xmark 0x10000/0x10000`,
    ]);
    expect(lines(text)).toContain(`:${sub} - [0:0]`);
  });

  it('chain names fit iptables (28) and NFLOG prefixes fit 63 characters even for long names', () => {
    const long = pod('a'.repeat(40), 'b'.repeat(40), 'n1', '10.8.0.99', {});
    expect(podChainName('Ingress', long.namespace, long.name)).toMatch(/^WL-I-[A-Z2-7]{16}$/);
    expect(nflogPrefix('Egress', long.namespace, long.name).length).toBeLessThanOrEqual(NFLOG_PREFIX_MAX);
    expect(nflogPrefix('Egress', 'shop', 'web')).toBe('WL-DENY E shop/web');
    const text = renderPolicyRules({
      node: 'n1',
      pods: [long],
      namespaces: [],
      policies: [pol('a'.repeat(40), 'deny', { podSelector: {}, policyTypes: ['Egress'] })],
    });
    for (const l of lines(text).filter((x) => x.startsWith(':'))) expect(l.slice(1).split(' ')[0].length).toBeLessThanOrEqual(28);
  });

  it('is deterministic: input order does not matter', () => {
    const a = renderPolicyRules(input('n1', THREE_TIER));
    const b = renderPolicyRules({ ...input('n1', [...THREE_TIER].reverse()), pods: [...PODS].reverse() });
    expect(b).toBe(a);
  });

  it('deletes chains of an earlier render that are gone, and lists what it created', () => {
    const before = renderPolicyRules(input('n1', THREE_TIER));
    const after = renderPolicyRules({ ...input('n1', []), staleChains: renderedChains(before) });
    expect(lines(after)).toContain(`-X ${E('shop/web')}`);
    expect(lines(after)).toContain(`:${E('shop/web')} - [0:0]`);
    expect(lines(after)).not.toContain('-X WL-POLICY');
    expect(renderedChains(after)).toEqual(['WL-POLICY']);
  });

  it('lists the kernel features it needs (xt_sctp only with SCTP ports)', () => {
    expect(policyRequires(THREE_TIER)).toContain('CONFIG_NETFILTER_XT_TARGET_NFLOG');
    expect(policyRequires(THREE_TIER)).not.toContain('CONFIG_NETFILTER_XT_MATCH_SCTP');
    expect(policyRequires([pol('x', 's', { podSelector: {}, ingress: [{ ports: [{ protocol: 'SCTP' }] }] })])).toContain('CONFIG_NETFILTER_XT_MATCH_SCTP');
  });

  it('renderPodsFromModel takes container ports and the CNI veth name', () => {
    const p: Pod = {
      name: 'web',
      namespace: 'shop',
      labels: { app: 'web' },
      nodeName: 'n1',
      ip: '10.8.0.11',
      ipSource: 'pinned',
      ready: true,
      dnsPolicy: 'ClusterFirst',
      resolver: { nameservers: [], searches: [], options: [] },
      volumes: [],
      containers: [
        {
          name: 'c',
          image: 'i',
          args: [],
          volumeMounts: [],
          ports: [
            { name: 'http', containerPort: 80, protocol: 'TCP' },
            { containerPort: 81, protocol: 'UDP' },
          ],
        },
      ],
    };
    expect(renderPodsFromModel([p], (ns, n) => `cali-${ns}-${n}`)).toEqual([
      {
        name: 'web',
        namespace: 'shop',
        ip: '10.8.0.11',
        nodeName: 'n1',
        labels: { app: 'web' },
        hostVeth: 'cali-shop-web',
        containerPorts: [
          { name: 'http', port: 80, protocol: 'TCP' },
          { port: 81, protocol: 'UDP' },
        ],
      },
    ]);
  });
});
