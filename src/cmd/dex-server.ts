/**
 * `argocd-dex-server`: the composition root of the bundled OpenID provider. It resolves the flags,
 * connects to Kubernetes, reads argocd-cm / argocd-secret (and Secrets dex.config references),
 * persists signing keys in a Secret, serves the provider on TLS (mounted pair or self-signed, hot
 * reloaded) or plain HTTP with `--disable-tls`, and applies settings changes while running. The
 * provider itself (src/oidc) sees only plain settings and a KeyStore.
 */
import { readFile } from 'node:fs/promises';
import { CommanderError } from 'commander';
import { DEFAULT_NAMESPACE } from '../apis/index.js';
import {
  VERSION,
  bindOptions,
  dexServerOptionSpecs,
  newProgram,
  resolveOptions,
} from '../config/index.js';
import {
  KubeClient,
  inClusterConnection,
  loadKubeconfig,
  type KubeConnection,
} from '../kube/index.js';
import { errorMessage, sanitizeText } from '../lib/index.js';
import { DexServer, listen, type Listener, type OidcLogger } from '../oidc/index.js';
import { SecretKeyStore, readDexSettings, watchCollection } from './dex-server-kube.js';
import { createLogger } from './dex-server-log.js';
import { loadServingCertificate, watchServingCertificate } from './dex-server-tls.js';
import { describeListenFailure } from './listen-error.js';

export interface DexServerRunDeps {
  readonly env?: NodeJS.ProcessEnv;
  /** aborting stops the server (tests); otherwise SIGTERM/SIGINT do */
  readonly signal?: AbortSignal;
  readonly stdout?: { write(s: string): unknown };
  readonly stderr?: { write(s: string): unknown };
}

const RELOAD_DEBOUNCE_MS = 300;

function connection(kubeconfig: string | undefined, env: NodeJS.ProcessEnv): KubeConnection {
  if (kubeconfig !== undefined) return loadKubeconfig(kubeconfig, undefined, env);
  return inClusterConnection(env) ?? loadKubeconfig(undefined, undefined, env);
}

/**
 * The client CA when its file exists (mutual TLS becomes mandatory), else undefined. A file that
 * exists but holds no certificate is an error: serving without the client check would be a
 * silent downgrade.
 */
