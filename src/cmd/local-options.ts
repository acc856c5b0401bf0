/**
 * The options of `npm start` (src/cmd/local.ts): where its data lives, which cluster, which ports,
 * whether to seed the demo. Parsed once into a frozen object; `--help` lists them.
 */
import { isAbsolute, resolve } from 'node:path';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_NAMESPACE } from '../apis/index.js';

/** Every port `npm start` listens on, by what listens there. */
export interface LocalPorts {
  /** argocd-server: API, gRPC and web UI (TLS) */
  readonly server: number;
  readonly serverMetrics: number;
  readonly repoServer: number;
  readonly repoServerMetrics: number;
  readonly controllerMetrics: number;
  readonly dex: number;
  /** the demo git server (HTTPS, basic auth) */
  readonly git: number;
}

export type PortName = keyof LocalPorts;

/** Argo CD's own defaults (and 8086 for the demo git server). */
export const DEFAULT_LOCAL_PORTS: LocalPorts = Object.freeze({
  server: 8080,
  repoServer: 8081,
  controllerMetrics: 8082,
  serverMetrics: 8083,
  repoServerMetrics: 8084,
  git: 8086,
  dex: 5556,
});

/** The flag that sets each port (for messages). */
export const PORT_FLAGS: Readonly<Record<PortName, string>> = {
  server: '--port',
  serverMetrics: '--server-metrics-port',
  repoServer: '--repo-server-port',
  repoServerMetrics: '--repo-server-metrics-port',
  controllerMetrics: '--controller-metrics-port',
  dex: '--dex-port',
  git: '--git-port',
};

export const DEFAULT_DEMO_NAMESPACE = 'argocd-ts-demo';
export const DEFAULT_READY_TIMEOUT_S = 180;

export interface LocalOptions {
  /** absolute path of the data directory (certificates, logs, demo repository, local.env) */
  readonly dataDir: string;
  /** Argo CD's namespace */
  readonly namespace: string;
  /** fail instead of starting the local control plane when KUBECONFIG does not answer */
  readonly useKubeconfig: boolean;
  readonly demo: boolean;
  /** where the demo app deploys to */
  readonly demoNamespace: string;
  readonly ports: LocalPorts;
  /** ports given on the command line: a busy one is an error, not replaced */
  readonly explicitPorts: ReadonlySet<PortName>;
  /** pick a free port for every port not given explicitly */
  readonly freePorts: boolean;
  /** run bin/*.js through tsx instead of the prebuilt bundle (slower start) */
  readonly fromSource: boolean;
  readonly readyTimeoutMs: number;
}

/** What `parseLocalOptions` decided: run with options, or exit with a code (help, bad flags). */
export type LocalCommand =
  | { readonly kind: 'run'; readonly options: LocalOptions }
  | { readonly kind: 'exit'; readonly code: number };

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(n) || n < 1 || n > 65535)
    throw new InvalidArgumentError('expected a port number from 1 to 65535.');
  return n;
}

function parseNamespace(value: string): string {
  if (!DNS_LABEL.test(value) || value.length > 63)
    throw new InvalidArgumentError(
      'expected a namespace name: lower-case letters, digits and "-", at most 63 characters.',
    );
  return value;
}

function parseSeconds(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1)
    throw new InvalidArgumentError('expected a whole number of seconds, at least 1.');
  return n;
}

const HELP_AFTER = `
Environment:
  KUBECONFIG           a cluster to use; when it does not answer, the local control plane is
                       started instead (unless --use-kubeconfig)
  ARGOCD_TS_DATA_DIR   same as --data-dir

Examples:
  npm start                              # everything on Argo CD's usual ports, with the demo
  npm start -- --no-demo --port 9443     # no demo; argocd-server on 9443
  KUBECONFIG=~/.kube/kind npm start -- --use-kubeconfig --namespace argocd-dev
`;

/**
 * Parses `npm start`'s arguments. Writes help and errors to the given streams.
 * @example
 * const cmd = parseLocalOptions(process.argv.slice(2), { cwd, defaultDataDir, stdout, stderr });
 * if (cmd.kind === 'exit') process.exit(cmd.code);
 */
