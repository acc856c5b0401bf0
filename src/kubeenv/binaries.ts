/**
 * Finds (and if needed builds) the kube-apiserver and kube-controller-manager binaries, and checks
 * that etcd is installed. The build is scripts/build-kube.sh, which caches its output outside the
 * work tree, keyed by the Debian source version.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubeEnvError } from './errors.js';

export const KUBE_SOURCE_VERSION = '1.20.5+really1.20.2-1.1+deb12u1';
const KUBE_TAG = 'kube-v1.20.2';

export interface KubeBinaries {
  readonly etcd: string;
  readonly kubeApiserver: string;
  readonly kubeControllerManager: string;
}

function repoRoot(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** The directory the build script puts binaries in. */
export function kubeBinDir(env: NodeJS.ProcessEnv = process.env): string {
  const root =
    env.KUBE_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'argocd-ts');
  return join(root, KUBE_TAG, 'bin');
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function findOnPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(':')) {
    if (dir && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** The binaries if they are all present, else undefined. Never builds. */
export function findKubeBinaries(env: NodeJS.ProcessEnv = process.env): KubeBinaries | undefined {
  const bin = env.KUBE_BIN_DIR ?? kubeBinDir(env);
  const stamp = join(dirname(bin), '.built-from');
  const apiserver = join(bin, 'kube-apiserver');
  const kcm = join(bin, 'kube-controller-manager');
  const etcd = env.ETCD_BIN ?? findOnPath('etcd', env);
  if (!etcd || !executable(apiserver) || !executable(kcm)) return undefined;
  if (
    !env.KUBE_BIN_DIR &&
    (!existsSync(stamp) || readFileSync(stamp, 'utf8').trim() !== KUBE_SOURCE_VERSION)
  )
    return undefined;
  return { etcd, kubeApiserver: apiserver, kubeControllerManager: kcm };
}

/**
 * Returns the binaries, building kube-apiserver and kube-controller-manager first when missing
 * (progress goes to stderr; about 5 minutes the first time). Throws KubeEnvError saying what is
 * missing and how to get it.
 */
export async function ensureKubeBinaries(
  env: NodeJS.ProcessEnv = process.env,
): Promise<KubeBinaries> {
  const found = findKubeBinaries(env);
  if (found) return found;
  if (!env.ETCD_BIN && !findOnPath('etcd', env)) {
    throw new KubeEnvError(
      'ERR_KUBEENV_PREREQ',
      "etcd is not installed: run 'apt-get install etcd-server' (Debian 12), or set ETCD_BIN to an etcd 3.4+ binary",
    );
  }
  if (env.KUBE_BIN_DIR) {
    throw new KubeEnvError(
      'ERR_KUBEENV_PREREQ',
      `KUBE_BIN_DIR=${env.KUBE_BIN_DIR} holds no kube-apiserver and kube-controller-manager`,
    );
  }
  const script = join(repoRoot(), 'scripts', 'build-kube.sh');
  process.stderr.write(
    "kube-apiserver and kube-controller-manager are not built yet: building them from Debian's source (about 5 minutes, once)\n",
  );
  const code = await new Promise<number>((res) => {
    const child = spawn('bash', [script], { stdio: ['ignore', 'ignore', 'inherit'], env });
    child.on('exit', (c) => {
      res(c ?? 1);
    });
    child.on('error', () => {
      res(1);
    });
  });
  const built = findKubeBinaries(env);
  if (code !== 0 || !built) {
    throw new KubeEnvError(
      'ERR_KUBEENV_PREREQ',
      `building kube-apiserver failed (exit ${code}); run 'bash scripts/build-kube.sh' to see why. It needs root (or sudo) for apt-get and access to Debian's archive`,
    );
  }
  return built;
}

/** Version line of a binary, for reports. */
export function binaryVersion(path: string): string {
  const r = spawnSync(path, ['--version'], { encoding: 'utf8' });
  return (r.stdout || r.stderr).trim().split('\n')[0] ?? '';
}
