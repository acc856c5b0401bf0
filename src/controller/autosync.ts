/**
 * Automated sync decisions and retry backoff, pure (≈ Argo CD `appcontroller.go` `autoSync` and
 * `RetryStrategy.NextRetryAt`). Time and state come in as arguments.
 *
 * Rules: only when `syncPolicy.automated` is on (`enabled` not false), no operation is in
 * progress, the app is not being deleted and it is OutOfSync. Without `prune`, a sync that would
 * only prune is skipped. The same revision with the same source is never synced twice unless
 * `selfHeal` is on: a failed previous attempt gives a SyncError condition instead; with
 * `selfHeal`, attempts are spaced by `base × factor^attempts` (capped) after the last one finished
 * and sync only the OutOfSync resources. With `prune` and not `allowEmpty`, a sync that would
 * delete every resource is refused with a SyncError condition.
 */
import type {
  Application,
  Operation,
  ResourceStatus,
  RetryStrategy,
  SyncOperationResource,
} from '../apis/index.js';
import { parseDuration } from '../lib/index.js';
import { jsonEqual } from './status-patch.js';

export interface SelfHealBackoff {
  /** `--self-heal-timeout-seconds` (ms); when > 0 a fixed delay replaces the backoff */
  readonly timeoutMs: number;
  readonly baseMs: number;
  readonly factor: number;
  readonly capMs: number;
}

export const DEFAULT_SELF_HEAL_BACKOFF: SelfHealBackoff = {
  timeoutMs: 0,
  baseMs: 2_000,
  factor: 3,
  capMs: 300_000,
};

export type AutoSyncDecision =
  | { readonly action: 'none'; readonly reason: string }
  | { readonly action: 'sync'; readonly operation: Operation; readonly message: string }
  | { readonly action: 'refuse'; readonly message: string }
  | { readonly action: 'wait'; readonly delayMs: number; readonly reason: string };

export interface AutoSyncInput {
  readonly app: Application;
  readonly syncStatus: string;
  /** the revision the comparison used (resolved SHA) */
  readonly revision: string;
  readonly resources: readonly ResourceStatus[];
  readonly now: number;
  readonly selfHeal: SelfHealBackoff;
}

/** Self-heal delay after `attempts` earlier self-heal syncs of the same revision. */
export function selfHealDelayMs(b: SelfHealBackoff, attempts: number): number {
  if (b.timeoutMs > 0) return b.timeoutMs;
  return Math.min(b.capMs, b.baseMs * b.factor ** Math.max(0, attempts));
}

function isAutomated(app: Application): boolean {
  const a = app.spec.syncPolicy?.automated;
  return a !== undefined && a.enabled !== false;
}

function sameSource(app: Application): boolean {
  const st = app.status?.operationState?.syncResult;
  if (!st) return false;
  return jsonEqual(app.spec.source ?? app.spec.sources ?? null, st.source ?? st.sources ?? null);
}

function keyOf(r: ResourceStatus): SyncOperationResource {
  return {
    ...(r.group ? { group: r.group } : {}),
    kind: r.kind ?? '',
    name: r.name ?? '',
    ...(r.namespace ? { namespace: r.namespace } : {}),
  };
}

/** Decides what automated sync does now (see the module comment). */
export function decideAutoSync(input: AutoSyncInput): AutoSyncDecision {
  const { app } = input;
  if (!isAutomated(app)) return { action: 'none', reason: 'automated sync is off' };
  if (app.operation) return { action: 'none', reason: 'an operation is in progress' };
  if (app.metadata.deletionTimestamp) return { action: 'none', reason: 'the app is being deleted' };
  if (input.syncStatus !== 'OutOfSync') return { action: 'none', reason: 'the app is in sync' };
  const auto = app.spec.syncPolicy?.automated ?? {};
  const prune = auto.prune === true;
  const nonHook = input.resources.filter((r) => r.hook !== true);
  const outOfSync = nonHook.filter((r) => r.status === 'OutOfSync');
  if (!prune && outOfSync.length > 0 && outOfSync.every((r) => r.requiresPruning === true))
    return {
      action: 'none',
      reason: 'need to prune extra resources only but automated prune is disabled',
    };
  if (prune && auto.allowEmpty !== true && nonHook.length > 0) {
    if (nonHook.every((r) => r.requiresPruning === true))
      return {
        action: 'refuse',
        message: `Skipping sync attempt to ${input.revision}: auto-sync will wipe out all resources`,
      };
  }
  const sync: NonNullable<Operation['sync']> = {
    revision: input.revision,
    prune,
    ...(app.spec.syncPolicy?.syncOptions ? { syncOptions: app.spec.syncPolicy.syncOptions } : {}),
  };
  const state = app.status?.operationState;
  const attempted =
    state !== undefined && state.syncResult?.revision === input.revision && sameSource(app);
  let op: Operation = {
    sync,
    initiatedBy: { automated: true },
    ...(app.spec.syncPolicy?.retry ? { retry: app.spec.syncPolicy.retry } : {}),
  };
  if (attempted) {
    if (state.phase !== 'Succeeded')
      return {
        action: 'refuse',
        message: `Failed sync attempt to ${input.revision}: ${state.message ?? state.phase}`,
      };
    if (auto.selfHeal !== true)
      return { action: 'none', reason: `already synced to ${input.revision}` };
    const attempts = state.operation.sync?.autoHealAttemptsCount ?? 0;
    const delay = selfHealDelayMs(input.selfHeal, attempts);
    const finished = state.finishedAt ? Date.parse(state.finishedAt) : 0;
    const remaining = finished + delay - input.now;
    if (remaining > 0)
      return {
        action: 'wait',
        delayMs: remaining,
        reason: `self-heal backoff: next attempt in ${Math.ceil(remaining / 1000)}s`,
      };
    op = {
      ...op,
      sync: {
        ...sync,
        autoHealAttemptsCount: attempts + 1,
        resources: outOfSync.filter((r) => r.requiresPruning !== true || prune).map(keyOf),
      },
    };
    return {
      action: 'sync',
      operation: op,
      message: `self-healing: syncing ${outOfSync.length} out-of-sync resource(s) to ${input.revision}`,
    };
  }
  return {
    action: 'sync',
    operation: op,
    message: `initiated automated sync to ${input.revision}`,
  };
}

/** Argo CD's defaults for `retry.backoff`. */
export const DEFAULT_RETRY_BACKOFF = { durationMs: 5_000, factor: 2, maxDurationMs: 180_000 };

function durationOf(text: string | undefined, def: number): number {
  if (text === undefined || text.trim() === '') return def;
  const t = text.trim();
  // Argo CD also accepts a bare number of seconds
  if (/^\d+$/.test(t)) return Number(t) * 1000;
  try {
    return parseDuration(t);
  } catch {
    return def;
  }
}

/**
 * Delay before retry number `retryCount + 1` of a failed operation, or undefined when the retry
 * limit is reached (limit < 0 = unlimited; no retry strategy = no retry).
 */
export function retryDelayMs(
  retry: RetryStrategy | undefined,
  retryCount: number,
): number | undefined {
  if (!retry) return undefined;
  const limit = retry.limit ?? 0;
  if (limit >= 0 && retryCount >= limit) return undefined;
  const base = durationOf(retry.backoff?.duration, DEFAULT_RETRY_BACKOFF.durationMs);
  const factor = retry.backoff?.factor ?? DEFAULT_RETRY_BACKOFF.factor;
  const max = durationOf(retry.backoff?.maxDuration, DEFAULT_RETRY_BACKOFF.maxDurationMs);
  return Math.min(max, base * factor ** retryCount);
}
