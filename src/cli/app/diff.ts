/**
 * `argocd app diff` (pure): which resources differ between live and desired state, printed as
 * unified diffs of YAML with sorted keys under Argo CD's `===== group/Kind namespace/name ======`
 * headers.
 *
 * Against the server (default): the managed-resources states, `normalizedLiveState` against
 * `predictedLiveState` (the live object after a dry-run apply). When the server gives no predicted
 * state, and for `--local`/`--revision` manifests, the live object is projected onto the fields
 * the desired object sets (a field the manifests do not mention is not a difference), which is how
 * a server-side apply would treat it.
 */
import { isRecord } from '../../lib/index.js';
import type { ResourceDiff } from '../../client/index.js';
import { toDiffYaml, unifiedDiff } from '../output/diff.js';

export interface ResourceKey {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export interface DiffItem {
  readonly key: ResourceKey;
  /** undefined: does not exist live */
  readonly live: unknown;
  /** undefined: not desired (would be pruned) */
  readonly target: unknown;
}

/** Parses a state string of managed-resources ('' and 'null' mean absent). */
export function parseState(text: string | undefined): unknown {
  if (text === undefined || text.trim() === '' || text.trim() === 'null') return undefined;
  try {
    const v: unknown = JSON.parse(text);
    return v === null ? undefined : v;
  } catch {
    return undefined;
  }
}

/**
 * Keeps only what `target` sets: for objects the keys `target` has (recursively), for lists of
 * the same length each element; anything else as it is live.
 */
export function projectOnto(live: unknown, target: unknown): unknown {
  if (isRecord(live) && isRecord(target)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(target)) if (k in live) out[k] = projectOnto(live[k], target[k]);
    return out;
  }
  if (Array.isArray(live) && Array.isArray(target) && live.length === target.length)
    return live.map((v, i) => projectOnto(v, target[i]));
  return live;
}

function keyOf(d: {
  group?: string;
  kind?: string;
  namespace?: string;
  name?: string;
}): ResourceKey {
  return {
    group: d.group ?? '',
    kind: d.kind ?? '',
    namespace: d.namespace ?? '',
    name: d.name ?? '',
  };
}

/** Diff items from the server's managed resources (hooks are left out, as Argo CD does). */
export function diffItemsFromManaged(items: readonly ResourceDiff[]): DiffItem[] {
  const out: DiffItem[] = [];
  for (const d of items) {
    if (d.hook) continue;
    const live = parseState(d.normalizedLiveState) ?? parseState(d.liveState);
    const predicted = parseState(d.predictedLiveState);
    const target = predicted ?? parseState(d.targetState);
    if (live === undefined && target === undefined) continue;
    out.push({
      key: keyOf(d),
      live:
        predicted === undefined && live !== undefined && target !== undefined
          ? projectOnto(live, target)
          : live,
      target,
    });
  }
  return out;
}

function groupOf(apiVersion: unknown): string {
  if (typeof apiVersion !== 'string') return '';
  const i = apiVersion.indexOf('/');
  return i === -1 ? '' : apiVersion.slice(0, i);
}

/**
 * Diff items of desired manifests (`--local` files or `--revision`) against the live objects of
 * the managed resources. A manifest without a namespace takes the live object's (or
 * `defaultNamespace`).
 */
export function diffItemsFromManifests(
  managed: readonly ResourceDiff[],
  manifests: readonly unknown[],
  defaultNamespace: string,
): DiffItem[] {
  const live = new Map<string, { key: ResourceKey; obj: unknown }>();
  const id = (k: ResourceKey): string => `${k.group}/${k.kind}/${k.namespace}/${k.name}`;
  for (const d of managed) {
    if (d.hook) continue;
    const obj = parseState(d.normalizedLiveState) ?? parseState(d.liveState);
    live.set(id(keyOf(d)), { key: keyOf(d), obj });
  }
  const out: DiffItem[] = [];
  const used = new Set<string>();
  for (const m of manifests) {
    if (!isRecord(m) || !isRecord(m.metadata)) continue;
    const meta = m.metadata;
    const base = {
      group: groupOf(m.apiVersion),
      kind: typeof m.kind === 'string' ? m.kind : '',
      name: typeof meta.name === 'string' ? meta.name : '',
    };
    const ns = typeof meta.namespace === 'string' ? meta.namespace : undefined;
    const candidates = ns !== undefined ? [ns] : [defaultNamespace, ''];
    let key: ResourceKey = { ...base, namespace: ns ?? defaultNamespace };
    let liveObj: unknown;
    for (const c of candidates) {
      const hit = live.get(id({ ...base, namespace: c }));
      if (hit) {
        key = hit.key;
        liveObj = hit.obj;
        break;
      }
    }
    used.add(id(key));
    out.push({ key, live: liveObj === undefined ? undefined : projectOnto(liveObj, m), target: m });
  }
  for (const [k, v] of live)
    if (!used.has(k) && v.obj !== undefined)
      out.push({ key: v.key, live: v.obj, target: undefined });
  return out;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortForCompare(a)) === JSON.stringify(sortForCompare(b));
}

function sortForCompare(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortForCompare);
  if (isRecord(v))
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortForCompare(v[k])]),
    );
  return v;
}

/** The printed diffs and how many resources differ. */
export function renderDiffs(items: readonly DiffItem[]): { text: string; count: number } {
  let text = '';
  let count = 0;
  const sorted = [...items].sort((a, b) =>
    `${a.key.group}/${a.key.kind}/${a.key.namespace}/${a.key.name}`.localeCompare(
      `${b.key.group}/${b.key.kind}/${b.key.namespace}/${b.key.name}`,
    ),
  );
  for (const it of sorted) {
    if (deepEqual(it.live, it.target)) continue;
    count++;
    const k = it.key;
    const d = unifiedDiff(toDiffYaml(it.live), toDiffYaml(it.target), {
      oldLabel: `${k.name}-live.yaml`,
      newLabel: `${k.name}.yaml`,
    });
    text += `\n===== ${k.group}/${k.kind} ${k.namespace}/${k.name} ======\n${d}`;
  }
  return { text, count };
}
