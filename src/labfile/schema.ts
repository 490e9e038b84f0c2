// The lab file's shape. Zod checks structure and types; cross-field rules (overlapping CIDRs,
// references, address ranges) live in validate.ts so that every problem is collected at once.
import { z } from 'zod';

/** kube-proxy's modes; `none` runs no kube-proxy (e.g. to run the real one by hand). */
export const KUBE_PROXY_MODES = ['iptables', 'ipvs', 'nftables', 'none'] as const;
export type KubeProxyMode = (typeof KUBE_PROXY_MODES)[number];
/** A chain or state check written for one mode applies only when the lab runs in that mode, so
 * one lab can say what each mode's rules look like (`lab run <lab> --kube-proxy <mode>`). */
const forMode = z.enum(['iptables', 'ipvs', 'nftables']).optional();

/** A DNS-1123 label, as Kubernetes requires for Pod and Node names. */
export const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Linux interface names: at most 15 characters (IFNAMSIZ - 1), no '/', ':' or whitespace. */
export const IFNAME_RE = /^[A-Za-z0-9_.-]{1,15}$/;

const name = z
  .string()
  .regex(NAME_RE, 'must be lowercase letters, digits and "-", starting and ending with a letter or digit')
  .max(40, 'must be at most 40 characters (it becomes part of namespace and interface names)');

const ipv4 = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, 'must be an IPv4 address like 10.10.20.4');
const cidr = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/, 'must be an IPv4 CIDR like 10.8.0.0/16');
const port = z.number().int().min(1).max(65535);

/** netem on the underlay: every switch port delays (and drops) what it sends to its node, so
 * each crossing of the underlay pays it once. Needs CONFIG_NET_SCH_NETEM. */
export const netemSchema = z.strictObject({
  delay: z
    .string()
    .regex(/^\d+(\.\d+)?(us|ms|s)$/, 'must be a time like 10ms')
    .optional(),
  loss: z
    .string()
    .regex(/^\d+(\.\d+)?%$/, 'must be a percentage like 2%')
    .optional(),
});

export const underlaySchema = z.strictObject({
  cidr,
  mtu: z.number().int().min(1280).max(9000).default(1500),
  netem: netemSchema.optional(),
});

export const CNI_KINDS = ['flannel-vxlan'] as const;

export const clusterSchema = z.strictObject({
  podCIDR: cidr,
  nodeCIDRMaskSize: z.number().int().min(16).max(30).default(24),
  serviceCIDR: cidr.default('10.96.0.0/12'),
  clusterDomain: z.string().default('cluster.local'),
  // The registry in cni/registry.ts is the authority; the schema only knows it is a name.
  cni: z.string(),
  /** kube-proxy on every node: iptables (the default, as kubeadm), ipvs, nftables, or none. */
  kubeProxy: z
    .strictObject({
      mode: z.enum(KUBE_PROXY_MODES).default('iptables'),
      /** --iptables-sync-period, which upstream uses in every mode as the longest time between two
       * syncs. In iptables mode it is also how often kube-proxy checks its canary chain, which goes
       * when someone flushes the tables, and then re-syncs everything. In nftables mode it shows
       * nothing here: upstream's nftables proxier runs no canary, its periodic sync writes only
       * what changed, and the node agent syncs on every change anyway. */
      syncPeriod: z
        .string()
        .regex(/^[1-9]\d*(ms|s|m)$/, 'a duration such as 30s, 500ms or 1m')
        .default('30s'),
    })
    .default({ mode: 'iptables', syncPeriod: '30s' }),
  /** kubernetes: the real kube-apiserver, controllers and scheduler, with wirelab's node agents
   * (kubelet, kube-proxy, policy) turning API objects into kernel state; none: the lab file is
   * turned into kernel state directly. Default: kubernetes when the lab has services, workloads,
   * policies or ingress, none for a lab of bare pods. */
  controlPlane: z.enum(['kubernetes', 'none']).optional(),
});

/** Machines outside the cluster, on the same underlay: external clients, and a router to a
 * small "internet" of lab hosts (never the real one). */
