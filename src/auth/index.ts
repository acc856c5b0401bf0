/**
 * auth: who is calling. Argo CD-compatible JWT sessions, local accounts and their API tokens,
 * project role tokens, password hashing and policy, and login hardening. No HTTP types: the API
 * server passes plain values in and maps `AuthError` codes to statuses in its error middleware.
 *
 * Wiring (the server's composition root):
 * ```ts
 * const key = parseServerSecretKey(secretData['server.secretkey']); // or generateServerSecretKey()
 * const revocations = new MemoryRevocationStore();          // or RedisRevocationStore + start()
 * const failures = new MemoryFailureStore({ maxEntries });  // or RedisFailureStore
 * const sessions = new SessionManager({ secretKey: key, accounts, projects, revocations },
 *   { sessionLifetimeMs: settings.sessionDurationMs, ...resolveTokenOptions(process.env) });
 * const login = new LoginService({ sessions, accounts, failures }, resolveLoginOptions(process.env));
 * // per request:
 * const found = extractToken({ grpcMetadata, authorization, cookies });
 * const who = found && (await sessions.verifyToken(found.token));
 * ```
 *
 * Ports the server implements: `AccountStore` (argocd-cm + argocd-secret; `accountsFromSettings`
 * and `accountSecretKeys` read and write their formats), `ProjectTokenLookup`
 * (`projectTokenLookupFrom` over its AppProject cache; `withProjectRoleToken` /
 * `withoutProjectRoleToken` record and delete tokens), and a `SecurityLogger`.
 *
 * Exports:
 * - errors: `AuthError`, `AuthErrorCode`, `INVALID_LOGIN_MESSAGE`, `BLANK_PASSWORD_MESSAGE`
 * - ports: `Account`, `AccountStore`, `AccountTokenRecord`, `ProjectTokenLookup`,
 *   `ProjectRoleTokens`, `RevocationStore`, `FailureStore`, `FailureLimits`, `Admission`,
 *   `AdmissionState`, `FailureCounts`, `LoginSubject`, `Clock`, `Random`, `Sleep`,
 *   `SecurityLogger`, `SecurityEvent`, `SecurityEventName`, `SecurityLevel`, `SecurityLevels`,
 *   `Awaitable`, `systemClock`, `cryptoRandom`, `realSleep`, `noopSecurityLogger`
 * - keys: `parseServerSecretKey`, `generateServerSecretKey`, `SERVER_SECRET_KEY`,
 *   `MIN_SECRET_KEY_BYTES`
 * - passwords: `hashPassword`, `verifyPassword`, `validatePasswordPattern`,
 *   `compilePasswordPattern`, `generateInitialPassword`, `isBcryptHash`, `bcryptCost`,
 *   `DEFAULT_BCRYPT_COST`, `MIN_BCRYPT_COST`, `MAX_PASSWORD_BYTES`, `DEFAULT_PASSWORD_PATTERN`
 * - tokens: `SessionManager` (+ options/deps/result types), `assertProjectScope`, `peekIssuer`,
 *   `decodeHs256`, `TOKEN_ISSUER`, `TOKEN_ALGORITHM`, `RENEW_BEFORE_MS`,
 *   `DEFAULT_SESSION_LIFETIME_MS`, `DEFAULT_API_TOKEN_LIFETIME_MS`, `DEFAULT_CLOCK_SKEW_MS`,
 *   `TokenClaims`, `TokenKind`, `Hs256Result`, `Hs256Failure`
 * - login: `LoginService` (+ types), `resolveLoginOptions`, `resolveTokenOptions`, `AuthEnv`,
 *   `DEFAULT_LOGIN_OPTIONS`, `LoginOptions`, `TokenOptions`, `MAX_USERNAME_BYTES`
 * - accounts: `accountsFromSettings`, `accountSecretKeys`, `parseAccountTokens`,
 *   `formatAccountTokens`, `formatPasswordMtime`, `parsePasswordMtime`, `MemoryAccountStore`,
 *   `ADMIN_USERNAME`, `AccountSecretKeys`
 * - projects: `projectTokenLookupFrom`, `projectRoleTokens`, `withProjectRoleToken`,
 *   `withoutProjectRoleToken`
 * - stores: `MemoryFailureStore`, `MemoryRevocationStore`, `RedisFailureStore`,
 *   `RedisRevocationStore`, `createAuthRedisClient`, `AuthRedisClient` (+ option types),
 *   `DEFAULT_FAILURE_CACHE_SIZE`, `DEFAULT_MAX_REVOCATIONS`
 * - transport: `extractToken`, `joinTokenCookies`, `parseCookieHeader`, `cookieChunks`,
 *   `clearTokenCookies`, `AUTH_COOKIE_NAME`, `MAX_COOKIE_CHUNKS`, `MAX_COOKIE_LENGTH`
 * - SSO (external OpenID providers): `OidcTokenVerifier` (alg allow-list, JWKS via `OidcKeySet`,
 *   issuer, expiry, audience, nonce, revocation), `oidcRevocationId`; the sealed login state of
 *   `/auth/login` (`deriveOAuthStateKey`, `newOAuthLogin`, `openOAuthState`, `sealBytes`,
 *   `openBytes`, `randomUrlToken`, `OAUTH_STATE_COOKIE`); refresh-token stores
 *   (`MemoryRefreshTokenStore`, `RedisRefreshTokenStore`)
 *
 * See docs/auth.md for the decisions (lockout keying, Redis outages, API token expiry).
 */
