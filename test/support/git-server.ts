/**
 * Real git repositories for tests, served over HTTPS with basic auth on 127.0.0.1.
 *
 * `startGitServer()` runs Debian's `git http-backend` (CGI) behind a small Node TLS server with a
 * self-signed certificate for 127.0.0.1/localhost, on a free port. `server.createRepo(name)` gives
 * a `FixtureRepo`: a working clone where a test writes files, symlinks, commits, branches and tags;
 * every change is published to the served bare repository at once. `createLocalRepo()` builds the
 * same fixture without a server (for `file://` URLs). Everything lives in one temp directory that
 * `stop()` removes; every http-backend process is stopped by PID.
 *
 * @example
 * const server = await startGitServer({ username: 'alice', password: 's3cret' });
 * after(() => server.stop());
 * const repo = await server.createRepo('apps');
 * await repo.write({ 'guestbook/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n' });
 * const sha = await repo.commit('add guestbook');
 * // clone server.url('apps') with server.username / server.password, trusting server.caPem
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink as fsSymlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startGitHttpServer, type GitServerRequest } from '../../src/cmd/local-git-server.js';
import { createSelfSignedCertificate } from '../../src/tls/index.js';

export type { GitServerRequest };

export interface GitServerOptions {
  /** basic-auth credentials every request must carry; no auth when absent */
  readonly username?: string;
  readonly password?: string;
  /** a bearer token accepted instead of basic auth (`Authorization: Bearer <token>`) */
  readonly bearerToken?: string;
  /** speak only git protocol v0 (no fetch of unadvertised commits by SHA) */
  readonly protocolV0Only?: boolean;
}

export interface GitServer {
  /** `https://127.0.0.1:<port>` */
  readonly baseUrl: string;
  /** PEM of the server's self-signed certificate (trust it as the CA) */
  readonly caPem: string;
  readonly username?: string;
  readonly password?: string;
  /** every request answered so far, oldest first */
  readonly requests: readonly GitServerRequest[];
  /** `https://127.0.0.1:<port>/<name>.git` */
  url(name: string): string;
  /** a new served repository with an empty working clone */
  createRepo(name: string, options?: { defaultBranch?: string }): Promise<FixtureRepo>;
  stop(): Promise<void>;
}

const GIT_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  LANG: 'C',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  GIT_AUTHOR_NAME: 'Fixture Author',
  GIT_AUTHOR_EMAIL: 'author@example.test',
  GIT_COMMITTER_NAME: 'Fixture Committer',
  GIT_COMMITTER_EMAIL: 'committer@example.test',
};

function git(
  cwd: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      ['-c', 'protocol.file.allow=always', ...args],
      { cwd, env: { ...GIT_ENV, HOME: cwd, ...env }, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`git ${args.join(' ')} failed: ${stderr || err.message}`));
        else resolve(stdout);
      },
    );
  });
}

const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * A working clone and the bare repository it publishes to. Dates of commits made here advance one
 * minute per commit from 2024-01-01T00:00:00Z unless given, so commit SHAs are reproducible.
 */
export class FixtureRepo {
  readonly name: string;
  /** the working clone tests write into */
  readonly workDir: string;
  /** the bare repository that is served (or cloned with file://) */
  readonly bareDir: string;
  #commits = 0;

  constructor(name: string, workDir: string, bareDir: string) {
    this.name = name;
    this.workDir = workDir;
    this.bareDir = bareDir;
  }

  /** `file://` URL of the bare repository. */
  get fileUrl(): string {
    return `file://${this.bareDir}`;
  }

  /** Writes files (paths relative to the repository root; directories are created). */
  async write(files: Readonly<Record<string, string | Buffer>>): Promise<void> {
    for (const [path, content] of Object.entries(files)) {
      const p = join(this.workDir, path);
      await mkdir(dirname(p), { recursive: true });
      await writeFile(p, content);
    }
  }

  /** Creates a symlink at `path` pointing at `target` (stored as is, relative or absolute). */
  async symlink(path: string, target: string): Promise<void> {
    const p = join(this.workDir, path);
    await mkdir(dirname(p), { recursive: true });
    await fsSymlink(target, p);
  }

  /** Removes a file or directory from the working clone. */
  async remove(path: string): Promise<void> {
    await rm(join(this.workDir, path), { recursive: true, force: true });
  }

