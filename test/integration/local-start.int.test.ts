/**
 * `npm start` (src/cmd/local.ts) as a real child process, the way npm runs it, against the shared
 * test cluster (`--use-kubeconfig`, a unique Argo CD namespace and demo namespace, free ports, a
 * temporary data directory): it becomes ready with the demo app Synced and Healthy and writes
 * local.env; the repo server refuses a client without a certificate (and answers one with the
 * controller's); every listening socket of every process it started is on 127.0.0.1; SIGINT stops
 * every process it started. One start for the whole file.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { connect as http2Connect } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { testCluster } from '../../src/kubeenv/index.js';
import { isNotFound } from '../../src/kube/index.js';
import { kube, repoRoot } from '../support/kube.js';

const APPS = { group: 'argoproj.io', version: 'v1alpha1', resource: 'applications' } as const;
const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' } as const;

interface LocalJson {
  readonly ready?: boolean;
  readonly components?: Readonly<Record<string, number>>;
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `local.env` as a map (it is `export KEY='value'` lines). */
function parseEnvFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^export ([A-Z_]+)='([^']*)'$/gm)) out.set(m[1] ?? '', m[2] ?? '');
  return out;
}

/** The local addresses (host:port, IPv4 or IPv6 hex as in /proc) a process listens on. */
function listeningAddresses(pid: number): string[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${String(pid)}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${String(pid)}/fd/${fd}`));
      if (m?.[1]) inodes.add(m[1]);
    } catch {
      // closed meanwhile
    }
  }
  const out: string[] = [];
  for (const table of ['tcp', 'tcp6']) {
    const lines = readFileSync(`/proc/${String(pid)}/net/${table}`, 'utf8')
      .split('\n')
      .slice(1);
    for (const line of lines) {
      const f = line.trim().split(/\s+/);
      // local_address, state (0A = LISTEN), inode
      if (f[3] === '0A' && inodes.has(f[9] ?? '')) out.push(`${table}:${f[1] ?? ''}`);
    }
  }
  return out;
}

/** 127.0.0.1 in /proc/net/tcp (little-endian hex), or ::ffff:127.0.0.1 / ::1 in tcp6. */
function isLoopback(addr: string): boolean {
  const host = addr.split(':')[1] ?? '';
  return (
    host === '0100007F' ||
    host === '0000000000000000FFFF00000100007F' ||
    host === '00000000000000000000000001000000'
  );
}

/** An HTTP/2 request to the repo server; resolves with the status or rejects with the error. */
function repoServerStatus(
  port: number,
  tls: { ca: string; cert?: string; key?: string },
): Promise<number> {
  return new Promise((resolve, reject) => {
    const session = http2Connect(`https://127.0.0.1:${String(port)}`, {
      ...tls,
      servername: 'argocd-repo-server',
    });
    session.on('error', (err: Error) => {
      session.destroy();
      reject(err);
    });
    const req = session.request({ ':method': 'POST', ':path': '/', 'content-type': 'text/plain' });
    req.on('response', (h) => {
      session.close();
      resolve(Number(h[':status']));
    });
    req.on('error', (err: Error) => {
      session.destroy();
      reject(err);
    });
    req.end();
  });
}

