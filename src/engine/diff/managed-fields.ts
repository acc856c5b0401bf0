/**
 * Server-side apply ownership (`metadata.managedFields[].fieldsV1`): a field our field manager
 * applied before that desired no longer has will be removed by the next apply, so the object is
 * out of sync (≈ the removal half of gitops-engine's server-side diff, computed locally). The same
 * walk strips fields owned by `managedFieldsManagers` from desired for `ignoreDifferences`.
 *
 * fieldsV1 keys: `f:<field>`, `k:<json of key fields>` (map-list element), `v:<json value>`
 * (set-list element), `i:<index>` (not produced for applied lists; skipped), `.` (the node itself).
 */
import { isRecord } from '../../lib/index.js';
import type { JsonPath } from './json-pointer.js';
import { serverMetadataFields } from './normalize.js';

type FieldSet = Record<string, unknown>;

const keyCache = new Map<string, unknown>();
const KEY_CACHE_MAX = 10_000;

/** Parses a `k:`/`v:` key (memoised: the same keys recur across objects and refreshes). */
function parseKey(s: string): unknown {
  const hit = keyCache.get(s);
  if (hit !== undefined || keyCache.has(s)) return hit;
  let v: unknown;
  try {
    v = JSON.parse(s);
  } catch {
    // a malformed key in server data: match nothing rather than throw (the object still compares)
    v = Symbol.for('argocd-ts.unparsable-key');
  }
  if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
  keyCache.set(s, v);
  return v;
}

const keyDefaults: Readonly<Record<string, unknown>> = { protocol: 'TCP' };

function looseEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (
    (typeof a === 'number' && typeof b === 'string') ||
    (typeof a === 'string' && typeof b === 'number')
  ) {
    return String(a) === String(b);
  }
  return false;
}

function matchesKey(el: unknown, key: unknown): boolean {
  if (!isRecord(el) || !isRecord(key)) return false;
  for (const f in key) {
    const want = key[f];
    const got = el[f] ?? keyDefaults[f];
    if (!looseEqual(got, want)) return false;
  }
  return true;
}

/** Index of the element with `key`, trying `hint` first (fieldsV1 usually lists them in order). */
function findKey(list: readonly unknown[], key: unknown, hint = 0): number {
  if (hint < list.length && matchesKey(list[hint], key)) return hint;
  for (let i = 0; i < list.length; i++) if (i !== hint && matchesKey(list[i], key)) return i;
  return -1;
}

function findValue(list: readonly unknown[], value: unknown, hint = 0): number {
  if (hint < list.length && looseEqual(list[hint], value)) return hint;
  for (let i = 0; i < list.length; i++) if (i !== hint && looseEqual(list[i], value)) return i;
  return -1;
}

function isLeaf(node: unknown): boolean {
  if (!isRecord(node)) return true;
  for (const k in node) if (k !== '.') return false;
  return true;
}

/** The fieldsV1 sets of `managers` (Apply or Update operations) in a live object. */
export function fieldSetsOf(
  live: { readonly metadata: { readonly managedFields?: readonly unknown[] } },
  managers: readonly string[],
  applyOnly: boolean,
): FieldSet[] {
  const mf = live.metadata.managedFields;
  if (mf === undefined) return [];
  const out: FieldSet[] = [];
  for (const e of mf) {
    if (!isRecord(e) || typeof e.manager !== 'string' || !managers.includes(e.manager)) continue;
    if (applyOnly && e.operation !== 'Apply') continue;
    if (isRecord(e.fieldsV1)) out.push(e.fieldsV1);
  }
  return out;
}

function skipTopLevel(path: JsonPath, name: string, extraSkip: ReadonlySet<string>): boolean {
  if (path.length === 0) return name === 'status' || extraSkip.has(name);
  if (path.length === 1 && path[0] === 'metadata') return serverMetadataFields.has(name);
  return false;
}

/** A fieldsV1 set in a form that is cheap to walk (compiled once per set object). */
interface CompiledSet {
  /** `f:` children: name, compiled child or undefined for leaves */
  readonly fields: readonly (readonly [string, CompiledSet | undefined])[];
  /** `k:`/`v:` children: parsed key, whether it is a value (`v:`), compiled child or undefined */
  readonly elements: readonly (readonly [unknown, boolean, CompiledSet | undefined])[];
}

const compiledSets = new WeakMap<object, CompiledSet>();

function compileSet(node: FieldSet): CompiledSet {
  const hit = compiledSets.get(node);
  if (hit !== undefined) return hit;
  const fields: [string, CompiledSet | undefined][] = [];
  const elements: [unknown, boolean, CompiledSet | undefined][] = [];
  for (const k of Object.keys(node)) {
    if (k.length < 2 || k[1] !== ':') continue;
    const child = node[k];
    const sub = isRecord(child) && !isLeaf(child) ? compileSet(child) : undefined;
    const tag = k[0];
    if (tag === 'f') fields.push([k.slice(2), sub]);
    else if (tag === 'k') elements.push([parseKey(k.slice(2)), false, sub]);
    else if (tag === 'v') elements.push([parseKey(k.slice(2)), true, undefined]);
  }
  const out: CompiledSet = { fields, elements };
  compiledSets.set(node, out);
  return out;
}

