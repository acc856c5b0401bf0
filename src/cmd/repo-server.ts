/**
 * argocd-repo-server: the composition root. Parses flags (flag > env var > default), loads the
 * serving certificate from the mounted `argocd-repo-server-tls` secret (`tls.crt`, `tls.key`,
 * `ca.crt`) or generates a self-signed pair at each start, turns on mutual TLS when the client CA
 * file exists, starts the service and the metrics endpoint, and stops both on SIGTERM/SIGINT.
 * It holds no Kubernetes credentials and never talks to a cluster.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { pino, type Logger } from 'pino';
import { Registry, collectDefaultMetrics } from 'prom-client';
import {
  ConfigError,
  VERSION,
  bindOptions,
  newProgram,
  repoServerOptionSpecs,
  resolveOptions,
  type ResolvedOptions,
} from '../config/index.js';
import { errorMessage } from '../lib/index.js';
import { listenMetrics, startRepoServer, type RepoServerTls } from '../reposerver/index.js';
import { createSelfSignedCertificate } from '../tls/index.js';
import { describeListenFailure, type ListenTarget } from './listen-error.js';

type Options = ResolvedOptions<typeof repoServerOptionSpecs>;

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`failed to read ${path}: ${errorMessage(err)}`, { cause: err });
  }
}

/** The serving TLS material: mounted files, else a fresh self-signed pair. */
async function loadTls(o: Options, logger: Logger): Promise<RepoServerTls | undefined> {
  if (o.disableTls) {
    logger.warn({ security: 2 }, 'TLS is disabled (--disable-tls): serving plaintext gRPC');
    return undefined;
  }
  const cert = await readOptional(join(o.tlsCertDir, 'tls.crt'));
  const key = await readOptional(join(o.tlsCertDir, 'tls.key'));
  const ca = await readOptional(join(o.tlsCertDir, 'ca.crt'));
  let certPem: string;
  let keyPem: string;
  if (cert !== undefined && key !== undefined) {
    // ca.crt may be an intermediate the leaf needs; a root sent along is ignored by clients
    certPem = ca !== undefined && ca.trim() !== cert.trim() ? `${cert.trimEnd()}\n${ca}` : cert;
    keyPem = key;
    logger.info({ dir: o.tlsCertDir }, 'using the mounted TLS certificate');
  } else {
    if (cert !== undefined || key !== undefined)
      throw new ConfigError(
        `found only one of tls.crt and tls.key in ${o.tlsCertDir}: mount both or neither`,
      );
    const pair = await createSelfSignedCertificate({
      commonName: 'argocd-repo-server',
      organization: 'Argo CD',
      hosts: ['localhost', 'reposerver', 'argocd-repo-server'],
    });
    certPem = pair.certPem;
    keyPem = pair.keyPem;
    logger.info('no TLS certificate mounted: generated a self-signed certificate for this process');
  }
  const clientCaPem = await readOptional(o.clientCaPath);
  if (clientCaPem !== undefined)
    logger.info({ path: o.clientCaPath }, 'mutual TLS: clients must present a certificate');
  const tlsVersion = (v: '1.2' | '1.3'): 'TLSv1.2' | 'TLSv1.3' =>
    v === '1.2' ? 'TLSv1.2' : 'TLSv1.3';
  if (o.tlsMinVersion === '1.3' && o.tlsMaxVersion === '1.2')
    throw new ConfigError('--tlsminversion 1.3 is above --tlsmaxversion 1.2');
  return {
    certPem,
    keyPem,
    ...(clientCaPem !== undefined ? { clientCaPem } : {}),
    minVersion: tlsVersion(o.tlsMinVersion),
    maxVersion: tlsVersion(o.tlsMaxVersion),
    ...(o.tlsCiphers !== undefined ? { ciphers: o.tlsCiphers } : {}),
  };
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (sig: NodeJS.Signals): void => {
      process.off('SIGTERM', on);
      process.off('SIGINT', on);
      resolve(sig);
    };
    process.on('SIGTERM', on);
    process.on('SIGINT', on);
  });
}

