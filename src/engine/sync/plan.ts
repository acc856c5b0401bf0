/** A sync planned as data (≈ gitops-engine `sync_context.go` getSyncTasks + `sync_tasks.go`). */
import type { CompareResult } from '../compare/types.js';
import { notImplemented } from '../todo.js';
import type { SyncPlan, SyncPlanOptions } from './types.js';

/**
 * Plans a sync from a comparison: apply tasks for desired objects, hook tasks per phase, prune
 * tasks for extraneous objects, a Namespace task for `CreateNamespace=true`, all ordered by phase,
 * wave and kind. Nothing is applied.
 * @example
 * const plan = planSync(compareAppState({ desired, live }), { prune: true, syncOptions: ['CreateNamespace=true'], destinationNamespace: 'web' });
 */
export function planSync(_compare: CompareResult, _options: SyncPlanOptions = {}): SyncPlan {
  return notImplemented('planSync');
}
