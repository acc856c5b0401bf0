/**
 * The sync state machine (≈ gitops-engine `sync_context.go`), pure: the driver calls `stepSync`
 * with the results of the previous actions and a view of live state, and gets the next actions,
 * a wait, or the final result. See docs/engine.md "Driving a sync".
 *
 * Per step:
 * 1. results of earlier actions are folded into the task states;
 * 2. running tasks are checked against live state (health of applied objects, completion of
 *    hooks, disappearance of pruned objects and of hooks deleted before re-creation);
 * 3. the first unfinished (phase, wave) group gets its next batch: prunes, then deletions of old
 *    hooks (BeforeHookCreation), then Namespaces and CRDs, then everything else; a group is done
 *    when each task is applied and healthy, each hook completed and each prune gone;
 * 4. a failure runs the SyncFail hooks and ends the operation Failed; the last group of the Sync
 *    phase ends it without waiting for health when it has no hooks ("no more tasks").
 *
 * Before anything is changed, every apply task is dry-run on the server (skipped for custom
 * resources whose CRD the same sync creates); a failing dry run ends the operation.
 */
import type { KubeObject, OperationPhase, ResourceResult } from '../../apis/index.js';
import { isRecord } from '../../lib/index.js';
import { EngineError } from '../errors.js';
import { getResourceHealth } from '../health/health.js';
import type { HealthOptions, HealthStatus } from '../health/types.js';
import type {
  DeleteAction,
  SyncAction,
  SyncActionResult,
  SyncPlan,
  SyncRunOptions,
  SyncStage,
  SyncState,
  SyncStep,
  SyncStepInput,
  SyncTask,
  TaskState,
} from './types.js';

type Verb =
  'dryrun' | 'apply' | 'create' | 'delete-before' | 'delete-policy' | 'prune' | 'terminate';

const VERBS: ReadonlySet<string> = new Set<Verb>([
  'dryrun',
  'apply',
  'create',
  'delete-before',
  'delete-policy',
  'prune',
  'terminate',
]);

function actionId(taskId: string, verb: Verb): string {
  return `${taskId}#${verb}`;
}

function parseActionId(id: string): [string, Verb] | undefined {
  const i = id.lastIndexOf('#');
  if (i <= 0) return undefined;
  const verb = id.slice(i + 1);
  return VERBS.has(verb) ? [id.slice(0, i), verb as Verb] : undefined;
}

const FINISHED: ReadonlySet<TaskState['status']> = new Set(['succeeded', 'failed', 'skipped']);
const PROPAGATION = {
  foreground: 'Foreground',
  background: 'Background',
  orphan: 'Orphan',
} as const;

/** Kinds applied before the rest of their wave, and waited for. */
function isTier0(kind: string): boolean {
  return kind === 'Namespace' || kind === 'CustomResourceDefinition';
}

/** Kinds whose hooks run until their health says so (others complete once created). */
function isRunToCompletion(obj: KubeObject): boolean {
  return (
    obj.kind === 'Job' ||
    obj.kind === 'Pod' ||
    (obj.kind === 'Workflow' && obj.apiVersion.startsWith('argoproj.io/'))
  );
}

/** Health as the sync sees it: CRDs must be Established before their custom resources apply. */
function syncHealth(obj: KubeObject, opts: HealthOptions): HealthStatus | undefined {
  if (
    obj.kind === 'CustomResourceDefinition' &&
    obj.apiVersion.startsWith('apiextensions.k8s.io/')
  ) {
    const conditions =
      isRecord(obj.status) && Array.isArray(obj.status.conditions) ? obj.status.conditions : [];
    const established = conditions.some(
      (c: unknown) => isRecord(c) && c.type === 'Established' && c.status === 'True',
    );
    return established
      ? { status: 'Healthy' }
      : { status: 'Progressing', message: 'waiting for the CRD to be established' };
  }
  return getResourceHealth(obj, opts);
}

