// The control plane as plan data: kubeadm's PKI layout, kubeconfigs, the components' flags, the
// CoreDNS add-on and the CRDs, against what upstream ships (kubeadm v1.34.2).
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { planPki, kubernetesServiceIp } from './pki.js';
import { renderKubeconfig } from './kubeconfig.js';
import { apiserverArgv, controllerManagerArgv, type ControlPlaneConfig } from './components.js';
import { coreDnsAddon } from './addons.js';
import { kubeadmCorefile } from '../dns/coredns.js';
import { crdFor, crdManifest } from './crds.js';
import { apiLoopbackPort, planControlPlane } from './plan.js';
import { parseLab } from '../../labfile/load.js';
import { resolveModel } from '../../model/resolve.js';

const loadModelFixture = async (name: string) => resolveModel(await parseLab(name));

const config: ControlPlaneConfig = {
  stateDir: '/run/wirelab/x',
  bin: { etcd: 'etcd', apiserver: 'kube-apiserver', controllerManager: 'kcm', scheduler: 'ks' },
  nodeIp: '10.10.20.3',
  serviceCIDR: '10.96.0.0/12',
  podCIDR: '10.8.0.0/16',
  nodeCIDRMaskSize: 24,
  allocateNodeCIDRs: true,
  clusterDomain: 'cluster.local',
};

describe('PKI (kubeadm phases/certs)', () => {
  it("names the API server by the kubernetes service's names and addresses", () => {
    const pki = planPki({ apiServerIp: '10.10.20.3', serviceCIDR: '10.96.0.0/12', clusterDomain: 'cluster.local', nodes: [{ name: 'cp1', ip: '10.10.20.3' }] });
    const api = pki.certs.find((c) => c.path === 'pki/apiserver')!;
    expect(api.sans).toEqual(expect.arrayContaining(['DNS:kubernetes.default.svc.cluster.local', 'IP:10.10.20.3', 'IP:10.96.0.1', 'IP:127.0.0.1']));
    expect(kubernetesServiceIp('10.96.0.0/12')).toBe('10.96.0.1');
  });

  it("gives every node's kubelet API a serving certificate for its InternalIP, as system:node:<name>", () => {
    const pki = planPki({
      apiServerIp: '10.0.0.1',
      serviceCIDR: '10.96.0.0/12',
      clusterDomain: 'cluster.local',
      nodes: [{ name: 'node01', ip: '172.16.20.6' }],
    });
    expect(pki.certs.find((c) => c.path === 'pki/kubelet-node01')).toEqual({
      path: 'pki/kubelet-node01',
      subject: '/O=system:nodes/CN=system:node:node01',
      sans: ['DNS:node01', 'IP:172.16.20.6'],
      usage: 'server',
    });
  });

  it('gives the controllers the user names their bootstrap RBAC roles bind', () => {
    const pki = planPki({ apiServerIp: '10.0.0.1', serviceCIDR: '10.96.0.0/12', clusterDomain: 'cluster.local', nodes: [] });
    expect(pki.certs.map((c) => c.subject)).toEqual(
      expect.arrayContaining(['/O=system:masters/CN=system:kube-controller-manager', '/CN=system:kube-scheduler', '/O=system:masters/CN=kubernetes-admin']),
    );
  });
});

describe('kubeconfig', () => {
  it('one cluster, user and context with absolute certificate paths', () => {
    const k = parse(renderKubeconfig({ server: 'https://127.0.0.1:16443', caFile: '/s/ca.crt', certFile: '/s/a.crt', keyFile: '/s/a.key' }));
    expect(k['current-context']).toBe('wirelab');
    expect(k.clusters[0].cluster).toEqual({ server: 'https://127.0.0.1:16443', 'certificate-authority': '/s/ca.crt' });
    expect(k.users[0].user).toEqual({ 'client-certificate': '/s/a.crt', 'client-key': '/s/a.key' });
  });
});

