/**
 * Certificate sources: where a process gets the certificate it serves or presents, and the CA
 * bundles it trusts, with hot reload. Every source holds one validated value at all times; a new
 * value replaces it only after it parses, its key matches and its keys are strong enough, and only
 * when its content fingerprint differs (so nothing reloads in a loop). A rejected value leaves the
 * old one in place, is logged once with the reason, and is reported as an `invalid` event.
 */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { errorMessage } from '../lib/index.js';
import { TlsError } from './errors.js';
import { FileWatcher, readFiles, type FileContents, type FileWatchOptions } from './file-watch.js';
import { silentLogger, type TlsLogger } from './logger.js';
import {
  validateCaBundle,
  validateCertificatePair,
  type CertificatePair,
  type LoadedCaBundle,
  type LoadedCertificate,
} from './validate.js';

type Listener<T> = ((value: T, previous: T) => void) | ((err: TlsError) => void);

interface Fingerprinted {
  readonly fingerprint: string;
}

/**
 * A value that can change at run time. Contract: `current()` always returns a validated value;
 * `change` fires after the value was replaced (never for equal content); `invalid` fires when a new
 * value was refused (the old one stays). Sources are EventEmitters (`events.once(source, 'change')`).
 */
export interface Reloadable<T extends Fingerprinted> extends EventEmitter {
  current(): T;
  readonly fingerprint: string;
  /** human-readable origin for logs, e.g. "files in /app/config/reposerver/tls" */
  readonly description: string;
  on(event: 'change', listener: (value: T, previous: T) => void): this;
  on(event: 'invalid', listener: (err: TlsError) => void): this;
  off(event: 'change', listener: (value: T, previous: T) => void): this;
  off(event: 'invalid', listener: (err: TlsError) => void): this;
  /** stops watching (file sources); the last value stays readable */
  close(): void;
}

/** A certificate/key pair (and its CA) a process serves or presents. */
export type CertificateSource = Reloadable<LoadedCertificate>;
/** A CA bundle a process trusts (client CA of an mTLS server, server CA of a client). */
export type CaBundleSource = Reloadable<LoadedCaBundle>;

function asTlsError(err: unknown, what: string): TlsError {
  if (err instanceof TlsError) return err;
  return new TlsError('ERR_TLS_FILE', `failed to read ${what}: ${errorMessage(err)}`, {
    cause: err,
  });
}

/** Shared machinery of the sources (internal: not exported from index.ts). */
export abstract class ReloadableBase<T extends Fingerprinted> extends EventEmitter {
  protected value: T;
  readonly description: string;
  protected readonly logger: TlsLogger;
  private lastRejected: string | undefined;

  protected constructor(initial: T, description: string, logger: TlsLogger) {
    super();
    this.value = initial;
    this.description = description;
    this.logger = logger;
  }

  current(): T {
    return this.value;
  }

  override on(event: 'change', listener: (value: T, previous: T) => void): this;
  override on(event: 'invalid', listener: (err: TlsError) => void): this;
  override on(event: 'change' | 'invalid', listener: Listener<T>): this {
    return super.on(event, listener);
  }

  override off(event: 'change', listener: (value: T, previous: T) => void): this;
  override off(event: 'invalid', listener: (err: TlsError) => void): this;
  override off(event: 'change' | 'invalid', listener: Listener<T>): this {
    return super.off(event, listener);
  }

  get fingerprint(): string {
    return this.value.fingerprint;
  }

  close(): void {
    // nothing to stop for in-memory sources
  }

  /** Replaces the value when its content differs; returns whether it did. */
  protected offer(next: T): boolean {
    if (next.fingerprint === this.value.fingerprint) return false;
    const previous = this.value;
    this.value = next;
    this.lastRejected = undefined;
    this.emit('change', next, previous);
    return true;
  }

  /** Reports a refused value once per distinct content (`key`), keeping the current value. */
  protected reject(err: TlsError, key: string): void {
    if (this.lastRejected !== key) {
      this.lastRejected = key;
      this.logger.warn(
        { source: this.description, code: err.code, reason: err.message },
        `tls: refused new certificate material from ${this.description}; still serving the previous one`,
      );
    }
    this.emit('invalid', err);
  }
}

/** A fixed certificate (self-signed fallback, tests). Validated at construction. */
export class StaticCertificateSource
  extends ReloadableBase<LoadedCertificate>
  implements CertificateSource
{
  constructor(pair: CertificatePair, description = 'static certificate') {
    super(validateCertificatePair(pair, description), description, silentLogger);
  }
}

/**
 * A certificate fed from outside (argocd-server feeds it from the `argocd-server-tls` Secret
 * watch). `update` validates like a file reload: a refused pair throws and keeps the old one.
 * @example
 * const source = new MutableCertificateSource(initialPair, 'secret argocd-server-tls', logger);
 * source.update({ certPem, keyPem }); // true when the content changed
 */
