// The iptables rendering of NetworkPolicy: one test per API feature on the produced lines, then
// a property check: a small iptables interpreter walks the rendered chains for every
// (from, to, port, protocol) on the source node and the destination node and must agree with
// the reference semantics (selectors.ts `allowed`), cell by cell, like the truth tables of
// kubernetes/kubernetes test/e2e/network/netpol (truthtable.go, reachability.go: loopback
// pairs ignored, as there).
import { describe, expect, it } from 'vitest';
import { parseNetworkPolicy } from '../../k8s/network-policy.js';
import {
  NFLOG_PREFIX_MAX,
  POLICY_CHAIN,
  ipBlockChainName,
  nflogPrefix,
  podChainName,
  policyJumpArgs,
  policyRequires,
  renderPodsFromModel,
  renderPolicyRules,
  renderedChains,
  type RenderPod,
  type RenderPolicyInput,
} from './render.js';
import { allowed } from './selectors.js';
import type { Endpoint, NetworkPolicy, PolicyNamespace, Protocol } from '../../k8s/network-policy-types.js';
import { containsIp, parseCidr } from '../../net/cidr.js';
import type { Pod } from '../../model/types.js';

function pol(namespace: string, name: string, spec: Record<string, unknown>): NetworkPolicy {
  const r = parseNetworkPolicy({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec });
  if (!r.policy) throw new Error(JSON.stringify(r.problems));
  return r.policy;
}

// ---- the 3-tier fixture (client -> web:80 -> api:8080 -> db:5432, DNS in kube-system) --------

const NAMESPACES: PolicyNamespace[] = [
  { name: 'shop', labels: { team: 'shop' } },
  { name: 'kube-system', labels: {} },
  { name: 'monitoring', labels: { purpose: 'monitoring' } },
];

function pod(ns: string, name: string, node: string, ip: string, labels: Record<string, string>, ports: RenderPod['containerPorts'] = []): RenderPod {
  return { name, namespace: ns, nodeName: node, ip, labels, hostVeth: `veth-${name}`, containerPorts: ports };
}

const PODS: RenderPod[] = [
  pod('shop', 'client', 'n1', '10.8.0.10', { app: 'client' }),
  pod('shop', 'web', 'n1', '10.8.0.11', { app: 'web', tier: 'frontend' }, [{ name: 'http', port: 80, protocol: 'TCP' }]),
  pod('shop', 'api', 'n2', '10.8.1.10', { app: 'api', tier: 'backend' }, [
    { name: 'api', port: 8080, protocol: 'TCP' },
    { name: 'metrics', port: 9100, protocol: 'TCP' },
  ]),
  pod('shop', 'db', 'n2', '10.8.1.11', { app: 'db', tier: 'backend' }, [
    { name: 'pg', port: 5432, protocol: 'TCP' },
    { name: 'metrics', port: 9187, protocol: 'TCP' },
  ]),
  pod('kube-system', 'coredns', 'n1', '10.8.0.2', { 'k8s-app': 'kube-dns' }, [
    { name: 'dns', port: 53, protocol: 'UDP' },
    { name: 'dns-tcp', port: 53, protocol: 'TCP' },
  ]),
  pod('monitoring', 'prom', 'n2', '10.8.1.20', { app: 'prom' }, [{ name: 'web', port: 9090, protocol: 'TCP' }]),
];
const byId = (id: string) => PODS.find((p) => `${p.namespace}/${p.name}` === id)!;
const EXTERNALS = ['10.10.1.1', '10.10.5.7', '192.0.2.1'];

const DNS_PEER = {
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
  podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
};
const DNS_RULE = { to: [DNS_PEER], ports: [{ protocol: 'UDP', port: 53 }] };
const PROM_PEER = { namespaceSelector: { matchLabels: { purpose: 'monitoring' } }, podSelector: { matchLabels: { app: 'prom' } } };