export const outsideSchema = z.strictObject({
  clients: z.array(z.strictObject({ name, ip: ipv4 })).default([]),
  internet: z
    .strictObject({
      gateway: ipv4,
      cidr,
      hosts: z.array(z.strictObject({ name, ip: ipv4 })).min(1),
      /** An "internet" DNS server (real CoreDNS with the hosts plugin): the nodes' resolver,
       * so cluster CoreDNS's `forward . /etc/resolv.conf` reaches it. Names -> A records. */
      dns: z.strictObject({ name: name.default('internet-dns'), ip: ipv4, records: z.record(z.string(), ipv4) }).optional(),
    })
    .optional(),
});

export const nodeSchema = z.strictObject({
  name,
  ip: ipv4,
  role: z.enum(['control-plane', 'worker']).default('worker'),
  podCIDR: cidr.optional(),
});

/** A Kubernetes object as written in the lab file; each kind is checked by spec/k8s.ts. */
export const manifestSchema = z.looseObject({
  apiVersion: z.string(),
  kind: z.string(),
  metadata: z.looseObject({
    name,
    namespace: name.optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  }),
});

/** Fields a hop can assert on a packet. Addresses may be pod or node names. */
/** An address: a pod, node, service or outside host name, or an IPv4 address; a list means
 * "any of these"; a leading "!" means "anything but". */
const addressRef = z.union([z.string(), z.array(z.string()).min(1)]);
export type AddressRef = z.infer<typeof addressRef>;

export const packetMatchSchema = z.strictObject({
  src: addressRef.optional(),
  dst: addressRef.optional(),
  /** IPv4 total length of this header's packet. */
  length: z.number().int().positive().optional(),
  /** IPv4 total length at least this: a full-size segment. A capture before the stack segments
   * (GSO on veths) sees one packet of many segments, which is longer still, so it matches too. */
  minLength: z.number().int().positive().optional(),
  ttl: z.number().int().min(0).max(255).optional(),
  tcp: z.strictObject({ srcPort: port.optional(), dstPort: port.optional(), flags: z.string().optional() }).optional(),
  udp: z.strictObject({ srcPort: port.optional(), dstPort: port.optional() }).optional(),
  icmp: z.strictObject({ type: z.enum(['echo-request', 'echo-reply', 'unreachable']) }).optional(),
  vxlan: z.strictObject({ vni: z.number().int().min(0).max(16777215) }).optional(),
  /** IP-in-IP encapsulated (protocol 4): `inner` then describes the encapsulated packet. */
  ipip: z.boolean().optional(),
  /** An ARP frame instead of the probe's IP flow: who asks or answers for an address. The
   * reply's sender is named by node or outside host (its eth0 MAC). */
  arp: z.strictObject({ op: z.enum(['request', 'reply']), ip: z.string(), from: z.string().optional() }).optional(),
  /** A DNS message in the UDP payload: its query name (the first question) and, for a
   * response, its response code. */
  dns: z.strictObject({ name: z.string().optional(), rcode: z.string().optional(), response: z.boolean().optional() }).optional(),
  /** Bytes the outer frame adds to the encapsulated one (e.g. 50 for VXLAN over IPv4). */
  overhead: z.number().int().min(0).optional(),
  get inner() {
    return packetMatchSchema.optional();
  },
});
export type PacketMatchSpec = z.infer<typeof packetMatchSchema>;

const hopPoint = z.string().regex(/^[a-z0-9-]+\/[^/\s]+$/, 'must be "<node-or-pod>/<interface>", e.g. w1/cni0');

export const hopSchema = z.strictObject({
  /** One capture point, or several (the packet must be seen at one of them, e.g. whichever
   * backend a load-balanced request reached). */
  at: z.union([hopPoint, z.array(hopPoint).min(1)]),
  /** forward: packets of the probe's request; reply: packets of the answer. */
  direction: z.enum(['forward', 'reply']).default('forward'),
  absent: z.boolean().default(false),
  packet: packetMatchSchema.optional(),
  /** DNS query names seen here, in this order (the search-list expansion, ndots). */
  queries: z.array(z.string()).optional(),
});

