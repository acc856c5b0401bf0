/**
 * The predicted live object: desired merged onto the normalised live object the way server-side
 * apply merges (map lists by key, set lists by value, atomic lists element-wise when the lengths
 * match and replaced otherwise), then the fields the apply would remove taken out.
 */
import { cloneClean, type JsonObject } from './normalize.js';
import { deletePaths, type JsonPath } from './json-pointer.js';
import { findMatch, hasKey, listSemantics } from './lists.js';
import { equalLeaf } from './subset.js';

function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function merge(
  l: unknown,
  d: unknown,
  field: string | undefined,
  parent: string | undefined,
): unknown {
  if (d === undefined || d === null) return l;
  if (Array.isArray(d)) {
    if (!Array.isArray(l)) return cloneClean(d);
    const sem = listSemantics(field, d.length > 0 ? d : l);
    if (sem.type === 'map') {
      const out = l.slice();
      d.forEach((de: unknown, i) => {
        const li = !hasKey(sem, de) ? (i < out.length ? i : -1) : findMatch(sem, l, de, i);
        if (li < 0) out.push(cloneClean(de));
        else out[li] = merge(l[li], de, undefined, field);
      });
      return out;
    }
    if (sem.type === 'set') {
      const out = l.slice();
      for (const de of d) if (!l.some((le) => equalLeaf(de, le, undefined, field))) out.push(de);
      return out;
    }
    if (d.length !== l.length) return cloneClean(d);
    return d.map((de: unknown, i) => merge(l[i], de, undefined, field));
  }
  if (isPlainObject(d)) {
    if (!isPlainObject(l)) return cloneClean(d);
    const out: JsonObject = { ...l };
    for (const k of Object.keys(d)) out[k] = merge(l[k], d[k], k, field);
    return out;
  }
  return equalLeaf(d, l, field, parent) ? l : d;
}

/**
 * `desired` merged onto `normalizedLive` (neither is modified), minus `removals` (live paths the
 * apply deletes).
 */
export function predictLive(
  normalizedLive: JsonObject,
  desired: JsonObject,
  removals: readonly JsonPath[],
): JsonObject {
  const out = cloneClean(merge(normalizedLive, desired, undefined, undefined)) as JsonObject;
  if (removals.length > 0) deletePaths(out, removals);
  return out;
}
