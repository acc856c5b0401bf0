/**
 * Test helpers for untyped Kubernetes objects (used by the engine's tests and the example; not part
 * of the public API): read and edit nested fields by dotted path (`spec.template.spec.containers.0.image`)
 * without `any`.
 */
import type { KubeObject } from '../apis/index.js';
import type { ResourceKey } from './resource/key.js';
import type {
  SyncAction,
  SyncActionResult,
  SyncPlan,
  SyncRunOptions,
  SyncState,
  SyncStep,
} from './sync/types.js';
import { startSync, stepSync } from './sync/sync-context.js';

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

function keyString(k: ResourceKey): string {
  return `${k.group}/${k.kind}/${k.namespace}/${k.name}`;
}

function keyOfObject(o: KubeObject): ResourceKey {
  const i = o.apiVersion.indexOf('/');
  return {
    group: i < 0 ? '' : o.apiVersion.slice(0, i),
    kind: o.kind,
    namespace: o.metadata.namespace ?? '',
    name: o.metadata.name ?? '',
  };
}

/**
 * An in-memory cluster for engine tests: applies, creates and deletes objects, and plays the
 * controllers on `tick()` (Deployments become available, Jobs complete or fail, CRDs become
 * established, deletions finish). Annotations steer it: `test.argocd-ts/fail-apply: "<message>"`
 * makes applies fail, `test.argocd-ts/job-fails: "true"` makes a Job fail,
 * `test.argocd-ts/degraded: "true"` makes a Deployment exceed its progress deadline.
 */
export class FakeCluster {
  readonly objects = new Map<string, KubeObject>();
  /** keys whose deletion is pending until the next tick (foreground deletion) */
  private readonly deleting = new Set<string>();
  private seq = 0;
  /** every action executed, in order: `<type>[dry] <group>/<kind>/<ns>/<name>` */
  readonly log: string[] = [];

  get(key: ResourceKey): KubeObject | undefined {
    return this.objects.get(keyString(key));
  }

  /** Adds an object as if it existed before (uid and generation set). */
  seed(obj: KubeObject): KubeObject {
    const o = structuredClone(obj);
    this.seq++;
    o.metadata.uid = o.metadata.uid ?? `uid-${this.seq}`;
    o.metadata.generation = o.metadata.generation ?? 1;
    o.metadata.resourceVersion = String(this.seq);
    this.objects.set(keyString(keyOfObject(o)), o);
    return o;
  }

  execute(actions: readonly SyncAction[]): SyncActionResult[] {
    return actions.map((a) => this.executeOne(a));
  }

  private executeOne(a: SyncAction): SyncActionResult {
    if (a.type === 'delete') {
      const k = keyString(a.key);
      this.log.push(`delete${a.dryRun ? '[dry]' : ''} ${k}`);
      const cur = this.objects.get(k);
      if (cur === undefined || (a.uid !== undefined && cur.metadata.uid !== a.uid)) {
        return { id: a.id, ok: true, notFound: true, message: 'not found' };
      }
      if (!a.dryRun) this.deleting.add(k);
      return { id: a.id, ok: true, message: `${a.key.kind.toLowerCase()}/${a.key.name} deleted` };
    }
    const obj = structuredClone(a.object);
    if (obj.metadata.name === undefined || obj.metadata.name === '') {
      this.seq++;
      obj.metadata.name = `${obj.metadata.generateName ?? 'x-'}${this.seq.toString(36).padStart(5, '0')}`;
    }
    const key = keyOfObject(obj);
    const k = keyString(key);
    this.log.push(`${a.type}${a.dryRun ? '[dry]' : ''} ${k}`);
    const failure = obj.metadata.annotations?.['test.argocd-ts/fail-apply'];
    if (failure !== undefined) return { id: a.id, ok: false, message: failure };
    if (a.dryRun)
      return {
        id: a.id,
        ok: true,
        message: `${key.kind.toLowerCase()}/${key.name} applied (server dry run)`,
      };
    const prev = this.objects.get(k);
    if (a.type === 'create' && prev !== undefined) {
      return {
        id: a.id,
        ok: false,
        message: `${key.kind.toLowerCase()}/${key.name} already exists`,
      };
    }
    this.seq++;
    const changed = prev === undefined || JSON.stringify(prev.spec) !== JSON.stringify(obj.spec);
    obj.metadata.uid = prev?.metadata.uid ?? `uid-${this.seq}`;
    obj.metadata.generation = (prev?.metadata.generation ?? 0) + (changed ? 1 : 0);
    obj.metadata.resourceVersion = String(this.seq);
    if (prev?.status !== undefined) obj.status = prev.status;
    if (obj.kind === 'Job') obj.status = { active: 1 };
    this.objects.set(k, obj);
    return {
      id: a.id,
      ok: true,
      message: `${key.kind.toLowerCase()}/${key.name} ${prev === undefined ? 'created' : 'configured'}`,
      object: { metadata: obj.metadata },
    };
  }

