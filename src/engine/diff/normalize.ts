/**
 * Normalisation before comparison (≈ gitops-engine `diff.Normalize` + Argo CD's normalizers):
 * server-set metadata goes (managedFields, resourceVersion, uid, creationTimestamp, generation,
 * selfLink, deletion fields, the last-applied annotation), `status` goes unless it is compared,
 * Secret `stringData` is folded into `data`, aggregated ClusterRole `rules` go, `null`s go, and the
 * `ignoreDifferences` paths are removed. Desired objects are normalised once (cacheable); live
 * objects only on the read paths that output them.
 */
import { Annotations, type KubeObject } from '../../apis/index.js';
import type { ResourceKey } from '../resource/key.js';
import type { IgnoreDifferences } from './ignore.js';
import type { IgnoreResourceStatusField } from './types.js';

/** A JSON object we own (a deep copy). */
export type JsonObject = Record<string, unknown>;

/** Server-set metadata fields never compared. */
export const serverMetadataFields: ReadonlySet<string> = new Set([
  'managedFields',
  'resourceVersion',
  'uid',
  'creationTimestamp',
  'generation',
  'selfLink',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
]);

/** Normalisation settings (resolved DiffOptions without the ignore rules). */
export interface NormalizeSettings {
  readonly ignore: IgnoreDifferences;
  readonly ignoreResourceStatusField: IgnoreResourceStatusField;
  readonly ignoreAggregatedRoles: boolean;
}

/** Deep copy of JSON data, dropping `null` and `undefined` object members. */
export function cloneClean(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(cloneClean);
  if (typeof v === 'object' && v !== null) {
    const out: JsonObject = {};
    for (const k of Object.keys(v)) {
      const x = (v as JsonObject)[k];
      if (x === null || x === undefined) continue;
      out[k] = cloneClean(x);
    }
    return out;
  }
  return v;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Whether `status` is compared for this kind. */
export function compareStatus(kind: string, setting: IgnoreResourceStatusField): boolean {
  if (setting === 'all') return false;
  if (setting === 'crd') return kind !== 'CustomResourceDefinition';
  return true;
}

/** Whether a ClusterRole's `rules` are filled by aggregation (and so not compared). */
export function isAggregatedRole(obj: JsonObject, settings: NormalizeSettings): boolean {
  return (
    settings.ignoreAggregatedRoles &&
    obj.kind === 'ClusterRole' &&
    isObject(obj.aggregationRule) &&
    typeof obj.apiVersion === 'string' &&
    obj.apiVersion.startsWith('rbac.authorization.k8s.io/')
  );
}

function cleanMetadata(obj: JsonObject): void {
  const meta = obj.metadata;
  if (!isObject(meta)) return;
  for (const f of serverMetadataFields) Reflect.deleteProperty(meta, f);
  const ann = meta.annotations;
  if (isObject(ann)) {
    Reflect.deleteProperty(ann, Annotations.lastAppliedConfiguration);
    if (Object.keys(ann).length === 0) delete meta.annotations;
  }
  if (isObject(meta.labels) && Object.keys(meta.labels).length === 0) delete meta.labels;
}

/** Folds a Secret's `stringData` into `data` (base64), as the API server does. */
export function foldStringData(obj: JsonObject): void {
  if (obj.kind !== 'Secret' || obj.apiVersion !== 'v1') return;
  const sd = obj.stringData;
  if (!isObject(sd)) return;
  const data: JsonObject = isObject(obj.data) ? obj.data : {};
  for (const [k, v] of Object.entries(sd)) {
    if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
  }
  obj.data = data;
  delete obj.stringData;
}

/**
 * The normalised desired object (a deep copy). `key` is the object's key (ignore rules match on it).
 */
export function normalizeDesired(
  obj: KubeObject,
  key: ResourceKey,
  settings: NormalizeSettings,
): JsonObject {
  const out = cloneClean(obj) as JsonObject;
  cleanMetadata(out);
  if (!compareStatus(key.kind, settings.ignoreResourceStatusField)) delete out.status;
  foldStringData(out);
  if (isAggregatedRole(out, settings)) delete out.rules;
  settings.ignore.removeFrom(key, out);
  return out;
}

/**
 * The normalised live object (a deep copy): server-set metadata and the last-applied annotation
 * removed, `status` removed unless compared and declared by desired, ignored paths removed.
 */
export function normalizeLive(
  live: KubeObject,
  key: ResourceKey,
  settings: NormalizeSettings,
  desiredHasStatus: boolean,
): JsonObject {
  const out = cloneClean(live) as JsonObject;
  cleanMetadata(out);
  if (!desiredHasStatus || !compareStatus(key.kind, settings.ignoreResourceStatusField)) {
    delete out.status;
  }
  if (isAggregatedRole(out, settings)) delete out.rules;
  settings.ignore.removeFrom(key, out);
  return out;
}
