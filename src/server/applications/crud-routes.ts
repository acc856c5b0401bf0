/**
 * Applications: list, get (with refresh), create (upsert, validate), update, update spec, patch,
 * delete (cascade, propagation policy). RBAC: `applications` with `<project>/<name>`; a caller
 * without access cannot tell a missing app from a forbidden one (access.ts).
 */
import { isDeepStrictEqual } from 'node:util';
import {
  Annotations,
  Finalizers,
  RefreshTypes,
  type Application,
  type RefreshType,
} from '../../apis/index.js';
import { isAlreadyExists, isNotFound } from '../../kube/index.js';
import type { RequestContext } from '../context.js';
import { ApiError } from '../errors.js';
import { pageRequest, paginate, type Page } from '../pagination.js';
import type { ApiRoutes } from '../service.js';
import { checkAppNamespace, enforceApp, projectOf, rbacObject } from './access.js';
import { parseFields } from './fields.js';
import { applyPatch } from './patch.js';
import { APPLICATIONS, type AppState, type StoredApplication } from './state.js';
import type { AppHandler, AppRequest } from './types.js';
import {
  normalizeApplication,
  parseApplication,
  parseSpec,
  validateApplication,
} from './validation.js';
import { appFilter, appView, listJson } from './view.js';
import { createApp, updateApp } from './writes.js';

/** Audit record about an app (Kubernetes Event with the actor, `security: 1` log). */
export function auditApp(
  ctx: RequestContext,
  state: AppState,
  app: StoredApplication,
  reason: string,
  action: string,
): void {
  state.deps.audit.record(ctx, {
    involvedObject: {
      apiVersion: app.apiVersion,
      kind: app.kind,
      name: app.metadata.name ?? '',
      namespace: app.metadata.namespace ?? state.namespace,
      ...(app.metadata.uid !== undefined ? { uid: app.metadata.uid } : {}),
    },
    reason,
    action,
  });
}

function refreshParam(value: string | undefined): RefreshType | undefined {
  if (value === undefined) return undefined;
  if (value === RefreshTypes.normal || value === RefreshTypes.hard) return value;
  throw new ApiError(
    'ERR_API_INVALID_ARGUMENT',
    `failed to refresh application: refresh must be "normal" or "hard", not "${value.slice(0, 20)}"`,
  );
}

/** Sets the refresh annotation (a merge patch: no conflict with the controller's writes). */
export async function requestRefresh(
  state: AppState,
  name: string,
  level: RefreshType,
): Promise<StoredApplication> {
  const patched = await state.deps.kube.patch<StoredApplication>(
    { ...APPLICATIONS, namespace: state.namespace, name },
    { metadata: { annotations: { [Annotations.refresh]: level } } },
    { type: 'merge' },
  );
  state.apps.observe(patched);
  return patched;
}

/**
 * Waits (at most `refreshWaitMs`) until the controller has handled a refresh requested at
 * `sinceMs`: the annotation is gone and `status.reconciledAt` is not older than the request.
 */
function waitForReconcile(state: AppState, name: string, sinceMs: number): Promise<void> {
  const sinceSec = Math.floor(sinceMs / 1000) * 1000;
  const done = (app: StoredApplication | undefined): boolean => {
    if (!app) return true;
    if (app.metadata.annotations?.[Annotations.refresh] !== undefined) return false;
    const at = Date.parse(app.status?.reconciledAt ?? '');
    return Number.isFinite(at) && at >= sinceSec;
  };
  if (done(state.app(name))) return Promise.resolve();
  return new Promise((resolve) => {
    const finish = (): void => {
      clearTimeout(timer);
      off();
      state.deps.shutdownSignal.removeEventListener('abort', finish);
      resolve();
    };
    const off = state.apps.onChange((change, obj) => {
      if (obj.metadata.name !== name) return;
      if (change === 'deleted' || done(obj)) finish();
    });
    const timer = setTimeout(finish, state.options.refreshWaitMs);
    state.deps.shutdownSignal.addEventListener('abort', finish, { once: true });
  });
}

