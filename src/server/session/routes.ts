/**
 * `session.SessionService`:
 * - `POST /api/v1/session` `{username, password}`: login through `LoginService` (one uniform error,
 *   bcrypt for unknown users too, random delay, lockout, concurrency cap); answers `{token}` and sets
 *   the `argocd.token` cookie (HttpOnly, SameSite=Lax, Path=<basehref>, Secure unless --insecure,
 *   split above 4093 bytes). Logging in with a token instead of credentials is refused.
 * - `DELETE /api/v1/session`: logout; revokes the token's `jti` until it expires and clears the
 *   cookies.
 * - `GET /api/v1/session/userinfo`: `{loggedIn, username, iss, groups}`; anonymous callers get
 *   `{loggedIn: false}`. Beyond Argo CD: `roles`, the caller's effective RBAC roles.
 *
 * The same handlers serve `session.SessionService` Create, Delete and GetUserInfo over gRPC,
 * gRPC-Web and Connect (proto/argocd/server/session/session.proto).
 */
import { Type } from 'typebox';
import {
  clearTokenCookies,
  cookieChunks,
  parseCookieHeader,
  type IssuedToken,
} from '../../auth/index.js';
import { validate } from '../../apis/index.js';
import { unary } from '../connect.js';
import type { RequestContext } from '../context.js';
import { ApiError } from '../errors.js';
import { SessionService } from '../gen/argocd/server/session/session_pb.js';
import type { ApiService, ServiceDeps } from '../service.js';

const SessionCreateSchema = Type.Object({
  username: Type.Optional(Type.String()),
  password: Type.Optional(Type.String()),
  token: Type.Optional(Type.String()),
});

export interface UserInfo {
  readonly loggedIn: boolean;
  readonly username?: string;
  readonly iss?: string;
  readonly groups?: readonly string[];
  /** argocd-ts: the caller's effective roles under the global policy */
  readonly roles?: readonly string[];
}

/** Login (shared by REST and Connect). */
export async function createSession(
  deps: ServiceDeps,
  ctx: RequestContext,
  body: unknown,
): Promise<IssuedToken> {
  const q = validate(SessionCreateSchema, body ?? {}, 'session request');
  if (q.token !== undefined && q.token !== '')
    throw new ApiError(
      'ERR_API_INVALID_ARGUMENT',
      'failed to create session: logging in with a token is not supported; send username and password',
    );
  return deps.login.login(q.username ?? '', q.password ?? '', ctx.clientAddress);
}

/** Logout (shared by REST and Connect): revokes the caller's token when it is one of ours. */
export async function deleteSession(deps: ServiceDeps, ctx: RequestContext): Promise<void> {
  const token = ctx.caller.token;
  if (token) await deps.sessions.revokeToken(token);
}

/** The userinfo answer (shared by REST and Connect). */
export function getUserInfo(deps: ServiceDeps, ctx: RequestContext): UserInfo {
  const c = ctx.caller;
  // an expired SSO session answers iss "sso" (Argo CD's marker): the UI then logs in again
  // through /auth/login instead of showing the local login form
  if (!c.loggedIn) return { loggedIn: false, ...(c.issuer !== undefined ? { iss: c.issuer } : {}) };
  return {
    loggedIn: true,
    username: c.username,
    ...(c.issuer !== undefined ? { iss: c.issuer } : {}),
    groups: c.groups,
    roles: deps.rbac.effectiveRoles(c.claims),
  };
}

export const sessionService: ApiService = {
  name: 'session',
  register(routes, deps) {
    const cookieOptions = { path: deps.options.basehref, insecure: deps.options.insecure };
    routes.route({
      method: 'POST',
      path: '/api/v1/session',
      auth: 'none',
      sensitive: true,
      handler: async (ctx, req) => {
        const issued = await createSession(deps, ctx, req.body);
        void req.reply.header('set-cookie', cookieChunks(issued.token, cookieOptions));
        return { token: issued.token };
      },
    });
    routes.route({
      method: 'DELETE',
      path: '/api/v1/session',
      auth: 'optional',
      handler: async (ctx, req) => {
        await deleteSession(deps, ctx);
        const cleared = clearTokenCookies(parseCookieHeader(req.headers.cookie), cookieOptions);
        if (cleared.length > 0) void req.reply.header('set-cookie', cleared);
        return { token: '' };
      },
    });
    routes.route({
      method: 'GET',
      path: '/api/v1/session/userinfo',
      auth: 'optional',
      handler: (ctx) => getUserInfo(deps, ctx),
    });

    routes.rpc(SessionService, {
      create: unary(
        deps,
        async (ctx, req) => {
          const issued = await createSession(deps, ctx, {
            username: req.username,
            password: req.password,
            ...(req.token !== '' ? { token: req.token } : {}),
          });
          return { token: issued.token };
        },
        { auth: 'optional' },
      ),
      delete: unary(
        deps,
        async (ctx) => {
          await deleteSession(deps, ctx);
          return { token: '' };
        },
        { auth: 'optional' },
      ),
      getUserInfo: unary(
        deps,
        (ctx) => {
          const info = getUserInfo(deps, ctx);
          return {
            loggedIn: info.loggedIn,
            username: info.username ?? '',
            iss: info.iss ?? '',
            groups: [...(info.groups ?? [])],
            roles: [...(info.roles ?? [])],
          };
        },
        { auth: 'optional' },
      ),
    });
  },
};
