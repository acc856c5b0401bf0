/**
 * manifest-gen: argocd-repo-server's manifest generation against floors measured in the same run.
 *
 * Setup: a real git repository served over HTTPS with basic auth (test/support/git-server.ts), the
 * real `argocd-repo-server` binary in its own process on 127.0.0.1 with TLS (as the controller and
 * the API server see it), and a gRPC client over TLS (reposerver/client.ts) in the bench process.
 * The repository holds a 500-file directory app and a Kustomize overlay of 20 resources.
 *
 * Results (each interleaved with its reference, A B A B ...):
 * - `directory-cold`: GenerateManifest of the 500-file app with `noCache` (the manifest cache is
 *   bypassed: every file is listed, sized, read, parsed with the YAML limits, checked and
 *   serialised, then sent over TLS) vs the in-process floor: read and parse the same 500 files
 *   with the same YAML parser. ratio = candidate / floor; target <= 1.5. The commit's fetch,
 *   checkout and out-of-bounds symlink walk happen once per commit and are reported separately
 *   (`firstRequestMs`, the very first request of the commit), not in the ratio.
 * - `directory-warm-p50`: the same request served from the manifest cache, p50 over TLS.
 *   reference = p50 of a gRPC health check on the same connection (the transport floor);
 *   target: p50 < 5 ms.
 * - `kustomize-overhead`: GenerateManifest of the overlay with `noCache` vs raw
 *   `kubectl kustomize` (or `kustomize build`) on the same tree. ratio = candidate / raw;
 *   target <= 1.10 (overhead under 10%). Like with like: `noCache` makes every call run the tool
 *   (no manifest cache hit), while the commit's checkout and its one-time checks (symlink walk,
 *   kustomization reference check) are already done, as they are for the raw run's tree; the
 *   candidate includes the TLS round trip (its health-check p50 is shown in the details).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { startGitServer } from '../../test/support/git-server.js';
import { gitRepo, startRepoServerProcess } from '../../test/support/repo-server.js';
import { createRepoServerClient } from '../../src/reposerver/client.js';
import { detectTools } from '../../src/reposerver/render/tools.js';
import { interleave, median, percentile, timeMs, type BenchResult, type Scenario } from '../lib.js';

const FILES = 500;
const KUSTOMIZE_RESOURCES = 20;

function deployment(i: number): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-${i}
  labels:
    app.kubernetes.io/name: app-${i}
    app.kubernetes.io/part-of: bench
spec:
  replicas: ${1 + (i % 3)}
  selector:
    matchLabels:
      app.kubernetes.io/name: app-${i}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: app-${i}
    spec:
      containers:
        - name: app
          image: registry.example/app-${i}:1.${i}.0
          ports:
            - containerPort: 8080
          env:
            - name: MODE
              value: production
          resources:
            requests:
              cpu: 100m
              memory: 128Mi
`;
}

function service(i: number): string {
  return `apiVersion: v1
kind: Service
metadata:
  name: svc-${i}
spec:
  selector:
    app.kubernetes.io/name: app-${i}
  ports:
    - port: 80
      targetPort: 8080
`;
}

function configMap(i: number): string {
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: cfg-${i}
data:
  mode: "0644"
  settings.yaml: |
    level: info
    shard: ${i}
`;
}

function manifest(i: number): string {
  if (i % 3 === 0) return deployment(i);
  if (i % 3 === 1) return service(i);
  return configMap(i);
}

function kustomizeCommand(
  tool: { command: string; prefix: readonly string[] },
  dir: string,
): Promise<number> {
  return timeMs(
    () =>
      new Promise<void>((resolve, reject) => {
        execFile(
          tool.command,
          [...tool.prefix, dir],
          { maxBuffer: 64 * 1024 * 1024 },
          (err, stdout) => {
            if (err) reject(new Error(`kustomize failed: ${err.message}`));
            else if (stdout.length === 0) reject(new Error('empty kustomize output'));
            else resolve();
          },
        );
      }),
  );
}

export const scenario: Scenario = {
  name: 'manifest-gen',
  description:
    '500-file directory app cold/warm over TLS vs an in-process floor; Kustomize overlay vs raw kubectl kustomize',
  async run(ctx) {
    const pairs = ctx.size === 'S' ? 8 : ctx.size === 'L' ? 60 : 20;
    const warmCalls = ctx.size === 'S' ? 200 : ctx.size === 'L' ? 2000 : 500;
    const git = await startGitServer({ username: 'bench', password: 'bench-password-1' });
    const rs = await startRepoServerProcess({ args: ['--max-checkouts', '4'] }).catch(
      async (err: unknown) => {
        await git.stop();
        throw err;
      },
    );
    const client = createRepoServerClient({
      address: rs.url,
      tls: { kind: 'tls', ...(rs.caPem ? { caPem: rs.caPem } : {}) },
    });
    try {
      const repo = await git.createRepo('bench');
      const files: Record<string, string> = {};
      for (let i = 0; i < FILES; i++)
        files[`dir-app/${String(i).padStart(3, '0')}.yaml`] = manifest(i);
      const base: string[] = [];
      for (let i = 0; i < KUSTOMIZE_RESOURCES; i++) {
        const name = `r${String(i).padStart(2, '0')}.yaml`;
        files[`kustomize/base/${name}`] = manifest(i);
        base.push(name);
      }
      files['kustomize/base/kustomization.yaml'] =
        `resources:\n${base.map((b) => `  - ${b}\n`).join('')}`;
      files['kustomize/overlay/kustomization.yaml'] =
        'resources:\n  - ../base\nnamePrefix: prod-\ncommonLabels:\n  env: prod\nimages:\n  - name: registry.example/app-0\n    newTag: "2.0"\n';
      await repo.write(files);
      await repo.commit('bench fixture');
      const localFiles = Object.keys(files)
        .filter((f) => f.startsWith('dir-app/'))
        .sort()
        .map((f) => join(repo.workDir, f));

      const dirRequest = {
        repo: gitRepo(git, 'bench'),
        applicationSource: { path: 'dir-app', targetRevision: 'main' },
        appName: 'bench',
        namespace: 'default',
      };
      const firstRequestMs = await timeMs(async () => {
        const res = await client.generateManifest(dirRequest);
        if (res.manifests.length !== FILES)
          throw new Error(`expected ${FILES} manifests, got ${res.manifests.length}`);
      });
      ctx.log(
        `first request of the commit (ls-remote, fetch, checkout, symlink walk, render): ${firstRequestMs.toFixed(1)} ms`,
      );

      const floor = (): Promise<number> =>
        timeMs(async () => {
          const texts = await Promise.all(localFiles.map((f) => readFile(f, 'utf8')));
          let n = 0;
          for (const t of texts)
            for (const d of parseAllDocuments(t, { version: '1.1' })) if (d.toJS() !== null) n++;
          if (n !== FILES) throw new Error(`floor parsed ${n} documents`);
        });
      const cold = (): Promise<number> =>
        timeMs(async () => {
          const res = await client.generateManifest({ ...dirRequest, noCache: true });
          if (res.manifests.length !== FILES || res.cached)
            throw new Error('unexpected cold response');
        });
      for (let i = 0; i < 3; i++) {
        await floor();
        await cold();
      }
      const coldRun = await interleave(pairs, floor, cold);
      const coldRatio = median(coldRun.ratios);
      ctx.log(
        `directory cold: median ${median(coldRun.candidate).toFixed(1)} ms vs floor ${median(coldRun.reference).toFixed(1)} ms`,
      );

      const warm: number[] = [];
      const health: number[] = [];
      for (let i = 0; i < 50; i++) {
        await client.generateManifest(dirRequest);
        await client.checkHealth();
      }
      for (let i = 0; i < warmCalls; i++) {
        health.push(await timeMs(() => client.checkHealth()));
        warm.push(
          await timeMs(async () => {
            const res = await client.generateManifest(dirRequest);
            if (!res.cached) throw new Error('expected a cache hit');
          }),
        );
      }
      const warmP50 = percentile(warm, 50);
      const healthP50 = percentile(health, 50);

      const results: BenchResult[] = [
        {
          scenario: 'manifest-gen',
          metric: 'directory-cold',
          value: median(coldRun.candidate),
          unit: 'ms',
          reference: median(coldRun.reference),
          ratio: coldRatio,
          target: '<= 1.5x the in-process read-and-parse floor',
          pass: coldRatio <= 1.5,
          details: {
            files: FILES,
            pairs,
            firstRequestMs: Math.round(firstRequestMs * 10) / 10,
            ratioP25: percentile(coldRun.ratios, 25),
            ratioP75: percentile(coldRun.ratios, 75),
          },
        },
        {
          scenario: 'manifest-gen',
          metric: 'directory-warm-p50',
          value: warmP50,
          unit: 'ms',
          reference: healthP50,
          ratio: warmP50 / healthP50,
          target: 'p50 < 5 ms (reference: gRPC health check p50 on the same TLS connection)',
          pass: warmP50 < 5,
          details: { calls: warmCalls, p90: percentile(warm, 90), p99: percentile(warm, 99) },
        },
      ];

      const tool = (
        await detectTools(
          process.env.PATH ?? '/usr/bin:/bin',
          join(repo.workDir, '..', 'tool-home'),
        )
      ).kustomize;
      if (!tool) {
        ctx.log('kustomize-overhead skipped: neither kustomize nor kubectl is on the PATH');
      } else {
        const kzRequest = {
          repo: gitRepo(git, 'bench'),
          applicationSource: { path: 'kustomize/overlay', targetRevision: 'main' },
          appName: 'bench-kz',
          noCache: true,
        };
        const overlayDir = join(repo.workDir, 'kustomize', 'overlay');
        const raw = (): Promise<number> => kustomizeCommand(tool, overlayDir);
        const viaServer = (): Promise<number> =>
          timeMs(async () => {
            const res = await client.generateManifest(kzRequest);
            if (res.manifests.length !== KUSTOMIZE_RESOURCES)
              throw new Error(
                `expected ${KUSTOMIZE_RESOURCES} resources, got ${res.manifests.length}`,
              );
          });
        for (let i = 0; i < 3; i++) {
          await raw();
          await viaServer();
        }
        const kz = await interleave(pairs, raw, viaServer);
        const kzRatio = median(kz.ratios);
        // the share of the candidate that is the TLS round trip itself (shown, not subtracted)
        const rtt: number[] = [];
        for (let i = 0; i < 50; i++) rtt.push(await timeMs(() => client.checkHealth()));
        results.push({
          scenario: 'manifest-gen',
          metric: 'kustomize-overhead',
          value: median(kz.candidate),
          unit: 'ms',
          reference: median(kz.reference),
          ratio: kzRatio,
          target: `<= 1.10x raw ${tool.display} on the same tree`,
          pass: kzRatio <= 1.1,
          details: {
            resources: KUSTOMIZE_RESOURCES,
            pairs,
            tool: `${tool.display} ${tool.version}`,
            ratioP25: percentile(kz.ratios, 25),
            ratioP75: percentile(kz.ratios, 75),
            healthCheckP50Ms: percentile(rtt, 50),
          },
        });
      }
      return results;
    } finally {
      client.close();
      await rs.stop();
      await git.stop();
    }
  },
};
