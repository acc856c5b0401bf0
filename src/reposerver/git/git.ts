/**
 * The one place git runs. Every call goes through `execFile`-style spawning (no shell) with a
 * scrubbed environment: a fixed PATH, an empty HOME, no system or global git config, no terminal
 * prompts, only the protocols we allow, and credentials that exist only in the environment of the
 * one git process that needs them:
 * - HTTPS username/password through a `GIT_ASKPASS` helper that answers from two env vars;
 * - bearer tokens and forced basic auth as an `http.extraHeader` given through `GIT_CONFIG_*`
 *   env vars (not argv, which other local users can read);
 * - SSH keys, known hosts and TLS client certificates in 0600 files inside a private 0700 temp
 *   directory (never the cache directory), deleted as soon as the command ends.
 * Errors carry git's stderr passed through `sanitizeText` with the request's secrets.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { assertNever, sanitizeText } from '../../lib/index.js';
import { RepoServerError } from '../errors.js';
import { runProcess } from '../process.js';
import { Cwe, SecurityLevel, securityEvent } from '../security.js';
import type { ParsedRepoUrl } from './url.js';

/** Credentials that came with one request. */
export interface GitCredentials {
  readonly username?: string;
  readonly password?: string;
  readonly bearerToken?: string;
  readonly forceHttpBasicAuth?: boolean;
  readonly sshPrivateKey?: string;
  readonly sshKnownHosts?: string;
  readonly insecureIgnoreHostKey?: boolean;
  readonly tlsClientCertData?: string;
  readonly tlsClientCertKey?: string;
  /** PEM CA certificates trusted for the repository's HTTPS host */
  readonly tlsCaData?: string;
  /** skip TLS verification */
  readonly insecure?: boolean;
}

/** A repository as one request sees it: where it is and how to get in. */
export interface RepoAccess {
  readonly url: ParsedRepoUrl;
  readonly credentials: GitCredentials;
  /** history depth fetched with a commit (the repository's `depth`); 1 when unset */
  readonly depth?: number;
}

export interface GitRunnerOptions {
  /** the git executable (absolute path or a name looked up on the fixed PATH) */
  readonly gitBinary?: string;
  /** allow the file transport (tests and local demos only) */
  readonly allowFileRepos: boolean;
  readonly logger: Logger;
  /** a private directory for helper scripts, the empty HOME and short-lived secret files */
  readonly runtimeDir?: string;
}

export interface GitRunOptions {
  /** the directory git runs in (a bare cache repository or a checkout) */
  readonly cwd: string;
  readonly timeoutMs: number;
  /** the remote this command talks to; its credentials are made available to this process only */
  readonly remote?: RepoAccess;
  readonly maxStdoutBytes?: number;
  readonly signal?: AbortSignal;
  /** what the command does, for error messages: "fetch", "list refs of" */
  readonly action: string;
}

const SAFE_PATH = '/usr/local/bin:/usr/bin:/bin';
const DEFAULT_MAX_STDOUT = 64 * 1024 * 1024;

const ASKPASS_SCRIPT = `#!/bin/sh
# argocd-ts git askpass helper: answers only from the environment of the one git process that
# runs it; nothing is stored.
case "$1" in
  [Uu]sername*) printf '%s\\n' "\${ARGOCD_GIT_USERNAME-}" ;;
  *) printf '%s\\n' "\${ARGOCD_GIT_PASSWORD-}" ;;
esac
`;

const SSH_SCRIPT = `#!/bin/sh
# argocd-ts ssh wrapper for GIT_SSH: no user config, no agent, batch mode, strict host keys unless
# the request disabled them; key and known hosts files come from this git process's environment.
if [ -n "\${ARGOCD_SSH_KEY_FILE-}" ]; then
  exec ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes -o IdentityAgent=none \\
    -o "UserKnownHostsFile=\${ARGOCD_SSH_KNOWN_HOSTS_FILE:-/dev/null}" \\
    -o "StrictHostKeyChecking=\${ARGOCD_SSH_STRICT:-yes}" -i "$ARGOCD_SSH_KEY_FILE" "$@"
fi
exec ssh -F /dev/null -o BatchMode=yes -o IdentityAgent=none \\
  -o "UserKnownHostsFile=\${ARGOCD_SSH_KNOWN_HOSTS_FILE:-/dev/null}" \\
  -o "StrictHostKeyChecking=\${ARGOCD_SSH_STRICT:-yes}" "$@"
`;

/** The secret strings of a request, for `sanitizeText`. */
export function secretsOf(access: RepoAccess | undefined): string[] {
  if (!access) return [];
  const c = access.credentials;
  const out = [c.password, c.bearerToken, access.url.urlPassword].filter(
    (s): s is string => s !== undefined && s !== '',
  );
  const user = c.username ?? access.url.urlUsername;
  const pass = c.password ?? access.url.urlPassword;
  if (user && pass) {
    out.push(`${user}:${pass}`, Buffer.from(`${user}:${pass}`).toString('base64'));
  }
  return out;
}

