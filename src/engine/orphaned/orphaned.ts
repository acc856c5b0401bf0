/**
 * Orphaned resources (≈ Argo CD's orphaned resources monitoring), pure: with a project's
 * `spec.orphanedResources` set, an orphaned resource of an app is a top-level (no
 * `ownerReferences`) object in the app's destination namespace that belongs to no Argo CD
 * application — neither managed by this app nor carrying any app's tracking — whose kind the
 * project permits, except the objects Kubernetes creates in every namespace (ServiceAccount
 * `default`, ConfigMap `kube-root-ca.crt`, Service `kubernetes` in `default`), the Endpoints of a
 * Service (the Service's child, as Argo CD's cluster cache treats them) and what
 * `orphanedResources.ignore` lists (`group`, `kind`, `name` globs; an empty kind or name matches any).
 */
import type { AppProject, KubeObject } from '../../apis/index.js';
import { globMatch } from '../../lib/index.js';
import { checkResourceKind } from '../project/project.js';

export interface OrphanedResourcesInput {
  readonly project: AppProject;
  /** every cached object of the destination namespace */
  readonly live: readonly KubeObject[];
  /** the live objects the app manages (its comparison's items) */
  readonly managed: ReadonlySet<KubeObject>;
  /** whether an object carries some app's tracking (annotation or instance label) */
  readonly isTracked: (obj: KubeObject) => boolean;
}

export interface OrphanedResource {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** the live object itself (for resource-tree nodes) */
  readonly object: KubeObject;
}

function groupOf(apiVersion: string): string {
  const i = apiVersion.indexOf('/');
  return i < 0 ? '' : apiVersion.slice(0, i);
}

/** Objects Kubernetes itself creates in namespaces (never reported). */
function isKnownExclusion(group: string, kind: string, namespace: string, name: string): boolean {
  if (group !== '') return false;
  return (
    (kind === 'ServiceAccount' && name === 'default') ||
    (kind === 'ConfigMap' && name === 'kube-root-ca.crt') ||
    (kind === 'Service' && name === 'kubernetes' && namespace === 'default')
  );
}

function isIgnored(project: AppProject, r: { group: string; kind: string; name: string }): boolean {
  for (const item of project.spec.orphanedResources?.ignore ?? []) {
    const kind = item.kind ?? '';
    const name = item.name ?? '';
    if (kind !== '' && !globMatch(kind, r.kind)) continue;
    if (!globMatch(item.group ?? '', r.group)) continue;
    if (name !== '' && !globMatch(name, r.name)) continue;
    return true;
  }
  return false;
}

/** The orphaned resources among `live` (see the module comment), sorted by kind then name. */
export function findOrphanedResources(input: OrphanedResourcesInput): OrphanedResource[] {
  const services = new Set<string>();
  for (const o of input.live)
    if (o.kind === 'Service' && o.apiVersion === 'v1') services.add(o.metadata.name ?? '');
  const out: OrphanedResource[] = [];
  for (const o of input.live) {
    const namespace = o.metadata.namespace ?? '';
    if (namespace === '') continue;
    if ((o.metadata.ownerReferences?.length ?? 0) > 0) continue;
    if (input.managed.has(o) || input.isTracked(o)) continue;
    const group = groupOf(o.apiVersion);
    const name = o.metadata.name ?? '';
    if (group === '' && o.kind === 'Endpoints' && services.has(name)) continue;
    if (isKnownExclusion(group, o.kind, namespace, name)) continue;
    const r = { group, kind: o.kind, namespace, name };
    if (isIgnored(input.project, r)) continue;
    if (checkResourceKind(input.project, { group, kind: o.kind, name, namespaced: true })) continue;
    out.push({ ...r, object: o });
  }
  out.sort((a, b) =>
    a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind.localeCompare(b.kind),
  );
  return out;
}
