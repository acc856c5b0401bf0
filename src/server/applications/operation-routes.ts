/**
 * Operations: sync (`operation.sync` + `initiatedBy.username`, RBAC `sync`, refused while an
 * operation is in progress, while the app is being deleted, or inside a sync window that blocks
 * manual syncs), rollback (RBAC `sync`, or `rollback` with `server.rbac.rollback.enforce.enable`;
 * refused with automated sync on) and terminate (`status.operationState.phase = Terminating`).
 * The controller runs what is written here; the API server never applies anything itself.
 */
import { getSources } from '../../apis/index.js';
import { RepoServerClientError } from '../../reposerver/client.js';
import { errorMessage } from '../../lib/index.js';
import type { RequestContext } from '../context.js';
import { ApiError } from '../errors.js';
import type { ApiRoutes } from '../service.js';
import { enforceApp, enforceMore } from './access.js';
import { auditApp } from './crud-routes.js';
import {
  automatedSyncEnabled,
  buildRollbackOperation,
  buildSyncOperation,
  operationInProgress,
  parseRollbackRequest,
  parseSyncRequest,
  type SyncRequest,
} from './operation.js';
import { resolveRevision, type ResolvedRevision } from './repo.js';
import type { AppState, StoredApplication } from './state.js';
import type { AppHandler } from './types.js';
import { canSync } from './sync-windows.js';
import { windowMatches } from './sync-windows.js';
import { appView } from './view.js';
import { updateApp } from './writes.js';

function busy(name: string): ApiError {
  return new ApiError(
    'ERR_API_FAILED_PRECONDITION',
    `failed to start an operation on application ${name}: another operation is already in progress (terminate it first or wait for it to finish)`,
  );
}

function deleting(name: string): ApiError {
  return new ApiError(
    'ERR_API_FAILED_PRECONDITION',
    `failed to start an operation on application ${name}: the application is being deleted`,
  );
}

/** Refuses a manual sync inside a blocking sync window of the app's project. */
function checkSyncWindows(state: AppState, app: StoredApplication): void {
  const project = state.deps.store.project(app.spec.project || 'default');
  const windows = (project?.spec.syncWindows ?? []).filter((w) => windowMatches(w, app));
  if (!canSync(windows, Date.now(), true))
    throw new ApiError(
      'ERR_API_PERMISSION_DENIED',
      `failed to sync application ${app.metadata.name ?? ''}: cannot sync: blocked by sync window`,
    );
}

/** The revision(s) a sync writes, resolved to commits when a repo server is configured. */
async function resolveSyncRevisions(
  state: AppState,
  app: StoredApplication,
  req: SyncRequest,
): Promise<{ revision?: string; revisions?: string[]; display: string }> {
  const sources = getSources(app.spec);
  const multi = app.spec.sources !== undefined && app.spec.sources.length > 0;
  const wanted = sources.map((s, i) => {
    const explicit = multi ? req.revisions?.[i] : (req.revision ?? req.revisions?.[0]);
    return explicit !== undefined && explicit !== '' ? explicit : (s.targetRevision ?? 'HEAD');
  });
  const client = state.deps.repoServer;
  let resolved: ResolvedRevision[];
  if (req.manifests && req.manifests.length > 0)
    resolved = wanted.map((w) => ({ revision: w, display: 'locally' }));
  else if (!client) resolved = wanted.map((w) => ({ revision: w, display: w }));
  else {
    try {
      resolved = await Promise.all(
        sources.map((s, i) => resolveRevision(client, state.deps.store, s, wanted[i] ?? 'HEAD')),
      );
    } catch (err) {
      if (err instanceof RepoServerClientError && err.code === 'ERR_UNAVAILABLE') throw err;
      throw new ApiError(
        'ERR_API_INVALID_ARGUMENT',
        `failed to sync application ${app.metadata.name ?? ''}: failed to resolve the revision: ${errorMessage(err)}`,
      );
    }
  }
  const display = resolved.map((r) => r.display).join(',');
  return multi
    ? { revisions: resolved.map((r) => r.revision), display }
    : { revision: resolved[0]?.revision ?? 'HEAD', display };
}