function scopeOf(req: AppRequest): {
  project: string | undefined;
  appNamespace: string | undefined;
} {
  return { project: req.query.get('project'), appNamespace: req.query.get('appNamespace') };
}

/** `true` unless the query says `validate=false`. */
function validateFlag(req: AppRequest): boolean {
  return req.query.bool('validate') !== false;
}

function sameSpec(a: StoredApplication, b: StoredApplication): boolean {
  const pick = (x: StoredApplication): unknown => [
    x.spec,
    x.metadata.labels ?? {},
    x.metadata.annotations ?? {},
    x.metadata.finalizers ?? [],
  ];
  return isDeepStrictEqual(pick(a), pick(b));
}

/** Copies what a user may change (spec, labels, annotations, finalizers) onto the stored app. */
function withUserFields(current: StoredApplication, next: Application): StoredApplication {
  const metadata = { ...current.metadata };
  if (next.metadata.labels !== undefined) metadata.labels = next.metadata.labels;
  else delete metadata.labels;
  if (next.metadata.annotations !== undefined) metadata.annotations = next.metadata.annotations;
  else delete metadata.annotations;
  if (next.metadata.finalizers !== undefined) metadata.finalizers = next.metadata.finalizers;
  else delete metadata.finalizers;
  return { ...current, metadata, spec: next.spec };
}

/**
 * Validates and stores a new version of an existing app (update, spec, patch): RBAC `update` on
 * the app as stored and, when the project changes, on the new `<project>/<name>` too.
 */
async function validateAndUpdate(
  ctx: RequestContext,
  state: AppState,
  existing: StoredApplication,
  next: Application,
  validateSources: boolean,
  what: string,
): Promise<StoredApplication> {
  const name = existing.metadata.name ?? '';
  const normalized = normalizeApplication(
    state,
    { ...next, metadata: { ...next.metadata, name } },
    what,
  );
  if (projectOf(normalized) !== projectOf(existing))
    ctx.enforce('applications', 'update', rbacObject(state, projectOf(normalized), name));
  await validateApplication(state, normalized, { what, validateSources });
  return updateApp(state, name, (current) => {
    const updated = withUserFields(current, normalized);
    return sameSpec(updated, current) ? undefined : updated;
  });
}

/** The handlers of crud-routes.ts, for the RPCs (rpc.ts). */
export interface CrudHandlers {
  /** answers the list's JSON (UTF-8) */
  readonly list: (ctx: RequestContext, req: AppRequest) => Promise<Buffer>;
  readonly get: AppHandler;
  readonly create: AppHandler;
  readonly update: AppHandler;
  readonly updateSpec: AppHandler;
  readonly delete: AppHandler;
  readonly patch: AppHandler;
}