/** Runs git commands with the hardening described in the module comment. */
export class GitRunner {
  readonly #git: string;
  readonly #allowFile: boolean;
  readonly #logger: Logger;
  readonly #dir: string;
  readonly #ownsDir: boolean;

  private constructor(opts: GitRunnerOptions, dir: string, ownsDir: boolean) {
    this.#git = opts.gitBinary ?? 'git';
    this.#allowFile = opts.allowFileRepos;
    this.#logger = opts.logger;
    this.#dir = dir;
    this.#ownsDir = ownsDir;
  }

  /** Creates the private runtime directory and its helper scripts. */
  static async create(opts: GitRunnerOptions): Promise<GitRunner> {
    let dir = opts.runtimeDir;
    const owns = dir === undefined;
    if (dir === undefined) dir = await mkdtemp(join(tmpdir(), 'argocd-ts-git-'));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    for (const sub of ['bin', 'home', 'secrets'])
      await mkdir(join(dir, sub), { mode: 0o700, recursive: true });
    await writeFile(join(dir, 'bin', 'askpass'), ASKPASS_SCRIPT, { mode: 0o700 });
    await writeFile(join(dir, 'bin', 'ssh'), SSH_SCRIPT, { mode: 0o700 });
    return new GitRunner(opts, dir, owns);
  }

