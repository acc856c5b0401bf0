/**
 * Read paths and live resources of one application: resource tree, managed resources (diffs),
 * manifests, Kubernetes events, sync windows, revision metadata, links, and one live resource
 * (get, patch, delete; RBAC `update/<group>/<kind>/<ns>/<name>` and `delete/...` unless
 * `server.rbac.disableApplicationFineGrainedRBACInheritance: "false"`). Secrets are masked in every
 * object returned; links never carry `javascript:` URLs (there are none configured by default).
 */
import { getSources, type KubeObject } from '../../apis/index.js';
import { hideSecretData, listBuiltinActions, planBuiltinAction } from '../../engine/index.js';
import {
  KubeApiError,
  formatResourceKey,
  resourceKeyOf,
  type ClusterHandle,
  type ResourceKey,
} from '../../kube/index.js';
import { errorMessage, isRecord } from '../../lib/index.js';
import { subResourceAction } from '../../rbac/index.js';
import { RepoServerClientError } from '../../reposerver/client.js';
import type { RequestContext } from '../context.js';
import { ApiError } from '../errors.js';
import { redactText } from '../redact.js';
import type { ApiRoutes } from '../service.js';
import { enforceApp, enforceMore } from './access.js';
import { auditApp } from './crud-routes.js';
import { managedResources, maskManifests, renderApp } from './managed.js';
import { repoServerOf, revisionMetadata } from './repo.js';
import type { AppState, StoredApplication } from './state.js';
import type { AppHandler, AppRequest } from './types.js';
import { syncWindowsOf } from './sync-windows.js';
import { deepLinks } from './links.js';
import { appView } from './view.js';

function scope(req: AppRequest): { project: string | undefined; appNamespace: string | undefined } {
  return { project: req.query.get('project'), appNamespace: req.query.get('appNamespace') };
}

/** The resource named by the query (`group`, `kind`, `namespace`, `resourceName`, `version`). */
function resourceQuery(req: AppRequest): ResourceKey & { version: string | undefined } {
  const kind = req.query.get('kind');
  const name = req.query.get('resourceName');
  if (kind === undefined || name === undefined)
    throw new ApiError(
      'ERR_API_INVALID_ARGUMENT',
      'failed to find the resource: the query needs kind and resourceName (and group, namespace, version)',
    );
  return {
    group: req.query.get('group') ?? '',
    kind,
    namespace: req.query.get('namespace') ?? '',
    name,
    version: req.query.get('version'),
  };
}

const MAX_TREE_NODES = 10_000;

/** What deep-link templates may refer to: the app, its project and its destination cluster. */
function linkContext(state: AppState, app: StoredApplication): Record<string, unknown> {
  const view = appView(app);
  const project = state.deps.store.project(app.spec.project || 'default');
  let cluster: Record<string, unknown> | undefined;
  try {
    const c = state.live.resolveDestination(app.spec.destination);
    cluster = { name: c.name, server: c.server };
  } catch {
    cluster = undefined;
  }
  return {
    app: { metadata: view.metadata, spec: view.spec },
    ...(project ? { project: { metadata: { name: project.metadata.name } } } : {}),
    ...(cluster ? { cluster } : {}),
  };
}

/** The live object `key` when it belongs to the app (managed, or a descendant of one). */
function findInApp(
  state: AppState,
  handle: ClusterHandle,
  app: StoredApplication,
  key: ResourceKey,
): KubeObject | undefined {
  const want = formatResourceKey(key);
  const roots = state.live.managedObjects(handle, app);
  const queue = [...roots];
  const seen = new Set<string>();
  for (let i = 0; i < queue.length && i < MAX_TREE_NODES; i++) {
    const obj = queue[i];
    if (!obj) continue;
    if (formatResourceKey(resourceKeyOf(obj)) === want) return obj;
    const uid = obj.metadata.uid;
    if (uid === undefined || seen.has(uid)) continue;
    seen.add(uid);
    queue.push(...handle.cache.children(uid));
  }
  return undefined;
}

async function liveResource(
  state: AppState,
  app: StoredApplication,
  key: ResourceKey,
): Promise<{ handle: ClusterHandle; cached: KubeObject }> {
  const { handle } = await state.live.forApp(app, [{ group: key.group, kind: key.kind }]);
  const cached = findInApp(state, handle, app, key);
  if (!cached)
    throw new ApiError(
      'ERR_API_NOT_FOUND',
      `failed to find the resource: ${key.kind} ${key.namespace === '' ? '' : `${key.namespace}/`}${key.name} is not part of application ${app.metadata.name ?? ''}`,
    );
  return { handle, cached };
}

