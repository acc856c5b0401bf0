/** `login`, `logout`, `relogin`, `context`, `version`. */
import { readFile, writeFile } from 'node:fs/promises';
import type { ArgoCdClient, Settings, VersionMessage } from '../../client/index.js';
import { VERSION } from '../../config/index.js';
import { errorMessage } from '../../lib/index.js';
import {
  baseUrlFor,
  normalizeServer,
  tlsFromOptions,
  type CommandContext,
  type Connection,
} from '../context.js';
import type { Opts } from '../define.js';
import { CliError, loginRefusedError, usageError } from '../errors.js';
import {
  previousContextPath,
  removeContext,
  removeToken,
  resolveContext,
  upsertContext,
  upsertServer,
  upsertUser,
  type ServerEntry,
} from '../localconfig.js';
import { formatTable } from '../output/table.js';
import { parseOutputFormat, toJson, toYaml } from '../output/format.js';
import { localUserName, readUnverifiedClaims } from '../token-claims.js';

/** `POST /api/v1/session`; a refused login says what to check (not the generic "not logged in" hint). */
async function createPasswordSession(
  client: ArgoCdClient,
  username: string,
  password: string,
): Promise<string> {
  try {
    return await client.createSession(username, password);
  } catch (err) {
    throw loginRefusedError(err, username) ?? err;
  }
}

function b64(text: string): string {
  return Buffer.from(text).toString('base64');
}

async function ssoPort(opts: Opts): Promise<number> {
  const port = opts.int('ssoPort', '--sso-port', 0);
  if (port !== undefined && port > 65535) throw usageError('--sso-port must be at most 65535');
  return Promise.resolve(port ?? 8085);
}

async function runSso(
  ctx: CommandContext,
  client: ArgoCdClient,
  settings: Settings,
  opts: Opts,
): Promise<{ idToken: string; refreshToken: string | undefined }> {
  const { ssoLogin, openInBrowser } = await import('../sso.js');
  return ssoLogin(ctx, client, settings, {
    port: await ssoPort(opts),
    ...(opts.bool('ssoLaunchBrowser') !== false ? { openUrl: openInBrowser } : {}),
  });
}

async function readPassword(ctx: CommandContext, given: string | undefined): Promise<string> {
  const password = given ?? (await ctx.io.readSecret('Password: '));
  if (password === undefined || password === '')
    throw usageError(
      'a password is required: type it at the prompt, pipe it on stdin, or pass --password',
    );
  ctx.secrets.push(password);
  return password;
}

/** Saves a session as context `name` (server entry, user entry, current context). */
async function saveSession(
  ctx: CommandContext,
  name: string,
  server: ServerEntry,
  token: string,
  refreshToken: string | undefined,
): Promise<void> {
  const config = await ctx.readConfig();
  upsertServer(config, server);
  const user = config.users.find((u) => u.name === name) ?? { name };
  user['auth-token'] = token;
  if (refreshToken !== undefined) user['refresh-token'] = refreshToken;
  else delete user['refresh-token'];
  upsertUser(config, user);
  upsertContext(config, { name, server: server.server, user: name });
  const previous = config['current-context'];
  config['current-context'] = name;
  await ctx.writeConfig(config);
  if (previous !== '' && previous !== name) await rememberPrevious(ctx, previous);
}

async function rememberPrevious(ctx: CommandContext, name: string): Promise<void> {
  try {
    await writeFile(previousContextPath(ctx.configPath), name, { mode: 0o600 });
  } catch (err) {
    ctx.log.warn(`could not remember the previous context: ${errorMessage(err)}`);
  }
}

async function whoAmI(client: ArgoCdClient, token: string): Promise<string> {
  const claims = readUnverifiedClaims(token);
  try {
    const info = await client.getUserInfo();
    if (info.username) return info.username;
  } catch {
    // the user name is only for the greeting; the token's subject is good enough
  }
  return claims?.email ?? localUserName(claims) ?? 'user';
}

