/** App deletion with the resources finalizer (cascade). */
import type { KubeObject } from '../../apis/index.js';
import { resourceKeyOf, compareResourceKeys } from '../resource/key.js';
import { kindRank } from '../resource/order.js';
import { getSyncWave, hasSyncOption } from './annotations.js';

/** What a cascade delete does with the app's live objects. */
export interface CascadeDeletionPlan {
  /** objects to delete, in reverse sync order (higher waves and later kinds first) */
  readonly delete: readonly KubeObject[];
  /** objects kept: `Delete=false` in `argocd.argoproj.io/sync-options` */
  readonly keep: readonly KubeObject[];
}

/**
 * Plans the deletion of an app's live objects for the `resources-finalizer.argocd.argoproj.io`
 * finalizer: everything given (the objects tracked by the app) except objects with `Delete=false`
 * in `argocd.argoproj.io/sync-options`, in reverse sync order. Objects owned by others
 * (ownerReferences) are left to the garbage collector.
 * @example
 * const { delete: doomed } = planCascadeDeletion(cache.byApp('guestbook'));
 */
export function planCascadeDeletion(live: readonly KubeObject[]): CascadeDeletionPlan {
  const del: KubeObject[] = [];
  const keep: KubeObject[] = [];
  for (const o of live) {
    if ((o.metadata.ownerReferences?.length ?? 0) > 0) continue;
    if (hasSyncOption(o, 'Delete=false')) keep.push(o);
    else del.push(o);
  }
  del.sort(
    (a, b) =>
      getSyncWave(b) - getSyncWave(a) ||
      kindRank(b.kind) - kindRank(a.kind) ||
      compareResourceKeys(resourceKeyOf(a), resourceKeyOf(b)),
  );
  return { delete: del, keep };
}
