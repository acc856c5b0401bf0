/**
 * The resource tree (≈ Argo CD `controller/cache` getAppResourcesTree + gitops-engine node info):
 * the app's managed objects and everything they own, as `v1alpha1ApplicationTree` nodes.
 */
import type {
  ApplicationTree,
  HostInfo,
  HostResourceInfo,
  InfoItem,
  KubeObject,
  ResourceNetworkingInfo,
  ResourceNode,
  ResourceRef,
} from '../../apis/index.js';
import { isRecord } from '../../lib/index.js';
import { parseQuantity } from '../diff/quantity.js';
import { getResourceHealth } from '../health/health.js';
import type { HealthOptions } from '../health/types.js';
import { get, num, records, str } from '../health/util.js';
import { compareResourceKeys, parseApiVersion, resourceKeyOf } from '../resource/key.js';
import type { BuildTreeInput } from './types.js';

const DEFAULT_MAX_NODES = 10_000;

function stringMap(v: unknown): Record<string, string> | undefined {
  if (!isRecord(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return Object.keys(out).length === 0 ? undefined : out;
}

/** kubectl's STATUS column for a Pod (simplified): a waiting/terminated reason, else the phase. */
function podStatusReason(pod: KubeObject): string {
  let reason = str(pod, 'status', 'reason') || str(pod, 'status', 'phase') || 'Unknown';
  const init = records(pod, 'status', 'initContainerStatuses');
  const initCount = records(pod, 'spec', 'initContainers').length;
  let initializing = false;
  for (let i = 0; i < init.length; i++) {
    const cs = init[i];
    const term = get(cs, 'state', 'terminated');
    const waiting = get(cs, 'state', 'waiting');
    if (term !== undefined && num(term, 0, 'exitCode') === 0) continue;
    initializing = true;
    if (term !== undefined) {
      reason =
        str(term, 'reason') !== ''
          ? `Init:${str(term, 'reason')}`
          : `Init:ExitCode:${num(term, 0, 'exitCode')}`;
    } else if (
      waiting !== undefined &&
      str(waiting, 'reason') !== '' &&
      str(waiting, 'reason') !== 'PodInitializing'
    ) {
      reason = `Init:${str(waiting, 'reason')}`;
    } else {
      reason = `Init:${i}/${initCount}`;
    }
    break;
  }
  if (!initializing) {
    for (const cs of records(pod, 'status', 'containerStatuses')) {
      const waiting = get(cs, 'state', 'waiting');
      const term = get(cs, 'state', 'terminated');
      if (waiting !== undefined && str(waiting, 'reason') !== '') reason = str(waiting, 'reason');
      else if (term !== undefined) {
        reason =
          str(term, 'reason') !== '' ? str(term, 'reason') : `ExitCode:${num(term, 0, 'exitCode')}`;
      }
    }
  }
  if (pod.metadata.deletionTimestamp !== undefined) reason = 'Terminating';
  return reason;
}

function podImages(pod: KubeObject): string[] {
  const out: string[] = [];
  for (const c of [
    ...records(pod, 'spec', 'initContainers'),
    ...records(pod, 'spec', 'containers'),
  ]) {
    const image = str(c, 'image');
    if (image !== '' && !out.includes(image)) out.push(image);
  }
  return out;
}

function infoOf(obj: KubeObject): InfoItem[] {
  const info: InfoItem[] = [];
  const group = parseApiVersion(obj.apiVersion).group;
  if (group === '' && obj.kind === 'Pod') {
    info.push({ name: 'Status Reason', value: podStatusReason(obj) });
    const node = str(obj, 'spec', 'nodeName');
    if (node !== '') info.push({ name: 'Node', value: node });
    const statuses = records(obj, 'status', 'containerStatuses');
    const total = records(obj, 'spec', 'containers').length;
    const ready = statuses.filter((c) => c.ready === true).length;
    info.push({ name: 'Containers', value: `${ready}/${total}` });
    const restarts = statuses.reduce((n, c) => n + num(c, 0, 'restartCount'), 0);
    if (restarts > 0) info.push({ name: 'Restart Count', value: String(restarts) });
  }
  if (
    (group === 'apps' || group === 'extensions') &&
    (obj.kind === 'ReplicaSet' || obj.kind === 'Deployment')
  ) {
    const rev = obj.metadata.annotations?.['deployment.kubernetes.io/revision'];
    if (rev !== undefined) info.push({ name: 'Revision', value: `Rev:${rev}` });
  }
  return info;
}

function loadBalancerIngress(obj: KubeObject): { hostname?: string; ip?: string }[] {
  return records(obj, 'status', 'loadBalancer', 'ingress').map((i) => ({
    ...(typeof i.hostname === 'string' ? { hostname: i.hostname } : {}),
    ...(typeof i.ip === 'string' ? { ip: i.ip } : {}),
  }));
}

function networkingOf(obj: KubeObject): ResourceNetworkingInfo | undefined {
  const group = parseApiVersion(obj.apiVersion).group;
  const ns = obj.metadata.namespace ?? '';
  if (group === '' && obj.kind === 'Pod') {
    const labels = stringMap(obj.metadata.labels);
    return labels === undefined ? undefined : { labels };
  }
  if (group === '' && obj.kind === 'Service') {
    const out: ResourceNetworkingInfo = {};
    const selector = stringMap(get(obj, 'spec', 'selector'));
    if (selector !== undefined) out.targetLabels = selector;
    const ingress = loadBalancerIngress(obj);
    if (ingress.length > 0) {
      out.ingress = ingress;
      const port = records(obj, 'spec', 'ports')[0];
      const p = port === undefined ? undefined : num(port, 0, 'port');
      out.externalURLs = ingress
        .map((i) => i.hostname ?? i.ip ?? '')
        .filter((h) => h !== '')
        .map((h) =>
          p === 443
            ? `https://${h}`
            : p === undefined || p === 80
              ? `http://${h}`
              : `http://${h}:${p}`,
        );
    }
    return Object.keys(out).length === 0 ? undefined : out;
  }
  if ((group === 'networking.k8s.io' || group === 'extensions') && obj.kind === 'Ingress') {
    const out: ResourceNetworkingInfo = {};
    const targets = new Map<string, ResourceRef>();
    const addBackend = (b: unknown): void => {
      const name = str(b, 'service', 'name') || str(b, 'serviceName');
      if (name !== '') targets.set(name, { group: '', kind: 'Service', namespace: ns, name });
    };
    addBackend(get(obj, 'spec', 'defaultBackend'));
    addBackend(get(obj, 'spec', 'backend'));
    const tlsHosts = new Set(
      records(obj, 'spec', 'tls').flatMap((t) =>
        Array.isArray(t.hosts) ? t.hosts.filter((h): h is string => typeof h === 'string') : [],
      ),
    );
    const ingress = loadBalancerIngress(obj);
    const fallbackHost = ingress[0]?.hostname ?? ingress[0]?.ip ?? '';
    const urls: string[] = [];
    for (const rule of records(obj, 'spec', 'rules')) {
      const host = str(rule, 'host');
      for (const p of records(rule, 'http', 'paths')) {
        addBackend(get(p, 'backend'));
        const h = host !== '' ? host : fallbackHost;
        if (h === '' || h.includes('*')) continue;
        const url = `${tlsHosts.has(host) ? 'https' : 'http'}://${h}${str(p, 'path')}`;
        if (!urls.includes(url)) urls.push(url);
      }
    }
    if (targets.size > 0) out.targetRefs = [...targets.values()];
    if (ingress.length > 0) out.ingress = ingress;
    if (urls.length > 0) out.externalURLs = urls;
    return Object.keys(out).length === 0 ? undefined : out;
  }
  return undefined;
}

function nodeOf(obj: KubeObject, health: HealthOptions): ResourceNode {
  const key = resourceKeyOf(obj);
  const { version } = parseApiVersion(obj.apiVersion);
  const node: ResourceNode = { group: key.group, version, kind: key.kind };
  if (key.namespace !== '') node.namespace = key.namespace;
  node.name = key.name;
  if (obj.metadata.uid !== undefined) node.uid = obj.metadata.uid;
  if (obj.metadata.resourceVersion !== undefined)
    node.resourceVersion = obj.metadata.resourceVersion;
  const created = obj.metadata.creationTimestamp;
  if (typeof created === 'string') node.createdAt = created;
  const refs = obj.metadata.ownerReferences;
  if (refs !== undefined && refs.length > 0) {
    node.parentRefs = refs.map((r) => ({
      group: parseApiVersion(r.apiVersion).group,
      kind: r.kind,
      ...(key.namespace === '' ? {} : { namespace: key.namespace }),
      name: r.name,
      uid: r.uid,
    }));
  }
  const h = getResourceHealth(obj, health);
  if (h !== undefined)
    node.health =
      h.message === undefined ? { status: h.status } : { status: h.status, message: h.message };
  const info = infoOf(obj);
  if (info.length > 0) node.info = info;
  if (key.group === '' && key.kind === 'Pod') {
    const images = podImages(obj);
    if (images.length > 0) node.images = images;
  }
  const net = networkingOf(obj);
  if (net !== undefined) node.networkingInfo = net;
  return node;
}

function sortNodes(nodes: ResourceNode[]): ResourceNode[] {
  return nodes.sort((a, b) =>
    compareResourceKeys(
      {
        group: a.group ?? '',
        kind: a.kind ?? '',
        namespace: a.namespace ?? '',
        name: a.name ?? '',
      },
      {
        group: b.group ?? '',
        kind: b.kind ?? '',
        namespace: b.namespace ?? '',
        name: b.name ?? '',
      },
    ),
  );
}

/** Sum of container requests of a pod: cpu in millicores, memory in bytes. */
function podRequests(pod: KubeObject): { cpu: number; memory: number } {
  let cpu = 0;
  let memory = 0;
  for (const c of records(pod, 'spec', 'containers')) {
    cpu += quantityNumber(get(c, 'resources', 'requests', 'cpu'), 1000);
    memory += quantityNumber(get(c, 'resources', 'requests', 'memory'), 1);
  }
  return { cpu, memory };
}

/** A quantity as a number times `factor` (1000 for millicores), rounded up; 0 when absent. */
function quantityNumber(v: unknown, factor: number): number {
  const q = parseQuantity(v);
  if (q === undefined) return 0;
  const value = Number(q.m) * 10 ** q.e10 * 2 ** q.e2 * factor;
  return Number.isFinite(value) ? Math.ceil(value) : 0;
}

function hostsOf(pods: readonly KubeObject[], input: BuildTreeInput): HostInfo[] {
  if (input.nodes === undefined) return [];
  const appPodUids = new Set(pods.map((p) => p.metadata.uid));
  const byNode = new Map<string, KubeObject[]>();
  for (const p of pods) {
    const n = str(p, 'spec', 'nodeName');
    if (n === '') continue;
    const list = byNode.get(n) ?? [];
    list.push(p);
    byNode.set(n, list);
  }
  const hosts: HostInfo[] = [];
  for (const node of input.nodes) {
    const name = node.metadata.name ?? '';
    const appPods = byNode.get(name);
    if (appPods === undefined) continue;
    const neighbors = (input.neighborPods ?? []).filter(
      (p) => str(p, 'spec', 'nodeName') === name && !appPodUids.has(p.metadata.uid),
    );
    const sum = (list: readonly KubeObject[]): { cpu: number; memory: number } =>
      list
        .map(podRequests)
        .reduce((a, b) => ({ cpu: a.cpu + b.cpu, memory: a.memory + b.memory }), {
          cpu: 0,
          memory: 0,
        });
    const app = sum(appPods);
    const other = sum(neighbors);
    const resourcesInfo: HostResourceInfo[] = [
      {
        resourceName: 'cpu',
        requestedByApp: app.cpu,
        requestedByNeighbors: other.cpu,
        capacity: quantityNumber(get(node, 'status', 'capacity', 'cpu'), 1000),
      },
      {
        resourceName: 'memory',
        requestedByApp: app.memory,
        requestedByNeighbors: other.memory,
        capacity: quantityNumber(get(node, 'status', 'capacity', 'memory'), 1),
      },
    ];
    const host: HostInfo = { name, resourcesInfo };
    const systemInfo = stringMap(get(node, 'status', 'nodeInfo'));
    if (systemInfo !== undefined) host.systemInfo = systemInfo;
    const labels = stringMap(node.metadata.labels);
    if (labels !== undefined) host.labels = labels;
    hosts.push(host);
  }
  return hosts.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Builds Argo CD's `ApplicationTree` from the app's managed live objects and an owner index:
 * every managed object and its descendants (ReplicaSets, Pods, EndpointSlices, ...), each with
 * health, `info` (Pod status reason, node, containers, restarts; ReplicaSet/Deployment revision),
 * images (Pods), parent refs and basic networking info (Pod labels, Service selector and
 * load balancer, Ingress backends and URLs); `hosts` from the nodes running the app's pods when
 * `nodes` is given. Nodes are sorted by group, kind, namespace, name; ownership cycles and
 * repeated objects are cut (each UID appears once).
 * @example
 * const tree = buildResourceTree({ managed: cache.byApp('guestbook'), children: (uid) => cache.children(uid) });
 */
export function buildResourceTree(input: BuildTreeInput): ApplicationTree {
  const max = input.maxNodes ?? DEFAULT_MAX_NODES;
  const health = input.health ?? {};
  const seen = new Set<string>();
  const nodes: ResourceNode[] = [];
  const pods: KubeObject[] = [];
  const stack: KubeObject[] = [...input.managed].reverse();
  while (stack.length > 0 && nodes.length < max) {
    const obj = stack.pop();
    if (obj === undefined) break;
    const uid = obj.metadata.uid;
    const id =
      uid ??
      `${obj.apiVersion}/${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
    if (seen.has(id)) continue;
    seen.add(id);
    nodes.push(nodeOf(obj, health));
    if (obj.kind === 'Pod' && parseApiVersion(obj.apiVersion).group === '') pods.push(obj);
    if (uid !== undefined) {
      const children = input.children(uid);
      for (let i = children.length - 1; i >= 0; i--) {
        const c = children[i];
        if (c !== undefined) stack.push(c);
      }
    }
  }
  const orphanedNodes = (input.orphaned ?? [])
    .filter((o) => o.metadata.uid === undefined || !seen.has(o.metadata.uid))
    .slice(0, Math.max(0, max - nodes.length))
    .map((o) => nodeOf(o, health));
  return {
    nodes: sortNodes(nodes),
    orphanedNodes: sortNodes(orphanedNodes),
    hosts: hostsOf(pods, input),
  };
}
