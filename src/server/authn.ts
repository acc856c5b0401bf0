/**
 * Authentication of one request: find the token (gRPC metadata `token`, `Authorization: Bearer`,
 * then the `argocd.token` cookie), dispatch on its issuer (ours: `argocd`, verified by the
 * SessionManager; anything else: the SSO verifier, when one is installed), and build the Caller.
 *
 * On failure the request is refused with 401, unless `users.anonymous.enabled` is true: then it
 * continues as the anonymous caller with EMPTY claims (never the unverified ones, CVE-2022-29165),
 * which RBAC gives only `policy.default`. Endpoints that work without login (version, settings,
 * userinfo, login) get the anonymous caller instead of an error.
 */
import {
  AuthError,
  extractToken,
  parseCookieHeader,
  peekIssuer,
  TOKEN_ISSUER,
  type IssuedToken,
  type SessionManager,
  type TokenSource,
  type VerifiedToken,
} from '../auth/index.js';
import { scopeValues } from '../rbac/index.js';
import { ANONYMOUS, EXPIRED_SSO, type Caller } from './context.js';

/** What the SSO engineer's verifier returns for a valid external token. */
export interface SsoIdentity {
  /** RBAC user id (`federated_claims.user_id`, else `sub`) */
  readonly subject: string;
  /** shown name (email when present) */
  readonly username: string;
  readonly issuer: string;
  readonly groups: readonly string[];
  /** the verified claims (RBAC reads groups from the `scopes` claims) */
  readonly claims: Readonly<Record<string, unknown>>;
  readonly issuedAtMs: number | undefined;
  /** a renewed token (server-side refresh): sent back like a renewed local token */
  readonly renewedToken?: string;
}

/**
 * Extension point for SSO (Dex / `oidc.config`): verifies tokens this server did not issue. It
 * must check signature, issuer, audience and expiry, and throw `AuthError` when it refuses.
 */
export interface SsoTokenVerifier {
  verify(token: string): Promise<SsoIdentity>;
}

export interface AuthenticatorDeps {
  readonly sessions: SessionManager;
  /** installed by the SSO service; without it, foreign tokens are refused */
  readonly sso?: () => SsoTokenVerifier | undefined;
  /** `users.anonymous.enabled` (read per request: argocd-cm may change) */
  readonly anonymousEnabled: () => boolean;
  /** the `scopes` in force (claims that hold group names) */
  readonly scopes: () => readonly string[];
}

/** Where the request's token may be. */
export interface RequestCarriers {
  readonly authorization?: string | undefined;
  readonly cookie?: string | undefined;
  /** gRPC / Connect metadata `token` (header `token`) */
  readonly grpcToken?: string | undefined;
}

export type AuthOutcome =
  | { readonly ok: true; readonly caller: Caller; readonly renewed?: Pick<IssuedToken, 'token'> }
  /** no token, or a refused one; `anonymousAllowed` tells whether the request may go on anonymously */
  | {
      readonly ok: false;
      readonly error: AuthError;
      readonly anonymousAllowed: boolean;
      readonly hadToken: boolean;
      /** an expired SSO token: the caller becomes `EXPIRED_SSO` (`iss: sso`), so the UI re-logs in through /auth/login */
      readonly ssoExpired?: boolean;
    };

function callerFromLocal(v: VerifiedToken, source: TokenSource): Caller {
  const iat = v.claims.iat;
  // Argo CD rewrites `sub` to the user id before RBAC sees it; project tokens keep proj:<p>:<r>
  const claims: Record<string, unknown> = { ...v.claims, sub: v.subject };
  return {
    kind: v.kind,
    loggedIn: true,
    subject: v.subject,
    username: v.kind === 'project' ? v.subject : v.username,
    issuer: v.claims.iss,
    groups: [],
    claims,
    project: v.kind === 'project' ? v.project : undefined,
    token: v,
    issuedAtMs: iat * 1000,
    tokenSource: source,
  };
}

/** Authenticates requests (one instance per server). */
export class Authenticator {
  readonly #deps: AuthenticatorDeps;

  constructor(deps: AuthenticatorDeps) {
    this.#deps = deps;
  }

