/**
 * The body of `npm start` (entry: local.ts): cluster → settings and certificates → components →
 * demo → ready, then wait for Ctrl-C and stop everything that was started, by PID. Each stage is
 * timed; the timings go to the progress lines and to `<data-dir>/local.json` (the cold-start
 * benchmark reads them). See docs/getting-started.md.
 */
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, relative } from 'node:path';
import { ConfigNames } from '../apis/index.js';
import {
  controllerOptionSpecs,
  dexServerOptionSpecs,
  envFromCmdParams,
  repoServerOptionSpecs,
  serverOptionSpecs,
  type OptionSpecs,
} from '../config/index.js';
import { KubeClient, loadKubeconfig, type KubeConnection } from '../kube/index.js';
import {
  findKubeBinaries,
  freePort,
  isRunning,
  readState,
  startKubeEnv,
  stopPid,
  type KubeEnv,
} from '../kubeenv/index.js';
import { errorMessage } from '../lib/index.js';
import { ensureLocalBundle, type LocalBundle } from './local-build.js';
import {
  DEMO_APP,
  DEMO_REPO,
  DEMO_SSO_EMAIL,
  describeApp,
  ensureDemoApplication,
  ensureDemoFiles,
  ensureDemoSettings,
  waitForDemoApp,
  type DemoFiles,
} from './local-demo.js';
import { startGitHttpServer, type GitHttpServer } from './local-git-server.js';
import {
  DEMO_GROUP,
  DEMO_ROLE,
  dataDirInstallationId,
  installBase,
  readConfigMapData,
} from './local-install.js';
import { PORT_FLAGS, type LocalOptions, type LocalPorts, type PortName } from './local-options.js';
import { ensureLocalPki, type LocalPki } from './local-pki.js';
import {
  LocalError,
  probeStatus,
  Supervisor,
  type ComponentSpec,
  type RunningComponent,
} from './local-processes.js';
import { REPO_ROOT } from './paths.js';

/** `<data-dir>/local.json`: who runs, where, and how long each stage took. */
export interface LocalState {
  readonly pid: number;
  readonly startedAt: string;
  readonly ready: boolean;
  readonly namespace?: string;
  readonly serverUrl?: string;
  readonly components?: Readonly<Record<string, number>>;
  /** stage name → milliseconds (cluster, install, demo-setup, components, <component>, demo-app, total) */
  readonly timings?: Readonly<Record<string, number>>;
}

/**
 * Signals this close to the first are the same Ctrl-C: a terminal sends SIGINT to the whole
 * foreground process group and npm forwards the one it gets to its script as well.
 */
const DUPLICATE_SIGNAL_MS = 1500;

class Aborted extends Error {
  constructor() {
    super('stopped by a signal during start-up');
  }
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => {
      resolve(false);
    });
    srv.listen(port, '127.0.0.1', () =>
      srv.close(() => {
        resolve(true);
      }),
    );
  });
}

/** The ports to use: explicit ones must be free; others fall back to a free port when busy. */
async function resolvePorts(o: LocalOptions, log: (l: string) => void): Promise<LocalPorts> {
  const out = {} as Record<PortName, number>;
  const taken = new Set<number>();
  for (const name of Object.keys(o.ports) as PortName[]) {
    const wanted = o.ports[name];
    if (o.explicitPorts.has(name)) {
      if (!(await portFree(wanted)))
        throw new LocalError(
          'ERR_LOCAL_PORT_BUSY',
          `failed to start: port ${wanted} (${PORT_FLAGS[name]}) is in use on 127.0.0.1; choose another with ${PORT_FLAGS[name]}`,
        );
      out[name] = wanted;
    } else if (!o.freePorts && !taken.has(wanted) && (await portFree(wanted))) {
      out[name] = wanted;
    } else {
      let p = await freePort();
      while (taken.has(p)) p = await freePort();
      if (!o.freePorts) log(`port ${wanted} is in use: ${PORT_FLAGS[name]} ${p} instead`);
      out[name] = p;
    }
    taken.add(out[name]);
  }
  return out;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${String(pid)}/cmdline`, 'utf8')
      .split('\0')
      .join(' ');
  } catch {
    return '';
  }
}

function readLocalState(path: string): LocalState | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as LocalState;
    return typeof v.pid === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The text of `<data-dir>/local.env`. */
export function localEnvText(v: {
  readonly pid: number;
  readonly serverAddress: string;
  readonly serverUrl: string;
  readonly serverCaFile: string;
  readonly kubeconfig: string;
  readonly namespace: string;
  readonly logDir: string;
  readonly dataDir: string;
}): string {
  const line = (k: string, val: string): string => `export ${k}=${shellQuote(val)}`;
  return [
    `# argocd-ts started by npm start (PID ${String(v.pid)}); removed when it stops.`,
    '# Load it into a shell with:  . <this file>',
    line('ARGOCD_SERVER', v.serverAddress),
    line('ARGOCD_SERVER_URL', v.serverUrl),
    line('ARGOCD_SERVER_CA', v.serverCaFile),
    line('KUBECONFIG', v.kubeconfig),
    line('ARGOCD_NAMESPACE', v.namespace),
    line('ARGOCD_TS_LOG_DIR', v.logDir),
    line('ARGOCD_TS_DATA_DIR', v.dataDir),
    line('ARGOCD_TS_PID', String(v.pid)),
    '',
  ].join('\n');
}