/** Hook phase of a live hook object. */
function hookPhase(
  obj: KubeObject,
  opts: HealthOptions,
): { phase: OperationPhase; message?: string } {
  if (!isRunToCompletion(obj)) return { phase: 'Succeeded' };
  if (obj.kind === 'Workflow') {
    const p = isRecord(obj.status) ? obj.status.phase : undefined;
    const message =
      isRecord(obj.status) && typeof obj.status.message === 'string'
        ? obj.status.message
        : undefined;
    const withMsg = (phase: OperationPhase): { phase: OperationPhase; message?: string } =>
      message === undefined ? { phase } : { phase, message };
    if (p === 'Succeeded') return withMsg('Succeeded');
    if (p === 'Failed' || p === 'Error') return withMsg('Failed');
    return withMsg('Running');
  }
  const h = getResourceHealth(obj, opts);
  const phase: OperationPhase =
    h?.status === 'Healthy' ? 'Succeeded' : h?.status === 'Degraded' ? 'Failed' : 'Running';
  return h?.message === undefined ? { phase } : { phase, message: h.message };
}

/** Mutable working copy of one step. */
class Step {
  readonly tasks: Record<string, TaskState>;
  readonly outstanding: string[];
  readonly actions: SyncAction[] = [];
  readonly waiting: string[] = [];
  stage: SyncStage;
  phase: OperationPhase;
  message: string;
  failureMessage: string | undefined;
  readonly plan: SyncPlan;
  readonly byId: ReadonlyMap<string, SyncTask>;
  readonly input: SyncStepInput;
  readonly health: HealthOptions;

  constructor(plan: SyncPlan, state: SyncState, input: SyncStepInput, health: HealthOptions) {
    this.plan = plan;
    this.byId = new Map(plan.tasks.map((t) => [t.id, t]));
    this.tasks = { ...state.tasks };
    this.outstanding = [...state.outstanding];
    this.stage = state.stage;
    this.phase = state.phase;
    this.message = state.message;
    this.failureMessage = state.failureMessage;
    this.input = input;
    this.health = health;
    this.startedAtMs = state.startedAtMs;
  }

  readonly startedAtMs: number | undefined;

  ts(t: SyncTask): TaskState {
    return this.tasks[t.id] ?? { status: 'pending' };
  }

  set(t: SyncTask, patch: Partial<TaskState>): void {
    this.tasks[t.id] = { ...this.ts(t), ...patch };
  }

  liveOf(t: SyncTask): KubeObject | undefined {
    const ts = this.ts(t);
    const name = ts.name ?? t.key.name;
    if (name === '') return undefined;
    return this.input.live({ ...t.key, name });
  }

  emit(a: SyncAction): void {
    this.actions.push(a);
    this.outstanding.push(a.id);
  }

  emitApply(t: SyncTask, dryRun: boolean): void {
    const target = t.target;
    if (target === undefined) return;
    const verb: Verb = dryRun ? 'dryrun' : t.type === 'hook' ? 'create' : 'apply';
    const id = actionId(t.id, verb);
    const generated = t.type === 'hook' && t.key.name === '';
    this.emit(
      generated
        ? { type: 'create', id, taskId: t.id, object: target, dryRun, options: t.options }
        : { type: 'apply', id, taskId: t.id, object: target, dryRun, options: t.options },
    );
    this.set(t, { status: 'inFlight' });
  }

  emitDelete(
    t: SyncTask,
    verb: 'prune' | 'delete-before' | 'delete-policy' | 'terminate',
    reason: DeleteAction['reason'],
    uid: string | undefined,
    dryRun: boolean,
  ): void {
    const ts = this.ts(t);
    const key = { ...t.key, name: ts.name ?? t.key.name };
    this.emit({
      type: 'delete',
      id: actionId(t.id, verb),
      taskId: t.id,
      key,
      version: t.version,
      ...(uid === undefined ? {} : { uid }),
      propagationPolicy:
        verb === 'prune' ? PROPAGATION[t.options.prunePropagationPolicy] : 'Background',
      dryRun,
      reason,
    });
  }