const THREE_TIER: NetworkPolicy[] = [
  pol('shop', 'web-ingress', {
    podSelector: { matchLabels: { app: 'web' } },
    ingress: [
      { from: [{ podSelector: { matchLabels: { app: 'client' } } }], ports: [{ port: 'http' }] },
      { from: [{ ipBlock: { cidr: '192.0.2.0/24' } }], ports: [{ port: 80 }] },
    ],
  }),
  pol('shop', 'api-ingress', {
    podSelector: { matchLabels: { app: 'api' } },
    ingress: [
      { from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 8080 }] },
      { from: [PROM_PEER], ports: [{ port: 9100, endPort: 9200 }] },
    ],
  }),
  pol('shop', 'db-ingress', {
    podSelector: { matchLabels: { app: 'db' } },
    ingress: [
      { from: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 5432 }] },
      { from: [PROM_PEER], ports: [{ port: 'metrics' }] },
    ],
  }),
  pol('shop', 'client-egress', {
    podSelector: { matchLabels: { app: 'client' } },
    policyTypes: ['Egress'],
    egress: [{ to: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 'http' }] }, DNS_RULE],
  }),
  pol('shop', 'web-egress', {
    podSelector: { matchLabels: { app: 'web' } },
    policyTypes: ['Egress'],
    egress: [{ to: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 8080 }] }, DNS_RULE],
  }),
  pol('shop', 'api-egress', {
    podSelector: { matchLabels: { app: 'api' } },
    policyTypes: ['Egress'],
    egress: [
      { to: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 5432 }] },
      DNS_RULE,
      { to: [{ ipBlock: { cidr: '10.10.0.0/16', except: ['10.10.5.0/24'] } }], ports: [{ port: 443 }] },
    ],
  }),
  pol('shop', 'db-egress', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Egress'] }),
  pol('kube-system', 'dns-ingress', {
    podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
    ingress: [
      {
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 'dns-tcp' },
        ],
      },
    ],
  }),
];

const input = (node: string, policies: NetworkPolicy[], pods: RenderPod[] = PODS): RenderPolicyInput => ({ node, pods, namespaces: NAMESPACES, policies });
const lines = (text: string) => text.trimEnd().split('\n');
const chainLines = (text: string, chain: string) => lines(text).filter((l) => l.startsWith(`-A ${chain} `));
const I = (id: string) => podChainName('Ingress', byId(id).namespace, byId(id).name);
const E = (id: string) => podChainName('Egress', byId(id).namespace, byId(id).name);

// ---- a tiny iptables interpreter -------------------------------------------------------------

interface Packet {
  src: string;
  dst: string;
  proto: Protocol;
  dport: number;
  mark: number;
}

function tokenize(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line))) out.push(m[1] ?? m[2]);
  return out;
}

type Action =
  { kind: 'RETURN' | 'DROP' | 'ACCEPT' } | { kind: 'NFLOG'; prefix: string } | { kind: 'MARK'; value: number; mask: number } | { kind: 'JUMP'; chain: string };
interface Rule {
  match: (p: Packet) => boolean;
  action: Action;
}

function compileRule(tokens: string[]): Rule {
  const conds: ((p: Packet) => boolean)[] = [];
  let action: Action | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    const arg = () => tokens[++i];
    if (t === '-s' || t === '-d') {
      const c = parseCidr(arg().includes('/') ? tokens[i] : `${tokens[i]}/32`);
      conds.push(t === '-s' ? (p) => containsIp(c, p.src) : (p) => containsIp(c, p.dst));
    } else if (t === '-p') {
      const proto = arg().toUpperCase();
      conds.push((p) => p.proto === proto);
    } else if (t === '-m') {
      const mod = arg();
      if (!['tcp', 'udp', 'sctp', 'comment', 'conntrack', 'mark'].includes(mod)) throw new Error(`unknown match module ${mod}`);
    } else if (t === '--comment') arg();
    else if (t === '--dport') {
      const [a, b] = arg().split(':').map(Number);
      conds.push((p) => p.dport >= a && p.dport <= (b ?? a));
    } else if (t === '--ctstate') {
      const states = arg().split(',');
      conds.push(() => states.includes('NEW')); // every probe opens a new connection
    } else if (t === '--mark') {
      const [v, m] = arg()
        .split('/')
        .map((x) => Number(x));
      conds.push((p) => (p.mark & m) === v);
    } else if (t === '-j') {
      const target = arg();
      if (target === 'RETURN' || target === 'DROP' || target === 'ACCEPT') action = { kind: target };
      else if (target === 'NFLOG') {
        let prefix = '';
        while (i + 1 < tokens.length && tokens[i + 1].startsWith('--nflog-')) {
          const opt = tokens[++i];
          const val = tokens[++i];
          if (opt === '--nflog-prefix') prefix = val;
          else if (opt === '--nflog-group') expect(val).toBe('100');
          else throw new Error(`unknown NFLOG option ${opt}`);
        }
        action = { kind: 'NFLOG', prefix };
      } else if (target === 'MARK') {
        expect(tokens[++i]).toBe('--set-xmark');
        const [v, m] = tokens[++i].split('/').map((x) => Number(x));
        action = { kind: 'MARK', value: v, mask: m };
      } else action = { kind: 'JUMP', chain: target };
    } else throw new Error(`interpreter does not know ${t} in: ${tokens.join(' ')}`);
  }
  if (!action) throw new Error(`rule without target: ${tokens.join(' ')}`);
  return { match: (p) => conds.every((c) => c(p)), action };
}

