/**
 * Ports: what the engine needs from the world, as interfaces the adapters implement
 * (conventions B.2). The engine never reads a clock, a cluster, a logger or a random source by
 * itself; callers pass these in. `src/kube`'s `ClusterCache` and `ApiResources` satisfy
 * `ResourceInfoProvider` and `LiveStateReader` structurally.
 */
import type { KubeObject } from '../apis/index.js';
import type { ResourceKey } from './resource/key.js';

/**
 * Scope lookup from discovery (≈ gitops-engine `kube.ResourceInfoProvider`).
 *
 * Contract: returns `true` for namespaced kinds, `false` for cluster-scoped kinds and `undefined`
 * when the cluster does not serve the kind (yet: a CRD created by the same sync). The engine
 * treats `undefined` as namespaced unless a CRD among the desired objects says otherwise.
 */
export interface ResourceInfoProvider {
  isNamespaced(group: string, kind: string): boolean | undefined;
}

/**
 * Read access to live state, as a cluster cache offers it (≈ gitops-engine `cache.ClusterCache`).
 *
 * Contract: `get` returns the current object with that key or undefined; `children` returns the
 * objects whose `metadata.ownerReferences` name `ownerUid` (any order; the engine sorts). Both are
 * synchronous reads of a snapshot: no I/O may happen behind them while the engine runs.
 */
export interface LiveStateReader {
  get(key: ResourceKey): KubeObject | undefined;
  children(ownerUid: string): readonly KubeObject[];
}

/**
 * Time, as a value passed in (≈ Argo's injected `now`). Milliseconds since the Unix epoch.
 * @example const clock: Clock = { nowMs: () => Date.now() };
 */
export interface Clock {
  nowMs(): number;
}

/** Levels of `EngineLog`. */
export type EngineLogLevel = 'debug' | 'info' | 'warn' | 'error';

/**
 * Structured log sink (≈ gitops-engine `WithLogr`). Fields never carry object values (a manifest
 * may be a Secret): only keys, kinds, names, counts and codes.
 */
export type EngineLog = (
  level: EngineLogLevel,
  message: string,
  fields?: Readonly<Record<string, string | number | boolean | undefined>>,
) => void;

/** An `EngineLog` that drops everything (the default). */
export const silentEngineLog: EngineLog = () => {
  // intentionally empty: callers that want logs pass their own sink
};
