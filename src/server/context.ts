/**
 * Who is calling and what they may do: the `Caller` a request carries after authentication, and
 * the `RequestContext` every handler receives, whose `enforce(resource, action, object)` checks
 * RBAC (argocd-rbac-cm + the project's role policies) and logs each denial as a security event
 * (`security: 2`, CWE-285).
 */
import type { TokenSource, VerifiedToken } from '../auth/index.js';
import type { AppProject } from '../apis/index.js';
import { permissionDeniedMessage, RbacDeniedError, type RbacEnforcer } from '../rbac/index.js';
import { ApiError } from './errors.js';
import { Cwe, logSecurityEvent, Security, type ServerLogger } from './logging.js';

/** How the caller proved who it is. */
export type CallerKind =
  /** no (valid) token: anonymous access or an endpoint that needs none */
  | 'anonymous'
  /** a login session token issued by this server (`<user>:login`) */
  | 'login'
  /** an account API token (`<user>:apiKey`) */
  | 'apiKey'
  /** a project role token (`proj:<project>:<role>`) */
  | 'project'
  /** a token of an external OpenID provider (Dex or oidc.config), verified by the SSO verifier */
  | 'sso';

/** The verified caller of a request. Claims are what RBAC evaluates; never unverified claims. */
export interface Caller {
  readonly kind: CallerKind;
  readonly loggedIn: boolean;
  /** the RBAC user id: account name, `proj:<p>:<r>`, or the SSO subject; '' when anonymous */
  readonly subject: string;
  /** what the UI shows (SSO: the email when present) */
  readonly username: string;
  readonly issuer: string | undefined;
  readonly groups: readonly string[];
  /** verified claims (sub rewritten to the user id, as Argo CD does); `{}` when anonymous */
  readonly claims: Readonly<Record<string, unknown>>;
  /** a project token's project: it may act on nothing else */
  readonly project: string | undefined;
  /** the verified local token (login, apiKey, project) */
  readonly token: VerifiedToken | undefined;
  /** when the token was issued (ms since the epoch) */
  readonly issuedAtMs: number | undefined;
  readonly tokenSource: TokenSource | undefined;
}

/** The anonymous caller: empty claims, so only `policy.default` applies (CVE-2022-29165). */
export const ANONYMOUS: Caller = Object.freeze({
  kind: 'anonymous',
  loggedIn: false,
  subject: '',
  username: '',
  issuer: undefined,
  groups: Object.freeze([]),
  claims: Object.freeze({}),
  project: undefined,
  token: undefined,
  issuedAtMs: undefined,
  tokenSource: undefined,
});

/**
 * The caller of a request whose SSO token has expired: anonymous with EMPTY claims, but `issuer`
 * `sso` (Argo CD's marker), so userinfo answers `iss: "sso"` and the UI sends the user through
 * `/auth/login` instead of the local login form.
 */
export const EXPIRED_SSO: Caller = Object.freeze({ ...ANONYMOUS, issuer: 'sso' });

export interface RequestContextDeps {
  readonly rbac: RbacEnforcer;
  /** the AppProject a request names (watch cache) */
  readonly project: (name: string) => AppProject | undefined;
  readonly log: ServerLogger;
  /** `--disable-auth`: every check allows */
  readonly disableAuth: boolean;
}

/**
 * Per-request state handed to every handler.
 * @example
 * handler: (ctx, req) => {
 *   ctx.enforce('projects', 'get', req.params.name);
 *   return store.project(req.params.name);
 * }
 */
export class RequestContext {
  readonly caller: Caller;
  readonly requestId: string;
  readonly clientAddress: string;
  readonly #deps: RequestContextDeps;
  readonly #projects: { projects: (name: string) => AppProject | undefined };

  constructor(caller: Caller, requestId: string, clientAddress: string, deps: RequestContextDeps) {
    this.caller = caller;
    this.requestId = requestId;
    this.clientAddress = clientAddress;
    this.#deps = deps;
    this.#projects = { projects: deps.project };
  }

  /** The name audit events and logs use for the caller (`admin`, `proj:p:r`, `anonymous`). */
  get actor(): string {
    return this.caller.loggedIn ? this.caller.username || this.caller.subject : 'anonymous';
  }

  /** Whether RBAC allows the caller `action` on `resource` `object` (no logging). */
  can(resource: string, action: string, object: string): boolean {
    if (this.#deps.disableAuth) return true;
    return this.#deps.rbac.enforceClaims(
      this.caller.claims,
      resource,
      action,
      object,
      this.#projects,
    ).allowed;
  }

  /**
   * Throws `RbacDeniedError` (403, Argo CD's message) unless RBAC allows the caller `action` on
   * `resource` `object`; a denial is logged with `security: 2`.
   */
  enforce(resource: string, action: string, object: string): void {
    if (this.#deps.disableAuth) return;
    const d = this.#deps.rbac.enforceClaims(
      this.caller.claims,
      resource,
      action,
      object,
      this.#projects,
    );
    if (d.allowed) return;
    logSecurityEvent(this.#deps.log, {
      security: Security.MEDIUM,
      CWE: Cwe.IMPROPER_AUTHORIZATION,
      msg: `permission denied: ${this.actor} tried to ${action} ${resource} ${object}`,
      fields: {
        subject: this.caller.subject,
        resource,
        action,
        object,
        reason: d.reason,
        requestId: this.requestId,
        clientAddress: this.clientAddress,
      },
    });
    throw new RbacDeniedError(
      permissionDeniedMessage(this.caller.claims, resource, action, object),
    );
  }

  /** Throws 401 unless the caller is logged in. */
  requireLoggedIn(what: string): void {
    if (!this.caller.loggedIn && !this.#deps.disableAuth)
      throw new ApiError('ERR_API_UNAUTHENTICATED', `failed to ${what}: no session information`);
  }
}