describe('npm start (src/cmd/local.ts) against the test cluster', () => {
  const suffix = randomBytes(3).toString('hex');
  const namespace = `argocd-ts-test-local-${suffix}`;
  const demoNamespace = `argocd-ts-test-local-demo-${suffix}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'argocd-ts-local-start-'));
  let child: ChildProcess | undefined;
  let exit: Promise<number | null> | undefined;
  let stderr = '';
  let kubeconfigPath = '';
  let pids: number[] = [];

  before(async () => {
    kubeconfigPath = (await testCluster()).kubeconfigPath;
    const env: NodeJS.ProcessEnv = { ...process.env, KUBECONFIG: kubeconfigPath };
    delete env.ARGOCD_TS_DATA_DIR;
    const c = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cmd/local.ts',
        '--use-kubeconfig',
        '--data-dir',
        dataDir,
        '--namespace',
        namespace,
        '--demo-namespace',
        demoNamespace,
        '--free-ports',
      ],
      { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = c;
    c.stdout.resume();
    c.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-6000);
    });
    exit = new Promise((resolve) => {
      c.on('exit', (code) => {
        resolve(code);
      });
    });
    const state = join(dataDir, 'local.json');
    for (;;) {
      if (c.exitCode !== null || c.signalCode !== null)
        assert.fail(`npm start exited before it was ready:\n${stderr}`);
      if (existsSync(join(dataDir, 'local.env'))) {
        const s = JSON.parse(readFileSync(state, 'utf8')) as LocalJson;
        if (s.ready === true) {
          pids = [c.pid ?? 0, ...Object.values(s.components ?? {})];
          break;
        }
      }
      await sleep(100);
    }
  });

  after(async () => {
    if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exit;
    }
    for (const pid of pids) if (pid > 0 && alive(pid)) process.kill(pid, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
    const k = await kube();
    for (const name of [demoNamespace, namespace])
      try {
        await k.delete({ ...NAMESPACES, name });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
  });

  it('is ready with the demo app Synced and Healthy and writes local.env', async () => {
    const k = await kube();
    const app = await k.get<{
      status?: { sync?: { status?: string }; health?: { status?: string } };
    }>({ ...APPS, namespace, name: 'demo' });
    const { sync, health } = app.status ?? {};
    assert.deepEqual([sync?.status, health?.status], ['Synced', 'Healthy']);

    const envText = readFileSync(join(dataDir, 'local.env'), 'utf8');
    const env = parseEnvFile(envText);
    assert.match(env.get('ARGOCD_SERVER') ?? '', /^127\.0\.0\.1:\d+$/);
    assert.equal(env.get('ARGOCD_SERVER_URL'), `https://${env.get('ARGOCD_SERVER') ?? ''}`);
    assert.equal(env.get('KUBECONFIG'), kubeconfigPath);
    assert.equal(env.get('ARGOCD_NAMESPACE'), namespace);
    const logDir = env.get('ARGOCD_TS_LOG_DIR') ?? '';
    assert.deepEqual(readdirSync(logDir).sort(), [
      'argocd-application-controller.log',
      'argocd-dex-server.log',
      'argocd-repo-server.log',
      'argocd-server.log',
    ]);
    assert.ok(existsSync(env.get('ARGOCD_SERVER_CA') ?? ''), 'the server CA file exists');
  });

  it('serves the repo server with verified mutual TLS only', async () => {
    const argv = readFileSync(`/proc/${String(pids[1] ?? 0)}/cmdline`, 'utf8').split('\0');
    assert.ok(argv.includes('argocd-repo-server'), 'the first component is the repo server');
    const port = Number(argv[argv.indexOf('--port') + 1]);
    const tlsDir = join(dataDir, 'tls');
    const ca = readFileSync(join(tlsDir, 'argocd-repo-server-tls', 'ca.crt'), 'utf8');
    const client = join(tlsDir, 'argocd-application-controller-internal-tls');
    await assert.rejects(repoServerStatus(port, { ca }), 'no client certificate is refused');
    const status = await repoServerStatus(port, {
      ca,
      cert: readFileSync(join(client, 'tls.crt'), 'utf8'),
      key: readFileSync(join(client, 'tls.key'), 'utf8'),
    });
    assert.ok(status >= 200 && status < 600, 'the controller’s certificate is accepted');
  });

  it('listens on 127.0.0.1 only, in every process it started', () => {
    let sockets = 0;
    for (const pid of pids) {
      const addrs = listeningAddresses(pid);
      sockets += addrs.length;
      for (const a of addrs) assert.ok(isLoopback(a), `PID ${String(pid)} listens on ${a}`);
    }
    // server (2), repo server (2), controller (1), dex (1), demo git server (1)
    assert.ok(sockets >= 7, `expected at least 7 listening sockets, saw ${String(sockets)}`);
  });

  it('stops every process it started on SIGINT, exiting 0', async () => {
    child?.kill('SIGINT');
    assert.equal(await exit, 0, stderr);
    for (const pid of pids) assert.equal(alive(pid), false, `PID ${String(pid)} still runs`);
    assert.equal(existsSync(join(dataDir, 'local.env')), false, 'local.env is removed');
  });
});
