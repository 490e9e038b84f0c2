// The harness as a client of its lab's API server (over the unix socket in the state directory,
// as cluster-admin): applying the lab file's objects at `lab up`, waiting for the lab to settle,
// and the model of what the lab is now, for `lab test`.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ApiClient, ApiError, endpointFromFiles, type K8sObject } from '../api/client.js';
import { Discovery } from '../api/discovery.js';
import { locatedError, type LoadedLab } from '../labfile/load.js';
import { GENERATE_CERT_ANNOTATION } from '../k8s/manifest.js';
import type { RawManifest } from '../k8s/types.js';
import { labStateDir } from '../model/names.js';
import { modelFromApi } from '../model/from-api.js';
import { dnsSettings } from '../model/pod-dns.js';
import type { ClusterModel } from '../model/types.js';
import { API_SOCKET, agentStatusPath } from '../plan/control-plane/paths.js';
import { clientCert } from '../plan/control-plane/pki.js';
import { clusterAdminsBinding, coreDnsAddon } from '../plan/control-plane/addons.js';
import { crdFor, crdManifest } from '../plan/control-plane/crds.js';
import { certPath } from '../plan/ingress/controller.js';
import { settle, type Settle } from '../agent/settled.js';
import { WATCHED, type AgentStatus, type WatchedKind } from '../agent/watched.js';
import { checkInterrupted } from './interrupt.js';

/** cluster-admin, through the unix socket that reaches the API server from this machine. */
export function adminClient(lab: string): ApiClient {
  const state = labStateDir(lab);
  return new ApiClient(
    endpointFromFiles({
      socketPath: join(state, API_SOCKET),
      servername: 'kubernetes',
      caFile: join(state, 'pki/ca.crt'),
      certFile: join(state, `${clientCert('admin')}.crt`),
      keyFile: join(state, `${clientCert('admin')}.key`),
    }),
  );
}

const BUILTIN_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/** Server-side apply of one object; the API server's refusal as an ApiError. */
async function applyObject(client: ApiClient, discovery: Discovery, m: RawManifest): Promise<void> {
  const r = await discovery.resource(m.apiVersion, m.kind);
  if (!r) throw new ApiError(404, 'NotFound', `the API server serves no ${m.kind} in ${m.apiVersion}`);
  const body = r.namespaced ? { ...m, metadata: { ...m.metadata, namespace: m.metadata.namespace ?? 'default' } } : m;
  await client.patch(`${r.collection(body.metadata.namespace)}/${encodeURIComponent(m.metadata.name)}`, body, 'apply', 'wirelab');
}

/** A generated TLS Secret carries the certificate `lab up` made for it. */
async function withGeneratedData(lab: string, m: RawManifest): Promise<RawManifest> {
  if (m.kind !== 'Secret' || m.metadata.annotations?.[GENERATE_CERT_ANNOTATION] !== 'true') return m;
  const base = join(labStateDir(lab), certPath(m.metadata.namespace ?? 'default', m.metadata.name));
  const [crt, key] = await Promise.all([readFile(`${base}.crt`), readFile(`${base}.key`)]);
  return { ...m, data: { 'tls.crt': crt.toString('base64'), 'tls.key': key.toString('base64') } };
}