  finish(phase: OperationPhase, message: string): void {
    this.stage = 'done';
    this.phase = phase;
    this.message = message;
  }

  state(): SyncState {
    return {
      planId: this.plan.id,
      stage: this.stage,
      phase: this.phase,
      message: this.message,
      tasks: this.tasks,
      outstanding: this.outstanding,
      ...(this.failureMessage === undefined ? {} : { failureMessage: this.failureMessage }),
      ...(this.startedAtMs === undefined ? {} : { startedAtMs: this.startedAtMs }),
    };
  }
}

/**
 * The initial state of a sync of `plan`: skipped prunes carry their result from the start.
 * @param nowMs clock reading, recorded for `timeoutMs`
 */
export function startSync(plan: SyncPlan, nowMs?: number): SyncState {
  const tasks: Record<string, TaskState> = {};
  for (const t of plan.tasks) {
    tasks[t.id] =
      t.skip === undefined
        ? { status: 'pending' }
        : { status: 'skipped', result: t.skip.status, message: t.skip.message };
  }
  return {
    planId: plan.id,
    stage: 'dryRun',
    phase: 'Running',
    message: '',
    tasks,
    outstanding: [],
    ...(nowMs === undefined ? {} : { startedAtMs: nowMs }),
  };
}

function applyResult(s: Step, r: SyncActionResult): void {
  const idx = s.outstanding.indexOf(r.id);
  const parsed = parseActionId(r.id);
  const task = parsed === undefined ? undefined : s.byId.get(parsed[0]);
  if (idx < 0 || parsed === undefined || task === undefined) {
    throw new EngineError(
      'ERR_ENGINE_INVALID_SYNC_STATE',
      `failed to apply sync action result "${r.id}": no such action is outstanding; report each result of the last steps exactly once`,
    );
  }
  s.outstanding.splice(idx, 1);
  const verb = parsed[1];
  const ok =
    r.ok ||
    (r.notFound === true &&
      (verb === 'prune' || verb.startsWith('delete') || verb === 'terminate'));
  const failed = (): void => {
    s.set(task, {
      status: 'failed',
      result: 'SyncFailed',
      operationPhase: 'Failed',
      message: r.message,
    });
  };
  switch (verb) {
    case 'dryrun':
      if (!ok) failed();
      else s.set(task, { status: 'dryRunOk', message: r.message });
      return;
    case 'apply':
    case 'create': {
      if (!ok) {
        failed();
        return;
      }
      const meta = r.object?.metadata;
      s.set(task, {
        status: 'running',
        result: 'Synced',
        operationPhase: 'Running',
        message: r.message,
        ...(meta?.name === undefined ? {} : { name: meta.name }),
        ...(meta?.uid === undefined ? {} : { uid: meta.uid }),
        ...(meta?.generation === undefined ? {} : { appliedGeneration: meta.generation }),
      });
      return;
    }
    case 'prune': {
      if (!ok) {
        failed();
        return;
      }
      const done = s.plan.dryRun || r.notFound === true;
      s.set(task, {
        status: done ? 'succeeded' : 'running',
        result: 'Pruned',
        operationPhase: done ? 'Succeeded' : 'Running',
        message: s.plan.dryRun ? 'pruned (dry run)' : 'pruned',
      });
      return;
    }
    case 'delete-before':
      if (!ok) failed();
      else s.set(task, { status: r.notFound === true ? 'pending' : 'awaitingDeletion' });
      return;
    case 'delete-policy':
      s.set(task, { hookDeleted: true });
      return;
    case 'terminate':
      s.set(task, { hookDeleted: true });
      return;
  }
}

