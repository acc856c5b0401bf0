/**
 * Keeping live objects small in the cluster cache: drop `metadata.managedFields` except the
 * entries of managers the controller cares about (its own, for server-side diff), drop the
 * `kubectl.kubernetes.io/last-applied-configuration` annotation unless asked to keep it, and
 * share repeated strings (apiVersion, kind, namespace, label keys and values) through a pool.
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

/** Strings that repeat across objects, stored once. Bounded: when full it stops adding. */
export class StringPool {
  private readonly pool = new Map<string, string>();
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

  get size(): number {
    return this.pool.size;
  }
}

function internRecord(
  rec: Record<string, string> | undefined,
  pool: StringPool,
): Record<string, string> | undefined {
  if (!rec) return rec;
  const out: Record<string, string> = {};
  for (const k of Object.keys(rec)) {
    const v = rec[k];
    if (typeof v === 'string') out[pool.intern(k)] = v.length <= 64 ? pool.intern(v) : v;
  }
  return out;
}

/** Compacts a freshly parsed object in place and returns it. */
export function compactObject(obj: KubeObject, opts: CompactOptions, pool: StringPool): KubeObject {
  const meta = obj.metadata;
  obj.apiVersion = pool.intern(obj.apiVersion);
  obj.kind = pool.intern(obj.kind);
  if (meta.namespace !== undefined) meta.namespace = pool.intern(meta.namespace);
  if (meta.managedFields !== undefined) {
    const kept = meta.managedFields.filter(
      (m) =>
        isRecord(m) && typeof m.manager === 'string' && opts.keepManagedFieldsOf.has(m.manager),
    );
    if (kept.length > 0) meta.managedFields = kept;
    else delete meta.managedFields;
  }
  if (meta.annotations !== undefined) {
    if (!opts.keepLastApplied && Annotations.lastAppliedConfiguration in meta.annotations) {
      const { [Annotations.lastAppliedConfiguration]: _dropped, ...rest } = meta.annotations;
      meta.annotations = rest;
    }
    if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
    else meta.annotations = internRecord(meta.annotations, pool) ?? {};
  }
  if (meta.labels !== undefined) meta.labels = internRecord(meta.labels, pool) ?? {};
  if (meta.ownerReferences !== undefined) {
    for (const ref of meta.ownerReferences) {
      ref.apiVersion = pool.intern(ref.apiVersion);
      ref.kind = pool.intern(ref.kind);
    }
  }
  return obj;
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
