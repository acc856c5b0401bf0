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
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink as fsSymlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createSelfSignedCertificate } from '../../src/tls/index.js';

export interface GitServerOptions {
  /** basic-auth credentials every request must carry; no auth when absent */
  readonly username?: string;
  readonly password?: string;
  /** a bearer token accepted instead of basic auth (`Authorization: Bearer <token>`) */
  readonly bearerToken?: string;
  /** speak only git protocol v0 (no fetch of unadvertised commits by SHA) */
  readonly protocolV0Only?: boolean;
}

/** One HTTP request the server answered. */
export interface GitServerRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  /** the basic-auth user name sent, when any */
  readonly user?: string;
  readonly status: number;
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

function parseBasicAuth(
  header: string | undefined,
): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m?.[1]) return undefined;
  const text = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = text.indexOf(':');
  if (colon < 0) return undefined;
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
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
  const children = new Set<ChildProcess>();
  const auth =
    (options.username !== undefined && options.password !== undefined) ||
    options.bearerToken !== undefined;

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const u = new URL(req.url ?? '/', 'https://127.0.0.1');
    const method = req.method ?? 'GET';
    const query = u.search.replace(/^\?/, '');
    const creds = parseBasicAuth(req.headers.authorization);
    const record = (status: number): void => {
      requests.push({
        method,
        path: u.pathname,
        query,
        status,
        ...(creds ? { user: creds.user } : {}),
      });
    };
    if (auth) {
      const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
      const ok =
        (options.bearerToken !== undefined &&
          bearer !== undefined &&
          sameText(bearer, options.bearerToken)) ||
        (creds !== undefined &&
          options.username !== undefined &&
          sameText(creds.user, options.username) &&
          sameText(creds.password, options.password ?? ''));
      if (!ok) {
        record(401);
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="argocd-ts test git"' });
        res.end('authentication required\n');
        req.resume();
        return;
      }
    }
    if (
      !/^\/[A-Za-z0-9][A-Za-z0-9._-]*\.git(\/[A-Za-z0-9._/-]*)?$/.test(u.pathname) ||
      u.pathname.includes('..')
    ) {
      record(404);
      res.writeHead(404).end('not found\n');
      req.resume();
      return;
    }
    const env: Record<string, string> = {
      PATH: GIT_ENV.PATH ?? '/usr/bin:/bin',
      HOME: root,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_PROJECT_ROOT: srvRoot,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: u.pathname,
      QUERY_STRING: query,
      REQUEST_METHOD: method,
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_ADDR: '127.0.0.1',
    };
    if (creds) env.REMOTE_USER = creds.user;
    const encoding = req.headers['content-encoding'];
    if (typeof encoding === 'string') env.HTTP_CONTENT_ENCODING = encoding;
    const proto = req.headers['git-protocol'];
    if (typeof proto === 'string' && !options.protocolV0Only) env.GIT_PROTOCOL = proto;
    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    child.on('close', () => children.delete(child));
    child.stderr.resume();
    req.pipe(child.stdin);
    child.stdin.on('error', () => {
      // http-backend may answer (and exit) before reading the whole request body
    });
    let head = Buffer.alloc(0);
    let headerDone = false;
    child.stdout.on('data', (chunk: Buffer) => {
      if (headerDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      let end = head.indexOf('\r\n\r\n');
      let sepLen = 4;
      if (end < 0) {
        end = head.indexOf('\n\n');
        sepLen = 2;
      }
      if (end < 0) return;
      headerDone = true;
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
        else headers[name] = value;
      }
      record(status);
      res.writeHead(status, headers);
      res.write(head.subarray(end + sepLen));
    });
    child.on('close', (code) => {
      if (!headerDone) {
        record(500);
        res.writeHead(500).end(`git http-backend exited with ${code ?? 'a signal'}\n`);
      } else {
        res.end();
      }
    });
  };

  const server: Server = createServer({ key: pair.keyPem, cert: pair.certPem }, handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const baseUrl = `https://127.0.0.1:${port}`;

  return {
    baseUrl,
    caPem: pair.certPem,
    ...(options.username === undefined ? {} : { username: options.username }),
    ...(options.password === undefined ? {} : { password: options.password }),
    requests,
    url: (name) => `${baseUrl}/${name}.git`,
    createRepo: (name, repoOptions) => createLocalRepo(root, name, repoOptions),
    stop: async () => {
      for (const child of children) {
        if (child.pid !== undefined) {
          try {
            process.kill(child.pid, 'SIGKILL');
          } catch {
            // already exited
          }
        }
      }
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
      await rm(root, { recursive: true, force: true });
    },
  };
}