/** Checks running tasks against live state. */
function observe(s: Step): void {
  for (const t of s.plan.tasks) {
    const ts = s.ts(t);
    if (ts.status !== 'running' && ts.status !== 'awaitingDeletion') continue;
    const live = s.liveOf(t);
    if (ts.status === 'awaitingDeletion') {
      if (live === undefined || (ts.uid !== undefined && live.metadata.uid !== ts.uid)) {
        const { uid: _uid, ...rest } = ts;
        s.tasks[t.id] = { ...rest, status: 'pending' };
      }
      continue;
    }
    if (t.type === 'prune') {
      if (live === undefined || (t.liveUid !== undefined && live.metadata.uid !== t.liveUid)) {
        s.set(t, { status: 'succeeded', operationPhase: 'Succeeded' });
      }
      continue;
    }
    if (live === undefined) continue;
    if (t.type === 'hook') {
      if (ts.uid !== undefined && live.metadata.uid !== ts.uid) continue;
      const hp = hookPhase(live, s.health);
      if (hp.phase === 'Running') continue;
      const message = hp.message ?? ts.message ?? '';
      s.set(t, {
        status: hp.phase === 'Succeeded' ? 'succeeded' : 'failed',
        operationPhase: hp.phase,
        message,
      });
      const policy = hp.phase === 'Succeeded' ? 'HookSucceeded' : 'HookFailed';
      if (!ts.hookDeleted && (t.hookDeletePolicies ?? []).includes(policy)) {
        s.emitDelete(t, 'delete-policy', policy, live.metadata.uid, false);
      }
      continue;
    }
    if (
      ts.appliedGeneration !== undefined &&
      (live.metadata.generation ?? 0) < ts.appliedGeneration
    ) {
      continue; // the cache has not seen our apply yet
    }
    const h = syncHealth(live, s.health);
    const message = h?.message !== undefined && h.message !== '' ? h.message : (ts.message ?? '');
    if (h === undefined || h.status === 'Healthy' || h.status === 'Suspended') {
      s.set(t, { status: 'succeeded', operationPhase: 'Succeeded', message });
    } else if (h.status === 'Degraded') {
      s.set(t, { status: 'failed', operationPhase: 'Failed', message });
    }
  }
}

function describeWait(s: Step, tasks: readonly SyncTask[], deletion: boolean): string {
  const first = tasks[0];
  if (first === undefined) return '';
  const isHook = first.type === 'hook';
  const waitingFor =
    deletion || first.type === 'prune'
      ? 'deletion of'
      : isHook
        ? 'completion of hook'
        : 'healthy state of';
  const name = s.ts(first).name ?? first.key.name;
  let msg = `waiting for ${waitingFor} ${first.key.group}/${first.key.kind}/${name}`;
  if (tasks.length > 1) msg += ` and ${tasks.length - 1} more ${isHook ? 'hooks' : 'resources'}`;
  return msg;
}

function failureOf(s: Step, tasks: readonly SyncTask[]): string | undefined {
  const failed = tasks.filter((t) => s.ts(t).status === 'failed');
  const first = failed[0];
  if (first === undefined) return undefined;
  const applyFailed = failed.find((t) => s.ts(t).result === 'SyncFailed');
  const reason = s.ts(applyFailed ?? first).message;
  const base = applyFailed
    ? 'one or more objects failed to apply'
    : 'one or more synchronization tasks completed unsuccessfully';
  return reason === undefined || reason === '' ? base : `${base}, reason: ${reason}`;
}

