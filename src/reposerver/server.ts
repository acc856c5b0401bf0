/**
 * The repo server's transport: one port serves gRPC, gRPC-Web and Connect (JSON or binary) for
 * `repository.RepoServerService` and the standard `grpc.health.v1.Health` service.
 *
 * - With TLS: a Node `http2` secure server with `allowHTTP1`, TLS 1.2+ by default, and mutual TLS
 *   when a client CA is given (clients without a certificate it signed are refused in the
 *   handshake). The certificate can be replaced at run time (`setCertificate`), which the TLS
 *   module's hot reload uses.
 * - With `--disable-tls`: one plain listener that sniffs the HTTP/2 connection preface and hands
 *   each connection to an h2c or an HTTP/1.1 server (Argo CD uses cmux for the same job).
 *
 * RepoServerError codes are mapped to gRPC status codes here and only here; the stable `ERR_...`
 * code travels in the `x-argocd-error-code` response header so `client.ts` can restore it. Any
 * other error becomes "internal error (logId=...)" with the detail logged.
 */
import { randomUUID } from 'node:crypto';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import {
  createSecureServer,
  createServer as createH2cServer,
  type Http2SecureServer,
  type Http2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from 'node:http2';
import {
  createServer as createNetServer,
  type AddressInfo,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import type { SecureVersion, TLSSocket, TlsOptions } from 'node:tls';
import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type ConnectRouter, type Interceptor } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { sanitizeText } from '../lib/index.js';
import { isRepoServerError, type RepoServerErrorCode } from './errors.js';
import { RepoServerService } from './gen/argocd/reposerver/v1/repository_pb.js';
import {
  Health,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus,
} from './gen/grpc/health/v1/health_pb.js';
import type { RepoService } from './service.js';
import { isBinaryContentType } from './wire.js';

/** The header that carries the stable `ERR_...` code of a RepoServerError. */
export const ERROR_CODE_HEADER = 'x-argocd-error-code';

const GRPC_CODES: Readonly<Record<RepoServerErrorCode, Code>> = {
  ERR_INVALID_REQUEST: Code.InvalidArgument,
  ERR_INVALID_REPO_URL: Code.InvalidArgument,
  ERR_INVALID_REVISION: Code.InvalidArgument,
  ERR_REVISION_NOT_FOUND: Code.NotFound,
  ERR_REPO_ACCESS: Code.FailedPrecondition,
  ERR_GIT: Code.Internal,
  ERR_PATH_OUTSIDE_ROOT: Code.InvalidArgument,
  ERR_PATH_NOT_FOUND: Code.NotFound,
  ERR_OOB_SYMLINK: Code.InvalidArgument,
  ERR_MANIFEST_TOO_LARGE: Code.ResourceExhausted,
  ERR_MANIFEST_PARSE: Code.FailedPrecondition,
  ERR_URL_SCHEME_NOT_ALLOWED: Code.InvalidArgument,
  ERR_TOOL_NOT_INSTALLED: Code.FailedPrecondition,
  ERR_TOOL_FAILED: Code.FailedPrecondition,
  ERR_TIMEOUT: Code.DeadlineExceeded,
  ERR_UNSUPPORTED: Code.Unimplemented,
  ERR_CANCELLED: Code.Canceled,
};

/** Maps any error thrown by a handler to the ConnectError the client sees (the one place). */
export function toConnectError(err: unknown, logger: Logger): ConnectError {
  if (isRepoServerError(err)) {
    return new ConnectError(
      sanitizeText(err.message),
      GRPC_CODES[err.code],
      new Headers({ [ERROR_CODE_HEADER]: err.code }),
    );
  }
  if (err instanceof ConnectError) return err;
  const logId = randomUUID();
  logger.error(
    {
      logId,
      err:
        err instanceof Error ? sanitizeText(err.stack ?? err.message) : sanitizeText(String(err)),
    },
    'internal error',
  );
  return new ConnectError(`internal error (logId=${logId})`, Code.Internal);
}

/** Serving state of the health service, per service name ('' = the whole server). */
export class HealthState {
  readonly #status = new Map<string, HealthCheckResponse_ServingStatus>();
  readonly #listeners = new Set<() => void>();

  constructor(services: readonly string[]) {
    for (const s of ['', ...services])
      this.#status.set(s, HealthCheckResponse_ServingStatus.SERVING);
  }

  /** The status of a service, or undefined for an unknown name. */
  get(service: string): HealthCheckResponse_ServingStatus | undefined {
    return this.#status.get(service);
  }

  /** Sets every service to SERVING or NOT_SERVING and wakes watchers. */
  setServing(serving: boolean): void {
    const s = serving
      ? HealthCheckResponse_ServingStatus.SERVING
      : HealthCheckResponse_ServingStatus.NOT_SERVING;
    for (const k of this.#status.keys()) this.#status.set(k, s);
    for (const l of this.#listeners) l();
  }

  /** Resolves on the next change or when the signal aborts. */
  changed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.#listeners.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.#listeners.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}

/** Registers the repo server and health services on a Connect router. */
export function repoServerRoutes(
  service: RepoService,
  health: HealthState,
): (router: ConnectRouter) => void {
  return (router) => {
    router.service(RepoServerService, {
      // binary codecs get the manifests pre-encoded (wire.ts); JSON codecs the plain message
      generateManifest: (req, ctx) =>
        isBinaryContentType(ctx.requestHeader.get('content-type'))
          ? service.generateManifestBinary(req, ctx.signal)
          : service.generateManifest(req, ctx.signal),
      resolveRevision: (req, ctx) => service.resolveRevision(req, ctx.signal),
      listRefs: (req, ctx) => service.listRefs(req, ctx.signal),
      getAppDetails: (req, ctx) => service.getAppDetails(req, ctx.signal),
      getRevisionMetadata: (req, ctx) => service.getRevisionMetadata(req, ctx.signal),
      testRepository: (req, ctx) => service.testRepository(req, ctx.signal),
      listApps: (req, ctx) => service.listApps(req, ctx.signal),
    });
    router.service(Health, {
      check: (req) => {
        const status = health.get(req.service);
        if (status === undefined)
          throw new ConnectError(`unknown service "${req.service}"`, Code.NotFound);
        return create(HealthCheckResponseSchema, { status });
      },
      watch: async function* (req, ctx) {
        let last: HealthCheckResponse_ServingStatus | undefined;
        while (!ctx.signal.aborted) {
          const status =
            health.get(req.service) ?? HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN;
          if (status !== last) {
            last = status;
            yield create(HealthCheckResponseSchema, { status });
          }
          await health.changed(ctx.signal);
        }
      },
    });
  };
}

/** TLS material of the server (PEM). */
export interface PemServerTls {
  readonly certPem: string;
  readonly keyPem: string;
  /** clients must present a certificate signed by one of these (mutual TLS) */
  readonly clientCaPem?: string;
  readonly minVersion?: SecureVersion;
  readonly maxVersion?: SecureVersion;
  /** OpenSSL cipher list for TLS 1.2 */
  readonly ciphers?: string;
}

/**
 * TLS built elsewhere (the shared TLS module): Node server options (certificate, client CA,
 * versions, ciphers) and a hook that receives the server once it exists, e.g. to attach hot
 * reload; the function it returns, if any, is called at close.
 */
export interface PreparedServerTls {
  readonly nodeOptions: TlsOptions;
  readonly attach?: (server: Http2SecureServer) => (() => void) | undefined;
}

/** The server's TLS: PEM material, or options prepared by the TLS module. */
export type RepoServerTls = PemServerTls | PreparedServerTls;

function isPrepared(t: RepoServerTls): t is PreparedServerTls {
  return 'nodeOptions' in t;
}

function pemOptions(t: PemServerTls): TlsOptions {
  return {
    cert: t.certPem,
    key: t.keyPem,
    minVersion: t.minVersion ?? 'TLSv1.2',
    maxVersion: t.maxVersion ?? 'TLSv1.3',
    ...(t.ciphers ? { ciphers: t.ciphers } : {}),
    ...(t.clientCaPem ? { ca: t.clientCaPem, requestCert: true, rejectUnauthorized: true } : {}),
  };
}

export interface ListenOptions {
  readonly address: string;
  readonly port: number;
  /** undefined serves plaintext (h2c and HTTP/1.1 on one port) */
  readonly tls: RepoServerTls | undefined;
  readonly logger: Logger;
  /** max bytes of one request message (requests are small; this bounds abuse) */
  readonly readMaxBytes?: number;
}

export interface RunningRepoServer {
  readonly address: string;
  readonly port: number;
  /** `https://127.0.0.1:<port>` or `http://...` */
  readonly url: string;
  readonly tls: boolean;
  /** the underlying Node server (for TLS hot reload wiring) */
  readonly nodeServer: Http2SecureServer | NetServer;
  /** replaces the serving certificate for new handshakes */
  setCertificate(pair: { certPem: string; keyPem: string }): void;
  /** stops accepting, lets in-flight calls finish (up to `graceMs`), then closes everything */
  close(graceMs?: number): Promise<void>;
}

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
const DEFAULT_READ_MAX_BYTES = 4 * 1024 * 1024;

function hostForUrl(address: string): string {
  if (address === '0.0.0.0' || address === '::' || address === '') return '127.0.0.1';
  return address.includes(':') ? `[${address}]` : address;
}

/** Starts the server on the given address and port (0 = a free port). */
export async function listenRepoServer(
  routes: (router: ConnectRouter) => void,
  opts: ListenOptions,
): Promise<RunningRepoServer> {
  const errors: Interceptor = (next) => async (req) => {
    try {
      return await next(req);
    } catch (err) {
      throw toConnectError(err, opts.logger);
    }
  };
  const handler = connectNodeAdapter({
    routes,
    interceptors: [errors],
    readMaxBytes: opts.readMaxBytes ?? DEFAULT_READ_MAX_BYTES,
  });
  const sessions = new Set<ServerHttp2Session>();
  const sockets = new Set<Socket>();
  const track = (s: ServerHttp2Session): void => {
    sessions.add(s);
    s.once('close', () => sessions.delete(s));
  };

  let listener: Http2SecureServer | NetServer;
  let h1: HttpServer | undefined;
  let h2c: Http2Server | undefined;
  let secure: Http2SecureServer | undefined;
  let detach: (() => void) | undefined;
  if (opts.tls) {
    const t = opts.tls;
    const base = isPrepared(t) ? t.nodeOptions : pemOptions(t);
    secure = createSecureServer(
      { minVersion: 'TLSv1.2', ...base, allowHTTP1: true },
      handler as (req: Http2ServerRequest, res: Http2ServerResponse) => void,
    );
    if (isPrepared(t) && t.attach) detach = t.attach(secure);
    secure.on('session', track);
    secure.on('secureConnection', (s: TLSSocket) => {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
    });
    secure.on('tlsClientError', (err: Error) => {
      opts.logger.debug({ err: err.message }, 'TLS handshake failed');
    });
    listener = secure;
  } else {
    h1 = createHttpServer(handler as (req: IncomingMessage, res: ServerResponse) => void);
    h2c = createH2cServer(handler as (req: Http2ServerRequest, res: Http2ServerResponse) => void);
    h2c.on('session', track);
    const toH1 = h1;
    const toH2 = h2c;
    listener = createNetServer((socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      let head = Buffer.alloc(0);
      const onData = (chunk: Buffer): void => {
        head = Buffer.concat([head, chunk]);
        const n = Math.min(head.length, H2_PREFACE.length);
        const prefix = head.subarray(0, n).equals(H2_PREFACE.subarray(0, n));
        if (prefix && head.length < H2_PREFACE.length) return;
        socket.off('data', onData);
        socket.pause();
        socket.unshift(head);
        (prefix ? toH2 : toH1).emit('connection', socket);
        process.nextTick(() => socket.resume());
      };
      socket.on('data', onData);
      socket.on('error', () => {
        // a client that drops the connection: nothing to clean up beyond the socket itself
      });
    });
  }

  await new Promise<void>((resolve, reject) => {
    listener.once('error', reject);
    listener.listen(opts.port, opts.address, () => {
      listener.off('error', reject);
      resolve();
    });
  });
  const addr = listener.address() as AddressInfo;
  const scheme = opts.tls ? 'https' : 'http';
  opts.logger.info(
    { address: addr.address, port: addr.port, tls: Boolean(opts.tls) },
    'repo server listening',
  );

  let closing: Promise<void> | undefined;
  return {
    address: addr.address,
    port: addr.port,
    url: `${scheme}://${hostForUrl(addr.address)}:${addr.port}`,
    tls: Boolean(opts.tls),
    nodeServer: listener,
    setCertificate: (pair) => {
      const t = opts.tls;
      if (!secure || !t) throw new TypeError('the server runs without TLS');
      const base = isPrepared(t) ? t.nodeOptions : pemOptions(t);
      secure.setSecureContext({ ...base, cert: pair.certPem, key: pair.keyPem });
    },
    close: (graceMs = 5000) => {
      closing ??= (async () => {
        detach?.();
        const closed = new Promise<void>((resolve) => {
          listener.close(() => {
            resolve();
          });
        });
        for (const s of sessions) s.close();
        h1?.closeIdleConnections();
        const timer = setTimeout(() => {
          for (const s of sessions) s.destroy();
          for (const s of sockets) s.destroy();
          h1?.closeAllConnections();
        }, graceMs);
        timer.unref();
        await closed;
        clearTimeout(timer);
        for (const s of sockets) s.destroy();
      })();
      return closing;
    },
  };
}

/** A small plain HTTP server for `/metrics` (Prometheus text) and `/healthz`. */
export async function listenMetrics(
  registry: Registry,
  address: string,
  port: number,
  healthy: () => boolean,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = createHttpServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType }).end(text);
        },
        () => {
          res.writeHead(500).end('failed to collect metrics\n');
        },
      );
      return;
    }
    if (path === '/healthz') {
      const ok = healthy();
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' })
        .end(ok ? 'ok\n' : 'not serving\n');
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
