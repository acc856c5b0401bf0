/**
 * Username/password login and password change, hardened against guessing and enumeration
 * (CVE-2020-8827, CVE-2020-11576, CVE-2024-21652/21661/21662):
 * - blank passwords and usernames over 32 bytes are refused up front;
 * - at most `maxConcurrentLogins` verifications run at once; the excess fails like a bad password;
 * - failures are counted per (username, client address) and per username; a locked pair or
 *   username is refused without touching bcrypt; success resets both;
 * - an attempt is admitted only while failures plus attempts in flight stay below the limits, so
 *   a burst of concurrent guesses gets exactly the allowance, while a burst of correct logins
 *   waits its turn instead of failing;
 * - unknown users, users without a password, disabled accounts and accounts without `login` all
 *   run one bcrypt comparison and fail with the same `Invalid username or password`;
 * - every verification takes a random 500-1000 ms on top (the bcrypt work runs inside it);
 * - success (security 1), failure (2) and lockout (5, CWE-307) are audited.
 */
import { assertNever, errorMessage } from '../lib/index.js';
import {
  AuthError,
  BLANK_PASSWORD_MESSAGE,
  INVALID_LOGIN_MESSAGE,
  type AuthErrorCode,
} from './errors.js';
import { DEFAULT_LOGIN_OPTIONS, type LoginOptions } from './options.js';
import {
  checkBcryptCost,
  dummyPasswordHash,
  hashPassword,
  isBcryptHash,
  validatePasswordPattern,
  verifyPassword,
} from './password.js';
import {
  cryptoRandom,
  noopSecurityLogger,
  realSleep,
  SecurityLevels,
  systemClock,
  type AccountStore,
  type Admission,
  type Clock,
  type FailureCounts,
  type FailureLimits,
  type FailureStore,
  type LoginSubject,
  type Random,
  type SecurityLogger,
  type Sleep,
} from './ports.js';
import {
  TOKEN_ISSUER,
  type IssuedToken,
  type SessionManager,
  type VerifiedToken,
} from './session-manager.js';

/** Longest username accepted (Argo CD's `maxUsernameLength`). */
export const MAX_USERNAME_BYTES = 32;
/** An SSO token must be younger than this to change a password (Argo CD). */
export const SSO_PASSWORD_CHANGE_MAX_TOKEN_AGE_MS = 5 * 60_000;
/** Client address used when the server cannot tell one. */
export const UNKNOWN_CLIENT_ADDRESS = 'unknown';

/** How long a queued attempt waits between looks at counters shared with other replicas. */
const SATURATED_POLL_MS = 50;
/** Polls without progress before a queued attempt gives up (about 5 s). */
const MAX_SATURATED_WAITS = 100;

interface Refusal {
  readonly code: AuthErrorCode;
  readonly reason: string;
}

export interface LoginServiceDeps {
  readonly sessions: SessionManager;
  readonly accounts: AccountStore;
  readonly failures: FailureStore;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly sleep?: Sleep;
  readonly logger?: SecurityLogger;
  /** bcrypt comparison (default `verifyPassword`); injectable so tests can see it run */
  readonly verifyPassword?: (password: string, hash: string) => Promise<boolean>;
}

export interface LoginResult extends IssuedToken {
  readonly username: string;
}

/** Who asks for a password change: a verified local token, or an SSO user. */
export type PasswordChangeCaller =
  | { readonly kind: 'local'; readonly token: VerifiedToken }
  | { readonly kind: 'sso'; readonly username: string; readonly issuedAtMs: number };

export interface PasswordChangeRequest {
  readonly caller: PasswordChangeCaller;
  /** account whose password changes; default: the caller's own */
  readonly username?: string;
  /** the caller's own current password (required for local callers) */
  readonly currentPassword: string;
  readonly newPassword: string;
  /** `passwordPattern` of argocd-cm */
  readonly passwordPattern: string;
  /**
   * whether RBAC allows the caller `accounts, update, <username>`; consulted (and required) when
   * the caller changes another account's password or is an SSO user
   */
  readonly mayUpdateAccount: boolean;
  readonly clientAddress: string;
}

