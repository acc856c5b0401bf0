/**
 * Request bodies of sync and rollback (`applicationApplicationSyncRequest`,
 * `applicationApplicationRollbackRequest`) and the `operation` they write, as Argo CD builds it:
 * the sync carries the resolved revision, prune, dry run, strategy, selected resources, the sync
 * options (the request's, else the app's `syncPolicy.syncOptions`), the retry strategy (the
 * request's, else the app's), local manifests and `initiatedBy.username`; a rollback re-syncs the
 * revision and source(s) of one `status.history` entry with the apply strategy.
 */
import { Type, type Static } from 'typebox';
import {
  RetryStrategySchema,
  validate,
  type Application,
  type Operation,
  type SyncOperation,
} from '../../apis/index.js';
import { ApiError } from '../errors.js';

const OptStr = Type.Optional(Type.String());
const OptBool = Type.Optional(Type.Boolean());
const Force = Type.Object({ force: OptBool });
const SyncResourceSchema = Type.Object({
  group: OptStr,
  kind: Type.String(),
  name: Type.String(),
  namespace: OptStr,
});
const orNull = <T extends Parameters<typeof Type.Optional>[0]>(s: T) =>
  Type.Optional(Type.Union([s, Type.Null()]));

export const SyncRequestSchema = Type.Object({
  name: OptStr,
  appNamespace: OptStr,
  project: OptStr,
  revision: OptStr,
  revisions: orNull(Type.Array(Type.String())),
  sourcePositions: orNull(Type.Array(Type.Union([Type.String(), Type.Integer()]))),
  prune: OptBool,
  dryRun: OptBool,
  strategy: orNull(Type.Object({ apply: orNull(Force), hook: orNull(Force) })),
  resources: orNull(Type.Array(SyncResourceSchema)),
  manifests: orNull(Type.Array(Type.String())),
  infos: orNull(Type.Array(Type.Object({ name: Type.String(), value: Type.String() }))),
  syncOptions: orNull(Type.Object({ items: orNull(Type.Array(Type.String())) })),
  retryStrategy: orNull(RetryStrategySchema),
});
export type SyncRequest = Static<typeof SyncRequestSchema>;

export const RollbackRequestSchema = Type.Object({
  name: OptStr,
  appNamespace: OptStr,
  project: OptStr,
  id: Type.Union([Type.Integer(), Type.String({ pattern: '^-?\\d+$' })]),
  prune: OptBool,
  dryRun: OptBool,
});
export type RollbackRequest = Static<typeof RollbackRequestSchema>;

/** Parses a sync body (an empty body is a plain sync to the target revision). */
export function parseSyncRequest(body: unknown): SyncRequest {
  return validate(SyncRequestSchema, body ?? {}, 'sync request');
}

export function parseRollbackRequest(body: unknown): RollbackRequest {
  return validate(RollbackRequestSchema, body ?? {}, 'rollback request');
}

/** Whether automated sync is on (`automated` present and not `enabled: false`). */
export function automatedSyncEnabled(app: Pick<Application, 'spec'>): boolean {
  const a = app.spec.syncPolicy?.automated;
  return a !== undefined && a.enabled !== false;
}

/** Whether an operation is pending or running (a second one is refused). */
export function operationInProgress(app: Pick<Application, 'operation' | 'status'>): boolean {
  if (app.operation !== undefined) return true;
  const phase = app.status?.operationState?.phase;
  return phase === 'Running' || phase === 'Terminating';
}

/**
 * The sync operation for a request. `revisions` are the resolved revision(s): one for a
 * single-source app, one per source otherwise.
 */
export function buildSyncOperation(
  app: Pick<Application, 'spec'>,
  req: SyncRequest,
  resolved: { revision?: string; revisions?: readonly string[] },
  username: string,
): Operation {
  const sync: SyncOperation = {};
  if (resolved.revision !== undefined) sync.revision = resolved.revision;
  if (resolved.revisions !== undefined) sync.revisions = [...resolved.revisions];
  if (req.prune === true) sync.prune = true;
  if (req.dryRun === true) sync.dryRun = true;
  const strategy = req.strategy;
  if (strategy) {
    if (strategy.apply) sync.syncStrategy = { apply: { force: strategy.apply.force ?? false } };
    else if (strategy.hook) sync.syncStrategy = { hook: { force: strategy.hook.force ?? false } };
  }
  if (req.resources && req.resources.length > 0)
    sync.resources = req.resources.map((r) => ({
      group: r.group ?? '',
      kind: r.kind,
      name: r.name,
      ...(r.namespace !== undefined && r.namespace !== '' ? { namespace: r.namespace } : {}),
    }));
  const options = req.syncOptions?.items ?? app.spec.syncPolicy?.syncOptions;
  if (options && options.length > 0) sync.syncOptions = [...options];
  if (req.manifests && req.manifests.length > 0) sync.manifests = [...req.manifests];
  const op: Operation = { sync, initiatedBy: { username } };
  const retry = req.retryStrategy ?? app.spec.syncPolicy?.retry;
  if (retry) op.retry = retry;
  if (req.infos && req.infos.length > 0) op.info = req.infos.map((i) => ({ ...i }));
  return op;
}

/** The rollback operation to history entry `id`; throws the refusals Argo CD gives. */
export function buildRollbackOperation(
  app: Pick<Application, 'spec' | 'status' | 'metadata'>,
  req: RollbackRequest,
  username: string,
): Operation {
  const name = app.metadata.name ?? '';
  if (automatedSyncEnabled(app))
    throw new ApiError(
      'ERR_API_FAILED_PRECONDITION',
      `failed to roll back application ${name}: rollback cannot be initiated when auto-sync is enabled (disable spec.syncPolicy.automated first)`,
    );
  const id = Number(req.id);
  const entry = (app.status?.history ?? []).find((h) => h.id === id);
  if (!entry)
    throw new ApiError(
      'ERR_API_INVALID_ARGUMENT',
      `failed to roll back application ${name}: it has no deployment with id ${id} in status.history`,
    );
  if (!entry.source && (!entry.sources || entry.sources.length === 0))
    throw new ApiError(
      'ERR_API_FAILED_PRECONDITION',
      `failed to roll back application ${name}: history entry ${id} records no source`,
    );
  const sync: SyncOperation = { syncStrategy: { apply: { force: false } } };
  if (entry.revision !== undefined) sync.revision = entry.revision;
  if (entry.revisions) sync.revisions = [...entry.revisions];
  if (entry.source) sync.source = entry.source;
  if (entry.sources) sync.sources = [...entry.sources];
  if (req.prune === true) sync.prune = true;
  if (req.dryRun === true) sync.dryRun = true;
  const options = app.spec.syncPolicy?.syncOptions;
  if (options && options.length > 0) sync.syncOptions = [...options];
  return { sync, initiatedBy: { username } };
}
