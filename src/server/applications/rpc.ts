/**
 * `application.ApplicationService` over gRPC, gRPC-Web and Connect (docs/server.md, "gRPC, gRPC-Web
 * and Connect"; ADR 0005). Every method turns its protobuf request into the `AppRequest` its REST
 * endpoint reads (path parameters, query, JSON body) and runs the SAME handler: validation, RBAC
 * (missing and forbidden alike), audit and redaction are the REST route's. Objects travel as
 * `google.protobuf.Struct` holding the REST JSON. Watch and WatchResourceTree are server streams fed
 * by the same functions as the SSE streams (src/server/stream/routes.ts).
 */
import type { JsonObject } from '@bufbuild/protobuf';
import {
  ApplicationService,
  type ApplicationQuery,
  type ApplicationResourceRequest,
  type ResourcesQuery,
} from '../gen/argocd/server/application/application_pb.js';
import { serverStream, toListFields, toStruct, unary, type RpcSink } from '../connect.js';
import type { RequestContext } from '../context.js';
import { QueryParams, type ApiRoutes } from '../service.js';
import type { ResultStream } from '../stream/sse.js';
import { watchApplications, watchResourceTree } from '../stream/routes.js';
import type { CrudHandlers } from './crud-routes.js';
import type { OperationHandlers } from './operation-routes.js';
import type { ResourceHandlers } from './resource-routes.js';
import type { AppState } from './state.js';
import type { AppRequest } from './types.js';

type QueryValue = string | bigint | boolean | number | readonly string[] | undefined;

/** The REST request of an RPC: unset, empty and zero (bigint) values count as absent. */
function appRequest(
  params: Readonly<Record<string, string | undefined>>,
  query: Readonly<Record<string, QueryValue>> = {},
  body?: unknown,
): AppRequest {
  const raw: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === '' || v === 0n) continue;
    if (Array.isArray(v)) {
      if (v.length > 0) raw[k] = [...(v as readonly string[])];
    } else raw[k] = String(v);
  }
  return { params, query: new QueryParams(raw), body };
}

function listQuery(q: ApplicationQuery): Record<string, QueryValue> {
  return {
    name: q.name,
    projects: [...q.projects, ...q.project],
    selector: q.selector,
    repo: q.repo,
    appNamespace: q.appNamespace,
    refresh: q.refresh,
    resourceVersion: q.resourceVersion,
    limit: q.limit,
    continue: q.continue,
  };
}

function scopeQuery(q: ResourcesQuery): Record<string, QueryValue> {
  return { project: q.project, appNamespace: q.appNamespace };
}

/** A `ResultStream` (what the SSE stream functions write to) over an RPC sink. */
function resultStream<O>(sink: RpcSink<O>, message: (result: unknown) => O): ResultStream {
  const sendJson = (json: string): void => {
    sink.push(message(JSON.parse(json)));
  };
  return {
    sse: false,
    get closed() {
      return sink.closed;
    },
    send(result) {
      sendJson(JSON.stringify(result));
    },
    sendJson,
    close: (reason) => {
      sink.close(reason);
    },
    onClose: (fn) => {
      sink.onClose(fn);
    },
  };
}

/** The query of the REST routes on `/api/v1/applications/{name}/resource*`. */
function resourceQuery(
  q: Omit<ApplicationResourceRequest, '$typeName'>,
): Record<string, QueryValue> {
  return {
    namespace: q.namespace,
    resourceName: q.resourceName,
    version: q.version,
    group: q.group,
    kind: q.kind,
    appNamespace: q.appNamespace,
    project: q.project,
  };
}

/** A JSON array of objects (credential fields removed, as `toStruct` does). */
function objects(v: unknown): JsonObject[] {
  return toListFields({ items: Array.isArray(v) ? (v as unknown[]) : [] }).items;
}

/** The `manifest` string of a resource answer. */
function manifestOf(v: unknown): string {
  const m = asObject(v).manifest;
  return typeof m === 'string' ? m : '';
}

function asObject(v: unknown): JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as JsonObject) : {};
}

