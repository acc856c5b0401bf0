/**
 * The API server for tests, against the shared real kube-apiserver:
 *
 * - `startTestApiServer(options)`: in-process `startApiServer` on 127.0.0.1 with a free port, in a
 *   fresh namespace (CRDs installed, optional argocd-cm / argocd-rbac-cm / extra objects created
 *   first), log lines captured as JSON, the login delay off by default. It returns an HTTP client
 *   that verifies the server certificate (the self-signed one the server persisted in
 *   argocd-secret, or the test CA's) and helpers: `login`, `request`, `securityEvents`.
 * - `startApiServerProcess(args)`: the real `bin/argocd-server.js` binary, for tests of the
 *   program itself (flags, redirect, signals). Stopped by PID.
 *
 * @example
 * const srv = await startTestApiServer({ rbac: { 'policy.default': 'role:readonly' } });
 * after(() => srv.close());
 * const token = await srv.login('admin', srv.adminPassword);
 * const res = await srv.request('GET', '/api/v1/projects', { token });
 * assert.equal(res.status, 200);
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as h2connect, type ClientHttp2Session } from 'node:http2';
import { join } from 'node:path';
import { pino } from 'pino';
import {
  ConfigNames,
  decodeSecretData,
  encodeSecretData,
  type KubeObject,
  type Secret,
} from '../../src/apis/index.js';
import type { LoginOptions } from '../../src/auth/index.js';
import type { KubeClient } from '../../src/kube/index.js';
import { testCluster } from '../../src/kubeenv/index.js';
import {
  startApiServer,
  type ApiServerDeps,
  type ApiServerHandle,
  type ApiServerOptions,
} from '../../src/server/index.js';
import { installCrds, kube, repoRoot, tempNamespace } from './kube.js';

/** One captured log line. */
export type LogRecord = Record<string, unknown> & { msg?: string; security?: number; CWE?: number };

export interface HttpResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** the raw body (assert on it for things that must never appear) */
  readonly text: string;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- a typed view of a parsed test response
  json<T = Record<string, unknown>>(): T;
}

