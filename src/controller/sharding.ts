/**
 * Sharding by cluster (≈ Argo CD `controller/sharding`): each cluster is reconciled by exactly one
 * controller replica, and an Application is processed only by the replica that owns its
 * destination cluster.
 *
 * - `legacy` (default): shard = FNV-32a(cluster ID) mod replicas; the ID is the UID of the
 *   cluster Secret; the implicit in-cluster cluster (no Secret, empty ID) is shard 0.
 * - `round-robin`: clusters sorted by ID, shard = position mod replicas.
 * - a cluster Secret's `shard` field wins when it is below the number of replicas.
 */
import type { Cluster } from '../apis/index.js';

/** FNV-1a, 32 bit, over the UTF-8 bytes of `text`. */
export function fnv32a(text: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export type ShardingAlgorithm = 'legacy' | 'round-robin';

/** The shard that owns `cluster` (see the module comment); `all` is needed for round-robin. */
export function shardForCluster(
  cluster: Pick<Cluster, 'id' | 'shard'>,
  replicas: number,
  algorithm: ShardingAlgorithm = 'legacy',
  all: readonly Pick<Cluster, 'id'>[] = [],
): number {
  if (replicas <= 1) return 0;
  if (cluster.shard !== undefined && cluster.shard < replicas) return cluster.shard;
  const id = cluster.id ?? '';
  if (algorithm === 'round-robin') {
    const ids = [...new Set(['', ...all.map((c) => c.id ?? ''), id])].sort();
    return ids.indexOf(id) % replicas;
  }
  if (id === '') return 0;
  return fnv32a(id) % replicas;
}

/**
 * This replica's shard: `ARGOCD_CONTROLLER_SHARD` when given (>= 0), else the ordinal at the end
 * of the StatefulSet pod's hostname (`argocd-application-controller-2` → 2), else 0.
 * Throws TypeError when the result is not below `replicas`.
 */
export function resolveShard(explicit: number, hostname: string, replicas: number): number {
  let shard = explicit;
  if (shard < 0) {
    const m = /-(\d+)$/.exec(hostname);
    shard = m ? Number(m[1]) : 0;
  }
  if (shard >= replicas)
    throw new TypeError(
      `shard ${shard} is not below the number of replicas ${replicas}: set ARGOCD_CONTROLLER_SHARD or ARGOCD_CONTROLLER_REPLICAS`,
    );
  return shard;
}
