/**
 * server: argocd-server's API. One port (default 8080) serves HTTP/1.1 and HTTP/2 over TLS (plain
 * HTTP is redirected to https), or plain HTTP/1.1 and h2c with `--insecure`; metrics on 8083.
 *
 * - `startApiServer(options, deps)` assembles it: initial setup of argocd-secret, the watch cache
 *   of the namespace, sessions and login hardening (src/auth), RBAC (src/rbac), the certificate
 *   with hot reload (src/tls), every service, the listener. See server.ts.
 * - A service is a folder `src/server/<service>/routes.ts` exporting an `ApiService`; its handlers
 *   receive a `RequestContext` (verified caller, `enforce`, `can`) and throw `ApiError` & co,
 *   which errors.ts maps to grpc-gateway's `{error, code, message}` in one place.
 * - The same handlers serve gRPC, gRPC-Web and Connect on the same port: a service registers its
 *   protobuf service with `routes.rpc(Service, { method: unary(deps, fn) })` (connect.ts).
 * - Every exit is redacted through redact.ts; list endpoints paginate through pagination.ts.
 * - SSO (`createSsoService`, src/server/sso/): `/auth/login|callback|logout`, the `/api/dex/`
 *   proxy and the verifier of external tokens; the composition root passes it in `services`.
 *
 * docs/server.md has the endpoints with their RBAC checks, the flags, and how to add a service.
 *
 * @example
 * const server = await startApiServer({ namespace: 'argocd', port: 8080 }, { kube, logger });
 * // ... later
 * await server.close();
 */
export { startApiServer, type ApiServerDeps, type ApiServerHandle } from './server.js';
export {
  resolveApiServerOptions,
  type ApiServerOptions,
  type ResolvedApiServerOptions,
} from './options.js';
export {
  ApiError,
  GrpcCodes,
  mapError,
  errorBody,
  httpStatusFromGrpc,
  type ApiErrorCode,
  type GrpcCode,
  type GrpcCodeName,
  type MappedError,
  type ErrorBody,
} from './errors.js';
export {
  RequestContext,
  ANONYMOUS,
  EXPIRED_SSO,
  type Caller,
  type CallerKind,
  type RequestContextDeps,
} from './context.js';
export { type SsoTokenVerifier, type SsoIdentity } from './authn.js';
export {
  createSsoService,
  resolveDexServerUrl,
  expandLogoutUrl,
  DEFAULT_DEX_SERVER,
  INSECURE_DEX_LINK,
  type SsoServiceOptions,
  type DexLinkTls,
} from './sso/service.js';
export {
  QueryParams,
  type ApiService,
  type ApiRoutes,
  type ApiRequest,
  type RouteSpec,
  type RouteHandler,
  type AuthMode,
  type HttpMethod,
  type ServiceDeps,
  type AuditRecorder,
} from './service.js';
export { defaultServices } from './services.js';
export { paginate, pageRequest, MAX_PAGE_SIZE, type Page, type ListMeta } from './pagination.js';
export {
  redactText,
  stripLastApplied,
  maskSecretObject,
  removeCredentialFields,
  sanitizeRepositoryForApi,
  sanitizeRepoCredsForApi,
  sanitizeClusterForApi,
  SECRET_MASK,
  CREDENTIAL_FIELDS,
} from './redact.js';
export {
  logSecurityEvent,
  authSecurityLogger,
  kubeLogger,
  silentServerLogger,
  Security,
  Cwe,
  type ServerLogger,
  type SecurityLevel,
} from './logging.js';
export { SettingsStore, type StoreChange } from './state/settings-store.js';
export { KubeAccountStore } from './state/account-store.js';
export { initializeSettings, type InitialSetupResult } from './state/initial-setup.js';
