/**
 * `CommandContext`: what every command gets — the terminal, the global options, a logger, the
 * config file, and (lazily) an API client for the resolved connection.
 *
 * Connection resolution (flag > env > config), with one deliberate difference from Argo CD: a
 * token from the config file is only ever sent to the server it was issued for. With `--server`
 * naming another server, the CLI uses the context of that server (if one exists) or no token.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { join } from 'node:path';
import { ArgoCdClient, type TransportTlsOptions } from '../client/index.js';
import { VERSION } from '../config/index.js';
import { errorMessage } from '../lib/index.js';
import { CliError, usageError } from './errors.js';
import type { GlobalOptions } from './global-options.js';
import type { CliIo } from './io.js';
import {
  defaultConfigDir,
  readLocalConfig,
  resolveContext,
  writeLocalConfig,
  type LocalConfig,
  type ResolvedContext,
  type ServerEntry,
} from './localconfig.js';
import { isExpired, readUnverifiedClaims } from './token-claims.js';

export interface CliLogger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

const LEVELS = { debug: 0, info: 1, warn: 2, error: 3 } as const;

export function createLogger(io: CliIo, level: keyof typeof LEVELS): CliLogger {
  const min = LEVELS[level];
  const at =
    (l: keyof typeof LEVELS, tag: string) =>
    (msg: string): void => {
      if (LEVELS[l] >= min) io.stderr.write(`${tag} ${msg}\n`);
    };
  return {
    debug: at('debug', 'DEBU'),
    info: at('info', 'INFO'),
    warn: at('warn', 'WARN'),
    error: at('error', 'ERRO'),
  };
}

/** Where and how to reach the API server, and with which token. */
export interface Connection {
  /** `host:port` as the user wrote it (the config key) */
  readonly server: string;
  readonly baseUrl: string;
  readonly plaintext: boolean;
  readonly tls: TransportTlsOptions;
  readonly rootPath: string | undefined;
  readonly token: string | undefined;
  readonly tokenSource: 'flag' | 'config' | 'none';
  /** the context the settings came from, if any */
  readonly context: ResolvedContext | undefined;
}

/**
 * Normalises a server address: strips `https://` (and `http://`, which requires --plaintext) and
 * trailing slashes. Returns the address and whether http:// was given.
 */
export function normalizeServer(raw: string): { server: string; http: boolean } {
  let s = raw.trim();
  let http = false;
  if (/^https:\/\//i.test(s)) s = s.slice(8);
  else if (/^http:\/\//i.test(s)) {
    s = s.slice(7);
    http = true;
  } else if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s))
    throw usageError(`invalid server address "${raw}": use host:port (https is implied)`);
  s = s.replace(/\/+$/, '');
  if (s === '' || /[\s@]/.test(s))
    throw usageError(`invalid server address "${raw}": use host:port`);
  return { server: s, http };
}

export function baseUrlFor(
  server: string,
  plaintext: boolean,
  rootPath: string | undefined,
): string {
  const root = (rootPath ?? '').replace(/^\/+|\/+$/g, '');
  return `${plaintext ? 'http' : 'https'}://${server}${root === '' ? '' : `/${root}`}`;
}

function b64decode(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : Buffer.from(v, 'base64').toString('utf8');
}

