/**
 * Drives the engine's pure sync state machine against a cluster (≈ gitops-engine's sync context
 * driver): plan once per operation (`planSync`), then `stepSync` → execute the actions through
 * `KubeApplier` (server-side dry run first, then server-side apply as `argocd-controller`,
 * creates for hooks, deletes with the task's propagation policy) → feed the results back, until the
 * machine waits for live state (a wave becoming healthy, a hook completing) or is done.
 *
 * Persistence: the plan and state live in memory; what survives a restart is Argo CD's own record,
 * `status.operationState.syncResult.resources[]`. The results of a batch that changed the cluster
 * are written before the next batch runs, or by the caller when the round ends (the completion
 * write when the sync is done, the Running write when it waits), so at most the batch in flight is
 * unrecorded at any time, and a sync finished in one round costs one write, not two. After a
 * restart the operation is re-planned at the same revision and resumed with `restoreSyncState`:
 * finished tasks keep their result, running ones resume waiting, the rest run.
 */
import type { Application, Operation, ResourceResult, OperationPhase } from '../apis/index.js';
import {
  planSync,
  restoreSyncState,
  startSync,
  stepSync,
  type CompareResult,
  type SyncAction,
  type SyncActionResult,
  type SyncPlan,
  type SyncState,
} from '../engine/index.js';
import type { KubeApplier, KubeLog, ResourceResult as KubeResult } from '../kube/index.js';
import type { ResourceKey } from '../kube/index.js';
import type { KubeObject } from '../apis/index.js';
import { errorMessage } from '../lib/index.js';

/** What one driving round ended with. */
export interface SyncStepResult {
  readonly phase: OperationPhase;
  readonly message: string;
  readonly resources: ResourceResult[];
  /** the revision synced */
  readonly revision?: string;
  /** call again after this long (the machine waits for live state) */
  readonly requeueAfterMs?: number;
}

export interface SyncRoundInput {
  readonly app: Application;
  readonly operation: Operation;
  /** identifies the operation (its startedAt): a different one starts a new plan */
  readonly operationKey: string;
  readonly revision: string;
  /** the comparison at the operation's revision (used to plan once) */
  readonly compare: () => CompareResult;
  readonly live: (key: ResourceKey) => KubeObject | undefined;
  readonly applier: KubeApplier;
  /** concurrent requests per batch (`--kubectl-parallelism-limit`) */
  readonly concurrency: number;
  /** `status.operationState.syncResult.resources` persisted by an earlier controller */
  readonly persisted: readonly ResourceResult[] | undefined;
  readonly terminate: boolean;
  readonly nowMs: number;
  readonly timeoutMs: number;
  /** called before a batch of actions when the previous one changed the cluster (persist it) */
  readonly progress: (r: SyncStepResult) => Promise<void>;
  readonly log: KubeLog;
}

interface Running {
  readonly key: string;
  readonly plan: SyncPlan;
  state: SyncState;
  results: SyncActionResult[];
}

/** Longest a round keeps going before yielding the worker (actions are still fed back). */
const MAX_BATCHES_PER_ROUND = 50;

/** Holds the running syncs of this controller (one per app). */
export class SyncRunner {
  private readonly running = new Map<string, Running>();

  /** Whether a sync of `app` is held in memory (planned by this process). */
  isRunning(app: string): boolean {
    return this.running.has(app);
  }

  /** Forgets an app's sync (operation finished or app deleted). */
  forget(app: string): void {
    this.running.delete(app);
  }