export {
  AuthError,
  INVALID_LOGIN_MESSAGE,
  BLANK_PASSWORD_MESSAGE,
  type AuthErrorCode,
} from './errors.js';
export {
  SecurityLevels,
  systemClock,
  cryptoRandom,
  realSleep,
  noopSecurityLogger,
  type Awaitable,
  type Clock,
  type Random,
  type Sleep,
  type SecurityLevel,
  type SecurityEvent,
  type SecurityEventName,
  type SecurityLogger,
  type Account,
  type AccountStore,
  type AccountTokenRecord,
  type ProjectRoleTokens,
  type ProjectTokenLookup,
  type RevocationStore,
  type FailureStore,
  type FailureLimits,
  type Admission,
  type AdmissionState,
  type FailureCounts,
  type LoginSubject,
} from './ports.js';
export {
  parseServerSecretKey,
  generateServerSecretKey,
  SERVER_SECRET_KEY,
  MIN_SECRET_KEY_BYTES,
} from './secret-key.js';
export {
  hashPassword,
  verifyPassword,
  validatePasswordPattern,
  compilePasswordPattern,
  generateInitialPassword,
  isBcryptHash,
  bcryptCost,
  DEFAULT_BCRYPT_COST,
  MIN_BCRYPT_COST,
  MAX_PASSWORD_BYTES,
  DEFAULT_PASSWORD_PATTERN,
} from './password.js';
export {
  decodeHs256,
  peekIssuer,
  TOKEN_ALGORITHM,
  type TokenClaims,
  type Hs256Result,
  type Hs256Failure,
} from './jwt.js';
export {
  SessionManager,
  assertProjectScope,
  TOKEN_ISSUER,
  RENEW_BEFORE_MS,
  DEFAULT_SESSION_LIFETIME_MS,
  DEFAULT_API_TOKEN_LIFETIME_MS,
  DEFAULT_CLOCK_SKEW_MS,
  type SessionManagerDeps,
  type SessionManagerOptions,
  type TokenKind,
  type VerifiedToken,
  type VerifiedUserToken,
  type VerifiedProjectToken,
  type IssuedToken,
  type IssuedApiToken,
  type IssuedProjectToken,
} from './session-manager.js';
export {
  LoginService,
  MAX_USERNAME_BYTES,
  type LoginServiceDeps,
  type LoginResult,
  type PasswordChangeCaller,
  type PasswordChangeRequest,
} from './login.js';
export {
  resolveLoginOptions,
  resolveTokenOptions,
  AuthEnv,
  DEFAULT_LOGIN_OPTIONS,
  type LoginOptions,
  type TokenOptions,
} from './options.js';
export {
  accountsFromSettings,
  accountSecretKeys,
  parseAccountTokens,
  formatAccountTokens,
  formatPasswordMtime,
  parsePasswordMtime,
  MemoryAccountStore,
  ADMIN_USERNAME,
  type AccountSecretKeys,
} from './accounts.js';
export {
  projectTokenLookupFrom,
  projectRoleTokens,
  withProjectRoleToken,
  withoutProjectRoleToken,
} from './project-tokens.js';
export {
  MemoryFailureStore,
  DEFAULT_FAILURE_CACHE_SIZE,
  type MemoryFailureStoreOptions,
} from './failure-store.js';
export {
  MemoryRevocationStore,
  DEFAULT_MAX_REVOCATIONS,
  type MemoryRevocationStoreOptions,
} from './revocation-store.js';
export {
  createAuthRedisClient,
  RedisFailureStore,
  RedisRevocationStore,
  type AuthRedisClient,
  type AuthRedisOptions,
  type RedisFailureStoreOptions,
  type RedisRevocationStoreOptions,
} from './redis.js';
export {
  extractToken,
  joinTokenCookies,
  parseCookieHeader,
  cookieChunks,
  clearTokenCookies,
  AUTH_COOKIE_NAME,
  MAX_COOKIE_CHUNKS,
  MAX_COOKIE_LENGTH,
  type TokenCarriers,
  type TokenSource,
  type CookieOptions,
} from './transport.js';
export {
  OidcTokenVerifier,
  oidcRevocationId,
  OIDC_ALLOWED_ALGORITHMS,
  OIDC_CLOCK_SKEW_MS,
  type OidcVerifierOptions,
  type OidcVerifierDeps,
  type OidcVerifyOptions,
  type VerifiedOidcToken,
} from './oidc-verifier.js';
export { OidcKeySet, type OidcFetch, type OidcKeySetOptions } from './oidc-jwks.js';
export {
  deriveOAuthStateKey,
  newOAuthLogin,
  sealOAuthState,
  openOAuthState,
  sealBytes,
  openBytes,
  randomUrlToken,
  safeEqual,
  OAUTH_STATE_COOKIE,
  OAUTH_STATE_TTL_MS,
  type OAuthLoginState,
  type OAuthStateKey,
} from './oidc-state.js';
export {
  MemoryRefreshTokenStore,
  RedisRefreshTokenStore,
  DEFAULT_MAX_REFRESH_SESSIONS,
  type RefreshTokenStore,
} from './oidc-refresh-store.js';