async function readClientCa(path: string, log: OidcLogger): Promise<string | undefined> {
  let pem: string;
  try {
    pem = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new Error(`failed to read the client CA ${path}: it holds no PEM certificate`);
  log.info({ path }, 'mutual TLS: clients must present a certificate');
  return pem;
}

/** Runs argocd-dex-server until a signal; returns the exit code. */
export async function run(argv: readonly string[], deps: DexServerRunDeps = {}): Promise<number> {
  const env = deps.env ?? process.env;
  const stdout = deps.stdout ?? process.stdout;
  const stderr = deps.stderr ?? process.stderr;
  const specs = dexServerOptionSpecs();
  const program = bindOptions(
    newProgram(
      'argocd-dex-server',
      'The bundled OpenID Connect provider of Argo CD (issuer <url>/api/dex), configured by argocd-cm dex.config',
      VERSION,
    ),
    specs,
  )
    .exitOverride()
    .configureOutput({
      writeOut: (s) => stdout.write(s),
      writeErr: (s) => stderr.write(s),
    });
  try {
    program.parse([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  let options: ReturnType<typeof resolveOptions<typeof specs>>;
  try {
    options = resolveOptions(specs, program.opts(), env);
  } catch (err) {
    stderr.write(`argocd-dex-server: ${errorMessage(err)}\n`);
    return 2;
  }
  const log: OidcLogger = createLogger(options.logLevel, options.logFormat, stderr);

  let kube: KubeClient;
  let namespace: string;
  try {
    const conn = connection(options.kubeconfig, env);
    kube = new KubeClient(conn, { userAgent: `argocd-dex-server/${VERSION}` });
    namespace = options.namespace ?? conn.namespace ?? DEFAULT_NAMESPACE;
  } catch (err) {
    log.error({ err: sanitizeText(errorMessage(err)) }, 'failed to connect to Kubernetes');
    return 1;
  }

  const stop = new AbortController();
  const onSignal = (): void => {
    stop.abort();
  };
  if (deps.signal) deps.signal.addEventListener('abort', onSignal, { once: true });
  else {
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  let listener: Listener | undefined;
  let dex: DexServer | undefined;
  let stopCertWatch: (() => void) | undefined;
  try {
    const loaded = await readDexSettings(kube, namespace);
    for (const w of loaded.warnings) log.warn({}, w);
    let secretNames = loaded.secretNames;

    const tls = options.disableTls
      ? undefined
      : await loadServingCertificate(options.tlsDir, namespace, log);
    if (options.disableTls)
      log.warn(
        {},
        'TLS is disabled (--disable-tls): serve this only behind a TLS-terminating proxy',
      );
    else if (tls?.origin === 'self-signed')
      log.info(
        { dir: options.tlsDir },
        'no certificate mounted: serving a new self-signed certificate',
      );

    // mutual TLS when the client CA is mounted (Argo CD's rule for --client-ca-path)
    const clientCaPem =
      tls === undefined ? undefined : await readClientCa(options.clientCaPath, log);
    listener = await listen(
      (_req, res) => {
        res.statusCode = 503;
        res.end();
      },
      {
        host: options.address,
        port: options.port,
        ...(tls === undefined ? {} : { certificate: tls.certificate }),
        ...(clientCaPem === undefined ? {} : { clientCaPem }),
      },
    );
    dex = await DexServer.create(loaded.settings, {
      keyStore: new SecretKeyStore(kube, namespace, options.keysSecret),
      logger: log,
      keyCheckIntervalMs: options.keyCheckIntervalMs,
    });
    listener.setHandler(dex.handler);
    dex.start();
    const running = dex;
    const serving = listener;
    if (tls?.origin === 'mounted')
      stopCertWatch = watchServingCertificate(
        options.tlsDir,
        tls.fingerprint,
        options.tlsReloadIntervalMs,
        (certificate) => {
          serving.setCertificate(certificate);
        },
        log,
      );
    log.info(
      {
        url: listener.url,
        issuer: running.issuer,
        namespace,
        keysSecret: options.keysSecret,
        tls: tls?.origin ?? 'disabled',
        mutualTls: clientCaPem !== undefined,
      },
      'argocd-dex-server is serving',
    );

    // settings changes: reload (debounced); a failed reload keeps the running configuration
    let timer: NodeJS.Timeout | undefined;
    const reload = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      timer = setTimeout(() => {
        readDexSettings(kube, namespace)
          .then(async (next) => {
            secretNames = next.secretNames;
            for (const w of next.warnings) log.warn({}, w);
            await running.update(next.settings);
            log.info({ issuer: running.issuer }, 'settings reloaded');
          })
          .catch((err: unknown) => {
            log.error(
              { err: sanitizeText(errorMessage(err)) },
              'failed to apply the new settings; the previous configuration stays in force',
            );
          });
      }, RELOAD_DEBOUNCE_MS);
      timer.unref();
    };
    // Every (re)list reloads too: a change made between the first read and the start of the
    // watch is not missed, and the extra rebuild costs a few milliseconds.
    const watches = [
      watchCollection(
        kube,
        {
          ref: { group: '', version: 'v1', resource: 'configmaps', namespace },
          fieldSelector: 'metadata.name=argocd-cm',
        },
        reload,
        stop.signal,
        log,
      ),
      watchCollection(
        kube,
        { ref: { group: '', version: 'v1', resource: 'secrets', namespace } },
        (name) => {
          if (name === undefined) reload();
          else if (name === options.keysSecret) {
            running.syncKeys().catch((err: unknown) => {
              log.error({ err: errorMessage(err) }, 'failed to reload the signing keys');
            });
          } else if (secretNames.has(name)) reload();
        },
        stop.signal,
        log,
      ),
    ];

    await new Promise<void>((resolve) => {
      if (stop.signal.aborted) resolve();
      else
        stop.signal.addEventListener(
          'abort',
          () => {
            resolve();
          },
          { once: true },
        );
    });
    log.info({}, 'shutting down');
    if (timer !== undefined) clearTimeout(timer);
    await Promise.all(watches);
    return 0;
  } catch (err) {
    const listen = describeListenFailure(err, [
      {
        what: 'OIDC provider',
        address: options.address,
        port: options.port,
        portFlag: '--port',
        addressFlag: '--address',
      },
    ]);
    log.error({ err: sanitizeText(listen ?? errorMessage(err)) }, 'argocd-dex-server cannot start');
    if (listen !== undefined) stderr.write(`argocd-dex-server: ${listen}\n`);
    return 1;
  } finally {
    stopCertWatch?.();
    dex?.close();
    await listener?.close();
    kube.close();
    if (!deps.signal) {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    }
  }
}
