/**
 * The ports auth needs from the world. The API server implements the stores (it backs accounts with
 * `argocd-cm` + `argocd-secret` and projects with AppProjects); auth ships in-memory and Redis
 * implementations of the revocation and failure stores, an in-memory account store, and the system
 * clock, CSPRNG and sleep used in production. Tests inject their own.
 */
import { randomBytes } from 'node:crypto';
import type { AccountCapability, JwtToken } from '../apis/index.js';

/** A value or a promise of it: in-memory adapters answer synchronously, remote ones do not. */
export type Awaitable<T> = T | Promise<T>;

/** Wall-clock time in milliseconds since the epoch. */
export interface Clock {
  now(): number;
}

/** Cryptographically secure random bytes. */
export interface Random {
  bytes(size: number): Uint8Array;
}

/** Waits `ms` milliseconds (injected so tests need not wait). */
export type Sleep = (ms: number) => Promise<void>;

export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

export const cryptoRandom: Random = Object.freeze({
  bytes: (size: number): Uint8Array => randomBytes(size),
});

export const realSleep: Sleep = (ms) =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/**
 * Security log levels (Argo CD `common/common.go`): 1 low (successful access), 2 medium (access
 * denied), 3 high (likely malicious, blocked), 4 critical (exploitable with side effects),
 * 5 emergency (active attack, e.g. brute force).
 */
export const SecurityLevels = Object.freeze({
  LOW: 1,
  MEDIUM: 2,
  HIGH: 3,
  CRITICAL: 4,
  EMERGENCY: 5,
} as const);
export type SecurityLevel = (typeof SecurityLevels)[keyof typeof SecurityLevels];

/** Names of the events auth emits. */
export type SecurityEventName =
  | 'login.succeeded'
  | 'login.failed'
  | 'login.locked-out'
  | 'login.busy'
  | 'password.changed'
  | 'token.issued'
  | 'token.revoked'
  | 'token.forged'
  | 'store.degraded';

/**
 * One structured security event. `fields` never hold passwords or tokens; usernames and client
 * addresses are included because an audit trail without them is useless.
 */
export interface SecurityEvent {
  readonly event: SecurityEventName;
  readonly message: string;
  readonly security: SecurityLevel;
  /** Common Weakness Enumeration number, e.g. 307 for brute force */
  readonly CWE?: number;
  readonly fields?: Readonly<Record<string, string | number | boolean>>;
}

/** Receives security events; the server forwards them to its logger (pino) as structured fields. */
export interface SecurityLogger {
  log(event: SecurityEvent): void;
}

export const noopSecurityLogger: SecurityLogger = Object.freeze({
  log: (): void => undefined,
});

/** An API token of a local account as recorded in `argocd-secret` (`accounts.<n>.tokens`). */
export interface AccountTokenRecord {
  readonly id: string;
  /** issued at, seconds since the epoch */
  readonly iat: number;
  /** expires at, seconds since the epoch; absent (or 0 in Argo CD's JSON) when it never expires */
  readonly exp?: number;
}

/** A local account (the admin or `accounts.<name>` of `argocd-cm`) with its secret parts. */
export interface Account {
  readonly name: string;
  readonly enabled: boolean;
  readonly capabilities: readonly AccountCapability[];
  /** bcrypt hash (`$2a$10$...`); absent when no password is set (the account cannot log in) */
  readonly passwordHash?: string;
  /** when the password last changed, ms since the epoch; tokens issued before it are refused */
  readonly passwordMtimeMs?: number;
  readonly tokens: readonly AccountTokenRecord[];
}

/**
 * Reads and writes local accounts. The API server implements it over `argocd-cm` (enabled,
 * capabilities) and `argocd-secret` (hash, mtime, tokens); `MemoryAccountStore` is the in-process
 * implementation. Reads are on the hot path of every request: serve them from a watch cache.
 */
export interface AccountStore {
  getAccount(name: string): Awaitable<Account | undefined>;
  /** Stores a new bcrypt hash and its change time (which revokes every older token). */
  setPassword(name: string, passwordHash: string, passwordMtimeMs: number): Promise<void>;
  /** Appends an API token record; throws AuthError ERR_AUTH_TOKEN_EXISTS if the id is taken. */
  addToken(name: string, record: AccountTokenRecord): Promise<void>;
  /** Removes an API token record; returns false when there was none with that id. */
  removeToken(name: string, id: string): Promise<boolean>;
}

/** What a project knows about one role's tokens. */
export interface ProjectRoleTokens {
  /** the role's tokens: `status.jwtTokensByRole[role].items` (legacy `spec.roles[].jwtTokens`) */
  readonly tokens: readonly JwtToken[];
}

/**
 * Answers whether project P exists, has role R, and which tokens R holds. `undefined` means the
 * project or the role does not exist (which revokes every token of it). See
 * `projectTokenLookupFrom` for an implementation over AppProject objects.
 */
export interface ProjectTokenLookup {
  getRoleTokens(project: string, role: string): Awaitable<ProjectRoleTokens | undefined>;
}

/** Revoked token ids (`jti`), kept until the token would have expired anyway. */
export interface RevocationStore {
  /** Revokes `jti` until `expiresAtMs` (undefined: the token never expires; kept for good). */
  revoke(jti: string, expiresAtMs: number | undefined): Promise<void>;
  isRevoked(jti: string): Awaitable<boolean>;
}

/** Who is logging in, for the failure counters. */
export interface LoginSubject {
  readonly username: string;
  readonly clientAddress: string;
}

/** The limits a failure store applies atomically. */
export interface FailureLimits {
  /** failures of one (username, client address) pair that lock the pair */
  readonly pairLimit: number;
  /** failures of one username from all addresses that lock the username */
  readonly usernameLimit: number;
  /** a counter is forgotten this long after its last counted attempt; 0 keeps it for good */
  readonly windowMs: number;
}

/** What `FailureStore.admit` decided. */
export type AdmissionState =
  /** the attempt may check its password; it is counted as in flight until `settle` */
  | 'admitted'
  /** a failure counter has reached its limit: refuse without checking the password */
  | 'locked'
  /** failures plus attempts in flight already reach a limit: wait for one to settle, then retry */
  | 'saturated';

/** Failure counts of a login subject (0 when absent or lapsed). */
export interface FailureCounts {
  readonly pairFailures: number;
  readonly usernameFailures: number;
}

/** The answer of `FailureStore.admit`. */
export interface Admission extends FailureCounts {
  readonly state: AdmissionState;
}

/**
 * Login failure counters, plus the attempts in flight. `admit` is one atomic step: an attempt is
 * admitted only while failures plus attempts in flight stay below both limits, so a burst of
 * concurrent guesses cannot all slip past a check made before any of them failed, while a burst
 * of correct logins merely queues. Every admitted attempt is ended by exactly one `settle`.
 */
export interface FailureStore {
  admit(subject: LoginSubject, limits: FailureLimits): Promise<Admission>;
  /**
   * Ends an admitted attempt: success forgets both failure counters (Argo CD), failure adds one to
   * each and restarts their window. Returns the counts after.
   */
  settle(subject: LoginSubject, success: boolean, limits: FailureLimits): Promise<FailureCounts>;
}
