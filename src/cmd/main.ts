/**
 * Multi-call entry point: one program per name (`argocd`, `argocd-server`, `argocd-repo-server`,
 * `argocd-application-controller`, `argocd-dex-server`), each loaded lazily so a CLI call does not
 * pay for the servers' imports. The bin/ shims call `main(<name>, argv)`.
 */
import { VERSION } from '../config/index.js';

export type ProgramName =
  | 'argocd'
  | 'argocd-server'
  | 'argocd-repo-server'
  | 'argocd-application-controller'
  | 'argocd-dex-server';

type Runner = (argv: readonly string[]) => Promise<number>;

interface ProgramEntry {
  readonly description: string;
  /** undefined while the program is not implemented */
  readonly load?: () => Promise<Runner>;
}

export const programs: Readonly<Record<ProgramName, ProgramEntry>> = {
  argocd: {
    description: 'the argocd command-line client',
    load: async () => (await import('./cli.js')).runArgocd,
  },
  'argocd-server': {
    description: 'API server: REST, gRPC and web UI on one TLS port; authentication and RBAC',
    load: async () => (await import('./server.js')).runServer,
  },
  'argocd-repo-server': {
    description: 'repository server: git cache and manifest generation (no Kubernetes access)',
    load: async () => (await import('./repo-server.js')).runRepoServer,
  },
  'argocd-application-controller': {
    description: 'reconciles Applications: desired state from git against live state',
    load: async () => (await import('./controller.js')).runController,
  },
  'argocd-dex-server': {
    description: 'the bundled OpenID Connect provider',
    load: async () => (await import('./dex-server.js')).run,
  },
};

function isProgram(name: string): name is ProgramName {
  return Object.hasOwn(programs, name);
}

/** Runs a program by name; returns its exit code. */
export async function main(name: string, argv: readonly string[]): Promise<number> {
  if (!isProgram(name)) {
    process.stderr.write(
      `unknown program "${name}": expected one of ${Object.keys(programs).join(', ')}\n`,
    );
    return 2;
  }
  const entry = programs[name];
  if (entry.load) {
    const run = await entry.load();
    return run(argv);
  }
  if (argv.includes('--version')) {
    process.stdout.write(`${name}: v${VERSION}\n`);
    return 0;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(
      `Usage: ${name} [options]\n\n${entry.description}.\n\nThis program is not implemented yet in argocd-ts v${VERSION}.\n\nOptions:\n  --version   print the version and exit\n  -h, --help  show help\n`,
    );
    return 0;
  }
  process.stderr.write(`${name} is not implemented yet in argocd-ts v${VERSION}\n`);
  return 2;
}
