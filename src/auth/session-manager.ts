/**
 * Issues and verifies the tokens the API server signs (HS256 with `server.secretkey`, issuer
 * `argocd`): login sessions (`<user>:login`), account API tokens (`<user>:apiKey`) and project role
 * tokens (`proj:<project>:<role>`). Every rule of Argo CD's `sessionmanager.go` Parse is applied
 * on every request; only the signature check is cached.
 */
import type { JwtToken } from '../apis/index.js';
import { AuthError } from './errors.js';
import { decodeHs256, signHs256, type TokenClaims } from './jwt.js';
import {
  cryptoRandom,
  noopSecurityLogger,
  SecurityLevels,
  systemClock,
  type Account,
  type AccountStore,
  type AccountTokenRecord,
  type Clock,
  type ProjectTokenLookup,
  type Random,
  type RevocationStore,
  type SecurityLogger,
} from './ports.js';
import { MIN_SECRET_KEY_BYTES } from './secret-key.js';

/** `iss` of every token the API server signs. */
export const TOKEN_ISSUER = 'argocd';
/** Argo CD's `users.session.duration` default. */
export const DEFAULT_SESSION_LIFETIME_MS = 24 * 3_600_000;
/**
 * Lifetime of an API or project token requested without one: 0 = no `exp`, as in Argo CD (whose
 * CLI `--expires-in` defaults to `0s` = never). Operators who want a default lifetime set
 * `ARGOCD_API_TOKEN_DEFAULT_LIFETIME` (see `resolveTokenOptions`, docs/auth.md).
 */
export const DEFAULT_API_TOKEN_LIFETIME_MS = 0;
/** Login tokens with less than this left are renewed (Argo CD's `autoRegenerateTokenDuration`). */
export const RENEW_BEFORE_MS = 5 * 60_000;
/** Tolerated clock difference between API server replicas for `exp`, `nbf` and `iat`. */
export const DEFAULT_CLOCK_SKEW_MS = 5_000;
/** Verified signatures remembered (by raw token); time and state checks still run every time. */
export const DEFAULT_VERIFIED_CACHE_SIZE = 10_000;

/** What a token is for: the suffix of its subject, or a project role. */
export type TokenKind = 'login' | 'apiKey' | 'project';

/** A verified token of a local account. `subject` is the account name (the RBAC subject). */
export interface VerifiedUserToken {
  readonly kind: 'login' | 'apiKey';
  readonly username: string;
  readonly subject: string;
  readonly claims: TokenClaims;
}

/**
 * A verified project role token. `subject` is `proj:<project>:<role>` (the RBAC subject). The
 * server must keep it inside `project`: see `assertProjectScope`.
 */
export interface VerifiedProjectToken {
  readonly kind: 'project';
  readonly project: string;
  readonly role: string;
  readonly subject: string;
  readonly claims: TokenClaims;
}

export type VerifiedToken = VerifiedUserToken | VerifiedProjectToken;

export interface IssuedToken {
  readonly token: string;
  readonly claims: TokenClaims;
}

/** An API token and the record stored in `accounts.<name>.tokens`. */
export interface IssuedApiToken extends IssuedToken {
  readonly record: AccountTokenRecord;
}

/** A project token and the record the server stores in the AppProject (`withProjectRoleToken`). */
export interface IssuedProjectToken extends IssuedToken {
  readonly record: JwtToken & { readonly id: string };
}

export interface SessionManagerOptions {
  /** lifetime of login tokens (`users.session.duration`); must be > 0 */
  readonly sessionLifetimeMs?: number;
  /** lifetime of API/project tokens requested without one; 0 = never expire (Argo CD) */
  readonly apiTokenDefaultLifetimeMs?: number;
  readonly clockSkewMs?: number;
  readonly verifiedCacheSize?: number;
}

export interface SessionManagerDeps {
  /** `parseServerSecretKey(...)` of `argocd-secret` */
  readonly secretKey: Uint8Array;
  readonly accounts: AccountStore;
  readonly projects: ProjectTokenLookup;
  readonly revocations: RevocationStore;
  readonly clock?: Clock;
  readonly random?: Random;
  readonly logger?: SecurityLogger;
}

const MAX_TOKEN_ID_LENGTH = 128;
// printable ASCII except space: ids travel in URLs and JSON
const TOKEN_ID = /^[!-~]+$/;

function fail(code: AuthError['code'], reason: string): AuthError {
  return new AuthError(code, `failed to verify token: ${reason}`);
}