  /** Stages everything, commits, publishes; returns the new commit SHA. */
  async commit(message: string, options: { date?: Date; author?: string } = {}): Promise<string> {
    this.#commits++;
    const date = (options.date ?? new Date(Date.UTC(2024, 0, 1, 0, this.#commits))).toISOString();
    await git(this.workDir, ['add', '--all']);
    const env: Record<string, string> = { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date };
    if (options.author) {
      const m = /^(.*) <(.*)>$/.exec(options.author);
      env.GIT_AUTHOR_NAME = m?.[1] ?? options.author;
      env.GIT_AUTHOR_EMAIL = m?.[2] ?? 'author@example.test';
    }
    await git(this.workDir, ['commit', '--quiet', '--allow-empty', '-m', message], env);
    await this.publish();
    return this.head();
  }

  /** Creates a branch at the current commit (and switches to it unless `switchTo` is false). */
  async branch(name: string, options: { switchTo?: boolean } = {}): Promise<void> {
    await git(this.workDir, ['branch', name]);
    if (options.switchTo !== false) await git(this.workDir, ['checkout', '--quiet', name]);
    await this.publish();
  }

  /** Switches the working clone to a branch. */
  async checkout(name: string): Promise<void> {
    await git(this.workDir, ['checkout', '--quiet', name]);
  }

  /** Tags the current commit; annotated when a message is given. */
  async tag(name: string, options: { message?: string } = {}): Promise<void> {
    const args = options.message ? ['tag', '-a', name, '-m', options.message] : ['tag', name];
    await git(this.workDir, args, {
      GIT_COMMITTER_DATE: new Date(Date.UTC(2024, 0, 1, 0, this.#commits)).toISOString(),
    });
    await this.publish();
  }

  /** The SHA of the working clone's HEAD. */
  async head(): Promise<string> {
    return (await git(this.workDir, ['rev-parse', 'HEAD'])).trim();
  }

  /** Pushes every branch and tag to the served bare repository (forced, with deletions). */
  async publish(): Promise<void> {
    const hasCommit = await git(this.workDir, ['rev-parse', '--verify', '--quiet', 'HEAD']).then(
      () => true,
      () => false,
    );
    if (!hasCommit) return;
    await git(this.workDir, ['push', '--quiet', '--force', '--mirror', this.bareDir]);
  }
}

/** A fixture repository without a server, under `parentDir`. */
export async function createLocalRepo(
  parentDir: string,
  name: string,
  options: { defaultBranch?: string } = {},
): Promise<FixtureRepo> {
  if (!SAFE_NAME.test(name))
    throw new TypeError(`repository name "${name}" must match ${SAFE_NAME.source}`);
  const branch = options.defaultBranch ?? 'main';
  const bareDir = join(parentDir, 'srv', `${name}.git`);
  const workDir = join(parentDir, 'work', name);
  await mkdir(bareDir, { recursive: true });
  await mkdir(workDir, { recursive: true });
  await git(bareDir, ['init', '--quiet', '--bare', `--initial-branch=${branch}`]);
  await git(workDir, ['init', '--quiet', `--initial-branch=${branch}`]);
  return new FixtureRepo(name, workDir, bareDir);
}

/** Starts the HTTPS git server (see the module comment). */
export async function startGitServer(options: GitServerOptions = {}): Promise<GitServer> {
  const root = await mkdtemp(join(tmpdir(), 'argocd-ts-git-server-'));
  const srvRoot = join(root, 'srv');
  await mkdir(srvRoot, { recursive: true });
  const pair = await createSelfSignedCertificate({
    commonName: 'git-server.test',
    organization: 'argocd-ts tests',
    hosts: ['127.0.0.1', 'localhost'],
  });
  const requests: GitServerRequest[] = [];
  const server = await startGitHttpServer({
    root: srvRoot,
    certificate: pair,
    ...(options.username !== undefined ? { username: options.username } : {}),
    ...(options.password !== undefined ? { password: options.password } : {}),
    ...(options.bearerToken !== undefined ? { bearerToken: options.bearerToken } : {}),
    ...(options.protocolV0Only !== undefined ? { protocolV0Only: options.protocolV0Only } : {}),
    onRequest: (r) => requests.push(r),
  });
  const baseUrl = server.baseUrl;

  return {
    baseUrl,
    caPem: pair.certPem,
    ...(options.username === undefined ? {} : { username: options.username }),
    ...(options.password === undefined ? {} : { password: options.password }),
    requests,
    url: (name) => `${baseUrl}/${name}.git`,
    createRepo: (name, repoOptions) => createLocalRepo(root, name, repoOptions),
    stop: async () => {
      await server.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}