  /** Removes the runtime directory (when this runner created it). */
  async close(): Promise<void> {
    if (this.#ownsDir) await rm(this.#dir, { recursive: true, force: true });
  }

  /** The `-c` options every git command gets (protocol allow-list, no hooks, no helpers). */
  baseArgs(): string[] {
    return [
      '-c',
      'protocol.allow=never',
      '-c',
      'protocol.https.allow=always',
      '-c',
      'protocol.http.allow=always',
      '-c',
      'protocol.ssh.allow=always',
      '-c',
      'protocol.ext.allow=never',
      '-c',
      `protocol.file.allow=${this.#allowFile ? 'always' : 'never'}`,
      '-c',
      'credential.helper=',
      '-c',
      'core.hooksPath=/dev/null',
      '-c',
      'core.fsmonitor=false',
      '-c',
      'submodule.recurse=false',
      '-c',
      'gc.auto=0',
      '-c',
      'advice.detachedHead=false',
    ];
  }

  /** The environment of a git process without remote credentials. */
  baseEnv(): Record<string, string> {
    return {
      PATH: SAFE_PATH,
      HOME: join(this.#dir, 'home'),
      LANG: 'C',
      LC_ALL: 'C',
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_ASKPASS: join(this.#dir, 'bin', 'askpass'),
      GIT_SSH: join(this.#dir, 'bin', 'ssh'),
      GIT_SSH_VARIANT: 'ssh',
      GIT_LFS_SKIP_SMUDGE: '1',
      GIT_OPTIONAL_LOCKS: '0',
    };
  }

  /**
   * Runs `git <baseArgs> <args>` and returns stdout. A failure becomes a RepoServerError whose
   * message names the action and the repository (without credentials) and quotes git's sanitised
   * stderr: `ERR_REPO_ACCESS` for commands that talk to the remote, `ERR_GIT` otherwise,
   * `ERR_TIMEOUT` when the time limit is hit.
   */
  async run(args: readonly string[], opts: GitRunOptions): Promise<string> {
    const secrets = secretsOf(opts.remote);
    const env = this.baseEnv();
    let secretDir: string | undefined;
    try {
      if (opts.remote)
        secretDir = await this.#addCredentials(env, opts.remote, (dir) => {
          secretDir = dir;
        });
      const outcome = await runProcess(this.#git, [...this.baseArgs(), ...args], {
        cwd: opts.cwd,
        env,
        timeoutMs: opts.timeoutMs,
        maxStdoutBytes: opts.maxStdoutBytes ?? DEFAULT_MAX_STDOUT,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      const where = opts.remote ? ` repository ${opts.remote.url.display}` : '';
      switch (outcome.kind) {
        case 'exited': {
          if (outcome.code === 0) return outcome.stdout.toString('utf8');
          const detail = lastLines(sanitizeText(outcome.stderr, secrets));
          if (opts.remote && containsSecret(outcome.stderr, secrets)) {
            securityEvent(this.#logger, {
              level: SecurityLevel.Medium,
              cwe: Cwe.CredentialsInLogs,
              message: 'git output contained credentials; they were redacted',
              fields: { repo: opts.remote.url.display },
            });
          }
          throw new RepoServerError(
            opts.remote ? 'ERR_REPO_ACCESS' : 'ERR_GIT',
            `failed to ${opts.action}${where}: ${detail || `git exited with status ${outcome.code}`}`,
          );
        }
        case 'timeout':
          throw new RepoServerError(
            'ERR_TIMEOUT',
            `failed to ${opts.action}${where}: git did not finish within ${Math.round(opts.timeoutMs / 1000)}s`,
          );
        case 'output-limit':
          throw new RepoServerError(
            'ERR_MANIFEST_TOO_LARGE',
            `failed to ${opts.action}${where}: git printed more than ${opts.maxStdoutBytes ?? DEFAULT_MAX_STDOUT} bytes`,
          );
        case 'aborted':
          throw new RepoServerError('ERR_CANCELLED', `failed to ${opts.action}${where}: cancelled`);
        case 'spawn-error':
          throw new RepoServerError(
            'ERR_TOOL_NOT_INSTALLED',
            `failed to ${opts.action}${where}: cannot run git (${outcome.error.code ?? outcome.error.message}); install git`,
          );
        default:
          return assertNever(outcome);
      }
    } finally {
      if (secretDir !== undefined) await this.#removeSecrets(secretDir);
    }
  }

  /** Fills `env` with the request's credentials; `onDir` learns the secrets directory at once. */
  async #addCredentials(
    env: Record<string, string>,
    access: RepoAccess,
    onDir: (dir: string) => void,
  ): Promise<string | undefined> {
    const c = access.credentials;
    const config: [string, string][] = [];
    const username = c.username ?? access.url.urlUsername;
    const password = c.password ?? access.url.urlPassword;
    let dir: string | undefined;
    const file = async (name: string, content: string): Promise<string> => {
      if (dir === undefined) {
        dir = await mkdtemp(join(this.#dir, 'secrets', `${randomBytes(4).toString('hex')}-`));
        onDir(dir);
      }
      const p = join(dir, name);
      await writeFile(p, content, { mode: 0o600 });
      return p;
    };
    if (access.url.kind === 'https' || access.url.kind === 'http') {
      if (username !== undefined) env.ARGOCD_GIT_USERNAME = username;
      if (password !== undefined) env.ARGOCD_GIT_PASSWORD = password;
      if (c.bearerToken) {
        config.push(['http.extraHeader', `Authorization: Bearer ${c.bearerToken}`]);
      } else if (c.forceHttpBasicAuth && password !== undefined) {
        const basic = Buffer.from(`${username ?? ''}:${password}`).toString('base64');
        config.push(['http.extraHeader', `Authorization: Basic ${basic}`]);
      }
      if (c.insecure) config.push(['http.sslVerify', 'false']);
      if (c.tlsCaData) config.push(['http.sslCAInfo', await file('ca.pem', c.tlsCaData)]);
      if (c.tlsClientCertData && c.tlsClientCertKey) {
        config.push(['http.sslCert', await file('client.pem', c.tlsClientCertData)]);
        config.push(['http.sslKey', await file('client-key.pem', c.tlsClientCertKey)]);
      }
    } else if (access.url.kind === 'ssh' || access.url.kind === 'scp') {
      // checked before any file is written, so a refusal leaves nothing behind
      if (!c.insecureIgnoreHostKey && !c.sshKnownHosts)
        throw new RepoServerError(
          'ERR_INVALID_REQUEST',
          `failed to reach repository ${access.url.display}: SSH needs the host's known_hosts entries (or insecureIgnoreHostKey)`,
        );
      if (c.sshPrivateKey) {
        const key = c.sshPrivateKey.endsWith('\n') ? c.sshPrivateKey : `${c.sshPrivateKey}\n`;
        env.ARGOCD_SSH_KEY_FILE = await file('id', key);
      }
      if (c.insecureIgnoreHostKey) {
        env.ARGOCD_SSH_STRICT = 'no';
        env.ARGOCD_SSH_KNOWN_HOSTS_FILE = '/dev/null';
      } else if (c.sshKnownHosts) {
        env.ARGOCD_SSH_KNOWN_HOSTS_FILE = await file('known_hosts', c.sshKnownHosts);
      }
    }
    if (config.length > 0) {
      env.GIT_CONFIG_COUNT = String(config.length);
      config.forEach(([k, v], i) => {
        env[`GIT_CONFIG_KEY_${i}`] = k;
        env[`GIT_CONFIG_VALUE_${i}`] = v;
      });
    }
    return dir;
  }

  async #removeSecrets(dir: string): Promise<void> {
    try {
      await rm(dir, { recursive: true, force: true });
    } catch (err) {
      securityEvent(this.#logger, {
        level: SecurityLevel.Critical,
        cwe: Cwe.IncompleteCleanup,
        message: 'failed to remove a temporary credentials directory',
        fields: { dir, error: err instanceof Error ? err.message : String(err) },
      });
    }
  }
}

function containsSecret(text: string, secrets: readonly string[]): boolean {
  return secrets.some((s) => s.length >= 3 && text.includes(s));
}

function lastLines(text: string, n = 6): string {
  return text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l !== '')
    .slice(-n)
    .join('; ');
}
