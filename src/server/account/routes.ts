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
 *
 * The same handlers serve `account.AccountService` (CanI, UpdatePassword, ListAccounts, GetAccount,
 * CreateToken, DeleteToken) over gRPC, gRPC-Web and Connect; there the new token after a change of
 * the caller's own password comes in the `renew-token` response header instead of the cookie.
 */
import { Type } from 'typebox';
import { AuthError, cookieChunks, type Account, type IssuedToken } from '../../auth/index.js';
import { validate } from '../../apis/index.js';
import { int64Field, unary } from '../connect.js';
import type { RequestContext } from '../context.js';
import { ApiError } from '../errors.js';
import { AccountService } from '../gen/argocd/server/account/account_pb.js';
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
export interface AccountView {
  name: string;
  enabled: boolean;
  capabilities: string[];
  tokens: { id: string; issuedAt: number; expiresAt?: number }[];
}

/** The API view of an account (swagger accountAccount). */
export function accountView(a: Account): AccountView {
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

/** The account as the `account.Account` message (int64 seconds; 0: no expiry). */
function accountMessage(a: AccountView): {
  name: string;
  enabled: boolean;
  capabilities: string[];
  tokens: { id: string; issuedAt: bigint; expiresAt: bigint }[];
} {
  return {
    name: a.name,
    enabled: a.enabled,
    capabilities: a.capabilities,
    tokens: a.tokens.map((t) => ({
      id: t.id,
      issuedAt: BigInt(t.issuedAt),
      expiresAt: BigInt(t.expiresAt ?? 0),
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

/** Every local account (shared by REST and gRPC). */
export function listAccounts(deps: ServiceDeps, ctx: RequestContext): { items: AccountView[] } {
  ctx.enforce('accounts', 'get', '*');
  return { items: deps.accounts.list().map(accountView) };
}

/** One account (shared by REST and gRPC). */
export function getAccount(deps: ServiceDeps, ctx: RequestContext, name: string): AccountView {
  ctx.enforce('accounts', 'get', name);
  return accountView(getAccountOr404(deps, name));
}

/**
 * Changes a password (shared by REST and gRPC); answers the caller's new token when they changed
 * their own password (the change revokes every older token).
 */
export async function updatePassword(
  deps: ServiceDeps,
  ctx: RequestContext,
  body: unknown,
): Promise<IssuedToken | undefined> {
  const q = validate(PasswordSchema, body ?? {}, 'password change');
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
  return result.token;
}

/** Issues an API token of an account (shared by REST and gRPC). */
export async function createAccountToken(
  deps: ServiceDeps,
  ctx: RequestContext,
  name: string,
  body: unknown,
): Promise<{ token: string }> {
  const q = validate(CreateTokenSchema, body ?? {}, 'token request');
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
}

/** Revokes an API token of an account (shared by REST and gRPC). */
export async function deleteAccountToken(
  deps: ServiceDeps,
  ctx: RequestContext,
  name: string,
  id: string,
): Promise<void> {
  ensureAccountPermission(ctx, 'update', name);
  getAccountOr404(deps, name);
  await deps.sessions.revokeApiToken(name, id);
}

export const accountService: ApiService = {
  name: 'account',
  register(routes, deps) {
    routes.route({
      method: 'GET',
      path: '/api/v1/account',
      handler: (ctx) => listAccounts(deps, ctx),
    });
    routes.route({
      method: 'GET',
      path: '/api/v1/account/:name',
      handler: (ctx, req) => getAccount(deps, ctx, req.params.name ?? ''),
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
        const token = await updatePassword(deps, ctx, req.body);
        if (token)
          void req.reply.header(
            'set-cookie',
            cookieChunks(token.token, {
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
      handler: (ctx, req) => createAccountToken(deps, ctx, req.params.name ?? '', req.body),
    });
    routes.route({
      method: 'DELETE',
      path: '/api/v1/account/:name/token/:id',
      handler: async (ctx, req) => {
        await deleteAccountToken(deps, ctx, req.params.name ?? '', req.params.id ?? '');
        return {};
      },
    });

    routes.rpc(AccountService, {
      canI: unary(deps, (ctx, req) => canI(deps, ctx, req.resource, req.action, req.subresource)),
      updatePassword: unary(deps, async (ctx, req, hc) => {
        const token = await updatePassword(deps, ctx, {
          name: req.name,
          currentPassword: req.currentPassword,
          newPassword: req.newPassword,
        });
        if (token) hc.responseHeader.set('renew-token', token.token);
        return {};
      }),
      listAccounts: unary(deps, (ctx) => ({
        items: listAccounts(deps, ctx).items.map(accountMessage),
      })),
      getAccount: unary(deps, (ctx, req) => accountMessage(getAccount(deps, ctx, req.name))),
      createToken: unary(deps, (ctx, req) =>
        createAccountToken(deps, ctx, req.name, {
          id: req.id,
          expiresIn: int64Field(req.expiresIn, 'expiresIn'),
        }),
      ),
      deleteToken: unary(deps, async (ctx, req) => {
        await deleteAccountToken(deps, ctx, req.name, req.id);
        return {};
      }),
    });
  },
};
