/**
 * A small git server on loopback: Debian's `git http-backend` (CGI) behind a Node HTTPS server, with
 * basic auth (or a bearer token). `npm start` serves its demo repository with it, and the tests'
 * `test/support/git-server.ts` builds its fixture server on it. Every http-backend process is
 * tracked and stopped by PID when the server stops; nothing listens beyond the given host
 * (127.0.0.1 by default).
 *
 * @example
 * const srv = await startGitHttpServer({ root, certificate, username: 'u', password: 'p' });
 * // git clone https://u:p@127.0.0.1:<srv.port>/demo.git (trusting certificate.certPem)
 * await srv.stop();
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

/** One HTTP request the server answered. */
export interface GitServerRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  /** the basic-auth user name sent, when any */
  readonly user?: string;
  readonly status: number;
}

export interface GitHttpServerOptions {
  /** directory holding the served bare repositories (`<name>.git`) */
  readonly root: string;
  /** the HTTPS serving pair */
  readonly certificate: { readonly certPem: string; readonly keyPem: string };
  /** basic-auth credentials every request must carry; no auth when absent */
  readonly username?: string;
  readonly password?: string;
  /** a bearer token accepted instead of basic auth (`Authorization: Bearer <token>`) */
  readonly bearerToken?: string;
  /** speak only git protocol v0 (no fetch of unadvertised commits by SHA) */
  readonly protocolV0Only?: boolean;
  /** default 127.0.0.1 */
  readonly host?: string;
  /** default 0 (a free port) */
  readonly port?: number;
  /** called once per answered request */
  readonly onRequest?: (request: GitServerRequest) => void;
}

export interface GitHttpServer {
  readonly port: number;
  /** `https://127.0.0.1:<port>` */
  readonly baseUrl: string;
  /** `https://127.0.0.1:<port>/<name>.git` */
  url(name: string): string;
  /** stops every http-backend process by PID, closes every connection and the listener */
  stop(): Promise<void>;
}

/** The environment every git command here runs with: no system or global config, no prompts. */
export const GIT_ENV: Readonly<Record<string, string>> = {
  PATH: '/usr/local/bin:/usr/bin:/bin',
  LANG: 'C',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  GIT_AUTHOR_NAME: 'argocd-ts',
  GIT_AUTHOR_EMAIL: 'argocd-ts@example.com',
  GIT_COMMITTER_NAME: 'argocd-ts',
  GIT_COMMITTER_EMAIL: 'argocd-ts@example.com',
};

/** Runs `git <args>` in `cwd` (no shell) and returns its standard output. */
export function runGit(
  cwd: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
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

/** A repository path git http-backend may serve: `/<name>.git[/...]`, no `..`. */
const SERVED_PATH = /^\/[A-Za-z0-9][A-Za-z0-9._-]*\.git(\/[A-Za-z0-9._/-]*)?$/;

/** Starts the server (see the module comment). */
export async function startGitHttpServer(options: GitHttpServerOptions): Promise<GitHttpServer> {
  const host = options.host ?? '127.0.0.1';
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
      options.onRequest?.({
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
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="argocd-ts git"' });
        res.end('authentication required\n');
        req.resume();
        return;
      }
    }
    if (!SERVED_PATH.test(u.pathname) || u.pathname.includes('..')) {
      record(404);
      res.writeHead(404).end('not found\n');
      req.resume();
      return;
    }
    const env: Record<string, string> = {
      PATH: GIT_ENV.PATH ?? '/usr/bin:/bin',
      HOME: options.root,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_PROJECT_ROOT: options.root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: u.pathname,
      QUERY_STRING: query,
      REQUEST_METHOD: method,
      CONTENT_TYPE: req.headers['content-type'] ?? '',
      REMOTE_ADDR: req.socket.remoteAddress ?? '127.0.0.1',
    };
    if (creds) env.REMOTE_USER = creds.user;
    const encoding = req.headers['content-encoding'];
    if (typeof encoding === 'string') env.HTTP_CONTENT_ENCODING = encoding;
    const proto = req.headers['git-protocol'];
    if (typeof proto === 'string' && options.protocolV0Only !== true) env.GIT_PROTOCOL = proto;
    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    child.on('close', () => children.delete(child));
    child.on('error', () => {
      // spawn failures surface as a 500 through 'close' below
    });
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

  const server: Server = createServer(
    { key: options.certificate.keyPem, cert: options.certificate.certPem, minVersion: 'TLSv1.2' },
    handle,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const baseUrl = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    port,
    baseUrl,
    url: (name) => `${baseUrl}/${name}.git`,
    stop: async () => {
      for (const child of children) {
        if (child.pid !== undefined && child.exitCode === null) {
          try {
            process.kill(child.pid, 'SIGKILL');
          } catch {
            // exited between the check and the kill
          }
        }
      }
      server.closeAllConnections();
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}
