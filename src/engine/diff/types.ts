import type { KubeObject } from '../../apis/index.js';
import type { ResourceKey } from '../resource/key.js';
import type { IgnoreDifferences } from './ignore.js';

/** Which live `status` fields are compared (`resource.compareoptions` `ignoreResourceStatusField`). */
export type IgnoreResourceStatusField = 'all' | 'crd' | 'none';

/** Options of the diff (≈ `argocd-cm` `resource.compareoptions` + the app's `ignoreDifferences`). */
export interface DiffOptions {
  /** compiled `ignoreDifferences` rules (see `compileIgnoreDifferences`) */
  readonly ignoreDifferences?: IgnoreDifferences;
  /** our server-side-apply field manager (default `argocd-controller`) */
  readonly fieldManager?: string;
  /**
   * `all` (default, Argo CD 3): `status` is never compared; `crd`: ignored for
   * CustomResourceDefinitions only; `none`: compared when desired declares one.
   */
  readonly ignoreResourceStatusField?: IgnoreResourceStatusField;
  /** ignore `rules` of ClusterRoles with an `aggregationRule` (filled by the API server); default true */
  readonly ignoreAggregatedRoles?: boolean;
  /** annotations whose values are masked like Secret data (`resource.sensitive.mask.annotations`) */
  readonly sensitiveAnnotations?: readonly string[];
}

/**
 * One difference, as a JSON Patch operation that turns the normalised live object into the
 * predicted live object: `add` (desired sets a field live lacks), `replace` (values differ),
 * `remove` (a field our field manager applied before is gone from desired, so the next apply
 * removes it; or an extraneous object). For Secrets (and sensitive annotations) values are masks.
 */
export interface Difference {
  readonly op: 'add' | 'remove' | 'replace';
  /** JSON pointer into the object (RFC 6901), e.g. `/spec/template/spec/containers/0/image` */
  readonly path: string;
  /** live value (absent for `add`) */
  readonly live?: unknown;
  /** desired value (absent for `remove`) */
  readonly desired?: unknown;
}

/**
 * The diff of one resource: what Argo CD's `ResourceDiff` carries, as objects. Every object here has
 * Secret data and sensitive annotations masked (`hideSecretData`): nothing leaving the engine
 * through a diff contains a secret value.
 */
export interface ResourceDiff {
  readonly key: ResourceKey;
  /** live differs from desired after normalisation (false when either side is absent) */
  readonly modified: boolean;
  readonly differences: readonly Difference[];
  /** desired object (as it would be applied), masked; undefined when not desired */
  readonly target: KubeObject | undefined;
  /** live object, masked; undefined when absent live */
  readonly live: KubeObject | undefined;
  /** live object without server-set fields and ignored paths, masked */
  readonly normalizedLive: KubeObject | undefined;
  /** what live would look like after applying desired (desired merged onto normalised live), masked */
  readonly predictedLive: KubeObject | undefined;
}
