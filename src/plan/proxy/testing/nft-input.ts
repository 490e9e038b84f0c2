// The one-node input of the nftables partial-sync tests: each entry a Service with its slice.
import type { EndpointSlice } from '../../../model/types.js';
import type { KubeProxyNftablesInput } from '../nftables.js';
import type { IptablesService } from '../service-ports.js';

export const nodeInput = (objs: { svc: IptablesService; slice: EndpointSlice }[]): KubeProxyNftablesInput => ({
  hostname: 'node',
  nodeIPs: ['192.168.0.2'],
  clusterCIDR: '10.0.0.0/8',
  serviceCIDRs: ['172.30.0.0/16'],
  services: objs.map((o) => o.svc),
  endpointSlices: objs.map((o) => o.slice),
});
