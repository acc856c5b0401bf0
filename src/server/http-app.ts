/**
 * The HTTP side of the API server: one fastify instance with the common chain every route runs
 * behind, in this order:
 *
 * 1. security headers on every response (`X-Frame-Options`, `Content-Security-Policy`,
 *    `X-XSS-Protection: 1`, `X-Robots-Tag`, `X-Content-Type-Options`; `Cache-Control: no-store`
 *    under `/api/`);
 * 2. the CSRF guard: a non-GET request under `/api/` whose media type is not in
 *    `--api-content-types` gets 415 `Invalid content type` (CVE-2024-22424);
 * 3. authentication (authn.ts) into a `RequestContext`, token renewal as `Set-Cookie`;
 * 4. the route's handler;
 * 5. error mapping (errors.ts), the single place where errors become statuses and bodies.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  fastify,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  type FastifyServerFactory,
} from 'fastify';
import { cookieChunks, type AuthError, type IssuedToken } from '../auth/index.js';
import { callerFor, type AuthOutcome, type Authenticator } from './authn.js';
import { ANONYMOUS, RequestContext, type RequestContextDeps } from './context.js';
import type { RpcServiceRegistration } from './connect.js';
import { ApiError, errorBody, GrpcCodes, internalErrorDetail, mapError } from './errors.js';
import { Cwe, logSecurityEvent, Security, type ServerLogger } from './logging.js';
import type { ResolvedApiServerOptions } from './options.js';
import { removeCredentialFields } from './redact.js';
import { QueryParams, type ApiRoutes, type AuthMode, type RouteSpec } from './service.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** set by the authentication hook for every routed request */
    argo: RequestContext | null;
  }
  interface FastifyContextConfig {
    auth?: AuthMode;
    csrf?: boolean;
    sensitive?: boolean;
  }
}

export interface HttpAppDeps {
  readonly options: ResolvedApiServerOptions;
  readonly authenticator: Authenticator;
  readonly contextDeps: RequestContextDeps;
  readonly log: ServerLogger;
  readonly serverFactory: FastifyServerFactory;
  /** the client's address (socket peer; h2c needs the listener's help) */
  readonly clientAddress: (req: FastifyRequest) => string;
  /** called when a response is done (metrics) */
  readonly onResponse?: (req: FastifyRequest, reply: FastifyReply, durationMs: number) => void;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** JSON bodies: empty is allowed (DELETE with a JSON content type), `__proto__` keys are refused. */
function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  if (!text.includes('__proto__') && !text.includes('constructor'))
    return JSON.parse(text) as unknown;
  return JSON.parse(text, (key, value: unknown) => {
    if (key === '__proto__')
      throw new ApiError(
        'ERR_API_INVALID_ARGUMENT',
        'failed to parse the request body: "__proto__" is not allowed',
      );
    if (
      key === 'constructor' &&
      typeof value === 'object' &&
      value !== null &&
      Object.hasOwn(value, 'prototype')
    )
      throw new ApiError(
        'ERR_API_INVALID_ARGUMENT',
        'failed to parse the request body: "constructor.prototype" is not allowed',
      );
    return value;
  }) as unknown;
}

