/**
 * `GET /api/v1/applications/{name}/logs` (Argo CD's `PodLogs`): the container logs of the app's
 * pods, read through the destination cluster's pod log API (`pods/<name>/log`), as a stream of
 * `{"result": LogEntry}` messages (SSE with `Accept: text/event-stream`, NDJSON otherwise; NOT under
 * `/stream`), ended by an entry with `last: true`.
 *
 * - RBAC: `applications, get` on `<project>/<name>` (a forbidden app answers as a missing one),
 *   then `logs, get` on the same object.
 * - Which pods: `podName` (must be one of the app's pods), or `kind`/`resourceName` (`group`,
 *   `namespace`): the pods below that resource in the app's tree; otherwise every pod of the app;
 *   at most `MAX_PODS`.
 * - `container`, `follow`, `tailLines`, `sinceSeconds`, `sinceTime.seconds`, `previous` go to the pod
 *   log API (without `follow`, at most `MAX_LOG_BYTES` per pod); `untilTime` (RFC 3339) drops later lines; `filter` keeps lines containing it
 *   (`!text`: lines not containing it), case-insensitive unless `matchCase`.
 * - Every pod's log is opened before the stream starts, so an error of the Kubernetes API (no such
 *   container, a pod that never ran: "does not have a host assigned") is answered as an API error
 *   with the cluster's message (redacted), not as an empty stream.
 */
import { createInterface } from 'node:readline';
import type { IncomingMessage } from 'node:http';
import type { ResourceNode } from '../../apis/index.js';
import { KubeApiError, resourcePath } from '../../kube/index.js';
import { errorMessage } from '../../lib/index.js';
import { ApiError, type ApiErrorCode } from '../errors.js';
import { redactText } from '../redact.js';
import type { ApiRoutes } from '../service.js';
import { openStream } from '../stream/sse.js';
import { streamOptions } from '../stream/routes.js';
import { enforceApp, projectOf, rbacObject } from './access.js';
import type { AppState } from './state.js';
import type { AppRequest } from './types.js';

/** Most pods whose logs one request reads (Argo CD's default `maxPodLogsToRender`). */
export const MAX_PODS = 10;
const MAX_TAIL_LINES = 100_000;
/** Most bytes read of one pod's log when not following (the pod log API's `limitBytes`). */
const MAX_LOG_BYTES = 16 * 1024 * 1024;

/** `v1alpha1`-style LogEntry (application.LogEntry). */
export interface LogEntry {
  content: string;
  timeStamp?: string;
  timeStampStr?: string;
  podName: string;
  last: boolean;
}

interface PodRef {
  readonly namespace: string;
  readonly name: string;
}

function wholeNumber(req: AppRequest, name: string, max: number): number | undefined {
  const raw = req.query.get(name);
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw new ApiError(
      'ERR_API_INVALID_ARGUMENT',
      `failed to get logs: ${name} must be a whole number from 0 to ${max}`,
    );
  return n === 0 ? undefined : n;
}

/** Splits a `timestamps=true` log line: `<RFC 3339 nano> <content>`. */
export function parseLogLine(line: string): { timeStamp: string | undefined; content: string } {
  const sp = line.indexOf(' ');
  const ts = sp > 0 ? line.slice(0, sp) : '';
  if (/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(ts))
    return { timeStamp: ts, content: line.slice(sp + 1) };
  return { timeStamp: undefined, content: line };
}

/** The `filter` of Argo CD's log viewer: substring, `!` negates, case-insensitive by default. */
export function logFilter(
  filter: string | undefined,
  matchCase: boolean,
): (content: string) => boolean {
  if (filter === undefined || filter === '') return () => true;
  const negate = filter.startsWith('!');
  const text = negate ? filter.slice(1) : filter;
  const needle = matchCase ? text : text.toLowerCase();
  return (content) => {
    const hay = matchCase ? content : content.toLowerCase();
    return hay.includes(needle) !== negate;
  };
}

/** The pods of `nodes` selected by the query (see the module comment). */
export function selectPods(
  nodes: readonly ResourceNode[],
  q: {
    podName?: string | undefined;
    namespace?: string | undefined;
    group?: string | undefined;
    kind?: string | undefined;
    resourceName?: string | undefined;
  },
): PodRef[] {
  const isPod = (n: ResourceNode): boolean => n.kind === 'Pod' && (n.group ?? '') === '';
  const pods = nodes.filter(isPod);
  if (q.podName !== undefined && q.podName !== '')
    return pods
      .filter(
        (p) => p.name === q.podName && (q.namespace === undefined || q.namespace === p.namespace),
      )
      .map((p) => ({ namespace: p.namespace ?? '', name: p.name ?? '' }));
  if (q.kind === undefined || q.kind === '' || q.resourceName === undefined)
    return pods.map((p) => ({ namespace: p.namespace ?? '', name: p.name ?? '' }));
  const byUid = new Map<string, ResourceNode>();
  for (const n of nodes) if (n.uid !== undefined) byUid.set(n.uid, n);
  const selected = (n: ResourceNode): boolean =>
    n.kind === q.kind &&
    (n.group ?? '') === (q.group ?? '') &&
    n.name === q.resourceName &&
    (q.namespace === undefined || q.namespace === '' || (n.namespace ?? '') === q.namespace);
  const below = (n: ResourceNode, depth: number): boolean => {
    if (selected(n)) return true;
    if (depth > 16) return false;
    return (n.parentRefs ?? []).some((r) => {
      const parent = r.uid !== undefined ? byUid.get(r.uid) : undefined;
      return parent !== undefined && below(parent, depth + 1);
    });
  };
  return pods
    .filter((p) => below(p, 0))
    .map((p) => ({ namespace: p.namespace ?? '', name: p.name ?? '' }));
}