export async function login(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const { server, http } = normalizeServer(args[0] ?? '');
  const g = ctx.globals;
  if (http && !g.plaintext)
    throw usageError(`${args[0] ?? ''} is http://: add --plaintext to log in without TLS`);
  const config = await ctx.readConfig();
  const existing = config.servers.find((s) => s.server === server);
  // TLS flags replace what the config remembers for this server; without flags it is reused
  const tlsFlags = g.insecure || g.plaintext || g.serverCrt !== undefined;
  const plaintext = g.plaintext || (!tlsFlags && existing?.['plain-text'] === true);
  const insecure = g.insecure || (!tlsFlags && existing?.insecure === true);
  const rootPath = g.rootPath ?? existing?.['grpc-web-root-path'];
  const inherited: ServerEntry | undefined = tlsFlags
    ? {
        server,
        ...(existing?.['client-certificate-data']
          ? {
              'client-certificate-data': existing['client-certificate-data'],
              'client-certificate-key-data': existing['client-certificate-key-data'],
            }
          : {}),
      }
    : existing;
  const tls = plaintext ? {} : await tlsFromOptions({ ...g, insecure }, inherited);
  const conn: Connection = {
    server,
    baseUrl: baseUrlFor(server, plaintext, rootPath === '' ? undefined : rootPath),
    plaintext,
    tls,
    rootPath,
    token: undefined,
    tokenSource: 'none',
    context: undefined,
  };
  const client = ctx.newClient(conn, { anonymous: true });
  const settings = await client.getSettings();
  let token: string;
  let refreshToken: string | undefined;
  if (opts.flag('sso')) {
    ({ idToken: token, refreshToken } = await runSso(ctx, client, settings, opts));
  } else {
    if (settings.userLoginsDisabled === true)
      throw new CliError(
        'ERR_CLI_FAILED',
        'failed to log in: local accounts cannot log in on this server (admin disabled and no other login accounts); use --sso',
      );
    let username = opts.string('username');
    if (username === undefined) {
      if (!ctx.io.interactive)
        throw usageError('--username is required when stdin is not a terminal');
      username = (await ctx.io.readLine('Username: '))?.trim();
    }
    if (!username) throw usageError('a user name is required: pass --username');
    const password = await readPassword(ctx, opts.string('password'));
    token = await createPasswordSession(client, username, password);
    ctx.secrets.push(token);
  }
  const name = opts.string('name') ?? server;
  const entry: ServerEntry = {
    ...(tlsFlags ? {} : (existing ?? {})),
    server,
    ...(plaintext ? { 'plain-text': true } : {}),
    ...(insecure && !plaintext ? { insecure: true } : {}),
    ...(g.grpcWeb ? { 'grpc-web': true } : {}),
    ...(rootPath ? { 'grpc-web-root-path': rootPath } : {}),
    ...(g.serverCrt !== undefined && tls.caPem !== undefined
      ? { 'certificate-authority-data': b64(tls.caPem) }
      : {}),
    ...(g.clientCrt !== undefined && tls.certPem !== undefined && tls.keyPem !== undefined
      ? {
          'client-certificate-data': b64(tls.certPem),
          'client-certificate-key-data': b64(tls.keyPem),
        }
      : {}),
  };
  if (!plaintext && !insecure) delete entry.insecure;
  if (!plaintext) delete entry['plain-text'];
  client.authToken = token;
  const who = await whoAmI(client, token);
  await saveSession(ctx, name, entry, token, refreshToken);
  ctx.out(`'${who}' logged in successfully\nContext '${name}' updated\n`);
  return undefined;
}

export async function logout(ctx: CommandContext, args: readonly string[]): Promise<undefined> {
  const config = await ctx.readConfig();
  const name = args[0] ?? config['current-context'];
  if (name === '')
    throw new CliError('ERR_CLI_NOT_LOGGED_IN', 'not logged in: there is no current context');
  const resolved = resolveContext(config, name);
  if (!resolved)
    throw new CliError(
      'ERR_CLI_NOT_FOUND',
      `context "${name}" does not exist: 'argocd context' lists them`,
    );
  const token = resolved.user['auth-token'];
  if (token) {
    // end the session on the server too (argocd-ts revokes it); the local token goes either way
    try {
      const s = resolved.server;
      const plaintext = s['plain-text'] === true;
      const conn: Connection = {
        server: s.server,
        baseUrl: baseUrlFor(s.server, plaintext, s['grpc-web-root-path'] || undefined),
        plaintext,
        tls: plaintext
          ? {}
          : await tlsFromOptions(
              {
                ...ctx.globals,
                serverCrt: undefined,
                clientCrt: undefined,
                clientCrtKey: undefined,
              },
              s,
            ),
        rootPath: s['grpc-web-root-path'],
        token,
        tokenSource: 'config',
        context: resolved,
      };
      const client = ctx.newClient(conn);
      // an SSO token (issued by the identity provider) is revoked by the server's SSO logout
      const iss = readUnverifiedClaims(token)?.iss;
      if (iss !== undefined && iss !== 'argocd') await client.endSsoSession();
      else await client.deleteSession();
    } catch (err) {
      ctx.log.warn(
        `could not end the session on the server (${errorMessage(err)}); forgetting the token locally`,
      );
    }
  }
  removeToken(config, name);
  await ctx.writeConfig(config);
  ctx.out(`Logged out from '${name}'\n`);
  return undefined;
}