/** `application/grpc` and `application/grpc+<codec>`, not gRPC-Web. */
function isNativeGrpc(contentType: string | undefined): boolean {
  const ct = (contentType ?? '').toLowerCase();
  return ct.startsWith('application/grpc') && !ct.startsWith('application/grpc-web');
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/**
 * Logs a refused token (`security: 2`, CWE-287); a missing token and an expired one are not logged
 * (every stale browser cookie would be).
 */
export function logRefusedToken(
  log: ServerLogger,
  outcome: AuthOutcome,
  refused: AuthError,
  fields: Readonly<Record<string, string>>,
): void {
  if (outcome.ok || !outcome.hadToken || outcome.error.code === 'ERR_AUTH_TOKEN_EXPIRED') return;
  logSecurityEvent(log, {
    security: Security.MEDIUM,
    CWE: Cwe.IMPROPER_AUTHENTICATION,
    msg: `request refused: ${refused.message}`,
    fields: { code: refused.code, ...fields },
  });
}

/** Builds the fastify app (routes are added by `routesFor(...).route`). */
export function createHttpApp(deps: HttpAppDeps): {
  app: FastifyInstance;
  routes: ApiRoutes;
  /** the services registered with `routes.rpc` (mounted by connect.ts once all are known) */
  rpcServices: readonly RpcServiceRegistration[];
  inFlight: () => number;
} {
  const { options, log } = deps;
  const rootpath = options.rootpath;
  const allowedTypes = new Set(options.apiContentTypes);
  const csrfOn = allowedTypes.size > 0;
  let inFlight = 0;

  const app = fastify({
    serverFactory: deps.serverFactory,
    logger: false,
    bodyLimit: options.maxRequestBodyBytes,
    requestIdHeader: false,
    genReqId: () => randomBytes(8).toString('hex'),
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: false, maxParamLength: 2048 },
    ...(rootpath !== ''
      ? {
          rewriteUrl: (req: IncomingMessage) => {
            const url = req.url ?? '/';
            // native gRPC has no root path (its paths are fixed by the protos); gRPC-Web and
            // Connect go through HTTP front ends and live under it like the REST API
            if (isNativeGrpc(req.headers['content-type'])) return url;
            if (
              url === rootpath ||
              url.startsWith(`${rootpath}/`) ||
              url.startsWith(`${rootpath}?`)
            ) {
              const rest = url.slice(rootpath.length);
              return rest === '' || rest.startsWith('?') ? `/${rest}` : rest;
            }
            // outside the root path: nothing (gRPC-Web gets Unimplemented from the not-found handler)
            return (req.headers['content-type'] ?? '').toLowerCase().startsWith('application/grpc')
              ? '/__outside-rootpath__'
              : '/api/__outside-rootpath__';
          },
        }
      : {}),
  });

  app.decorateRequest('argo', null);
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (err) {
      if (err instanceof ApiError) {
        done(err, undefined);
        return;
      }
      done(
        new ApiError(
          'ERR_API_INVALID_ARGUMENT',
          'failed to parse the request body: not valid JSON',
        ),
        undefined,
      );
    }
  });

  const headers: [string, string][] = [
    ['x-xss-protection', '1'],
    ['x-robots-tag', 'noindex, nofollow'],
    ['x-content-type-options', 'nosniff'],
  ];
  if (options.xFrameOptions !== '') headers.push(['x-frame-options', options.xFrameOptions]);
  if (options.contentSecurityPolicy !== '')
    headers.push(['content-security-policy', options.contentSecurityPolicy]);

  const cookiePath = options.basehref;
  const setRenewed = (
    request: FastifyRequest,
    reply: FastifyReply,
    renewed: Pick<IssuedToken, 'token'>,
  ): void => {
    if (pathOf(request.url).startsWith('/api/'))
      void reply.header(
        'set-cookie',
        cookieChunks(renewed.token, { path: cookiePath, insecure: options.insecure }),
      );
    else void reply.header('renew-token', renewed.token);
  };

  app.addHook('onRequest', async (request, reply) => {
    inFlight++;
    const started = performance.now();
    reply.raw.once('close', () => {
      inFlight--;
      deps.onResponse?.(request, reply, performance.now() - started);
    });
    for (const [k, v] of headers) void reply.header(k, v);
    const path = pathOf(request.url);
    const isApi = path.startsWith('/api/');
    if (isApi) void reply.header('cache-control', 'no-store');
    const config = request.routeOptions.config;

    if (csrfOn && isApi && !SAFE_METHODS.has(request.method) && config.csrf !== false) {
      const ct = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (!allowedTypes.has(ct)) {
        logSecurityEvent(log, {
          security: Security.HIGH,
          CWE: Cwe.CSRF,
          msg: 'request refused: content type not allowed for API requests',
          fields: {
            method: request.method,
            path,
            contentType: ct,
            clientAddress: deps.clientAddress(request),
          },
        });
        return reply.code(415).type('text/plain; charset=utf-8').send('Invalid content type\n');
      }
    }

    const auth = config.auth ?? 'none';
    const clientAddress = deps.clientAddress(request);
    if (auth === 'none') {
      request.argo = new RequestContext(ANONYMOUS, request.id, clientAddress, deps.contextDeps);
      return undefined;
    }
    const outcome = await deps.authenticator.authenticate({
      authorization: request.headers.authorization,
      cookie: request.headers.cookie,
      grpcToken: isApi ? undefined : (request.headers.token as string | undefined),
    });
    const resolved = callerFor(outcome, auth, options.disableAuth);
    if ('refused' in resolved) {
      logRefusedToken(log, outcome, resolved.refused, {
        method: request.method,
        path,
        clientAddress,
      });
      throw resolved.refused;
    }
    if (resolved.renewed) setRenewed(request, reply, resolved.renewed);
    const caller = resolved.caller;
    request.argo = new RequestContext(caller, request.id, clientAddress, deps.contextDeps);
    return undefined;
  });

  app.setErrorHandler((err, request, reply) => {
    const mapped = mapError(err);
    if (mapped.logId !== undefined) {
      log.error(
        {
          ...internalErrorDetail(err),
          logId: mapped.logId,
          method: request.method,
          path: pathOf(request.url),
        },
        'internal error',
      );
    }
    return reply
      .code(mapped.status)
      .type('application/json; charset=utf-8')
      .send(errorBody(mapped));
  });

  app.setNotFoundHandler((request, reply) => {
    const message = `failed to route ${request.method} ${pathOf(request.url)}: Not Found`;
    const ct = (request.headers['content-type'] ?? '').toLowerCase();
    if (ct.startsWith('application/grpc')) {
      // a gRPC or gRPC-Web call of a method this server does not have: a trailers-only answer
      // with Unimplemented (what gRPC servers send), not an HTTP error page
      const unimplemented = `unknown method ${pathOf(request.url)}: this server does not implement it`;
      return reply
        .code(200)
        .header(
          'content-type',
          ct.startsWith('application/grpc-web') ? ct.split(';')[0] : 'application/grpc',
        )
        .header('grpc-status', String(GrpcCodes.Unimplemented))
        .header('grpc-message', encodeURIComponent(unimplemented))
        .send();
    }
    return reply
      .code(404)
      .type('application/json; charset=utf-8')
      .send({ error: message, code: 5, message });
  });

  const rpcServices: RpcServiceRegistration[] = [];
  const routes: ApiRoutes = {
    fastify: app,
    rpc(service, impl) {
      if (rpcServices.some((r) => r.service.typeName === service.typeName))
        throw new TypeError(`the service ${service.typeName} is registered twice`);
      rpcServices.push({ service, impl });
    },
    route(spec: RouteSpec): void {
      app.route({
        method: spec.method,
        url: spec.path,
        ...(spec.bodyLimit !== undefined ? { bodyLimit: spec.bodyLimit } : {}),
        config: {
          auth: spec.auth ?? 'required',
          csrf: spec.csrf ?? true,
          sensitive: spec.sensitive ?? false,
        },
        handler: async (request, reply) => {
          const ctx =
            request.argo ??
            new RequestContext(
              ANONYMOUS,
              request.id,
              deps.clientAddress(request),
              deps.contextDeps,
            );
          const result: unknown = await spec.handler(ctx, {
            params: request.params as Record<string, string | undefined>,
            query: new QueryParams(request.query),
            body: request.body,
            headers: request.headers,
            rawPath: pathOf(request.url),
            reply,
            raw: request,
          });
          if (result === reply || reply.sent) return reply;
          void reply.type('application/json; charset=utf-8');
          const body = result ?? {};
          return spec.sensitive === true ? removeCredentialFields(body) : body;
        },
      });
    },
  };
  return { app, routes, rpcServices, inFlight: () => inFlight };
}
