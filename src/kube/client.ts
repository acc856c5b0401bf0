/**
 * A small, fast Kubernetes REST client over node:https with keep-alive: JSON requests, server-side
 * apply, dry run, deletes with propagation, NDJSON watches and discovery. It works on unstructured
 * objects (`KubeObject`), as the controller does. See docs/adr/0003-own-kube-client.md for why this
 * is not @kubernetes/client-node.
 */
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { KubeList, KubeObject } from '../apis/index.js';
import { errorMessage, isRecord } from '../lib/index.js';
import { KubeApiError, codeForStatus } from './errors.js';
import type { KubeConnection } from './kubeconfig.js';

export interface ResourceRef {
  /** '' for the core group */
  readonly group: string;
  readonly version: string;
  /** plural resource name, e.g. `configmaps` */
  readonly resource: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly subresource?: string;
}

export interface RequestParams {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: unknown;
  readonly contentType?: string;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

export interface WatchEvent<T = KubeObject> {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: T;
}

export interface KubeClientOptions {
  readonly userAgent?: string;
  /** per-request timeout (not for watches); default 60 s */
  readonly timeoutMs?: number;
  readonly maxSockets?: number;
}

export interface ApiResourceInfo {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly kind: string;
  readonly namespaced: boolean;
  readonly verbs: readonly string[];
}

/** Builds the REST path of a resource (collection when `name` is absent). */
export function resourcePath(ref: ResourceRef): string {
  const base = ref.group === '' ? `/api/${ref.version}` : `/apis/${ref.group}/${ref.version}`;
  let p = base;
  if (ref.namespace !== undefined && ref.namespace !== '')
    p += `/namespaces/${encodeURIComponent(ref.namespace)}`;
  p += `/${ref.resource}`;
  if (ref.name !== undefined) p += `/${encodeURIComponent(ref.name)}`;
  if (ref.subresource !== undefined) p += `/${ref.subresource}`;
  return p;
}

/** The collection a ref belongs to (drops name and subresource). */
function collectionOf(ref: ResourceRef): ResourceRef {
  const { name: _name, subresource: _sub, ...rest } = ref;
  return rest;
}

/** Splits an apiVersion into group and version (`v1` → core group). */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const i = apiVersion.indexOf('/');
  return i < 0
    ? { group: '', version: apiVersion }
    : { group: apiVersion.slice(0, i), version: apiVersion.slice(i + 1) };
}

function buildQuery(q: RequestParams['query']): string {
  if (!q) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

function readBody(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => {
      resolve(Buffer.concat(chunks));
    });
    res.on('error', reject);
  });
}

function statusError(status: number, body: Buffer, what: string): KubeApiError {
  let message = `${what}: HTTP ${status}`;
  let reason: string | undefined;
  try {
    const s: unknown = JSON.parse(body.toString('utf8'));
    if (isRecord(s)) {
      if (typeof s.message === 'string') message = `${what}: ${s.message}`;
      if (typeof s.reason === 'string') reason = s.reason;
    }
  } catch {
    const text = body.toString('utf8').trim().slice(0, 300);
    if (text) message = `${what}: HTTP ${status}: ${text}`;
  }
  return new KubeApiError(codeForStatus(status), status, message, reason);
}

/** The Kubernetes REST client. One instance per cluster; safe to share. */
export class KubeClient {
  readonly server: string;
  readonly connection: KubeConnection;
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;
  private readonly baseHeaders: Record<string, string>;
  private readonly timeoutMs: number;
  private discovery: Promise<Map<string, ApiResourceInfo>> | undefined;
  /** number of requests sent (watches included), for metrics and benchmarks */
  requestCount = 0;