function runDryRun(s: Step): boolean {
  // a task the plan refused (another installation's object) fails the sync before any change
  const refused = s.plan.tasks.find((t) => t.skip?.status === 'SyncFailed');
  if (refused !== undefined) {
    s.finish(
      'Failed',
      `one or more objects failed to apply, reason: ${refused.skip?.message ?? ''}`,
    );
    return true;
  }
  const dry = s.plan.tasks.filter(
    (t) =>
      t.skip === undefined &&
      ((t.type === 'apply' && !t.options.skipDryRun) || (s.plan.dryRun && t.type === 'prune')),
  );
  const pending = dry.filter((t) => s.ts(t).status === 'pending');
  if (pending.length > 0) {
    for (const t of pending) {
      if (t.type === 'prune') s.emitDelete(t, 'prune', 'prune', t.liveUid, true);
      else s.emitApply(t, true);
      if (t.type === 'prune') s.set(t, { status: 'inFlight' });
    }
    s.message = 'running server-side dry run';
    return true;
  }
  const failed = dry.filter((t) => s.ts(t).status === 'failed');
  if (failed.length > 0) {
    s.finish('Failed', 'one or more objects failed to apply (dry run)');
    return true;
  }
  if (s.plan.dryRun) {
    for (const t of s.plan.tasks) {
      const ts = s.ts(t);
      if (ts.status === 'dryRunOk') {
        s.set(t, { status: 'succeeded', result: 'Synced', operationPhase: 'Succeeded' });
      }
    }
    s.finish('Succeeded', 'successfully synced (all tasks run)');
    return true;
  }
  for (const t of dry) if (s.ts(t).status === 'dryRunOk') s.set(t, { status: 'pending' });
  s.stage = 'sync';
  return false;
}

function stageTasks(s: Step): SyncTask[] {
  return s.plan.tasks.filter((t) =>
    s.stage === 'syncFail' ? t.phase === 'SyncFail' : t.phase !== 'SyncFail',
  );
}

function runGroups(s: Step): void {
  for (;;) {
    const all = stageTasks(s);
    const remaining = all.filter((t) => !FINISHED.has(s.ts(t).status));
    const first = remaining[0];
    if (first === undefined) {
      if (s.actions.length > 0) return;
      if (s.stage === 'syncFail') s.finish('Failed', s.failureMessage ?? 'sync failed');
      else s.finish('Succeeded', 'successfully synced (all tasks run)');
      return;
    }
    const group = remaining.filter((t) => t.phase === first.phase && t.wave === first.wave);
    const status = (t: SyncTask): TaskState['status'] => s.ts(t).status;
    if (group.some((t) => status(t) === 'inFlight')) return;

    const prunes = group.filter((t) => t.type === 'prune' && status(t) === 'pending');
    if (prunes.length > 0) {
      for (const t of prunes) {
        s.emitDelete(t, 'prune', 'prune', t.liveUid, false);
        s.set(t, { status: 'inFlight' });
      }
      s.message = `pruning ${prunes.length} resources`;
      return;
    }

    let deleting = false;
    for (const t of group) {
      if (t.type !== 'hook' || status(t) !== 'pending' || t.key.name === '') continue;
      if (!(t.hookDeletePolicies ?? []).includes('BeforeHookCreation')) continue;
      const old = s.liveOf(t);
      if (old === undefined) continue;
      s.emitDelete(t, 'delete-before', 'BeforeHookCreation', old.metadata.uid, false);
      s.set(t, {
        status: 'inFlight',
        ...(old.metadata.uid === undefined ? {} : { uid: old.metadata.uid }),
      });
      deleting = true;
    }
    if (deleting) return;
    const awaiting = group.filter((t) => status(t) === 'awaitingDeletion');
    if (awaiting.length > 0) {
      s.waiting.push(describeWait(s, awaiting, true));
      return;
    }

    const tier0 = group.filter((t) => t.type !== 'prune' && isTier0(t.key.kind));
    const tier0Pending = tier0.filter((t) => status(t) === 'pending');
    if (tier0Pending.length > 0) {
      for (const t of tier0Pending) s.emitApply(t, false);
      return;
    }
    const tier0Running = tier0.filter((t) => status(t) === 'running');
    if (tier0Running.length > 0) {
      s.waiting.push(describeWait(s, tier0Running, false));
      return;
    }

    const pending = group.filter((t) => status(t) === 'pending');
    if (pending.length > 0) {
      for (const t of pending) s.emitApply(t, false);
      return;
    }

    const running = group.filter((t) => status(t) === 'running');
    if (running.length > 0) {
      const last = remaining.every((t) => group.includes(t));
      if (s.stage === 'sync' && last && !group.some((t) => t.type === 'hook')) {
        if (s.actions.length === 0) s.finish('Succeeded', 'successfully synced (no more tasks)');
        return;
      }
      const hooks = running.filter((t) => t.type === 'hook');
      const prunesRunning = running.filter((t) => t.type === 'prune');
      const applies = running.filter((t) => t.type === 'apply');
      if (hooks.length > 0) s.waiting.push(describeWait(s, hooks, false));
      else if (applies.length > 0) s.waiting.push(describeWait(s, applies, false));
      else s.waiting.push(describeWait(s, prunesRunning, true));
      return;
    }
    // every task of the group finished: on to the next group in the same step
  }
}

