/**
 * Streams of the applications API (Argo CD's `ApplicationService.Watch` and `WatchResourceTree`),
 * as Server-Sent Events (or newline-delimited JSON without `Accept: text/event-stream`):
 *
 * - `GET /api/v1/stream/applications` (`name`, `projects`, `selector`, `repo`, `appNamespace`,
 *   `resourceVersion`, `fields`): `{"result": {"type": "ADDED|MODIFIED|DELETED", "application": ...}}`.
 *   Without `resourceVersion` (or with `name`) the current apps come first as ADDED, sorted by name,
 *   then every change. RBAC (`applications get`) is checked per event, so a policy change applies at
 *   once. With `fields`, a MODIFIED event whose projection equals that of the app's previous
 *   version is suppressed (nothing the watcher asked for changed).
 * - `GET /api/v1/stream/applications/{name}/resource-tree`: the app's resource tree, sent at once
 *   and again whenever it changes (live objects or the app), at most every `treeDebounceMs`; the
 *   stream ends when the app is deleted or the caller loses access.
 *
 * Every watcher hangs off the ONE Application watch cache of the server (state.ts) through one
 * fan-out listener: a change is serialised once for every watcher that wants the full object.
 */
import type { ApplicationTree } from '../../apis/index.js';
import { errorMessage } from '../../lib/index.js';
import { checkAppNamespace, enforceApp, projectOf, rbacObject } from '../applications/access.js';
import { parseFields } from '../applications/fields.js';
import { appStateFor, type AppState, type StoredApplication } from '../applications/state.js';
import { appFilter, appView } from '../applications/view.js';
import type { RequestContext } from '../context.js';
import type { AppRequest } from '../applications/types.js';
import type { ApiRoutes, ApiService, ServiceDeps } from '../service.js';
import type { CacheChange } from '../state/object-cache.js';
import { openStream, type ResultStream, type StreamOptions } from './sse.js';

type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

const TYPES: Readonly<Record<CacheChange, EventType>> = {
  added: 'ADDED',
  modified: 'MODIFIED',
  deleted: 'DELETED',
};

/** One change, shared by every watcher; each serialisation is computed at most once. */
interface AppEvent {
  readonly type: EventType;
  readonly app: StoredApplication;
  readonly old: StoredApplication | undefined;
  fullJson(): string;
  /** memoised per `fields` selection (watchers of the web UI all ask for the same fields) */
  projected(key: string, make: () => Projected): Projected;
}

interface Projected {
  readonly json: string;
  /** the projection equals that of the previous version: a duplicate for this selection */
  readonly same: boolean;
}

type Watcher = (ev: AppEvent) => void;

function makeEvent(type: EventType, app: StoredApplication, old?: StoredApplication): AppEvent {
  let json: string | undefined;
  let memo: Map<string, Projected> | undefined;
  return {
    type,
    app,
    old,
    fullJson() {
      json ??= JSON.stringify({ type, application: appView(app) });
      return json;
    },
    projected(key, make) {
      memo ??= new Map();
      let p = memo.get(key);
      if (!p) {
        p = make();
        memo.set(key, p);
      }
      return p;
    },
  };
}

const fanouts = new WeakMap<AppState, Set<Watcher>>();

/** The watchers of a server's app cache (one listener on the cache for all of them). */
function watchersOf(state: AppState): Set<Watcher> {
  let set = fanouts.get(state);
  if (!set) {
    const watchers = new Set<Watcher>();
    set = watchers;
    fanouts.set(state, watchers);
    state.apps.onChange((change, obj, old) => {
      if (watchers.size === 0) return;
      const ev = makeEvent(TYPES[change], obj, change === 'deleted' ? undefined : old);
      for (const w of watchers) {
        try {
          w(ev);
        } catch (err) {
          state.deps.log.error({ err: errorMessage(err) }, 'an application watcher failed');
        }
      }
    });
  }
  return set;
}

/** The options of an app stream (SSE/NDJSON) of this server (also the logs stream). */
export function streamOptions(deps: ServiceDeps, state: AppState): StreamOptions {
  return {
    keepaliveMs: state.options.streamKeepaliveMs,
    sessionRecheckMs: state.options.streamSessionRecheckMs,
    sessions: () => deps.sessions,
    anonymousEnabled: () => deps.store.settings().anonymousEnabled,
    shutdownSignal: deps.shutdownSignal,
    log: deps.log,
    now: () => deps.clock.now(),
  };
}

/**
 * `ApplicationService.Watch`: the initial ADDED events and every later change the caller may see,
 * into the stream `open` creates (SSE/NDJSON here, a server-streaming RPC in
 * applications/rpc.ts).
 */