export async function relogin(
  ctx: CommandContext,
  _args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const conn = await ctx.connection();
  if (!conn.context)
    throw new CliError(
      'ERR_CLI_NOT_LOGGED_IN',
      "no context to log in again: run 'argocd login <server>'",
    );
  const client = ctx.newClient(conn, { anonymous: true });
  const claims = readUnverifiedClaims(conn.context.user['auth-token']);
  let token: string;
  let refreshToken: string | undefined;
  if (claims?.iss !== undefined && claims.iss !== 'argocd') {
    const settings = await client.getSettings();
    ({ idToken: token, refreshToken } = await runSso(ctx, client, settings, opts));
  } else {
    let username = localUserName(claims);
    if (username === undefined) {
      if (!ctx.io.interactive)
        throw usageError(
          "the stored token does not name a user: run 'argocd login <server> --username <name>'",
        );
      username = (await ctx.io.readLine('Username: '))?.trim();
    }
    if (!username) throw usageError('a user name is required');
    const password = await readPassword(ctx, opts.string('password'));
    token = await createPasswordSession(client, username, password);
  }
  const config = await ctx.readConfig();
  const user = config.users.find((u) => u.name === conn.context?.user.name);
  if (!user)
    throw new CliError(
      'ERR_CLI_CONFIG',
      `the user entry of context "${conn.context.name}" is missing`,
    );
  user['auth-token'] = token;
  if (refreshToken !== undefined) user['refresh-token'] = refreshToken;
  await ctx.writeConfig(config);
  client.authToken = token;
  ctx.out(
    `'${await whoAmI(client, token)}' logged in successfully\nContext '${conn.context.name}' updated\n`,
  );
  return undefined;
}

export async function context(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const config = await ctx.readConfig();
  let name = args[0];
  if (name === undefined) {
    if (opts.flag('delete')) throw usageError('--delete needs the name of the context');
    const rows = config.contexts.map((c) => [
      c.name === config['current-context'] ? '*' : '',
      c.name,
      c.server,
    ]);
    ctx.out(formatTable(['CURRENT', 'NAME', 'SERVER'], rows));
    return undefined;
  }
  if (name === '-') {
    try {
      name = (await readFile(previousContextPath(ctx.configPath), 'utf8')).trim();
    } catch {
      throw new CliError('ERR_CLI_NOT_FOUND', 'there is no previous context to switch back to');
    }
  }
  if (!config.contexts.some((c) => c.name === name))
    throw new CliError(
      'ERR_CLI_NOT_FOUND',
      `context "${name}" does not exist: 'argocd context' lists them`,
    );
  const previous = config['current-context'];
  if (opts.flag('delete')) {
    removeContext(config, name);
    await ctx.writeConfig(config);
    ctx.out(`Context '${name}' deleted\n`);
    return undefined;
  }
  if (previous === name) {
    ctx.out(`Already at context '${name}'\n`);
    return undefined;
  }
  config['current-context'] = name;
  await ctx.writeConfig(config);
  if (previous !== '') await rememberPrevious(ctx, previous);
  ctx.out(`Switched to context '${name}'\n`);
  return undefined;
}

/** What `argocd version` reports about the CLI itself. */
export function clientVersion(): VersionMessage & { NodeVersion: string } {
  return {
    Version: `v${VERSION}`,
    Platform: `${process.platform}/${process.arch}`,
    Compiler: 'tsx',
    NodeVersion: process.version,
  };
}

function describeVersion(name: string, v: object, short: boolean): string {
  const fields = Object.entries(v) as [string, unknown][];
  const get = (k: string): unknown => fields.find(([n]) => n === k)?.[1];
  const ver = get('Version');
  const version = typeof ver === 'string' ? ver : 'unknown';
  if (short) return `${name}: ${version}\n`;
  const lines = [`${name}: ${version}`];
  for (const [k, val] of fields) {
    if (k === 'Version') continue;
    if (typeof val === 'string' && val !== '') lines.push(`  ${k}: ${val}`);
    else if (typeof val === 'number' || typeof val === 'boolean')
      lines.push(`  ${k}: ${String(val)}`);
  }
  return `${lines.join('\n')}\n`;
}

export async function version(
  ctx: CommandContext,
  _args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const format = parseOutputFormat(opts.string('output'), [
    'table',
    'json',
    'yaml',
    'short',
  ] as const);
  const short = opts.flag('short') || format === 'short';
  const client = clientVersion();
  let server: VersionMessage | undefined;
  let failure: Error | undefined;
  if (!opts.flag('client')) {
    try {
      server = await (await ctx.client()).getVersion();
    } catch (err) {
      failure = err instanceof Error ? err : new Error(errorMessage(err));
    }
  }
  if (format === 'json' || format === 'yaml') {
    const doc = { client, ...(server ? { server } : {}) };
    ctx.out(format === 'json' ? toJson(doc) : toYaml(doc));
  } else {
    ctx.out(describeVersion('argocd', client, short));
    if (server) ctx.out(describeVersion('argocd-server', server, short));
  }
  if (failure !== undefined) throw failure;
  return undefined;
}
