/**
 * A sync planned as data (≈ gitops-engine `sync_context.go` getSyncTasks + `sync_tasks.go`):
 * every desired object becomes an apply task in the Sync phase (or hook tasks in their phases),
 * every extraneous tracked object a prune task, `CreateNamespace=true` a Namespace task first.
 * Prune waves run in reverse (the last created is the first deleted); `PruneLast=true` prunes after
 * the last Sync wave. Tasks are ordered by phase, wave, kind order and key.
 */
import { syncPhaseOrder, type KubeObject, type SyncPhase } from '../../apis/index.js';
import type { ComparedResource, CompareResult } from '../compare/types.js';
import type { JsonObject } from '../diff/normalize.js';
import { getAt, type JsonPath } from '../diff/json-pointer.js';
import type { IgnoreDifferences } from '../diff/ignore.js';
import {
  compareResourceKeys,
  formatGroupKind,
  formatResourceKey,
  parseApiVersion,
  type ResourceKey,
} from '../resource/key.js';
import { crdScopes } from '../resource/namespace.js';
import { kindRank } from '../resource/order.js';
import {
  getHookDeletePolicies,
  getHookTypes,
  getSyncWave,
  hasSyncOption,
  parseSyncOptions,
} from './annotations.js';
import type {
  PrunePropagationPolicy,
  SyncPlan,
  SyncPlanOptions,
  SyncTask,
  SyncTaskOptions,
  SyncTaskType,
} from './types.js';

function matchesSelection(key: ResourceKey, selection: SyncPlanOptions['resources']): boolean {
  if (selection === undefined || selection.length === 0) return true;
  return selection.some(
    (r) =>
      (r.group ?? '') === key.group &&
      r.kind === key.kind &&
      r.name === key.name &&
      (r.namespace === undefined || r.namespace === '' || r.namespace === key.namespace),
  );
}

function optionOn(
  app: ReadonlyMap<string, string>,
  obj: KubeObject | undefined,
  name: string,
  value: string,
): boolean {
  if (
    obj !== undefined &&
    obj.metadata.annotations?.['argocd.argoproj.io/sync-options'] !== undefined
  ) {
    const own = parseSyncOptions(obj.metadata.annotations['argocd.argoproj.io/sync-options']);
    const v = own.get(name);
    if (v !== undefined) return v.toLowerCase() === value.toLowerCase();
  }
  return app.get(name)?.toLowerCase() === value.toLowerCase();
}

function propagation(
  app: ReadonlyMap<string, string>,
  obj: KubeObject | undefined,
): PrunePropagationPolicy {
  for (const p of ['background', 'orphan', 'foreground'] as const) {
    if (optionOn(app, obj, 'PrunePropagationPolicy', p)) return p;
  }
  return 'foreground';
}

function taskOptions(
  app: ReadonlyMap<string, string>,
  obj: KubeObject | undefined,
  force: boolean,
  crdKinds: ReadonlySet<string>,
): SyncTaskOptions {
  const gk =
    obj === undefined
      ? ''
      : formatGroupKind({ group: parseApiVersion(obj.apiVersion).group, kind: obj.kind });
  return {
    serverSideApply: optionOn(app, obj, 'ServerSideApply', 'true'),
    replace: optionOn(app, obj, 'Replace', 'true'),
    force: force || optionOn(app, obj, 'Force', 'true'),
    validate: !optionOn(app, obj, 'Validate', 'false'),
    skipDryRun: optionOn(app, obj, 'SkipDryRunOnMissingResource', 'true') || crdKinds.has(gk),
    prunePropagationPolicy: propagation(app, obj),
  };
}

function taskId(
  phase: SyncPhase,
  type: SyncTaskType,
  key: ResourceKey,
  generateName?: string,
): string {
  const name = key.name !== '' ? key.name : `${generateName ?? ''}*`;
  return `${phase}:${type}:${key.group}/${key.kind}/${key.namespace}/${name}`;
}

/** `target` with the live values of ignored paths copied in (`RespectIgnoreDifferences=true`). */
function respectIgnored(
  target: KubeObject,
  live: KubeObject | undefined,
  key: ResourceKey,
  ignore: IgnoreDifferences,
): KubeObject {
  if (live === undefined || !ignore.appliesTo(key)) return target;
  const paths: JsonPath[] = ignore.pathsIn(key, live);
  if (paths.length === 0) return target;
  const out = structuredClone(target) as JsonObject;
  for (const p of paths) {
    const value = getAt(live, p);
    let cur: unknown = out;
    for (let i = 0; i < p.length - 1; i++) {
      const seg = p[i] as string | number;
      const next = (cur as Record<string | number, unknown>)[seg];
      if (typeof next !== 'object' || next === null) {
        const created: Record<string, unknown> = {};
        (cur as Record<string | number, unknown>)[seg] = created;
        cur = created;
      } else cur = next;
    }
    const last = p[p.length - 1];
    if (last !== undefined)
      (cur as Record<string | number, unknown>)[last] = structuredClone(value);
  }
  return out as KubeObject;
}