  /** Plans (or resumes) and advances the sync of `input.app` as far as it can go now. */
  async round(input: SyncRoundInput): Promise<SyncStepResult> {
    const name = input.app.metadata.name ?? '';
    let r = this.running.get(name);
    if (!r || r.key !== input.operationKey) {
      const plan = planSync(
        input.compare(),
        planOptions(input.app, input.operation, input.revision),
      );
      const state =
        input.persisted && input.persisted.length > 0
          ? restoreSyncState(plan, input.persisted)
          : startSync(plan, input.nowMs);
      r = { key: input.operationKey, plan, state, results: [] };
      this.running.set(name, r);
      input.log('info', 'sync planned', {
        application: name,
        revision: input.revision,
        tasks: plan.tasks.length,
        resumed: input.persisted !== undefined && input.persisted.length > 0,
      });
    }
    // results of executed non-dry-run actions not yet written (see the module comment)
    let unpersisted = false;
    for (let batch = 0; ; batch++) {
      const step = stepSync(
        r.plan,
        r.state,
        {
          results: r.results,
          live: input.live,
          terminate: input.terminate,
          nowMs: input.nowMs,
        },
        input.timeoutMs > 0 ? { timeoutMs: input.timeoutMs } : {},
      );
      r.state = step.state;
      r.results = [];
      const base = {
        message: step.message,
        resources: step.resources,
        revision: r.plan.revision || input.revision,
      };
      if (step.done) {
        this.running.delete(name);
        return { ...base, phase: step.phase };
      }
      if (step.actions.length === 0) return { ...base, phase: step.phase, requeueAfterMs: 1_000 };
      // persist what the earlier batch changed before changing more (a restart resumes from it);
      // a round that ends here instead is persisted by its caller (completion or Running write)
      if (unpersisted) await input.progress({ ...base, phase: step.phase });
      r.results = await execute(input.applier, step.actions, input.concurrency);
      unpersisted = step.actions.some((a) => !a.dryRun);
      if (batch >= MAX_BATCHES_PER_ROUND) return { ...base, phase: step.phase, requeueAfterMs: 0 };
    }
  }
}

/** The engine's plan options from an operation and the app's sync policy. */
export function planOptions(app: Application, op: Operation, revision: string) {
  const sync = op.sync ?? {};
  const policyOptions = app.spec.syncPolicy?.syncOptions ?? [];
  return {
    prune: sync.prune === true,
    dryRun: sync.dryRun === true,
    ...(sync.resources && sync.resources.length > 0 ? { resources: sync.resources } : {}),
    syncOptions: [...policyOptions, ...(sync.syncOptions ?? [])],
    force: sync.syncStrategy?.apply?.force === true || sync.syncStrategy?.hook?.force === true,
    destinationNamespace: app.spec.destination.namespace ?? '',
    ...(app.spec.syncPolicy?.managedNamespaceMetadata
      ? { managedNamespaceMetadata: app.spec.syncPolicy.managedNamespaceMetadata }
      : {}),
    revision,
  };
}

function toResult(id: string, r: KubeResult): SyncActionResult {
  return {
    id,
    ok: r.ok,
    message: r.message,
    ...(r.operation === 'delete' && r.ok && r.message.includes('already deleted')
      ? { notFound: true }
      : {}),
    ...(r.object ? { object: { metadata: r.object.metadata } } : {}),
  };
}

/** Runs one batch of actions concurrently (the applier bounds the concurrency). */
async function execute(
  applier: KubeApplier,
  actions: readonly SyncAction[],
  concurrency: number,
): Promise<SyncActionResult[]> {
  return mapLimit(actions, Math.max(1, concurrency), async (a): Promise<SyncActionResult> => {
    try {
      switch (a.type) {
        case 'apply':
          return toResult(
            a.id,
            a.options.replace
              ? await applier.replace(a.object, { dryRun: a.dryRun })
              : await applier.apply(a.object, { dryRun: a.dryRun, force: true }),
          );
        case 'create':
          return toResult(a.id, await applier.create(a.object, { dryRun: a.dryRun }));
        case 'delete':
          return toResult(
            a.id,
            await applier.delete(
              { ...a.key, version: a.version },
              {
                propagationPolicy: a.propagationPolicy,
                dryRun: a.dryRun,
                ...(a.uid !== undefined ? { uid: a.uid } : {}),
              },
            ),
          );
      }
    } catch (err) {
      return { id: a.id, ok: false, message: errorMessage(err) };
    }
  });
}

/** `fn` over `items` with at most `limit` running at once; results in input order. */
async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