async function readPem(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError(
      'ERR_CLI_INPUT',
      `failed to read the ${what} ${path}: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
}

/** TLS settings from the flags, else from the server entry of the config. */
export async function tlsFromOptions(
  globals: GlobalOptions,
  entry: ServerEntry | undefined,
): Promise<TransportTlsOptions> {
  const caPem =
    globals.serverCrt !== undefined
      ? await readPem(globals.serverCrt, 'server certificate file (--server-crt)')
      : b64decode(entry?.['certificate-authority-data']);
  if ((globals.clientCrt === undefined) !== (globals.clientCrtKey === undefined))
    throw usageError('--client-crt and --client-crt-key go together: give both or neither');
  const certPem =
    globals.clientCrt !== undefined
      ? await readPem(globals.clientCrt, 'client certificate file (--client-crt)')
      : b64decode(entry?.['client-certificate-data']);
  const keyPem =
    globals.clientCrtKey !== undefined
      ? await readPem(globals.clientCrtKey, 'client key file (--client-crt-key)')
      : b64decode(entry?.['client-certificate-key-data']);
  const insecure = globals.insecure || entry?.insecure === true;
  return {
    ...(caPem !== undefined ? { caPem } : {}),
    ...(certPem !== undefined && keyPem !== undefined ? { certPem, keyPem } : {}),
    ...(insecure ? { insecureSkipVerify: true } : {}),
  };
}

export class CommandContext {
  readonly io: CliIo;
  readonly globals: GlobalOptions;
  readonly log: CliLogger;
  /** secrets this run has read (passwords, tokens): removed from any error message */
  readonly secrets: string[] = [];
  #config: LocalConfig | undefined;
  #clients: ArgoCdClient[] = [];
  #pending: Promise<void>[] = [];

  /** the root command (for help and completion) */
  readonly program: Command | undefined;

  constructor(io: CliIo, globals: GlobalOptions, program?: Command) {
    this.io = io;
    this.globals = globals;
    this.program = program;
    this.log = createLogger(io, globals.logLevel);
    if (globals.authToken) this.secrets.push(globals.authToken);
  }

  /** Writes to stdout. */
  out(text: string): void {
    this.io.stdout.write(text);
  }

  get configPath(): string {
    return this.globals.config ?? join(defaultConfigDir(this.io.env, this.io.homeDir), 'config');
  }

  async readConfig(): Promise<LocalConfig> {
    this.#config ??= await readLocalConfig(this.configPath, (m) => {
      this.log.warn(m);
    });
    for (const u of this.#config.users) {
      if (u['auth-token']) this.secrets.push(u['auth-token']);
      if (u['refresh-token']) this.secrets.push(u['refresh-token']);
    }
    return this.#config;
  }

  async writeConfig(config: LocalConfig): Promise<void> {
    this.#config = config;
    await writeLocalConfig(this.configPath, config);
  }

  /** Resolves the connection; throws "not logged in" when no server is known. */
  async connection(): Promise<Connection> {
    const config = await this.readConfig();
    let ctx: ResolvedContext | undefined;
    if (this.globals.context !== undefined) {
      ctx = resolveContext(config, this.globals.context);
      if (!ctx)
        throw new CliError(
          'ERR_CLI_CONFIG',
          `context "${this.globals.context}" does not exist in ${this.configPath}: 'argocd context' lists them`,
        );
    }
    let server: string;
    let http = false;
    if (this.globals.server !== undefined) {
      ({ server, http } = normalizeServer(this.globals.server));
      // a config token is only sent to the server it belongs to
      if (ctx && ctx.server.server !== server) ctx = undefined;
      if (!ctx) {
        const current = resolveContext(config);
        if (current?.server.server === server) ctx = current;
        else {
          const other = config.contexts.find((c) => c.server === server);
          if (other) ctx = resolveContext(config, other.name);
        }
      }
    } else {
      ctx ??= resolveContext(config);
      if (!ctx)
        throw new CliError(
          'ERR_CLI_NOT_LOGGED_IN',
          "not logged in: run 'argocd login <server>' (or pass --server, or set ARGOCD_SERVER)",
        );
      server = ctx.server.server;
    }
    const plaintext = this.globals.plaintext || ctx?.server['plain-text'] === true;
    if (http && !plaintext)
      throw usageError(
        `the server address ${this.globals.server ?? ''} is http://: add --plaintext to connect without TLS`,
      );
    const rootPath = this.globals.rootPath ?? ctx?.server['grpc-web-root-path'];
    const tls = plaintext ? {} : await tlsFromOptions(this.globals, ctx?.server);
    let token: string | undefined;
    let tokenSource: Connection['tokenSource'] = 'none';
    if (this.globals.authToken !== undefined) {
      token = this.globals.authToken;
      tokenSource = 'flag';
    } else if (ctx?.user['auth-token']) {
      token = ctx.user['auth-token'];
      tokenSource = 'config';
    }
    return {
      server,
      baseUrl: baseUrlFor(server, plaintext, rootPath === '' ? undefined : rootPath),
      plaintext,
      tls,
      rootPath,
      token,
      tokenSource,
      context: ctx,
    };
  }

  /** A client for a connection (closed by `close()`). */
  newClient(conn: Connection, options: { anonymous?: boolean } = {}): ArgoCdClient {
    const token = options.anonymous ? undefined : conn.token;
    const client = new ArgoCdClient({
      baseUrl: conn.baseUrl,
      tls: conn.tls,
      headers: this.globals.headers,
      userAgent: `argocd-ts-cli/${VERSION}`,
      ...(token !== undefined ? { authToken: token } : {}),
      onTokenRenewed: (t) => {
        this.secrets.push(t);
        if (conn.tokenSource === 'config' && conn.context)
          this.#saveToken(conn.context.user.name, t);
      },
      onExchange: (e) => {
        this.log.debug(
          `${e.method} ${e.path} -> ${e.status ?? 'no answer'} in ${e.durationMs} ms${e.error ? ` (${e.error})` : ''}`,
        );
      },
    });
    this.#clients.push(client);
    return client;
  }

  /**
   * The API client of the resolved connection. An SSO token that has expired is refreshed first
   * when the config holds a refresh token.
   */
  async client(options: { anonymous?: boolean } = {}): Promise<ArgoCdClient> {
    let conn = await this.connection();
    if (!options.anonymous && conn.tokenSource === 'config' && conn.context) {
      const claims = readUnverifiedClaims(conn.token);
      const refresh = conn.context.user['refresh-token'];
      if (
        claims?.iss !== undefined &&
        claims.iss !== 'argocd' &&
        refresh &&
        isExpired(claims, this.io.now())
      ) {
        const { refreshSsoToken } = await import('./sso.js');
        const anon = this.newClient(conn, { anonymous: true });
        const fresh = await refreshSsoToken(this, anon, refresh);
        await this.#storeTokens(conn.context.user.name, fresh.idToken, fresh.refreshToken);
        conn = { ...conn, token: fresh.idToken };
      }
    }
    return this.newClient(conn, options);
  }

  #saveToken(userName: string, token: string): void {
    this.#pending.push(
      this.#storeTokens(userName, token).catch((err: unknown) => {
        this.log.warn(`could not save the renewed token: ${errorMessage(err)}`);
      }),
    );
  }

  async #storeTokens(userName: string, token: string, refreshToken?: string): Promise<void> {
    const config = await this.readConfig();
    const user = config.users.find((u) => u.name === userName);
    if (!user) return;
    user['auth-token'] = token;
    if (refreshToken !== undefined) user['refresh-token'] = refreshToken;
    await this.writeConfig(config);
  }

  /** Closes clients and waits for token saves. */
  async close(): Promise<void> {
    for (const c of this.#clients) c.close();
    this.#clients = [];
    await Promise.all(this.#pending);
  }
}