/** Runs argocd-repo-server until SIGTERM/SIGINT; returns the exit code. */
export async function runRepoServer(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const program = bindOptions(
    newProgram(
      'argocd-repo-server',
      'Run the repository server: git cache and manifest generation (gRPC, gRPC-Web and Connect on one TLS port). It holds no Kubernetes credentials.',
      VERSION,
    ),
    repoServerOptionSpecs,
  ).exitOverride();
  try {
    program.parse([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  let o: Options;
  try {
    o = resolveOptions(repoServerOptionSpecs, program.opts(), env);
    if (
      o.listen !== undefined &&
      program.getOptionValueSource('address') === 'cli' &&
      o.listen !== o.address
    )
      throw new ConfigError(
        `--listen ${o.listen} and --address ${o.address} disagree: give one of them`,
      );
  } catch (err) {
    process.stderr.write(`argocd-repo-server: ${errorMessage(err)}\n`);
    return 2;
  }
  const address = o.listen ?? o.address;
  const logger = pino({ level: o.logLevel, base: { component: 'argocd-repo-server' } });
  let tls: RepoServerTls | undefined;
  try {
    tls = await loadTls(o, logger);
  } catch (err) {
    process.stderr.write(`argocd-repo-server: ${errorMessage(err)}\n`);
    return 2;
  }
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const targets: ListenTarget[] = [
    { what: 'repo server', address, port: o.port, portFlag: '--port', addressFlag: '--address' },
    {
      what: 'metrics',
      address: o.metricsAddress,
      port: o.metricsPort,
      portFlag: '--metrics-port',
      addressFlag: '--metrics-address',
    },
  ];
  let server: Awaited<ReturnType<typeof startRepoServer>> | undefined;
  let metrics: Awaited<ReturnType<typeof listenMetrics>>;
  try {
    server = await startRepoServer(
      {
        address,
        port: o.port,
        tls,
        parallelismLimit: o.parallelismLimit,
        maxCombinedDirectoryManifestsBytes: o.maxCombinedDirectoryManifestsSize,
        allowOutOfBoundsSymlinks: o.allowOobSymlinks,
        allowFileRepos: o.dangerouslyAllowFileRepos,
        revisionCacheTtlMs: o.revisionCacheExpiration,
        repoCacheTtlMs: o.repoCacheExpiration,
        manifestCacheMaxBytes: o.manifestCacheSize,
        execTimeoutMs: o.execTimeout,
        gitRequestTimeoutMs: o.gitRequestTimeout,
        maxToolOutputBytes: o.maxToolOutputSize,
        maxCheckouts: o.maxCheckouts,
        ...(o.cacheDir !== undefined ? { cacheDir: o.cacheDir } : {}),
      },
      { logger, registry },
    );
    if (o.allowOobSymlinks)
      logger.warn({ security: 2 }, 'out-of-bounds symlinks are allowed (--allow-oob-symlinks)');
    if (o.dangerouslyAllowFileRepos)
      logger.warn(
        { security: 2 },
        'file:// repositories are allowed (--dangerously-allow-file-repos)',
      );
    const serving = server;
    metrics = await listenMetrics(registry, o.metricsAddress, o.metricsPort, () =>
      serving.serving(),
    );
  } catch (err) {
    await server?.close();
    const listen = describeListenFailure(err, targets);
    process.stderr.write(
      `argocd-repo-server: ${listen ?? `failed to start: ${errorMessage(err)}`}\n`,
    );
    return 1;
  }
  logger.info({ address: o.metricsAddress, port: metrics.port }, 'metrics listening');
  const sig = await waitForSignal();
  logger.info({ signal: sig }, 'shutting down');
  await server.close();
  await metrics.close();
  return 0;
}
