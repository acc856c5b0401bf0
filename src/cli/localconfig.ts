/**
 * The CLI's config file in Argo CD's format (`util/localconfig`): YAML with `current-context`,
 * `contexts` (name, server, user), `servers` (server, grpc-web, grpc-web-root-path, insecure,
 * plain-text, certificate-authority-data, client-certificate-data, client-certificate-key-data,
 * core), `users` (name, auth-token, refresh-token) and `prompts-enabled`. Fields this project does
 * not know are kept when the file is rewritten. `certificate-authority-data` (base64 PEM), which
 * Argo CD reserves but does not use, is honoured here: `login --server-crt` stores the CA so later
 * commands verify the server without the flag.
 *
 * The file holds tokens: it is written atomically with mode 0600 in a directory with mode 0700,
 * and a file readable by others is reported.
 */
import { chmod, mkdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { errorMessage, isRecord } from '../lib/index.js';
import { CliError } from './errors.js';

export interface ContextRef {
  name: string;
  server: string;
  user: string;
}

export interface ServerEntry {
  server: string;
  'grpc-web'?: boolean;
  'grpc-web-root-path'?: string;
  insecure?: boolean;
  'plain-text'?: boolean;
  core?: boolean;
  'certificate-authority-data'?: string;
  'client-certificate-data'?: string;
  'client-certificate-key-data'?: string;
  [extra: string]: unknown;
}

export interface UserEntry {
  name: string;
  'auth-token'?: string;
  'refresh-token'?: string;
  [extra: string]: unknown;
}

export interface LocalConfig {
  'current-context': string;
  contexts: ContextRef[];
  servers: ServerEntry[];
  users: UserEntry[];
  'prompts-enabled'?: boolean;
  [extra: string]: unknown;
}

/** A context with its server and user entries. */
export interface ResolvedContext {
  readonly name: string;
  readonly server: ServerEntry;
  readonly user: UserEntry;
}

export function emptyConfig(): LocalConfig {
  return { 'current-context': '', contexts: [], servers: [], users: [] };
}

/**
 * The config directory, as Argo CD picks it: `$ARGOCD_CONFIG_DIR`, else the legacy `~/.argocd`
 * when it exists, else `$XDG_CONFIG_HOME/argocd`, else `~/.config/argocd`.
 */
export function defaultConfigDir(
  env: Readonly<Record<string, string | undefined>>,
  home: string,
  exists: (path: string) => boolean = existsSync,
): string {
  const fromEnv = env.ARGOCD_CONFIG_DIR;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const legacy = join(home, '.argocd');
  if (exists(legacy)) return legacy;
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg !== undefined && xdg !== '') return join(xdg, 'argocd');
  return join(home, '.config', 'argocd');
}

function configError(path: string, why: string): CliError {
  return new CliError(
    'ERR_CLI_CONFIG',
    `failed to read the config file ${path}: ${why}; fix or delete it (then run 'argocd login <server>')`,
  );
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function entries(
  doc: Record<string, unknown>,
  key: string,
  path: string,
): Record<string, unknown>[] {
  const v = doc[key];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw configError(path, `${key} is not a list`);
  return v.map((item, i) => {
    if (!isRecord(item)) throw configError(path, `${key}[${i}] is not a mapping`);
    return item;
  });
}

function checkTypes(
  item: Record<string, unknown>,
  path: string,
  where: string,
  strings: readonly string[],
  bools: readonly string[],
): void {
  for (const k of strings)
    if (item[k] !== undefined && item[k] !== null && typeof item[k] !== 'string')
      throw configError(path, `${where}.${k} is not a string`);
  for (const k of bools)
    if (item[k] !== undefined && item[k] !== null && typeof item[k] !== 'boolean')
      throw configError(path, `${where}.${k} is not true or false`);
}

/** Parses config text (YAML or JSON); throws ERR_CLI_CONFIG naming the bad field. */
export function parseLocalConfig(text: string, path = 'config'): LocalConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw configError(path, `not valid YAML (${errorMessage(err).split('\n')[0] ?? ''})`);
  }
  if (doc === null || doc === undefined) return emptyConfig();
  if (!isRecord(doc)) throw configError(path, 'not a mapping');
  const contexts = entries(doc, 'contexts', path).map((c, i): ContextRef => {
    checkTypes(c, path, `contexts[${i}]`, ['name', 'server', 'user'], []);
    const name = str(c.name);
    if (!name) throw configError(path, `contexts[${i}] has no name`);
    return { name, server: str(c.server) ?? '', user: str(c.user) ?? '' };
  });
  const servers = entries(doc, 'servers', path).map((s, i): ServerEntry => {
    checkTypes(
      s,
      path,
      `servers[${i}]`,
      [
        'server',
        'grpc-web-root-path',
        'certificate-authority-data',
        'client-certificate-data',
        'client-certificate-key-data',
      ],
      ['grpc-web', 'insecure', 'plain-text', 'core'],
    );
    const server = str(s.server);
    if (!server) throw configError(path, `servers[${i}] has no server`);
    return { ...s, server };
  });
  const users = entries(doc, 'users', path).map((u, i): UserEntry => {
    checkTypes(u, path, `users[${i}]`, ['name', 'auth-token', 'refresh-token'], []);
    const name = str(u.name);
    if (!name) throw configError(path, `users[${i}] has no name`);
    return { ...u, name };
  });
  checkTypes(doc, path, 'config', ['current-context'], ['prompts-enabled']);
  return {
    ...doc,
    'current-context': str(doc['current-context']) ?? '',
    contexts,
    servers,
    users,
  };
}