export interface RequestOptions {
  readonly body?: unknown;
  /** raw body text (instead of `body`) */
  readonly rawBody?: string;
  /** `Authorization: Bearer <token>` */
  readonly token?: string;
  /** the `Cookie` header */
  readonly cookie?: string;
  /** default `application/json` when a body is sent */
  readonly contentType?: string | null;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface TestApiServer {
  readonly handle: ApiServerHandle;
  readonly url: string;
  readonly port: number;
  readonly namespace: string;
  readonly kube: KubeClient;
  /** the generated admin password (argocd-initial-admin-secret) */
  readonly adminPassword: string;
  /** PEM that verifies the served certificate (undefined with --insecure) */
  readonly caPem: string | undefined;
  readonly logs: readonly LogRecord[];
  securityEvents(): LogRecord[];
  request(method: string, path: string, options?: RequestOptions): Promise<HttpResponse>;
  /** POST /api/v1/session; returns the token (throws on a non-200) */
  login(username: string, password: string): Promise<string>;
  /** an HTTP/2 session to the server (TLS verified with `caPem`); close it yourself */
  http2(): ClientHttp2Session;
  /** sets keys of a ConfigMap in the namespace (creates it when absent) */
  setConfigMap(name: string, data: Readonly<Record<string, string>>): Promise<void>;
  /** waits until `check()` is true (the watch cache caught up), polling every 20 ms */
  waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export interface TestApiServerOptions {
  /** argocd-cm data (url defaults to the server's own) */
  readonly cm?: Readonly<Record<string, string>>;
  /** argocd-rbac-cm data */
  readonly rbac?: Readonly<Record<string, string>>;
  /** objects created in the namespace before the server starts (namespace filled in) */
  readonly objects?: readonly KubeObject[];
  readonly options?: Partial<Omit<ApiServerOptions, 'namespace'>>;
  readonly deps?: Partial<Omit<ApiServerDeps, 'kube' | 'logger'>>;
  readonly loginOptions?: Partial<LoginOptions>;
  /** keep the random 0.5-1 s login delay (default: off) */
  readonly loginDelay?: boolean;
  readonly namePrefix?: string;
}

const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' } as const;
const SECRETS = { group: '', version: 'v1', resource: 'secrets' } as const;

function refFor(
  obj: KubeObject,
  namespace: string,
): { group: string; version: string; resource: string; namespace: string } {
  const [group, version] = obj.apiVersion.includes('/')
    ? obj.apiVersion.split('/')
    : ['', obj.apiVersion];
  const plural: Record<string, string> = {
    ConfigMap: 'configmaps',
    Secret: 'secrets',
    AppProject: 'appprojects',
    Application: 'applications',
  };
  const resource = plural[obj.kind];
  if (!resource) throw new TypeError(`refFor: no plural known for ${obj.kind}`);
  return { group: group ?? '', version: version ?? 'v1', resource, namespace };
}

/** Sends one HTTP/1.1 request (TLS verified against `ca` when https). */
export function sendRequest(
  baseUrl: string,
  ca: string | undefined,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<HttpResponse> {
  const url = new URL(path, baseUrl);
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined && options.contentType !== null)
    headers['content-type'] = options.contentType ?? 'application/json';
  else if (body === undefined && options.contentType !== undefined && options.contentType !== null)
    headers['content-type'] = options.contentType;
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  if (options.cookie !== undefined) headers.cookie = options.cookie;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method,
        headers,
        agent: false,
        ...(url.protocol === 'https:' && ca !== undefined ? { ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- see HttpResponse.json
            json: <T>() => JSON.parse(text) as T,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Starts the API server for a test (see the module comment). */
export async function startTestApiServer(
  options: TestApiServerOptions = {},
): Promise<TestApiServer> {
  await installCrds();
  const k = await kube();
  const ns = await tempNamespace(options.namePrefix ?? 'srv');
  const logs: LogRecord[] = [];
  const logger = pino(
    { level: 'debug', base: null },
    {
      write: (line: string) => {
        logs.push(JSON.parse(line) as LogRecord);
      },
    },
  );
  try {
    const cm = { url: 'https://argocd.example.com', ...(options.cm ?? {}) };
    await k.create(
      { ...CONFIGMAPS, namespace: ns.name },
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: ConfigNames.cm, namespace: ns.name },
        data: cm,
      },
    );
    if (options.rbac)
      await k.create(
        { ...CONFIGMAPS, namespace: ns.name },
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: ConfigNames.rbacCm, namespace: ns.name },
          data: options.rbac,
        },
      );
    for (const obj of options.objects ?? [])
      await k.create(refFor(obj, ns.name), {
        ...obj,
        metadata: { ...obj.metadata, namespace: ns.name },
      });

    const handle = await startApiServer(
      {
        address: '127.0.0.1',
        port: 0,
        shutdownGraceMs: 2_000,
        ...(options.options ?? {}),
        namespace: ns.name,
      },
      {
        kube: k,
        logger,
        loginOptions: {
          ...(options.loginDelay === true ? {} : { delayMinMs: 0, delayMaxMs: 0 }),
          ...(options.loginOptions ?? {}),
        },
        ...(options.deps ?? {}),
      },
    );
    const secret = await k.get<Secret>({
      ...SECRETS,
      namespace: ns.name,
      name: ConfigNames.secret,
    });
    const data = decodeSecretData(secret);
    let caPem: string | undefined;
    if (options.options?.insecure !== true) {
      let tlsSecret: Secret | undefined;
      try {
        tlsSecret = await k.get<Secret>({
          ...SECRETS,
          namespace: ns.name,
          name: ConfigNames.serverTls,
        });
      } catch {
        tlsSecret = undefined;
      }
      const fromTls = tlsSecret ? decodeSecretData(tlsSecret) : {};
      caPem = fromTls['ca.crt'] ?? fromTls['tls.crt'] ?? data['tls.crt'];
    }
    let adminPassword = '';
    try {
      const initial = await k.get<Secret>({
        ...SECRETS,
        namespace: ns.name,
        name: ConfigNames.initialAdminSecret,
      });
      adminPassword = decodeSecretData(initial).password ?? '';
    } catch {
      adminPassword = '';
    }
    const request = (method: string, path: string, o?: RequestOptions): Promise<HttpResponse> =>
      sendRequest(handle.url, caPem, method, path, o);
    const sessions: ClientHttp2Session[] = [];
    const srv: TestApiServer = {
      handle,
      url: handle.url,
      port: handle.port,
      namespace: ns.name,
      kube: k,
      adminPassword,
      caPem,
      logs,
      securityEvents: () => logs.filter((l) => l.security !== undefined),
      request,
      async login(username, password) {
        const res = await request('POST', '/api/v1/session', { body: { username, password } });
        if (res.status !== 200)
          throw new Error(`login of ${username} failed: ${res.status} ${res.text}`);
        return res.json<{ token: string }>().token;
      },
      http2() {
        const s = h2connect(handle.url, caPem !== undefined ? { ca: caPem } : {});
        s.on('error', () => undefined);
        sessions.push(s);
        return s;
      },
      async setConfigMap(name, values) {
        const ref = { ...CONFIGMAPS, namespace: ns.name, name };
        try {
          const current = await k.get<{ data?: Record<string, string> } & KubeObject>(ref);
          await k.replace(ref, { ...current, data: { ...(current.data ?? {}), ...values } });
        } catch {
          await k.create(
            { ...CONFIGMAPS, namespace: ns.name },
            {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name, namespace: ns.name },
              data: values,
            },
          );
        }
      },
      async waitFor(check, what, timeoutMs = 10_000) {
        const deadline = Date.now() + timeoutMs;
        while (!(await check())) {
          if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      },
      async close() {
        for (const s of sessions) s.destroy();
        await handle.close();
        await ns.cleanup();
      },
    };
    return srv;
  } catch (err) {
    await ns.cleanup();
    throw err;
  }
}

/** Secret data encoded for a Secret object. */
export function secretObject(
  name: string,
  data: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, string>> = {},
  type = 'Opaque',
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type,
    metadata: { name, labels: { ...labels } },
    data: encodeSecretData(data),
  };
}

