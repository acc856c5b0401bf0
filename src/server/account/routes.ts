/**
 * `account.AccountService`:
 * - `GET /api/v1/account` (RBAC `accounts, get, *`), `GET /api/v1/account/{name}` (`accounts, get,
 *   <name>`): local accounts with capabilities and token records (never hashes);
 * - `PUT /api/v1/account/password` `{currentPassword, name, newPassword}`: the caller's current
 *   password is required (checked like a login: throttled, uniform); changing another account, or
 *   any change by an SSO user, needs `accounts, update, <name>`; `passwordPattern` applies; the
 *   change time revokes every older token; the caller gets a fresh cookie;
 * - `GET /api/v1/account/can-i/{resource}/{action}/{subresource=**}`: `{value: yes|no}` for the
 *   caller (the object may contain slashes);
 * - `POST /api/v1/account/{name}/token` `{expiresIn, id}` and `DELETE .../token/{id}`: API tokens of
 *   an account with the `apiKey` capability; the account itself (with a local token) or a caller with
 *   `accounts, update, <name>` may manage them.
 */
import { Type } from 'typebox';
import { AuthError, cookieChunks, type Account } from '../../auth/index.js';
import { validate } from '../../apis/index.js';
import type { RequestContext } from '../context.js';
import { ApiError } from '../errors.js';
import type { ApiService, ServiceDeps } from '../service.js';

const Int64 = Type.Union([Type.Integer(), Type.String({ pattern: '^-?\\d+$' })]);

const PasswordSchema = Type.Object({
  name: Type.Optional(Type.String()),
  currentPassword: Type.Optional(Type.String()),
  newPassword: Type.String(),
});

const CreateTokenSchema = Type.Object({
  name: Type.Optional(Type.String()),
  id: Type.Optional(Type.String()),
  expiresIn: Type.Optional(Int64),
});

/** An int64 that grpc-gateway clients may send as a number or a string. */
export function int64(v: number | string | undefined, field: string): number | undefined {
  if (v === undefined) return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isSafeInteger(n))
    throw new ApiError(
      'ERR_API_INVALID_ARGUMENT',
      `failed to read ${field}: "${String(v)}" is not a whole number`,
    );
  return n;
}

/** The API view of an account (swagger accountAccount). */
export function accountView(a: Account): Record<string, unknown> {
  return {
    name: a.name,
    enabled: a.enabled,
    capabilities: [...a.capabilities],
    tokens: a.tokens.map((t) => ({
      id: t.id,
      issuedAt: t.iat,
      ...(t.exp !== undefined ? { expiresAt: t.exp } : {}),
    })),
  };
}

/** Argo CD's `ensureHasAccountPermission`: the account itself (local token) or RBAC. */
function ensureAccountPermission(ctx: RequestContext, action: string, name: string): void {
  const c = ctx.caller;
  if ((c.kind === 'login' || c.kind === 'apiKey') && c.subject === name) return;
  ctx.enforce('accounts', action, name);
}

function getAccountOr404(deps: ServiceDeps, name: string): Account {
  const a = deps.accounts.getAccount(name);
  if (!a)
    throw new ApiError(
      'ERR_API_NOT_FOUND',
      `failed to get account: account "${name}" does not exist`,
    );
  return a;
}

/** The can-i answer (shared by REST and Connect). */
export function canI(
  deps: ServiceDeps,
  ctx: RequestContext,
  resource: string,
  action: string,
  subresource: string,
): { value: 'yes' | 'no' } {
  if (deps.options.disableAuth) return { value: 'yes' };
  return {
    value: deps.rbac.canI(ctx.caller.claims, resource, action, subresource, {
      projects: (n) => deps.store.project(n),
    }),
  };
}