export class MutableCertificateSource
  extends ReloadableBase<LoadedCertificate>
  implements CertificateSource
{
  constructor(
    initial: CertificatePair,
    description = 'certificate',
    logger: TlsLogger = silentLogger,
  ) {
    super(validateCertificatePair(initial, description), description, logger);
  }

  /** Validates and installs `pair`; returns false when the content is unchanged; throws TlsError when refused. */
  update(pair: CertificatePair): boolean {
    let next: LoadedCertificate;
    try {
      next = validateCertificatePair(pair, this.description);
    } catch (err) {
      const e = asTlsError(err, this.description);
      this.reject(e, `${pair.certPem}\u0000${pair.keyPem}`);
      throw e;
    }
    const changed = this.offer(next);
    if (changed)
      this.logger.info(
        {
          source: this.description,
          subject: next.leaf.subject,
          notAfter: next.leaf.notAfter.toISOString(),
        },
        'tls: certificate changed; new handshakes use it',
      );
    return changed;
  }
}

/** A fixed CA bundle. */
export class StaticCaBundleSource extends ReloadableBase<LoadedCaBundle> implements CaBundleSource {
  constructor(pem: string, description = 'CA bundle') {
    super(validateCaBundle(pem, description), description, silentLogger);
  }
}

/** Where a FileCertificateSource reads from: a directory with tls.crt/tls.key(/ca.crt), or paths. */
export type CertificateFiles =
  | { readonly dir: string }
  | { readonly certPath: string; readonly keyPath: string; readonly caPath?: string | undefined };

export interface FileSourceOptions extends FileWatchOptions {
  readonly logger?: TlsLogger;
  /**
   * Served when the files do not exist at start-up (Argo CD's repo-server and Dex generate a
   * self-signed certificate then); the files replace it as soon as they appear and validate.
   * Files deleted later never bring it back: the last valid certificate keeps serving.
   */
  readonly fallback?: CertificatePair;
}

function filePaths(files: CertificateFiles): {
  certPath: string;
  keyPath: string;
  caPath: string | undefined;
} {
  if ('dir' in files)
    return {
      certPath: join(files.dir, 'tls.crt'),
      keyPath: join(files.dir, 'tls.key'),
      caPath: join(files.dir, 'ca.crt'),
    };
  return { certPath: files.certPath, keyPath: files.keyPath, caPath: files.caPath };
}

/**
 * A certificate read from files and reloaded when they change (Kubernetes Secret mounts included).
 * Open with `FileCertificateSource.open(...)`; the first load must succeed (or the files must be
 * absent and a `fallback` given), later changes are validated and refused changes keep the old pair.
 * @example
 * const source = await FileCertificateSource.open({ dir: '/app/config/reposerver/tls' }, { logger });
 */
