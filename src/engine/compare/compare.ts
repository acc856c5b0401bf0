/** App-level comparison (≈ Argo CD `controller/state.go` CompareAppState). */
import { notImplemented } from '../todo.js';
import type { CompareInput, CompareResult } from './types.js';

/**
 * Compares an app's desired state with live state: per resource sync status, health and
 * differences; the app's sync status (hooks and `IgnoreExtraneous` objects excluded) and health
 * (worst of its resources, hooks excluded, Missing for absent desired objects).
 * @example
 * const r = compareAppState({ desired, live: cache.byApp('guestbook') });
 * r.syncStatus; // 'Synced' | 'OutOfSync'
 */
export function compareAppState(_input: CompareInput): CompareResult {
  return notImplemented('compareAppState');
}