function terminate(s: Step, reason: string): void {
  if (s.stage !== 'terminating') {
    s.stage = 'terminating';
    s.phase = 'Terminating';
    s.failureMessage = reason;
    for (const t of s.plan.tasks) {
      const ts = s.ts(t);
      if (t.type !== 'hook' || ts.status !== 'running') continue;
      s.emitDelete(t, 'terminate', 'terminate', ts.uid, false);
      s.set(t, { status: 'failed', operationPhase: 'Failed', message: 'Terminated' });
    }
  }
  if (s.outstanding.length === 0) s.finish('Failed', s.failureMessage ?? reason);
}

/**
 * Advances the sync by one step. Deterministic: the same plan, state and input give the same step.
 * Feed every action's result back in a later call (in any grouping; no new actions are issued
 * while some are unanswered); never call concurrently for one operation.
 * @throws EngineError `ERR_ENGINE_INVALID_SYNC_STATE` when `state` belongs to another plan or a
 *   result names an action that is not outstanding.
 * @example
 * let state = startSync(plan);
 * let results: SyncActionResult[] = [];
 * for (;;) {
 *   const step = stepSync(plan, state, { results, live: (k) => cache.get(k) });
 *   state = step.state;
 *   if (step.done) break;
 *   results = await execute(step.actions); // apply/create/delete through the cluster adapter
 *   if (step.actions.length === 0) await nextChange();
 * }
 */
export function stepSync(
  plan: SyncPlan,
  state: SyncState,
  input: SyncStepInput,
  options: SyncRunOptions = {},
): SyncStep {
  if (state.planId !== plan.id) {
    throw new EngineError(
      'ERR_ENGINE_INVALID_SYNC_STATE',
      `failed to step sync: the state belongs to plan ${state.planId}, not ${plan.id}; re-plan with the same revision and options, or restore the state from the operation's results`,
    );
  }
  const s = new Step(plan, state, input, options.health ?? {});
  for (const r of input.results ?? []) applyResult(s, r);
  if (s.stage !== 'done') {
    const timedOut =
      options.timeoutMs !== undefined &&
      options.timeoutMs > 0 &&
      input.nowMs !== undefined &&
      s.startedAtMs !== undefined &&
      input.nowMs - s.startedAtMs > options.timeoutMs;
    if (s.stage === 'terminating' || input.terminate === true || timedOut) {
      terminate(
        s,
        timedOut && input.terminate !== true && s.stage !== 'terminating'
          ? `operation timed out after ${Math.round((options.timeoutMs ?? 0) / 1000)}s`
          : (s.failureMessage ?? 'Operation terminated'),
      );
    } else if (s.outstanding.length === 0) {
      observe(s);
      let handled = false;
      if (s.stage === 'dryRun') handled = runDryRun(s);
      if (!handled && s.stage === 'sync') {
        const failure = failureOf(s, stageTasks(s));
        if (failure !== undefined) {
          s.failureMessage = failure;
          const syncFail = plan.skipHooks ? [] : plan.tasks.filter((t) => t.phase === 'SyncFail');
          if (syncFail.length > 0) s.stage = 'syncFail';
          else {
            if (s.actions.length === 0) s.finish('Failed', failure);
            handled = true;
          }
        }
      }
      if (!handled && s.stage === 'syncFail') {
        const hookFailure = failureOf(s, stageTasks(s));
        if (hookFailure !== undefined) {
          if (s.actions.length === 0) {
            s.finish(
              'Failed',
              `${s.failureMessage ?? 'sync failed'}; SyncFail hooks failed: ${hookFailure}`,
            );
          }
          handled = true;
        }
      }
      if (!handled && (s.stage === 'sync' || s.stage === 'syncFail')) runGroups(s);
    }
  }
  if (s.stage !== 'done' && s.stage !== 'terminating') {
    s.phase = 'Running';
    if (s.waiting.length > 0) s.message = s.waiting.join('; ');
  }
  const done = s.stage === 'done';
  return {
    state: s.state(),
    actions: s.actions,
    waitingFor: done || s.actions.length > 0 ? [] : s.waiting,
    done,
    phase: s.phase,
    message: s.message,
    resources: resultsOf(plan, s.tasks),
  };
}