/** Waits for an object to exist. */
async function waitFor(client: ApiClient, path: string, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      await client.get(path);
      return;
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404) throw e;
    }
    if (performance.now() > deadline) throw new Error(`${what} did not appear within ${timeoutMs / 1000} s (is kube-controller-manager running?)`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function waitEstablished(client: ApiClient, names: string[]): Promise<void> {
  const deadline = performance.now() + 30_000;
  for (const n of names) {
    for (;;) {
      const crd = await client.get(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${n}`);
      const conds = ((crd.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).filter((c) => c.type === 'Established');
      if (conds.some((c) => c.status === 'True')) break;
      if (performance.now() > deadline) throw new Error(`the CustomResourceDefinition ${n} was not established within 30 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Applies the lab file's objects in its order: the CRDs they need first, then namespaces, the
 * objects, and kubeadm's CoreDNS add-on unless the lab brings its own kube-dns. A refusal is
 * reported at the manifest's line with the API server's own words. */
export async function applyLabObjects(loaded: LoadedLab, model: ClusterModel, client: ApiClient, onStep?: (s: string) => void): Promise<void> {
  const discovery = new Discovery(client);
  const manifests = loaded.spec.manifests as RawManifest[];
  const crds = [...new Map(manifests.flatMap((m) => crdFor(m.apiVersion, m.kind) ?? []).map((c) => [c.kind, c])).values()];
  if (crds.length > 0) {
    onStep?.(`custom resource definitions (${crds.map((c) => c.kind).join(', ')})`);
    for (const c of crds) await applyObject(client, discovery, crdManifest(c));
    await waitEstablished(
      client,
      crds.map((c) => `${c.plural}.${c.group}`),
    );
    discovery.reset();
  }
  // What kubeadm init creates before anything else that the lab relies on.
  await applyObject(client, discovery, clusterAdminsBinding());
  const explicit = new Set(manifests.filter((m) => m.kind === 'Namespace').map((m) => m.metadata.name));
  // Namespaces the objects live in, created as `kubectl create namespace` would (with the
  // labels the lab's model gives them), unless the lab file has them as objects.
  const used = new Map(model.namespaces.map((n) => [n.name, n.labels]));
  for (const m of manifests) if (m.metadata.namespace && !used.has(m.metadata.namespace)) used.set(m.metadata.namespace, {});
  for (const [name, labels] of used) {
    if (BUILTIN_NAMESPACES.has(name) || explicit.has(name)) continue;
    await applyObject(client, discovery, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  }
  // Pods need their namespace's default ServiceAccount, which kube-controller-manager creates
  // moments after the namespace (the ServiceAccount admission plugin refuses pods before).
  const namespaces = new Set(['default', ...model.namespaces.map((n) => n.name), ...manifests.map((m) => m.metadata.namespace ?? 'default')]);
  for (const ns of namespaces) {
    if (!explicit.has(ns)) await waitFor(client, `/api/v1/namespaces/${ns}/serviceaccounts/default`, `the default ServiceAccount of namespace ${ns}`);
  }
  onStep?.(`${manifests.length} objects of the lab file`);
  // Namespaces before what lives in them, whatever the file's order.
  const explicitFirst = manifests.map((m, i) => ({ m, i })).sort((a, b) => Number(b.m.kind === 'Namespace') - Number(a.m.kind === 'Namespace'));
  for (const { m, i } of explicitFirst) {
    checkInterrupted();
    try {
      await applyObject(client, discovery, await withGeneratedData(model.lab, m));
      if (m.kind === 'Namespace')
        await waitFor(client, `/api/v1/namespaces/${m.metadata.name}/serviceaccounts/default`, `the default ServiceAccount of namespace ${m.metadata.name}`);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      throw locatedError(loaded.file, loaded.locate, [
        {
          path: ['manifests', i],
          message: `the API server refused ${m.kind} ${m.metadata.name}: ${e.message}`,
          fix: 'correct the manifest as the API server says',
        },
      ]);
    }
  }
  const ownDns = manifests.some((m) => m.kind === 'Service' && m.metadata.name === 'kube-dns' && m.metadata.namespace === 'kube-system');
  if (!ownDns) {
    onStep?.('CoreDNS add-on (as kubeadm installs it)');
    for (const m of coreDnsAddon({
      clusterDomain: model.network.clusterDomain,
      dnsIp: model.network.clusterDNS,
      upstream: dnsSettings(model).node.nameservers.length > 0,
    }))
      await applyObject(client, discovery, m);
  }
}

/** The workloads, then (once all four lists have answered) the watched objects, pods among
 * them. In that order, because a controller creates pods before it counts them in its
 * workload's status: a workload whose status counts its pods was listed after they existed, so
 * the pod list that follows has them. The other order once saw a Deployment with both replicas
 * counted next to a pod list taken before the ReplicaSet made them, and called the lab settled
 * with two pods 1 s old and Pending (an exercise's health check then failed in CI). */
export async function listAll(client: {
  list(path: string): Promise<{ items: K8sObject[] }>;
}): Promise<{ objects: Record<WatchedKind, K8sObject[]>; workloads: K8sObject[] }> {
  const workloads = (
    await Promise.all(['deployments', 'replicasets', 'statefulsets', 'daemonsets'].map(async (r) => (await client.list(`/apis/apps/v1/${r}`)).items))
  ).flat();
  const entries = await Promise.all(Object.entries(WATCHED).map(async ([k, path]) => [k, (await client.list(path)).items] as const));
  return { objects: Object.fromEntries(entries) as Record<WatchedKind, K8sObject[]>, workloads };
}

async function agentStatus(lab: string, node: string): Promise<AgentStatus | undefined> {
  try {
    return JSON.parse(await readFile(join(labStateDir(lab), agentStatusPath(node)), 'utf8')) as AgentStatus;
  } catch {
    return undefined;
  }
}

export class NotSettled extends Error {}

/** Waits until the lab has settled (see agent/settled.ts); returns the notes on pods that
 * settled without becoming ready. Throws NotSettled, saying what still moves, at the deadline. */
export async function waitSettled(model: ClusterModel, client: ApiClient, timeoutMs: number, onWait?: (moving: string[]) => void): Promise<string[]> {
  const deadline = performance.now() + timeoutMs;
  let lastReport = performance.now();
  for (;;) {
    checkInterrupted();
    const { objects, workloads } = await listAll(client);
    const agents = Object.fromEntries(await Promise.all(model.nodes.map(async (n) => [n.name, await agentStatus(model.lab, n.name)] as const)));
    const last: Settle = settle({ objects, workloads, agents });
    if (last.moving.length === 0) return last.notes;
    if (performance.now() > deadline)
      throw new NotSettled(`the lab did not settle within ${Math.round(timeoutMs / 1000)} s: ${last.moving.slice(0, 8).join('; ')}`);
    if (onWait && performance.now() - lastReport > 5000) {
      onWait(last.moving);
      lastReport = performance.now();
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The lab as the API has it now (the lab file's model with the API's objects). */
export async function liveModel(model: ClusterModel, client: ApiClient): Promise<ClusterModel> {
  const { objects } = await listAll(client);
  const [ingresses, gatewayClasses, gateways, routes, secrets] = await Promise.all([
    client.list('/apis/networking.k8s.io/v1/ingresses'),
    optionalList(client, '/apis/gateway.networking.k8s.io/v1/gatewayclasses'),
    optionalList(client, '/apis/gateway.networking.k8s.io/v1/gateways'),
    optionalList(client, '/apis/gateway.networking.k8s.io/v1/httproutes'),
    client.list('/api/v1/secrets'),
  ]);
  return modelFromApi(model, {
    ...objects,
    ingresses: [...ingresses.items, ...gatewayClasses, ...gateways, ...routes],
    secrets: secrets.items,
  });
}

async function optionalList(client: ApiClient, path: string): Promise<K8sObject[]> {
  try {
    return (await client.list(path)).items;
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return [];
    throw e;
  }
}