export const accountService: ApiService = {
  name: 'account',
  register(routes, deps) {
    routes.route({
      method: 'GET',
      path: '/api/v1/account',
      handler: (ctx) => {
        ctx.enforce('accounts', 'get', '*');
        return { items: deps.accounts.list().map(accountView) };
      },
    });
    routes.route({
      method: 'GET',
      path: '/api/v1/account/:name',
      handler: (ctx, req) => {
        const name = req.params.name ?? '';
        ctx.enforce('accounts', 'get', name);
        return accountView(getAccountOr404(deps, name));
      },
    });
    routes.route({
      method: 'GET',
      path: '/api/v1/account/can-i/:resource/:action/*',
      handler: (ctx, req) =>
        canI(deps, ctx, req.params.resource ?? '', req.params.action ?? '', req.params['*'] ?? ''),
    });
    routes.route({
      method: 'PUT',
      path: '/api/v1/account/password',
      sensitive: true,
      handler: async (ctx, req) => {
        const q = validate(PasswordSchema, req.body ?? {}, 'password change');
        const c = ctx.caller;
        if (!c.loggedIn)
          throw new ApiError(
            'ERR_API_UNAUTHENTICATED',
            'failed to change password: no session information',
          );
        if (c.kind === 'project')
          throw new ApiError(
            'ERR_API_INVALID_ARGUMENT',
            'failed to change password: a project token has no password',
          );
        const callerName = c.subject;
        const target = q.name !== undefined && q.name !== '' ? q.name : callerName;
        const caller =
          c.kind === 'sso'
            ? { kind: 'sso' as const, username: callerName, issuedAtMs: c.issuedAtMs ?? 0 }
            : c.token
              ? { kind: 'local' as const, token: c.token }
              : undefined;
        if (!caller)
          throw new ApiError(
            'ERR_API_UNAUTHENTICATED',
            'failed to change password: no session information',
          );
        const result = await deps.login.changePassword({
          caller,
          username: target,
          currentPassword: q.currentPassword ?? '',
          newPassword: q.newPassword,
          passwordPattern: deps.store.settings().passwordPattern,
          mayUpdateAccount: ctx.can('accounts', 'update', target),
          clientAddress: ctx.clientAddress,
        });
        if (result.token)
          void req.reply.header(
            'set-cookie',
            cookieChunks(result.token.token, {
              path: deps.options.basehref,
              insecure: deps.options.insecure,
            }),
          );
        return {};
      },
    });
    routes.route({
      method: 'POST',
      path: '/api/v1/account/:name/token',
      sensitive: true,
      handler: async (ctx, req) => {
        const name = req.params.name ?? '';
        const q = validate(CreateTokenSchema, req.body ?? {}, 'token request');
        ensureAccountPermission(ctx, 'update', name);
        getAccountOr404(deps, name);
        const expiresIn = int64(q.expiresIn, 'expiresIn');
        if (expiresIn !== undefined && expiresIn < 0)
          throw new ApiError(
            'ERR_API_INVALID_ARGUMENT',
            'failed to create token: expiresIn must not be negative',
          );
        try {
          const issued = await deps.sessions.issueApiToken(name, {
            ...(expiresIn !== undefined ? { expiresInMs: expiresIn * 1000 } : {}),
            ...(q.id !== undefined && q.id !== '' ? { id: q.id } : {}),
          });
          return { token: issued.token };
        } catch (err) {
          if (err instanceof AuthError && err.code === 'ERR_AUTH_CAPABILITY')
            throw new ApiError(
              'ERR_API_INVALID_ARGUMENT',
              `failed to create token: account "${name}" does not have the apiKey capability`,
            );
          throw err;
        }
      },
    });
    routes.route({
      method: 'DELETE',
      path: '/api/v1/account/:name/token/:id',
      handler: async (ctx, req) => {
        const name = req.params.name ?? '';
        ensureAccountPermission(ctx, 'update', name);
        getAccountOr404(deps, name);
        await deps.sessions.revokeApiToken(name, req.params.id ?? '');
        return {};
      },
    });
  },
};
