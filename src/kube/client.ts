/**
 * A small, fast Kubernetes REST client over node:https with keep-alive: JSON requests, server-side
 * apply, dry run, deletes with propagation, NDJSON watches and discovery. It works on unstructured
 * objects (`KubeObject`), as the controller does. See docs/adr/0002-own-kube-client.md for why this
 * is not @kubernetes/client-node.
 *
 * Every request except watches passes a token-bucket rate limiter (QPS/burst, Argo CD's 50/100 by
 * default). Idempotent requests are retried with backoff after 429, 5xx and connection errors; any
 * request is retried after 429 (the server did not process it). `stats()` reports the traffic.
 * Credentials live in private fields and never appear in error messages.
 */
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Registry } from 'prom-client';
import type { KubeList, KubeObject } from '../apis/index.js';
import { errorMessage, isRecord, sanitizeText, sanitizeUrl } from '../lib/index.js';
import { ClientMetrics, type KubeClientStats, type KubeVerb } from './client-metrics.js';
import { ApiResources, type ApiResourceInfo } from './discovery.js';
import { KubeApiError, codeForStatus } from './errors.js';
import type { KubeConnection } from './kubeconfig.js';
import {
  DEFAULT_BURST,
  DEFAULT_QPS,
  RateLimiter,
  defaultSleep,
  type Sleep,
} from './rate-limiter.js';

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
  /** the Kubernetes verb for stats and metrics; derived from the method when absent */
  readonly verb?: KubeVerb;
}

export interface WatchEvent<T = KubeObject> {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: T;
}

export interface RetryOptions {
  /** retries after the first attempt; 0 disables retrying (default 5) */
  readonly maxRetries?: number;
  /** first backoff delay (default 200 ms), doubled per retry */
  readonly initialDelayMs?: number;
  /** longest delay, also the cap on a server's Retry-After (default 10 s) */
  readonly maxDelayMs?: number;
}

export interface KubeClientOptions {
  readonly userAgent?: string;
  /** per-request timeout (not for watches); default 60 s */
  readonly timeoutMs?: number;
  /** concurrent connections for requests (default 64); watches use a separate, unbounded pool */
  readonly maxSockets?: number;
  /** requests per second for non-watch requests (default 50; 0 or less = unlimited) */
  readonly qps?: number;
  /** requests allowed at once after an idle period (default 100) */
  readonly burst?: number;
  /** a limiter shared with other clients (overrides qps/burst) */
  readonly rateLimiter?: RateLimiter;
  readonly retry?: RetryOptions;
  /** Prometheus registry for `argocd_kubectl_*` metrics */
  readonly metricsRegistry?: Registry;
  /** how long discovery results are reused before being fetched again (default 10 min) */
  readonly discoveryMaxAgeMs?: number;
  /** largest response body accepted (default 256 MiB) */
  readonly maxResponseBytes?: number;
  /** largest single watch event accepted (default 16 MiB) */
  readonly maxWatchEventBytes?: number;
  /** injected for tests: milliseconds clock, sleeping, random source in [0,1) */
  readonly now?: () => number;
  readonly sleep?: Sleep;
  readonly random?: () => number;
}

export interface WatchOptions {
  readonly resourceVersion?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
  /** server-side end of the watch (default 300 s) */
  readonly timeoutSeconds?: number;
  readonly signal?: AbortSignal;
  readonly allowBookmarks?: boolean;
  /** fail the watch when no byte arrived for this long (stalled connection); off by default */
  readonly idleTimeoutMs?: number;
}

export type { ApiResourceInfo } from './discovery.js';

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

function defaultVerb(method: RequestParams['method']): KubeVerb {
  switch (method) {
    case 'GET':
      return 'get';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
  }
}

/** Verbs whose repetition cannot do harm (a server-side apply is declarative, hence idempotent). */
function isIdempotent(params: RequestParams): boolean {
  if (params.method === 'GET' || params.method === 'PUT' || params.method === 'DELETE') return true;
  return params.method === 'PATCH' && params.contentType === 'application/apply-patch+yaml';
}

