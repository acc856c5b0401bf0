/**
 * How a service plugs into the API server. Each service folder (`src/server/<service>/routes.ts`)
 * exports an `ApiService` whose `register(routes, deps)` declares its REST routes; the server
 * mounts every service on one fastify instance behind the common chain (security headers, CSRF
 * guard, authentication, error mapping, metrics).
 *
 * A handler gets the `RequestContext` (the verified caller, `enforce`, `can`) and the request's
 * params, query and body (`unknown`: validate it), and returns the JSON body. It throws to refuse:
 * `ApiError`, `AuthError`, `RbacDeniedError`, `ValidationError`, ... are mapped to statuses in ONE
 * place (errors.ts). For streams (SSE) or raw bodies a handler uses `req.reply` directly and
 * returns `req.reply`.
 *
 * @example
 * export const projectsService: ApiService = {
 *   name: 'projects',
 *   register(routes, deps) {
 *     routes.route({
 *       method: 'GET', path: '/api/v1/projects/:name',
 *       handler: (ctx, req) => {
 *         const name = req.params.name ?? '';
 *         ctx.enforce('projects', 'get', name);
 *         return deps.store.project(name) ?? notFound(name);
 *       },
 *     });
 *   },
 * };
 */
import type { DescService } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IncomingHttpHeaders } from 'node:http';
import type { IssuedToken, LoginService, RevocationStore, SessionManager } from '../auth/index.js';
import type { EventRecorder, KubeClient } from '../kube/index.js';
import type { RbacEnforcer } from '../rbac/index.js';
import type { RepoServerClient } from '../reposerver/client.js';
import type { RequestCarriers, SsoTokenVerifier } from './authn.js';
import type { RequestContext } from './context.js';
import type { ServerLogger } from './logging.js';
import type { ResolvedApiServerOptions } from './options.js';
import type { KubeAccountStore } from './state/account-store.js';
import type { SettingsStore } from './state/settings-store.js';

/** Whether a route needs a logged-in caller. */
export type AuthMode =
  /** 401 without a valid token (unless anonymous access is enabled: then the anonymous caller) */
  | 'required'
  /** the caller when the token is valid, else the anonymous caller (login, version, settings) */
  | 'optional'
  /** no token is read at all (health, static files, webhooks) */
  | 'none';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Query parameters; repeated keys (`projects=a&projects=b`) give several values. */
export class QueryParams {
  readonly #raw: Readonly<Record<string, string | string[] | undefined>>;

  constructor(raw: unknown) {
    this.#raw = (raw ?? {}) as Readonly<Record<string, string | string[] | undefined>>;
  }

  /** The first value, or undefined (an empty value counts as absent). */
  get(name: string): string | undefined {
    const v = this.#raw[name];
    const s = Array.isArray(v) ? v[0] : v;
    return s === undefined || s === '' ? undefined : s;
  }

  /** Every non-empty value, also comma-separated ones split when `splitCommas`. */
  all(name: string, splitCommas = false): string[] {
    const v = this.#raw[name];
    const list = v === undefined ? [] : Array.isArray(v) ? v : [v];
    const out = splitCommas ? list.flatMap((s) => s.split(',')) : list;
    return out.map((s) => s.trim()).filter((s) => s !== '');
  }

  /** `true`/`false` (Go's strconv.ParseBool spellings); undefined when absent. */
  bool(name: string): boolean | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
    if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
    return undefined;
  }

  /** A whole number; undefined when absent or not a number. */
  int(name: string): number | undefined {
    const v = this.get(name);
    if (v === undefined || !/^-?\d+$/.test(v)) return undefined;
    return Number(v);
  }
}

/** What a handler sees of the request. */
export interface ApiRequest {
  /** path parameters, already percent-decoded */
  readonly params: Readonly<Record<string, string | undefined>>;
  readonly query: QueryParams;
  /** the parsed JSON body (unknown: validate before use); undefined without one */
  readonly body: unknown;
  readonly headers: IncomingHttpHeaders;
  /** the raw URL path as sent (encoded), for routes that need it (`repositories/{repo}`) */
  readonly rawPath: string;
  /** for headers, cookies and streaming */
  readonly reply: FastifyReply;
  readonly raw: FastifyRequest;
}

