// The lab file's shape. Zod checks structure and types; cross-field rules (overlapping CIDRs,
// references, address ranges) live in validate.ts so that every problem is collected at once.
import { z } from 'zod';

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

export const underlaySchema = z.strictObject({
  cidr,
  mtu: z.number().int().min(1280).max(9000).default(1500),
});

export const CNI_KINDS = ['flannel-vxlan'] as const;

export const clusterSchema = z.strictObject({
  podCIDR: cidr,
  nodeCIDRMaskSize: z.number().int().min(16).max(30).default(24),
  serviceCIDR: cidr.default('10.96.0.0/12'),
  clusterDomain: z.string().default('cluster.local'),
  // The registry in cni/registry.ts is the authority; the schema only knows it is a name.
  cni: z.string(),
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
export const packetMatchSchema = z.strictObject({
  src: z.string().optional(),
  dst: z.string().optional(),
  /** IPv4 total length of this header's packet. */
  length: z.number().int().positive().optional(),
  ttl: z.number().int().min(0).max(255).optional(),
  tcp: z.strictObject({ srcPort: port.optional(), dstPort: port.optional(), flags: z.string().optional() }).optional(),
  udp: z.strictObject({ srcPort: port.optional(), dstPort: port.optional() }).optional(),
  icmp: z.strictObject({ type: z.enum(['echo-request', 'echo-reply', 'unreachable']) }).optional(),
  vxlan: z.strictObject({ vni: z.number().int().min(0).max(16777215) }).optional(),
  /** Bytes the outer frame adds to the encapsulated one (e.g. 50 for VXLAN over IPv4). */
  overhead: z.number().int().min(0).optional(),
  get inner() {
    return packetMatchSchema.optional();
  },
});
export type PacketMatchSpec = z.infer<typeof packetMatchSchema>;

export const hopSchema = z.strictObject({
  at: z.string().regex(/^[a-z0-9-]+\/[^/\s]+$/, 'must be "<node-or-pod>/<interface>", e.g. w1/cni0'),
  /** forward: packets of the probe's request; reply: packets of the answer. */
  direction: z.enum(['forward', 'reply']).default('forward'),
  absent: z.boolean().default(false),
  packet: packetMatchSchema.optional(),
});

export const sendSchema = z
  .strictObject({
    from: z.string(),
    to: z.string(),
    ping: z
      .strictObject({
        count: z.number().int().min(1).max(20).default(1),
        size: z.number().int().min(0).max(65507).default(56),
        dontFragment: z.boolean().default(false),
      })
      .optional(),
    http: z.strictObject({ port: port.default(80), path: z.string().default('/') }).optional(),
    tcp: z.strictObject({ port }).optional(),
  })
  .refine((s) => [s.ping, s.http, s.tcp].filter(Boolean).length === 1, {
    message: 'must say exactly one of ping, http or tcp',
  });

export const expectationSchema = z.strictObject({
  name: z.string().min(1),
  send: sendSchema,
  expect: z
    .strictObject({
      /** ping: a reply came back; http/tcp: the connection succeeded. */
      reply: z.boolean().optional(),
      /** http/tcp: the response contains this text. */
      body: z.string().optional(),
      /** when reply is false: the client's error contains this text. */
      error: z.string().optional(),
    })
    .default({}),
  hops: z.array(hopSchema).default([]),
});

export const labSchema = z.strictObject({
  name,
  description: z.string().default(''),
  underlay: underlaySchema,
  cluster: clusterSchema,
  nodes: z.array(nodeSchema).min(1),
  manifests: z.array(manifestSchema).default([]),
  expectations: z.array(expectationSchema).default([]),
});

export type LabSpec = z.infer<typeof labSchema>;
export type NodeSpec = z.infer<typeof nodeSchema>;
export type ManifestSpec = z.infer<typeof manifestSchema>;
export type ExpectationSpec = z.infer<typeof expectationSchema>;
export type HopSpec = z.infer<typeof hopSchema>;
export type SendSpec = z.infer<typeof sendSchema>;
