/** Unified text diffs for `argocd app diff`. */
import { notImplemented } from '../todo.js';
import type { ResourceDiff } from './types.js';

/** Options of `formatDiffText`. */
export interface DiffTextOptions {
  /** lines of context around each change (default 3) */
  readonly context?: number;
  /** include resources that are not modified (default false) */
  readonly includeUnmodified?: boolean;
}

/**
 * Formats diffs as `argocd app diff` prints them: per modified resource a header
 * `===== <group>/<kind> <namespace>/<name> ======` and a unified diff of the YAML of the normalised
 * live object (`---`) against the predicted live object (`+++`). Secret values are masked.
 */
export function formatDiffText(
  _diffs: readonly ResourceDiff[],
  _options: DiffTextOptions = {},
): string {
  return notImplemented('formatDiffText');
}
