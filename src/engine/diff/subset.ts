/**
 * The core comparison: is every field of the normalised desired object equal to the live value?
 * (desired ⊆ live, server-side-apply semantics: fields only live has — defaults, other managers'
 * fields, status — do not count). Lists follow `lists.ts`. Scalars compare exactly, except
 * quantities (`1000m` == `1`) and int-or-string fields (`8080` == `"8080"`). An empty map or list
 * in desired equals an absent live field.
 *
 * `isSubset` is the allocation-free fast path (early exit); `collectDifferences` walks everything
 * and records `Difference`s, and runs only for resources already known to differ.
 */
import type { Difference } from './types.js';
import { formatPointer, type JsonPath } from './json-pointer.js';
import {
  findMatch,
  hasKey,
  intOrStringFields,
  listSemantics,
  quantityFields,
  quantityMapFields,
} from './lists.js';
import { quantitiesEqual } from './quantity.js';

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isEmpty(v: unknown): boolean {
  if (Array.isArray(v)) return v.length === 0;
  if (isPlainObject(v)) {
    for (const k in v) if (v[k] !== null && v[k] !== undefined) return false;
    return true;
  }
  return false;
}

/** Scalar equality with the quantity and int-or-string equivalences. */
export function equalLeaf(
  d: unknown,
  l: unknown,
  field: string | undefined,
  parent: string | undefined,
): boolean {
  if (d === l) return true;
  const td = typeof d;
  const tl = typeof l;
  if ((td !== 'string' && td !== 'number') || (tl !== 'string' && tl !== 'number')) return false;
  if (field !== undefined && intOrStringFields.has(field) && td !== tl) {
    if (String(d) === String(l)) return true;
  }
  if (
    (parent !== undefined && quantityMapFields.has(parent)) ||
    (field !== undefined && quantityFields.has(field))
  ) {
    return quantitiesEqual(d, l);
  }
  return false;
}

/** Whether `d` ⊆ `l` (see the module comment). */
export function isSubset(
  d: unknown,
  l: unknown,
  field: string | undefined,
  parent: string | undefined,
): boolean {
  if (d === l || d === null || d === undefined) return true;
  if (Array.isArray(d)) {
    if (l === undefined || l === null) return d.length === 0;
    if (!Array.isArray(l)) return false;
    if (d.length === 0) return true;
    const sem = listSemantics(field, d);
    if (sem.type === 'map') {
      for (let i = 0; i < d.length; i++) {
        const de: unknown = d[i];
        if (!hasKey(sem, de)) {
          // an element without its key: compare by position
          if (!isSubset(de, l[i], undefined, field)) return false;
          continue;
        }
        const li = findMatch(sem, l, de, i);
        if (li < 0 || !isSubset(de, l[li], undefined, field)) return false;
      }
      return true;
    }
    if (sem.type === 'set') {
      for (const de of d) if (!l.some((le) => equalLeaf(de, le, undefined, field))) return false;
      return true;
    }
    if (d.length !== l.length) return false;
    for (let i = 0; i < d.length; i++) if (!isSubset(d[i], l[i], undefined, field)) return false;
    return true;
  }
  if (typeof d === 'object') {
    if (l === undefined || l === null) return isEmpty(d);
    if (!isPlainObject(l)) return false;
    const rec = d as Record<string, unknown>;
    for (const k in rec) if (!isSubset(rec[k], l[k], k, field)) return false;
    return true;
  }
  return equalLeaf(d, l, field, parent);
}

/**
 * Records every place where `d` ⊄ `l` as a JSON-patch-like difference from live towards desired.
 * Paths use live indices for matched list elements and `-` for elements only desired has.
 */
export function collectDifferences(
  d: unknown,
  l: unknown,
  field: string | undefined,
  parent: string | undefined,
  path: (string | number)[],
  out: Difference[],
): void {
  if (isSubset(d, l, field, parent)) return;
  const here = (): string => formatPointer(path);
  if (Array.isArray(d)) {
    if (!Array.isArray(l)) {
      out.push(
        l === undefined || l === null
          ? { op: 'add', path: here(), desired: d }
          : { op: 'replace', path: here(), live: l, desired: d },
      );
      return;
    }
    const sem = listSemantics(field, d);
    if (sem.type === 'map') {
      d.forEach((de: unknown, i) => {
        const li = !hasKey(sem, de) ? (i < l.length ? i : -1) : findMatch(sem, l, de, i);
        if (li < 0) {
          out.push({ op: 'add', path: formatPointer([...path, '-']), desired: de });
          return;
        }
        path.push(li);
        collectDifferences(de, l[li], undefined, field, path, out);
        path.pop();
      });
      return;
    }
    if (sem.type === 'set') {
      for (const de of d) {
        if (!l.some((le) => equalLeaf(de, le, undefined, field))) {
          out.push({ op: 'add', path: formatPointer([...path, '-']), desired: de });
        }
      }
      return;
    }
    if (d.length !== l.length) {
      out.push({ op: 'replace', path: here(), live: l, desired: d });
      return;
    }
    d.forEach((de: unknown, i) => {
      path.push(i);
      collectDifferences(de, l[i], undefined, field, path, out);
      path.pop();
    });
    return;
  }
  if (isPlainObject(d)) {
    if (!isPlainObject(l)) {
      out.push(
        l === undefined || l === null
          ? { op: 'add', path: here(), desired: d }
          : { op: 'replace', path: here(), live: l, desired: d },
      );
      return;
    }
    for (const k of Object.keys(d)) {
      path.push(k);
      collectDifferences(d[k], l[k], k, field, path, out);
      path.pop();
    }
    return;
  }
  out.push(
    l === undefined || l === null
      ? { op: 'add', path: here(), desired: d }
      : { op: 'replace', path: here(), live: l, desired: d },
  );
}

/** Records removals (fields the next apply deletes) as differences. */
export function removalDifferences(paths: readonly JsonPath[], live: unknown): Difference[] {
  return paths.map((p) => {
    let cur: unknown = live;
    for (const s of p) cur = (cur as Record<string | number, unknown> | undefined)?.[s];
    return { op: 'remove', path: formatPointer(p), live: cur };
  });
}