/** 32-bit FNV-1a of a string, hex. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

function compareTasks(a: SyncTask, b: SyncTask): number {
  return (
    syncPhaseOrder.indexOf(a.phase) - syncPhaseOrder.indexOf(b.phase) ||
    a.wave - b.wave ||
    kindRank(a.key.kind) - kindRank(b.key.kind) ||
    compareResourceKeys(a.key, b.key) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  );
}

/**
 * Plans a sync from a comparison: apply tasks for desired objects, hook tasks per phase, prune
 * tasks for extraneous objects, a Namespace task for `CreateNamespace=true`, all ordered by phase,
 * wave and kind. Nothing is applied. Partial syncs (`resources`) and dry runs leave hooks out;
 * `ApplyOutOfSyncOnly=true` leaves in-sync objects out.
 * @example
 * const plan = planSync(compareAppState({ desired, live }), { prune: true, syncOptions: ['CreateNamespace=true'], destinationNamespace: 'web' });
 */
export function planSync(compare: CompareResult, options: SyncPlanOptions = {}): SyncPlan {
  const app = parseSyncOptions(options.syncOptions);
  const selection = options.resources;
  const partial = selection !== undefined && selection.length > 0;
  const dryRun = options.dryRun === true;
  const skipHooks = partial || dryRun;
  const force = options.force === true;
  const applyOutOfSyncOnly = app.get('ApplyOutOfSyncOnly')?.toLowerCase() === 'true';
  const respectIgnore = app.get('RespectIgnoreDifferences')?.toLowerCase() === 'true';
  const pruneLastApp = app.get('PruneLast')?.toLowerCase() === 'true';

  const desiredObjects = compare.items.flatMap((i) => (i.desired ? [i.desired.object] : []));
  const crdKinds = new Set(crdScopes(desiredObjects).keys());

  const tasks: SyncTask[] = [];
  let desiredCount = 0;
  const pruneLastIds = new Set<string>();

  const pushApply = (it: ComparedResource, target: KubeObject, skip?: SyncTask['skip']): void => {
    tasks.push({
      id: taskId('Sync', 'apply', it.key),
      type: 'apply',
      key: it.key,
      version: it.version,
      phase: 'Sync',
      wave: it.syncWave,
      target,
      ...(it.live?.metadata.uid === undefined ? {} : { liveUid: it.live.metadata.uid }),
      options: taskOptions(app, target, force, crdKinds),
      modified: it.modified || it.live === undefined,
      ...(skip === undefined ? {} : { skip }),
    });
  };

  for (const it of compare.items) {
    const d = it.desired;
    if (d !== undefined) {
      if (d.skip) continue;
      if (d.hook) {
        if (skipHooks) continue;
        const generateName = d.object.metadata.generateName;
        for (const hookType of getHookTypes(d.object)) {
          if (hookType === 'Skip') continue;
          tasks.push({
            id: taskId(hookType, 'hook', d.key, generateName),
            type: 'hook',
            key: d.key,
            version: d.version,
            phase: hookType,
            wave: d.syncWave,
            target: d.object,
            hookType,
            hookDeletePolicies: getHookDeletePolicies(d.object),
            options: taskOptions(app, d.object, force, crdKinds),
            modified: true,
          });
        }
        continue;
      }
      if (!matchesSelection(it.key, selection)) continue;
      desiredCount++;
      if (it.foreignInstallation !== undefined) {
        // another Argo CD installation's object: never adopted (the sync fails before any change)
        pushApply(it, d.object, {
          status: 'SyncFailed',
          message: `refused: the live object is managed by another Argo CD installation (${it.foreignInstallation === '' ? 'without installation id' : `installation id "${it.foreignInstallation}"`})`,
        });
        continue;
      }
      if (applyOutOfSyncOnly && it.status === 'Synced') continue;
      const target = respectIgnore
        ? respectIgnored(d.object, it.live, it.key, compare.ignoreDifferences)
        : d.object;
      pushApply(it, target);
      continue;
    }
    if (!it.requiresPruning || it.live === undefined) continue;
    if (!matchesSelection(it.key, selection)) continue;
    const live = it.live;
    const id = taskId('Sync', 'prune', it.key);
    let skip: SyncTask['skip'];
    if (hasSyncOption(live, 'Prune=false'))
      skip = { status: 'PruneSkipped', message: 'ignored (no prune)' };
    else if (hasSyncOption(live, 'Delete=false')) {
      skip = { status: 'PruneSkipped', message: 'ignored (no delete)' };
    } else if (options.prune !== true) {
      skip = { status: 'PruneSkipped', message: 'ignored (requires pruning)' };
    }
    if (pruneLastApp || hasSyncOption(live, 'PruneLast=true')) pruneLastIds.add(id);
    tasks.push({
      id,
      type: 'prune',
      key: it.key,
      version: it.version,
      phase: 'Sync',
      wave: getSyncWave(live),
      ...(live.metadata.uid === undefined ? {} : { liveUid: live.metadata.uid }),
      options: taskOptions(app, live, force, crdKinds),
      modified: true,
      ...(skip === undefined ? {} : { skip }),
    });
  }

  // CreateNamespace=true: the destination namespace first, unless the app manages it itself
  const ns = options.destinationNamespace ?? '';
  if (app.get('CreateNamespace')?.toLowerCase() === 'true' && ns !== '') {
    const managed = compare.items.some(
      (i) =>
        i.desired !== undefined &&
        i.key.group === '' &&
        i.key.kind === 'Namespace' &&
        i.key.name === ns,
    );
    if (!managed) {
      const meta = options.managedNamespaceMetadata;
      const target: KubeObject = {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: {
          name: ns,
          ...(meta?.labels === undefined ? {} : { labels: { ...meta.labels } }),
          ...(meta?.annotations === undefined ? {} : { annotations: { ...meta.annotations } }),
        },
      };
      const minWave = tasks.reduce((m, t) => (t.phase === 'PreSync' ? Math.min(m, t.wave) : m), 0);
      tasks.push({
        id: taskId('PreSync', 'apply', { group: '', kind: 'Namespace', namespace: '', name: ns }),
        type: 'apply',
        key: { group: '', kind: 'Namespace', namespace: '', name: ns },
        version: 'v1',
        phase: 'PreSync',
        wave: minWave,
        target,
        options: taskOptions(app, undefined, force, crdKinds),
        modified: true,
      });
    }
  }

  // objects in a namespace this sync creates cannot be dry-run (the server answers NotFound)
  const newNamespaces = new Set<string>();
  for (const t of tasks) {
    if (t.type !== 'apply' || t.key.group !== '' || t.key.kind !== 'Namespace') continue;
    const live = compare.items.find(
      (i) =>
        i.desired !== undefined &&
        i.key.kind === 'Namespace' &&
        i.key.group === '' &&
        i.key.name === t.key.name,
    )?.live;
    const exists =
      live !== undefined ||
      (t.phase === 'PreSync' && t.key.name === ns && options.destinationNamespaceExists === true);
    if (!exists) newNamespaces.add(t.key.name);
  }
  const withDryRun =
    newNamespaces.size === 0
      ? tasks
      : tasks.map((t) =>
          t.key.namespace !== '' && newNamespaces.has(t.key.namespace) && !t.options.skipDryRun
            ? { ...t, options: { ...t.options, skipDryRun: true } }
            : t,
        );
  const adjusted = adjustPruneWaves(withDryRun, pruneLastIds);
  adjusted.sort(compareTasks);

  const applyCount = adjusted.filter((t) => t.type === 'apply').length;
  const hookCount = adjusted.filter((t) => t.type === 'hook').length;
  const pruneCount = adjusted.filter((t) => t.type === 'prune' && t.skip === undefined).length;
  const pruneSkipped = adjusted.filter((t) => t.type === 'prune' && t.skip !== undefined).length;
  const revision = options.revision ?? '';
  const id = fnv1a(
    [
      revision,
      dryRun ? 'dry' : 'wet',
      ...adjusted.map((t) => `${t.id}@${t.wave}${t.skip ? '!' : ''}`),
    ].join('\n'),
  );
  return {
    id,
    tasks: adjusted,
    dryRun,
    skipHooks,
    revision,
    summary: {
      desired: desiredCount,
      apply: applyCount,
      hooks: hookCount,
      prune: pruneCount,
      pruneSkipped,
      prunesEverything: desiredCount === 0 && pruneCount > 0,
    },
  };
}