class Ruleset {
  chains = new Map<string, Rule[]>();
  forwardJumps: string[][] = [];
  constructor(text: string) {
    for (const line of lines(text)) {
      if (line === '*filter' || line === 'COMMIT') continue;
      if (line.startsWith(':')) {
        this.chains.set(line.slice(1).split(' ')[0], []);
        continue;
      }
      const tokens = tokenize(line);
      if (tokens[0] === '-I' && tokens[1] === 'FORWARD') {
        this.forwardJumps.push(tokens.slice(2));
        continue;
      }
      if (tokens[0] === '-X') continue;
      expect(tokens[0]).toBe('-A');
      const chain = this.chains.get(tokens[1]);
      if (!chain) throw new Error(`rule for undeclared chain ${tokens[1]}`);
      chain.push(compileRule(tokens.slice(2)));
    }
  }
  /** Walks a chain: 'ACCEPT', 'DROP', or undefined (fell off the end / RETURN). */
  run(chain: string, p: Packet, log: string[], depth = 0): 'ACCEPT' | 'DROP' | undefined {
    if (depth > 8) throw new Error('jump loop');
    const rules = this.chains.get(chain);
    if (!rules) throw new Error(`jump to undeclared chain ${chain}`);
    for (const r of rules) {
      if (!r.match(p)) continue;
      const a = r.action;
      if (a.kind === 'RETURN') return undefined;
      if (a.kind === 'DROP' || a.kind === 'ACCEPT') return a.kind;
      if (a.kind === 'NFLOG') log.push(a.prefix);
      else if (a.kind === 'MARK') p.mark = ((p.mark & ~a.mask) ^ a.value) >>> 0;
      else if (a.kind === 'JUMP') {
        const v = this.run(a.chain, p, log, depth + 1);
        if (v) return v;
      }
    }
    return undefined;
  }
}

/** FORWARD on each node the packet crosses: the source pod's node, then the destination
 * pod's (once when they are the same). External addresses have no node here. */
function interpret(
  rulesets: Map<string, Ruleset>,
  from: Endpoint & { node?: string },
  to: Endpoint & { node?: string },
  dport: number,
  proto: Protocol,
  log: string[] = [],
): boolean {
  const nodes = [...new Set([from.node, to.node].filter((n): n is string => n !== undefined))];
  for (const node of nodes) {
    const rs = rulesets.get(node)!;
    if (rs.forwardJumps.length !== 1 || rs.forwardJumps[0].join(' ') !== ['1', ...policyJumpArgs()].join(' '))
      throw new Error(`no single FORWARD jump on ${node}`);
    const verdict = rs.run(POLICY_CHAIN, { src: from.ip, dst: to.ip, proto, dport, mark: 0 }, log);
    if (verdict === 'DROP') return false;
  }
  return true;
}

type Ep = Endpoint & { node?: string; id: string };
const endpoints = (pods: RenderPod[]): Ep[] => [
  ...pods.map((p) => ({ id: `${p.namespace}/${p.name}`, ip: p.ip, pod: p, node: p.nodeName })),
  ...EXTERNALS.map((ip) => ({ id: ip, ip })),
];
const PORTS = [53, 80, 443, 5432, 8080, 9100, 9187, 9250];
const PROTOS: Protocol[] = ['TCP', 'UDP', 'SCTP'];

