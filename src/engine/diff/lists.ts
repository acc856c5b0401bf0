/**
 * How lists compare and merge, by field name (a small table for built-in kinds, after the
 * `x-kubernetes-list-type`/`patchMergeKey` markers of the Kubernetes API): `map` lists are matched
 * by key fields (containers by name, ports by port and protocol, ...), `set` lists by value, and
 * everything else is atomic (compared element by element, as server-side apply treats lists of
 * custom resources without markers).
 */

export type ListSemantics =
  | {
      readonly type: 'map';
      readonly keys: readonly string[];
      readonly defaults?: Readonly<Record<string, unknown>>;
    }
  | { readonly type: 'set' }
  | { readonly type: 'atomic' };

const ATOMIC: ListSemantics = { type: 'atomic' };
const SET: ListSemantics = { type: 'set' };
const byName: ListSemantics = { type: 'map', keys: ['name'] };

const table: Readonly<Record<string, ListSemantics>> = {
  containers: byName,
  initContainers: byName,
  ephemeralContainers: byName,
  env: byName,
  volumes: byName,
  imagePullSecrets: byName,
  resourceClaims: byName,
  volumeMounts: { type: 'map', keys: ['mountPath'] },
  volumeDevices: { type: 'map', keys: ['devicePath'] },
  hostAliases: { type: 'map', keys: ['ip'] },
  conditions: { type: 'map', keys: ['type'] },
  ownerReferences: { type: 'map', keys: ['uid'] },
  topologySpreadConstraints: { type: 'map', keys: ['topologyKey', 'whenUnsatisfiable'] },
  finalizers: SET,
};

const containerPorts: ListSemantics = {
  type: 'map',
  keys: ['containerPort', 'protocol'],
  defaults: { protocol: 'TCP' },
};
const servicePorts: ListSemantics = {
  type: 'map',
  keys: ['port', 'protocol'],
  defaults: { protocol: 'TCP' },
};

/**
 * The semantics of the list under `field`; `sample` is the list itself (ports are told apart by
 * their element shape: `containerPort` for containers, `port` for Services).
 */
export function listSemantics(
  field: string | undefined,
  sample: readonly unknown[],
): ListSemantics {
  if (field === undefined) return ATOMIC;
  if (field === 'ports') {
    const first: unknown = sample[0];
    if (typeof first === 'object' && first !== null) {
      if ('containerPort' in first) return containerPorts;
      if ('port' in first) return servicePorts;
    }
    return ATOMIC;
  }
  return table[field] ?? ATOMIC;
}

function keyPart(v: unknown): string {
  // numbers and numeric strings are the same key (int-or-string ports)
  if (typeof v === 'number') return `n${v}`;
  if (typeof v === 'string') return /^-?\d+$/.test(v) ? `n${Number(v)}` : `s${v}`;
  return v === undefined || v === null ? 'u' : `j${JSON.stringify(v)}`;
}

/**
 * The merge key of a `map` list element; undefined when the element is not an object or lacks
 * every key field.
 */
export function elementKey(
  sem: Extract<ListSemantics, { type: 'map' }>,
  el: unknown,
): string | undefined {
  if (typeof el !== 'object' || el === null || Array.isArray(el)) return undefined;
  const rec = el as Record<string, unknown>;
  let out = '';
  let any = false;
  for (const k of sem.keys) {
    let v = rec[k];
    if (v === undefined || v === null) v = sem.defaults?.[k];
    else any = true;
    out += `${keyPart(v)}\u0000`;
  }
  return any ? out : undefined;
}

/** Index of the element of `list` with key `key`, or -1. */
export function findByKey(
  sem: Extract<ListSemantics, { type: 'map' }>,
  list: readonly unknown[],
  key: string,
): number {
  for (let i = 0; i < list.length; i++) if (elementKey(sem, list[i]) === key) return i;
  return -1;
}

/**
 * Field names whose values are int-or-string: a number and the numeric string with the same value
 * are equal (`targetPort: 8080` and `targetPort: "8080"`).
 */
export const intOrStringFields: ReadonlySet<string> = new Set([
  'port',
  'targetPort',
  'containerPort',
  'maxSurge',
  'maxUnavailable',
  'minAvailable',
  'partition',
]);

/**
 * Keys of maps whose values are resource quantities (compared as quantities: `1000m` == `1`), and
 * single quantity fields.
 */
export const quantityMapFields: ReadonlySet<string> = new Set([
  'limits',
  'requests',
  'hard',
  'capacity',
  'allocatable',
  'default',
  'defaultRequest',
  'max',
  'min',
  'maxLimitRequestRatio',
  'overhead',
]);
export const quantityFields: ReadonlySet<string> = new Set(['sizeLimit', 'storage']);
