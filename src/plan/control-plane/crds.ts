// CustomResourceDefinitions for the lab objects that are CRDs in a real cluster: MetalLB's
// address pools and L2 advertisements (metallb.io/v1beta1), Calico's IP pools
// (crd.projectcalico.org/v1) and the Gateway API (gateway.networking.k8s.io/v1). Installed
// before the objects that use them, as the projects' own installs do. The schemas keep every
// field (x-kubernetes-preserve-unknown-fields): wirelab's parsers check the fields it reads, with
// the lab file's line, before anything reaches the API.
import type { RawManifest } from '../../k8s/types.js';

interface CrdSpec {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames?: string[];
}

export const CRDS: CrdSpec[] = [
  { group: 'metallb.io', version: 'v1beta1', kind: 'IPAddressPool', plural: 'ipaddresspools', namespaced: true },
  { group: 'metallb.io', version: 'v1beta1', kind: 'L2Advertisement', plural: 'l2advertisements', namespaced: true },
  { group: 'crd.projectcalico.org', version: 'v1', kind: 'IPPool', plural: 'ippools', namespaced: false },
  // Calico IPAM's own objects: a block of a pool, and its affinity to a node.
  { group: 'crd.projectcalico.org', version: 'v1', kind: 'IPAMBlock', plural: 'ipamblocks', namespaced: false },
  { group: 'crd.projectcalico.org', version: 'v1', kind: 'BlockAffinity', plural: 'blockaffinities', namespaced: false },
  { group: 'gateway.networking.k8s.io', version: 'v1', kind: 'GatewayClass', plural: 'gatewayclasses', namespaced: false, shortNames: ['gc'] },
  { group: 'gateway.networking.k8s.io', version: 'v1', kind: 'Gateway', plural: 'gateways', namespaced: true, shortNames: ['gtw'] },
  { group: 'gateway.networking.k8s.io', version: 'v1', kind: 'HTTPRoute', plural: 'httproutes', namespaced: true },
];

/** The CRD of an object's kind, if it is one wirelab installs. */
export function crdFor(apiVersion: string, kind: string): CrdSpec | undefined {
  return CRDS.find((c) => `${c.group}/${c.version}` === apiVersion && c.kind === kind);
}

export function crdManifest(c: CrdSpec): RawManifest {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    // Groups under k8s.io are protected: their CRDs carry the approval of their API review, as
    // the Gateway API's own CRDs do (gateway-api v1.3 config/crd: kubernetes-sigs/gateway-api#2466).
    metadata: {
      name: `${c.plural}.${c.group}`,
      ...(/(^|\.)k8s\.io$/.test(c.group) ? { annotations: { 'api-approved.kubernetes.io': 'https://github.com/kubernetes-sigs/gateway-api/pull/2466' } } : {}),
    },
    spec: {
      group: c.group,
      scope: c.namespaced ? 'Namespaced' : 'Cluster',
      names: {
        kind: c.kind,
        listKind: `${c.kind}List`,
        plural: c.plural,
        singular: c.kind.toLowerCase(),
        ...(c.shortNames ? { shortNames: c.shortNames } : {}),
      },
      versions: [
        {
          name: c.version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          subresources: { status: {} },
        },
      ],
    },
  };
}