export function registerCrudRoutes(routes: ApiRoutes, state: AppState): CrudHandlers {
  const list = async (ctx: RequestContext, req: AppRequest): Promise<Buffer> => {
    checkAppNamespace(state, req.query.get('appNamespace'));
    const filter = appFilter(req.query);
    const fields = parseFields(req.query.all('fields'));
    const refresh = refreshParam(req.query.get('refresh'));
    await state.appsReady();
    const allowed = (app: StoredApplication): boolean =>
      filter.matches(app) &&
      ctx.can('applications', 'get', rbacObject(state, projectOf(app), app.metadata.name ?? ''));
    const key = (a: StoredApplication): string => a.metadata.name ?? '';
    const { limit, after } = pageRequest(req.query);
    let page: Page<StoredApplication>;
    if (limit === undefined) {
      page = paginate(state.apps.list().filter(allowed), key, req.query, state.latestVersion());
    } else {
      // a page: walk the apps in name order from the continue point and check only as many as
      // the page needs (no count of the rest: it would cost an RBAC check of every app)
      const names = state.sortedNames();
      const picked: StoredApplication[] = [];
      for (let i = after === undefined ? 0 : upperBound(names, after); i < names.length; i++) {
        const app = state.app(names[i] ?? '');
        if (app && allowed(app)) picked.push(app);
        if (picked.length > limit) break;
      }
      const p = paginate(picked, key, req.query, state.latestVersion());
      const { remainingItemCount: _count, ...metadata } = p.metadata;
      page = { items: p.items, metadata };
    }
    let listed = page.items;
    if (refresh !== undefined) {
      await Promise.all(listed.map((a) => requestRefresh(state, a.metadata.name ?? '', refresh)));
      listed = listed.map((a) => state.app(a.metadata.name ?? '') ?? a);
    }
    return listJson(page.metadata as Record<string, unknown>, listed, fields);
  };
  routes.route({
    method: 'GET',
    path: '/api/v1/applications',
    handler: async (ctx, req) =>
      req.reply.type('application/json; charset=utf-8').send(await list(ctx, req)),
  });

  const get: AppHandler = async (ctx, req) => {
    const name = req.params.name ?? '';
    const refresh = refreshParam(req.query.get('refresh'));
    const app = await enforceApp(ctx, state, 'get', name, scopeOf(req));
    if (refresh === undefined) return appView(app);
    const since = Date.now();
    await requestRefresh(state, name, refresh);
    await waitForReconcile(state, name, since);
    return appView(state.app(name) ?? app);
  };
  routes.route({ method: 'GET', path: '/api/v1/applications/:name', handler: get });

  const create: AppHandler = async (ctx, req) => {
    const what = 'create application';
    const app = normalizeApplication(state, parseApplication(req.body, what), what);
    const name = app.metadata.name ?? '';
    const object = rbacObject(state, projectOf(app), name);
    ctx.enforce('applications', 'create', object);
    if (app.operation !== undefined) ctx.enforce('applications', 'sync', object);
    const upsert = req.query.bool('upsert') === true;
    await validateApplication(state, app, { what, validateSources: validateFlag(req) });
    // server-owned fields are never taken from the caller
    const { status: _status, ...rest } = app;
    const fresh: StoredApplication = {
      ...rest,
      metadata: {
        name,
        namespace: state.namespace,
        ...(app.metadata.labels ? { labels: app.metadata.labels } : {}),
        ...(app.metadata.annotations ? { annotations: app.metadata.annotations } : {}),
        ...(app.metadata.finalizers ? { finalizers: app.metadata.finalizers } : {}),
      },
    };
    try {
      const created = await createApp(state, fresh);
      auditApp(ctx, state, created, 'ResourceCreated', 'created application');
      return appView(created);
    } catch (err) {
      if (!isAlreadyExists(err)) throw err;
    }
    await state.appsReady();
    const existing = state.app(name);
    if (existing && sameSpec(withUserFields(existing, fresh), existing)) return appView(existing);
    if (!upsert)
      throw new ApiError(
        'ERR_API_INVALID_ARGUMENT',
        `failed to create application: existing application spec is different, use upsert flag to force update`,
      );
    const current = await enforceApp(ctx, state, 'update', name);
    const updated = await updateApp(state, name, (cur) => withUserFields(cur, fresh));
    auditApp(ctx, state, current, 'ResourceUpdated', 'updated application');
    return appView(updated);
  };
  routes.route({ method: 'POST', path: '/api/v1/applications', handler: create });

  const update: AppHandler = async (ctx, req) => {
    const what = 'update application';
    const next = parseApplication(req.body, what);
    const name = req.params.name ?? '';
    if (next.metadata.name !== undefined && next.metadata.name !== name)
      throw new ApiError(
        'ERR_API_INVALID_ARGUMENT',
        `failed to update application: the body names "${next.metadata.name}" but the path "${name}"`,
      );
    ctx.enforce('applications', 'update', rbacObject(state, next.spec.project || 'default', name));
    const existing = await enforceApp(ctx, state, 'update', name, scopeOf(req));
    const saved = await validateAndUpdate(ctx, state, existing, next, validateFlag(req), what);
    auditApp(ctx, state, saved, 'ResourceUpdated', 'updated application');
    return appView(saved);
  };
  routes.route({ method: 'PUT', path: '/api/v1/applications/:name', handler: update });

  const updateSpec: AppHandler = async (ctx, req) => {
    const what = 'update application spec';
    const spec = parseSpec(req.body, what);
    const name = req.params.name ?? '';
    const existing = await enforceApp(ctx, state, 'update', name, scopeOf(req));
    const saved = await validateAndUpdate(
      ctx,
      state,
      existing,
      { ...existing, spec },
      validateFlag(req),
      what,
    );
    auditApp(ctx, state, saved, 'ResourceUpdated', 'updated application spec');
    return saved.spec;
  };
  routes.route({ method: 'PUT', path: '/api/v1/applications/:name/spec', handler: updateSpec });

  const patch: AppHandler = async (ctx, req) => {
    const what = 'patch application';
    const name = req.params.name ?? '';
    const body = req.body;
    if (typeof body !== 'object' || body === null)
      throw new ApiError(
        'ERR_API_INVALID_ARGUMENT',
        `failed to ${what}: the body must be a PatchRequest object`,
      );
    const b = body as Record<string, unknown>;
    if (typeof b.patch !== 'string')
      throw new ApiError(
        'ERR_API_INVALID_ARGUMENT',
        `failed to ${what}: "patch" must be a JSON string`,
      );
    const patchType = typeof b.patchType === 'string' ? b.patchType : undefined;
    const existing = await enforceApp(ctx, state, 'update', name, {
      project: typeof b.project === 'string' ? b.project : undefined,
      appNamespace: typeof b.appNamespace === 'string' ? b.appNamespace : undefined,
    });
    const patched = parseApplication(applyPatch(appView(existing), b.patch, patchType), what);
    const saved = await validateAndUpdate(ctx, state, existing, patched, true, what);
    auditApp(ctx, state, saved, 'ResourceUpdated', 'patched application');
    return appView(saved);
  };
  routes.route({ method: 'PATCH', path: '/api/v1/applications/:name', handler: patch });

  const del: AppHandler = async (ctx, req) => {
    const name = req.params.name ?? '';
    const cascade = req.query.bool('cascade');
    const policyRaw = req.query.get('propagationPolicy')?.toLowerCase();
    if (policyRaw !== undefined && !['foreground', 'background', 'orphan'].includes(policyRaw))
      throw new ApiError(
        'ERR_API_INVALID_ARGUMENT',
        `failed to delete application: propagationPolicy must be foreground, background or orphan`,
      );
    if (cascade === false && policyRaw !== undefined && policyRaw !== 'orphan')
      throw new ApiError(
        'ERR_API_INVALID_ARGUMENT',
        'failed to delete application: cannot set propagation policy when cascading is disabled',
      );
    const app = await enforceApp(ctx, state, 'delete', name, scopeOf(req));
    const cascading = cascade !== false && policyRaw !== 'orphan';
    const finalizer =
      policyRaw === 'background' ? Finalizers.resourcesBackground : Finalizers.resources;
    const ours = new Set<string>([
      Finalizers.resources,
      Finalizers.resourcesBackground,
      Finalizers.resourcesForeground,
    ]);
    await updateApp(state, name, (current) => {
      const list = current.metadata.finalizers ?? [];
      const others = list.filter((f) => !ours.has(f));
      const want = cascading ? [...others, finalizer] : others;
      if (JSON.stringify(want) === JSON.stringify(list)) return undefined;
      return { ...current, metadata: { ...current.metadata, finalizers: want } };
    });
    try {
      const res = await state.deps.kube.delete({
        ...APPLICATIONS,
        namespace: state.namespace,
        name,
      });
      const obj = res as Partial<StoredApplication> | undefined;
      if (obj?.metadata?.deletionTimestamp !== undefined && obj.kind === 'Application')
        state.apps.observe(obj as StoredApplication);
      else state.apps.observeDeleted(name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    auditApp(ctx, state, app, 'ResourceDeleted', 'deleted application');
    return {};
  };
  routes.route({ method: 'DELETE', path: '/api/v1/applications/:name', handler: del });
  return { list, get, create, update, updateSpec, delete: del, patch };
}

/** The first index of a sorted list whose value is greater than `after`. */
function upperBound(sorted: readonly string[], after: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] ?? '') <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