  /** Plays the controllers once. */
  tick(): void {
    for (const k of this.deleting) this.objects.delete(k);
    this.deleting.clear();
    for (const o of this.objects.values()) {
      const ann = o.metadata.annotations ?? {};
      if (o.kind === 'Deployment') {
        const replicas =
          typeof (o.spec as { replicas?: unknown } | undefined)?.replicas === 'number'
            ? (o.spec as { replicas: number }).replicas
            : 1;
        o.status =
          ann['test.argocd-ts/degraded'] === 'true'
            ? {
                observedGeneration: o.metadata.generation,
                replicas,
                updatedReplicas: replicas,
                conditions: [
                  { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' },
                ],
              }
            : {
                observedGeneration: o.metadata.generation,
                replicas,
                updatedReplicas: replicas,
                availableReplicas: replicas,
                readyReplicas: replicas,
              };
      } else if (o.kind === 'Job') {
        const fails = ann['test.argocd-ts/job-fails'] === 'true';
        o.status = fails
          ? {
              failed: 1,
              conditions: [
                {
                  type: 'Failed',
                  status: 'True',
                  message: 'Job has reached the specified backoff limit',
                },
              ],
            }
          : { succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] };
      } else if (o.kind === 'CustomResourceDefinition') {
        o.status = { conditions: [{ type: 'Established', status: 'True' }] };
      }
    }
  }
}

/** A run of the state machine to completion against a FakeCluster. */
export interface DriveResult {
  readonly final: SyncStep;
  /** every step's state, as JSON (persistability is checked by round-tripping each) */
  readonly steps: number;
}

/**
 * Drives a sync to completion: executes the actions of each step, ticks the cluster when the
 * machine waits. Each state goes through JSON between steps, as a controller that persists it
 * would do. `beforeStep` may return `terminate: true`.
 */
export function drive(
  plan: SyncPlan,
  cluster: FakeCluster,
  options: SyncRunOptions & {
    readonly state?: SyncState;
    readonly maxSteps?: number;
    readonly beforeStep?: (n: number) => { terminate?: boolean; stop?: boolean } | undefined;
  } = {},
): DriveResult & { readonly state: SyncState } {
  let state = options.state ?? startSync(plan);
  let results: SyncActionResult[] = [];
  const max = options.maxSteps ?? 200;
  for (let n = 0; n < max; n++) {
    const ctl = options.beforeStep?.(n);
    if (ctl?.stop === true) {
      const step = stepSync(plan, state, { results, live: (k) => cluster.get(k) }, options);
      return { final: step, steps: n, state: step.state };
    }
    const step = stepSync(
      plan,
      state,
      {
        results,
        live: (k) => cluster.get(k),
        ...(ctl?.terminate === true ? { terminate: true } : {}),
      },
      options,
    );
    state = JSON.parse(JSON.stringify(step.state)) as SyncState;
    if (step.done) return { final: step, steps: n, state };
    results = cluster.execute(step.actions);
    if (step.actions.length === 0) cluster.tick();
  }
  throw new Error(`sync did not finish in ${max} steps`);
}