export type RouteHandler = (ctx: RequestContext, req: ApiRequest) => unknown;

export interface RouteSpec {
  readonly method: HttpMethod;
  /** fastify path syntax: `/api/v1/projects/:name`, `/api/v1/account/can-i/:resource/:action/*` */
  readonly path: string;
  /** default `required` */
  readonly auth?: AuthMode;
  /** apply the content-type CSRF guard (default true; only unauthenticated webhooks opt out) */
  readonly csrf?: boolean;
  /** largest body accepted (default `--max-request-body-size`) */
  readonly bodyLimit?: number;
  /** the body holds credentials (passwords, keys): never logged, responses scrubbed of credential fields */
  readonly sensitive?: boolean;
  readonly handler: RouteHandler;
}

/** Registers routes of one service. */
export interface ApiRoutes {
  route(spec: RouteSpec): void;
  /**
   * Serves a protobuf service over gRPC, gRPC-Web and Connect on the same port (paths
   * `/<package>.<Service>/<Method>`). Build each method with `unary(deps, fn)` from connect.ts
   * around the same function the REST route calls: it authenticates, and maps errors to gRPC
   * status codes through errors.ts.
   */
  rpc<S extends DescService>(service: S, impl: Partial<ServiceImpl<S>>): void;
  /** the fastify instance, for what `route` does not cover (content-type parsers, raw streams) */
  readonly fastify: FastifyInstance;
}

/**
 * Audit trail of the API server: Kubernetes Events (`ResourceCreated`, ...) with the actor, and a
 * `security: 1` log line for every successful change.
 */
export interface AuditRecorder {
  record(
    ctx: RequestContext,
    event: {
      readonly involvedObject: {
        apiVersion: string;
        kind: string;
        name: string;
        namespace?: string;
        uid?: string;
      };
      readonly reason: string;
      /** without the actor: `created project team-a` (the actor is prefixed) */
      readonly action: string;
      readonly type?: 'Normal' | 'Warning';
    },
  ): void;
}

/** What services get from the server. */
export interface ServiceDeps {
  readonly options: ResolvedApiServerOptions;
  readonly namespace: string;
  readonly kube: KubeClient;
  readonly store: SettingsStore;
  readonly accounts: KubeAccountStore;
  readonly sessions: SessionManager;
  readonly login: LoginService;
  readonly revocations: RevocationStore;
  readonly rbac: RbacEnforcer;
  /** undefined when no repo server is configured (tests of other services) */
  readonly repoServer: RepoServerClient | undefined;
  readonly audit: AuditRecorder;
  readonly events: EventRecorder;
  readonly log: ServerLogger;
  readonly clock: { now(): number };
  /** aborted when the server shuts down: long-lived streams end themselves */
  readonly shutdownSignal: AbortSignal;
  /** installs the SSO token verifier (the SSO service does this) */
  setSsoVerifier(verifier: SsoTokenVerifier | undefined): void;
  /**
   * Authenticates a request that does not come through `routes.route` (gRPC/Connect handlers, raw
   * fastify routes) with the same token sources, verification and anonymous rules. Rejects with
   * `AuthError` (401) in `required` mode without a valid token. Send `renewed.token` back (a
   * `renew-token` header or the cookie) when present. A refused token is logged (`security: 2`)
   * with `logFields` (e.g. the RPC's name).
   */
  authenticate(
    carriers: RequestCarriers,
    clientAddress: string,
    mode: 'required' | 'optional',
    logFields?: Readonly<Record<string, string>>,
  ): Promise<{ readonly ctx: RequestContext; readonly renewed?: Pick<IssuedToken, 'token'> }>;
}

/** A service: a name and its routes. */
export interface ApiService {
  readonly name: string;
  register(routes: ApiRoutes, deps: ServiceDeps): void;
}
