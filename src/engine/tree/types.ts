import type { KubeObject } from '../../apis/index.js';
import type { HealthOptions } from '../health/types.js';

/** Input of `buildResourceTree`. */
export interface BuildTreeInput {
  /** live objects managed by the app (the tree's roots) */
  readonly managed: readonly KubeObject[];
  /** children by owner UID (the cluster cache's owner index, `ClusterCache.children`) */
  readonly children: (ownerUid: string) => readonly KubeObject[];
  /** live objects in the app's namespaces not managed by any app (project `orphanedResources` on) */
  readonly orphaned?: readonly KubeObject[];
  /** cluster `Node` objects, for `hosts[]` (omit to leave hosts empty) */
  readonly nodes?: readonly KubeObject[];
  /** pods of other apps on the same nodes, for `requestedByNeighbors` */
  readonly neighborPods?: readonly KubeObject[];
  readonly health?: HealthOptions;
  /** stop descending after this many nodes (default 10,000) */
  readonly maxNodes?: number;
}
