/**
 * A real, isolated Kubernetes control plane on loopback: etcd, kube-apiserver and
 * kube-controller-manager built from Debian's source, each started and stopped by PID. Used by
 * integration tests, benchmarks, `npm run kube:up` and `npm start`.
 *
 * Everything listens on 127.0.0.1 only. A fresh CA, serving certificate, admin client certificate
 * (O=system:masters) and service-account key are made per environment; RBAC authorization is on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  closeSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stringify as toYaml } from 'yaml';
import { errorMessage } from '../lib/index.js';
import {
  createCertificateAuthority,
  generateKeyPairPem,
  issueCertificate,
  type PemPair,
} from '../tls/index.js';
import { ensureKubeBinaries, type KubeBinaries } from './binaries.js';
import { KubeEnvError } from './errors.js';

export interface KubeEnvOptions {
  /** data directory; a fresh temporary one (on /dev/shm when available) by default */
  readonly dir?: string;
  /** keep the directory when stopping (default: true when `dir` was given) */
  readonly keep?: boolean;
  /** let the processes outlive this one (`npm run kube:up`) */
  readonly detached?: boolean;
  /** start kube-controller-manager too (default true) */
  readonly controllerManager?: boolean;
  /**
   * wait until kube-controller-manager's controllers run (the `default` ServiceAccount of
   * `default` exists; 3–5 s on a cold start). Default true. `npm start` says false: nothing it starts
   * runs as a Pod or reads a ServiceAccount, and the controllers (namespace deletion, garbage
   * collection, Deployments) catch up by themselves once they run.
   */
  readonly waitForControllerManager?: boolean;
  /** progress lines */
  readonly log?: (line: string) => void;
  readonly startTimeoutMs?: number;
}

export interface KubeEnvState {
  readonly dir: string;
  readonly kubeconfigPath: string;
  readonly server: string;
  readonly ports: { etcdClient: number; etcdPeer: number; apiserver: number };
  readonly pids: { etcd: number; apiserver: number; controllerManager?: number };
}

export interface KubeEnv extends KubeEnvState {
  /** CA, admin client certificate and key, for clients in this process */
  readonly caPem: string;
  readonly adminCertPem: string;
  readonly adminKeyPem: string;
  /** stops every process by PID (controller manager, API server, etcd) and cleans up */
  stop(): Promise<void>;
}

const STATE_FILE = 'state.json';

