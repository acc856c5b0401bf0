/**
 * The environment knobs of login hardening and token lifetimes, parsed once at start-up (never in
 * hot code). Names and defaults are Argo CD's where Argo CD has them; bad values are refused with a
 * message naming the variable instead of being silently replaced by a default.
 */
import { parseDuration } from '../lib/index.js';
import { AuthError } from './errors.js';
import { DEFAULT_BCRYPT_COST } from './password.js';
import { DEFAULT_API_TOKEN_LIFETIME_MS } from './session-manager.js';
import { DEFAULT_FAILURE_CACHE_SIZE } from './failure-store.js';

/** Environment variables read by `resolveLoginOptions` / `resolveTokenOptions`. */
export const AuthEnv = Object.freeze({
  MAX_FAIL_COUNT: 'ARGOCD_SESSION_FAILURE_MAX_FAIL_COUNT',
  MAX_USERNAME_FAIL_COUNT: 'ARGOCD_SESSION_FAILURE_MAX_USERNAME_FAIL_COUNT',
  FAILURE_WINDOW_SECONDS: 'ARGOCD_SESSION_FAILURE_WINDOW_SECONDS',
  MAX_CACHE_SIZE: 'ARGOCD_SESSION_MAX_CACHE_SIZE',
  MAX_CONCURRENT_LOGINS: 'ARGOCD_MAX_CONCURRENT_LOGIN_REQUESTS_COUNT',
  REPLICAS: 'ARGOCD_API_SERVER_REPLICAS',
  API_TOKEN_DEFAULT_LIFETIME: 'ARGOCD_API_TOKEN_DEFAULT_LIFETIME',
} as const);

/** Resolved login hardening settings (see docs/auth.md for why each default is what it is). */
export interface LoginOptions {
  /** failures of one (username, client address) pair within the window that lock the pair; 0 disables all counting */
  readonly maxFailCount: number;
  /** failures of one username from any address within the window that lock the username */
  readonly maxUsernameFailCount: number;
  /** a counter lapses this long after its last counted attempt; 0 = never */
  readonly failureWindowMs: number;
  /** bound of the in-memory failure cache */
  readonly maxCacheSize: number;
  /** logins verified at once by this replica; 0 = unlimited */
  readonly maxConcurrentLogins: number;
  /** random delay added to every password verification, inclusive bounds */
  readonly delayMinMs: number;
  readonly delayMaxMs: number;
  readonly bcryptCost: number;
  /** usernames whose failure counter survives cache eviction */
  readonly protectedUsernames: readonly string[];
}

export const DEFAULT_MAX_FAIL_COUNT = 5;
export const DEFAULT_FAILURE_WINDOW_MS = 300_000;
export const DEFAULT_MAX_CONCURRENT_LOGINS = 50;
/** The username-wide limit defaults to this multiple of the pair limit. */
export const USERNAME_LIMIT_FACTOR = 4;

export const DEFAULT_LOGIN_OPTIONS: LoginOptions = Object.freeze({
  maxFailCount: DEFAULT_MAX_FAIL_COUNT,
  maxUsernameFailCount: DEFAULT_MAX_FAIL_COUNT * USERNAME_LIMIT_FACTOR,
  failureWindowMs: DEFAULT_FAILURE_WINDOW_MS,
  maxCacheSize: DEFAULT_FAILURE_CACHE_SIZE,
  maxConcurrentLogins: DEFAULT_MAX_CONCURRENT_LOGINS,
  delayMinMs: 500,
  delayMaxMs: 1000,
  bcryptCost: DEFAULT_BCRYPT_COST,
  protectedUsernames: Object.freeze(['admin']),
});

type Env = Readonly<Record<string, string | undefined>>;

function intFromEnv(env: Env, name: string, def: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return def;
  const n = Number(raw.trim());
  if (!Number.isInteger(n) || n < min) {
    throw new AuthError(
      'ERR_AUTH_INVALID_OPTION',
      `failed to read ${name}: "${raw.slice(0, 32)}" is not a whole number >= ${min}`,
    );
  }
  return n;
}

/**
 * Reads the login hardening knobs from the environment (Argo CD's names; plus
 * `ARGOCD_SESSION_FAILURE_MAX_USERNAME_FAIL_COUNT`, default 4x the pair limit). The concurrency
 * cap is divided by `ARGOCD_API_SERVER_REPLICAS` as in Argo CD.
 * @example
 * const loginOptions = resolveLoginOptions(process.env); // at start-up, once
 */
export function resolveLoginOptions(env: Env): LoginOptions {
  const maxFailCount = intFromEnv(env, AuthEnv.MAX_FAIL_COUNT, DEFAULT_MAX_FAIL_COUNT, 0);
  const maxUsernameFailCount = intFromEnv(
    env,
    AuthEnv.MAX_USERNAME_FAIL_COUNT,
    maxFailCount * USERNAME_LIMIT_FACTOR,
    maxFailCount > 0 ? 1 : 0,
  );
  const windowSeconds = intFromEnv(
    env,
    AuthEnv.FAILURE_WINDOW_SECONDS,
    DEFAULT_FAILURE_WINDOW_MS / 1000,
    0,
  );
  const maxCacheSize = intFromEnv(env, AuthEnv.MAX_CACHE_SIZE, DEFAULT_FAILURE_CACHE_SIZE, 3);
  const concurrent = intFromEnv(
    env,
    AuthEnv.MAX_CONCURRENT_LOGINS,
    DEFAULT_MAX_CONCURRENT_LOGINS,
    0,
  );
  const replicas = intFromEnv(env, AuthEnv.REPLICAS, 1, 1);
  return Object.freeze({
    ...DEFAULT_LOGIN_OPTIONS,
    maxFailCount,
    maxUsernameFailCount,
    failureWindowMs: windowSeconds * 1000,
    maxCacheSize,
    maxConcurrentLogins: concurrent === 0 ? 0 : Math.max(1, Math.floor(concurrent / replicas)),
  });
}

/** Token lifetimes not set in argocd-cm. */
export interface TokenOptions {
  /** lifetime of API and project tokens requested without one; 0 (default) = never expire (Argo CD) */
  readonly apiTokenDefaultLifetimeMs: number;
}

/**
 * Reads `ARGOCD_API_TOKEN_DEFAULT_LIFETIME` (a Go duration such as `2160h`; unset or `0` keeps
 * Argo CD's never-expiring tokens). The login session lifetime comes from `users.session.duration` in
 * argocd-cm instead.
 */
export function resolveTokenOptions(env: Env): TokenOptions {
  const raw = env[AuthEnv.API_TOKEN_DEFAULT_LIFETIME];
  if (raw === undefined || raw.trim() === '')
    return Object.freeze({ apiTokenDefaultLifetimeMs: DEFAULT_API_TOKEN_LIFETIME_MS });
  let ms: number;
  try {
    ms = parseDuration(raw);
  } catch (err) {
    throw new AuthError(
      'ERR_AUTH_INVALID_OPTION',
      `failed to read ${AuthEnv.API_TOKEN_DEFAULT_LIFETIME}: expected a duration such as 2160h, or 0 for tokens that never expire`,
      { cause: err },
    );
  }
  if (ms < 0)
    throw new AuthError(
      'ERR_AUTH_INVALID_OPTION',
      `failed to read ${AuthEnv.API_TOKEN_DEFAULT_LIFETIME}: a lifetime cannot be negative`,
    );
  return Object.freeze({ apiTokenDefaultLifetimeMs: ms });
}
