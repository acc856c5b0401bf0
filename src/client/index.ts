/**
 * client: the typed API client of argocd-ts and Argo CD (≈ `pkg/apiclient`), used by the CLI.
 *
 * - `ArgoCdClient`: REST calls with Argo CD's paths and JSON (sessions, user info, version,
 *   settings, accounts and can-i, projects with role tokens, repositories, credential templates,
 *   clusters, applications: list/get/create/update/spec/delete/sync/rollback/terminate, resource
 *   tree, managed resources (diff states), manifests, events) and the SSE watch streams.
 *   Token as `Authorization: Bearer`; a renewed token from `Set-Cookie: argocd.token` replaces it
 *   and is reported to `onTokenRenewed`.
 * - `HttpTransport`: keep-alive HTTP(S) with the CLI's TLS options (CA, client certificate,
 *   `insecureSkipVerify`), custom headers, idle timeouts, bounded bodies; `fetch` for libraries.
 * - `ClientError` (`ERR_CLIENT_CONNECTION`, `_TIMEOUT`, `_API`, `_RESPONSE`, `_ABORTED`) with
 *   `httpStatus`, `grpcCode`, `serverMessage`; `isNotFoundError` & co.; `GrpcCodes`.
 * - `SseParser`/`NdjsonSplitter` (stream framing), `tokenFromSetCookie`, `paginate`/`collectAll`,
 *   wire types from the swagger (`RepositoryInfo`, `ClusterInfo`, `ResourceDiff`, ...), `toInt64`.
 *
 * The client never logs, and its messages never contain the token or request bodies.
 *
 * @example
 * const client = new ArgoCdClient({ baseUrl: 'https://127.0.0.1:8080', tls: { caPem },
 *   authToken, onTokenRenewed: (t) => saveToken(t) });
 * const apps = await client.listApplications({ projects: ['default'] });
 * for await (const ev of client.watchApplications({ name: 'guestbook' }, signal)) console.log(ev.type);
 * client.close();
 */
export { ArgoCdClient, errorFromResponse, type ArgoCdClientOptions } from './client.js';
export {
  HttpTransport,
  buildPath,
  describeConnectionError,
  type TransportOptions,
  type TransportTlsOptions,
  type ExchangeInfo,
  type HttpRequest,
  type HttpResponse,
  type HttpStream,
  type FetchOptions,
  type QueryValue,
} from './transport.js';
export {
  ClientError,
  isNotFoundError,
  isUnauthenticatedError,
  isPermissionDeniedError,
  isAlreadyExistsError,
  isConnectionError,
  type ClientErrorCode,
  type ClientErrorDetails,
} from './errors.js';
export {
  GrpcCodes,
  grpcCodeName,
  grpcCodeFromHttpStatus,
  isGrpcCode,
  type GrpcCode,
  type GrpcCodeName,
} from './grpc-codes.js';
export { SseParser, NdjsonSplitter, type SseEvent } from './sse.js';
export { tokenFromSetCookie, TOKEN_COOKIE } from './cookies.js';
export { paginate, collectAll, type PaginateOptions } from './pagination.js';
export {
  toInt64,
  type Int64,
  type ListMeta,
  type ItemList,
  type VersionMessage,
  type OidcConfig,
  type DexConfig,
  type Settings,
  type UserInfo,
  type Account,
  type AccountToken,
  type UpdatePasswordRequest,
  type CreateTokenOptions,
  type ConnectionState,
  type RepositoryInfo,
  type RepoCredsInfo,
  type TlsClientConfig,
  type ClusterConfigInfo,
  type ClusterStatusInfo,
  type ClusterInfo,
  type ClusterIdType,
  type TokenResponse,
  type HealthStatus,
  type ResourceRef,
  type ResourceNode,
  type ApplicationTree,
  type ResourceAction,
  type ResourceKeyQuery,
  type ResourceDiff,
  type ManifestResponse,
  type KubeEvent,
  type ApplicationWatchEvent,
  type ApplicationSyncRequest,
  type ApplicationRollbackRequest,
  type ApplicationQuery,
  type AppRef,
  type ApplicationDeleteOptions,
} from './types.js';