/**
 * Reverses the waves of prune tasks (symmetric swap over their distinct waves, so dependents are
 * deleted before what they depend on) and moves PruneLast prunes after the last Sync wave.
 */
function adjustPruneWaves(tasks: SyncTask[], pruneLast: ReadonlySet<string>): SyncTask[] {
  const pruneWaves = [...new Set(tasks.filter((t) => t.type === 'prune').map((t) => t.wave))].sort(
    (a, b) => a - b,
  );
  const swap = new Map<number, number>();
  for (let i = 0; i < pruneWaves.length; i++) {
    const w = pruneWaves[i];
    const mirrored = pruneWaves[pruneWaves.length - 1 - i];
    if (w !== undefined && mirrored !== undefined) swap.set(w, mirrored);
  }
  let out = tasks.map((t) => (t.type === 'prune' ? { ...t, wave: swap.get(t.wave) ?? t.wave } : t));
  if (pruneLast.size > 0) {
    const last = out.reduce((m, t) => (t.phase === 'Sync' ? Math.max(m, t.wave) : m), 0) + 1;
    out = out.map((t) => (pruneLast.has(t.id) ? { ...t, wave: last } : t));
  }
  return out;
}

/** Key of a task's object for lookups (generateName hooks: the created name once known). */
export function formatTaskKey(t: SyncTask, name?: string): string {
  return formatResourceKey(name === undefined ? t.key : { ...t.key, name });
}
