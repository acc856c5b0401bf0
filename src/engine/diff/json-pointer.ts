/** JSON pointers (RFC 6901) for `ignoreDifferences.jsonPointers` and difference paths. */
import { EngineError } from '../errors.js';

/** A concrete path into a JSON value: object keys and array indices. */
export type JsonPath = readonly (string | number)[];

/**
 * Parses a pointer into segments (`/spec/template/0` → ['spec','template','0']); numeric-looking
 * segments stay strings and are matched against arrays as indices.
 * @throws EngineError `ERR_ENGINE_INVALID_IGNORE_RULE` when it does not start with `/`.
 */
export function parsePointer(pointer: string): string[] {
  if (!pointer.startsWith('/')) {
    throw new EngineError(
      'ERR_ENGINE_INVALID_IGNORE_RULE',
      `failed to compile ignoreDifferences json pointer "${pointer}": a JSON pointer starts with "/" (for example /spec/replicas)`,
    );
  }
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function escapeSegment(s: string | number): string {
  return typeof s === 'number' ? String(s) : s.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Formats a path as a JSON pointer. */
export function formatPointer(path: JsonPath): string {
  let out = '';
  for (const s of path) out += `/${escapeSegment(s)}`;
  return out;
}

function isIndex(seg: string, len: number): number | undefined {
  if (!/^(0|[1-9]\d*)$/.test(seg)) return undefined;
  const n = Number(seg);
  return n < len ? n : undefined;
}

/**
 * Resolves pointer segments against a value into a concrete path (array indices as numbers);
 * undefined when the pointer does not exist in `root`.
 */
export function resolvePointer(root: unknown, segments: readonly string[]): JsonPath | undefined {
  const out: (string | number)[] = [];
  let cur: unknown = root;
  for (const seg of segments) {
    if (Array.isArray(cur)) {
      const i = isIndex(seg, cur.length);
      if (i === undefined) return undefined;
      out.push(i);
      cur = cur[i];
    } else if (typeof cur === 'object' && cur !== null && Object.hasOwn(cur, seg)) {
      out.push(seg);
      cur = (cur as Record<string, unknown>)[seg];
    } else return undefined;
  }
  return out;
}

/** The value at a concrete path, or undefined. */
export function getAt(root: unknown, path: JsonPath): unknown {
  let cur: unknown = root;
  for (const seg of path) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

/**
 * Deletes concrete paths from a value **in place** (the caller owns it). Paths are deleted from the
 * highest array index down so earlier deletions do not shift later ones.
 */
export function deletePaths(root: unknown, paths: readonly JsonPath[]): void {
  const sorted = [...paths].sort(comparePathsForDelete);
  for (const p of sorted) {
    if (p.length === 0) continue;
    const parent = getAt(root, p.slice(0, -1));
    const last = p[p.length - 1];
    if (Array.isArray(parent) && typeof last === 'number') {
      if (last < parent.length) parent.splice(last, 1);
    } else if (typeof parent === 'object' && parent !== null && typeof last === 'string') {
      // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- the key comes from an ignore rule; the object is our own copy
      delete (parent as Record<string, unknown>)[last];
    }
  }
}

/** Longer paths first; among siblings, higher indices first. */
function comparePathsForDelete(a: JsonPath, b: JsonPath): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return y - x;
    return String(x) < String(y) ? -1 : 1;
  }
  return b.length - a.length;
}

/** Whether `prefix` is a prefix of (or equal to) `path`. */
export function hasPrefix(path: JsonPath, prefix: JsonPath): boolean {
  if (prefix.length > path.length) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== path[i]) return false;
  return true;
}