function uniform(code: AuthErrorCode, reason: string): AuthError {
  return new AuthError('ERR_AUTH_INVALID_CREDENTIALS', INVALID_LOGIN_MESSAGE, {
    cause: new AuthError(code, `failed to log in: ${reason}`),
  });
}

/**
 * The login endpoint's logic. One instance per API server process.
 * @example
 * const login = new LoginService({ sessions, accounts, failures: new MemoryFailureStore() },
 *   resolveLoginOptions(process.env));
 * const { token } = await login.login(body.username, body.password, request.ip);
 */
export class LoginService {
  readonly #sessions: SessionManager;
  readonly #accounts: AccountStore;
  readonly #failures: FailureStore;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #sleep: Sleep;
  readonly #logger: SecurityLogger;
  readonly #options: LoginOptions;
  readonly #verifyPassword: (password: string, hash: string) => Promise<boolean>;
  #dummyHash: Promise<string> | undefined;
  /** wake-ups of attempts queued behind attempts in flight, by username */
  readonly #waiters = new Map<string, Set<() => void>>();
  #inFlight = 0;

  constructor(deps: LoginServiceDeps, options: Partial<LoginOptions> = {}) {
    this.#sessions = deps.sessions;
    this.#accounts = deps.accounts;
    this.#failures = deps.failures;
    this.#clock = deps.clock ?? systemClock;
    this.#random = deps.random ?? cryptoRandom;
    this.#sleep = deps.sleep ?? realSleep;
    this.#logger = deps.logger ?? noopSecurityLogger;
    this.#verifyPassword = deps.verifyPassword ?? verifyPassword;
    const o = { ...DEFAULT_LOGIN_OPTIONS, ...options };
    checkBcryptCost(o.bcryptCost);
    for (const [name, v] of Object.entries({
      maxFailCount: o.maxFailCount,
      maxUsernameFailCount: o.maxUsernameFailCount,
      failureWindowMs: o.failureWindowMs,
      maxConcurrentLogins: o.maxConcurrentLogins,
      delayMinMs: o.delayMinMs,
      delayMaxMs: o.delayMaxMs,
    })) {
      if (!Number.isInteger(v) || v < 0)
        throw new TypeError(`LoginOptions.${name} must be a whole number >= 0`);
    }
    if (o.delayMaxMs < o.delayMinMs) throw new TypeError('LoginOptions.delayMaxMs < delayMinMs');
    if (o.maxFailCount > 0 && o.maxUsernameFailCount === 0)
      throw new TypeError('LoginOptions.maxUsernameFailCount must be >= 1 when counting failures');
    this.#options = Object.freeze(o);
    // Hash the dummy now, so the first unknown user does not take two bcrypt runs.
    this.#dummyHash = dummyPasswordHash(o.bcryptCost, this.#random);
    this.#dummyHash.catch(() => {
      // reported when a login awaits it (#dummy retries then)
    });
  }

  /** Verifications running now (for metrics). */
  get inFlight(): number {
    return this.#inFlight;
  }

  get options(): LoginOptions {
    return this.#options;
  }

  #delayMs(): number {
    const { delayMinMs: min, delayMaxMs: max } = this.#options;
    if (max === min) return min;
    const b = this.#random.bytes(4);
    const u32 =
      (((b[0] ?? 0) << 24) | ((b[1] ?? 0) << 16) | ((b[2] ?? 0) << 8) | (b[3] ?? 0)) >>> 0;
    return min + (u32 % (max - min + 1));
  }

  async #dummy(): Promise<string> {
    try {
      return await (this.#dummyHash ??= dummyPasswordHash(this.#options.bcryptCost, this.#random));
    } catch (err) {
      this.#dummyHash = undefined;
      throw err;
    }
  }

  /**
   * Checks a username and password with every protection of this module and resolves when they
   * are right for an enabled account with the `login` capability. Every credential failure throws
   * the same AuthError (`ERR_AUTH_INVALID_CREDENTIALS`, `Invalid username or password`); its
   * `cause` holds the real reason for the server's log, never for the client.
   * Throws ERR_AUTH_INVALID_ARGUMENT for a blank password or a username over 32 bytes.
   */
  async verifyUsernamePassword(
    username: string,
    password: string,
    clientAddress: string,
  ): Promise<void> {
    if (password === '') throw new AuthError('ERR_AUTH_INVALID_ARGUMENT', BLANK_PASSWORD_MESSAGE);
    if (Buffer.byteLength(username, 'utf8') > MAX_USERNAME_BYTES)
      throw new AuthError(
        'ERR_AUTH_INVALID_ARGUMENT',
        `username is too long (${MAX_USERNAME_BYTES} bytes max)`,
      );
    const subject: LoginSubject = {
      username,
      clientAddress: clientAddress === '' ? UNKNOWN_CLIENT_ADDRESS : clientAddress,
    };
    const max = this.#options.maxConcurrentLogins;
    if (max > 0 && this.#inFlight >= max) {
      this.#logger.log({
        event: 'login.busy',
        message: `login refused: ${max} logins are already being verified`,
        security: SecurityLevels.MEDIUM,
        fields: { username, clientAddress: subject.clientAddress },
      });
      throw uniform('ERR_AUTH_BUSY', 'too many concurrent logins');
    }
    this.#inFlight++;
    try {
      // The delay runs alongside the check, so how long the answer takes says nothing about
      // which step failed.
      const delay = this.#sleep(this.#delayMs());
      const outcome = await this.#check(subject, password).then(
        () => undefined,
        (err: unknown) => (err instanceof Error ? err : new Error(String(err))),
      );
      await delay;
      if (outcome) throw outcome;
    } finally {
      this.#inFlight--;
    }
  }

  async #check(subject: LoginSubject, password: string): Promise<void> {
    const { maxFailCount, maxUsernameFailCount, failureWindowMs } = this.#options;
    const limits: FailureLimits = {
      pairLimit: maxFailCount,
      usernameLimit: maxUsernameFailCount,
      windowMs: failureWindowMs,
    };
    const counting = maxFailCount > 0;
    if (counting) await this.#admit(subject, limits);
    let refusal: Refusal | undefined;
    try {
      refusal = await this.#compare(subject.username, password);
    } catch (err) {
      if (counting) await this.#settle(subject, false, limits);
      throw err;
    }
    const counts = counting
      ? await this.#settle(subject, refusal === undefined, limits)
      : undefined;
    if (!refusal) return;
    const { username, clientAddress } = subject;
    this.#logger.log({
      event: 'login.failed',
      message: `login of ${username} failed`,
      security: SecurityLevels.MEDIUM,
      fields: { username, clientAddress, reason: refusal.reason, ...counts },
    });
    if (
      counts &&
      (counts.pairFailures === maxFailCount || counts.usernameFailures === maxUsernameFailCount)
    ) {
      const everywhere = counts.usernameFailures === maxUsernameFailCount;
      const failures = everywhere ? counts.usernameFailures : counts.pairFailures;
      this.#logger.log({
        event: 'login.locked-out',
        message: everywhere
          ? `${username} locked out for every client after ${failures} failed logins`
          : `${username} locked out for ${clientAddress} after ${failures} failed logins`,
        security: SecurityLevels.EMERGENCY,
        CWE: 307,
        fields: {
          username,
          clientAddress,
          scope: everywhere ? 'username' : 'pair',
          failures,
          windowSeconds: failureWindowMs / 1000,
        },
      });
    }
    throw uniform(refusal.code, refusal.reason);
  }

  /** Waits for admission: refused when locked, queued while attempts in flight fill the limit. */
  async #admit(subject: LoginSubject, limits: FailureLimits): Promise<void> {
    const { username, clientAddress } = subject;
    let timeouts = 0;
    for (;;) {
      let admission: Admission;
      try {
        admission = await this.#failures.admit(subject, limits);
      } catch (err) {
        // Without counters there is no brute-force protection: refuse rather than guess.
        this.#logger.log({
          event: 'store.degraded',
          message: 'login refused: the failure counters are unavailable',
          security: SecurityLevels.HIGH,
          fields: { username, clientAddress },
        });
        throw new AuthError('ERR_AUTH_INVALID_CREDENTIALS', INVALID_LOGIN_MESSAGE, {
          cause: new AuthError('ERR_AUTH_STORE', 'failed to count login attempt', { cause: err }),
        });
      }
      switch (admission.state) {
        case 'admitted':
          return;
        case 'locked':
          this.#logger.log({
            event: 'login.failed',
            message: `login refused: ${username} is locked out after too many failures`,
            security: SecurityLevels.MEDIUM,
            fields: {
              username,
              clientAddress,
              reason: 'locked',
              pairFailures: admission.pairFailures,
              usernameFailures: admission.usernameFailures,
            },
          });
          throw uniform('ERR_AUTH_LOCKED', `${username} is locked out`);
        case 'saturated':
          if (timeouts >= MAX_SATURATED_WAITS) {
            this.#logger.log({
              event: 'login.busy',
              message: `login refused: attempts for ${username} stayed in flight too long`,
              security: SecurityLevels.MEDIUM,
              fields: { username, clientAddress },
            });
            throw uniform('ERR_AUTH_BUSY', `too many attempts for ${username} in flight`);
          }
          if ((await this.#waitForSettle(username)) === 'timeout') timeouts++;
          break;
        default:
          assertNever(admission.state);
      }
    }
  }

  /** Resolves when an attempt for `username` settles here, or after a poll interval. */
  #waitForSettle(username: string): Promise<'woken' | 'timeout'> {
    return new Promise((resolve) => {
      let waiters = this.#waiters.get(username);
      if (!waiters) {
        waiters = new Set();
        this.#waiters.set(username, waiters);
      }
      const set = waiters;
      const done = (how: 'woken' | 'timeout'): void => {
        clearTimeout(timer);
        set.delete(wake);
        if (set.size === 0 && this.#waiters.get(username) === set) this.#waiters.delete(username);
        resolve(how);
      };
      const wake = (): void => {
        done('woken');
      };
      // Attempts settling on other replicas (shared Redis counters) are only seen by polling.
      const timer = setTimeout(() => {
        done('timeout');
      }, SATURATED_POLL_MS);
      timer.unref();
      set.add(wake);
    });
  }

  /** Ends an admitted attempt and wakes whoever waits for this username. */
  async #settle(
    subject: LoginSubject,
    success: boolean,
    limits: FailureLimits,
  ): Promise<FailureCounts | undefined> {
    try {
      return await this.#failures.settle(subject, success, limits);
    } catch (err) {
      // The attempt was counted as in flight; the store forgets it (Redis: TTL) on its own.
      this.#logger.log({
        event: 'store.degraded',
        message: `failed to record the outcome of a login: ${errorMessage(err)}`,
        security: SecurityLevels.HIGH,
        fields: { username: subject.username, clientAddress: subject.clientAddress },
      });
      return undefined;
    } finally {
      for (const wake of [...(this.#waiters.get(subject.username) ?? [])]) wake();
    }
  }

  /** One bcrypt comparison whatever the account; the reason for refusing, if any. */
  async #compare(username: string, password: string): Promise<Refusal | undefined> {
    const account = await this.#accounts.getAccount(username);
    const hash =
      account?.passwordHash !== undefined && isBcryptHash(account.passwordHash)
        ? account.passwordHash
        : await this.#dummy();
    const matches = await this.#verifyPassword(password, hash);
    if (!account) return { code: 'ERR_AUTH_ACCOUNT_NOT_FOUND', reason: 'no such account' };
    if (hash !== account.passwordHash)
      return { code: 'ERR_AUTH_INVALID_CREDENTIALS', reason: 'the account has no usable password' };
    if (!matches) return { code: 'ERR_AUTH_INVALID_CREDENTIALS', reason: 'wrong password' };
    if (!account.enabled)
      return { code: 'ERR_AUTH_ACCOUNT_DISABLED', reason: 'the account is disabled' };
    if (!account.capabilities.includes('login'))
      return { code: 'ERR_AUTH_CAPABILITY', reason: 'the account lacks the login capability' };
    return undefined;
  }

  /**
   * `POST /api/v1/session`: verifies the credentials (see `verifyUsernamePassword`) and issues a
   * session token.
   */
  async login(username: string, password: string, clientAddress: string): Promise<LoginResult> {
    await this.verifyUsernamePassword(username, password, clientAddress);
    const issued = await this.#sessions.issueSessionToken(username);
    this.#logger.log({
      event: 'login.succeeded',
      message: `${username} logged in`,
      security: SecurityLevels.LOW,
      fields: {
        username,
        clientAddress: clientAddress === '' ? UNKNOWN_CLIENT_ADDRESS : clientAddress,
      },
    });
    return { ...issued, username };
  }

  /**
   * `PUT /api/v1/account/password`, Argo CD's rules: a local caller proves itself with its own
   * current password (brute-force protected like a login); an SSO caller needs a token younger
   * than 5 minutes; changing another account, or any change by an SSO user, needs RBAC
   * `accounts, update`; the new password must match `passwordPattern`. Stores the hash with
   * `passwordMtime = now`, which revokes every token issued before. A local caller changing its own
   * password gets a fresh token back (and its current token is revoked).
   */
  async changePassword(request: PasswordChangeRequest): Promise<{ token?: IssuedToken }> {
    const { caller } = request;
    let callerName: string;
    if (caller.kind === 'local') {
      if (caller.token.kind === 'project')
        throw new AuthError(
          'ERR_AUTH_INVALID_ARGUMENT',
          `failed to change password: passwords belong to local users, not to ${caller.token.subject}`,
        );
      callerName = caller.token.username;
    } else {
      callerName = caller.username;
    }
    const target =
      request.username !== undefined && request.username !== '' ? request.username : callerName;
    if ((target !== callerName || caller.kind === 'sso') && !request.mayUpdateAccount)
      throw new AuthError(
        'ERR_AUTH_FORBIDDEN',
        `failed to change password: ${callerName} may not update account "${target}"`,
      );
    if (caller.kind === 'local') {
      try {
        await this.verifyUsernamePassword(
          callerName,
          request.currentPassword,
          request.clientAddress,
        );
      } catch (err) {
        if (err instanceof AuthError && err.code === 'ERR_AUTH_INVALID_ARGUMENT') throw err;
        throw new AuthError(
          'ERR_AUTH_PASSWORD_MISMATCH',
          'failed to change password: current password does not match',
          { cause: err },
        );
      }
    } else if (this.#clock.now() - caller.issuedAtMs > SSO_PASSWORD_CHANGE_MAX_TOKEN_AGE_MS) {
      throw new AuthError(
        'ERR_AUTH_TOKEN_TOO_OLD',
        "failed to change password: the SSO token is too old; run 'argocd relogin' to get a new one",
      );
    }
    validatePasswordPattern(request.newPassword, request.passwordPattern);
    if (!(await this.#accounts.getAccount(target)))
      throw new AuthError(
        'ERR_AUTH_ACCOUNT_NOT_FOUND',
        `failed to change password: account "${target}" does not exist`,
      );
    const hash = await hashPassword(request.newPassword, this.#options.bcryptCost);
    await this.#accounts.setPassword(target, hash, this.#clock.now());
    this.#logger.log({
      event: 'password.changed',
      message: `password of ${target} changed by ${callerName}`,
      security: SecurityLevels.LOW,
      fields: { username: target, changedBy: callerName, clientAddress: request.clientAddress },
    });
    if (caller.kind !== 'local' || target !== callerName) return {};
    // A token issued in the same second as the change would survive the 1 s mtime check: revoke
    // the caller's current token explicitly, and hand out a new one.
    if (caller.token.claims.iss === TOKEN_ISSUER) await this.#sessions.revokeToken(caller.token);
    return { token: await this.#sessions.issueSessionToken(callerName) };
  }
}
