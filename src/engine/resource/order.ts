/**
 * Kind order for sync (≈ gitops-engine `sync_tasks.go` kind order, itself Helm's install order):
 * Namespaces and CustomResourceDefinitions first (everything else may live in them or be one of
 * them), then the usual kubectl/Helm order, then every kind not listed, last.
 */
import type { GroupKind } from './key.js';

/** Kinds in the order they are applied within one phase and wave. */
export const kindOrder: readonly string[] = [
  'Namespace',
  'CustomResourceDefinition',
  'NetworkPolicy',
  'ResourceQuota',
  'LimitRange',
  'PodSecurityPolicy',
  'PodDisruptionBudget',
  'ServiceAccount',
  'Secret',
  'SecretList',
  'ConfigMap',
  'StorageClass',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'ClusterRole',
  'ClusterRoleList',
  'ClusterRoleBinding',
  'ClusterRoleBindingList',
  'Role',
  'RoleList',
  'RoleBinding',
  'RoleBindingList',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicationController',
  'ReplicaSet',
  'Deployment',
  'HorizontalPodAutoscaler',
  'StatefulSet',
  'Job',
  'CronJob',
  'IngressClass',
  'Ingress',
  'APIService',
];

const rank = new Map(kindOrder.map((k, i) => [k, i]));

/** Position of a kind in `kindOrder`; kinds not listed share the last position. */
export function kindRank(kind: string): number {
  return rank.get(kind) ?? kindOrder.length;
}

/** Compares two kinds by `kindOrder` (unknown kinds last, then by group and kind name). */
export function compareKindOrder(a: GroupKind, b: GroupKind): number {
  const d = kindRank(a.kind) - kindRank(b.kind);
  if (d !== 0) return d;
  if (a.group !== b.group) return a.group < b.group ? -1 : 1;
  return a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : 0;
}
