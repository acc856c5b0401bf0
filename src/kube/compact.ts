/**
 * Keeping live objects small in the cluster cache: drop `metadata.managedFields` except the
 * entries of managers the controller cares about (its own, for server-side diff), drop the
 * `kubectl.kubernetes.io/last-applied-configuration` annotation unless asked to keep it, and
 * share repeated strings (apiVersion, kind, namespace, label values, owner kinds, timestamps,
 * managedFields' manager/operation/apiVersion) through a pool. The `fieldsV1` of kept
 * managedFields entries are shared too: objects applied from the same manifest shape record the
 * same field set, so equal sets are stored once, deep-frozen (cached objects are read-only anyway,
 * and the engine's diff compiles a field set once per instance).
 * `approximateSize` estimates the heap an object holds, for `ClusterCache.approximateBytes()`.
 */
import { Annotations, type KubeObject } from '../apis/index.js';
import { isRecord } from '../lib/index.js';

export interface CompactOptions {
  /** managers whose managedFields entries are kept (default: `argocd-controller`) */
  readonly keepManagedFieldsOf: ReadonlySet<string>;
  /** keep `kubectl.kubernetes.io/last-applied-configuration` (default false) */
  readonly keepLastApplied: boolean;
}

/** Longest serialised `fieldsV1` shared by `StringPool.internFieldSet` (larger ones stay per object). */
const MAX_SHARED_FIELD_SET_CHARS = 64 * 1024;

function deepFreeze(v: unknown): void {
  if (typeof v !== 'object' || v === null || Object.isFrozen(v)) return;
  Object.freeze(v);
  for (const x of Object.values(v)) deepFreeze(x);
}

/**
 * Strings (and managedFields field sets) that repeat across objects, stored once. Bounded: when
 * full it stops adding.
 */
export class StringPool {
  private readonly pool = new Map<string, string>();
  private readonly fieldSets = new Map<string, object>();
  private readonly max: number;

  constructor(max = 100_000) {
    this.max = max;
  }

  intern(s: string): string {
    const hit = this.pool.get(s);
    if (hit !== undefined) return hit;
    if (this.pool.size < this.max && s.length <= 256) this.pool.set(s, s);
    return s;
  }

  /**
   * The shared, deep-frozen instance of a JSON field set equal to `set` (the first one seen, which
   * `set` itself becomes when it is new). Sets over 64 KiB serialised are returned as they are.
   */
  internFieldSet(set: object): object {
    const key = JSON.stringify(set);
    if (key.length > MAX_SHARED_FIELD_SET_CHARS) return set;
    const hit = this.fieldSets.get(key);
    if (hit !== undefined) return hit;
    if (this.fieldSets.size >= this.max) return set;
    deepFreeze(set);
    this.fieldSets.set(key, set);
    return set;
  }

  get size(): number {
    return this.pool.size;
  }

  /** Distinct field sets shared so far. */
  get fieldSetCount(): number {
    return this.fieldSets.size;
  }
}

/** Shares the strings and the field set of a kept managedFields entry (mutating it). */
function compactManagedFields(entry: Record<string, unknown>, pool: StringPool): void {
  for (const k of ['manager', 'operation', 'apiVersion', 'time', 'fieldsType', 'subresource']) {
    const v = entry[k];
    if (typeof v === 'string') entry[k] = pool.intern(v);
  }
  const set = entry.fieldsV1;
  if (isRecord(set)) entry.fieldsV1 = pool.internFieldSet(set);
}

/** Replaces short values by their pooled instance, in place (keys are interned by V8 already). */
function internValues(rec: Record<string, string>, pool: StringPool): void {
  for (const k of Object.keys(rec)) {
    const v = rec[k];
    if (typeof v === 'string' && v.length <= 64) rec[k] = pool.intern(v);
  }
}

/**
 * Compacts a freshly parsed object (mutating it) and returns it. When `apiVersion`/`kind` are
 * given (list items carry none), the result is a new top-level object with them first.
 */
export function compactObject(
  obj: KubeObject,
  opts: CompactOptions,
  pool: StringPool,
  apiVersion?: string,
  kind?: string,
): KubeObject {
  let out = obj;
  if (
    (apiVersion !== undefined && obj.apiVersion !== apiVersion) ||
    (kind !== undefined && obj.kind !== kind)
  ) {
    const { apiVersion: _a, kind: _k, metadata, ...rest } = obj;
    out = { apiVersion: apiVersion ?? obj.apiVersion, kind: kind ?? obj.kind, metadata, ...rest };
  }
  out.apiVersion = pool.intern(out.apiVersion);
  out.kind = pool.intern(out.kind);
  const meta = out.metadata;
  if (meta.namespace !== undefined) meta.namespace = pool.intern(meta.namespace);
  if (typeof meta.creationTimestamp === 'string')
    meta.creationTimestamp = pool.intern(meta.creationTimestamp);
  if (meta.managedFields !== undefined) {
    const all = meta.managedFields;
    const kept = all.filter(
      (m) =>
        isRecord(m) && typeof m.manager === 'string' && opts.keepManagedFieldsOf.has(m.manager),
    );
    if (kept.length === 0) delete meta.managedFields;
    else {
      if (kept.length !== all.length) meta.managedFields = kept;
      for (const m of kept) if (isRecord(m)) compactManagedFields(m, pool);
    }
  }
  const ann = meta.annotations;
  if (ann !== undefined && !opts.keepLastApplied && Annotations.lastAppliedConfiguration in ann) {
    // rebuilt rather than `delete`d, which would turn the object into a slower, bigger dictionary
    const { [Annotations.lastAppliedConfiguration]: _dropped, ...rest } = ann;
    if (Object.keys(rest).length === 0) delete meta.annotations;
    else meta.annotations = rest;
  }
  if (meta.labels !== undefined) internValues(meta.labels, pool);
  if (meta.ownerReferences !== undefined) {
    for (const ref of meta.ownerReferences) {
      ref.apiVersion = pool.intern(ref.apiVersion);
      ref.kind = pool.intern(ref.kind);
    }
  }
  return out;
}

/**
 * A rough estimate of the V8 heap held by a JSON value: headers and slots of objects and arrays,
 * string characters (property names are shared by V8, so only their slot counts), 8 bytes per
 * number. Good for trends and limits, not for exact accounting.
 */
export function approximateSize(value: unknown): number {
  switch (typeof value) {
    case 'string':
      return 16 + value.length;
    case 'number':
      return 8;
    case 'boolean':
      return 4;
    case 'object': {
      if (value === null) return 4;
      if (Array.isArray(value)) {
        let n = 16 + 8 * value.length;
        for (const v of value as unknown[]) n += approximateSize(v);
        return n;
      }
      let n = 24;
      for (const v of Object.values(value)) n += 8 + approximateSize(v);
      return n;
    }
    case 'bigint':
    case 'function':
    case 'symbol':
    case 'undefined':
      return 0;
  }
}