/** Every cell where the rendered rules and the reference disagree (empty = they agree). */
function mismatches(policies: NetworkPolicy[], pods: RenderPod[] = PODS): string[] {
  const rulesets = new Map(['n1', 'n2'].map((n) => [n, new Ruleset(renderPolicyRules(input(n, policies, pods)))]));
  const eps = endpoints(pods);
  const bad: string[] = [];
  for (const a of eps)
    for (const b of eps) {
      if (a.id === b.id || (!a.pod && !b.pod)) continue; // loopback ignored as upstream; outside<->outside never crosses a node
      for (const port of PORTS)
        for (const proto of PROTOS) {
          const want = allowed(policies, NAMESPACES, a, b, port, proto);
          const got = interpret(rulesets, a, b, port, proto);
          if (want !== got) bad.push(`${a.id} -> ${b.id} ${port}/${proto}: reference ${want}, iptables ${got}`);
        }
    }
  return bad;
}

// ---- per-feature rendering ---------------------------------------------------------------------

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

// ---- the rendered rules behave as the reference says ---------------------------------------

describe('rendered rules vs the reference semantics', () => {
  it('3-tier: every (from, to, port, protocol) cell agrees', () => {
    expect(mismatches(THREE_TIER)).toEqual([]);
  });

  it('3-tier: the intended paths are open and the rest closed, with a log line per drop', () => {
    const rulesets = new Map(['n1', 'n2'].map((n) => [n, new Ruleset(renderPolicyRules(input(n, THREE_TIER)))]));
    const ep = (id: string): Ep => (EXTERNALS.includes(id) ? { id, ip: id } : { id, ip: byId(id).ip, pod: byId(id), node: byId(id).nodeName });
    const can = (a: string, b: string, port: number, proto: Protocol = 'TCP', log: string[] = []) => interpret(rulesets, ep(a), ep(b), port, proto, log);
    expect(can('shop/client', 'shop/web', 80)).toBe(true); // same node: client egress + web ingress
    expect(can('shop/web', 'shop/api', 8080)).toBe(true); // n1 egress, n2 ingress
    expect(can('shop/api', 'shop/db', 5432)).toBe(true);
    expect(can('shop/web', 'kube-system/coredns', 53, 'UDP')).toBe(true);
    expect(can('shop/api', 'kube-system/coredns', 53, 'UDP')).toBe(true);
    expect(can('monitoring/prom', 'shop/db', 9187)).toBe(true); // named port "metrics" on db
    expect(can('monitoring/prom', 'shop/api', 9150)).toBe(true); // 9100-9200
    expect(can('shop/api', '10.10.1.1', 443)).toBe(true);
    expect(can('192.0.2.1', 'shop/web', 80)).toBe(true);
    const log: string[] = [];
    expect(can('shop/client', 'shop/api', 8080, 'TCP', log)).toBe(false);
    expect(log).toEqual(['WL-DENY E shop/client']);
    const log2: string[] = [];
    expect(can('shop/web', 'shop/db', 5432, 'TCP', log2)).toBe(false);
    expect(log2).toEqual(['WL-DENY E shop/web']);
    const log3: string[] = [];
    expect(can('monitoring/prom', 'shop/db', 5432, 'TCP', log3)).toBe(false); // prom has no egress policy: db's ingress drops it on n2
    expect(log3).toEqual(['WL-DENY I shop/db']);
    expect(can('shop/db', 'kube-system/coredns', 53, 'UDP')).toBe(false); // db egress: none
    expect(can('shop/api', '10.10.5.7', 443)).toBe(false); // except really excludes
    expect(can('shop/api', '10.10.1.1', 80)).toBe(false);
    expect(can('shop/web', 'kube-system/coredns', 53, 'TCP')).toBe(false); // web egress allows UDP only
    expect(can('shop/client', 'kube-system/coredns', 53, 'TCP')).toBe(false);
    expect(can('10.10.1.1', 'shop/api', 8080)).toBe(false);
  });

  it('the except mark does not leak from a source check into a destination check on the same node', () => {
    const pods = [pod('x', 'a', 'n1', '10.8.0.1', { pod: 'a' }), pod('x', 'b', 'n1', '10.8.0.2', { pod: 'b' })];
    const policies = [
      pol('x', 'a-egress', {
        podSelector: { matchLabels: { pod: 'a' } },
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '10.8.0.0/16', except: ['10.8.9.0/24'] } }] }],
      }),
      pol('x', 'b-ingress', {
        podSelector: { matchLabels: { pod: 'b' } },
        ingress: [{ from: [{ ipBlock: { cidr: '10.8.0.0/16', except: ['10.8.0.1/32'] } }] }],
      }),
    ];
    expect(mismatches(policies, pods)).toEqual([]);
    const rs = new Map([['n1', new Ruleset(renderPolicyRules({ node: 'n1', pods, namespaces: [], policies }))]]);
    expect(interpret(rs, { ip: '10.8.0.1', pod: pods[0], node: 'n1' }, { ip: '10.8.0.2', pod: pods[1], node: 'n1' }, 80, 'TCP')).toBe(false);
  });

  it('random policy sets (seeded): every cell agrees', () => {
    const rand = mulberry32(0x5eed001);
    let checked = 0;
    for (let round = 0; round < 120; round++) {
      const policies = randomPolicies(rand);
      const bad = mismatches(policies);
      if (bad.length > 0) throw new Error(`round ${round}: ${bad.slice(0, 5).join('; ')}\n${JSON.stringify(policies)}`);
      checked++;
    }
    expect(checked).toBe(120);
  });
});

