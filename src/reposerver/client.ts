/**
 * The typed client of argocd-repo-server: the only module the API server and the controller import
 * from `reposerver/` (conventions B.5). They reach the repo server over the wire, by default with
 * gRPC over TLS on one HTTP/2 connection that is kept open and shared by all calls.
 *
 * TLS is explicit: `{ kind: 'tls', caPem }` verifies the server against a CA (Argo CD's
 * `--repo-server-strict-tls` with `--repo-server-ca-cert-path`), `{ kind: 'tls',
 * insecureSkipVerify: true }` is Argo CD's default non-validating link to a self-signed repo
 * server, a client certificate (`certPem`/`keyPem`) is sent for mutual TLS, and
 * `{ kind: 'plaintext' }` is `--repo-server-plaintext` (a service mesh side-car does TLS).
 *
 * Errors are `RepoServerClientError`s whose `code` is the server's stable `ERR_...` code when the
 * server gave one, else `ERR_UNAVAILABLE` (cannot connect, TLS refused) or `ERR_INTERNAL`.
 *
 * @example
 * const repo = createRepoServerClient({ address: 'argocd-repo-server:8081', tls: { kind: 'tls', caPem } });
 * const res = await repo.generateManifest({
 *   repo: { repo: 'https://git.example/org/apps.git', username, password },
 *   applicationSource: { repoURL: 'https://git.example/org/apps.git', path: 'guestbook', targetRevision: 'main' },
 *   appName: 'guestbook',
 *   namespace: 'default',
 * });
 * const objects = res.manifests.map((m) => JSON.parse(m));
 * repo.close();
 */