/** Fine-grained RBAC for a change to one resource of the app. */
function enforceResourceAction(
  ctx: RequestContext,
  state: AppState,
  app: StoredApplication,
  verb: 'update' | 'delete',
  key: ResourceKey,
): void {
  const cm = state.deps.store.argocdCm()?.data ?? {};
  const inherit =
    cm['server.rbac.disableApplicationFineGrainedRBACInheritance']?.trim().toLowerCase() ===
    'false';
  enforceMore(ctx, state, app, inherit ? verb : subResourceAction(verb, key));
}

function masked(state: AppState, obj: KubeObject): string {
  return JSON.stringify(
    hideSecretData(undefined, obj, undefined, state.deps.store.settings().sensitiveMaskAnnotations)
      .live ?? obj,
  );
}

function kubePatchType(t: string | undefined): 'merge' | 'json' | 'strategic' {
  switch (t) {
    case undefined:
    case 'application/merge-patch+json':
    case 'merge':
      return 'merge';
    case 'application/json-patch+json':
    case 'json':
      return 'json';
    case 'application/strategic-merge-patch+json':
    case 'strategic':
      return 'strategic';
    default:
      throw new ApiError(
        'ERR_API_INVALID_ARGUMENT',
        `failed to patch the resource: patchType "${t.slice(0, 60)}" is not one of application/merge-patch+json, application/json-patch+json, application/strategic-merge-patch+json`,
      );
  }
}

function repoError(err: unknown, what: string): never {
  if (
    err instanceof RepoServerClientError &&
    err.code !== 'ERR_UNAVAILABLE' &&
    err.code !== 'ERR_INTERNAL'
  )
    throw new ApiError('ERR_API_INVALID_ARGUMENT', `failed to ${what}: ${errorMessage(err)}`);
  throw err;
}

/** The handlers of resource-routes.ts, for the RPCs (rpc.ts). */
export interface ResourceHandlers {
  readonly resourceTree: AppHandler;
  readonly managedResources: AppHandler;
  readonly getManifests: AppHandler;
  readonly revisionMetadata: AppHandler;
  readonly listResourceEvents: AppHandler;
  readonly syncWindows: AppHandler;
  readonly listLinks: AppHandler;
  readonly listResourceLinks: AppHandler;
  readonly listResourceActions: AppHandler;
  readonly runResourceAction: AppHandler;
  readonly getResource: AppHandler;
  readonly patchResource: AppHandler;
  readonly deleteResource: AppHandler;
}