/** Serialises a config in Argo CD's key order (empty optional fields left out). */
export function serializeLocalConfig(config: LocalConfig): string {
  const clean = <T extends Record<string, unknown>>(o: T): T =>
    Object.fromEntries(
      Object.entries(o).filter(([, v]) => v !== undefined && v !== '' && v !== false),
    ) as T;
  const { 'current-context': current, contexts, servers, users, ...rest } = config;
  const ordered: Record<string, unknown> = {
    'current-context': current,
    contexts: contexts.map((c) => ({ name: c.name, server: c.server, user: c.user })),
    // Argo CD writes grpc-web-root-path even when empty
    servers: servers.map(({ server, ...more }) => ({
      ...clean({ server, ...more }),
      'grpc-web-root-path': more['grpc-web-root-path'] ?? '',
    })),
    users: users.map(({ name, ...more }) => clean({ name, ...more })),
    ...rest,
  };
  return stringifyYaml(ordered, { lineWidth: 0 });
}

/** Reads the config file; an absent file is an empty config. Warns (via `warn`) when others can read it. */
export async function readLocalConfig(
  path: string,
  warn: (message: string) => void = () => undefined,
): Promise<LocalConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyConfig();
    throw new CliError(
      'ERR_CLI_CONFIG',
      `failed to read the config file ${path}: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
  try {
    const st = await stat(path);
    if ((st.mode & 0o077) !== 0)
      warn(
        `the config file ${path} holds tokens and others can read it (mode ${(st.mode & 0o777).toString(8)}): run 'chmod 600 ${path}'`,
      );
  } catch {
    // the file was read a moment ago; a stat failure only skips the permission warning
  }
  return parseLocalConfig(text, path);
}

/**
 * Writes the config atomically (temp file + rename) with mode 0600; creates the directory with
 * mode 0700 when it does not exist.
 */
export async function writeLocalConfig(path: string, config: LocalConfig): Promise<void> {
  const dir = dirname(path);
  try {
    if (!existsSync(dir)) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      await chmod(dir, 0o700);
    }
    const tmp = join(dir, `.config.${process.pid}.${Date.now()}.tmp`);
    await writeFile(tmp, serializeLocalConfig(config), { mode: 0o600, flag: 'wx' });
    try {
      await rename(tmp, path);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await chmod(path, 0o600);
  } catch (err) {
    throw new CliError(
      'ERR_CLI_CONFIG',
      `failed to write the config file ${path}: ${errorMessage(err)}`,
      {
        cause: err,
      },
    );
  }
}

/** Resolves a context by name (default: the current one); undefined when it does not exist. */
export function resolveContext(config: LocalConfig, name?: string): ResolvedContext | undefined {
  const ctxName = name === undefined || name === '' ? config['current-context'] : name;
  if (ctxName === '') return undefined;
  const ctx = config.contexts.find((c) => c.name === ctxName);
  if (!ctx) return undefined;
  const server = config.servers.find((s) => s.server === ctx.server) ?? { server: ctx.server };
  const user = config.users.find((u) => u.name === ctx.user) ?? { name: ctx.user };
  return { name: ctx.name, server, user };
}

function upsert<T>(list: T[], item: T, same: (a: T) => boolean): void {
  const i = list.findIndex(same);
  if (i === -1) list.push(item);
  else list[i] = item;
}

export function upsertServer(config: LocalConfig, server: ServerEntry): void {
  upsert(config.servers, server, (s) => s.server === server.server);
}
export function upsertUser(config: LocalConfig, user: UserEntry): void {
  upsert(config.users, user, (u) => u.name === user.name);
}
export function upsertContext(config: LocalConfig, context: ContextRef): void {
  upsert(config.contexts, context, (c) => c.name === context.name);
}

/**
 * Removes a context, and its server and user entries when no other context uses them.
 * Returns false when there is no such context.
 */
export function removeContext(config: LocalConfig, name: string): boolean {
  const ctx = config.contexts.find((c) => c.name === name);
  if (!ctx) return false;
  config.contexts = config.contexts.filter((c) => c.name !== name);
  if (!config.contexts.some((c) => c.server === ctx.server))
    config.servers = config.servers.filter((s) => s.server !== ctx.server);
  if (!config.contexts.some((c) => c.user === ctx.user))
    config.users = config.users.filter((u) => u.name !== ctx.user);
  if (config['current-context'] === name) config['current-context'] = '';
  return true;
}

/** Forgets the tokens of a context's user (logout). Returns false when there is no such context. */
export function removeToken(config: LocalConfig, name: string): boolean {
  const ctx = config.contexts.find((c) => c.name === name);
  if (!ctx) return false;
  const user = config.users.find((u) => u.name === ctx.user);
  if (user) {
    delete user['auth-token'];
    delete user['refresh-token'];
  }
  return true;
}

/** Path of the file that remembers the previous context (`argocd context -`). */
export function previousContextPath(configPath: string): string {
  return join(dirname(configPath), '.prev-ctx');
}
