/**
 * Resource tracking: how an object says which Application manages it (≈ Argo CD
 * `util/argo/resource_tracking.go`). Annotation tracking (Argo CD 3's default) writes
 * `argocd.argoproj.io/tracking-id: <app>:<group>/<kind>:<namespace>/<name>`; because the value
 * names the object itself, a copy of a managed object made by some other controller (same
 * annotations, different name or kind) is not claimed. Label tracking writes the app's instance name
 * into `app.kubernetes.io/instance` (or `application.instanceLabelKey`); `annotation+label` writes
 * both and reads the annotation.
 *
 * Several instances on one cluster (≈ Argo CD `installationID` in `argocd-cm`): an instance with an
 * installation id writes it into `argocd.argoproj.io/installation-id` next to the tracking, and an
 * object counts as tracked by an app only when that annotation equals the instance's id (absent =
 * no id). So two instances with an app of the same name never claim, prune or adopt each other's
 * objects (see `foreignInstallationOf`).
 */
import { Annotations, Labels, type KubeObject } from '../../apis/index.js';
import { sameResourceKey, type ResourceKey } from './key.js';

/** `application.resourceTrackingMethod` of `argocd-cm`. */
export type TrackingMethod = 'annotation' | 'label' | 'annotation+label';

/** The tracking methods Argo CD accepts, in its spelling. */
export const TrackingMethods: readonly TrackingMethod[] = [
  'annotation',
  'label',
  'annotation+label',
];

/** How objects are tracked (`argocd-cm` `application.resourceTrackingMethod`, `application.instanceLabelKey`). */
export interface TrackingOptions {
  /** default `annotation` */
  readonly method?: TrackingMethod;
  /** label key for label tracking (default `app.kubernetes.io/instance`) */
  readonly labelKey?: string;
  /** `installationID` of argocd-cm: this instance's id ('' or undefined = none) */
  readonly installationId?: string;
}

/** A parsed tracking id. */
export interface TrackingId extends ResourceKey {
  /** the app's instance name (see `appInstanceName`) */
  readonly appName: string;
}

/**
 * The instance name an app writes into tracking: `<name>` for an app in the control-plane
 * namespace, `<namespace>_<name>` for an app in another namespace (apps-in-any-namespace).
 * @example appInstanceName({ name: 'web', namespace: 'argocd' }, 'argocd') // 'web'
 */
export function appInstanceName(
  app: { readonly name: string; readonly namespace?: string | undefined },
  controlPlaneNamespace: string,
): string {
  return app.namespace === undefined ||
    app.namespace === '' ||
    app.namespace === controlPlaneNamespace
    ? app.name
    : `${app.namespace}_${app.name}`;
}

/**
 * The tracking id value for an app and object key.
 * @example formatTrackingId('web', { group: 'apps', kind: 'Deployment', namespace: 'w', name: 'api' })
 * // 'web:apps/Deployment:w/api'
 */
export function formatTrackingId(appName: string, key: ResourceKey): string {
  return `${appName}:${key.group}/${key.kind}:${key.namespace}/${key.name}`;
}

/** Parses a tracking id; undefined when the value is not in Argo CD's format. */
export function parseTrackingId(value: string): TrackingId | undefined {
  const colon = value.indexOf(':');
  if (colon <= 0) return undefined;
  const appName = value.slice(0, colon);
  const rest = value.slice(colon + 1);
  const colon2 = rest.indexOf(':');
  if (colon2 < 0) return undefined;
  const gk = rest.slice(0, colon2);
  const nsName = rest.slice(colon2 + 1);
  const slash = gk.indexOf('/');
  const slash2 = nsName.indexOf('/');
  if (slash < 0 || slash2 < 0) return undefined;
  const kind = gk.slice(slash + 1);
  const name = nsName.slice(slash2 + 1);
  if (kind === '' || name === '') return undefined;
  return { appName, group: gk.slice(0, slash), kind, namespace: nsName.slice(0, slash2), name };
}