// ---- random policies ----------------------------------------------------------------------------

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomPolicies(rand: () => number): NetworkPolicy[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const selector = (): Record<string, unknown> =>
    pick([
      {},
      { matchLabels: { app: pick(['web', 'api', 'db', 'client', 'prom']) } },
      { matchLabels: { tier: pick(['frontend', 'backend']) } },
      { matchExpressions: [{ key: 'app', operator: pick(['In', 'NotIn']), values: [pick(['web', 'api', 'db']), pick(['client', 'prom'])] }] },
      { matchExpressions: [{ key: 'tier', operator: pick(['Exists', 'DoesNotExist']) }] },
      { matchLabels: { 'k8s-app': 'kube-dns' } },
    ]);
  const nsSelector = (): Record<string, unknown> =>
    pick([
      {},
      { matchLabels: { 'kubernetes.io/metadata.name': pick(['shop', 'kube-system', 'monitoring']) } },
      { matchLabels: { purpose: 'monitoring' } },
      { matchExpressions: [{ key: 'team', operator: pick(['Exists', 'DoesNotExist']) }] },
    ]);
  const peer = (): Record<string, unknown> =>
    pick([
      () => ({ podSelector: selector() }),
      () => ({ namespaceSelector: nsSelector() }),
      () => ({ podSelector: selector(), namespaceSelector: nsSelector() }),
      () => ({
        ipBlock: pick([
          { cidr: '10.8.0.0/16' },
          { cidr: '10.8.0.0/16', except: ['10.8.1.0/24'] },
          { cidr: '10.10.0.0/16', except: ['10.10.5.0/24'] },
          { cidr: '0.0.0.0/0', except: ['10.8.0.11/32', '192.0.2.0/24'] },
          { cidr: '192.0.2.0/24' },
        ]),
      }),
    ])();
  const port = (): Record<string, unknown> =>
    pick([
      () => ({ port: pick([53, 80, 443, 5432, 8080]) }),
      () => ({ protocol: pick(['UDP', 'SCTP', 'TCP']), port: pick([53, 80]) }),
      () => ({ protocol: pick(['UDP', 'SCTP', 'TCP']) }),
      () => ({ port: 9100, endPort: pick([9100, 9187, 9200]) }),
      () => ({ port: pick(['metrics', 'http', 'dns', 'dns-tcp', 'pg', 'web']) }),
      () => ({ protocol: 'UDP', port: 'dns' }),
    ])();
  const rule = (key: 'from' | 'to'): Record<string, unknown> => {
    const r: Record<string, unknown> = {};
    const np = pick([0, 0, 1, 1, 2]);
    if (np > 0 || rand() < 0.2) r[key] = Array.from({ length: np }, peer);
    const nports = pick([0, 1, 1, 2]);
    if (nports > 0 || rand() < 0.2) r.ports = Array.from({ length: nports }, port);
    return r;
  };
  const rules = (key: 'from' | 'to'): unknown[] | undefined => pick([undefined, [], [{}], [rule(key)], [rule(key), rule(key)]]);
  const out: NetworkPolicy[] = [];
  const n = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    const spec: Record<string, unknown> = { podSelector: selector() };
    const ingress = rules('from');
    const egress = rules('to');
    if (ingress !== undefined) spec.ingress = ingress;
    if (egress !== undefined) spec.egress = egress;
    const types = pick([undefined, ['Ingress'], ['Egress'], ['Ingress', 'Egress']]);
    if (types) spec.policyTypes = types;
    out.push(pol(pick(['shop', 'shop', 'kube-system', 'monitoring']), `p${i}`, spec));
  }
  return out;
}