import { Agent as HttpsAgent } from 'node:https';
import { Agent as HttpAgent } from 'node:http';
import type { ClientHttp2Stream, Http2Session } from 'node:http2';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient, type Client, type Transport } from '@connectrpc/connect';
import {
  Http2SessionManager,
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from '@connectrpc/connect-node';
import { CodedError } from '../lib/index.js';
import type { RepoServerErrorCode } from './errors.js';
import {
  RepoServerService,
  type AppList,
  type ApplicationSourceSchema,
  type ListAppsRequestSchema,
  type ListRefsRequestSchema,
  type ManifestRequestSchema,
  type ManifestResponse,
  type Refs,
  type RepoAppDetailsResponse,
  type RepoServerAppDetailsQuerySchema,
  type RepoServerRevisionMetadataRequestSchema,
  type RepositorySchema,
  type ResolveRevisionRequestSchema,
  type ResolveRevisionResponse,
  type RevisionMetadata,
  type TestRepositoryRequestSchema,
  type TestRepositoryResponse,
} from './gen/argocd/reposerver/v1/repository_pb.js';
import { Health, HealthCheckResponse_ServingStatus } from './gen/grpc/health/v1/health_pb.js';

export type {
  AppList,
  ApplicationSource,
  ApplicationSourceDirectory,
  ApplicationSourceHelm,
  ApplicationSourceKustomize,
  HelmOptions,
  HelmParameter,
  KustomizeOptions,
  ManifestRequest,
  ManifestResponse,
  Refs,
  RepoAppDetailsResponse,
  Repository,
  ResolveRevisionResponse,
  RevisionMetadata,
  TestRepositoryResponse,
} from './gen/argocd/reposerver/v1/repository_pb.js';
export type { RepoServerErrorCode } from './errors.js';

/** The plain-object form of a Repository (credentials included) accepted by every call. */
export type RepositoryInit = MessageInitShape<typeof RepositorySchema>;
/** The plain-object form of an ApplicationSource. */
export type ApplicationSourceInit = MessageInitShape<typeof ApplicationSourceSchema>;
/** The plain-object form of a GenerateManifest request. */
export type ManifestRequestInit = MessageInitShape<typeof ManifestRequestSchema>;

/** How the client secures its link to the repo server. */
export type RepoServerClientTls =
  | { readonly kind: 'plaintext' }
  | {
      readonly kind: 'tls';
      /** PEM CA certificates the server certificate must chain to */
      readonly caPem?: string;
      /** do not verify the server certificate (Argo CD's default towards a self-signed repo server) */
      readonly insecureSkipVerify?: boolean;
      /** client certificate and key (PEM) for mutual TLS */
      readonly certPem?: string;
      readonly keyPem?: string;
      /** expected server name (SNI and verification), when it differs from the address host */
      readonly serverName?: string;
    };

export interface RepoServerClientOptions {
  /** `host:port` (as `--repo-server` takes it) or a URL `https://host:port` */
  readonly address: string;
  readonly tls: RepoServerClientTls;
  /** wire protocol; gRPC by default (Connect and gRPC-Web speak HTTP/1.1) */
  readonly protocol?: 'grpc' | 'connect' | 'grpc-web';
  /** default time limit of each call (ms); a call may pass its own */
  readonly timeoutMs?: number;
  /** largest response accepted (bytes); 256 MiB by default */
  readonly readMaxBytes?: number;
}

export interface CallOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

export type RepoServerClientErrorCode = RepoServerErrorCode | 'ERR_UNAVAILABLE' | 'ERR_INTERNAL';

/** A failed call; `code` is stable, `grpcCode` is the transport status. */
export class RepoServerClientError extends CodedError<RepoServerClientErrorCode> {
  readonly code: RepoServerClientErrorCode;
  readonly grpcCode: Code;

  constructor(
    code: RepoServerClientErrorCode,
    grpcCode: Code,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.grpcCode = grpcCode;
  }
}

export type HealthStatus = 'SERVING' | 'NOT_SERVING' | 'UNKNOWN' | 'SERVICE_UNKNOWN';

/** The repo server API (see the module comment). */
export interface RepoServerClient {
  generateManifest(
    req: MessageInitShape<typeof ManifestRequestSchema>,
    opts?: CallOptions,
  ): Promise<ManifestResponse>;
  resolveRevision(
    req: MessageInitShape<typeof ResolveRevisionRequestSchema>,
    opts?: CallOptions,
  ): Promise<ResolveRevisionResponse>;
  listRefs(req: MessageInitShape<typeof ListRefsRequestSchema>, opts?: CallOptions): Promise<Refs>;
  getAppDetails(
    req: MessageInitShape<typeof RepoServerAppDetailsQuerySchema>,
    opts?: CallOptions,
  ): Promise<RepoAppDetailsResponse>;
  getRevisionMetadata(
    req: MessageInitShape<typeof RepoServerRevisionMetadataRequestSchema>,
    opts?: CallOptions,
  ): Promise<RevisionMetadata>;
  testRepository(
    req: MessageInitShape<typeof TestRepositoryRequestSchema>,
    opts?: CallOptions,
  ): Promise<TestRepositoryResponse>;
  listApps(
    req: MessageInitShape<typeof ListAppsRequestSchema>,
    opts?: CallOptions,
  ): Promise<AppList>;
  /** gRPC health check of a service ('' = the whole server) */
  checkHealth(service?: string, opts?: CallOptions): Promise<HealthStatus>;
  /** closes the shared connection */
  close(): void;
}

const HEALTH_NAMES: Readonly<Record<number, HealthStatus>> = {
  [HealthCheckResponse_ServingStatus.UNKNOWN]: 'UNKNOWN',
  [HealthCheckResponse_ServingStatus.SERVING]: 'SERVING',
  [HealthCheckResponse_ServingStatus.NOT_SERVING]: 'NOT_SERVING',
  [HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN]: 'SERVICE_UNKNOWN',
};

const SERVER_CODES = new Set<string>([
  'ERR_INVALID_REQUEST',
  'ERR_INVALID_REPO_URL',
  'ERR_INVALID_REVISION',
  'ERR_REVISION_NOT_FOUND',
  'ERR_REPO_ACCESS',
  'ERR_GIT',
  'ERR_PATH_OUTSIDE_ROOT',
  'ERR_PATH_NOT_FOUND',
  'ERR_OOB_SYMLINK',
  'ERR_MANIFEST_TOO_LARGE',
  'ERR_MANIFEST_PARSE',
  'ERR_URL_SCHEME_NOT_ALLOWED',
  'ERR_TOOL_NOT_INSTALLED',
  'ERR_TOOL_FAILED',
  'ERR_TIMEOUT',
  'ERR_UNSUPPORTED',
  'ERR_CANCELLED',
] satisfies RepoServerErrorCode[]);

function isServerCode(s: string | null): s is RepoServerErrorCode {
  return s !== null && SERVER_CODES.has(s);
}

/** The code of a Node error (TLS, socket, HTTP/2) somewhere in the cause chain. */
function nodeErrorCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 8 && e instanceof Error; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = e.cause;
  }
  return undefined;
}

function toClientError(err: unknown, signal: AbortSignal | undefined): RepoServerClientError {
  const ce = ConnectError.from(err);
  const header = ce.metadata.get('x-argocd-error-code');
  let code: RepoServerClientErrorCode;
  if (isServerCode(header)) code = header;
  else if (ce.code === Code.Canceled && signal?.aborted) code = 'ERR_CANCELLED';
  else if (ce.code === Code.DeadlineExceeded) code = 'ERR_TIMEOUT';
  else if (
    ce.code === Code.Unavailable ||
    ce.code === Code.Canceled ||
    nodeErrorCode(ce.cause) !== undefined
  )
    // no answer from the server: refused connection, TLS handshake failure, reset stream
    code = 'ERR_UNAVAILABLE';
  else code = 'ERR_INTERNAL';
  return new RepoServerClientError(code, ce.code, `repo server: ${ce.rawMessage}`, { cause: err });
}

/**
 * Receive window of the client's HTTP/2 connection (all streams together). HTTP/2 starts every
 * connection at 64 KiB whatever the stream windows are, so a manifest response of a few hundred
 * kilobytes would otherwise wait for several WINDOW_UPDATE round trips between the two processes.
 */
const CONNECTION_WINDOW_BYTES = 32 * 1024 * 1024;
/** Receive window of each stream (SETTINGS_INITIAL_WINDOW_SIZE). */
const STREAM_WINDOW_BYTES = 16 * 1024 * 1024;

