/**
 * Wire shapes of the resource tree and per-resource diffs, as Argo CD's REST API returns them
 * (swagger `v1alpha1ApplicationTree`, `v1alpha1ResourceNode`, `v1alpha1ResourceDiff`). Output-only:
 * the engine builds them, the API server and the client pass them on, nothing validates them.
 */
import type { HealthStatusCode } from './vocab.js';

/** `v1alpha1ResourceRef`: identifies a resource. */
export interface ResourceRef {
  group?: string;
  version?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
}

/** `v1alpha1InfoItem`: one human-readable fact about a resource. */
export interface InfoItem {
  name: string;
  value: string;
}

/** `v1LoadBalancerIngress` (ports omitted). */
export interface LoadBalancerIngress {
  hostname?: string;
  ip?: string;
}

/** `v1alpha1ResourceNetworkingInfo`. */
export interface ResourceNetworkingInfo {
  targetLabels?: Record<string, string>;
  targetRefs?: ResourceRef[];
  labels?: Record<string, string>;
  ingress?: LoadBalancerIngress[];
  externalURLs?: string[];
}

/** `v1alpha1HealthStatus` as a node carries it. */
export interface ResourceHealth {
  status: HealthStatusCode;
  message?: string;
}

/** `v1alpha1ResourceNode`: a live resource and its relationships. */
export interface ResourceNode extends ResourceRef {
  parentRefs?: ResourceRef[];
  info?: InfoItem[];
  networkingInfo?: ResourceNetworkingInfo;
  resourceVersion?: string;
  images?: string[];
  health?: ResourceHealth;
  /** RFC 3339 */
  createdAt?: string;
}

/** `v1alpha1HostResourceInfo`: requests of the app's pods on a node (cpu in millicores, memory in bytes). */
export interface HostResourceInfo {
  resourceName: string;
  requestedByApp: number;
  requestedByNeighbors: number;
  capacity: number;
}

/** `v1alpha1HostInfo`: a node running pods of the app. */
export interface HostInfo {
  name: string;
  resourcesInfo?: HostResourceInfo[];
  systemInfo?: Record<string, string>;
  labels?: Record<string, string>;
}

/** `v1alpha1ApplicationTree`. */
export interface ApplicationTree {
  nodes: ResourceNode[];
  orphanedNodes: ResourceNode[];
  hosts: HostInfo[];
}

/**
 * `v1alpha1ResourceDiff`: states are JSON strings ('' when absent; Secrets masked), `diff` is
 * deprecated upstream and left empty here.
 */
export interface ResourceDiffWire {
  group: string;
  kind: string;
  namespace: string;
  name: string;
  targetState: string;
  liveState: string;
  normalizedLiveState: string;
  predictedLiveState: string;
  diff?: string;
  hook: boolean;
  modified: boolean;
  resourceVersion?: string;
}