/** Runs `npm start` with parsed options until a signal; returns the exit code. */
export async function runLocal(o: LocalOptions): Promise<number> {
  const t0 = performance.now();
  const elapsed = (): string => `${((performance.now() - t0) / 1000).toFixed(1)}s`;
  const log = (line: string): void => {
    process.stderr.write(`[argocd-ts ${elapsed()}] ${line}\n`);
  };
  const rel = (p: string): string => {
    const r = relative(process.cwd(), p);
    return r.startsWith('..') ? p : r;
  };
  const timings: Record<string, number> = {};
  const timed = async <T>(stage: string, fn: () => Promise<T>): Promise<T> => {
    const s = performance.now();
    try {
      return await fn();
    } finally {
      timings[stage] = Math.round(performance.now() - s);
    }
  };

  const logDir = join(o.dataDir, 'logs');
  await mkdir(logDir, { recursive: true, mode: 0o700 });
  const statePath = join(o.dataDir, 'local.json');
  const envPath = join(o.dataDir, 'local.env');

  // one npm start per data directory; leftovers of one that was killed are stopped first
  const previous = readLocalState(statePath);
  if (
    previous &&
    previous.pid !== process.pid &&
    pidAlive(previous.pid) &&
    cmdline(previous.pid).includes('local')
  ) {
    throw new LocalError(
      'ERR_LOCAL_ALREADY_RUNNING',
      `failed to start: npm start is already running with this data directory (PID ${String(previous.pid)}${previous.serverUrl ? `, ${previous.serverUrl}` : ''}); stop it with Ctrl-C in its terminal or 'kill ${String(previous.pid)}', or use another --data-dir`,
    );
  }
  for (const [name, pid] of Object.entries(previous?.components ?? {})) {
    if (pidAlive(pid) && cmdline(pid).includes(name)) {
      log(
        `stopping ${name} (PID ${String(pid)}) left over by an npm start that did not stop cleanly`,
      );
      await stopPid(pid, 5000);
    }
  }
  const writeState = (s: Omit<LocalState, 'pid' | 'startedAt'>): Promise<void> =>
    writeFile(statePath, `${JSON.stringify({ pid: process.pid, startedAt, ...s }, null, 2)}\n`, {
      mode: 0o600,
    });
  const startedAt = new Date().toISOString();
  await writeState({ ready: false });

  const supervisor = new Supervisor({ readyTimeoutMs: o.readyTimeoutMs, stopGraceMs: 10_000 });
  let kubeEnv: KubeEnv | undefined;
  let gitServer: GitHttpServer | undefined;
  let kube: KubeClient | undefined;
  let exitCode = 0;
  let failedComponent: string | undefined;

  // Ctrl-C / SIGTERM: during start-up, unwind at the next step; once running, stop everything
  const abort = new AbortController();
  let firstSignalAt: number | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    const now = performance.now();
    if (firstSignalAt === undefined) {
      firstSignalAt = now;
      log(`${sig}: stopping (Ctrl-C again to kill everything at once)`);
      abort.abort(new Aborted());
    } else if (now - firstSignalAt < DUPLICATE_SIGNAL_MS) {
      // one Ctrl-C in a terminal arrives twice: from the terminal and forwarded by npm
    } else {
      // a second Ctrl-C: no more waiting. Every process started is killed by PID (the
      // supervisor's exit hook does the components); the state file tells the next start.
      log(`${sig} again: killing every process npm start started`);
      const env = kubeEnv;
      if (env)
        for (const pid of [env.pids.controllerManager, env.pids.apiserver, env.pids.etcd])
          if (pid !== undefined && pid > 0)
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              // already gone
            }
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const check = (): void => {
    if (abort.signal.aborted) throw new Aborted();
  };

  const stopAll = async (): Promise<void> => {
    const stopped = await supervisor.stopAll();
    for (const s of stopped) log(`${s.name} (PID ${String(s.pid)}): ${s.how}`);
    if (gitServer) {
      await gitServer.stop();
      gitServer = undefined;
    }
    kube?.close();
    if (kubeEnv) {
      log(
        `stopping the local control plane (PIDs ${[kubeEnv.pids.controllerManager, kubeEnv.pids.apiserver, kubeEnv.pids.etcd].filter((p) => p !== undefined).join(', ')})`,
      );
      await kubeEnv.stop();
      kubeEnv = undefined;
    }
  };

  try {
    // 0. the ports, before anything starts: a busy one given on the command line fails at once
    const ports = await resolvePorts(o, log);
    // 1. the cluster (and, meanwhile, the bundle the components run from)
    const [cluster, bundle] = await Promise.all([
      timed('cluster', () => chooseCluster(o, log)),
      o.fromSource
        ? Promise.resolve(undefined)
        : timed('build', () => ensureLocalBundle(REPO_ROOT)).then((b: LocalBundle) => {
            log(
              b.built
                ? `built the component bundle in ${rel(b.dir)}`
                : 'component bundle up to date',
            );
            return b;
          }),
    ]);
    kubeEnv = cluster.started;
    check();
    kube = new KubeClient(cluster.connection, { userAgent: 'argocd-ts-npm-start' });
    const k = kube;
    const serverAddress = `127.0.0.1:${String(ports.server)}`;
    const serverUrl = `https://${serverAddress}`;

    // 2. namespace, CRDs, settings, certificates; the demo's repository and settings
    let pki: LocalPki | undefined;
    let demo: DemoFiles | undefined;
    await timed('install', async () => {
      await installBase(k, {
        namespace: o.namespace,
        serverUrl,
        timeoutMs: o.readyTimeoutMs,
        log,
        installationId: await dataDirInstallationId(o.dataDir),
      });
      [pki, demo] = await Promise.all([
        ensureLocalPki(k, o.namespace, o.dataDir, log),
        o.demo ? ensureDemoFiles(o.dataDir) : Promise.resolve(undefined),
      ]);
    });
    if (!pki) throw new LocalError('ERR_LOCAL_SETUP', 'failed to set up the internal PKI');
    const tls = pki;
    log(
      `namespace ${o.namespace}: CRDs, settings and internal PKI ready (certificates ${tls.outcome}; files in ${rel(join(o.dataDir, 'tls'))})`,
    );
    check();
    let repoUrl: string | undefined;
    if (demo) {
      const files = demo;
      await timed('demo-setup', async () => {
        gitServer = await startGitHttpServer({
          root: files.gitRoot,
          certificate: files.gitCertificate,
          username: files.gitUsername,
          password: files.gitPassword,
          port: ports.git,
        });
        repoUrl = gitServer.url(DEMO_REPO);
        await ensureDemoSettings(k, { namespace: o.namespace, repoUrl, files, log });
      });
      log(`demo git server on ${gitServer?.baseUrl ?? ''} (user ${files.gitUsername})`);
    }
    check();

    // 3. the components, all at once
    const cmdParams = (await readConfigMapData(k, o.namespace, ConfigNames.cmdParamsCm)) ?? {};
    const specs = componentSpecs({
      o,
      ports,
      pki: tls,
      kubeconfig: cluster.kubeconfigPath,
      logDir,
      bundle,
      cmdParams,
    });
    supervisor.onExit((name, message) => {
      failedComponent = name;
      log(message);
      abort.abort(new Aborted());
    });
    const readyAbort = abort.signal;
    // each starts as soon as what it depends on is ready: the controller acts on its first
    // refresh (a sync it resumes fails for good when the repo server does not answer yet)
    const componentsStartedAt = new Date();
    const readiness = new Map<string, Promise<RunningComponent>>();
    const startOne = async (spec: LocalComponentSpec): Promise<RunningComponent> => {
      for (const d of spec.dependsOn ?? []) await readiness.get(d);
      check();
      return supervisor.start(spec, readyAbort);
    };
    for (const spec of specs) readiness.set(spec.name, startOne(spec));
    const started = await timed('components', () =>
      Promise.all(
        specs.map(async (spec): Promise<RunningComponent> => {
          const r = await (readiness.get(spec.name) as Promise<RunningComponent>);
          timings[spec.name] = Math.round(r.readyMs);
          if (!abort.signal.aborted)
            log(`${spec.name} ready (PID ${String(r.pid)}, ${(r.readyMs / 1000).toFixed(1)}s)`);
          return r;
        }),
      ),
    );
    check();
    await writeState({
      ready: false,
      namespace: o.namespace,
      serverUrl,
      components: supervisor.pids(),
      timings,
    });

    // 4. the demo application, synced by the controller
    if (repoUrl !== undefined) {
      const url = repoUrl;
      const how = await ensureDemoApplication(k, o.namespace, url, o.demoNamespace);
      log(`demo application ${how}; waiting for Synced and Healthy`);
      const app = await timed('demo-app', () =>
        waitForDemoApp(k, o.namespace, o.readyTimeoutMs, abort.signal, componentsStartedAt),
      );
      log(`demo application ${describeApp(app)}`);
    }
    check();
    timings.total = Math.round(performance.now() - t0);

    await writeFile(
      envPath,
      localEnvText({
        pid: process.pid,
        serverAddress,
        serverUrl,
        serverCaFile: tls.files.serverCaFile,
        kubeconfig: cluster.kubeconfigPath,
        namespace: o.namespace,
        logDir,
        dataDir: o.dataDir,
      }),
      { mode: 0o600 },
    );
    await writeState({
      ready: true,
      namespace: o.namespace,
      serverUrl,
      components: supervisor.pids(),
      timings,
    });
    process.stdout.write(
      summary({
        o,
        serverAddress,
        serverUrl,
        pki: tls,
        kubeconfig: rel(cluster.kubeconfigPath),
        kubeStarted: kubeEnv !== undefined,
        envFile: rel(envPath),
        logDir: rel(logDir),
        demo: demo && repoUrl !== undefined ? { files: demo, repoUrl } : undefined,
        components: started,
        totalMs: timings.total,
        rel,
      }),
    );

    // 5. run until Ctrl-C (or a component exits)
    await new Promise<void>((resolve) => {
      if (abort.signal.aborted) resolve();
      else
        abort.signal.addEventListener(
          'abort',
          () => {
            resolve();
          },
          { once: true },
        );
    });
    if (failedComponent !== undefined) {
      log(`${failedComponent} stopped unexpectedly: stopping the rest`);
      exitCode = 1;
    }
  } catch (err) {
    if (err instanceof Aborted) {
      exitCode = failedComponent !== undefined ? 1 : 130;
    } else {
      exitCode = 1;
      process.stderr.write(`\n[argocd-ts] ${errorMessage(err)}\n\n`);
      if (err instanceof LocalError && err.component !== undefined)
        log(`stopping everything else because ${err.component} failed`);
    }
  } finally {
    await rm(envPath, { force: true });
    try {
      await stopAll();
    } finally {
      await rm(statePath, { force: true });
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    log(exitCode === 0 || exitCode === 130 ? 'stopped' : 'stopped after a failure');
  }
  return exitCode === 130 ? 0 : exitCode;
}

interface ChosenCluster {
  readonly connection: KubeConnection;
  readonly kubeconfigPath: string;
  /** the control plane this run started (and stops) */
  readonly started: KubeEnv | undefined;
}

async function reachable(conn: KubeConnection): Promise<boolean> {
  const k = new KubeClient(conn, { timeoutMs: 3000 });
  try {
    await k.request({ method: 'GET', path: '/version' });
    return true;
  } catch {
    return false;
  } finally {
    k.close();
  }
}

async function chooseCluster(o: LocalOptions, log: (l: string) => void): Promise<ChosenCluster> {
  const fromEnv = process.env.KUBECONFIG;
  if (fromEnv !== undefined && fromEnv !== '') {
    let conn: KubeConnection | undefined;
    try {
      conn = loadKubeconfig(fromEnv);
    } catch (err) {
      if (o.useKubeconfig)
        throw new LocalError(
          'ERR_LOCAL_CLUSTER',
          `failed to read KUBECONFIG ${fromEnv}: ${errorMessage(err)}`,
          { cause: err },
        );
      log(
        `KUBECONFIG ${fromEnv} cannot be read (${errorMessage(err)}); starting the local control plane instead`,
      );
    }
    if (conn) {
      if (await reachable(conn)) {
        log(`using the cluster in KUBECONFIG (${conn.server})`);
        return { connection: conn, kubeconfigPath: fromEnv, started: undefined };
      }
      if (o.useKubeconfig)
        throw new LocalError(
          'ERR_LOCAL_CLUSTER',
          `failed to reach the cluster in KUBECONFIG (${conn.server}): it does not answer; start it, or drop --use-kubeconfig to use the local control plane`,
        );
      log(
        `the cluster in KUBECONFIG (${conn.server}) does not answer; starting the local control plane instead`,
      );
    }
  } else if (o.useKubeconfig) {
    throw new LocalError(
      'ERR_LOCAL_CLUSTER',
      'failed to start: --use-kubeconfig needs KUBECONFIG set to a kubeconfig file',
    );
  }
  const dir = join(o.dataDir, 'kube');
  const state = readState(dir);
  if (state && isRunning(state)) {
    log(
      `reusing the local control plane that is already running (${state.server}); it keeps running after Ctrl-C`,
    );
    return {
      connection: loadKubeconfig(state.kubeconfigPath),
      kubeconfigPath: state.kubeconfigPath,
      started: undefined,
    };
  }
  if (!findKubeBinaries())
    log(
      "kube-apiserver and kube-controller-manager are not built yet: building them from Debian's source now (first run only; about 5 minutes, progress below)",
    );
  log('starting the local control plane (about 10 s)');
  const env = await startKubeEnv({
    dir,
    // its own process group: a Ctrl-C reaches npm start, which stops the components first
    detached: true,
    // no component runs as a Pod or needs a ServiceAccount: don't wait 3–5 s for the controllers
    waitForControllerManager: false,
    log: (l) => {
      log(`kube: ${l}`);
    },
  });
  return {
    connection: loadKubeconfig(env.kubeconfigPath),
    kubeconfigPath: env.kubeconfigPath,
    started: env,
  };
}

interface SpecInput {
  readonly o: LocalOptions;
  readonly ports: LocalPorts;
  readonly pki: LocalPki;
  readonly kubeconfig: string;
  readonly logDir: string;
  readonly bundle: LocalBundle | undefined;
  readonly cmdParams: Readonly<Record<string, string>>;
}

/** A component and the components that must be ready before it starts. */
export interface LocalComponentSpec extends ComponentSpec {
  readonly dependsOn?: readonly string[];
}

/** The four components: flags (loopback, ports, TLS material, namespace), env and readiness. */
export function componentSpecs(i: SpecInput): LocalComponentSpec[] {
  const { o, ports, pki } = i;
  const f = pki.files;
  const baseEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    ...(process.env.LANG !== undefined ? { LANG: process.env.LANG } : {}),
    ...(process.env.TMPDIR !== undefined ? { TMPDIR: process.env.TMPDIR } : {}),
  };
  const launch = (name: string): { command: string; args: string[] } =>
    i.bundle
      ? { command: process.execPath, args: [i.bundle.entry, name] }
      : { command: process.execPath, args: [join(REPO_ROOT, 'bin', `${name}.js`)] };
  const spec = (
    name: string,
    specs: OptionSpecs,
    args: string[],
    ready: () => Promise<boolean>,
    dependsOn: readonly string[] = [],
  ): LocalComponentSpec => {
    const l = launch(name);
    return {
      name,
      command: l.command,
      args: [...l.args, ...args],
      env: { ...baseEnv, ...envFromCmdParams(specs, i.cmdParams) },
      logFile: join(i.logDir, `${name}.log`),
      ready,
      dependsOn,
    };
  };
  const http =
    (port: number): (() => Promise<boolean>) =>
    async () =>
      (await probeStatus(`http://127.0.0.1:${String(port)}/healthz`)) === 200;
  const repoServer = `127.0.0.1:${String(ports.repoServer)}`;
  const dexServer = `127.0.0.1:${String(ports.dex)}`;
  return [
    spec(
      'argocd-repo-server',
      repoServerOptionSpecs,
      [
        '--address',
        '127.0.0.1',
        '--port',
        String(ports.repoServer),
        '--metrics-address',
        '127.0.0.1',
        '--metrics-port',
        String(ports.repoServerMetrics),
        '--disable-tls',
        'false',
        '--tls-cert-dir',
        f.repoServerTlsDir,
        '--client-ca-path',
        f.repoServerClientCaFile,
      ],
      http(ports.repoServerMetrics),
    ),
    spec(
      'argocd-dex-server',
      dexServerOptionSpecs(),
      [
        '--address',
        '127.0.0.1',
        '--port',
        String(ports.dex),
        '--disable-tls',
        'false',
        '--tls-dir',
        f.dexServerTlsDir,
        '--client-ca-path',
        f.dexServerClientCaFile,
        '--namespace',
        o.namespace,
        '--kubeconfig',
        i.kubeconfig,
      ],
      async () =>
        (await probeStatus(`https://${dexServer}/healthz`, {
          ca: pki.caPem,
          cert: pki.probeClient.certPem,
          key: pki.probeClient.keyPem,
        })) === 200,
    ),
    spec(
      'argocd-server',
      serverOptionSpecs(),
      [
        '--address',
        '127.0.0.1',
        '--port',
        String(ports.server),
        '--metrics-address',
        '127.0.0.1',
        '--metrics-port',
        String(ports.serverMetrics),
        '--insecure',
        'false',
        '--namespace',
        o.namespace,
        '--kubeconfig',
        i.kubeconfig,
        '--repo-server',
        repoServer,
        '--repo-server-plaintext',
        'false',
        '--dex-server',
        dexServer,
        '--dex-server-plaintext',
        'false',
        '--internal-tls-dir',
        f.serverInternalTlsDir,
      ],
      async () =>
        (await probeStatus(`https://127.0.0.1:${String(ports.server)}/healthz`, {
          ca: readFileSync(f.serverCaFile, 'utf8'),
        })) === 200,
    ),
    spec(
      'argocd-application-controller',
      controllerOptionSpecs,
      [
        '--namespace',
        o.namespace,
        '--kubeconfig',
        i.kubeconfig,
        '--repo-server',
        repoServer,
        '--repo-server-plaintext',
        'false',
        '--internal-tls-dir',
        f.controllerInternalTlsDir,
        '--metrics-address',
        '127.0.0.1',
        '--metrics-port',
        String(ports.controllerMetrics),
      ],
      http(ports.controllerMetrics),
      ['argocd-repo-server'],
    ),
  ];
}