  constructor(conn: KubeConnection, options: KubeClientOptions = {}) {
    const url = new URL(conn.server);
    if (url.protocol !== 'https:') {
      throw new TypeError(
        `kube server ${conn.server} is not https: argocd-ts talks to Kubernetes over TLS only`,
      );
    }
    this.connection = conn;
    this.server = conn.server;
    this.host = url.hostname.replace(/^\[|\]$/g, '');
    this.port = url.port ? Number(url.port) : 443;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: options.maxSockets ?? 64,
      ...(conn.caPem ? { ca: conn.caPem } : {}),
      ...(conn.certPem ? { cert: conn.certPem } : {}),
      ...(conn.keyPem ? { key: conn.keyPem } : {}),
      ...(conn.tlsServerName ? { servername: conn.tlsServerName } : {}),
      rejectUnauthorized: conn.insecureSkipTlsVerify !== true,
    });
    this.baseHeaders = {
      'user-agent': options.userAgent ?? 'argocd-ts',
      accept: 'application/json',
    };
    if (conn.token) this.baseHeaders.authorization = `Bearer ${conn.token}`;
    else if (conn.username !== undefined && conn.password !== undefined) {
      this.baseHeaders.authorization = `Basic ${Buffer.from(`${conn.username}:${conn.password}`).toString('base64')}`;
    }
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.agent.destroy();
  }

  private open(params: RequestParams, timeoutMs: number | undefined): Promise<IncomingMessage> {
    const headers: Record<string, string> = { ...this.baseHeaders };
    let payload: Buffer | undefined;
    if (params.body !== undefined) {
      payload = Buffer.from(
        typeof params.body === 'string' ? params.body : JSON.stringify(params.body),
      );
      headers['content-type'] = params.contentType ?? 'application/json';
      headers['content-length'] = String(payload.length);
    }
    const opts: RequestOptions = {
      host: this.host,
      port: this.port,
      method: params.method,
      path: params.path + buildQuery(params.query),
      headers,
      agent: this.agent,
      ...(params.signal ? { signal: params.signal } : {}),
    };
    this.requestCount++;
    return new Promise((resolve, reject) => {
      const req = httpsRequest(opts, resolve);
      req.on('error', (err) => {
        reject(
          err.name === 'AbortError'
            ? err
            : new KubeApiError(
                'ERR_KUBE_UNAVAILABLE',
                0,
                `failed to reach the Kubernetes API at ${this.server}: ${errorMessage(err)}`,
                undefined,
                { cause: err },
              ),
        );
      });
      if (timeoutMs !== undefined && timeoutMs > 0) {
        req.setTimeout(timeoutMs, () => {
          req.destroy(
            new KubeApiError(
              'ERR_KUBE_TIMEOUT',
              0,
              `${params.method} ${params.path} timed out after ${timeoutMs} ms`,
            ),
          );
        });
      }
      req.end(payload);
    });
  }

  /** Sends one request and returns the parsed JSON body; non-2xx throws KubeApiError. */
  async request<T = unknown>(params: RequestParams): Promise<T> {
    const res = await this.open(params, params.timeoutMs ?? this.timeoutMs);
    const body = await readBody(res);
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300)
      throw statusError(status, body, `${params.method} ${params.path}`);
    if (body.length === 0) return undefined as T;
    return JSON.parse(body.toString('utf8')) as T;
  }

  async get<T = KubeObject>(ref: ResourceRef & { name: string }): Promise<T> {
    return this.request<T>({ method: 'GET', path: resourcePath(ref) });
  }

  async list<T = KubeObject>(
    ref: ResourceRef,
    query: {
      labelSelector?: string;
      fieldSelector?: string;
      limit?: number;
      continue?: string;
      resourceVersion?: string;
    } = {},
  ): Promise<KubeList<T>> {
    return this.request<KubeList<T>>({ method: 'GET', path: resourcePath(ref), query });
  }

  async create<T = KubeObject>(
    ref: ResourceRef,
    obj: unknown,
    opts: { dryRun?: boolean; fieldManager?: string } = {},
  ): Promise<T> {
    return this.request<T>({
      method: 'POST',
      path: resourcePath(collectionOf(ref)),
      body: obj,
      query: { dryRun: opts.dryRun ? 'All' : undefined, fieldManager: opts.fieldManager },
    });
  }

  async replace<T = KubeObject>(
    ref: ResourceRef & { name: string },
    obj: unknown,
    opts: { dryRun?: boolean; fieldManager?: string } = {},
  ): Promise<T> {
    return this.request<T>({
      method: 'PUT',
      path: resourcePath(ref),
      body: obj,
      query: { dryRun: opts.dryRun ? 'All' : undefined, fieldManager: opts.fieldManager },
    });
  }

  /** JSON merge patch (`application/merge-patch+json`) or JSON patch when `patch` is an array. */
  async patch<T = KubeObject>(
    ref: ResourceRef & { name: string },
    patch: unknown,
    opts: { dryRun?: boolean; fieldManager?: string; type?: 'merge' | 'json' | 'strategic' } = {},
  ): Promise<T> {
    const type = opts.type ?? (Array.isArray(patch) ? 'json' : 'merge');
    const contentType =
      type === 'json'
        ? 'application/json-patch+json'
        : type === 'strategic'
          ? 'application/strategic-merge-patch+json'
          : 'application/merge-patch+json';
    return this.request<T>({
      method: 'PATCH',
      path: resourcePath(ref),
      body: patch,
      contentType,
      query: { dryRun: opts.dryRun ? 'All' : undefined, fieldManager: opts.fieldManager },
    });
  }

  /**
   * Server-side apply of a whole object (`application/apply-patch+yaml`, JSON is valid YAML).
   * `ref` is found by discovery when omitted.
   */
  async apply<T = KubeObject>(
    obj: KubeObject,
    opts: {
      fieldManager: string;
      force?: boolean;
      dryRun?: boolean;
      ref?: ResourceRef & { name: string };
      signal?: AbortSignal;
    },
  ): Promise<T> {
    const ref = opts.ref ?? (await this.refFor(obj));
    return this.request<T>({
      method: 'PATCH',
      path: resourcePath(ref),
      body: obj,
      contentType: 'application/apply-patch+yaml',
      query: {
        fieldManager: opts.fieldManager,
        force: opts.force === false ? undefined : true,
        dryRun: opts.dryRun ? 'All' : undefined,
      },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  async delete(
    ref: ResourceRef & { name: string },
    opts: {
      propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
      dryRun?: boolean;
      gracePeriodSeconds?: number;
      preconditions?: { uid?: string; resourceVersion?: string };
    } = {},
  ): Promise<unknown> {
    const body: Record<string, unknown> = { kind: 'DeleteOptions', apiVersion: 'v1' };
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    if (opts.dryRun) body.dryRun = ['All'];
    if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
    if (opts.preconditions) body.preconditions = opts.preconditions;
    return this.request({ method: 'DELETE', path: resourcePath(ref), body });
  }

  /**
   * Watches a collection and calls `onEvent` per event until the server ends the stream, `signal`
   * aborts, or an ERROR event arrives (thrown as KubeApiError; 410 Gone means: relist).
   * Resolves with the last resourceVersion seen.
   */
  async watch<T = KubeObject>(
    ref: ResourceRef,
    opts: {
      resourceVersion?: string;
      labelSelector?: string;
      fieldSelector?: string;
      timeoutSeconds?: number;
      signal?: AbortSignal;
      allowBookmarks?: boolean;
    },
    onEvent: (ev: WatchEvent<T>) => void,
  ): Promise<string | undefined> {
    const res = await this.open(
      {
        method: 'GET',
        path: resourcePath(ref),
        query: {
          watch: 1,
          resourceVersion: opts.resourceVersion,
          allowWatchBookmarks: opts.allowBookmarks === false ? undefined : true,
          labelSelector: opts.labelSelector,
          fieldSelector: opts.fieldSelector,
          timeoutSeconds: opts.timeoutSeconds ?? 300,
        },
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
      undefined,
    );
    const status = res.statusCode ?? 0;
    if (status < 200 || status >= 300)
      throw statusError(status, await readBody(res), `watch ${resourcePath(ref)}`);
    let lastRv = opts.resourceVersion;
    return new Promise((resolve, reject) => {
      let buf = '';
      let failed = false;
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (failed) return;
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.trim() === '') continue;
          let ev: WatchEvent<T>;
          try {
            ev = JSON.parse(line) as WatchEvent<T>;
          } catch (err) {
            failed = true;
            res.destroy();
            reject(
              new KubeApiError(
                'ERR_KUBE_REQUEST',
                status,
                `failed to parse watch event: ${errorMessage(err)}`,
              ),
            );
            return;
          }
          if (ev.type === 'ERROR') {
            failed = true;
            const s = ev.object as unknown as { code?: number; message?: string; reason?: string };
            const code = s.code ?? 500;
            res.destroy();
            reject(
              new KubeApiError(
                codeForStatus(code),
                code,
                `watch ${resourcePath(ref)}: ${s.message ?? 'error'}`,
                s.reason,
              ),
            );
            return;
          }
          const rv = (ev.object as unknown as KubeObject).metadata.resourceVersion;
          if (rv) lastRv = rv;
          try {
            onEvent(ev);
          } catch (err) {
            failed = true;
            res.destroy();
            reject(err instanceof Error ? err : new Error(errorMessage(err)));
            return;
          }
        }
      });
      res.on('end', () => {
        if (!failed) resolve(lastRv);
      });
      res.on('error', (err) => {
        if (failed) return;
        failed = true;
        reject(err);
      });
      res.on('close', () => {
        if (!failed) resolve(lastRv);
      });
    });
  }

  /** Discovery of every served resource, cached until `invalidateDiscovery()`. Keyed `group/version/Kind`. */
  async discover(): Promise<Map<string, ApiResourceInfo>> {
    this.discovery ??= this.loadDiscovery().catch((err: unknown) => {
      this.discovery = undefined;
      throw err;
    });
    return this.discovery;
  }

  invalidateDiscovery(): void {
    this.discovery = undefined;
  }

  private async loadDiscovery(): Promise<Map<string, ApiResourceInfo>> {
    const out = new Map<string, ApiResourceInfo>();
    const groupVersions: { group: string; version: string; path: string }[] = [];
    const core = await this.request<{ versions: string[] }>({ method: 'GET', path: '/api' });
    for (const v of core.versions) groupVersions.push({ group: '', version: v, path: `/api/${v}` });
    const groups = await this.request<{
      groups: { name: string; versions: { version: string }[] }[];
    }>({ method: 'GET', path: '/apis' });
    for (const g of groups.groups) {
      for (const v of g.versions)
        groupVersions.push({
          group: g.name,
          version: v.version,
          path: `/apis/${g.name}/${v.version}`,
        });
    }
    const lists = await Promise.all(
      groupVersions.map(async (gv) => {
        try {
          return {
            gv,
            list: await this.request<{
              resources: { name: string; kind: string; namespaced: boolean; verbs: string[] }[];
            }>({ method: 'GET', path: gv.path }),
          };
        } catch {
          return { gv, list: { resources: [] } }; // an aggregated API that is down must not break discovery
        }
      }),
    );
    for (const { gv, list } of lists) {
      for (const r of list.resources) {
        if (r.name.includes('/')) continue; // subresources
        out.set(`${gv.group}/${gv.version}/${r.kind}`, {
          group: gv.group,
          version: gv.version,
          resource: r.name,
          kind: r.kind,
          namespaced: r.namespaced,
          verbs: r.verbs,
        });
      }
    }
    return out;
  }

  /** Finds the resource of an apiVersion+kind by discovery (refreshing once if unknown). */
  async resourceFor(apiVersion: string, kind: string): Promise<ApiResourceInfo> {
    const { group, version } = splitApiVersion(apiVersion);
    const key = `${group}/${version}/${kind}`;
    let info = (await this.discover()).get(key);
    if (!info) {
      this.invalidateDiscovery();
      info = (await this.discover()).get(key);
    }
    if (!info) {
      throw new KubeApiError(
        'ERR_KUBE_NOT_FOUND',
        404,
        `the server does not serve ${kind} in ${apiVersion}: is its CRD installed?`,
        'NotFound',
      );
    }
    return info;
  }

  /** The ResourceRef of an object (by discovery). */
  async refFor(
    obj: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>,
  ): Promise<ResourceRef & { name: string }> {
    const info = await this.resourceFor(obj.apiVersion, obj.kind);
    const name = obj.metadata.name;
    if (!name) throw new TypeError(`${obj.kind} has no metadata.name`);
    return {
      group: info.group,
      version: info.version,
      resource: info.resource,
      name,
      ...(info.namespaced ? { namespace: obj.metadata.namespace ?? 'default' } : {}),
    };
  }
}