export function registerResourceRoutes(routes: ApiRoutes, state: AppState): ResourceHandlers {
  const resourceTree: AppHandler = async (ctx, req) => {
    const app = await enforceApp(ctx, state, 'get', req.params.name ?? '', scope(req));
    return state.live.tree(app);
  };
  routes.route({
    method: 'GET',
    path: '/api/v1/applications/:name/resource-tree',
    handler: resourceTree,
  });

  const managed: AppHandler = async (ctx, req) => {
    const app = await enforceApp(ctx, state, 'get', req.params.name ?? '', scope(req));
    try {
      const items = await managedResources(state, app, {
        group: req.query.get('group'),
        kind: req.query.get('kind'),
        name: req.query.get('name'),
        namespace: req.query.get('namespace'),
      });
      return { items };
    } catch (err) {
      return repoError(err, 'compare the application');
    }
  };
  routes.route({
    method: 'GET',
    path: '/api/v1/applications/:name/managed-resources',
    handler: managed,
  });

  const getManifests: AppHandler = async (ctx, req) => {
    const app = await enforceApp(ctx, state, 'get', req.params.name ?? '', scope(req));
    const revision = req.query.get('revision');
    const revisions = req.query.all('revisions');
    try {
      const r = await renderApp(state, app, {
        ...(revision !== undefined ? { revision } : {}),
        ...(revisions.length > 0 ? { revisions } : {}),
        ...(req.query.bool('noCache') === true ? { noCache: true } : {}),
      });
      return {
        manifests: maskManifests(state, r.manifests),
        namespace: r.namespace,
        server: r.server,
        revision: r.revision,
        sourceType: r.sourceType,
      };
    } catch (err) {
      return repoError(err, 'generate manifests');
    }
  };
  routes.route({
    method: 'GET',
    path: '/api/v1/applications/:name/manifests',
    handler: getManifests,
  });

  const revisionMeta: AppHandler = async (ctx, req) => {
    const app = await enforceApp(ctx, state, 'get', req.params.name ?? '', scope(req));
    const sources = getSources(app.spec);
    const index = req.query.int('sourceIndex') ?? 0;
    const source = sources[index];
    if (!source)
      throw new ApiError(
        'ERR_API_INVALID_ARGUMENT',
        `failed to get revision metadata: source index ${index} is out of range (the app has ${sources.length})`,
      );
    const client = repoServerOf(state.deps.repoServer, 'get revision metadata');
    try {
      const m = await revisionMetadata(client, state.deps.store, source, req.params.revision ?? '');
      return {
        author: m.author,
        date: m.date,
        tags: m.tags,
        message: m.message,
      };
    } catch (err) {
      return repoError(err, 'get revision metadata');
    }
  };
  routes.route({
    method: 'GET',
    path: '/api/v1/applications/:name/revisions/:revision/metadata',
    handler: revisionMeta,
  });

  const syncWindows: AppHandler = async (ctx, req) => {
    const app = await enforceApp(ctx, state, 'get', req.params.name ?? '', scope(req));
    const project = state.deps.store.project(app.spec.project || 'default');
    return syncWindowsOf(project?.spec.syncWindows ?? [], app, Date.now());
  };
  routes.route({
    method: 'GET',
    path: '/api/v1/applications/:name/syncwindows',
    handler: syncWindows,
  });

  const listResourceEvents: AppHandler = async (ctx, req) => {
    const app = await enforceApp(ctx, state, 'get', req.params.name ?? '', scope(req));
    const uid = req.query.get('resourceUID');
    const rname = req.query.get('resourceName');
    const rns = req.query.get('resourceNamespace');
    let namespace: string;
    let selector: string;
    let client = state.deps.kube;
    if (uid === undefined && rname === undefined && rns === undefined) {
      namespace = state.namespace;
      selector = [
        `involvedObject.name=${app.metadata.name ?? ''}`,
        `involvedObject.namespace=${state.namespace}`,
        ...(app.metadata.uid !== undefined ? [`involvedObject.uid=${app.metadata.uid}`] : []),
      ].join(',');
    } else {
      const { handle } = await state.live.forApp(app);
      const tree = state.live.treeFrom(handle, app);
      const found = tree.nodes.some(
        (n) => n.uid === uid && n.name === rname && (n.namespace ?? '') === (rns ?? ''),
      );
      if (!found)
        throw new ApiError(
          'ERR_API_INVALID_ARGUMENT',
          `failed to list events: ${rname ?? ''} is not part of application ${app.metadata.name ?? ''}`,
        );
      namespace = rns ?? '';
      client = handle.client;
      selector = `involvedObject.name=${rname ?? ''},involvedObject.uid=${uid ?? ''},involvedObject.namespace=${namespace}`;
    }
    const list = await client.list(
      { group: '', version: 'v1', resource: 'events', namespace },
      { fieldSelector: selector },
    );
    return {
      metadata: { resourceVersion: list.metadata.resourceVersion ?? '' },
      items: list.items.map((e) => {
        const { managedFields: _m, ...meta } = e.metadata;
        return {
          ...e,
          metadata: meta,
          ...(typeof e.message === 'string' ? { message: redactText(e.message) } : {}),
        };
      }),
    };
  };
  routes.route({
    method: 'GET',
    path: '/api/v1/applications/:name/events',
    handler: listResourceEvents,
  });

  const listLinks: AppHandler = async (ctx, req) => {
    // Argo CD names the app's namespace `namespace` here (ListAppLinksRequest)
    const app = await enforceApp(ctx, state, 'get', req.params.name ?? '', {
      project: req.query.get('project'),
      appNamespace: req.query.get('namespace') ?? req.query.get('appNamespace'),
    });
    return {
      items: deepLinks(
        state.deps.store.argocdCm()?.data?.['application.links'],
        linkContext(state, app),
      ),
    };
  };
  routes.route({ method: 'GET', path: '/api/v1/applications/:name/links', handler: listLinks });

  const listResourceLinks: AppHandler = async (ctx, req) => {
    const key = resourceQuery(req);
    const app = await enforceApp(ctx, state, 'get', req.params.name ?? '', scope(req));
    const raw = state.deps.store.argocdCm()?.data?.['resource.links'];
    if (raw === undefined || raw.trim() === '') return { items: [] };
    const { cached } = await liveResource(state, app, key);
    // only identity fields: a template must not be able to put a Secret value into a URL
    const resource = {
      apiVersion: cached.apiVersion,
      kind: cached.kind,
      metadata: {
        name: cached.metadata.name,
        namespace: cached.metadata.namespace,
        labels: cached.metadata.labels,
        annotations: cached.kind === 'Secret' ? {} : cached.metadata.annotations,
      },
    };
    return { items: deepLinks(raw, { ...linkContext(state, app), resource }) };
  };
  routes.route({
    method: 'GET',
    path: '/api/v1/applications/:name/resource/links',
    handler: listResourceLinks,
  });

  const listResourceActions: AppHandler = async (ctx, req) => {
    const app = await enforceApp(ctx, state, 'get', req.params.name ?? '', scope(req));
    const { cached } = await liveResource(state, app, resourceQuery(req));
    return {
      actions: listBuiltinActions(cached).map((a) => ({
        name: a.name,
        disabled: a.disabled,
        iconClass: a.iconClass,
        displayName: a.displayName,
      })),
    };
  };
  routes.route({
    method: 'GET',
    path: '/api/v1/applications/:name/resource/actions',
    handler: listResourceActions,
  });

  /**
   * Runs a built-in action (v1: resource in the query, the action name as the JSON string body;
   * v2: everything in the body). RBAC: `applications, action/<group>/<kind>/<action>` on the app.
   */
  const runAction = async (
    ctx: RequestContext,
    req: AppRequest,
    v2: boolean,
  ): Promise<Record<string, never>> => {
    const body: unknown = req.body;
    let action: unknown;
    let key: ResourceKey;
    let appScope = scope(req);
    if (v2) {
      if (!isRecord(body))
        throw new ApiError(
          'ERR_API_INVALID_ARGUMENT',
          'failed to run the resource action: the body must be a JSON object with action, kind and resourceName',
        );
      const str = (k: string): string | undefined =>
        typeof body[k] === 'string' ? body[k] : undefined;
      action = body.action;
      const kind = str('kind');
      const name = str('resourceName');
      if (kind === undefined || name === undefined)
        throw new ApiError(
          'ERR_API_INVALID_ARGUMENT',
          'failed to run the resource action: the body needs kind and resourceName (and group, namespace, version)',
        );
      key = { group: str('group') ?? '', kind, namespace: str('namespace') ?? '', name };
      appScope = { project: str('project'), appNamespace: str('appNamespace') };
      if (Array.isArray(body.resourceActionParameters) && body.resourceActionParameters.length > 0)
        throw new ApiError(
          'ERR_API_INVALID_ARGUMENT',
          'failed to run the resource action: the built-in actions take no parameters; remove resourceActionParameters',
        );
    } else {
      action = body;
      key = resourceQuery(req);
    }
    if (typeof action !== 'string' || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(action))
      throw new ApiError(
        'ERR_API_INVALID_ARGUMENT',
        'failed to run the resource action: give the action name (lower-case letters, digits and dashes), e.g. "restart"',
      );
    const app = await enforceApp(ctx, state, 'get', req.params.name ?? '', appScope);
    enforceMore(ctx, state, app, `action/${key.group}/${key.kind}/${action}`);
    const { handle, cached } = await liveResource(state, app, key);
    const plan = planBuiltinAction(cached, action, new Date());
    if ('refused' in plan)
      throw new ApiError(
        'ERR_API_INVALID_ARGUMENT',
        `failed to run the resource action: ${plan.refused}`,
      );
    const ref = await handle.client.refFor(cached);
    try {
      await handle.client.patch(ref, plan.patch, { type: 'merge' });
    } catch (err) {
      if (!(err instanceof KubeApiError) || err.status === 0 || err.status >= 500) throw err;
      throw new ApiError(
        err.status === 404 ? 'ERR_API_NOT_FOUND' : 'ERR_API_INVALID_ARGUMENT',
        `failed to run the resource action: the cluster refused it (${err.status} ${err.reason ?? 'Invalid'})`,
      );
    }
    auditApp(
      ctx,
      state,
      app,
      'ResourceActionRan',
      `ran action ${action} on resource ${key.group}/${key.kind}/${key.namespace}/${key.name}`,
    );
    return {};
  };
  const runResourceAction: AppHandler = (ctx, req) => runAction(ctx, req, false);
  const runResourceActionV2: AppHandler = (ctx, req) => runAction(ctx, req, true);
  routes.route({
    method: 'POST',
    path: '/api/v1/applications/:name/resource/actions',
    handler: runResourceAction,
  });
  routes.route({
    method: 'POST',
    path: '/api/v1/applications/:name/resource/actions/v2',
    handler: runResourceActionV2,
  });

  const getResource: AppHandler = async (ctx, req) => {
    const key = resourceQuery(req);
    const app = await enforceApp(ctx, state, 'get', req.params.name ?? '', scope(req));
    const { handle, cached } = await liveResource(state, app, key);
    const ref = await handle.client.refFor(cached);
    const live = await handle.client.get(ref);
    return { manifest: masked(state, live) };
  };
  routes.route({
    method: 'GET',
    path: '/api/v1/applications/:name/resource',
    handler: getResource,
  });

  const patchResource: AppHandler = async (ctx, req) => {
    const key = resourceQuery(req);
    const app = await enforceApp(ctx, state, 'get', req.params.name ?? '', scope(req));
    enforceResourceAction(ctx, state, app, 'update', key);
    let patch: unknown = req.body;
    if (typeof patch === 'string') {
      try {
        patch = JSON.parse(patch);
      } catch {
        throw new ApiError(
          'ERR_API_INVALID_ARGUMENT',
          'failed to patch the resource: the patch is not valid JSON',
        );
      }
    }
    if (!isRecord(patch) && !Array.isArray(patch))
      throw new ApiError(
        'ERR_API_INVALID_ARGUMENT',
        'failed to patch the resource: the patch must be a JSON object or array',
      );
    const type = kubePatchType(req.query.get('patchType'));
    const { handle, cached } = await liveResource(state, app, key);
    const ref = await handle.client.refFor(cached);
    let saved: KubeObject;
    try {
      saved = await handle.client.patch(ref, patch, { type });
    } catch (err) {
      // the API server's message may quote the patched object (a Secret, GO-2025-3433): it is
      // logged redacted, the client gets the status and reason only
      if (!(err instanceof KubeApiError) || err.status === 0 || err.status >= 500) throw err;
      state.deps.log.info(
        { err: redactText(err.message), kind: key.kind, name: key.name },
        'the cluster refused a resource patch',
      );
      throw new ApiError(
        err.status === 404
          ? 'ERR_API_NOT_FOUND'
          : err.status === 409
            ? 'ERR_API_CONFLICT'
            : 'ERR_API_INVALID_ARGUMENT',
        `failed to patch ${key.kind} ${key.name}: the cluster refused the patch (${err.status} ${err.reason ?? 'Invalid'}); check that it is valid for this kind`,
      );
    }
    auditApp(
      ctx,
      state,
      app,
      'ResourceUpdated',
      `patched resource ${key.group}/${key.kind} '${key.name}'`,
    );
    return { manifest: masked(state, saved) };
  };
  routes.route({
    method: 'POST',
    path: '/api/v1/applications/:name/resource',
    sensitive: true,
    handler: patchResource,
  });

  const deleteResource: AppHandler = async (ctx, req) => {
    const key = resourceQuery(req);
    const app = await enforceApp(ctx, state, 'get', req.params.name ?? '', scope(req));
    enforceResourceAction(ctx, state, app, 'delete', key);
    const { handle, cached } = await liveResource(state, app, key);
    const ref = await handle.client.refFor(cached);
    const orphan = req.query.bool('orphan') === true;
    const force = req.query.bool('force') === true;
    await handle.client.delete(ref, {
      propagationPolicy: orphan ? 'Orphan' : force ? 'Background' : 'Foreground',
      ...(force ? { gracePeriodSeconds: 0 } : {}),
    });
    auditApp(
      ctx,
      state,
      app,
      'ResourceDeleted',
      `deleted resource ${key.group}/${key.kind} '${key.name}'`,
    );
    return {};
  };
  routes.route({
    method: 'DELETE',
    path: '/api/v1/applications/:name/resource',
    handler: deleteResource,
  });
  return {
    resourceTree,
    managedResources: managed,
    getManifests,
    revisionMetadata: revisionMeta,
    listResourceEvents,
    syncWindows,
    listLinks,
    listResourceLinks,
    listResourceActions,
    runResourceAction,
    getResource,
    patchResource,
    deleteResource,
  };
}