/** An HTTP/2 session manager that opens each new connection's receive window wide. */
class WideWindowSessionManager extends Http2SessionManager {
  readonly #widened = new WeakSet<Http2Session>();

  override async request(
    ...args: Parameters<Http2SessionManager['request']>
  ): Promise<ClientHttp2Stream> {
    const stream = await super.request(...args);
    const session = stream.session;
    if (session && !this.#widened.has(session)) {
      this.#widened.add(session);
      // sent before the server starts its answer, so even the first response is not held back
      session.setLocalWindowSize(CONNECTION_WINDOW_BYTES);
    }
    return stream;
  }
}

function baseUrlOf(address: string, tls: boolean): string {
  if (/^https?:\/\//.test(address)) {
    const u = new URL(address);
    if ((u.protocol === 'https:') !== tls)
      throw new TypeError(
        `repo server address ${address} does not match the TLS setting (${tls ? 'tls' : 'plaintext'})`,
      );
    return u.origin;
  }
  if (!/^[^/\s]+:\d+$/.test(address))
    throw new TypeError(`repo server address "${address}" must be host:port`);
  return `${tls ? 'https' : 'http'}://${address}`;
}

/** Creates a client (no connection is made until the first call). */
export function createRepoServerClient(options: RepoServerClientOptions): RepoServerClient {
  const tls = options.tls.kind === 'tls' ? options.tls : undefined;
  const baseUrl = baseUrlOf(options.address, tls !== undefined);
  const readMaxBytes = options.readMaxBytes ?? 256 * 1024 * 1024;
  const tlsOptions = tls
    ? {
        ...(tls.caPem ? { ca: tls.caPem } : {}),
        ...(tls.certPem && tls.keyPem ? { cert: tls.certPem, key: tls.keyPem } : {}),
        rejectUnauthorized: !tls.insecureSkipVerify,
        ...(tls.serverName ? { servername: tls.serverName } : {}),
      }
    : {};
  const protocol = options.protocol ?? 'grpc';
  let transport: Transport;
  let closeTransport: () => void;
  if (protocol === 'grpc') {
    const manager = new WideWindowSessionManager(
      baseUrl,
      { pingIntervalMs: 30_000, idleConnectionTimeoutMs: 15 * 60_000 },
      // a manifest response is often hundreds of kilobytes: windows larger than HTTP/2's 64 KiB
      // default (the stream's here, the connection's in WideWindowSessionManager) let it arrive
      // without waiting for window updates
      { ...tlsOptions, settings: { initialWindowSize: STREAM_WINDOW_BYTES } },
    );
    transport = createGrpcTransport({
      baseUrl,
      sessionManager: manager,
      readMaxBytes,
      // the repo server sits next to its callers: compressing half a megabyte of manifests per
      // call would cost more CPU than the bytes it saves
      acceptCompression: [],
      ...(options.timeoutMs ? { defaultTimeoutMs: options.timeoutMs } : {}),
    });
    closeTransport = () => {
      manager.abort();
    };
  } else {
    const agent = tls
      ? new HttpsAgent({ keepAlive: true, ...tlsOptions })
      : new HttpAgent({ keepAlive: true });
    const common = {
      baseUrl,
      httpVersion: '1.1' as const,
      nodeOptions: { agent },
      readMaxBytes,
      acceptCompression: [],
      ...(options.timeoutMs ? { defaultTimeoutMs: options.timeoutMs } : {}),
    };
    transport =
      protocol === 'connect' ? createConnectTransport(common) : createGrpcWebTransport(common);
    closeTransport = () => {
      agent.destroy();
    };
  }
  const repo: Client<typeof RepoServerService> = createClient(RepoServerService, transport);
  const health = createClient(Health, transport);
  const call = async <T>(fn: () => Promise<T>, o?: CallOptions): Promise<T> => {
    try {
      return await fn();
    } catch (err) {
      throw toClientError(err, o?.signal);
    }
  };
  const co = (o?: CallOptions): { signal?: AbortSignal; timeoutMs?: number } => ({
    ...(o?.signal ? { signal: o.signal } : {}),
    ...(o?.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
  });
  return {
    generateManifest: (req, o) => call(() => repo.generateManifest(req, co(o)), o),
    resolveRevision: (req, o) => call(() => repo.resolveRevision(req, co(o)), o),
    listRefs: (req, o) => call(() => repo.listRefs(req, co(o)), o),
    getAppDetails: (req, o) => call(() => repo.getAppDetails(req, co(o)), o),
    getRevisionMetadata: (req, o) => call(() => repo.getRevisionMetadata(req, co(o)), o),
    testRepository: (req, o) => call(() => repo.testRepository(req, co(o)), o),
    listApps: (req, o) => call(() => repo.listApps(req, co(o)), o),
    checkHealth: (service = '', o) =>
      call(async () => {
        const res = await health.check({ service }, co(o));
        return HEALTH_NAMES[res.status] ?? 'UNKNOWN';
      }, o),
    close: closeTransport,
  };
}
