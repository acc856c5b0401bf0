/**
 * Tuning of the applications API, its streams and the webhook receiver, with the defaults applied
 * in one place (`resolveApplicationsOptions`). Everything has Argo CD's value where Argo CD has one;
 * tests shorten the timers.
 */

export interface ApplicationsOptions {
  /** SSE keepalive comment interval (Argo CD: 15 s) */
  readonly streamKeepaliveMs?: number;
  /** how often an open stream re-verifies its token (logout, password change, expiry end it) */
  readonly streamSessionRecheckMs?: number;
  /** resource-tree streams recompute at most this often after live changes */
  readonly treeDebounceMs?: number;
  /**
   * `GET /api/v1/applications/{name}?refresh=...` waits at most this long for the controller's
   * next reconciliation before answering with the app as it is
   */
  readonly refreshWaitMs?: number;
  /** webhook requests read at once (`--webhook-parallelism-limit`, 50); more get 503 */
  readonly webhookParallelism?: number;
  /** workers that set refresh annotations after webhooks (`--webhook-refresh-workers`, 20) */
  readonly webhookRefreshWorkers?: number;
  /** refreshes waiting for a worker (Argo CD's queue: 50,000); a full queue answers 503 */
  readonly webhookQueueSize?: number;
  /**
   * The connection used for the in-cluster destination (`https://kubernetes.default.svc`) when no
   * cluster Secret gives credentials for it: by default the server's own client's connection.
   */
  readonly inClusterConnection?: 'server' | 'none';
}

export type ResolvedApplicationsOptions = Required<ApplicationsOptions>;

export const APPLICATIONS_DEFAULTS: ResolvedApplicationsOptions = Object.freeze({
  streamKeepaliveMs: 15_000,
  streamSessionRecheckMs: 2_000,
  treeDebounceMs: 250,
  refreshWaitMs: 10_000,
  webhookParallelism: 50,
  webhookRefreshWorkers: 20,
  webhookQueueSize: 50_000,
  inClusterConnection: 'server',
});

function positive(name: string, v: number | undefined, def: number): number {
  if (v === undefined) return def;
  if (!Number.isFinite(v) || v <= 0)
    throw new TypeError(`ApplicationsOptions.${name} must be a positive number`);
  return v;
}

/** Applies the defaults; throws TypeError for nonsensical values (a caller bug). */
export function resolveApplicationsOptions(
  o: ApplicationsOptions | undefined,
): ResolvedApplicationsOptions {
  const d = APPLICATIONS_DEFAULTS;
  return Object.freeze({
    streamKeepaliveMs: positive('streamKeepaliveMs', o?.streamKeepaliveMs, d.streamKeepaliveMs),
    streamSessionRecheckMs: positive(
      'streamSessionRecheckMs',
      o?.streamSessionRecheckMs,
      d.streamSessionRecheckMs,
    ),
    treeDebounceMs: positive('treeDebounceMs', o?.treeDebounceMs, d.treeDebounceMs),
    refreshWaitMs: positive('refreshWaitMs', o?.refreshWaitMs, d.refreshWaitMs),
    webhookParallelism: positive('webhookParallelism', o?.webhookParallelism, d.webhookParallelism),
    webhookRefreshWorkers: positive(
      'webhookRefreshWorkers',
      o?.webhookRefreshWorkers,
      d.webhookRefreshWorkers,
    ),
    webhookQueueSize: positive('webhookQueueSize', o?.webhookQueueSize, d.webhookQueueSize),
    inClusterConnection: o?.inClusterConnection ?? d.inClusterConnection,
  });
}