export const sendSchema = z
  .strictObject({
    from: z.string(),
    /** Where to: a name or an address. A DNS query without it goes to the sender's resolver. */
    to: z.string().optional(),
    ping: z
      .strictObject({
        count: z.number().int().min(1).max(20).default(1),
        size: z.number().int().min(0).max(65507).default(56),
        dontFragment: z.boolean().default(false),
      })
      .optional(),
    http: z
      .strictObject({
        port: port.optional(),
        path: z.string().default('/'),
        /** The Host header (and, with https, the TLS server name). */
        host: z.string().optional(),
        https: z.boolean().default(false),
        /** https: check the served certificate against the lab's CA (it must name the host). */
        verify: z.boolean().default(true),
      })
      .optional(),
    tcp: z.strictObject({ port: port.optional() }).optional(),
    /** A DNS query with dig, through the sender's resolv.conf (search list, ndots) unless a
     * server is named. */
    dns: z
      .strictObject({
        name: z.string().min(1),
        type: z.enum(['A', 'AAAA', 'SRV', 'PTR', 'CNAME', 'TXT', 'MX', 'NS', 'SOA', 'ANY']).default('A'),
        class: z.enum(['IN', 'CH']).default('IN'),
        server: z.string().optional(),
        /** Use the resolv.conf search list (dig +search). */
        search: z.boolean().default(true),
      })
      .optional(),
    /** A bulk TCP transfer of this many bytes (iperf3: a one-off server in the destination,
     * the client in the sender), for what loss, delay and MTU do to a transfer. */
    transfer: z.strictObject({ bytes: z.number().int().min(1000).max(100_000_000), port: port.default(5201) }).optional(),
    /** Send the request this many times (load-balancing expectations). */
    repeat: z.number().int().min(1).max(500).default(1),
  })
  .refine((s) => [s.ping, s.http, s.tcp, s.dns, s.transfer].filter(Boolean).length === 1, {
    message: 'must say exactly one of ping, http, tcp, dns or transfer',
  })
  .refine((s) => s.dns !== undefined || s.to !== undefined, { message: 'needs `to` (a pod, node, service or outside host name, or an address)', path: ['to'] });

/** What a state check reads on a node. */
export const STATE_VIEWS = ['routes', 'bgp', 'ipvs', 'ipsets', 'nftables'] as const;
export type StateView = (typeof STATE_VIEWS)[number];

/** A measured value's bounds, both optional. */
const range = z.strictObject({ min: z.number().min(0).optional(), max: z.number().min(0).optional() });

