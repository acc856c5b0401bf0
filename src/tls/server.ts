/**
 * Server side: Node TLS options for `tls`, `https` and `http2` servers from a certificate source,
 * the resolved `--tls*` settings and an optional client CA (which makes client certificates
 * mandatory), plus hot reload through `server.setSecureContext` (an SNICallback alone would miss
 * clients that connect by IP and send no SNI).
 */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import type { SecureContextOptions, Server as TlsServer, TlsOptions } from 'node:tls';
import { errorMessage } from '../lib/index.js';
import { createComponentSelfSigned, type ServingComponent } from './components.js';
import type { KeyAlgorithm } from './certs.js';
import { silentLogger, type TlsLogger } from './logger.js';
import { resolveTlsSettings, suitesForKey, type TlsSettings } from './settings.js';
import {
  FileCaBundleSource,
  FileCertificateSource,
  type CaBundleSource,
  type CertificateFiles,
  type CertificateSource,
} from './sources.js';
import type { FileWatchOptions } from './file-watch.js';

export interface ServerTlsOptions {
  /** the certificate this server presents */
  readonly source: CertificateSource;
  /** resolved `--tlsminversion/--tlsmaxversion/--tlsciphers`; defaults to resolveTlsSettings() */
  readonly settings?: TlsSettings;
  /** when set, every client must present a certificate issued by this CA (mutual TLS) */
  readonly clientCa?: CaBundleSource | undefined;
  /**
   * more trusted client-certificate issuers held in memory, e.g. the ephemeral CA of the process's
   * own health-check client (Argo CD's repo-server does this for its liveness probe)
   */
  readonly extraClientCaPems?: readonly string[];
  /** ALPN protocols to offer (e.g. ['h2', 'http/1.1']) */
  readonly alpnProtocols?: readonly string[];
  readonly logger?: TlsLogger;
  /** close() also closes `source` and `clientCa` (when this ServerTls created them) */
  readonly ownsSources?: boolean;
}

/**
 * The TLS side of one server: builds Node options from the current certificate, settings and client
 * CA, and emits `change` when the certificate or client CA changed (attachHotReload listens).
 */
export class ServerTls extends EventEmitter {
  readonly source: CertificateSource;
  readonly settings: TlsSettings;
  readonly clientCa: CaBundleSource | undefined;
  private readonly extraClientCaPems: readonly string[];
  private readonly alpnProtocols: readonly string[] | undefined;
  private readonly logger: TlsLogger;
  private readonly ownsSources: boolean;
  private readonly onSourceChange = (): void => {
    this.checkCiphersFitKey();
    this.emit('change');
  };

  constructor(options: ServerTlsOptions) {
    super();
    this.source = options.source;
    this.settings = options.settings ?? resolveTlsSettings();
    this.clientCa = options.clientCa;
    this.extraClientCaPems = options.extraClientCaPems ?? [];
    this.alpnProtocols = options.alpnProtocols;
    this.logger = options.logger ?? silentLogger;
    this.ownsSources = options.ownsSources ?? false;
    if (this.extraClientCaPems.length > 0 && !this.clientCa)
      throw new TypeError('ServerTls: extraClientCaPems needs a clientCa (mutual TLS)');
    this.source.on('change', this.onSourceChange);
    this.clientCa?.on('change', this.onSourceChange);
    this.checkCiphersFitKey();
  }

  /** True when client certificates are mandatory. */
  get mutualTls(): boolean {
    return this.clientCa !== undefined;
  }

  /** The options `server.setSecureContext()` takes: certificate, key, client CA, versions, ciphers. */
  secureContextOptions(): SecureContextOptions {
    const cert = this.source.current();
    const out: SecureContextOptions = {
      cert: cert.certPem,
      key: cert.keyPem,
      minVersion: this.settings.nodeMinVersion,
      maxVersion: this.settings.nodeMaxVersion,
      ciphers: this.settings.ciphers,
      honorCipherOrder: true,
    };
    if (this.clientCa) out.ca = [this.clientCa.current().pem, ...this.extraClientCaPems];
    return out;
  }

  /**
   * Options for `tls.createServer`, `https.createServer` or `http2.createSecureServer`; merge your
   * own (e.g. `allowHTTP1`) over them.
   * @example
   * const server = https.createServer(serverTls.serverOptions(), handler);
   * attachHotReload(server, serverTls);
   */
  serverOptions(): TlsOptions {
    const out: TlsOptions = {
      ...this.secureContextOptions(),
      requestCert: this.mutualTls,
      rejectUnauthorized: this.mutualTls,
    };
    if (this.alpnProtocols) out.ALPNProtocols = [...this.alpnProtocols];
    return out;
  }

  /** Stops listening to the sources (and closes them when it owns them). */
  close(): void {
    this.source.off('change', this.onSourceChange);
    this.clientCa?.off('change', this.onSourceChange);
    if (this.ownsSources) {
      this.source.close();
      this.clientCa?.close();
    }
  }