export function parseLocalOptions(
  argv: readonly string[],
  io: {
    /** relative --data-dir paths start here (npm's INIT_CWD: where `npm start` was typed) */
    readonly cwd: string;
    /** the data directory when none is given (`<repository>/.argocd-ts`) */
    readonly defaultDataDir: string;
    readonly stdout: { write(s: string): unknown };
    readonly stderr: { write(s: string): unknown };
  },
): LocalCommand {
  const program = new Command('npm start --')
    .description(
      'Runs argocd-ts locally: a Kubernetes API server (the cluster in KUBECONFIG when it answers, ' +
        'else the project’s own control plane, built on first use), the argocd namespace with its ' +
        'CRDs, settings and internal CA, and argocd-repo-server, argocd-application-controller, ' +
        'argocd-server and argocd-dex-server as separate processes on 127.0.0.1 with verified ' +
        'mutual TLS between them; then a demo application synced from a git repository served on ' +
        'this machine. Ctrl-C stops every process it started.',
    )
    .helpOption('-h, --help', 'show this help')
    .addOption(
      new Option(
        '--data-dir <dir>',
        'data directory: certificates, logs, demo repository, local.env',
      )
        .env('ARGOCD_TS_DATA_DIR')
        .default(io.defaultDataDir),
    )
    .addOption(
      new Option('-n, --namespace <name>', "Argo CD's namespace")
        .argParser(parseNamespace)
        .default(DEFAULT_NAMESPACE),
    )
    .option(
      '--use-kubeconfig',
      'require the cluster in KUBECONFIG (fail instead of starting the local control plane)',
      false,
    )
    .option('--no-demo', 'do not seed the demo (git repository, repository Secret, Application)')
    .addOption(
      new Option('--demo-namespace <name>', 'namespace the demo application deploys to')
        .argParser(parseNamespace)
        .default(DEFAULT_DEMO_NAMESPACE),
    );
  const portDescriptions: Record<PortName, string> = {
    server: 'argocd-server (API, gRPC, web UI; TLS)',
    serverMetrics: 'argocd-server metrics',
    repoServer: 'argocd-repo-server',
    repoServerMetrics: 'argocd-repo-server metrics and /healthz',
    controllerMetrics: 'argocd-application-controller metrics and /healthz',
    dex: 'argocd-dex-server (OpenID provider)',
    git: 'the demo git server (HTTPS)',
  };
  for (const name of Object.keys(DEFAULT_LOCAL_PORTS) as PortName[]) {
    program.addOption(
      new Option(`${PORT_FLAGS[name]} <port>`, `port of ${portDescriptions[name]}`)
        .argParser(parsePort)
        .default(DEFAULT_LOCAL_PORTS[name]),
    );
  }
  program
    .option(
      '--free-ports',
      'use a free port for every port not given explicitly (several systems on one machine)',
      false,
    )
    .option(
      '--from-source',
      'run bin/*.js through tsx instead of a bundle built at start (slower; for debugging)',
      false,
    )
    .addOption(
      new Option('--ready-timeout <seconds>', 'how long each stage may take before giving up')
        .argParser(parseSeconds)
        .default(DEFAULT_READY_TIMEOUT_S),
    )
    .addHelpText('after', HELP_AFTER)
    .allowExcessArguments(false)
    .showHelpAfterError('(run npm start -- --help for the options)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return { kind: 'exit', code: err.exitCode === 0 ? 0 : 2 };
    throw err;
  }
  // commander's option values are untyped; each was parsed (and so validated) by its argParser
  const raw = program.opts<Record<string, unknown>>();
  const ports = {} as Record<PortName, number>;
  const explicitPorts = new Set<PortName>();
  for (const name of Object.keys(DEFAULT_LOCAL_PORTS) as PortName[]) {
    ports[name] = raw[name === 'server' ? 'port' : `${name}Port`] as number;
    const source = program.getOptionValueSource(name === 'server' ? 'port' : `${name}Port`);
    if (source === 'cli') explicitPorts.add(name);
  }
  const seen = new Map<number, PortName>();
  for (const name of explicitPorts) {
    const other = seen.get(ports[name]);
    if (other !== undefined) {
      io.stderr.write(
        `error: ${PORT_FLAGS[other]} and ${PORT_FLAGS[name]} are both ${ports[name]}: give each its own port\n`,
      );
      return { kind: 'exit', code: 2 };
    }
    seen.set(ports[name], name);
  }
  const dataDir = raw.dataDir as string;
  const namespace = raw.namespace as string;
  const demoNamespace = raw.demoNamespace as string;
  if (raw.demo !== false && demoNamespace === namespace) {
    io.stderr.write(
      `error: --demo-namespace must differ from --namespace (${namespace}): the demo app deploys next to Argo CD, not into it\n`,
    );
    return { kind: 'exit', code: 2 };
  }
  return {
    kind: 'run',
    options: Object.freeze({
      dataDir: isAbsolute(dataDir) ? dataDir : resolve(io.cwd, dataDir),
      namespace,
      useKubeconfig: raw.useKubeconfig === true,
      demo: raw.demo !== false,
      demoNamespace,
      ports: Object.freeze(ports),
      explicitPorts,
      freePorts: raw.freePorts === true,
      fromSource: raw.fromSource === true,
      readyTimeoutMs: (raw.readyTimeout as number) * 1000,
    }),
  };
}
