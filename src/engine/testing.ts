/**
 * Test helpers for untyped Kubernetes objects (used by the engine's tests and the example; not part
 * of the public API): read and edit nested fields by dotted path (`spec.template.spec.containers.0.image`)
 * without `any`.
 */
import type { KubeObject } from '../apis/index.js';

type Container = Record<string, unknown> | unknown[];

function isContainer(v: unknown): v is Container {
  return typeof v === 'object' && v !== null;
}

/** A dotted path, or the segments themselves when a key contains dots. */
export type Path = string | readonly string[];

function segments(path: Path): string[] {
  return typeof path === 'string' ? path.split('.') : [...path];
}

function parent(root: unknown, path: Path): [Container, string] {
  const segs = segments(path);
  const last = segs.pop();
  if (last === undefined) throw new TypeError('empty path');
  let cur: unknown = root;
  for (const s of segs) {
    if (!isContainer(cur)) throw new TypeError(`no object at ${s}`);
    cur = Array.isArray(cur) ? cur[Number(s)] : cur[s];
  }
  if (!isContainer(cur)) throw new TypeError(`no object to hold ${last}`);
  return [cur, last];
}

/** The value at a dotted path, or undefined. */
export function getPath(root: unknown, path: Path): unknown {
  let cur: unknown = root;
  for (const s of segments(path)) {
    if (!isContainer(cur)) return undefined;
    cur = Array.isArray(cur) ? cur[Number(s)] : cur[s];
  }
  return cur;
}

/** Edits applied to a copy of an object. */
export interface Editor {
  set(path: Path, value: unknown): Editor;
  del(path: Path): Editor;
  push(path: Path, value: unknown): Editor;
  pop(path: Path): Editor;
}

/** A deep copy of `obj` with edits applied. */
export function edited(obj: KubeObject, edit: (e: Editor) => unknown): KubeObject {
  const copy = structuredClone(obj);
  const e: Editor = {
    set(path, value) {
      const [p, k] = parent(copy, path);
      if (Array.isArray(p)) p[Number(k)] = value;
      else p[k] = value;
      return e;
    },
    del(path) {
      const [p, k] = parent(copy, path);
      if (Array.isArray(p)) p.splice(Number(k), 1);
      else Reflect.deleteProperty(p, k);
      return e;
    },
    push(path, value) {
      const list = getPath(copy, path);
      if (!Array.isArray(list)) throw new TypeError(`no list at ${segments(path).join('.')}`);
      list.push(value);
      return e;
    },
    pop(path) {
      const list = getPath(copy, path);
      if (!Array.isArray(list)) throw new TypeError(`no list at ${segments(path).join('.')}`);
      list.pop();
      return e;
    },
  };
  edit(e);
  return copy;
}