/** Connection errors that prove the request never reached the server. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

function causeCode(err: unknown): string | undefined {
  const cause = err instanceof Error ? err.cause : undefined;
  if (isRecord(cause) && typeof cause.code === 'string') return cause.code;
  if (cause instanceof Error && 'code' in cause && typeof cause.code === 'string')
    return cause.code;
  return undefined;
}

function isAbort(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

function parseRetryAfter(v: string | string[] | undefined): number | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (s === undefined) return undefined;
  const n = Number(s);
  return Number.isFinite(n) && n >= 0 ? n * 1000 : undefined;
}

/** The Kubernetes REST client. One instance per cluster; safe to share. */
export class KubeClient {
  readonly server: string;
  readonly #connection: KubeConnection;
  readonly #agent: Agent;
  /** watches hold their connection for minutes: they get their own pool, unbounded */
  readonly #watchAgent: Agent;
  readonly #headers: Record<string, string>;
  /** exact credential strings to scrub from any message */
  readonly #secrets: string[];
  private readonly host: string;
  private readonly port: number;
  private readonly timeoutMs: number;
  private readonly limiter: RateLimiter;
  private readonly metrics: ClientMetrics;
  private readonly maxRetries: number;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly discoveryMaxAgeMs: number;
  private readonly maxResponseBytes: number;
  private readonly maxWatchEventBytes: number;
  private readonly now: () => number;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  private discovery:
    { promise: Promise<ApiResources>; startedAt: number; pending: boolean } | undefined;
  /** kinds a discovery snapshot was searched for in vain, with that snapshot's time */
  private readonly missing = new Map<string, number>();
  /** number of requests sent (watches and retries included), for metrics and benchmarks */
  requestCount = 0;

