/** `argocd account ...` actions. */
import { toInt64, type Account, type ArgoCdClient } from '../../client/index.js';
import type { CommandContext } from '../context.js';
import type { Opts } from '../define.js';
import { formatUnixTime, parseExpiresIn } from '../durations.js';
import { CliError, usageError } from '../errors.js';
import { parseOutputFormat, toJson, toYaml } from '../output/format.js';
import { formatTable } from '../output/table.js';
import { readUnverifiedClaims } from '../token-claims.js';

async function currentUser(client: ArgoCdClient): Promise<string> {
  const info = await client.getUserInfo();
  if (!info.loggedIn || !info.username)
    throw new CliError('ERR_CLI_NOT_LOGGED_IN', "not logged in: run 'argocd login <server>'");
  return info.username;
}

async function accountName(client: ArgoCdClient, opts: Opts): Promise<string> {
  return opts.string('account') ?? (await currentUser(client));
}

function tokensTable(a: Account): string {
  const tokens = a.tokens ?? [];
  if (tokens.length === 0) return 'NONE\n';
  return formatTable(
    ['ID', 'ISSUED AT', 'EXPIRING AT'],
    tokens.map((t) => [
      t.id ?? '',
      formatUnixTime(toInt64(t.issuedAt)),
      formatUnixTime(toInt64(t.expiresAt)),
    ]),
  );
}

export async function accountGet(
  ctx: CommandContext,
  _args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const format = parseOutputFormat(opts.string('output'), ['table', 'json', 'yaml'] as const);
  const client = await ctx.client();
  const a = await client.getAccount(await accountName(client, opts));
  if (format === 'json') ctx.out(toJson(a));
  else if (format === 'yaml') ctx.out(toYaml(a));
  else
    ctx.out(
      `${`Name:`.padEnd(20)}${a.name}\n${`Enabled:`.padEnd(20)}${String(a.enabled ?? false)}\n${`Capabilities:`.padEnd(20)}${(a.capabilities ?? []).join(', ')}\n\nTokens:\n${tokensTable(a)}`,
    );
  return undefined;
}

export async function accountList(
  ctx: CommandContext,
  _args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const format = parseOutputFormat(opts.string('output'), [
    'table',
    'json',
    'yaml',
    'name',
  ] as const);
  const accounts = await (await ctx.client()).listAccounts();
  if (format === 'json') ctx.out(toJson(accounts));
  else if (format === 'yaml') ctx.out(toYaml(accounts));
  else if (format === 'name') ctx.out(accounts.map((a) => `${a.name}\n`).join(''));
  else
    ctx.out(
      formatTable(
        ['NAME', 'ENABLED', 'CAPABILITIES'],
        accounts.map((a) => [
          a.name,
          String(a.enabled ?? false),
          (a.capabilities ?? []).join(', '),
        ]),
      ),
    );
  return undefined;
}

export async function accountUserInfo(
  ctx: CommandContext,
  _args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const format = parseOutputFormat(opts.string('output'), ['table', 'json', 'yaml'] as const);
  const info = await (await ctx.client()).getUserInfo();
  if (format === 'json') ctx.out(toJson(info));
  else if (format === 'yaml') ctx.out(toYaml(info));
  else
    ctx.out(
      [
        `Logged In: ${String(info.loggedIn ?? false)}`,
        ...(info.loggedIn
          ? [
              `Username: ${info.username ?? ''}`,
              `Issuer: ${info.iss ?? ''}`,
              `Groups: ${(info.groups ?? []).join(',')}`,
            ]
          : []),
      ].join('\n') + '\n',
    );
  return undefined;
}

export async function accountUpdatePassword(
  ctx: CommandContext,
  _args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const conn = await ctx.connection();
  const client = await ctx.client();
  const me = await currentUser(client);
  const name = opts.string('account') ?? me;
  let current = opts.string('currentPassword');
  current ??= await ctx.io.readSecret(`*** Enter password of currently logged in user (${me}): `);
  if (!current)
    throw usageError('your current password is required: --current-password, the prompt, or stdin');
  ctx.secrets.push(current);
  let next = opts.string('newPassword');
  if (next === undefined) {
    next = await ctx.io.readSecret(`*** Enter new password for user ${name}: `);
    if (ctx.io.interactive) {
      const again = await ctx.io.readSecret(`*** Confirm new password for user ${name}: `);
      if (again !== next) throw usageError('the two new passwords differ');
    }
  }
  if (!next) throw usageError('a new password is required: --new-password, the prompt, or stdin');
  ctx.secrets.push(next);
  await client.updatePassword({ name, currentPassword: current, newPassword: next });
  ctx.out('Password updated\n');
  // the change revoked our own session: log in again with the new password (local sessions only)
  const claims = readUnverifiedClaims(conn.token);
  if (name === me && conn.tokenSource === 'config' && conn.context && claims?.iss === 'argocd') {
    const token = await client.createSession(me, next);
    ctx.secrets.push(token);
    const config = await ctx.readConfig();
    const user = config.users.find((u) => u.name === conn.context?.user.name);
    if (user) {
      user['auth-token'] = token;
      await ctx.writeConfig(config);
      ctx.out(`Context '${conn.context.name}' updated\n`);
    }
  }
  return undefined;
}

export async function accountGenerateToken(
  ctx: CommandContext,
  _args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const expires = opts.string('expiresIn');
  const expiresIn = expires !== undefined ? parseExpiresIn(expires) : undefined;
  const id = opts.string('id');
  const client = await ctx.client();
  const name = await accountName(client, opts);
  const token = await client.createAccountToken(name, {
    ...(expiresIn !== undefined ? { expiresIn } : {}),
    ...(id !== undefined ? { id } : {}),
  });
  ctx.secrets.push(token);
  ctx.out(`${token}\n`);
  return undefined;
}

export async function accountDeleteToken(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const client = await ctx.client();
  const name = await accountName(client, opts);
  const id = args[0] ?? '';
  await client.deleteAccountToken(name, id);
  ctx.out(`Token '${id}' of account '${name}' deleted\n`);
  return undefined;
}

export async function accountCanI(
  ctx: CommandContext,
  args: readonly string[],
): Promise<undefined> {
  const [action = '', resource = '', object = ''] = args;
  if (object === '')
    throw usageError("an object is required, e.g. 'default/guestbook' for an application or '*'");
  const yes = await (await ctx.client()).canI(resource, action, object);
  ctx.out(yes ? 'yes\n' : 'no\n');
  return undefined;
}