  /** Finds and verifies the request's token; see the module comment for the rules. */
  async authenticate(carriers: RequestCarriers): Promise<AuthOutcome> {
    const anonymousAllowed = this.#deps.anonymousEnabled();
    let found: { token: string; source: TokenSource } | undefined;
    try {
      found = extractToken({
        ...(carriers.grpcToken !== undefined
          ? { grpcMetadata: { token: carriers.grpcToken } }
          : {}),
        ...(carriers.authorization !== undefined ? { authorization: carriers.authorization } : {}),
        ...(carriers.cookie !== undefined ? { cookies: parseCookieHeader(carriers.cookie) } : {}),
      });
    } catch (err) {
      const error =
        err instanceof AuthError
          ? err
          : new AuthError('ERR_AUTH_TOKEN_INVALID', 'failed to read the token');
      return { ok: false, error, anonymousAllowed, hadToken: true };
    }
    if (!found)
      return {
        ok: false,
        error: new AuthError('ERR_AUTH_TOKEN_INVALID', 'no session information'),
        anonymousAllowed,
        hadToken: false,
      };
    try {
      const issuer = peekIssuer(found.token);
      if (issuer === TOKEN_ISSUER || issuer === undefined) {
        const verified = await this.#deps.sessions.verifyToken(found.token);
        const caller = callerFromLocal(verified, found.source);
        if (this.#deps.sessions.shouldRenew(verified)) {
          const renewed = await this.#deps.sessions.renew(verified);
          return { ok: true, caller, renewed };
        }
        return { ok: true, caller };
      }
      const sso = this.#deps.sso?.();
      if (!sso)
        throw new AuthError(
          'ERR_AUTH_TOKEN_INVALID',
          'failed to verify token: it was not issued by this server and no SSO provider is configured',
        );
      const id = await sso.verify(found.token);
      const groups = id.groups.length > 0 ? id.groups : scopeValues(id.claims, this.#deps.scopes());
      return {
        ok: true,
        ...(id.renewedToken !== undefined ? { renewed: { token: id.renewedToken } } : {}),
        caller: {
          kind: 'sso',
          loggedIn: true,
          subject: id.subject,
          username: id.username,
          issuer: id.issuer,
          groups,
          claims: id.claims,
          project: undefined,
          token: undefined,
          issuedAtMs: id.issuedAtMs,
          tokenSource: found.source,
        },
      };
    } catch (err) {
      const error =
        err instanceof AuthError
          ? err
          : new AuthError('ERR_AUTH_TOKEN_INVALID', 'failed to verify token', { cause: err });
      const ssoExpired = error.code === 'ERR_AUTH_TOKEN_EXPIRED' && !isLocalIssuer(found.token);
      return {
        ok: false,
        error,
        anonymousAllowed,
        hadToken: true,
        ...(ssoExpired ? { ssoExpired } : {}),
      };
    }
  }
}

function isLocalIssuer(token: string): boolean {
  const issuer = peekIssuer(token);
  return issuer === TOKEN_ISSUER || issuer === undefined;
}

/**
 * What a request gets from an authentication outcome under a route's mode: the caller, or the
 * anonymous caller (optional routes, `users.anonymous.enabled`, `--disable-auth`), or the refusal
 * to throw (401).
 */
export function callerFor(
  outcome: AuthOutcome,
  mode: 'required' | 'optional',
  disableAuth: boolean,
):
  | { readonly caller: Caller; readonly renewed?: Pick<IssuedToken, 'token'> }
  | { readonly refused: AuthError } {
  if (outcome.ok)
    return outcome.renewed
      ? { caller: outcome.caller, renewed: outcome.renewed }
      : { caller: outcome.caller };
  if (mode === 'optional' || outcome.anonymousAllowed || disableAuth)
    return { caller: outcome.ssoExpired === true ? EXPIRED_SSO : ANONYMOUS };
  return {
    refused: outcome.hadToken
      ? outcome.error
      : new AuthError('ERR_AUTH_TOKEN_INVALID', 'no session information'),
  };
}

export { ANONYMOUS, EXPIRED_SSO };
