/**
 * Refresh policy, pure: the refresh levels (how much a refresh re-reads), when a refresh writes
 * `status.reconciledAt`, and what a repo server error does within `--repo-error-grace-period-seconds`.
 * Time comes in as arguments. docs/controller.md ("Refresh") states the rules for users.
 */

/**
 * How much of the app a refresh re-reads (≈ Argo CD's CompareWith levels), lowest first:
 * - `recent`: the manifests of the revision last compared (a live object changed);
 * - `periodic`: the revision resolved through the caches (timer, controller start, project or
 *   cluster change); writes `reconciledAt` of an unchanged app only when it is older than the bound;
 * - `latest`: as `periodic`, and always writes `reconciledAt` (app created, spec changed, operation
 *   finished);
 * - `resolve`: the revision resolved anew, bypassing the revision caches (refresh annotation `normal`);
 * - `hard`: as `resolve`, and the manifests generated again (refresh annotation `hard`).
 */
export type RefreshLevel = 'recent' | 'periodic' | 'latest' | 'resolve' | 'hard';

export const REFRESH_LEVEL_ORDER: Readonly<Record<RefreshLevel, number>> = {
  recent: 0,
  periodic: 1,
  latest: 2,
  resolve: 3,
  hard: 4,
};

/** The higher of two levels (a waiting refresh is raised, never lowered). */
export function maxRefreshLevel(a: RefreshLevel, b: RefreshLevel): RefreshLevel {
  return REFRESH_LEVEL_ORDER[b] > REFRESH_LEVEL_ORDER[a] ? b : a;
}

/** Whether the level was asked for explicitly (the refresh annotation). */
export function isRequestedRefresh(level: RefreshLevel): boolean {
  return level === 'resolve' || level === 'hard';
}

/**
 * Default of `--reconciled-at-max-age-seconds` (an argocd-ts flag) in milliseconds: 10 minutes.
 * Argo CD writes `reconciledAt` on every refresh, which is the flag set to 0.
 */
export const DEFAULT_RECONCILED_AT_MAX_AGE_MS = 600_000;

export interface ReconciledAtInput {
  readonly level: RefreshLevel;
  /** the `status.reconciledAt` the app has now */
  readonly previous: string | undefined;
  readonly nowMs: number;
  /** `--reconciled-at-max-age-seconds` in ms; 0 writes it on every non-`recent` refresh */
  readonly maxAgeMs: number;
  /** whether any other field the refresh owns changes (the status is written anyway) */
  readonly statusChanged: boolean;
}

/**
 * Whether a refresh writes `status.reconciledAt` (the time the app was last compared with the
 * latest revision of its sources):
 * - always when the app has none yet;
 * - never on a `recent` refresh (it did not look at the latest revision);
 * - always on `latest`, `resolve` and `hard` (the API server waits for it after a refresh request);
 * - on `periodic`, when the status changes anyway, or when the value is older than `maxAgeMs`
 *   (or unreadable), so a periodic refresh of an unchanged app costs no write most of the time.
 */
export function reconciledAtDue(input: ReconciledAtInput): boolean {
  if (input.previous === undefined) return true;
  switch (input.level) {
    case 'recent':
      return false;
    case 'latest':
    case 'resolve':
    case 'hard':
      return true;
    case 'periodic': {
      if (input.statusChanged || input.maxAgeMs <= 0) return true;
      const at = Date.parse(input.previous);
      return !Number.isFinite(at) || input.nowMs - at >= input.maxAgeMs;
    }
  }
}

export interface RepoErrorInput {
  readonly level: RefreshLevel;
  /** when the app's current run of repo server errors started (undefined: this is the first) */
  readonly firstErrorMs: number | undefined;
  readonly nowMs: number;
  /** `--repo-error-grace-period-seconds` in ms (0 = no grace) */
  readonly graceMs: number;
  /** the app's status holds a comparison (sync status Synced or OutOfSync) worth keeping */
  readonly hasComparison: boolean;
}

/**
 * What a refresh does when the repo server fails to resolve or generate the desired state:
 * `keep` the last good comparison (no ComparisonError; the refresh is retried with backoff) while
 * the app's errors started less than `graceMs` ago, or `report` a ComparisonError (sync status
 * Unknown). As Argo CD, a refresh that was asked for explicitly reports at once; unlike Argo CD,
 * an app that has no comparison yet also reports at once (there is nothing to keep, and a silent
 * new app would hide the problem for the whole grace period).
 */
export function repoErrorAction(input: RepoErrorInput): 'keep' | 'report' {
  if (input.graceMs <= 0 || !input.hasComparison || isRequestedRefresh(input.level))
    return 'report';
  const first = input.firstErrorMs ?? input.nowMs;
  return input.nowMs - first < input.graceMs ? 'keep' : 'report';
}