/**
 * Returns a copy of `obj` (metadata copied, the rest shared) carrying the app's tracking.
 * `key` is the object's key after namespace defaulting (it goes into the tracking id).
 */
export function setAppInstance(
  obj: KubeObject,
  appName: string,
  key: ResourceKey,
  options: TrackingOptions = {},
): KubeObject {
  const method = options.method ?? 'annotation';
  const metadata = { ...obj.metadata };
  const installationId = options.installationId ?? '';
  if (installationId !== '')
    metadata.annotations = {
      ...metadata.annotations,
      [Annotations.installationId]: installationId,
    };
  if (method === 'annotation' || method === 'annotation+label') {
    metadata.annotations = {
      ...metadata.annotations,
      [Annotations.trackingId]: formatTrackingId(appName, key),
    };
  }
  if (method === 'label' || method === 'annotation+label') {
    metadata.labels = { ...metadata.labels, [options.labelKey ?? Labels.instance]: appName };
  }
  return { ...obj, metadata };
}

/**
 * The instance name of the app that manages `obj`, or undefined. With annotation tracking the id
 * must name the object itself (group, kind, namespace, name); `key` overrides the key read from
 * the object (pass it for hooks created with `generateName`).
 */
export function getAppInstance(
  obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>,
  options: TrackingOptions = {},
): string | undefined {
  const method = options.method ?? 'annotation';
  if (installationOf(obj) !== (options.installationId ?? '')) return undefined;
  if (method === 'label') return obj.metadata.labels?.[options.labelKey ?? Labels.instance];
  const value = obj.metadata.annotations?.[Annotations.trackingId];
  if (value === undefined) return undefined;
  const id = parseTrackingId(value);
  if (id === undefined) return undefined;
  const i = obj.apiVersion.indexOf('/');
  const own: ResourceKey = {
    group: i < 0 ? '' : obj.apiVersion.slice(0, i),
    kind: obj.kind,
    namespace: obj.metadata.namespace ?? '',
    name: obj.metadata.name ?? '',
  };
  return sameResourceKey(id, own) ? id.appName : undefined;
}

/** Whether `obj` is tracked by the app with instance name `appName`. */
export function isTrackedBy(
  obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>,
  appName: string,
  options: TrackingOptions = {},
): boolean {
  return getAppInstance(obj, options) === appName;
}

/**
 * Whether `obj` carries any app's tracking: the tracking annotation, or (with a method that
 * writes labels) the instance label. Which app it names does not matter (orphaned resources).
 */
export function carriesTracking(
  obj: Pick<KubeObject, 'metadata'>,
  options: TrackingOptions = {},
): boolean {
  if (obj.metadata.annotations?.[Annotations.trackingId] !== undefined) return true;
  const method = options.method ?? 'annotation';
  return (
    method !== 'annotation' &&
    obj.metadata.labels?.[options.labelKey ?? Labels.instance] !== undefined
  );
}

/** The installation id an object carries ('' when none). */
export function installationOf(obj: Pick<KubeObject, 'metadata'>): string {
  return obj.metadata.annotations?.[Annotations.installationId] ?? '';
}

/**
 * The installation id of the other instance that manages `obj` ('' = an instance without one), or
 * undefined when `obj` is not another instance's: its installation id is ours, or it carries no
 * installation id and no tracking at all (an unmanaged object, which a sync may adopt).
 * @example
 * foreignInstallationOf(live, { installationId: 'a' }) // 'b' for an object of instance b
 */
export function foreignInstallationOf(
  obj: Pick<KubeObject, 'metadata'>,
  options: TrackingOptions = {},
): string | undefined {
  const theirs = installationOf(obj);
  if (theirs === (options.installationId ?? '')) return undefined;
  if (theirs !== '') return theirs;
  return carriesTracking(obj, options) ? '' : undefined;
}