describe('component flags', () => {
  it('the API server: the lab service range, the node address, RBAC and the Node authorizer', () => {
    const a = apiserverArgv(config);
    expect(a).toEqual(
      expect.arrayContaining([
        '--advertise-address=10.10.20.3',
        '--secure-port=6443',
        '--service-cluster-ip-range=10.96.0.0/12',
        '--authorization-mode=Node,RBAC',
      ]),
    );
  });

  it('kube-controller-manager allocates node ranges only when the lab pins none', () => {
    expect(controllerManagerArgv(config)).toEqual(
      expect.arrayContaining(['--allocate-node-cidrs=true', '--cluster-cidr=10.8.0.0/16', '--node-cidr-mask-size=24']),
    );
    expect(controllerManagerArgv({ ...config, allocateNodeCIDRs: false })).toContain('--allocate-node-cidrs=false');
  });
});

describe('add-ons and CRDs', () => {
  it("kubeadm's CoreDNS: the Corefile, the Deployment's two replicas, kube-dns at the cluster DNS address", () => {
    const objs = coreDnsAddon({ clusterDomain: 'cluster.local', dnsIp: '10.96.0.10', upstream: true });
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ServiceAccount/coredns',
      'ClusterRole/system:coredns',
      'ClusterRoleBinding/system:coredns',
      'ConfigMap/coredns',
      'Deployment/coredns',
      'Service/kube-dns',
    ]);
    expect((objs[4].spec as { replicas: number }).replicas).toBe(2);
    expect((objs[5].spec as { clusterIP: string }).clusterIP).toBe('10.96.0.10');
    expect(kubeadmCorefile('cluster.local')).toContain('forward . /etc/resolv.conf {');
  });

  it('a lab without an upstream resolver gets a Corefile without forward and loop', () => {
    const c = kubeadmCorefile('cluster.local', false);
    expect(c).not.toContain('forward');
    expect(c).not.toContain('loop');
    expect(c).toContain('kubernetes cluster.local in-addr.arpa ip6.arpa {');
  });

  it('CRDs for the objects that are CRDs in a real cluster; k8s.io groups carry the API approval', () => {
    expect(crdFor('metallb.io/v1beta1', 'IPAddressPool')?.plural).toBe('ipaddresspools');
    expect(crdFor('v1', 'Service')).toBeUndefined();
    const gw = crdManifest(crdFor('gateway.networking.k8s.io/v1', 'Gateway')!);
    expect(gw.metadata.name).toBe('gateways.gateway.networking.k8s.io');
    expect(gw.metadata.annotations?.['api-approved.kubernetes.io']).toMatch(/^https:\/\/github\.com\/kubernetes-sigs\/gateway-api/);
    expect(crdManifest(crdFor('metallb.io/v1beta1', 'L2Advertisement')!).metadata.annotations).toBeUndefined();
  });
});

describe('planControlPlane', () => {
  it('etcd and the API server first, then the controllers, the relay and one agent per node; nodes register in file order', async () => {
    const model = await loadModelFixture('clusterip');
    const cp = planControlPlane(model);
    expect(cp.processes.map((p) => `${p.stage} ${p.name}`)).toEqual([
      '0 controlplane/etcd',
      '0 controlplane/api-relay',
      '1 controlplane/kube-apiserver',
      '2 controlplane/kube-controller-manager',
      '2 controlplane/kube-scheduler',
      '2 host/api-loopback',
      '2 controlplane/node-agent',
      '2 node01/node-agent',
    ]);
    const agent = (n: string) => {
      const op = cp.ops.find((o) => o.kind === 'file' && o.path === `agents/${n}.json`);
      return JSON.parse(op?.kind === 'file' ? op.content : '{}') as { registerAfter: string[]; podCIDR?: string; clusterControllers: boolean };
    };
    expect(agent('node01').registerAfter).toEqual(['controlplane']);
    expect(agent('node01').podCIDR).toBe('10.244.1.0/24');
    expect(agent('controlplane').clusterControllers).toBe(true);
    expect(apiLoopbackPort('clusterip')).toBeGreaterThanOrEqual(16443);
  });
});
