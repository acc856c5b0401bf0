/** The resource tree (≈ Argo CD `controller/cache` getAppResourcesTree + gitops-engine node info). */
import type { ApplicationTree } from '../../apis/index.js';
import { notImplemented } from '../todo.js';
import type { BuildTreeInput } from './types.js';

/**
 * Builds Argo CD's `ApplicationTree` from the app's managed live objects and an owner index:
 * every managed object and its descendants (ReplicaSets, Pods, EndpointSlices, ...), each with
 * health, `info` (Pod status, containers, restarts; ReplicaSet revision), images, parent refs and
 * basic networking info; `hosts` from the nodes running the app's pods. Nodes are sorted by
 * group, kind, namespace, name; ownership cycles are cut.
 */
export function buildResourceTree(_input: BuildTreeInput): ApplicationTree {
  return notImplemented('buildResourceTree');
}