export async function watchApplications(
  ctx: RequestContext,
  state: AppState,
  req: AppRequest,
  open: () => ResultStream,
): Promise<void> {
  checkAppNamespace(state, req.query.get('appNamespace'));
  const filter = appFilter(req.query);
  const fields = parseFields(req.query.all('fields'));
  const fromVersion = req.query.get('resourceVersion');
  await state.appsReady();
  const stream = open();
  const allowed = (app: StoredApplication): boolean =>
    ctx.can('applications', 'get', rbacObject(state, projectOf(app), app.metadata.name ?? ''));
  const envelope = fields.under('result');
  const fieldsKey = JSON.stringify([fields.include, fields.exclude]);
  const deliver = (ev: AppEvent): void => {
    if (!filter.matches(ev.app) || !allowed(ev.app)) return;
    if (fields.empty) {
      stream.sendJson(ev.fullJson());
      return;
    }
    const r = ev.projected(fieldsKey, () => {
      const cur = envelope.apply({ type: ev.type, application: appView(ev.app) });
      let same = false;
      if (ev.type === 'MODIFIED' && ev.old) {
        const prev = envelope.apply({ type: ev.type, application: appView(ev.old) });
        same = JSON.stringify(prev.application) === JSON.stringify(cur.application);
      }
      return { json: JSON.stringify(cur), same };
    });
    // the fields this watcher asked for did not change: nothing to tell it
    if (!r.same) stream.sendJson(r.json);
  };
  if (fromVersion === undefined || filter.name !== undefined) {
    const initial = state.apps
      .list()
      .sort((a, b) => ((a.metadata.name ?? '') < (b.metadata.name ?? '') ? -1 : 1));
    for (const app of initial) deliver(makeEvent('ADDED', app));
  }
  const watchers = watchersOf(state);
  watchers.add(deliver);
  stream.onClose(() => {
    watchers.delete(deliver);
  });
}

function registerAppWatch(routes: ApiRoutes, deps: ServiceDeps, state: AppState): void {
  routes.route({
    method: 'GET',
    path: '/api/v1/stream/applications',
    handler: async (ctx, req) => {
      await watchApplications(ctx, state, req, () =>
        openStream(ctx, req, streamOptions(deps, state)),
      );
      return req.reply;
    },
  });
}

/**
 * `ApplicationService.WatchResourceTree`: the app's tree at once and whenever it changes, into the
 * stream `open` creates; the stream is closed when the app is deleted or access is lost.
 */
export async function watchResourceTree(
  ctx: RequestContext,
  state: AppState,
  req: AppRequest,
  open: () => ResultStream,
): Promise<void> {
  const name = req.params.name ?? '';
  const scope = {
    project: req.query.get('project'),
    appNamespace: req.query.get('appNamespace'),
  };
  let app = await enforceApp(ctx, state, 'get', name, scope);
  let live = await state.live.forApp(app);
  const stream = open();
  let lastJson = '';
  let timer: NodeJS.Timeout | undefined;
  let refreshing = false;
  const sendTree = (): void => {
    let tree: ApplicationTree;
    try {
      tree = state.live.treeFrom(live.handle, app);
    } catch (err) {
      state.deps.log.error(
        { err: errorMessage(err), app: name },
        'failed to build a resource tree',
      );
      return;
    }
    const json = JSON.stringify(tree);
    if (json === lastJson) return;
    lastJson = json;
    stream.sendJson(json);
  };
  const schedule = (): void => {
    if (timer !== undefined || stream.closed) return;
    timer = setTimeout(() => {
      timer = undefined;
      if (refreshing) {
        schedule();
        return;
      }
      refreshing = true;
      // the app may manage new kinds now: follow them before building the tree
      state.live
        .forApp(app)
        .then((l) => {
          live = l;
          sendTree();
        })
        .catch((err: unknown) => {
          state.deps.log.warn(
            { err: errorMessage(err), app: name },
            'failed to refresh a resource tree',
          );
        })
        .finally(() => {
          refreshing = false;
        });
    }, state.options.treeDebounceMs);
  };
  const offLive = live.handle.cache.onResourceUpdated(() => {
    schedule();
  });
  const onApp: Watcher = (ev) => {
    if (ev.app.metadata.name !== name) return;
    if (ev.type === 'DELETED') {
      stream.close('application deleted');
      return;
    }
    if (!ctx.can('applications', 'get', rbacObject(state, projectOf(ev.app), name))) {
      stream.close('access revoked');
      return;
    }
    app = ev.app;
    schedule();
  };
  const watchers = watchersOf(state);
  watchers.add(onApp);
  stream.onClose(() => {
    watchers.delete(onApp);
    offLive();
    if (timer !== undefined) clearTimeout(timer);
  });
  sendTree();
}

function registerTreeWatch(routes: ApiRoutes, deps: ServiceDeps, state: AppState): void {
  routes.route({
    method: 'GET',
    path: '/api/v1/stream/applications/:name/resource-tree',
    handler: async (ctx, req) => {
      await watchResourceTree(ctx, state, req, () =>
        openStream(ctx, req, streamOptions(deps, state)),
      );
      return req.reply;
    },
  });
}

export const streamService: ApiService = {
  name: 'stream',
  register(routes, deps) {
    const state = appStateFor(deps, routes);
    registerAppWatch(routes, deps, state);
    registerTreeWatch(routes, deps, state);
  },
};
