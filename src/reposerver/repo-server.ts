/**
 * Assembles a running repo server from resolved options: private runtime directories, the git
 * runner and cache, tool detection, the manifest cache, metrics, the service, the health state and
 * the listener. `close()` stops everything it started and removes the directories it created.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { LruCache } from './cache/manifest-cache.js';
import { GitRunner } from './git/git.js';
import { GitCache } from './git/repo-cache.js';
import { createRepoServerMetrics } from './metrics.js';
import { DEFAULT_MAX_ALIAS_COUNT, DEFAULT_MAX_DOCUMENT_BYTES } from './render/manifests.js';
import { detectTools, type ToolSet } from './render/tools.js';
import { HealthState, listenRepoServer, repoServerRoutes, type RepoServerTls } from './server.js';
import { RepoService, type CachedValue } from './service.js';

export interface RepoServerOptions {
  /** listen address (`--address`); tests pass 127.0.0.1 */
  readonly address: string;
  /** listen port (`--port`, 8081); 0 picks a free port */
  readonly port: number;
  /** TLS material; undefined with `--disable-tls` */
  readonly tls: RepoServerTls | undefined;
  /** `--parallelismlimit`: concurrent manifest generations (0 = unlimited) */
  readonly parallelismLimit: number;
  /** `--max-combined-directory-manifests-size` in bytes */
  readonly maxCombinedDirectoryManifestsBytes: number;
  /** `--allow-oob-symlinks` */
  readonly allowOutOfBoundsSymlinks: boolean;
  /** `--dangerously-allow-file-repos` (tests and local demos only) */
  readonly allowFileRepos: boolean;
  /** `--revision-cache-expiration` */
  readonly revisionCacheTtlMs: number;
  /** `--repo-cache-expiration`: manifests, app details, revision metadata */
  readonly repoCacheTtlMs: number;
  /** `--manifest-cache-size` in bytes */
  readonly manifestCacheMaxBytes: number;
  /** `--exec-timeout`: tools, fetch and checkout */
  readonly execTimeoutMs: number;
  /** `--git-request-timeout`: ls-remote */
  readonly gitRequestTimeoutMs: number;
  /** `--max-tool-output-size` in bytes */
  readonly maxToolOutputBytes: number;
  /** `--max-checkouts`: checkouts kept on disk */
  readonly maxCheckouts: number;
  /** where the git cache lives (`--cache-dir`); a fresh temp directory (removed at close) when unset */
  readonly cacheDir?: string;
  /** the PATH searched for kustomize, kubectl and helm; the process PATH when unset */
  readonly toolSearchPath?: string;
  /** tools to use instead of detecting them (tests) */
  readonly tools?: ToolSet;
}

export interface RepoServerDeps {
  readonly logger: Logger;
  /** metrics are registered here */
  readonly registry: Registry;
}

export interface RepoServerHandle {
  /** `https://127.0.0.1:<port>` (or http:// without TLS) */
  readonly url: string;
  readonly address: string;
  readonly port: number;
  readonly tls: boolean;
  /** the tools found at start */
  readonly tools: ToolSet;
  /** the underlying Node server (TLS hot reload wiring) */
  readonly nodeServer: unknown;
  /** replaces the serving certificate for new handshakes */
  setCertificate(pair: { certPem: string; keyPem: string }): void;
  /** SERVING / NOT_SERVING for the health service */
  setServing(serving: boolean): void;
  /** whether the health service says SERVING */
  serving(): boolean;
  /** stops the server and removes what it created */
  close(): Promise<void>;
}

/** Starts a repo server (see the module comment). */
export async function startRepoServer(
  opts: RepoServerOptions,
  deps: RepoServerDeps,
): Promise<RepoServerHandle> {
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    let cacheDir = opts.cacheDir;
    if (cacheDir === undefined) {
      const created = await mkdtemp(join(tmpdir(), 'argocd-ts-repo-cache-'));
      cacheDir = created;
      cleanups.push(() => rm(created, { recursive: true, force: true }));
    } else {
      await mkdir(cacheDir, { recursive: true, mode: 0o700 });
    }
    // the map from repository to cache directory lives in memory only, so what an earlier process
    // left here can never be found again: start empty
    const workDir = join(cacheDir, 'work');
    await rm(workDir, { recursive: true, force: true });
    await rm(join(cacheDir, 'git'), { recursive: true, force: true });
    await mkdir(workDir, { recursive: true, mode: 0o700 });
    const runner = await GitRunner.create({
      allowFileRepos: opts.allowFileRepos,
      logger: deps.logger,
    });
    cleanups.push(() => runner.close());
    const metrics = createRepoServerMetrics(deps.registry);
    const git = await GitCache.create({
      runner,
      cacheDir: join(cacheDir, 'git'),
      revisionCacheTtlMs: opts.revisionCacheTtlMs,
      lsRemoteTimeoutMs: opts.gitRequestTimeoutMs,
      fetchTimeoutMs: opts.execTimeoutMs,
      maxCheckouts: opts.maxCheckouts,
      logger: deps.logger,
      onGitRequest: (kind, repo) => {
        metrics.gitRequest(repo, kind);
      },
    });
    cleanups.push(() => git.close());
    const tools =
      opts.tools ??
      (await detectTools(
        opts.toolSearchPath ?? process.env.PATH ?? '',
        join(workDir, 'detect-home'),
      ));
    deps.logger.info(
      {
        kustomize: tools.kustomize
          ? `${tools.kustomize.display} ${tools.kustomize.version}`
          : 'not installed',
        helm: tools.helm ? `${tools.helm.display} ${tools.helm.version}` : 'not installed',
      },
      'config management tools',
    );
    const service = new RepoService({
      git,
      tools,
      logger: deps.logger,
      metrics,
      cache: new LruCache<CachedValue>({
        maxBytes: opts.manifestCacheMaxBytes,
        ttlMs: opts.repoCacheTtlMs,
      }),
      settings: {
        allowFileRepos: opts.allowFileRepos,
        allowOutOfBoundsSymlinks: opts.allowOutOfBoundsSymlinks,
        maxCombinedDirectoryManifestsBytes: opts.maxCombinedDirectoryManifestsBytes,
        manifestLimits: {
          maxDocumentBytes: DEFAULT_MAX_DOCUMENT_BYTES,
          maxAliasCount: DEFAULT_MAX_ALIAS_COUNT,
        },
        toolLimits: { timeoutMs: opts.execTimeoutMs, maxOutputBytes: opts.maxToolOutputBytes },
        parallelismLimit: opts.parallelismLimit,
        workDir,
      },
    });
    const health = new HealthState(['repository.RepoServerService']);
    const server = await listenRepoServer(repoServerRoutes(service, health), {
      address: opts.address,
      port: opts.port,
      tls: opts.tls,
      logger: deps.logger,
    });
    let serving = true;
    let closing: Promise<void> | undefined;
    return {
      url: server.url,
      address: server.address,
      port: server.port,
      tls: server.tls,
      tools,
      nodeServer: server.nodeServer,
      setCertificate: (pair) => {
        server.setCertificate(pair);
      },
      setServing: (s) => {
        serving = s;
        health.setServing(s);
      },
      serving: () => serving,
      close: () => {
        closing ??= (async () => {
          serving = false;
          health.setServing(false);
          await server.close();
          await cleanup();
        })();
        return closing;
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