/** A free TCP port on 127.0.0.1 (the port is released before it is returned). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => {
        resolve(port);
      });
    });
  });
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', () => {
      resolve(false);
    });
    srv.listen(port, '127.0.0.1', () =>
      srv.close(() => {
        resolve(true);
      }),
    );
  });
}

interface Pki {
  ca: PemPair;
  serving: PemPair;
  admin: PemPair;
  controllerManager: PemPair;
  saKeyPem: string;
  saPubPem: string;
}

async function makePki(): Promise<Pki> {
  const ca = await createCertificateAuthority({
    commonName: 'argocd-ts kube test CA',
    organization: 'argocd-ts',
  });
  const [serving, admin, controllerManager, sa] = await Promise.all([
    issueCertificate(ca, {
      commonName: 'kube-apiserver',
      hosts: [
        '127.0.0.1',
        'localhost',
        'kubernetes',
        'kubernetes.default',
        'kubernetes.default.svc',
        'kubernetes.default.svc.cluster.local',
        '10.0.0.1',
      ],
      serverAuth: true,
    }),
    issueCertificate(ca, {
      commonName: 'admin',
      organization: 'system:masters',
      serverAuth: false,
      clientAuth: true,
    }),
    issueCertificate(ca, {
      commonName: 'system:kube-controller-manager',
      serverAuth: false,
      clientAuth: true,
    }),
    generateKeyPairPem('ecdsa-p256'),
  ]);
  return {
    ca,
    serving,
    admin,
    controllerManager,
    saKeyPem: sa.privateKeyPem,
    saPubPem: sa.publicKeyPem,
  };
}

function writePki(dir: string, pki: Pki): void {
  const p = join(dir, 'pki');
  mkdirSync(p, { recursive: true, mode: 0o700 });
  const w = (name: string, text: string): void => {
    writeFileSync(join(p, name), text, { mode: 0o600 });
  };
  w('ca.crt', pki.ca.certPem);
  w('ca.key', pki.ca.keyPem);
  w('apiserver.crt', pki.serving.certPem);
  w('apiserver.key', pki.serving.keyPem);
  w('admin.crt', pki.admin.certPem);
  w('admin.key', pki.admin.keyPem);
  w('kcm.crt', pki.controllerManager.certPem);
  w('kcm.key', pki.controllerManager.keyPem);
  w('sa.key', pki.saKeyPem);
  w('sa.pub', pki.saPubPem);
}

function readPki(dir: string): Pki | undefined {
  const p = join(dir, 'pki');
  if (!existsSync(join(p, 'sa.pub'))) return undefined;
  const r = (name: string): string => readFileSync(join(p, name), 'utf8');
  return {
    ca: { certPem: r('ca.crt'), keyPem: r('ca.key') },
    serving: { certPem: r('apiserver.crt'), keyPem: r('apiserver.key') },
    admin: { certPem: r('admin.crt'), keyPem: r('admin.key') },
    controllerManager: { certPem: r('kcm.crt'), keyPem: r('kcm.key') },
    saKeyPem: r('sa.key'),
    saPubPem: r('sa.pub'),
  };
}

function kubeconfig(server: string, caPem: string, user: string, cert: PemPair): string {
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'argocd-ts-local', cluster: { server, 'certificate-authority-data': b64(caPem) } },
    ],
    users: [
      {
        name: user,
        user: { 'client-certificate-data': b64(cert.certPem), 'client-key-data': b64(cert.keyPem) },
      },
    ],
    contexts: [{ name: 'argocd-ts-local', context: { cluster: 'argocd-ts-local', user } }],
    'current-context': 'argocd-ts-local',
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends SIGTERM, waits up to `graceMs`, then SIGKILL. */
export async function stopPid(pid: number | undefined, graceMs = 10_000): Promise<void> {
  if (pid === undefined || pid <= 0 || !isAlive(pid)) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return; // already gone
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return;
    await sleep(50);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // exited between the check and the kill
  }
  while (isAlive(pid)) await sleep(20);
}

function launch(bin: string, args: string[], logFile: string, detached: boolean): ChildProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(bin, args, {
      stdio: ['ignore', fd, fd],
      detached,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root' },
    });
    // never keep the event loop alive for a child: owners stop it by PID (stop(), exit hook)
    child.unref();
    return child;
  } finally {
    closeSync(fd);
  }
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

function probe(server: string, pki: Pki, path: string): Promise<number> {
  return new Promise((resolve) => {
    const url = new URL(path, server);
    const req = httpsRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'GET',
        ca: pki.ca.certPem,
        cert: pki.admin.certPem,
        key: pki.admin.keyPem,
        timeout: 2000,
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', () => {
      resolve(0);
    });
    req.on('timeout', () => {
      req.destroy();
      resolve(0);
    });
    req.end();
  });
}

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  alive: () => string | undefined,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const dead = alive();
    if (dead) throw new KubeEnvError('ERR_KUBEENV_START', dead);
    if (await check()) return;
    await sleep(100);
  }
  throw new KubeEnvError(
    'ERR_KUBEENV_START',
    `timed out after ${Math.round(timeoutMs / 1000)}s waiting for ${what}`,
  );
}

/**
 * Starts etcd, kube-apiserver and (by default) kube-controller-manager, waits until the API server
 * is ready and the controllers run, and returns the environment. Reuses `dir` (certificates, etcd
 * data, ports) when it holds a previous environment.
 * @example
 * const env = await startKubeEnv();
 * process.env.KUBECONFIG = env.kubeconfigPath;
 * // ... tests ...
 * await env.stop();
 */
