/**
 * A real argocd-repo-server for tests: started in-process on 127.0.0.1 with a free port and TLS
 * from a CA generated for the test (so clients verify it strictly), its log lines captured as JSON
 * objects (security events can be asserted), and its metrics in a registry the test can read.
 *
 * @example
 * const git = await startGitServer({ username: 'alice', password: 's3cret' });
 * const rs = await startTestRepoServer();
 * after(async () => { await rs.close(); await git.stop(); });
 * const client = rs.client();
 * const res = await client.generateManifest({ repo: gitRepo(git, 'apps'), applicationSource: { path: 'guestbook' } });
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import {
  createRepoServerClient,
  type RepoServerClient,
  type RepoServerClientOptions,
  type RepositoryInit,
} from '../../src/reposerver/client.js';
import {
  startRepoServer,
  type RepoServerHandle,
  type RepoServerOptions,
  type RepoServerTls,
} from '../../src/reposerver/index.js';
import { createCertificateAuthority, issueCertificate, type PemPair } from '../../src/tls/index.js';
import type { GitServer } from './git-server.js';

/** One captured log line. */
export type LogRecord = Record<string, unknown> & { msg?: string; security?: number; CWE?: number };

export interface TestRepoServer {
  readonly handle: RepoServerHandle;
  /** the CA that issued the server certificate (trust it in clients) */
  readonly ca: PemPair;
  readonly registry: Registry;
  /** every log line so far */
  readonly logs: readonly LogRecord[];
  /** log lines that carry a `security` field */
  securityEvents(): LogRecord[];
  /** a client over TLS trusting `ca` (gRPC unless another protocol is asked for) */
  client(options?: Partial<RepoServerClientOptions>): RepoServerClient;
  /** the current value of a counter (summed over all label sets matching `labels`) */
  metric(name: string, labels?: Readonly<Record<string, string>>): Promise<number>;
  close(): Promise<void>;
}

export interface TestRepoServerOptions extends Partial<Omit<RepoServerOptions, 'tls'>> {
  /** 'plaintext' for --disable-tls; a client CA for mutual TLS */
  readonly tls?: 'plaintext' | { readonly clientCaPem?: string };
}

/** Defaults of a test repo server (tight limits are set per test). */
export const TEST_REPO_SERVER_DEFAULTS: Omit<RepoServerOptions, 'tls'> = {
  address: '127.0.0.1',
  port: 0,
  parallelismLimit: 0,
  maxCombinedDirectoryManifestsBytes: 10_000_000,
  allowOutOfBoundsSymlinks: false,
  allowFileRepos: false,
  revisionCacheTtlMs: 180_000,
  repoCacheTtlMs: 3_600_000,
  manifestCacheMaxBytes: 64 * 1024 * 1024,
  execTimeoutMs: 90_000,
  gitRequestTimeoutMs: 15_000,
  maxToolOutputBytes: 100_000_000,
  maxCheckouts: 16,
};

/** Starts a repo server for a test (see the module comment). */
export async function startTestRepoServer(
  options: TestRepoServerOptions = {},
): Promise<TestRepoServer> {
  const logs: LogRecord[] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write: (line: string) => {
        logs.push(JSON.parse(line) as LogRecord);
      },
    },
  );
  const ca = await createCertificateAuthority({ commonName: 'argocd-ts test CA' });
  let tls: RepoServerTls | undefined;
  if (options.tls !== 'plaintext') {
    const leaf = await issueCertificate(ca, {
      commonName: 'argocd-repo-server',
      hosts: ['127.0.0.1', 'localhost', 'argocd-repo-server'],
      serverAuth: true,
    });
    tls = {
      certPem: leaf.certPem,
      keyPem: leaf.keyPem,
      ...(options.tls?.clientCaPem ? { clientCaPem: options.tls.clientCaPem } : {}),
    };
  }
  const { tls: _ignored, ...rest } = options;
  const registry = new Registry();
  const handle = await startRepoServer(
    { ...TEST_REPO_SERVER_DEFAULTS, ...rest, tls },
    { logger, registry },
  );
  const clients: RepoServerClient[] = [];
  return {
    handle,
    ca,
    registry,
    logs,
    securityEvents: () => logs.filter((l) => l.security !== undefined),
    client: (o = {}) => {
      const c = createRepoServerClient({
        address: handle.url,
        tls: tls ? { kind: 'tls', caPem: ca.certPem } : { kind: 'plaintext' },
        ...o,
      });
      clients.push(c);
      return c;
    },
    metric: async (name, labels = {}) => {
      const m = registry.getSingleMetric(name);
      if (!m) return 0;
      const data = await m.get();
      return data.values
        .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
        .reduce((sum, v) => sum + v.value, 0);
    },
    close: async () => {
      for (const c of clients) c.close();
      await handle.close();
    },
  };
}