/** Formats 16 CSPRNG bytes as an RFC 4122 version 4 UUID. */
export function uuidFromBytes(bytes: Uint8Array): string {
  if (bytes.length < 16) throw new TypeError('a UUID needs 16 random bytes');
  const b = Buffer.from(bytes.subarray(0, 16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function checkOption(name: string, value: number, min: number): number {
  if (!Number.isFinite(value) || value < min)
    throw new AuthError(
      'ERR_AUTH_INVALID_OPTION',
      `failed to configure sessions: ${name} must be a number >= ${min}, got ${value}`,
    );
  return value;
}

/** Reads a subject: `proj:<p>:<r>`, `<user>:login`, `<user>:apiKey`, or a bare `<user>` (apiKey). */
function parseSubject(
  sub: string,
):
  | { kind: 'project'; project: string; role: string }
  | { kind: 'login' | 'apiKey'; username: string } {
  if (sub.startsWith('proj:')) {
    const parts = sub.split(':');
    const [, project, role] = parts;
    if (parts.length !== 3 || !project || !role)
      throw fail('ERR_AUTH_TOKEN_INVALID', 'the project subject is not proj:<project>:<role>');
    return { kind: 'project', project, role };
  }
  const colon = sub.lastIndexOf(':');
  if (colon < 0) return { kind: 'apiKey', username: sub };
  const suffix = sub.slice(colon + 1);
  const username = sub.slice(0, colon);
  if (username === '' || (suffix !== 'login' && suffix !== 'apiKey'))
    throw fail('ERR_AUTH_TOKEN_INVALID', 'the subject is not <user>:login or <user>:apiKey');
  return { kind: suffix, username };
}

/**
 * Throws ERR_AUTH_PROJECT_SCOPE when a project token is used on another project. The server calls
 * it wherever a request names a project (and RBAC keeps project tokens to `<project>/*` objects).
 * @example
 * assertProjectScope(verified, app.spec.project);
 */
export function assertProjectScope(token: VerifiedToken, project: string): void {
  if (token.kind === 'project' && token.project !== project) {
    throw new AuthError(
      'ERR_AUTH_PROJECT_SCOPE',
      `failed to authorize token: it belongs to project "${token.project}", not "${project}"`,
    );
  }
}

/**
 * Issues, verifies, renews and revokes Argo CD-style JWTs.
 * @example
 * const sessions = new SessionManager({ secretKey, accounts, projects, revocations });
 * const { token } = await sessions.issueSessionToken('admin');
 * const verified = await sessions.verifyToken(token); // { kind: 'login', username: 'admin', ... }
 * if (sessions.shouldRenew(verified)) setCookie((await sessions.renew(verified)).token);
 */
export class SessionManager {
  #key: Uint8Array;
  readonly #accounts: AccountStore;
  readonly #projects: ProjectTokenLookup;
  readonly #revocations: RevocationStore;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #logger: SecurityLogger;
  readonly #sessionLifetimeMs: number;
  readonly #apiTokenDefaultLifetimeMs: number;
  readonly #skewSec: number;
  readonly #cacheSize: number;
  readonly #verified = new Map<string, TokenClaims>();

  constructor(deps: SessionManagerDeps, options: SessionManagerOptions = {}) {
    this.#key = SessionManager.#checkKey(deps.secretKey);
    this.#accounts = deps.accounts;
    this.#projects = deps.projects;
    this.#revocations = deps.revocations;
    this.#clock = deps.clock ?? systemClock;
    this.#random = deps.random ?? cryptoRandom;
    this.#logger = deps.logger ?? noopSecurityLogger;
    this.#sessionLifetimeMs = checkOption(
      'sessionLifetimeMs',
      options.sessionLifetimeMs ?? DEFAULT_SESSION_LIFETIME_MS,
      1000,
    );
    this.#apiTokenDefaultLifetimeMs = checkOption(
      'apiTokenDefaultLifetimeMs',
      options.apiTokenDefaultLifetimeMs ?? DEFAULT_API_TOKEN_LIFETIME_MS,
      0,
    );
    this.#skewSec =
      checkOption('clockSkewMs', options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS, 0) / 1000;
    this.#cacheSize = Math.floor(
      checkOption('verifiedCacheSize', options.verifiedCacheSize ?? DEFAULT_VERIFIED_CACHE_SIZE, 0),
    );
  }

  static #checkKey(key: Uint8Array): Uint8Array {
    if (key.length < MIN_SECRET_KEY_BYTES)
      throw new TypeError(
        `the signing key must be at least ${MIN_SECRET_KEY_BYTES} bytes (use parseServerSecretKey)`,
      );
    return new Uint8Array(key);
  }

  /** Replaces the signing key (after `server.secretkey` changed) and forgets cached signatures. */
  updateSecretKey(key: Uint8Array): void {
    this.#key = SessionManager.#checkKey(key);
    this.#verified.clear();
  }

  /** The login token lifetime in use. */
  get sessionLifetimeMs(): number {
    return this.#sessionLifetimeMs;
  }

  #nowSec(): number {
    return Math.floor(this.#clock.now() / 1000);
  }

  #newId(): string {
    return uuidFromBytes(this.#random.bytes(16));
  }

  #lifetimeSec(ms: number): number {
    return Math.max(1, Math.round(ms / 1000));
  }

  async #requireAccount(
    username: string,
    capability: 'login' | 'apiKey',
    verb: string,
  ): Promise<Account> {
    const account = await this.#accounts.getAccount(username);
    if (!account)
      throw new AuthError(
        'ERR_AUTH_ACCOUNT_NOT_FOUND',
        `failed to ${verb}: account "${username}" does not exist`,
      );
    if (!account.enabled)
      throw new AuthError(
        'ERR_AUTH_ACCOUNT_DISABLED',
        `failed to ${verb}: account "${username}" is disabled`,
      );
    if (!account.capabilities.includes(capability))
      throw new AuthError(
        'ERR_AUTH_CAPABILITY',
        `failed to ${verb}: account "${username}" does not have the ${capability} capability`,
      );
    return account;
  }

  #checkId(id: string | undefined, verb: string): string {
    if (id === undefined || id === '') return this.#newId();
    if (id.length > MAX_TOKEN_ID_LENGTH || !TOKEN_ID.test(id))
      throw new AuthError(
        'ERR_AUTH_INVALID_ARGUMENT',
        `failed to ${verb}: a token id is 1 to ${MAX_TOKEN_ID_LENGTH} printable characters without spaces`,
      );
    return id;
  }

  #expiry(iat: number, expiresInMs: number | undefined, verb: string): number | undefined {
    if (expiresInMs !== undefined && (!Number.isFinite(expiresInMs) || expiresInMs < 0))
      throw new AuthError(
        'ERR_AUTH_INVALID_ARGUMENT',
        `failed to ${verb}: the expiry must not be negative`,
      );
    const ms =
      expiresInMs !== undefined && expiresInMs > 0 ? expiresInMs : this.#apiTokenDefaultLifetimeMs;
    return ms > 0 ? iat + this.#lifetimeSec(ms) : undefined;
  }

  /**
   * Issues a login session token for a local account that exists, is enabled and may log in:
   * `sub: <user>:login`, `iat = nbf = now`, `exp = now + lifetime`, a fresh UUID `jti`.
   */
  async issueSessionToken(
    username: string,
    options: { readonly lifetimeMs?: number } = {},
  ): Promise<IssuedToken> {
    await this.#requireAccount(username, 'login', 'issue session token');
    const lifetimeMs = options.lifetimeMs ?? this.#sessionLifetimeMs;
    if (!Number.isFinite(lifetimeMs) || lifetimeMs <= 0)
      throw new TypeError('a session token needs a positive lifetime');
    const iat = this.#nowSec();
    const claims: TokenClaims = {
      iss: TOKEN_ISSUER,
      sub: `${username}:login`,
      iat,
      nbf: iat,
      exp: iat + this.#lifetimeSec(lifetimeMs),
      jti: this.#newId(),
    };
    return { token: await signHs256(claims, this.#key), claims };
  }

  /**
   * Issues an API token for an account with the `apiKey` capability and records `{id, iat, exp}`
   * through the AccountStore (a token is valid only while its record exists). `expiresInMs`
   * undefined or 0 means the configured default (none = never expires, unless the operator set one).
   */
  async issueApiToken(
    username: string,
    options: { readonly expiresInMs?: number; readonly id?: string } = {},
  ): Promise<IssuedApiToken> {
    const verb = 'create API token';
    await this.#requireAccount(username, 'apiKey', verb);
    const id = this.#checkId(options.id, verb);
    const iat = this.#nowSec();
    const exp = this.#expiry(iat, options.expiresInMs, verb);
    const record: AccountTokenRecord = exp !== undefined ? { id, iat, exp } : { id, iat };
    await this.#accounts.addToken(username, record);
    const claims: TokenClaims = {
      iss: TOKEN_ISSUER,
      sub: `${username}:apiKey`,
      iat,
      nbf: iat,
      ...(exp !== undefined ? { exp } : {}),
      jti: id,
    };
    this.#logger.log({
      event: 'token.issued',
      message: `API token issued for account ${username}`,
      security: SecurityLevels.LOW,
      fields: { kind: 'apiKey', username, tokenId: id, ...(exp !== undefined ? { exp } : {}) },
    });
    return { token: await signHs256(claims, this.#key), claims, record };
  }

  /**
   * Deletes an API token's record (which revokes it) and also revokes its `jti` until it expires.
   * Throws ERR_AUTH_TOKEN_NOT_FOUND when the account has no token with that id.
   */
  async revokeApiToken(username: string, id: string): Promise<void> {
    const account = await this.#accounts.getAccount(username);
    const record = account?.tokens.find((t) => t.id === id);
    const removed = account ? await this.#accounts.removeToken(username, id) : false;
    if (!removed)
      throw new AuthError(
        'ERR_AUTH_TOKEN_NOT_FOUND',
        `failed to delete API token: account "${username}" has no token with id "${id}"`,
      );
    await this.#revocations.revoke(id, record?.exp !== undefined ? record.exp * 1000 : undefined);
    this.#logger.log({
      event: 'token.revoked',
      message: `API token of account ${username} deleted`,
      security: SecurityLevels.LOW,
      fields: { kind: 'apiKey', username, tokenId: id },
    });
  }

  /**
   * Issues a project role token (`sub: proj:<p>:<r>`, `jti` = id). The server then records
   * `record` in the AppProject (`withProjectRoleToken`); until then the token is not valid.
   */
  async issueProjectToken(
    project: string,
    role: string,
    options: { readonly expiresInMs?: number; readonly id?: string } = {},
  ): Promise<IssuedProjectToken> {
    const verb = 'create project token';
    const roleTokens = await this.#projects.getRoleTokens(project, role);
    if (!roleTokens)
      throw new AuthError(
        'ERR_AUTH_INVALID_ARGUMENT',
        `failed to ${verb}: project "${project}" has no role "${role}"`,
      );
    const id = this.#checkId(options.id, verb);
    if (roleTokens.tokens.some((t) => t.id === id))
      throw new AuthError(
        'ERR_AUTH_TOKEN_EXISTS',
        `failed to ${verb}: role "${role}" of project "${project}" already has a token with id "${id}"`,
      );
    const iat = this.#nowSec();
    const exp = this.#expiry(iat, options.expiresInMs, verb);
    const claims: TokenClaims = {
      iss: TOKEN_ISSUER,
      sub: `proj:${project}:${role}`,
      iat,
      nbf: iat,
      ...(exp !== undefined ? { exp } : {}),
      jti: id,
    };
    this.#logger.log({
      event: 'token.issued',
      message: `project token issued for role ${role} of project ${project}`,
      security: SecurityLevels.LOW,
      fields: {
        kind: 'project',
        project,
        role,
        tokenId: id,
        ...(exp !== undefined ? { exp } : {}),
      },
    });
    const record = exp !== undefined ? { iat, exp, id } : { iat, id };
    return { token: await signHs256(claims, this.#key), claims, record };
  }

  #signatureChecked(token: string): TokenClaims {
    const cached = this.#verified.get(token);
    if (cached) return cached;
    const result = decodeHs256(token, this.#key);
    if (!result.ok) {
      if (result.failure === 'algorithm' || result.failure === 'signature') {
        this.#logger.log({
          event: 'token.forged',
          message: `token refused: ${result.message}`,
          security: SecurityLevels.HIGH,
          CWE: 347,
        });
      }
      throw fail('ERR_AUTH_TOKEN_INVALID', result.message);
    }
    if (this.#cacheSize > 0) {
      if (this.#verified.size >= this.#cacheSize) {
        const oldest = this.#verified.keys().next();
        if (oldest.done !== true) this.#verified.delete(oldest.value);
      }
      this.#verified.set(token, result.claims);
    }
    return result.claims;
  }

  /**
   * Verifies a token signed by this server and returns who it is for. Refuses (AuthError):
   * any algorithm but HS256, a bad signature, an issuer other than `argocd`, an expired or
   * not-yet-valid token, a login token without `exp`, a user token without `jti`, a revoked `jti`,
   * a missing/disabled account or one without the capability of the token's kind, an API token
   * whose record was deleted, a token issued before the account's password changed, and a project
   * token whose project, role or token entry no longer exists.
   */
  async verifyToken(token: string): Promise<VerifiedToken> {
    const claims = this.#signatureChecked(token);
    if (claims.iss !== TOKEN_ISSUER)
      throw fail('ERR_AUTH_TOKEN_INVALID', `the issuer is not "${TOKEN_ISSUER}"`);
    const now = this.#clock.now() / 1000;
    if (claims.exp !== undefined && now >= claims.exp + this.#skewSec) {
      this.#verified.delete(token);
      throw fail('ERR_AUTH_TOKEN_EXPIRED', 'the token has expired');
    }
    if (claims.nbf !== undefined && claims.nbf > now + this.#skewSec)
      throw fail('ERR_AUTH_TOKEN_NOT_YET_VALID', 'the token is not valid yet');
    if (claims.iat > now + this.#skewSec)
      throw fail('ERR_AUTH_TOKEN_NOT_YET_VALID', 'the token was issued in the future');

    const subject = parseSubject(claims.sub);
    if (claims.jti !== undefined && (await this.#revocations.isRevoked(claims.jti)))
      throw fail('ERR_AUTH_TOKEN_REVOKED', 'the token has been revoked');

    if (subject.kind === 'project') {
      const role = await this.#projects.getRoleTokens(subject.project, subject.role);
      if (!role)
        throw fail('ERR_AUTH_TOKEN_REVOKED', 'the project or role of the token no longer exists');
      const jti = claims.jti;
      // By id; old tokens without a jti by iat, against entries without an id of their own.
      const found =
        jti !== undefined && jti !== ''
          ? role.tokens.some((t) => t.id === jti)
          : role.tokens.some(
              (t) =>
                t.iat === claims.iat &&
                (t.id === undefined || t.id === '' || t.id === String(t.iat)),
            );
      if (!found) throw fail('ERR_AUTH_TOKEN_REVOKED', 'the project token has been deleted');
      return {
        kind: 'project',
        project: subject.project,
        role: subject.role,
        subject: claims.sub,
        claims,
      };
    }

    if (claims.jti === undefined || claims.jti === '')
      throw fail('ERR_AUTH_TOKEN_INVALID', 'the token has no "jti"');
    if (subject.kind === 'login' && claims.exp === undefined)
      throw fail('ERR_AUTH_TOKEN_INVALID', 'a login token must expire');
    const account = await this.#accounts.getAccount(subject.username);
    if (!account)
      throw fail('ERR_AUTH_ACCOUNT_NOT_FOUND', `account "${subject.username}" does not exist`);
    if (!account.enabled)
      throw fail('ERR_AUTH_ACCOUNT_DISABLED', `account "${subject.username}" is disabled`);
    if (!account.capabilities.includes(subject.kind))
      throw fail(
        'ERR_AUTH_CAPABILITY',
        `account "${subject.username}" does not have the ${subject.kind} capability`,
      );
    const jti = claims.jti;
    if (subject.kind === 'apiKey' && !account.tokens.some((t) => t.id === jti))
      throw fail('ERR_AUTH_TOKEN_REVOKED', 'the API token has been deleted');
    // One-second granularity, as Argo CD: the mtime is stored as RFC 3339 whole seconds.
    if (
      account.passwordMtimeMs !== undefined &&
      claims.iat < Math.floor(account.passwordMtimeMs / 1000)
    )
      throw fail('ERR_AUTH_TOKEN_REVOKED', 'account password has changed since token issued');
    return { kind: subject.kind, username: subject.username, subject: subject.username, claims };
  }

  /** True for a login token with less than 5 minutes left (the server then sends `renew()`'s token). */
  shouldRenew(token: VerifiedToken): boolean {
    if (token.kind !== 'login' || token.claims.exp === undefined) return false;
    return token.claims.exp * 1000 - this.#clock.now() < RENEW_BEFORE_MS;
  }

  /** A fresh login token (new `jti`, same lifetime) for the same user. */
  async renew(token: VerifiedToken): Promise<IssuedToken> {
    if (token.kind !== 'login' || token.claims.exp === undefined)
      throw new TypeError('only login tokens are renewed');
    const lifetimeMs = (token.claims.exp - token.claims.iat) * 1000;
    return this.issueSessionToken(token.username, {
      lifetimeMs: lifetimeMs > 0 ? lifetimeMs : this.#sessionLifetimeMs,
    });
  }

  /**
   * Logout: revokes the token's `jti` until it expires, on this replica at once and on the others
   * through the RevocationStore.
   */
  async revokeToken(token: VerifiedToken): Promise<void> {
    const jti = token.claims.jti;
    if (jti === undefined || jti === '')
      throw new AuthError('ERR_AUTH_TOKEN_INVALID', 'failed to revoke token: it has no "jti"');
    await this.#revocations.revoke(
      jti,
      token.claims.exp !== undefined ? token.claims.exp * 1000 : undefined,
    );
    this.#logger.log({
      event: 'token.revoked',
      message: `token of ${token.subject} revoked`,
      security: SecurityLevels.LOW,
      fields: { kind: token.kind, subject: token.subject },
    });
  }
}