/** A real argocd-server process. */
export interface ApiServerProcess {
  readonly proc: ChildProcess;
  readonly pid: number;
  readonly url: string;
  readonly metricsUrl: string | undefined;
  readonly logs: readonly LogRecord[];
  /** SIGTERM by PID; resolves with the exit code */
  stop(): Promise<number | null>;
}

function exited(proc: ChildProcess): Promise<number | null> {
  if (proc.exitCode !== null) return Promise.resolve(proc.exitCode);
  return new Promise((resolve) =>
    proc.once('exit', (code) => {
      resolve(code);
    }),
  );
}

/**
 * Starts `bin/argocd-server.js` on 127.0.0.1 with free ports against the test cluster, in
 * `namespace`; resolves once it logs that it is serving (rejects with its log when it exits).
 */
export async function startApiServerProcess(
  namespace: string,
  args: readonly string[] = [],
  env: Readonly<Record<string, string>> = {},
): Promise<ApiServerProcess> {
  const { kubeconfigPath } = await testCluster();
  const proc = spawn(
    process.execPath,
    [
      join(repoRoot, 'bin', 'argocd-server.js'),
      '--kubeconfig',
      kubeconfigPath,
      '--namespace',
      namespace,
      '--address',
      '127.0.0.1',
      '--port',
      '0',
      '--metrics-address',
      '127.0.0.1',
      '--metrics-port',
      '0',
      '--logformat',
      'json',
      '--repo-server',
      '127.0.0.1:1',
      ...args,
    ],
    { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const logs: LogRecord[] = [];
  let buf = '';
  const serving = new Promise<{ url: string; metrics?: string } | undefined>((resolve) => {
    proc.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const o = JSON.parse(line) as LogRecord & { url?: string; metrics?: string };
          logs.push(o);
          if (o.msg === 'argocd-server is serving' && typeof o.url === 'string')
            resolve({
              url: o.url,
              ...(typeof o.metrics === 'string' ? { metrics: o.metrics } : {}),
            });
        } catch {
          logs.push({ msg: line });
        }
      }
    });
    proc.once('exit', () => {
      resolve(undefined);
    });
  });
  const started = await serving;
  if (!started || proc.pid === undefined) {
    const code = await exited(proc);
    throw new Error(
      `argocd-server exited (${String(code)}): ${logs.map((l) => JSON.stringify(l)).join('\n')}`,
    );
  }
  const pid = proc.pid;
  return {
    proc,
    pid,
    url: started.url,
    metricsUrl: started.metrics,
    logs,
    stop: async () => {
      if (proc.exitCode === null) process.kill(pid, 'SIGTERM');
      return exited(proc);
    },
  };
}
