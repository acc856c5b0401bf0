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

type MapSemantics = Extract<ListSemantics, { type: 'map' }>;

function keyField(sem: MapSemantics, el: Record<string, unknown>, k: string): unknown {
  const v = el[k];
  return v === undefined || v === null ? sem.defaults?.[k] : v;
}

/** Key values are equal; numbers equal their numeric strings (int-or-string ports). */
function keyEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'string') return String(a) === b;
  if (typeof a === 'string' && typeof b === 'number') return a === String(b);
  return false;
}

function isElement(el: unknown): el is Record<string, unknown> {
  return typeof el === 'object' && el !== null && !Array.isArray(el);
}

/** Whether a `map` list element names at least one key field (others are matched by position). */
export function hasKey(sem: MapSemantics, el: unknown): boolean {
  if (!isElement(el)) return false;
  for (const k of sem.keys) if (el[k] !== undefined && el[k] !== null) return true;
  return false;
}

/** Whether two elements have the same merge key (absent key fields take their defaults). */
export function sameKey(sem: MapSemantics, a: unknown, b: unknown): boolean {
  if (!isElement(a) || !isElement(b)) return false;
  for (const k of sem.keys) if (!keyEqual(keyField(sem, a, k), keyField(sem, b, k))) return false;
  return true;
}

/**
 * Index of the element of `list` with the same key as `el` (tried first at `hint`, where it
 * usually is), or -1. Allocation-free: this runs for every list element of every refresh.
 */
export function findMatch(
  sem: MapSemantics,
  list: readonly unknown[],
  el: unknown,
  hint: number,
): number {
  if (hint < list.length && sameKey(sem, el, list[hint])) return hint;
  for (let i = 0; i < list.length; i++) if (i !== hint && sameKey(sem, el, list[i])) return i;
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