export function registerApplicationRpc(
  routes: ApiRoutes,
  state: AppState,
  h: CrudHandlers & OperationHandlers & ResourceHandlers,
): void {
  const deps = state.deps;
  const call = async (
    handler: (ctx: RequestContext, req: AppRequest) => Promise<unknown>,
    ctx: RequestContext,
    req: AppRequest,
  ) => toStruct(await handler(ctx, req));
  const recheckMs = state.options.streamSessionRecheckMs;
  routes.rpc(ApplicationService, {
    list: unary(deps, async (ctx, q) => {
      const json = await h.list(ctx, appRequest({}, listQuery(q)));
      return toListFields(JSON.parse(json.toString('utf8')) as { items: unknown[] });
    }),
    get: unary(deps, (ctx, q) =>
      call(
        h.get,
        ctx,
        appRequest(
          { name: q.name },
          { refresh: q.refresh, project: q.project[0], appNamespace: q.appNamespace },
        ),
      ),
    ),
    create: unary(deps, (ctx, r) =>
      call(
        h.create,
        ctx,
        appRequest({}, { upsert: r.upsert, validate: r.validate }, r.application ?? {}),
      ),
    ),
    update: unary(deps, (ctx, r) => {
      const app = r.application ?? {};
      const name = asObject(asObject(app).metadata).name;
      return call(
        h.update,
        ctx,
        appRequest(
          { name: typeof name === 'string' ? name : '' },
          { validate: r.validate, project: r.project },
          app,
        ),
      );
    }),
    updateSpec: unary(deps, (ctx, r) =>
      call(
        h.updateSpec,
        ctx,
        appRequest(
          { name: r.name },
          { validate: r.validate, appNamespace: r.appNamespace, project: r.project },
          r.spec ?? {},
        ),
      ),
    ),
    delete: unary(deps, async (ctx, r) => {
      await h.delete(
        ctx,
        appRequest(
          { name: r.name },
          {
            cascade: r.cascade,
            propagationPolicy: r.propagationPolicy,
            appNamespace: r.appNamespace,
            project: r.project,
          },
        ),
      );
      return {};
    }),
    sync: unary(deps, (ctx, r) =>
      call(
        h.sync,
        ctx,
        appRequest(
          { name: r.name },
          {},
          {
            name: r.name,
            revision: r.revision,
            dryRun: r.dryRun,
            prune: r.prune,
            strategy: r.strategy,
            resources: r.resources.length > 0 ? r.resources : undefined,
            manifests: r.manifests.length > 0 ? r.manifests : undefined,
            syncOptions: r.syncOptions ? { items: r.syncOptions.items } : undefined,
            retryStrategy: r.retryStrategy,
            appNamespace: r.appNamespace,
            project: r.project,
            revisions: r.revisions.length > 0 ? r.revisions : undefined,
          },
        ),
      ),
    ),
    rollback: unary(deps, (ctx, r) =>
      call(
        h.rollback,
        ctx,
        appRequest(
          { name: r.name },
          {},
          {
            name: r.name,
            id: Number(r.id),
            dryRun: r.dryRun,
            prune: r.prune,
            appNamespace: r.appNamespace,
            project: r.project,
          },
        ),
      ),
    ),
    terminateOperation: unary(deps, async (ctx, r) => {
      await h.terminateOperation(
        ctx,
        appRequest({ name: r.name }, { appNamespace: r.appNamespace, project: r.project }),
      );
      return {};
    }),
    resourceTree: unary(deps, (ctx, q) =>
      call(h.resourceTree, ctx, appRequest({ name: q.applicationName }, scopeQuery(q))),
    ),
    managedResources: unary(deps, async (ctx, q) => {
      const r = await h.managedResources(
        ctx,
        appRequest(
          { name: q.applicationName },
          { ...scopeQuery(q), group: q.group, kind: q.kind, name: q.name, namespace: q.namespace },
        ),
      );
      return { items: toListFields(asObject(r) as { items: unknown[] }).items };
    }),
    getManifests: unary(deps, (ctx, q) =>
      call(
        h.getManifests,
        ctx,
        appRequest(
          { name: q.name },
          {
            revision: q.revision,
            revisions: q.revisions,
            noCache: q.noCache,
            appNamespace: q.appNamespace,
            project: q.project,
          },
        ),
      ),
    ),
    listResourceEvents: unary(deps, (ctx, q) =>
      call(
        h.listResourceEvents,
        ctx,
        appRequest(
          { name: q.name },
          {
            resourceUID: q.resourceUID,
            resourceName: q.resourceName,
            resourceNamespace: q.resourceNamespace,
            appNamespace: q.appNamespace,
            project: q.project,
          },
        ),
      ),
    ),
    revisionMetadata: unary(deps, (ctx, q) =>
      call(
        h.revisionMetadata,
        ctx,
        appRequest(
          { name: q.name, revision: q.revision },
          { sourceIndex: q.sourceIndex, appNamespace: q.appNamespace, project: q.project },
        ),
      ),
    ),
    patch: unary(deps, (ctx, r) =>
      call(
        h.patch,
        ctx,
        appRequest(
          { name: r.name },
          {},
          {
            name: r.name,
            patch: r.patch,
            patchType: r.patchType,
            appNamespace: r.appNamespace,
            project: r.project,
          },
        ),
      ),
    ),
    getResource: unary(deps, async (ctx, q) => ({
      manifest: manifestOf(
        await h.getResource(ctx, appRequest({ name: q.name }, resourceQuery(q))),
      ),
    })),
    patchResource: unary(deps, async (ctx, r) => ({
      manifest: manifestOf(
        await h.patchResource(
          ctx,
          appRequest(
            { name: r.name },
            { ...resourceQuery(r), patchType: r.patchType },
            r.patch ?? '',
          ),
        ),
      ),
    })),
    deleteResource: unary(deps, async (ctx, r) => {
      await h.deleteResource(
        ctx,
        appRequest({ name: r.name }, { ...resourceQuery(r), force: r.force, orphan: r.orphan }),
      );
      return {};
    }),
    listResourceActions: unary(deps, async (ctx, q) => ({
      actions: objects(
        asObject(await h.listResourceActions(ctx, appRequest({ name: q.name }, resourceQuery(q))))
          .actions,
      ),
    })),
    runResourceAction: unary(deps, async (ctx, r) => {
      await h.runResourceAction(
        ctx,
        appRequest({ name: r.name }, resourceQuery(r), r.action ?? ''),
      );
      return {};
    }),
    listLinks: unary(deps, async (ctx, q) => ({
      items: objects(
        asObject(
          await h.listLinks(
            ctx,
            appRequest({ name: q.name }, { namespace: q.namespace, project: q.project }),
          ),
        ).items,
      ),
    })),
    listResourceLinks: unary(deps, async (ctx, q) => ({
      items: objects(
        asObject(await h.listResourceLinks(ctx, appRequest({ name: q.name }, resourceQuery(q))))
          .items,
      ),
    })),
    getApplicationSyncWindows: unary(deps, async (ctx, q) => {
      const w = asObject(
        await h.syncWindows(
          ctx,
          appRequest({ name: q.name }, { appNamespace: q.appNamespace, project: q.project }),
        ),
      );
      return {
        activeWindows: objects(w.activeWindows),
        assignedWindows: objects(w.assignedWindows),
        canSync: w.canSync === true,
      };
    }),
    watch: serverStream(
      deps,
      (ctx, q: ApplicationQuery, sink) =>
        watchApplications(ctx, state, appRequest({}, listQuery(q)), () =>
          resultStream(sink, (result) => {
            const ev = asObject(result);
            return {
              type: typeof ev.type === 'string' ? ev.type : '',
              // a JSON object with credential fields removed, as `toStruct` does
              application: toListFields({ items: [ev.application] }).items[0] ?? {},
            };
          }),
        ),
      { recheckMs },
    ),
    watchResourceTree: serverStream(
      deps,
      (ctx, q: ResourcesQuery, sink) =>
        watchResourceTree(ctx, state, appRequest({ name: q.applicationName }, scopeQuery(q)), () =>
          resultStream(sink, (result) => toStruct(result)),
        ),
      { recheckMs },
    ),
  });
}
