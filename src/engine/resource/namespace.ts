/**
 * Namespace defaulting (≈ Argo CD `DeduplicateTargetObjects` + kubectl's defaulting): a namespaced
 * object that names no namespace goes to the app's destination namespace; a cluster-scoped object
 * loses any namespace it names, so its key matches the live object's. Scope comes from discovery
 * (`ResourceInfoProvider`); a kind the cluster does not serve yet is looked up among the desired
 * CustomResourceDefinitions (a CRD and its custom resources in one app), else treated as namespaced.
 */
import type { KubeObject } from '../../apis/index.js';
import { isRecord } from '../../lib/index.js';
import type { ResourceInfoProvider } from '../ports.js';
import { formatGroupKind, parseApiVersion, type GroupKind } from './key.js';

/** Scopes declared by CRDs among `objects` (`group/Kind` → namespaced). */
export function crdScopes(objects: readonly KubeObject[]): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const o of objects) {
    if (o.kind !== 'CustomResourceDefinition') continue;
    const spec = o.spec;
    if (!isRecord(spec) || typeof spec.group !== 'string' || !isRecord(spec.names)) continue;
    const kind = spec.names.kind;
    if (typeof kind !== 'string') continue;
    out.set(formatGroupKind({ group: spec.group, kind }), spec.scope !== 'Cluster');
  }
  return out;
}

/**
 * Whether a kind is namespaced: discovery first, then the desired CRDs, else true (Argo CD's
 * "namespaced or unknown").
 */
export function isNamespacedKind(
  gk: GroupKind,
  info: ResourceInfoProvider | undefined,
  crds?: ReadonlyMap<string, boolean>,
): boolean {
  return info?.isNamespaced(gk.group, gk.kind) ?? crds?.get(formatGroupKind(gk)) ?? true;
}

/**
 * Returns `obj` with its namespace defaulted (a shallow copy when it changes; `obj` itself when
 * nothing changes).
 * @example
 * setDefaultNamespace(cm, 'web', true) // cm with metadata.namespace 'web' if it had none
 */
export function setDefaultNamespace(
  obj: KubeObject,
  destinationNamespace: string,
  namespaced: boolean,
): KubeObject {
  const ns = obj.metadata.namespace;
  if (namespaced) {
    if (ns !== undefined && ns !== '') return obj;
    if (destinationNamespace === '') return obj;
    return { ...obj, metadata: { ...obj.metadata, namespace: destinationNamespace } };
  }
  if (ns === undefined) return obj;
  const { namespace: _dropped, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

/** `setDefaultNamespace` over a list, resolving scopes through discovery and the list's own CRDs. */
export function applyNamespaceDefaults(
  objects: readonly KubeObject[],
  destinationNamespace: string,
  info: ResourceInfoProvider | undefined,
): KubeObject[] {
  const crds = crdScopes(objects);
  return objects.map((o) => {
    const { group } = parseApiVersion(o.apiVersion);
    return setDefaultNamespace(
      o,
      destinationNamespace,
      isNamespacedKind({ group, kind: o.kind }, info, crds),
    );
  });
}