function kubeLogError(err: unknown, pod: PodRef): unknown {
  if (!(err instanceof KubeApiError)) return err;
  const code: ApiErrorCode =
    err.status === 400
      ? 'ERR_API_INVALID_ARGUMENT'
      : err.status === 404
        ? 'ERR_API_NOT_FOUND'
        : err.status === 0 || err.status >= 500
          ? 'ERR_API_UNAVAILABLE'
          : 'ERR_API_FAILED_PRECONDITION';
  // the client's message starts with "GET <path>: "; the cluster's reason follows
  const reason = redactText(err.message.replace(/^GET \S+: /, ''));
  return new ApiError(
    code,
    `failed to get logs of pod ${pod.namespace}/${pod.name}: the cluster answered: ${reason}`,
  );
}

export function registerLogsRoutes(routes: ApiRoutes, state: AppState): void {
  // Argo CD serves the same stream at both paths (PodLogs2, and PodLogs with the pod in the path)
  for (const path of [
    '/api/v1/applications/:name/logs',
    '/api/v1/applications/:name/pods/:podName/logs',
  ])
    routes.route({
      method: 'GET',
      path,
      handler: async (ctx, req) => {
        const q = req.query;
        const name = req.params.name ?? '';
        const app = await enforceApp(ctx, state, 'get', name, {
          project: q.get('project'),
          appNamespace: q.get('appNamespace'),
        });
        // then `logs, get` on the same object: a denial is logged and answered 403
        ctx.enforce('logs', 'get', rbacObject(state, projectOf(app), name));
        const tailLines = wholeNumber(req, 'tailLines', MAX_TAIL_LINES);
        const sinceSeconds = wholeNumber(req, 'sinceSeconds', 10 * 365 * 24 * 3600);
        const sinceTimeSec = wholeNumber(req, 'sinceTime.seconds', 1e11);
        const untilRaw = q.get('untilTime');
        const untilMs =
          untilRaw === undefined || untilRaw === '' ? undefined : Date.parse(untilRaw);
        if (untilMs !== undefined && !Number.isFinite(untilMs))
          throw new ApiError(
            'ERR_API_INVALID_ARGUMENT',
            'failed to get logs: untilTime must be an RFC 3339 time',
          );
        const follow = q.bool('follow') === true;
        const keep = logFilter(q.get('filter'), q.bool('matchCase') === true);
        const { handle } = await state.live.forApp(app, [{ group: '', kind: 'Pod' }]);
        const tree = state.live.treeFrom(handle, app);
        const podName = req.params.podName ?? q.get('podName');
        const pods = selectPods(tree.nodes, {
          podName,
          namespace: q.get('namespace'),
          group: q.get('group'),
          kind: q.get('kind'),
          resourceName: q.get('resourceName'),
        }).slice(0, MAX_PODS);
        if (podName !== undefined && podName !== '' && pods.length === 0)
          throw new ApiError(
            'ERR_API_NOT_FOUND',
            `failed to get logs: pod ${podName} is not part of application ${name}`,
          );

        // open every pod's log first: an error of the cluster is the answer
        const abort = new AbortController();
        const opened: { pod: PodRef; res: IncomingMessage }[] = [];
        try {
          await Promise.all(
            pods.map(async (pod) => {
              const res = await handle.client
                .openText({
                  path: resourcePath({
                    group: '',
                    version: 'v1',
                    resource: 'pods',
                    namespace: pod.namespace,
                    name: pod.name,
                    subresource: 'log',
                  }),
                  query: {
                    container: q.get('container') || undefined,
                    follow: follow || undefined,
                    previous: q.bool('previous') === true || undefined,
                    tailLines,
                    sinceSeconds,
                    sinceTime:
                      sinceTimeSec === undefined
                        ? undefined
                        : new Date(sinceTimeSec * 1000).toISOString().replace('.000Z', 'Z'),
                    timestamps: true,
                    limitBytes: follow ? undefined : MAX_LOG_BYTES,
                  },
                  signal: abort.signal,
                })
                .catch((err: unknown) => {
                  throw kubeLogError(err, pod);
                });
              opened.push({ pod, res });
            }),
          );
        } catch (err) {
          abort.abort();
          throw err;
        }

        const stream = openStream(ctx, req, streamOptions(state.deps, state));
        stream.onClose(() => {
          abort.abort();
        });
        let open = opened.length;
        const finish = (): void => {
          if (stream.closed) return;
          const end: LogEntry = { content: '', podName: '', last: true };
          stream.send(end);
          stream.close('done');
        };
        if (open === 0) finish();
        for (const { pod, res } of opened) {
          res.setEncoding('utf8');
          const lines = createInterface({ input: res, crlfDelay: Infinity });
          lines.on('line', (line) => {
            if (stream.closed) return;
            const { timeStamp, content } = parseLogLine(line);
            if (untilMs !== undefined && timeStamp !== undefined && Date.parse(timeStamp) > untilMs)
              return;
            if (!keep(content)) return;
            const entry: LogEntry = {
              content,
              ...(timeStamp !== undefined ? { timeStamp, timeStampStr: timeStamp } : {}),
              podName: pod.name,
              last: false,
            };
            stream.send(entry);
          });
          lines.on('close', () => {
            open--;
            if (open === 0) finish();
          });
          res.on('error', (err) => {
            if (!abort.signal.aborted)
              state.deps.log.info(
                { err: redactText(errorMessage(err)), pod: pod.name },
                'a pod log stream broke',
              );
          });
        }
        return req.reply;
      },
    });
}