  constructor(conn: KubeConnection, options: KubeClientOptions = {}) {
    let url: URL;
    try {
      url = new URL(conn.server);
    } catch {
      throw new TypeError(`kube server ${sanitizeUrl(conn.server)} is not a URL`);
    }
    if (url.protocol !== 'https:') {
      throw new TypeError(
        `kube server ${sanitizeUrl(conn.server)} is not https: argocd-ts talks to Kubernetes over TLS only`,
      );
    }
    if (url.username !== '' || url.password !== '') {
      throw new TypeError(
        `kube server ${sanitizeUrl(conn.server)} has credentials in its URL: pass them as a token or username/password instead`,
      );
    }
    this.#connection = conn;
    this.server = conn.server;
    this.host = url.hostname.replace(/^\[|\]$/g, '');
    this.port = url.port ? Number(url.port) : 443;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    const tls = {
      ...(conn.caPem ? { ca: conn.caPem } : {}),
      ...(conn.certPem ? { cert: conn.certPem } : {}),
      ...(conn.keyPem ? { key: conn.keyPem } : {}),
      ...(conn.tlsServerName ? { servername: conn.tlsServerName } : {}),
      rejectUnauthorized: conn.insecureSkipTlsVerify !== true,
    };
    this.#agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64, ...tls });
    this.#watchAgent = new Agent({ keepAlive: true, maxSockets: Infinity, ...tls });
    this.#headers = {
      'user-agent': options.userAgent ?? 'argocd-ts',
      accept: 'application/json',
    };
    this.#secrets = [];
    if (conn.token) {
      this.#headers.authorization = `Bearer ${conn.token}`;
      this.#secrets.push(conn.token);
    } else if (conn.username !== undefined && conn.password !== undefined) {
      const basic = Buffer.from(`${conn.username}:${conn.password}`).toString('base64');
      this.#headers.authorization = `Basic ${basic}`;
      this.#secrets.push(conn.password, basic);
    }
    this.now = options.now ?? (() => performance.now());
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.limiter =
      options.rateLimiter ??
      new RateLimiter({
        qps: options.qps ?? DEFAULT_QPS,
        burst: options.burst ?? DEFAULT_BURST,
        now: this.now,
        sleep: this.sleep,
      });
    this.metrics = new ClientMetrics(url.host, options.metricsRegistry);
    this.maxRetries = Math.max(0, options.retry?.maxRetries ?? 5);
    this.initialDelayMs = options.retry?.initialDelayMs ?? 200;
    this.maxDelayMs = options.retry?.maxDelayMs ?? 10_000;
    this.discoveryMaxAgeMs = options.discoveryMaxAgeMs ?? 600_000;
    this.maxResponseBytes = options.maxResponseBytes ?? 256 * 1024 * 1024;
    this.maxWatchEventBytes = options.maxWatchEventBytes ?? 16 * 1024 * 1024;
  }

  /** The connection settings (credentials included: never log this object). */
  get connection(): KubeConnection {
    return this.#connection;
  }

  /** Requests by verb and code, retries, rate-limiter waits, watches. */
  stats(): KubeClientStats {
    return this.metrics.snapshot(this.limiter.qps, this.limiter.burst);
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.#agent.destroy();
    this.#watchAgent.destroy();
  }

  /** Scrubs credentials of this connection (and anything that looks like one) from text. */
  sanitize(text: string): string {
    return sanitizeText(text, this.#secrets);
  }

  private safeServer(): string {
    return sanitizeUrl(this.server).replace(/\/$/, '');
  }

  private statusError(status: number, body: Buffer, what: string): KubeApiError {
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
    return new KubeApiError(codeForStatus(status), status, this.sanitize(message), reason);
  }

  private open(
    params: RequestParams,
    timeoutMs: number | undefined,
    agent: Agent = this.#agent,
  ): Promise<IncomingMessage> {
    const headers: Record<string, string> = { ...this.#headers };
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
      agent,
      ...(params.signal ? { signal: params.signal } : {}),
    };
    this.requestCount++;
    return new Promise((resolve, reject) => {
      const req = httpsRequest(opts, resolve);
      req.on('error', (err) => {
        reject(
          isAbort(err) || err instanceof KubeApiError
            ? err
            : new KubeApiError(
                'ERR_KUBE_UNAVAILABLE',
                0,
                this.sanitize(
                  `failed to reach the Kubernetes API at ${this.safeServer()}: ${errorMessage(err)}`,
                ),
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

  private readBody(res: IncomingMessage, what: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > this.maxResponseBytes) {
          res.destroy(
            new KubeApiError(
              'ERR_KUBE_REQUEST',
              res.statusCode ?? 0,
              `${what}: the response is larger than ${this.maxResponseBytes} bytes; list with a smaller page size`,
            ),
          );
          return;
        }
        chunks.push(c);
      });
      res.on('end', () => {
        resolve(Buffer.concat(chunks, size));
      });
      res.on('error', (err) => {
        reject(
          err instanceof KubeApiError || isAbort(err)
            ? err
            : new KubeApiError(
                'ERR_KUBE_UNAVAILABLE',
                0,
                this.sanitize(`${what}: the connection broke: ${errorMessage(err)}`),
                undefined,
                { cause: err },
              ),
        );
      });
    });
  }

  private backoffMs(attempt: number): number {
    const base = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** attempt);
    return base / 2 + (this.random() * base) / 2;
  }

  /** Sends one request and returns the parsed JSON body; non-2xx throws KubeApiError. */
  async request<T = unknown>(params: RequestParams): Promise<T> {
    return (await this.send(params)).value as T;
  }

  /** Rate limit, send, retry; returns the final status and parsed body. */
  private async send(params: RequestParams): Promise<{ status: number; value: unknown }> {
    const verb = params.verb ?? defaultVerb(params.method);
    const what = `${params.method} ${params.path}`;
    for (let attempt = 0; ; attempt++) {
      const waited = await this.limiter.acquire(params.signal);
      this.metrics.waited(verb, waited);
      this.metrics.started(verb);
      const t0 = this.now();
      let status = 0;
      let body: Buffer;
      let retryAfterMs: number | undefined;
      try {
        const res = await this.open(params, params.timeoutMs ?? this.timeoutMs);
        status = res.statusCode ?? 0;
        retryAfterMs = parseRetryAfter(res.headers['retry-after']);
        body = await this.readBody(res, what);
      } catch (err) {
        this.metrics.finished(verb, params.method, status, this.now() - t0, undefined);
        if (isAbort(err)) throw err;
        const retryable =
          err instanceof KubeApiError &&
          err.status === 0 &&
          (isIdempotent(params) || NOT_SENT.has(causeCode(err) ?? ''));
        if (retryable && attempt < this.maxRetries) {
          this.metrics.retried(params.method, 0);
          await this.sleep(this.backoffMs(attempt), params.signal);
          continue;
        }
        throw err;
      }
      this.metrics.finished(verb, params.method, status, this.now() - t0, body.length);
      if (status >= 200 && status < 300) {
        const value: unknown = body.length === 0 ? undefined : JSON.parse(body.toString('utf8'));
        return { status, value };
      }
      // like client-go: 429 always (nothing happened); 502/503/504, or any 5xx that says when to
      // come back, only for idempotent requests; a plain 500 is an answer, not a hiccup
      const retryable =
        status === 429 ||
        (isIdempotent(params) &&
          (status === 502 ||
            status === 503 ||
            status === 504 ||
            (status >= 500 && retryAfterMs !== undefined)));
      if (retryable && attempt < this.maxRetries) {
        this.metrics.retried(params.method, status);
        const delay = Math.min(this.maxDelayMs, retryAfterMs ?? this.backoffMs(attempt));
        await this.sleep(delay, params.signal);
        continue;
      }
      throw this.statusError(status, body, what);
    }
  }

  /**
   * A GET whose answer is a stream of text, not JSON (a pod's log: `pods/<name>/log`): resolves
   * with the response once the API server has answered 2xx; any other answer throws KubeApiError
   * with the server's message. Rate-limited and counted like a request, never retried; abort it
   * with `params.signal` (or destroy the stream).
   */
  async openText(
    params: Omit<RequestParams, 'method' | 'body' | 'contentType'>,
  ): Promise<IncomingMessage> {
    const what = `GET ${params.path}`;
    const verb = params.verb ?? 'get';
    const waited = await this.limiter.acquire(params.signal);
    this.metrics.waited(verb, waited);
    this.metrics.started(verb);
    const t0 = this.now();
    let res: IncomingMessage;
    try {
      res = await this.open({ ...params, method: 'GET' }, params.timeoutMs);
    } catch (err) {
      this.metrics.finished(verb, 'GET', 0, this.now() - t0, undefined);
      throw err;
    }
    const status = res.statusCode ?? 0;
    this.metrics.finished(verb, 'GET', status, this.now() - t0, undefined);
    if (status < 200 || status >= 300)
      throw this.statusError(status, await this.readBody(res, what), what);
    return res;
  }

  async get<T = KubeObject>(ref: ResourceRef & { name: string }): Promise<T> {
    return this.request<T>({ method: 'GET', path: resourcePath(ref), verb: 'get' });
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
    signal?: AbortSignal,
  ): Promise<KubeList<T>> {
    return this.request<KubeList<T>>({
      method: 'GET',
      path: resourcePath(ref),
      query,
      verb: 'list',
      ...(signal ? { signal } : {}),
    });
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
      verb: 'create',
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
      verb: 'update',
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
      verb: 'patch',
      query: { dryRun: opts.dryRun ? 'All' : undefined, fieldManager: opts.fieldManager },
    });
  }

  /**
   * Server-side apply of a whole object (`application/apply-patch+yaml`, JSON is valid YAML).
   * `ref` is found by discovery when omitted. `force` defaults to true (take over conflicting fields).
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
    return (await this.applyWithStatus(obj, opts)).object as T;
  }

  /** Like `apply`, also saying whether the object was created (HTTP 201) or updated. */
  async applyWithStatus(
    obj: KubeObject,
    opts: {
      fieldManager: string;
      force?: boolean;
      dryRun?: boolean;
      ref?: ResourceRef & { name: string };
      signal?: AbortSignal;
    },
  ): Promise<{ object: KubeObject; created: boolean }> {
    const ref = opts.ref ?? (await this.refFor(obj));
    const { status, value } = await this.send({
      method: 'PATCH',
      path: resourcePath(ref),
      body: obj,
      contentType: 'application/apply-patch+yaml',
      verb: 'apply',
      query: {
        fieldManager: opts.fieldManager,
        force: opts.force === false ? undefined : true,
        dryRun: opts.dryRun ? 'All' : undefined,
      },
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    return { object: value as KubeObject, created: status === 201 };
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
    return this.request({ method: 'DELETE', path: resourcePath(ref), body, verb: 'delete' });
  }

  /**
   * Watches a collection and calls `onEvent` per event until the server ends the stream, `signal`
   * aborts, the connection breaks, no data arrives for `idleTimeoutMs`, or an ERROR event arrives
   * (thrown as KubeApiError; 410 Gone means: relist). Resolves with the last resourceVersion seen
   * when the server ends the stream normally. Watches are not rate-limited, but counted.
   */
  async watch<T = KubeObject>(
    ref: ResourceRef,
    opts: WatchOptions,
    onEvent: (ev: WatchEvent<T>) => void,
  ): Promise<string | undefined> {
    const path = resourcePath(ref);
    const what = `watch ${path}`;
    this.metrics.started('watch');
    const t0 = this.now();
    let res: IncomingMessage;
    try {
      res = await this.open(
        {
          method: 'GET',
          path,
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
        this.#watchAgent,
      );
    } catch (err) {
      this.metrics.finished('watch', 'GET', 0, this.now() - t0, undefined);
      throw err;
    }
    const status = res.statusCode ?? 0;
    this.metrics.finished('watch', 'GET', status, this.now() - t0, undefined);
    if (status < 200 || status >= 300)
      throw this.statusError(status, await this.readBody(res, what), what);
    let lastRv = opts.resourceVersion;
    const maxLine = this.maxWatchEventBytes;
    return new Promise((resolve, reject) => {
      let buf = '';
      let scanFrom = 0;
      let settled = false;
      let idle: NodeJS.Timeout | undefined;
      const finish = (err: unknown): void => {
        if (settled) return;
        settled = true;
        if (idle) clearTimeout(idle);
        if (err === undefined) resolve(lastRv);
        else {
          res.destroy();
          reject(err instanceof Error ? err : new Error(errorMessage(err)));
        }
      };
      if (opts.idleTimeoutMs !== undefined && opts.idleTimeoutMs > 0) {
        const ms = opts.idleTimeoutMs;
        idle = setTimeout(() => {
          finish(
            new KubeApiError(
              'ERR_KUBE_TIMEOUT',
              0,
              `${what} stalled: no data and no bookmark for ${Math.round(ms / 1000)} s`,
            ),
          );
        }, ms);
      }
      const handleLine = (line: string): boolean => {
        if (line.trim() === '') return true;
        let ev: WatchEvent<T>;
        try {
          ev = JSON.parse(line) as WatchEvent<T>;
        } catch (err) {
          finish(
            new KubeApiError(
              'ERR_KUBE_REQUEST',
              status,
              `${what}: failed to parse watch event: ${errorMessage(err)}`,
            ),
          );
          return false;
        }
        if (ev.type === 'ERROR') {
          const s: Record<string, unknown> = isRecord(ev.object) ? ev.object : {};
          const code = typeof s.code === 'number' ? s.code : 500;
          const message = typeof s.message === 'string' ? s.message : 'error';
          finish(
            new KubeApiError(
              codeForStatus(code),
              code,
              this.sanitize(`${what}: ${message}`),
              typeof s.reason === 'string' ? s.reason : undefined,
            ),
          );
          return false;
        }
        const meta = (ev.object as unknown as Partial<KubeObject>).metadata;
        const rv = meta?.resourceVersion;
        if (rv) lastRv = rv;
        try {
          onEvent(ev);
        } catch (err) {
          finish(err);
          return false;
        }
        return true;
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (settled) return;
        idle?.refresh();
        buf += chunk;
        let nl: number;
        let start = 0;
        while ((nl = buf.indexOf('\n', scanFrom)) >= 0) {
          const line = buf.slice(start, nl);
          start = nl + 1;
          scanFrom = start;
          if (!handleLine(line)) return;
        }
        buf = buf.slice(start);
        scanFrom = buf.length;
        if (buf.length > maxLine) {
          finish(
            new KubeApiError(
              'ERR_KUBE_REQUEST',
              status,
              `${what}: a watch event is larger than ${maxLine} bytes`,
            ),
          );
        }
      });
      res.on('end', () => {
        if (buf.trim() !== '' && !settled) handleLine(buf);
        finish(undefined);
      });
      res.on('error', (err) => {
        finish(
          isAbort(err)
            ? err
            : new KubeApiError(
                'ERR_KUBE_UNAVAILABLE',
                0,
                this.sanitize(`${what}: the connection broke: ${errorMessage(err)}`),
                undefined,
                { cause: err },
              ),
        );
      });
      res.on('close', () => {
        if (settled) return;
        if (opts.signal?.aborted) {
          finish(opts.signal.reason ?? new DOMException('aborted', 'AbortError'));
          return;
        }
        finish(
          new KubeApiError(
            'ERR_KUBE_UNAVAILABLE',
            0,
            `${what}: the connection closed before the stream ended`,
          ),
        );
      });
    });
  }

  /**
   * Discovery of every served resource, keyed `group/version/Kind`; cached for
   * `discoveryMaxAgeMs`.
   */
  async discover(): Promise<Map<string, ApiResourceInfo>> {
    return new Map((await this.apiResources()).byGvk);
  }

  /** The discovery snapshot; refetched when older than `maxAgeMs` (default: the client's). */
  async apiResources(maxAgeMs = this.discoveryMaxAgeMs): Promise<ApiResources> {
    const d = this.discovery;
    if (d && this.now() - d.startedAt <= maxAgeMs) return d.promise;
    return this.refreshDiscovery();
  }

  /** Fetches discovery now (joins a fetch already in flight). */
  async refreshDiscovery(): Promise<ApiResources> {
    const current = this.discovery;
    if (current?.pending) return current.promise;
    const startedAt = this.now();
    const promise = this.loadDiscovery(startedAt);
    const entry = { promise, startedAt, pending: true };
    this.discovery = entry;
    promise.then(
      () => {
        entry.pending = false;
      },
      () => {
        entry.pending = false;
        if (this.discovery === entry) this.discovery = undefined;
      },
    );
    return promise;
  }

  /** Forgets discovery; the next lookup fetches it again. */
  invalidateDiscovery(): void {
    this.discovery = undefined;
  }

  private async loadDiscovery(startedAt: number): Promise<ApiResources> {
    const out: ApiResourceInfo[] = [];
    const groupVersions: { group: string; version: string; path: string; preferred: boolean }[] =
      [];
    const core = await this.request<{ versions: string[] }>({
      method: 'GET',
      path: '/api',
      verb: 'discovery',
    });
    core.versions.forEach((v, i) => {
      groupVersions.push({ group: '', version: v, path: `/api/${v}`, preferred: i === 0 });
    });
    const groups = await this.request<{
      groups: {
        name: string;
        versions: { version: string }[];
        preferredVersion?: { version: string };
      }[];
    }>({ method: 'GET', path: '/apis', verb: 'discovery' });
    for (const g of groups.groups) {
      const preferred = g.preferredVersion?.version ?? g.versions[0]?.version;
      for (const v of g.versions)
        groupVersions.push({
          group: g.name,
          version: v.version,
          path: `/apis/${g.name}/${v.version}`,
          preferred: v.version === preferred,
        });
    }
    const lists = await Promise.all(
      groupVersions.map(async (gv) => {
        try {
          return {
            gv,
            list: await this.request<{
              resources: { name: string; kind: string; namespaced: boolean; verbs: string[] }[];
            }>({ method: 'GET', path: gv.path, verb: 'discovery' }),
          };
        } catch {
          return { gv, list: { resources: [] } }; // an aggregated API that is down must not break discovery
        }
      }),
    );
    for (const { gv, list } of lists) {
      for (const r of list.resources) {
        if (r.name.includes('/')) continue; // subresources
        out.push({
          group: gv.group,
          version: gv.version,
          resource: r.name,
          kind: r.kind,
          namespaced: r.namespaced,
          verbs: r.verbs,
          preferred: gv.preferred,
        });
      }
    }
    return new ApiResources(out, startedAt);
  }

  /**
   * Finds the resource of an apiVersion+kind by discovery, fetching discovery again once when the
   * kind is unknown (a CRD may just have been installed).
   */
  async resourceFor(apiVersion: string, kind: string): Promise<ApiResourceInfo> {
    const { group, version } = splitApiVersion(apiVersion);
    const key = `${group}/${version}/${kind}`;
    let resources = await this.apiResources();
    let info = resources.get(group, version, kind);
    if (!info) {
      // refetch once, unless this very snapshot was fetched less than a second ago to look for it
      const confirmed = this.missing.get(key) === resources.fetchedAt;
      if (!confirmed || this.now() - resources.fetchedAt > 1000) {
        resources = await this.refreshDiscovery();
        info = resources.get(group, version, kind);
        if (!info) {
          if (this.missing.size > 1000) this.missing.clear();
          this.missing.set(key, resources.fetchedAt);
        }
      }
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

  /** Whether a kind is namespaced, by discovery; undefined when the server does not serve it. */
  async isNamespaced(group: string, kind: string): Promise<boolean | undefined> {
    const known = (await this.apiResources()).isNamespaced(group, kind);
    if (known !== undefined) return known;
    return (await this.refreshDiscovery()).isNamespaced(group, kind);
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