export async function startKubeEnv(options: KubeEnvOptions = {}): Promise<KubeEnv> {
  const log = options.log ?? ((): void => undefined);
  const bins: KubeBinaries = await ensureKubeBinaries();
  const dir =
    options.dir ??
    mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'argocd-ts-kube-'));
  const keep = options.keep ?? options.dir !== undefined;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const timeoutMs = options.startTimeoutMs ?? 120_000;

  let pki = readPki(dir);
  if (!pki) {
    log('creating a CA and certificates for the local control plane');
    pki = await makePki();
    writePki(dir, pki);
  }
  const prev = readState(dir);
  const ports = { etcdClient: 0, etcdPeer: 0, apiserver: 0 };
  for (const k of ['etcdClient', 'etcdPeer', 'apiserver'] as const) {
    const old = prev?.ports[k];
    ports[k] = old !== undefined && (await portFree(old)) ? old : await freePort();
  }
  const server = `https://127.0.0.1:${ports.apiserver}`;
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, kubeconfig(server, pki.ca.certPem, 'admin', pki.admin), {
    mode: 0o600,
  });
  writeFileSync(
    join(dir, 'kcm.kubeconfig'),
    kubeconfig(server, pki.ca.certPem, 'system:kube-controller-manager', pki.controllerManager),
    { mode: 0o600 },
  );
  const logs = join(dir, 'logs');
  mkdirSync(logs, { recursive: true });
  const pkiDir = join(dir, 'pki');
  const detached = options.detached ?? false;
  const started: ChildProcess[] = [];
  const exited = new Map<ChildProcess, string>();
  const track = (name: string, child: ChildProcess, logFile: string): ChildProcess => {
    started.push(child);
    child.on('exit', (code, signal) => {
      exited.set(
        child,
        `${name} exited (${signal ?? `code ${code}`}) during start-up; last log lines:\n${tail(logFile)}`,
      );
    });
    return child;
  };
  const deadProcess = (): string | undefined => [...exited.values()][0];
  const abort = async (): Promise<void> => {
    for (const c of [...started].reverse()) await stopPid(c.pid, 3000);
  };

  try {
    log(`starting etcd on 127.0.0.1:${ports.etcdClient}`);
    const etcdLog = join(logs, 'etcd.log');
    const etcd = track(
      'etcd',
      launch(
        bins.etcd,
        [
          '--name',
          'default',
          '--data-dir',
          join(dir, 'etcd'),
          '--listen-client-urls',
          `http://127.0.0.1:${ports.etcdClient}`,
          '--advertise-client-urls',
          `http://127.0.0.1:${ports.etcdClient}`,
          '--listen-peer-urls',
          `http://127.0.0.1:${ports.etcdPeer}`,
          '--initial-advertise-peer-urls',
          `http://127.0.0.1:${ports.etcdPeer}`,
          '--initial-cluster',
          `default=http://127.0.0.1:${ports.etcdPeer}`,
          '--logger',
          'zap',
          '--log-level',
          'warn',
        ],
        etcdLog,
        detached,
      ),
      etcdLog,
    );

    log(`starting kube-apiserver on ${server}`);
    const apiLog = join(logs, 'kube-apiserver.log');
    const apiserver = track(
      'kube-apiserver',
      launch(
        bins.kubeApiserver,
        [
          `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
          '--bind-address=127.0.0.1',
          '--advertise-address=127.0.0.1',
          `--secure-port=${ports.apiserver}`,
          '--endpoint-reconciler-type=none',
          `--cert-dir=${pkiDir}`,
          `--tls-cert-file=${join(pkiDir, 'apiserver.crt')}`,
          `--tls-private-key-file=${join(pkiDir, 'apiserver.key')}`,
          `--client-ca-file=${join(pkiDir, 'ca.crt')}`,
          `--service-account-key-file=${join(pkiDir, 'sa.pub')}`,
          `--service-account-signing-key-file=${join(pkiDir, 'sa.key')}`,
          '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
          '--authorization-mode=RBAC',
          '--service-cluster-ip-range=10.0.0.0/24',
          '--allow-privileged=true',
          '--profiling=false',
          '--v=0',
        ],
        apiLog,
        detached,
      ),
      apiLog,
    );
    await waitFor(
      'kube-apiserver /readyz',
      async () => (await probe(server, pki, '/readyz')) === 200,
      deadProcess,
      timeoutMs,
    );

    let kcm: ChildProcess | undefined;
    if (options.controllerManager ?? true) {
      log('starting kube-controller-manager');
      const kcmLog = join(logs, 'kube-controller-manager.log');
      kcm = track(
        'kube-controller-manager',
        launch(
          bins.kubeControllerManager,
          [
            `--kubeconfig=${join(dir, 'kcm.kubeconfig')}`,
            '--bind-address=127.0.0.1',
            '--port=0',
            '--secure-port=0',
            '--leader-elect=false',
            `--service-account-private-key-file=${join(pkiDir, 'sa.key')}`,
            `--root-ca-file=${join(pkiDir, 'ca.crt')}`,
            '--use-service-account-credentials=true',
            '--controllers=*,-nodeipam,-nodelifecycle,-service,-route,-cloud-node-lifecycle,-csrsigning,-persistentvolume-binder,-attachdetach,-persistentvolume-expander',
            '--v=0',
          ],
          kcmLog,
          detached,
        ),
        kcmLog,
      );
      if (options.waitForControllerManager ?? true)
        await waitFor(
          'kube-controller-manager to create the default ServiceAccount',
          async () =>
            (await probe(server, pki, '/api/v1/namespaces/default/serviceaccounts/default')) ===
            200,
          deadProcess,
          timeoutMs,
        );
    }

    for (const c of started) c.removeAllListeners('exit');
    const state: KubeEnvState = {
      dir,
      kubeconfigPath,
      server,
      ports,
      pids: {
        etcd: etcd.pid ?? -1,
        apiserver: apiserver.pid ?? -1,
        ...(kcm?.pid !== undefined ? { controllerManager: kcm.pid } : {}),
      },
    };
    writeFileSync(join(dir, STATE_FILE), JSON.stringify(state, null, 2));
    log(`ready: KUBECONFIG=${kubeconfigPath}`);
    let stopped = false;
    const pids = [state.pids.controllerManager, state.pids.apiserver, state.pids.etcd];
    const killNow = (): void => {
      for (const pid of pids) {
        if (pid !== undefined && pid > 0) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // already gone
          }
        }
      }
    };
    if (!detached) process.once('exit', killNow);
    return {
      ...state,
      caPem: pki.ca.certPem,
      adminCertPem: pki.admin.certPem,
      adminKeyPem: pki.admin.keyPem,
      async stop(): Promise<void> {
        if (stopped) return;
        stopped = true;
        process.removeListener('exit', killNow);
        await stopKubeEnvState(state, keep);
      },
    };
  } catch (err) {
    await abort();
    if (!keep) rmSync(dir, { recursive: true, force: true });
    if (err instanceof KubeEnvError) throw err;
    throw new KubeEnvError(
      'ERR_KUBEENV_START',
      `failed to start the local Kubernetes environment: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

/** Reads the state a running (or previous) environment left in `dir`. */
export function readState(dir: string): KubeEnvState | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, STATE_FILE), 'utf8')) as KubeEnvState;
  } catch {
    return undefined;
  }
}

/** True when every process of the recorded environment still runs. */
export function isRunning(state: KubeEnvState): boolean {
  return [state.pids.etcd, state.pids.apiserver, state.pids.controllerManager]
    .filter((p): p is number => p !== undefined)
    .every(isAlive);
}

/** Stops the processes of a recorded environment by PID; removes its directory unless `keep`. */
export async function stopKubeEnvState(state: KubeEnvState, keep: boolean): Promise<void> {
  await stopPid(state.pids.controllerManager);
  await stopPid(state.pids.apiserver);
  await stopPid(state.pids.etcd);
  if (!keep) rmSync(state.dir, { recursive: true, force: true });
  else rmSync(join(state.dir, STATE_FILE), { force: true });
}