interface WalkState {
  readonly out: JsonPath[];
  readonly path: (string | number)[];
  readonly stopAtFirst: boolean;
  readonly extraSkip: ReadonlySet<string>;
}

function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : undefined;
}

/** Returns true to stop (first hit found and `stopAtFirst`). */
function walkOwned(node: CompiledSet, d: unknown, l: unknown, st: WalkState): boolean {
  const lrec = asRecord(l);
  if (lrec !== undefined && node.fields.length > 0) {
    const drec = asRecord(d);
    for (const [name, sub] of node.fields) {
      const lv = lrec[name];
      if (lv === undefined || lv === null) continue;
      if (st.path.length < 2 && skipTopLevel(st.path, name, st.extraSkip)) continue;
      const dv = drec?.[name];
      if (dv === undefined || dv === null) {
        st.out.push([...st.path, name]);
        if (st.stopAtFirst) return true;
        continue;
      }
      if (sub !== undefined) {
        st.path.push(name);
        const stop = walkOwned(sub, dv, lv, st);
        st.path.pop();
        if (stop) return true;
      }
    }
  }
  if (Array.isArray(l) && node.elements.length > 0) {
    let ordinal = 0;
    for (const [key, isValue, sub] of node.elements) {
      const hint = ordinal++;
      const li = isValue ? findValue(l, key, hint) : findKey(l, key, hint);
      if (li < 0) continue;
      const di = Array.isArray(d)
        ? isValue
          ? findValue(d, key, hint)
          : findKey(d, key, hint)
        : -1;
      if (di < 0) {
        st.out.push([...st.path, li]);
        if (st.stopAtFirst) return true;
        continue;
      }
      if (sub !== undefined) {
        st.path.push(li);
        const stop = walkOwned(sub, (d as unknown[])[di], l[li], st);
        st.path.pop();
        if (stop) return true;
      }
    }
  }
  return false;
}

const scratch: WalkState = { out: [], path: [], stopAtFirst: true, extraSkip: new Set() };

/**
 * Whether any Apply entry of `manager` in the live object's managedFields owns a field desired
 * lacks (the allocation-free fast path of `ownedButDropped`; not reentrant, and it need not be).
 */
export function ownsDroppedField(
  live: { readonly metadata: { readonly managedFields?: readonly unknown[] } },
  manager: string,
  desired: unknown,
  extraSkip: ReadonlySet<string>,
): boolean {
  const mf = live.metadata.managedFields;
  if (mf === undefined) return false;
  for (const e of mf) {
    if (!isRecord(e) || e.manager !== manager || e.operation !== 'Apply' || !isRecord(e.fieldsV1)) {
      continue;
    }
    scratch.out.length = 0;
    scratch.path.length = 0;
    const st: WalkState =
      scratch.extraSkip === extraSkip
        ? scratch
        : { out: scratch.out, path: scratch.path, stopAtFirst: true, extraSkip };
    if (walkOwned(compileSet(e.fieldsV1), desired, live, st)) {
      scratch.out.length = 0;
      return true;
    }
  }
  return false;
}

/**
 * Live paths of fields owned in `set` that desired lacks (the next apply would remove them).
 * `stopAtFirst` returns after one hit (fast path). `extraSkip` lists top-level fields never
 * considered (e.g. `rules` of aggregated roles).
 */
export function ownedButDropped(
  set: FieldSet,
  desired: unknown,
  live: unknown,
  stopAtFirst: boolean,
  extraSkip: ReadonlySet<string> = new Set(),
): JsonPath[] {
  const st: WalkState = { out: [], path: [], stopAtFirst, extraSkip };
  walkOwned(compileSet(set), desired, live, st);
  return st.out;
}

/**
 * Removes from `desired` (in place) every field owned in `set` whose node is a leaf, and list
 * elements owned as a whole: what `managedFieldsManagers` ignores.
 */
export function stripOwned(set: FieldSet, desired: unknown): void {
  const walk = (node: FieldSet, d: unknown): void => {
    if (isRecord(d)) {
      for (const k in node) {
        if (!k.startsWith('f:')) continue;
        const name = k.slice(2);
        if (!(name in d)) continue;
        const child = node[k];
        // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- removing a field another manager owns from our own copy
        if (isLeaf(child)) delete d[name];
        else if (isRecord(child)) walk(child, d[name]);
      }
    } else if (Array.isArray(d)) {
      const drop: number[] = [];
      for (const k in node) {
        const tag = k.slice(0, 2);
        if (tag !== 'k:' && tag !== 'v:') continue;
        const key = parseKey(k.slice(2));
        const di = tag === 'k:' ? findKey(d, key) : findValue(d, key);
        if (di < 0) continue;
        const child = node[k];
        if (tag === 'v:' || isLeaf(child)) drop.push(di);
        else if (isRecord(child)) walk(child, d[di]);
      }
      drop.sort((a, b) => b - a);
      for (const i of drop) d.splice(i, 1);
    }
  };
  walk(set, desired);
}
