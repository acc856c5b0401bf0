/**
 * The two patch formats of `PATCH /api/v1/applications/{name}` (Argo CD's `patchType`): RFC 6902
 * JSON patch (`json`, the default) and RFC 7396 JSON merge patch (`merge`). The patch is applied
 * to a copy of the stored Application here, so the result goes through the same validation, project
 * rules and RBAC as a full update. Bad patches are 400s naming the operation that failed.
 */
import { isRecord } from '../../lib/index.js';
import { ApiError } from '../errors.js';

export type PatchType = 'json' | 'merge';

const MAX_OPS = 10_000;

function fail(why: string): ApiError {
  return new ApiError('ERR_API_INVALID_ARGUMENT', `failed to patch application: ${why}`);
}

function clone<T>(v: T): T {
  return structuredClone(v);
}

function unescape(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function pointerTokens(pointer: unknown, op: number): string[] {
  if (typeof pointer !== 'string') throw fail(`operation ${op}: "path" must be a string`);
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw fail(`operation ${op}: path "${pointer}" must start with /`);
  const tokens = pointer.slice(1).split('/').map(unescape);
  for (const t of tokens)
    if (t === '__proto__' || t === 'constructor' || t === 'prototype')
      throw fail(`operation ${op}: path "${pointer}" is not allowed`);
  return tokens;
}

type Container = Record<string, unknown> | unknown[];

function arrayIndex(arr: unknown[], token: string, op: number, forAdd: boolean): number {
  if (forAdd && token === '-') return arr.length;
  if (!/^(0|[1-9]\d*)$/.test(token))
    throw fail(`operation ${op}: "${token}" is not an array index`);
  const i = Number(token);
  if (i > arr.length || (!forAdd && i === arr.length))
    throw fail(`operation ${op}: index ${i} is out of bounds`);
  return i;
}

/** The parent container of `tokens` and the last token (throws when the parent is missing). */
function parentOf(root: unknown, tokens: readonly string[], op: number): [Container, string] {
  let cur: unknown = root;
  for (let i = 0; i < tokens.length - 1; i++) {
    const t = tokens[i] ?? '';
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, t, op, false)];
    else if (isRecord(cur) && Object.hasOwn(cur, t)) cur = cur[t];
    else throw fail(`operation ${op}: path /${tokens.slice(0, i + 1).join('/')} does not exist`);
  }
  if (!Array.isArray(cur) && !isRecord(cur))
    throw fail(`operation ${op}: the parent of the path is not an object or array`);
  return [cur, tokens[tokens.length - 1] ?? ''];
}

function getAt(root: unknown, tokens: readonly string[], op: number): unknown {
  if (tokens.length === 0) return root;
  const [parent, last] = parentOf(root, tokens, op);
  if (Array.isArray(parent)) return parent[arrayIndex(parent, last, op, false)];
  if (!Object.hasOwn(parent, last)) throw fail(`operation ${op}: path does not exist`);
  return parent[last];
}

function removeAt(root: unknown, tokens: readonly string[], op: number): unknown {
  if (tokens.length === 0) throw fail(`operation ${op}: cannot remove the whole document`);
  const [parent, last] = parentOf(root, tokens, op);
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, last, op, false);
    return parent.splice(i, 1)[0];
  }
  if (!Object.hasOwn(parent, last)) throw fail(`operation ${op}: path does not exist`);
  const v = parent[last];
  Reflect.deleteProperty(parent, last);
  return v;
}

function addAt(root: unknown, tokens: readonly string[], value: unknown, op: number): unknown {
  if (tokens.length === 0) return value;
  const [parent, last] = parentOf(root, tokens, op);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, last, op, true), 0, value);
  else parent[last] = value;
  return root;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a);
    if (ka.length !== Object.keys(b).length) return false;
    return ka.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}

/** Applies an RFC 6902 patch to a copy of `doc`. */
export function applyJsonPatch(doc: unknown, patch: unknown): unknown {
  if (!Array.isArray(patch)) throw fail('a JSON patch must be an array of operations');
  if (patch.length > MAX_OPS) throw fail(`more than ${MAX_OPS} operations`);
  let root = clone(doc);
  patch.forEach((raw: unknown, i) => {
    if (!isRecord(raw)) throw fail(`operation ${i} is not an object`);
    const tokens = pointerTokens(raw.path, i);
    switch (raw.op) {
      case 'add':
        if (!Object.hasOwn(raw, 'value')) throw fail(`operation ${i}: "add" needs a value`);
        root = addAt(root, tokens, clone(raw.value), i);
        break;
      case 'remove':
        removeAt(root, tokens, i);
        break;
      case 'replace':
        if (!Object.hasOwn(raw, 'value')) throw fail(`operation ${i}: "replace" needs a value`);
        if (tokens.length === 0) root = clone(raw.value);
        else {
          removeAt(root, tokens, i);
          root = addAt(root, tokens, clone(raw.value), i);
        }
        break;
      case 'move':
      case 'copy': {
        const from = pointerTokens(raw.from, i);
        if (raw.op === 'move') {
          const same = from.length === tokens.length && from.every((t, j) => t === tokens[j]);
          if (same) break;
          if (from.length < tokens.length && from.every((t, j) => t === tokens[j]))
            throw fail(`operation ${i}: cannot move a value into itself`);
        }
        const v = raw.op === 'move' ? removeAt(root, from, i) : clone(getAt(root, from, i));
        root = addAt(root, tokens, v, i);
        break;
      }
      case 'test':
        if (!deepEqual(getAt(root, tokens, i), raw.value))
          throw fail(`operation ${i}: test of ${String(raw.path)} failed`);
        break;
      default:
        throw fail(`operation ${i}: unknown op "${String(raw.op).slice(0, 20)}"`);
    }
  });
  return root;
}

/** Applies an RFC 7396 merge patch to a copy of `doc`. */
export function applyMergePatch(doc: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const out: Record<string, unknown> = isRecord(doc) ? { ...doc } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '__proto__' || k === 'constructor') throw fail(`key "${k}" is not allowed`);
    if (v === null) Reflect.deleteProperty(out, k);
    else out[k] = applyMergePatch(out[k], v);
  }
  return out;
}

/** Parses the `patch` string of a PatchRequest and applies it. */
export function applyPatch(doc: unknown, patchText: string, type: string | undefined): unknown {
  const t = type === undefined || type === '' ? 'json' : type;
  if (t !== 'json' && t !== 'merge')
    throw fail(`patchType "${t.slice(0, 50)}" is not supported: use json or merge`);
  let patch: unknown;
  try {
    patch = JSON.parse(patchText);
  } catch {
    throw fail('the patch is not valid JSON');
  }
  return t === 'json' ? applyJsonPatch(doc, patch) : applyMergePatch(doc, patch);
}
