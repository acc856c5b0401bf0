/**
 * `cold-start`: `npm start` from nothing to the demo application Synced and Healthy. The entry
 * `npm start` runs (`node --import tsx src/cmd/local.ts`) is spawned with a fresh data directory,
 * no KUBECONFIG (so it starts a fresh local control plane; the kube binaries are already built) and
 * free ports; the time is measured from the spawn to `<data-dir>/local.json` saying ready (which
 * npm start writes after the demo app is Healthy and local.env is written). The stages come from
 * npm start's own timings in local.json. Then SIGINT, and every process must be gone.
 *
 * Reference, in the same run and interleaved: the bare control plane alone (etcd +
 * kube-apiserver /readyz, fresh directory), so the ratio says what our part costs on top of it.
 * Ratio = npm start / bare control plane. Target: npm start under 30 s (issue 7).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findKubeBinaries, startKubeEnv, stopPid } from '../../src/kubeenv/index.js';
import { interleave, median, round, type Scenario } from '../lib.js';

const TARGET_MS = 30_000;
const REPO_ROOT = new URL('../../', import.meta.url).pathname;

const sizes = { S: { pairs: 1 }, M: { pairs: 2 }, L: { pairs: 3 } } as const;

interface LocalJson {
  readonly ready?: boolean;
  readonly components?: Readonly<Record<string, number>>;
  readonly timings?: Readonly<Record<string, number>>;
}

function readLocalJson(path: string): LocalJson | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LocalJson;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** One cold npm start: milliseconds to ready, and npm start's stage timings. */
async function coldStart(
  log: (l: string) => void,
): Promise<{ ms: number; timings: Record<string, number> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'argocd-ts-cold-start-'));
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.KUBECONFIG;
  delete env.ARGOCD_TS_DATA_DIR;
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cmd/local.ts', '--data-dir', dataDir, '--free-ports'],
    { cwd: REPO_ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const proc = { exited: false };
  child.on('exit', () => {
    proc.exited = true;
  });
  const hasExited = (): boolean => proc.exited;
  const statePath = join(dataDir, 'local.json');
  let state: LocalJson | undefined;
  try {
    for (;;) {
      state = readLocalJson(statePath);
      if (state?.ready === true) break;
      if (hasExited()) throw new Error(`npm start exited before it was ready:\n${stderr}`);
      if (performance.now() - t0 > 300_000) throw new Error(`npm start not ready in 300 s`);
      await sleep(50);
    }
    const ms = performance.now() - t0;
    return { ms, timings: { ...(state.timings ?? {}) } };
  } finally {
    const pids = Object.values(state?.components ?? {});
    if (!proc.exited && child.pid !== undefined) {
      child.kill('SIGINT');
      const t = performance.now();
      while (!hasExited() && performance.now() - t < 30_000) await sleep(50);
      if (!hasExited()) {
        log('npm start did not stop within 30 s of SIGINT: killing it');
        await stopPid(child.pid, 1000);
      }
    }
    for (const pid of pids)
      if (alive(pid)) {
        log(`component PID ${String(pid)} outlived npm start: killing it`);
        await stopPid(pid, 1000);
      }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The bare control plane: etcd + kube-apiserver ready, in a fresh directory. */
async function bareControlPlane(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'argocd-ts-cold-start-ref-'));
  try {
    const t0 = performance.now();
    const env = await startKubeEnv({ dir, controllerManager: false, keep: false });
    const ms = performance.now() - t0;
    await env.stop();
    return ms;
  } finally {
    if (existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  }
}

export const scenario: Scenario = {
  name: 'cold-start',
  description:
    'npm start (fresh data dir and control plane) to the demo app Healthy vs the bare control plane start',
  async run(ctx) {
    if (!findKubeBinaries())
      throw new Error('the kube binaries are not built: run npm run kube:build first');
    const { pairs } = sizes[ctx.size];
    const runs: Record<string, number>[] = [];
    const r = await interleave(
      pairs,
      async () => {
        const ms = await bareControlPlane();
        ctx.log(`bare control plane (etcd + kube-apiserver ready): ${(ms / 1000).toFixed(1)} s`);
        return ms;
      },
      async () => {
        const { ms, timings } = await coldStart((l) => {
          ctx.log(l);
        });
        runs.push(timings);
        const stages = Object.entries(timings)
          .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)}s`)
          .join(', ');
        ctx.log(`npm start to demo app Healthy: ${(ms / 1000).toFixed(1)} s (${stages})`);
        return ms;
      },
    );
    const value = median(r.candidate);
    const reference = median(r.reference);
    const stageNames = [...new Set(runs.flatMap((t) => Object.keys(t)))];
    const stages: Record<string, number> = {};
    for (const k of stageNames)
      stages[k] = round(median(runs.map((t) => t[k] ?? NaN).filter((x) => !isNaN(x))) / 1000, 2);
    return {
      scenario: 'cold-start',
      metric: 'npm start to demo app Healthy (median)',
      value: round(value / 1000, 2),
      unit: 's',
      reference: round(reference / 1000, 2),
      ratio: round(value / reference, 2),
      target: `< ${String(TARGET_MS / 1000)} s`,
      pass: value < TARGET_MS,
      details: { stagesSeconds: stages, runs: r.candidate.length },
    };
  },
};
