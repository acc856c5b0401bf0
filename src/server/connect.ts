/**
 * gRPC, gRPC-Web and Connect on the API server's port (one handler serves all three, from
 * @connectrpc/connect-fastify) for `session.SessionService` (Create, Delete, GetUserInfo),
 * `version.VersionService` (Version) and `account.AccountService` (CanI). The handlers are the
 * REST ones (session/, version/, account/ routes); only the transport differs:
 * - the token comes from gRPC metadata `token`, `authorization: Bearer`, or the cookie;
 * - a renewed token is sent back in the `renew-token` response header (Argo CD's clients read it);
 * - errors are mapped by the same `mapError` to gRPC status codes and redacted messages.
 * Paths are `/<package>.<Service>/<Method>` (not under `/api/`), so the REST CSRF guard does not
 * apply; Connect refuses the content types a cross-site form could send.
 */
import {
  Code,
  ConnectError,
  createContextKey,
  createContextValues,
  type ConnectRouter,
  type HandlerContext,
} from '@connectrpc/connect';
import { fastifyConnectPlugin } from '@connectrpc/connect-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { canI } from './account/routes.js';
import type { RequestContext } from './context.js';
import { internalErrorDetail, mapError } from './errors.js';
import { AccountService } from './gen/argocd/server/account/account_pb.js';
import { SessionService } from './gen/argocd/server/session/session_pb.js';
import { VersionService } from './gen/argocd/server/version/version_pb.js';
import type { ServiceDeps } from './service.js';
import { createSession, deleteSession, getUserInfo } from './session/routes.js';
import { fullVersion, getVersion } from './version/routes.js';

const kClientAddress = createContextKey<string>('unknown', { description: 'client address' });

/** The Connect enum member of a gRPC status number (the values are the same). */
function connectCode(n: number): Code {
  const name = Code[n] as keyof typeof Code | undefined;
  return name !== undefined ? Code[name] : Code.Internal;
}

/** Runs a handler with an authenticated context; maps every error the REST way. */
function handler<I, O>(
  deps: ServiceDeps,
  mode: 'required' | 'optional',
  fn: (ctx: RequestContext, req: I, hc: HandlerContext) => Promise<O> | O,
): (req: I, hc: HandlerContext) => Promise<O> {
  return async (req, hc) => {
    try {
      const header = (name: string): string | undefined => hc.requestHeader.get(name) ?? undefined;
      const { ctx, renewed } = await deps.authenticate(
        {
          authorization: header('authorization'),
          cookie: header('cookie'),
          grpcToken: header('token'),
        },
        hc.values.get(kClientAddress),
        mode,
      );
      if (renewed) hc.responseHeader.set('renew-token', renewed.token);
      return await fn(ctx, req, hc);
    } catch (err) {
      const mapped = mapError(err);
      if (mapped.logId !== undefined)
        deps.log.error(
          { ...internalErrorDetail(err), logId: mapped.logId, rpc: hc.method.name },
          'internal error',
        );
      throw new ConnectError(mapped.message, connectCode(mapped.grpcCode));
    }
  };
}

/** The routes of the three services. */
export function connectRoutes(deps: ServiceDeps): (router: ConnectRouter) => void {
  return (router) => {
    router.service(SessionService, {
      create: handler(
        deps,
        'optional',
        async (ctx, req: { username: string; password: string; token: string }) => {
          const issued = await createSession(deps, ctx, {
            username: req.username,
            password: req.password,
            ...(req.token !== '' ? { token: req.token } : {}),
          });
          return { token: issued.token };
        },
      ),
      delete: handler(deps, 'optional', async (ctx) => {
        await deleteSession(deps, ctx);
        return { token: '' };
      }),
      getUserInfo: handler(deps, 'optional', (ctx) => {
        const info = getUserInfo(deps, ctx);
        return {
          loggedIn: info.loggedIn,
          username: info.username ?? '',
          iss: info.iss ?? '',
          groups: [...(info.groups ?? [])],
          roles: [...(info.roles ?? [])],
        };
      }),
    });
    router.service(VersionService, {
      version: handler(deps, 'optional', (ctx) => {
        const v = getVersion(ctx, deps.options.disableAuth);
        return 'BuildDate' in v ? v : { ...emptyVersion(), Version: v.Version };
      }),
    });
    router.service(AccountService, {
      canI: handler(
        deps,
        'required',
        (ctx, req: { resource: string; action: string; subresource: string }) =>
          canI(deps, ctx, req.resource, req.action, req.subresource),
      ),
    });
  };
}

/** Every field empty: what an anonymous caller gets besides `Version`. */
function emptyVersion(): Record<keyof ReturnType<typeof fullVersion>, string> {
  return Object.fromEntries(Object.keys(fullVersion()).map((k) => [k, ''])) as Record<
    keyof ReturnType<typeof fullVersion>,
    string
  >;
}

/** Mounts the Connect services on the fastify app. */
export async function registerConnect(
  app: FastifyInstance,
  deps: ServiceDeps,
  clientAddress: (req: FastifyRequest) => string,
): Promise<void> {
  // an encapsulated scope: Connect brings its own body parsers, including application/json,
  // which the REST scope keeps for itself
  await app.register(async (scope) => {
    scope.removeContentTypeParser(['application/json']);
    await scope.register(fastifyConnectPlugin, {
      routes: connectRoutes(deps),
      contextValues: (req) => createContextValues().set(kClientAddress, clientAddress(req)),
      // a request body as large as the REST API accepts
      readMaxBytes: deps.options.maxRequestBodyBytes,
      shutdownSignal: deps.shutdownSignal,
    });
  });
}