export class FileCertificateSource
  extends ReloadableBase<LoadedCertificate>
  implements CertificateSource
{
  private readonly watcher: FileWatcher;
  private readonly paths: { certPath: string; keyPath: string; caPath: string | undefined };

  private constructor(
    files: CertificateFiles,
    initial: LoadedCertificate,
    initialContents: FileContents,
    options: FileSourceOptions,
  ) {
    const paths = filePaths(files);
    super(initial, `files ${paths.certPath}, ${paths.keyPath}`, options.logger ?? silentLogger);
    this.paths = paths;
    const watched = [paths.certPath, paths.keyPath, ...(paths.caPath ? [paths.caPath] : [])];
    this.watcher = new FileWatcher(
      watched,
      initialContents,
      (contents) => {
        this.apply(contents);
      },
      (err) => {
        this.logger.warn(
          { source: this.description, reason: errorMessage(err) },
          'tls: could not read certificate files; will retry',
        );
      },
      options,
    );
  }

  /** Loads the files (or the fallback when they are absent) and starts watching them. */
  static async open(
    files: CertificateFiles,
    options: FileSourceOptions = {},
  ): Promise<FileCertificateSource> {
    const paths = filePaths(files);
    const what = `certificate ${paths.certPath}`;
    const list = [paths.certPath, paths.keyPath, ...(paths.caPath ? [paths.caPath] : [])];
    let contents: FileContents;
    try {
      contents = await readFiles(list);
    } catch (err) {
      throw asTlsError(err, what);
    }
    const cert = contents.get(paths.certPath);
    const key = contents.get(paths.keyPath);
    const fallback = options.fallback
      ? validateCertificatePair(options.fallback, 'fallback certificate')
      : undefined;
    let initial: LoadedCertificate;
    if (cert === undefined && key === undefined) {
      if (!fallback)
        throw new TlsError(
          'ERR_TLS_FILE',
          `failed to load ${what}: neither ${paths.certPath} nor ${paths.keyPath} exists; mount the TLS secret there or pass other paths`,
        );
      options.logger?.info(
        { certPath: paths.certPath, subject: fallback.leaf.subject },
        'tls: no certificate files yet; serving a generated self-signed certificate until they appear',
      );
      initial = fallback;
    } else if (cert === undefined || key === undefined) {
      throw new TlsError(
        'ERR_TLS_INCOMPLETE_PAIR',
        `failed to load ${what}: ${cert === undefined ? paths.certPath : paths.keyPath} is missing while ${cert === undefined ? paths.keyPath : paths.certPath} exists; provide both files`,
      );
    } else {
      initial = validateCertificatePair(
        {
          certPem: cert,
          keyPem: key,
          caPem: paths.caPath ? contents.get(paths.caPath) : undefined,
        },
        what,
      );
    }
    return new FileCertificateSource(files, initial, contents, options);
  }

  /** Re-reads the files now (normally the watcher does this); resolves when done. */
  async reload(): Promise<void> {
    await this.watcher.check();
  }

  override close(): void {
    this.watcher.close();
  }

  private apply(contents: FileContents): void {
    const { certPath, keyPath, caPath } = this.paths;
    const cert = contents.get(certPath);
    const key = contents.get(keyPath);
    const rejectKey = `${cert ?? ''}\u0000${key ?? ''}\u0000${caPath ? (contents.get(caPath) ?? '') : ''}`;
    if (cert === undefined && key === undefined) {
      // a deleted Secret (or unmounted volume) never replaces a working certificate, not even by the
      // self-signed fallback, which verifying clients would refuse
      this.reject(
        new TlsError(
          'ERR_TLS_FILE',
          `failed to reload ${this.description}: the files were removed; keeping the current certificate`,
        ),
        rejectKey,
      );
      return;
    }
    if (cert === undefined || key === undefined) {
      this.reject(
        new TlsError(
          'ERR_TLS_INCOMPLETE_PAIR',
          `failed to reload ${this.description}: ${cert === undefined ? certPath : keyPath} is missing`,
        ),
        rejectKey,
      );
      return;
    }
    let next: LoadedCertificate;
    try {
      next = validateCertificatePair(
        { certPem: cert, keyPem: key, caPem: caPath ? contents.get(caPath) : undefined },
        `certificate ${certPath}`,
      );
    } catch (err) {
      this.reject(asTlsError(err, this.description), rejectKey);
      return;
    }
    if (this.offer(next))
      this.logger.info(
        {
          source: this.description,
          subject: next.leaf.subject,
          serialNumber: next.leaf.serialNumber,
          notAfter: next.leaf.notAfter.toISOString(),
        },
        'tls: certificate files changed; new handshakes use the new certificate',
      );
  }
}

/**
 * A CA bundle read from a file and reloaded when it changes (the client CA of an mTLS server, the
 * CA a client verifies its server with). A refused or deleted bundle keeps the previous one: trust
 * is never silently dropped.
 */
export class FileCaBundleSource extends ReloadableBase<LoadedCaBundle> implements CaBundleSource {
  private readonly watcher: FileWatcher;

  private constructor(
    path: string,
    initial: LoadedCaBundle,
    contents: FileContents,
    options: FileSourceOptions,
  ) {
    super(initial, `CA file ${path}`, options.logger ?? silentLogger);
    this.watcher = new FileWatcher(
      [path],
      contents,
      (c) => {
        this.apply(c.get(path));
      },
      (err) => {
        this.logger.warn(
          { source: this.description, reason: errorMessage(err) },
          'tls: could not read CA file; will retry',
        );
      },
      options,
    );
  }

  /** Loads the bundle (it must exist and parse) and starts watching it. */
  static async open(path: string, options: FileSourceOptions = {}): Promise<FileCaBundleSource> {
    let contents: FileContents;
    try {
      contents = await readFiles([path]);
    } catch (err) {
      throw asTlsError(err, `CA file ${path}`);
    }
    const pem = contents.get(path);
    if (pem === undefined)
      throw new TlsError('ERR_TLS_FILE', `failed to load CA file ${path}: it does not exist`);
    return new FileCaBundleSource(
      path,
      validateCaBundle(pem, `CA file ${path}`),
      contents,
      options,
    );
  }

  async reload(): Promise<void> {
    await this.watcher.check();
  }

  override close(): void {
    this.watcher.close();
  }

  private apply(pem: string | undefined): void {
    if (pem === undefined) {
      this.reject(
        new TlsError(
          'ERR_TLS_FILE',
          `failed to reload ${this.description}: the file was removed; keeping the previous CA`,
        ),
        '',
      );
      return;
    }
    let next: LoadedCaBundle;
    try {
      next = validateCaBundle(pem, this.description);
    } catch (err) {
      this.reject(asTlsError(err, this.description), pem);
      return;
    }
    if (this.offer(next))
      this.logger.info(
        { source: this.description, certificates: next.certificates.length },
        'tls: CA file changed; new handshakes use it',
      );
  }
}