function resultsOf(plan: SyncPlan, tasks: Readonly<Record<string, TaskState>>): ResourceResult[] {
  const out: ResourceResult[] = [];
  for (const t of plan.tasks) {
    const ts = tasks[t.id];
    if (ts === undefined || (ts.result === undefined && ts.operationPhase === undefined)) continue;
    const name = ts.name ?? t.key.name;
    if (name === '') continue;
    const r: ResourceResult = {
      group: t.key.group,
      version: t.version,
      kind: t.key.kind,
      namespace: t.key.namespace,
      name,
      syncPhase: t.phase,
    };
    if (ts.result !== undefined) r.status = ts.result;
    if (ts.message !== undefined) r.message = ts.message;
    if (t.hookType !== undefined) r.hookType = t.hookType;
    if (ts.operationPhase !== undefined) r.hookPhase = ts.operationPhase;
    out.push(r);
  }
  return out;
}

/** The `syncResult.resources[]` of a state. */
export function syncResultResources(plan: SyncPlan, state: SyncState): ResourceResult[] {
  return resultsOf(plan, state.tasks);
}

/**
 * Rebuilds a state from the persisted `operationState.syncResult.resources[]` after a controller
 * restart: tasks with a recorded final result keep it; tasks recorded as running resume waiting
 * (health, hook completion, deletion); the rest run. Re-plan from the same revision and options
 * first. With no recorded results this is `startSync(plan)`.
 */
export function restoreSyncState(plan: SyncPlan, results: readonly ResourceResult[]): SyncState {
  const base = startSync(plan);
  if (results.length === 0) return base;
  const tasks: Record<string, TaskState> = { ...base.tasks };
  const used = new Set<number>();
  for (const t of plan.tasks) {
    const i = results.findIndex(
      (r, j) =>
        !used.has(j) &&
        r.group === t.key.group &&
        r.kind === t.key.kind &&
        r.namespace === t.key.namespace &&
        (r.syncPhase ?? 'Sync') === t.phase &&
        (r.hookType ?? undefined) === t.hookType &&
        (t.key.name === ''
          ? r.name.startsWith(t.target?.metadata.generateName ?? '\u0000')
          : r.name === t.key.name),
    );
    const r = results[i];
    if (r === undefined) continue;
    used.add(i);
    const phase = r.hookPhase as OperationPhase | undefined;
    let status: TaskState['status'];
    if (r.status === 'PruneSkipped') status = 'skipped';
    else if (r.status === 'SyncFailed' || phase === 'Failed' || phase === 'Error')
      status = 'failed';
    else if (phase === 'Succeeded') status = 'succeeded';
    else status = 'running';
    tasks[t.id] = {
      status,
      ...(r.status === undefined ? {} : { result: r.status as TaskState['result'] & string }),
      ...(phase === undefined ? {} : { operationPhase: phase }),
      ...(r.message === undefined ? {} : { message: r.message }),
      ...(t.key.name === '' ? { name: r.name } : {}),
    };
  }
  // the dry run passed before the results were recorded; a recorded failure sends the next step
  // to the SyncFail hooks again (recorded ones keep their results)
  return { ...base, stage: 'sync', tasks };
}
