/**
 * The sync state machine (≈ gitops-engine `sync_context.go`), pure: the driver calls `stepSync`
 * with the results of the previous actions and a view of live state, and gets the next actions,
 * a wait, or the final result.
 */
import type { ResourceResult } from '../../apis/index.js';
import { notImplemented } from '../todo.js';
import type { SyncPlan, SyncRunOptions, SyncState, SyncStep, SyncStepInput } from './types.js';

/**
 * The initial state of a sync of `plan`.
 * @param nowMs clock reading, recorded for `timeoutMs`
 */
export function startSync(_plan: SyncPlan, _nowMs?: number): SyncState {
  return notImplemented('startSync');
}

/**
 * Advances the sync by one step. Deterministic: the same plan, state and input give the same step.
 * Feed every action's result back in a later call (in any grouping); never call concurrently for
 * one operation.
 * @throws EngineError `ERR_ENGINE_INVALID_SYNC_STATE` when `state` belongs to another plan or a
 *   result names an unknown action.
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
  _plan: SyncPlan,
  _state: SyncState,
  _input: SyncStepInput,
  _options: SyncRunOptions = {},
): SyncStep {
  return notImplemented('stepSync');
}

/**
 * Rebuilds a state from the persisted `operationState.syncResult.resources[]` after a controller
 * restart: tasks with a recorded final result keep it; tasks recorded as running resume waiting;
 * the rest run. Re-plan from the same revision and options first.
 */
export function restoreSyncState(_plan: SyncPlan, _results: readonly ResourceResult[]): SyncState {
  return notImplemented('restoreSyncState');
}

/** The `syncResult.resources[]` of a state. */
export function syncResultResources(_plan: SyncPlan, _state: SyncState): ResourceResult[] {
  return notImplemented('syncResultResources');
}
