/**
 * `argocd repo ...` and `argocd repocreds ...` actions. Credentials are read from flags, files or
 * stdin, registered as secrets of the run (removed from any message), and never printed.
 */
import { readFile } from 'node:fs/promises';
import type { RepoCredsInfo, RepositoryInfo } from '../../client/index.js';
import { errorMessage } from '../../lib/index.js';
import type { CommandContext } from '../context.js';
import type { Opts } from '../define.js';
import { CliError, usageError } from '../errors.js';
import { parseOutputFormat, toJson, toYaml } from '../output/format.js';
import { formatTable } from '../output/table.js';

const SCP_LIKE = /^[A-Za-z0-9._~-]+@[A-Za-z0-9.-]+:(?!\/\/)/;

/** Which kind of URL this is, for checks that credentials fit it. */
export function urlKind(url: string): 'ssh' | 'https' | 'http' | 'oci' | 'other' {
  if (SCP_LIKE.test(url) || /^ssh:\/\//i.test(url)) return 'ssh';
  if (/^https:\/\//i.test(url)) return 'https';
  if (/^http:\/\//i.test(url)) return 'http';
  if (/^oci:\/\//i.test(url)) return 'oci';
  return 'other';
}

function checkUrl(url: string): void {
  if (url.trim() === '' || /\s/.test(url) || url.startsWith('-'))
    throw usageError(`invalid repository URL "${url}": no spaces, and it may not start with '-'`);
}

async function readSecretFile(ctx: CommandContext, path: string, flag: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError('ERR_CLI_INPUT', `failed to read ${flag} ${path}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  if (text.trim() === '') throw new CliError('ERR_CLI_INPUT', `${flag} ${path} is empty`);
  ctx.secrets.push(text.trim());
  return text;
}

function optionalInt(opts: Opts, key: string, flag: string): number | undefined {
  return opts.int(key, flag, 0);
}

type Credentials = Omit<RepoCredsInfo, 'url'>;

/** The credential fields from flags, files and stdin (shared by repo add and repocreds add). */
export async function readCredentials(
  ctx: CommandContext,
  url: string,
  opts: Opts,
): Promise<Credentials> {
  const kind = urlKind(url);
  const type = opts.string('type') ?? 'git';
  if (!['git', 'helm', 'oci'].includes(type))
    throw usageError(`invalid --type "${type}": use git, helm or oci`);
  const username = opts.string('username');
  let password = opts.string('password');
  if (opts.flag('passwordStdin')) {
    if (password !== undefined)
      throw usageError('--password and --password-stdin exclude each other');
    password = (await ctx.io.readAll()).replace(/\r?\n$/, '');
    if (password === '') throw usageError('--password-stdin: stdin is empty');
  }
  if (username !== undefined && password === undefined) {
    if (!ctx.io.interactive)
      throw usageError(
        '--username needs a password: pass --password-stdin (or --password) when stdin is not a terminal',
      );
    password = await ctx.io.readSecret('Password: ');
    if (!password) throw usageError('a password is required with --username');
  }
  if (password !== undefined && username === undefined && type === 'git')
    throw usageError(
      'a password needs a user name: add --username (for a token, any name the server accepts)',
    );
  if (password !== undefined) ctx.secrets.push(password);
  const bearerToken = opts.string('bearerToken');
  if (bearerToken !== undefined) ctx.secrets.push(bearerToken);
  const sshKeyPath = opts.string('sshPrivateKeyPath');
  const certPath = opts.string('tlsClientCertPath');
  const keyPath = opts.string('tlsClientCertKeyPath');
  if ((certPath === undefined) !== (keyPath === undefined))
    throw usageError('--tls-client-cert-path and --tls-client-cert-key-path go together');
  if (sshKeyPath !== undefined && kind !== 'ssh')
    throw usageError(
      `--ssh-private-key-path needs an SSH URL (git@host:path or ssh://...), not ${url}`,
    );
  if (
    (username !== undefined || bearerToken !== undefined || certPath !== undefined) &&
    kind === 'ssh'
  )
    throw usageError(
      'user name, password, bearer token and TLS client certificates are for HTTPS URLs; use --ssh-private-key-path for SSH',
    );
  if (username !== undefined && kind === 'http')
    ctx.log.warn(`sending credentials over plain http to ${url}: use https`);
  const ghKeyPath = opts.string('githubAppPrivateKeyPath');
  const gcpPath = opts.string('gcpServiceAccountKeyPath');
  const noProxy = opts.string('noproxy');
  const proxy = opts.string('proxy');
  const githubAppID = optionalInt(opts, 'githubAppId', '--github-app-id');
  const githubAppInstallationID = optionalInt(
    opts,
    'githubAppInstallationId',
    '--github-app-installation-id',
  );
  const ghBase = opts.string('githubAppEnterpriseBaseUrl');
  return {
    type,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(bearerToken !== undefined ? { bearerToken } : {}),
    ...(sshKeyPath !== undefined
      ? { sshPrivateKey: await readSecretFile(ctx, sshKeyPath, '--ssh-private-key-path') }
      : {}),
    ...(certPath !== undefined && keyPath !== undefined
      ? {
          tlsClientCertData: await readSecretFile(ctx, certPath, '--tls-client-cert-path'),
          tlsClientCertKey: await readSecretFile(ctx, keyPath, '--tls-client-cert-key-path'),
        }
      : {}),
    ...(githubAppID !== undefined ? { githubAppID } : {}),
    ...(githubAppInstallationID !== undefined ? { githubAppInstallationID } : {}),
    ...(ghKeyPath !== undefined
      ? {
          githubAppPrivateKey: await readSecretFile(
            ctx,
            ghKeyPath,
            '--github-app-private-key-path',
          ),
        }
      : {}),
    ...(ghBase !== undefined ? { githubAppEnterpriseBaseUrl: ghBase } : {}),
    ...(gcpPath !== undefined
      ? {
          gcpServiceAccountKey: await readSecretFile(
            ctx,
            gcpPath,
            '--gcp-service-account-key-path',
          ),
        }
      : {}),
    ...(opts.flag('forceHttpBasicAuth') ? { forceHttpBasicAuth: true } : {}),
    ...(opts.flag('enableOci') ? { enableOCI: true } : {}),
    ...(proxy !== undefined ? { proxy } : {}),
    ...(noProxy !== undefined ? { noProxy } : {}),
  };
}

export async function repoAdd(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const url = args[0] ?? '';
  checkUrl(url);
  const creds = await readCredentials(ctx, url, opts);
  const depth = opts.int('depth', '--depth', 0);
  const name = opts.string('name');
  const project = opts.string('project');
  const repo: RepositoryInfo = {
    repo: url,
    ...creds,
    ...(name !== undefined ? { name } : {}),
    ...(project !== undefined ? { project } : {}),
    ...(opts.flag('insecureSkipServerVerification') ? { insecure: true } : {}),
    ...(opts.flag('insecureIgnoreHostKey') ? { insecureIgnoreHostKey: true } : {}),
    ...(opts.flag('enableLfs') ? { enableLfs: true } : {}),
    ...(depth !== undefined ? { depth } : {}),
  };
  if (repo.insecure)
    ctx.log.warn(
      `TLS and host key verification are off for ${url} (--insecure-skip-server-verification)`,
    );
  const created = await (
    await ctx.client()
  ).createRepository(repo, { upsert: opts.flag('upsert') });
  ctx.out(`Repository '${created.repo || url}' added\n`);
  return undefined;
}

function credsText(r: RepositoryInfo): string {
  if (r.inheritedCreds) return 'inherited';
  return r.username || r.sshPrivateKey || r.tlsClientCertData || r.bearerToken || r.githubAppID
    ? 'true'
    : 'false';
}

function repoTable(repos: readonly RepositoryInfo[], wide: boolean): string {
  const headers = [
    'TYPE',
    'NAME',
    'REPO',
    'INSECURE',
    'OCI',
    'LFS',
    'CREDS',
    'STATUS',
    'MESSAGE',
    'PROJECT',
  ];
  if (wide) headers.push('PROXY', 'DEPTH');
  return formatTable(
    headers,
    repos.map((r) => {
      const row = [
        r.type ?? 'git',
        r.name ?? '',
        r.repo,
        String(r.insecure === true || r.insecureIgnoreHostKey === true),
        String(r.enableOCI === true),
        String(r.enableLfs === true),
        credsText(r),
        r.connectionState?.status ?? '',
        r.connectionState?.message ?? '',
        r.project ?? '',
      ];
      if (wide) row.push(r.proxy ?? '', r.depth !== undefined ? String(r.depth) : '');
      return row;
    }),
  );
}

function refreshFlag(opts: Opts): boolean {
  const r = opts.string('refresh');
  if (r === undefined) return false;
  if (r !== 'hard') throw usageError(`invalid --refresh "${r}": the only mode is hard`);
  return true;
}

export async function repoList(
  ctx: CommandContext,
  _args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const format = parseOutputFormat(opts.string('output'), [
    'table',
    'json',
    'yaml',
    'wide',
    'url',
  ] as const);
  const repos = await (await ctx.client()).listRepositories({ forceRefresh: refreshFlag(opts) });
  if (format === 'json') ctx.out(toJson(repos));
  else if (format === 'yaml') ctx.out(toYaml(repos));
  else if (format === 'url') ctx.out(repos.map((r) => `${r.repo}\n`).join(''));
  else ctx.out(repoTable(repos, format === 'wide'));
  return undefined;
}

export async function repoGet(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const format = parseOutputFormat(opts.string('output'), [
    'table',
    'json',
    'yaml',
    'wide',
    'url',
  ] as const);
  const repo = await (
    await ctx.client()
  ).getRepository(args[0] ?? '', { forceRefresh: refreshFlag(opts) });
  if (format === 'json') ctx.out(toJson(repo));
  else if (format === 'yaml') ctx.out(toYaml(repo));
  else if (format === 'url') ctx.out(`${repo.repo}\n`);
  else ctx.out(repoTable([repo], format === 'wide'));
  return undefined;
}

export async function repoRm(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const client = await ctx.client();
  const project = opts.string('project');
  for (const url of args) {
    await client.deleteRepository(url, project !== undefined ? { appProject: project } : {});
    ctx.out(`Repository '${url}' removed\n`);
  }
  return undefined;
}

export async function repocredsAdd(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const url = args[0] ?? '';
  checkUrl(url);
  const creds = await readCredentials(ctx, url, opts);
  const hasSecret =
    creds.password ??
    creds.sshPrivateKey ??
    creds.tlsClientCertData ??
    creds.bearerToken ??
    creds.githubAppPrivateKey ??
    creds.gcpServiceAccountKey;
  if (hasSecret === undefined)
    throw usageError(
      'a credential template needs credentials: --username with a password, --ssh-private-key-path, a client certificate, a bearer token or a GitHub App',
    );
  await (await ctx.client()).createRepoCreds({ url, ...creds }, { upsert: opts.flag('upsert') });
  ctx.out(`Repository credentials for '${url}' added\n`);
  return undefined;
}

export async function repocredsList(
  ctx: CommandContext,
  _args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const format = parseOutputFormat(opts.string('output'), [
    'table',
    'json',
    'yaml',
    'url',
  ] as const);
  const creds = await (await ctx.client()).listRepoCreds();
  if (format === 'json') ctx.out(toJson(creds));
  else if (format === 'yaml') ctx.out(toYaml(creds));
  else if (format === 'url') ctx.out(creds.map((c) => `${c.url}\n`).join(''));
  else
    ctx.out(
      formatTable(
        ['URL PATTERN', 'TYPE', 'USERNAME', 'SSH CREDS', 'TLS CREDS'],
        creds.map((c) => [
          c.url,
          c.type ?? 'git',
          c.username ?? '-',
          c.sshPrivateKey ? 'true' : 'false',
          c.tlsClientCertData ? 'true' : 'false',
        ]),
      ),
    );
  return undefined;
}

export async function repocredsRm(
  ctx: CommandContext,
  args: readonly string[],
): Promise<undefined> {
  const client = await ctx.client();
  for (const url of args) {
    await client.deleteRepoCreds(url);
    ctx.out(`Repository credentials for '${url}' removed\n`);
  }
  return undefined;
}
