import type {
  HookDeletePolicy,
  HookType,
  KubeObject,
  OperationPhase,
  ResourceResult,
  ResultCode,
  SyncOperationResource,
  SyncPhase,
} from '../../apis/index.js';
import type { HealthOptions } from '../health/types.js';
import type { ResourceKey } from '../resource/key.js';

/** `PrunePropagationPolicy=` sync option values (lower-case, as Argo CD writes them). */
export type PrunePropagationPolicy = 'foreground' | 'background' | 'orphan';

/** Options of `planSync`: the sync operation and the app's sync policy. */
export interface SyncPlanOptions {
  /** `operation.sync.prune` (or `automated.prune`): delete extraneous objects */
  readonly prune?: boolean;
  /** `operation.sync.dryRun`: server-side dry run only, no hooks, nothing changed */
  readonly dryRun?: boolean;
  /** `operation.sync.resources`: partial sync of these keys only (hooks do not run) */
  readonly resources?: readonly SyncOperationResource[];
  /** `spec.syncPolicy.syncOptions` followed by `operation.sync.syncOptions` (later wins) */
  readonly syncOptions?: readonly string[];
  /** `syncStrategy.apply.force` / `syncStrategy.hook.force` */
  readonly force?: boolean;
  /** `spec.destination.namespace` (for `CreateNamespace=true`) */
  readonly destinationNamespace?: string;
  /** `spec.syncPolicy.managedNamespaceMetadata` for the created namespace */
  readonly managedNamespaceMetadata?: {
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  /** the revision being synced (carried into the result) */
  readonly revision?: string;
  /**
   * the destination namespace exists live (with `CreateNamespace=true`, objects in a namespace the
   * sync creates skip the server dry run, which would answer NotFound; say true to keep it)
   */
  readonly destinationNamespaceExists?: boolean;
}

/** Per-task options, from the app's sync options overlaid by the object's annotation. */
export interface SyncTaskOptions {
  /** `ServerSideApply=true` (the applier always uses SSA; carried for adapters that do not) */
  readonly serverSideApply: boolean;
  /** `Replace=true`: replace (or create) instead of apply */
  readonly replace: boolean;
  /** `Force=true` or `syncStrategy.*.force`: take over conflicting fields / delete and recreate on replace */
  readonly force: boolean;
  /** `Validate=false` turns schema validation off */
  readonly validate: boolean;
  /** skip the server-side dry run (custom resources whose CRD is created by the same sync, `SkipDryRunOnMissingResource=true`) */
  readonly skipDryRun: boolean;
  /** `PrunePropagationPolicy=` (default foreground) */
  readonly prunePropagationPolicy: PrunePropagationPolicy;
}

/** What a task does. */
export type SyncTaskType =
  /** apply the target (server-side apply, or replace with `Replace=true`) */
  | 'apply'
  /** create the hook target in its phase (deleting the previous one first, per its delete policy) */
  | 'hook'
  /** delete an extraneous live object */
  | 'prune';

/**
 * One step of a sync plan. Tasks are ordered by phase (PreSync, Sync, PostSync, SyncFail), wave,
 * kind order (Namespaces and CRDs first, unknown kinds last), then name.
 */
export interface SyncTask {
  /** stable id within the plan: `<phase>:<type>:<group>/<kind>/<namespace>/<name>` */
  readonly id: string;
  readonly type: SyncTaskType;
  /** for hooks with only `generateName`, `name` is '' until created */
  readonly key: ResourceKey;
  readonly version: string;
  readonly phase: SyncPhase;
  /** effective wave (prune waves are reversed; PruneLast prunes run after the last Sync wave) */
  readonly wave: number;
  /** the object to apply or create (apply/hook tasks) */
  readonly target?: KubeObject;
  /** UID of the live object when the plan was made (prune: delete only this UID) */
  readonly liveUid?: string;
  /** hook tasks: the hook type that placed it in `phase` */
  readonly hookType?: HookType;
  /** hook tasks: delete policies (default `[BeforeHookCreation]`) */
  readonly hookDeletePolicies?: readonly HookDeletePolicy[];
  readonly options: SyncTaskOptions;
  /** live differed from desired when planned (apply tasks) */
  readonly modified: boolean;
  /**
   * set when the task is reported but not run: prune disabled or `Prune=false`/`Delete=false`
   * (`PruneSkipped`, "ignored (requires pruning)" / "ignored (no prune)"), or an apply the plan
   * refuses (`SyncFailed`: the live object belongs to another Argo CD installation; the sync then
   * fails before anything is changed)
   */
  readonly skip?: { readonly status: ResultCode; readonly message: string };
}

/** Counts for the controller's safety checks (`allowEmpty`, "would delete everything"). */
export interface SyncPlanSummary {
  /** desired non-hook objects in the plan's scope */
  readonly desired: number;
  readonly apply: number;
  readonly hooks: number;
  /** prune tasks that will run */
  readonly prune: number;
  /** extraneous objects left alone (prune disabled or Prune=false) */
  readonly pruneSkipped: number;
  /** no desired objects and at least one prune: refuse when `allowEmpty` is false */
  readonly prunesEverything: boolean;
}

/** A sync planned as data before anything is applied (deterministic for the same inputs). */
export interface SyncPlan {
  /** fingerprint of the tasks; a `SyncState` belongs to the plan with the same id */
  readonly id: string;
  readonly tasks: readonly SyncTask[];
  readonly dryRun: boolean;
  /** hooks are left out (partial sync) */
  readonly skipHooks: boolean;
  readonly revision: string;
  readonly summary: SyncPlanSummary;
}

/** Lifecycle of one task inside the state machine. */
export type TaskStatus =
  /** not started */
  | 'pending'
  /** the server-side dry run passed */
  | 'dryRunOk'
  /** an action is out; waiting for its result */
  | 'inFlight'
  /** hook: waiting for the previous hook object to be deleted (BeforeHookCreation) */
  | 'awaitingDeletion'
  /** applied / created / deletion requested; waiting for health or hook completion */
  | 'running'
  | 'succeeded'
  | 'failed'
  /** reported without running (PruneSkipped) or not reached (terminated, earlier failure) */
  | 'skipped';

/** Progress of one task (plain JSON). */
export interface TaskState {
  readonly status: TaskStatus;
  /** `ResourceResult.status` once known */
  readonly result?: ResultCode;
  /** `ResourceResult.hookPhase` (hooks) / operation phase of the task */
  readonly operationPhase?: OperationPhase;
  readonly message?: string;
  /** actual name (hooks created with `generateName`) */
  readonly name?: string;
  readonly uid?: string;
  /** `metadata.generation` returned by the apply; health is trusted only from a live object at least this new */
  readonly appliedGeneration?: number;
  /** hook deletion by policy has been requested */
  readonly hookDeleted?: boolean;
}

/** Where the state machine is. */
export type SyncStage =
  /** server-side dry run of every apply task */
  | 'dryRun'
  /** running phases and waves */
  | 'sync'
  /** a failure happened; running SyncFail hooks */
  | 'syncFail'
  /** terminating on request: deleting running hooks */
  | 'terminating'
  | 'done';

/**
 * The persistable state of a running sync (plain JSON; `JSON.parse(JSON.stringify(state))` is an
 * equal state). Pair it with the plan it was started from (same `planId`).
 */
export interface SyncState {
  readonly planId: string;
  readonly stage: SyncStage;
  /** `Running` until done, then `Succeeded`/`Failed`/`Error`; `Terminating` while terminating */
  readonly phase: OperationPhase;
  readonly message: string;
  /** per task id */
  readonly tasks: Readonly<Record<string, TaskState>>;
  /** ids of actions issued and not yet answered */
  readonly outstanding: readonly string[];
  /** the failure that sent the sync to SyncFail hooks */
  readonly failureMessage?: string;
  /** clock reading at `startSync` (for `timeoutMs`) */
  readonly startedAtMs?: number;
}

/** Apply (server-side apply, or replace with `options.replace`) one object. */
export interface ApplyAction {
  readonly type: 'apply';
  /** unique within the operation; echo it in the result */
  readonly id: string;
  readonly taskId: string;
  readonly object: KubeObject;
  readonly dryRun: boolean;
  readonly options: SyncTaskOptions;
}

/** Create one hook object (it may only have `generateName`). */
export interface CreateAction {
  readonly type: 'create';
  readonly id: string;
  readonly taskId: string;
  readonly object: KubeObject;
  readonly dryRun: boolean;
  readonly options: SyncTaskOptions;
}

/** Delete an object: a prune, a hook by delete policy, or a running hook on terminate. */
export interface DeleteAction {
  readonly type: 'delete';
  readonly id: string;
  readonly taskId: string;
  readonly key: ResourceKey;
  readonly version: string;
  /** delete only if the live object still has this UID */
  readonly uid?: string;
  readonly propagationPolicy: 'Foreground' | 'Background' | 'Orphan';
  readonly dryRun: boolean;
  readonly reason: 'prune' | HookDeletePolicy | 'terminate';
}

/** Something the driver must do to the cluster. Actions of one step may run concurrently. */
export type SyncAction = ApplyAction | CreateAction | DeleteAction;

/** The outcome of an action, reported in the next `stepSync` call. */
export interface SyncActionResult {
  /** the action's `id` */
  readonly id: string;
  readonly ok: boolean;
  /** kubectl-style message (`deployment.apps/web serverside-applied`), or what failed; no secret values */
  readonly message: string;
  /** delete: the object was already gone (counts as success) */
  readonly notFound?: boolean;
  /** apply/create: the object the server returned (name of generateName hooks, uid, generation) */
  readonly object?: Pick<KubeObject, 'metadata'>;
}

/** Input of one `stepSync` call. */
export interface SyncStepInput {
  /** results of the actions returned by the previous step(s) */
  readonly results?: readonly SyncActionResult[];
  /** current live object of a key (the cluster cache's `get`) */
  readonly live: (key: ResourceKey) => KubeObject | undefined;
  /** the user asked to terminate the operation */
  readonly terminate?: boolean;
  /** clock reading, for `timeoutMs` */
  readonly nowMs?: number;
}

/** Options of the state machine. */
export interface SyncRunOptions {
  /** fail the operation when it runs longer (needs `nowMs` in inputs; `--sync-timeout`, 0 = never) */
  readonly timeoutMs?: number;
  /** health checks for waves and hooks (the same override as the comparison's) */
  readonly health?: HealthOptions;
}

/** What `stepSync` returns. */
export interface SyncStep {
  readonly state: SyncState;
  /** do these, then call `stepSync` again with their results */
  readonly actions: readonly SyncAction[];
  /**
   * nothing to do until live state changes (a wave is becoming healthy, a hook is running, a hook
   * object is being deleted): call again on the next change of a task's object or after a short
   * delay. Empty when `actions` is non-empty or `done`.
   */
  readonly waitingFor: readonly string[];
  /** the operation is over: `state.phase` is `Succeeded`, `Failed` or `Error` */
  readonly done: boolean;
  readonly phase: OperationPhase;
  readonly message: string;
  /** `operationState.syncResult.resources[]` so far */
  readonly resources: ResourceResult[];
}
