/**
 * The `fields` query parameter of list and watch endpoints (Argo CD's `forwarder_overwrite.go`):
 * `fields=metadata.resourceVersion,items.metadata.name,items.spec.project` keeps only those dotted
 * paths of the response; a path prefixed with `-` removes it instead (`fields=-items.status`).
 * Arrays are transparent: `items.metadata.name` applies to every element of `items`. Unknown paths
 * are ignored, so a client asking for fields this server does not have still works.
 */
import { isRecord } from '../../lib/index.js';

interface Trie {
  /** the path ends here: keep (include) or drop (exclude) the whole value */
  leaf: boolean;
  children: Map<string, Trie>;
}

/** A compiled `fields` selection; `apply` returns a projected copy (the input is not changed). */
export interface FieldSelection {
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  /** true when there is nothing to do */
  readonly empty: boolean;
  apply<T>(value: T): T;
  /** the selection below a prefix (`result.application` for watch events) */
  under(prefix: string): FieldSelection;
}

const MAX_FIELDS = 200;
const MAX_DEPTH = 32;

function newTrie(): Trie {
  return { leaf: false, children: new Map() };
}

function build(paths: readonly string[]): Trie {
  const root = newTrie();
  for (const p of paths) {
    let node = root;
    const parts = p.split('.').filter((s) => s !== '');
    if (parts.length === 0 || parts.length > MAX_DEPTH) continue;
    for (const part of parts) {
      let next = node.children.get(part);
      if (!next) {
        next = newTrie();
        node.children.set(part, next);
      }
      node = next;
    }
    node.leaf = true;
  }
  return root;
}

function keep(value: unknown, node: Trie): unknown {
  if (node.leaf) return value;
  if (Array.isArray(value)) return value.map((v) => keep(v, node));
  if (!isRecord(value)) return undefined;
  const out: Record<string, unknown> = {};
  for (const [k, child] of node.children) {
    if (!Object.hasOwn(value, k)) continue;
    const v = keep(value[k], child);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function drop(value: unknown, node: Trie): unknown {
  if (Array.isArray(value)) return value.map((v) => drop(v, node));
  if (!isRecord(value)) return value;
  let changed = false;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const child = node.children.get(k);
    if (!child) {
      out[k] = v;
      continue;
    }
    changed = true;
    if (!child.leaf) out[k] = drop(v, child);
  }
  return changed ? out : value;
}

function make(include: readonly string[], exclude: readonly string[]): FieldSelection {
  const inc = include.length > 0 ? build(include) : undefined;
  const exc = exclude.length > 0 ? build(exclude) : undefined;
  return {
    include,
    exclude,
    empty: inc === undefined && exc === undefined,
    apply<T>(value: T): T {
      let v: unknown = value;
      if (inc) v = keep(v, inc);
      if (exc) v = drop(v, exc);
      return v as T;
    },
    under(prefix: string): FieldSelection {
      const p = `${prefix}.`;
      const strip = (list: readonly string[]): string[] =>
        list.filter((f) => f.startsWith(p)).map((f) => f.slice(p.length));
      const i = strip(include);
      // asking for `result` (or a parent of the prefix) keeps everything below it
      const whole = include.some((f) => p.startsWith(`${f}.`));
      return make(whole ? [] : i, strip(exclude));
    },
  };
}

/**
 * Compiles `fields` values (repeated and/or comma-separated).
 * @example
 * parseFields(['items.metadata.name']).apply({ items: [{ metadata: { name: 'a', uid: 'u' } }] })
 * // { items: [{ metadata: { name: 'a' } }] }
 */
export function parseFields(values: readonly string[]): FieldSelection {
  const all = values
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .slice(0, MAX_FIELDS);
  const include = all.filter((f) => !f.startsWith('-'));
  const exclude = all.filter((f) => f.startsWith('-')).map((f) => f.slice(1).trim());
  return make(include, exclude);
}