interface SummaryInput {
  readonly o: LocalOptions;
  readonly serverAddress: string;
  readonly serverUrl: string;
  readonly pki: LocalPki;
  readonly kubeconfig: string;
  readonly kubeStarted: boolean;
  readonly envFile: string;
  readonly logDir: string;
  readonly demo: { readonly files: DemoFiles; readonly repoUrl: string } | undefined;
  readonly components: readonly RunningComponent[];
  readonly totalMs: number | undefined;
  readonly rel: (p: string) => string;
}

/** What `npm start` prints once everything is ready. */
export function summary(s: SummaryInput): string {
  const ca = s.rel(s.pki.files.serverCaFile);
  const ns = s.o.namespace === 'argocd' ? '' : ` -n ${s.o.namespace}`;
  const initialPassword = `npx argocd admin initial-password${ns} --kubeconfig ${s.kubeconfig}`;
  const lines = [
    '',
    `argocd-ts is ready${s.totalMs !== undefined ? ` (${(s.totalMs / 1000).toFixed(1)} s)` : ''}: every component on 127.0.0.1, every link verified mutual TLS.`,
    '',
    `  URL            ${s.serverUrl}   (CA certificate: ${ca})`,
    `  admin user     admin; its initial password:  ${initialPassword}`,
    s.demo
      ? `  SSO demo user  ${DEMO_SSO_EMAIL} (group ${DEMO_GROUP}, ${DEMO_ROLE}); password in ${s.rel(s.demo.files.ssoPasswordFile)}`
      : '  SSO            no users (--no-demo); add connectors or static users to argocd-cm dex.config',
    ...(s.demo
      ? [
          `  demo app       ${DEMO_APP} (Synced, Healthy) from ${s.demo.repoUrl} (user ${s.demo.files.gitUsername}, password in ${s.rel(s.demo.files.gitPasswordFile)}; edit ${s.rel(s.demo.files.workDir)}, commit, git push)`,
        ]
      : []),
    `  namespace      ${s.o.namespace}; KUBECONFIG=${s.kubeconfig}${s.kubeStarted ? ' (local control plane)' : ''}`,
    `  logs           ${s.logDir}/  (${s.components.map((c) => `${c.name} PID ${String(c.pid)}`).join(', ')})`,
    `  environment    . ${s.envFile}`,
    '',
    'Try the CLI:',
    `  ${initialPassword} | npx argocd login ${s.serverAddress} --username admin --server-crt ${ca}`,
    '  npx argocd app list',
    `  npx argocd app get ${s.demo ? DEMO_APP : '<name>'}`,
    '',
    'Press Ctrl-C to stop everything npm start started.',
    '',
  ];
  return lines.join('\n');
}
