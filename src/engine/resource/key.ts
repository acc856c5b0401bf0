/**
 * Resource identity independent of API version (≈ gitops-engine `kube.ResourceKey`): group, kind,
 * namespace ('' when cluster-scoped) and name. Structurally the same as `src/kube`'s `ResourceKey`,
 * so keys pass between the engine and the cluster cache without conversion.
 */
import type { KubeObject } from '../../apis/index.js';

/** A kind in a group (core group is ''). */
export interface GroupKind {
  readonly group: string;
  readonly kind: string;
}

/** A kind in a group and version. */
export interface GroupVersionKind extends GroupKind {
  readonly version: string;
}

/** The identity of an object: `namespace` is '' for cluster-scoped objects. */
export interface ResourceKey extends GroupKind {
  readonly namespace: string;
  readonly name: string;
}

/**
 * Splits an apiVersion: `apps/v1` → `{ group: 'apps', version: 'v1' }`, `v1` → `{ group: '' }`.
 * @example parseApiVersion('networking.k8s.io/v1') // { group: 'networking.k8s.io', version: 'v1' }
 */
export function parseApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

/** The apiVersion of a group and version (`''` + `v1` → `v1`). */
export function formatApiVersion(group: string, version: string): string {
  return group === '' ? version : `${group}/${version}`;
}

/** Group, version and kind of an object. */
export function gvkOf(obj: Pick<KubeObject, 'apiVersion' | 'kind'>): GroupVersionKind {
  const { group, version } = parseApiVersion(obj.apiVersion);
  return { group, version, kind: obj.kind };
}

/** The key of an object (namespace '' when it names none). */
export function resourceKeyOf(
  obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>,
): ResourceKey {
  const apiVersion = obj.apiVersion;
  const i = apiVersion.indexOf('/');
  return {
    group: i < 0 ? '' : apiVersion.slice(0, i),
    kind: obj.kind,
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name ?? '',
  };
}

/**
 * `group/kind/namespace/name`: unique per key, usable as a Map key (same format as `src/kube`).
 * @example formatResourceKey({ group: 'apps', kind: 'Deployment', namespace: 'web', name: 'api' })
 * // 'apps/Deployment/web/api'
 */
export function formatResourceKey(k: ResourceKey): string {
  return `${k.group}/${k.kind}/${k.namespace}/${k.name}`;
}

/** `formatResourceKey(resourceKeyOf(obj))` without the intermediate key object. */
export function formatObjectKey(obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): string {
  const apiVersion = obj.apiVersion;
  const i = apiVersion.indexOf('/');
  return `${i < 0 ? '' : apiVersion.slice(0, i)}/${obj.kind}/${obj.metadata.namespace ?? ''}/${obj.metadata.name ?? ''}`;
}

/** `group/kind`, a Map key for kinds. */
export function formatGroupKind(gk: GroupKind): string {
  return `${gk.group}/${gk.kind}`;
}

/** A short human form for messages: `ConfigMap argocd/x`, `Deployment.apps web/api`, `Namespace web`. */
export function describeResource(k: ResourceKey): string {
  const kind = k.group === '' ? k.kind : `${k.kind}.${k.group}`;
  return k.namespace === '' ? `${kind} ${k.name}` : `${kind} ${k.namespace}/${k.name}`;
}

/** Total order on keys (group, kind, namespace, name), for deterministic output. */
export function compareResourceKeys(a: ResourceKey, b: ResourceKey): number {
  return (
    cmp(a.group, b.group) ||
    cmp(a.kind, b.kind) ||
    cmp(a.namespace, b.namespace) ||
    cmp(a.name, b.name)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Whether two keys name the same object. */
export function sameResourceKey(a: ResourceKey, b: ResourceKey): boolean {
  return (
    a.name === b.name && a.kind === b.kind && a.namespace === b.namespace && a.group === b.group
  );
}