/** The `repo` field of a request for a repository of the test git server (with its credentials). */
export function gitRepo(
  git: GitServer,
  name: string,
  overrides: {
    readonly repo?: string;
    readonly username?: string;
    readonly password?: string;
    readonly tlsCaData?: string;
    readonly insecure?: boolean;
    readonly bearerToken?: string;
    readonly forceHttpBasicAuth?: boolean;
  } = {},
): RepositoryInit {
  return {
    repo: git.url(name),
    username: git.username ?? '',
    password: git.password ?? '',
    tlsCaData: git.caPem,
    ...overrides,
  };
}

/** A real `argocd-repo-server` process started from `bin/`. */
export interface RepoServerProcess {
  readonly pid: number;
  readonly port: number;
  readonly metricsPort: number;
  /** `https://127.0.0.1:<port>` (or http:// with --disable-tls) */
  readonly url: string;
  /** PEM of the CA that issued its serving certificate (undefined with --disable-tls) */
  readonly caPem: string | undefined;
  /** every stdout line so far (JSON log records) */
  readonly logs: readonly LogRecord[];
  /** sends SIGTERM and waits for the exit status (SIGKILL after `graceMs`) */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * Starts the real binary on 127.0.0.1 with free ports and a certificate issued by a fresh test CA
 * (mounted like the `argocd-repo-server-tls` secret); extra flags and environment variables are
 * passed through (keep `--loglevel` at info or debug: the "listening" lines are info). Resolves once it
 * logs that both listeners are up.
 */
export async function startRepoServerProcess(
  options: {
    readonly args?: readonly string[];
    readonly env?: Readonly<Record<string, string>>;
    readonly disableTls?: boolean;
  } = {},
): Promise<RepoServerProcess> {
  const bin = fileURLToPath(new URL('../../bin/argocd-repo-server.js', import.meta.url));
  const dir = await mkdtemp(join(tmpdir(), 'argocd-ts-rs-proc-'));
  let caPem: string | undefined;
  const args = [
    '--address',
    '127.0.0.1',
    '--port',
    '0',
    '--metrics-address',
    '127.0.0.1',
    '--metrics-port',
    '0',
  ];
  if (options.disableTls) {
    args.push('--disable-tls');
  } else {
    const ca = await createCertificateAuthority({ commonName: 'argocd-ts test CA' });
    const leaf = await issueCertificate(ca, {
      commonName: 'argocd-repo-server',
      hosts: ['127.0.0.1', 'localhost'],
      serverAuth: true,
    });
    await writeFile(join(dir, 'tls.crt'), leaf.certPem);
    await writeFile(join(dir, 'tls.key'), leaf.keyPem, { mode: 0o600 });
    await writeFile(join(dir, 'ca.crt'), ca.certPem);
    caPem = ca.certPem;
    args.push('--tls-cert-dir', dir, '--client-ca-path', join(dir, 'no-client-ca'));
  }
  args.push(...(options.args ?? []));
  const child = spawn(process.execPath, [bin, ...args], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogRecord[] = [];
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      resolve(code);
    });
  });
  const cleanup = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    const ports = await new Promise<{ port: number; metricsPort: number }>((resolve, reject) => {
      let port = 0;
      let metricsPort = 0;
      let partial = '';
      const timer = setTimeout(() => {
        reject(new Error(`argocd-repo-server did not start within 30s: ${stderr}`));
      }, 30_000);
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.stdout.on('data', (c: Buffer) => {
        partial += c.toString();
        const lines = partial.split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.startsWith('{')) continue;
          const rec = JSON.parse(line) as LogRecord & { port?: number };
          logs.push(rec);
          if (rec.msg === 'repo server listening') port = rec.port ?? 0;
          if (rec.msg === 'metrics listening') metricsPort = rec.port ?? 0;
        }
        if (port && metricsPort) {
          clearTimeout(timer);
          resolve({ port, metricsPort });
        }
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`argocd-repo-server exited with ${code}: ${stderr}`));
      });
    });
    const pid = child.pid ?? 0;
    return {
      pid,
      port: ports.port,
      metricsPort: ports.metricsPort,
      url: `${options.disableTls ? 'http' : 'https'}://127.0.0.1:${ports.port}`,
      caPem,
      logs,
      stop: async (graceMs = 10_000) => {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          const code = await exited;
          clearTimeout(timer);
          await cleanup();
          return code;
        }
        await cleanup();
        return child.exitCode;
      },
    };
  } catch (err) {
    child.kill('SIGKILL');
    await cleanup();
    throw err;
  }
}