  private checkCiphersFitKey(): void {
    if (this.settings.minVersion === '1.3') return;
    const keyType = this.source.current().leaf.keyType;
    if (keyType !== 'ec' && keyType !== 'rsa') return;
    if (suitesForKey(this.settings, keyType).length === 0)
      this.logger.warn(
        { keyType, ciphers: this.settings.cipherSuites.map((s) => s.name).join(':') },
        `tls: --tlsciphers has no TLS 1.2 suite for an ${keyType === 'ec' ? 'ECDSA' : 'RSA'} certificate, so TLS 1.2 clients cannot connect; add a TLS_ECDHE_${keyType === 'ec' ? 'ECDSA' : 'RSA'}_* suite`,
      );
  }
}

/** Builds a ServerTls (see ServerTlsOptions). */
export function createServerTls(options: ServerTlsOptions): ServerTls {
  return new ServerTls(options);
}

/**
 * Keeps `server` serving the current certificate: on every change of the certificate or the client
 * CA it installs a new secure context, which the next handshake uses; connections already open keep
 * theirs. Returns a function that detaches.
 * @example
 * const detach = attachHotReload(server, serverTls, logger);
 * server.on('close', detach);
 */
export function attachHotReload(
  server: Pick<TlsServer, 'setSecureContext'>,
  serverTls: ServerTls,
  logger: TlsLogger = silentLogger,
): () => void {
  const onChange = (): void => {
    try {
      server.setSecureContext(serverTls.secureContextOptions());
      const leaf = serverTls.source.current().leaf;
      logger.info(
        {
          subject: leaf.subject,
          serialNumber: leaf.serialNumber,
          notAfter: leaf.notAfter.toISOString(),
        },
        'tls: certificate modified; reloaded without restart',
      );
    } catch (err) {
      // the material was validated before, so this is unexpected; the previous context stays
      logger.error(
        { reason: errorMessage(err) },
        'tls: failed to install the new certificate; still serving the previous one',
      );
    }
  };
  serverTls.on('change', onChange);
  return () => {
    serverTls.off('change', onChange);
  };
}

export interface ComponentServerTlsOptions extends FileWatchOptions {
  readonly component: ServingComponent;
  readonly namespace: string;
  /** where the component's TLS secret is mounted (tls.crt, tls.key, ca.crt), or explicit paths */
  readonly files: CertificateFiles;
  /**
   * `--client-ca-path`: when this file exists, client certificates are mandatory (Argo CD's rule);
   * when it does not, the server runs without mTLS and says so in the log
   */
  readonly clientCaPath?: string | undefined;
  readonly settings?: TlsSettings;
  readonly keyAlgorithm?: KeyAlgorithm;
  readonly alpnProtocols?: readonly string[];
  readonly extraClientCaPems?: readonly string[];
  readonly logger?: TlsLogger;
}

/**
 * What every serving component does at start-up: read its certificate from the mounted secret (or
 * serve a self-signed one for its service names until the secret appears), enable mandatory mTLS
 * when the client CA file exists, and hot-reload both.
 * @example
 * const serverTls = await loadComponentServerTls({
 *   component: 'argocd-repo-server', namespace: 'argocd',
 *   files: { dir: '/app/config/reposerver/tls' }, clientCaPath: opts.clientCaPath, settings, logger,
 * });
 */
export async function loadComponentServerTls(
  options: ComponentServerTlsOptions,
): Promise<ServerTls> {
  const logger = options.logger ?? silentLogger;
  const watch: FileWatchOptions = {
    ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
    ...(options.debounceMs !== undefined ? { debounceMs: options.debounceMs } : {}),
  };
  const fallback = await createComponentSelfSigned({
    component: options.component,
    namespace: options.namespace,
    ...(options.keyAlgorithm ? { keyAlgorithm: options.keyAlgorithm } : {}),
  });
  const source = await FileCertificateSource.open(options.files, { ...watch, logger, fallback });
  let clientCa: CaBundleSource | undefined;
  if (options.clientCaPath && existsSync(options.clientCaPath)) {
    clientCa = await FileCaBundleSource.open(options.clientCaPath, { ...watch, logger });
    logger.info(
      { clientCaPath: options.clientCaPath },
      'tls: client CA found; client certificates are mandatory (mutual TLS)',
    );
  } else if (options.clientCaPath) {
    logger.info(
      { clientCaPath: options.clientCaPath },
      'tls: no client CA file; clients connect without certificates',
    );
  }
  return createServerTls({
    source,
    clientCa,
    logger,
    ownsSources: true,
    ...(options.settings ? { settings: options.settings } : {}),
    ...(options.alpnProtocols ? { alpnProtocols: options.alpnProtocols } : {}),
    ...(options.extraClientCaPems ? { extraClientCaPems: options.extraClientCaPems } : {}),
  });
}
