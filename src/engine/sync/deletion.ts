/** App deletion with the resources finalizer (cascade). */
import type { KubeObject } from '../../apis/index.js';
import { notImplemented } from '../todo.js';

/** What a cascade delete does with the app's live objects. */
export interface CascadeDeletionPlan {
  /** objects to delete, in reverse sync order (higher waves and later kinds first) */
  readonly delete: readonly KubeObject[];
  /** objects kept: `Delete=false` sync option, or hooks */
  readonly keep: readonly KubeObject[];
}

/**
 * Plans the deletion of an app's live objects for the `resources-finalizer.argocd.argoproj.io`
 * finalizer: everything tracked by the app except objects with `Delete=false` in
 * `argocd.argoproj.io/sync-options`.
 */
export function planCascadeDeletion(_live: readonly KubeObject[]): CascadeDeletionPlan {
  return notImplemented('planCascadeDeletion');
}