/** Writes an operation unless one is in progress (checked again on every write attempt). */
async function setOperation(
  state: AppState,
  name: string,
  operation: NonNullable<StoredApplication['operation']>,
): Promise<StoredApplication> {
  return updateApp(state, name, (current) => {
    if (operationInProgress(current)) throw busy(name);
    if (current.metadata.deletionTimestamp !== undefined) throw deleting(name);
    const next: StoredApplication = { ...current, operation };
    if (next.status?.operationState) {
      const { operationState: _old, ...status } = next.status;
      next.status = status;
    }
    return next;
  });
}

function username(ctx: RequestContext): string {
  return ctx.actor;
}

/** The handlers of operation-routes.ts, for the RPCs (rpc.ts). */
export interface OperationHandlers {
  readonly sync: AppHandler;
  readonly rollback: AppHandler;
  readonly terminateOperation: AppHandler;
}

export function registerOperationRoutes(routes: ApiRoutes, state: AppState): OperationHandlers {
  const sync: AppHandler = async (ctx, req) => {
    const name = req.params.name ?? '';
    const body = parseSyncRequest(req.body);
    const app = await enforceApp(ctx, state, 'sync', name, {
      project: body.project,
      appNamespace: body.appNamespace,
    });
    const local =
      body.manifests !== undefined && body.manifests !== null && body.manifests.length > 0;
    if (local) {
      enforceMore(ctx, state, app, 'override');
      if (automatedSyncEnabled(app) && body.dryRun !== true)
        throw new ApiError(
          'ERR_API_FAILED_PRECONDITION',
          `failed to sync application ${name}: cannot use local sync when Automatic Sync Policy is enabled unless for dry run`,
        );
    }
    if (app.metadata.deletionTimestamp !== undefined) throw deleting(name);
    checkSyncWindows(state, app);
    const resolved = await resolveSyncRevisions(state, app, body);
    const op = buildSyncOperation(
      app,
      body,
      {
        ...(resolved.revision !== undefined ? { revision: resolved.revision } : {}),
        ...(resolved.revisions !== undefined ? { revisions: resolved.revisions } : {}),
      },
      username(ctx),
    );
    const saved = await setOperation(state, name, op);
    const partial = body.resources && body.resources.length > 0 ? 'partial ' : '';
    auditApp(
      ctx,
      state,
      saved,
      'OperationStarted',
      local
        ? `initiated ${partial}sync locally`
        : `initiated ${partial}sync to ${resolved.display}`,
    );
    return appView(saved);
  };
  routes.route({ method: 'POST', path: '/api/v1/applications/:name/sync', handler: sync });

  const rollback: AppHandler = async (ctx, req) => {
    const name = req.params.name ?? '';
    const body = parseRollbackRequest(req.body);
    const cm = state.deps.store.argocdCm()?.data ?? {};
    const action =
      cm['server.rbac.rollback.enforce.enable']?.trim().toLowerCase() === 'true'
        ? 'rollback'
        : 'sync';
    const app = await enforceApp(ctx, state, action, name, {
      project: body.project,
      appNamespace: body.appNamespace,
    });
    if (app.metadata.deletionTimestamp !== undefined) throw deleting(name);
    const op = buildRollbackOperation(app, body, username(ctx));
    const saved = await setOperation(state, name, op);
    auditApp(ctx, state, saved, 'OperationStarted', `initiated rollback to ${String(body.id)}`);
    return appView(saved);
  };
  routes.route({ method: 'POST', path: '/api/v1/applications/:name/rollback', handler: rollback });

  const terminateOperation: AppHandler = async (ctx, req) => {
    const name = req.params.name ?? '';
    const app = await enforceApp(ctx, state, 'sync', name, {
      project: req.query.get('project'),
      appNamespace: req.query.get('appNamespace'),
    });
    const saved = await updateApp(state, name, (current) => {
      const opState = current.status?.operationState;
      if (!current.operation || !opState)
        throw new ApiError(
          'ERR_API_INVALID_ARGUMENT',
          `failed to terminate the operation of application ${name}: no operation is in progress`,
        );
      if (opState.phase === 'Terminating') return undefined;
      return {
        ...current,
        status: { ...current.status, operationState: { ...opState, phase: 'Terminating' } },
      };
    });
    auditApp(
      ctx,
      state,
      saved.metadata.uid ? saved : app,
      'ResourceUpdated',
      'terminated running operation',
    );
    return {};
  };
  routes.route({
    method: 'DELETE',
    path: '/api/v1/applications/:name/operation',
    handler: terminateOperation,
  });
  return { sync, rollback, terminateOperation };
}