export const expectationSchema = z
  .strictObject({
    name: z.string().min(1),
    /** Not run yet, with the reason (e.g. a feature a later issue brings); reported as pending. */
    pending: z.string().optional(),
    send: sendSchema.optional(),
    /** Or a kubectl command, written as typed after `kubectl` (e.g. "expose deployment web
     * --port=80"), run as the lab's admin: a step that changes the lab or shows it. Expectations
     * after it run against the lab as it then is, once it has settled. */
    kubectl: z.string().min(1).optional(),
    expect: z
      .strictObject({
        /** kubectl: regular expressions, each matching a line of what it printed (stdout). */
        output: z.array(z.string()).optional(),
        /** kubectl: its exit code (default 0). */
        exitCode: z.number().int().min(0).max(255).optional(),
        /** ping: a reply came back; http/tcp: the connection succeeded. */
        reply: z.boolean().optional(),
        /** http/tcp: the response contains this text (a list: one of these). */
        body: z.union([z.string(), z.array(z.string()).min(1)]).optional(),
        /** With repeat: "every" listed backend answered at least once, or all answers came from
         * "one" of them (session affinity). Backends are pod names; the answer names its pod. */
        spread: z.enum(['every', 'one']).optional(),
        /** With repeat: the share of answers (percent) each backend should give, within
         * `tolerance` percentage points. */
        shares: z.record(z.string(), z.number().min(0).max(100)).optional(),
        tolerance: z.number().min(0).max(100).default(5),
        backends: z.array(z.string()).min(1).optional(),
        /** when reply is false: the client's error contains this text. */
        error: z.string().optional(),
        /** http: the response status of every request. */
        status: z.number().int().min(100).max(599).optional(),
        /** dns: the response code (NOERROR, NXDOMAIN, SERVFAIL, ...). */
        rcode: z.string().optional(),
        /** dns: exactly these answers of the queried type (any order), e.g. ClusterIPs, SRV targets. */
        answers: z.array(z.string()).optional(),
        /** ping: the average round-trip time, in ms. */
        rttMs: range.optional(),
        /** transfer: TCP segments the sender retransmitted (lost on the way, or their ACKs). */
        retransmits: range.optional(),
        /** transfer: how long it took, in seconds. */
        seconds: range.optional(),
      })
      .default({ tolerance: 5 }),
    hops: z.array(hopSchema).default([]),
    /** Kernel or routing-daemon state on a node after the probe: its routes (`ip route`), its
     * BGP sessions (BIRD's `show protocols`), its IPVS virtual servers (`ipvsadm -Ln`) or its ip
     * sets (`ipset list`); every `contains` line fragment must be there and no `lacks` one. */
    state: z
      .array(
        z.strictObject({
          node: z.string(),
          show: z.enum(STATE_VIEWS),
          contains: z.array(z.string()).default([]),
          lacks: z.array(z.string()).default([]),
          /** Checked only when kube-proxy runs in this mode. */
          kubeProxy: forMode,
        }),
      )
      .default([]),
    /** The iptables chains the request traverses on a node, in order (nft trace). */
    chains: z
      .array(
        z.strictObject({
          node: z.string(),
          /** An iptables table, or kube-proxy's own nftables table (nftables mode). */
          table: z.enum(['nat', 'filter', 'mangle', 'raw', 'kube-proxy']).default('nat'),
          path: z.array(z.string().min(1)).min(1),
          /** Checked only when kube-proxy runs in this mode. */
          kubeProxy: forMode,
        }),
      )
      .default([]),
  })
  .refine((e) => (e.send === undefined) !== (e.kubectl === undefined), {
    message: 'must say exactly one of send (a probe to run) or kubectl (a command to run)',
  });

/** A reachability truth table, as the upstream netpol e2e tests print them: rows are the
 * senders, columns the targets ("pod:port" or "pod:port/udp"), "." reachable, "X" not. */
export const reachabilitySchema = z.strictObject({
  name: z.string().min(1),
  from: z.array(z.string()).min(1),
  to: z.array(z.string().regex(/^[a-z0-9-]+:\d{1,5}(\/(tcp|udp))?$/, 'must be "<pod or service>:<port>" or "<name>:<port>/udp"')).min(1),
  expected: z.string(),
  pending: z.string().optional(),
});
export type ReachabilitySpec = z.infer<typeof reachabilitySchema>;

export const labSchema = z.strictObject({
  name,
  description: z.string().default(''),
  underlay: underlaySchema,
  cluster: clusterSchema,
  nodes: z.array(nodeSchema).min(1),
  outside: outsideSchema.default({ clients: [] }),
  manifests: z.array(manifestSchema).default([]),
  expectations: z.array(expectationSchema).default([]),
  reachability: z.array(reachabilitySchema).default([]),
});

export type LabSpec = z.infer<typeof labSchema>;
export type NodeSpec = z.infer<typeof nodeSchema>;
export type ManifestSpec = z.infer<typeof manifestSchema>;
export type ExpectationSpec = z.infer<typeof expectationSchema>;
export type HopSpec = z.infer<typeof hopSchema>;
export type SendSpec = z.infer<typeof sendSchema>;

/** The capture points of a hop: one, or any of several. */
export function hopPoints(h: HopSpec): string[] {
  return Array.isArray(h.at) ? h.at : [h.at];
}
