/**
 * Client side of the links between components (argocd-server and the application controller to
 * the repo server; argocd-server to Dex), with Argo CD's modes and ours:
 *
 * | mode          | chosen when                                   | verifies the server against             |
 * |---------------|-----------------------------------------------|-----------------------------------------|
 * | `plaintext`   | `--<link>-plaintext`                          | nothing: no TLS                         |
 * | `ca-cert`     | `--<link>-ca-cert-path <file>`                | that file                               |
 * | `strict`      | `--<link>-strict-tls`                         | `ca.crt` + `tls.crt` of the mounted secret |
 * | `internal-ca` | no flag, and `<internal-tls-dir>/ca.crt` exists | the internal CA of `argocd admin tls init` |
 * | `insecure`    | no flag, no internal CA (Argo CD's default)   | nothing: encrypted, not verified        |
 *
 * A client certificate is presented whatever the mode (except plaintext): the one named by
 * `--<link>-client-cert-path/-key-path`, else Argo CD's default files when present, else the
 * internal PKI's `tls.crt`/`tls.key`. The mode is decided once at start-up (trust is never
 * downgraded at run time); the files it uses are watched and reloaded, so a rotated client
 * certificate or CA is used by the next connection.
 */
import { readFileSync, existsSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { ConnectionOptions, SecureVersion } from 'node:tls';
import type { DexServerClientOptions, RepoServerClientOptions } from '../config/index.js';
import { errorMessage } from '../lib/index.js';
import { TlsError } from './errors.js';
import { FileWatcher, readFiles, type FileContents, type FileWatchOptions } from './file-watch.js';
import { silentLogger, type TlsLogger } from './logger.js';
import { DefaultTlsPaths } from './paths.js';
import { nodeTlsVersion, parseTlsVersion } from './settings.js';
import { ReloadableBase, type Reloadable } from './sources.js';
import {
  contentFingerprint,
  validateCaBundle,
  validateCertificatePair,
  type CertificateInfo,
} from './validate.js';

/** The link a client configuration is for; it names the flags in messages. */
export type ClientLink = 'repo-server' | 'dex-server';

export type ClientTlsMode = 'plaintext' | 'insecure' | 'strict' | 'ca-cert' | 'internal-ca';
/** Where the client certificate came from. */
export type ClientCertOrigin = 'flag' | 'default-path' | 'internal';

export interface ClientTlsOptions {
  readonly link: ClientLink;
  /** `--<link>-plaintext` */
  readonly plaintext?: boolean;
  /** `--<link>-strict-tls` (deprecated in Argo CD in favour of the CA path) */
  readonly strictTls?: boolean;
  /** `--<link>-ca-cert-path` */
  readonly caCertPath?: string | undefined;
  /** `--<link>-client-cert-path` */
  readonly clientCertPath?: string | undefined;
  /** `--<link>-client-cert-key-path` */
  readonly clientCertKeyPath?: string | undefined;
  /**
   * where this process mounts the server's TLS secret for strict mode; default per link for
   * argocd-server (`/app/config/server/tls`, `/app/config/dex/tls`); the controller passes
   * `/app/config/controller/tls`
   */
  readonly strictTlsDir?: string;
  /**
   * client certificate files used when present and no flag names others (Argo CD's
   * `/app/config/reposerver/mtls/client.{crt,key}` for the repo-server link); `null` disables
   */
  readonly defaultClientCert?: { readonly certPath: string; readonly keyPath: string } | null;
  /** the internal PKI mount (ca.crt, tls.crt, tls.key); `null` disables the internal-CA default */
  readonly internalTlsDir?: string | null;
  /** the name to verify and send as SNI (the host of the address); IPs are verified as IP SANs */
  readonly serverName?: string | undefined;
  /** TLS versions the client offers (default 1.2 to 1.3) */
  readonly minVersion?: string;
  readonly maxVersion?: string;
}

interface ClientTlsCommon {
  /** SHA-256 over the material in use; equal content, equal fingerprint */
  readonly fingerprint: string;
}

export interface PlaintextClientTls extends ClientTlsCommon {
  readonly mode: 'plaintext';
}

export interface ClientCertificateInUse {
  readonly origin: ClientCertOrigin;
  readonly certPath: string;
  readonly keyPath: string;
  readonly leaf: CertificateInfo;
}

export interface TlsClientTls extends ClientTlsCommon {
  readonly mode: Exclude<ClientTlsMode, 'plaintext'>;
  /** false only in `insecure` mode */
  readonly rejectUnauthorized: boolean;
  /** trusted CA bundle (PEM) when verifying */
  readonly ca?: string;
  /** files the CA bundle was read from */
  readonly caPaths: readonly string[];
  /** the trusted certificates (for expiry metrics) */
  readonly caCertificates: readonly CertificateInfo[];
  /** client certificate chain and key (PEM) when one is presented */
  readonly cert?: string;
  readonly key?: string;
  readonly clientCertificate?: ClientCertificateInUse;
  readonly servername?: string;
  readonly minVersion: SecureVersion;
  readonly maxVersion: SecureVersion;
}

/** What a client uses for one connection. */
export type ClientTlsConfig = PlaintextClientTls | TlsClientTls;

interface FlagNames {
  plaintext: string;
  strict: string;
  caPath: string;
  certPath: string;
  keyPath: string;
}

function flags(link: ClientLink): FlagNames {
  return {
    plaintext: `--${link}-plaintext`,
    strict: `--${link}-strict-tls`,
    caPath: `--${link}-ca-cert-path`,
    certPath: `--${link}-client-cert-path`,
    keyPath: `--${link}-client-cert-key-path`,
  };
}

function defaultStrictDir(link: ClientLink): string {
  return link === 'repo-server'
    ? DefaultTlsPaths.serverRepoServerTlsDir
    : DefaultTlsPaths.serverDexServerTlsDir;
}

function defaultClientCert(link: ClientLink): { certPath: string; keyPath: string } | null {
  return link === 'repo-server'
    ? {
        certPath: DefaultTlsPaths.repoServerClientCertPath,
        keyPath: DefaultTlsPaths.repoServerClientCertKeyPath,
      }
    : null;
}

const nonEmpty = (s: string | undefined): s is string => s !== undefined && s.trim() !== '';

/** The decision of resolveClientTls before any file is read: mode and which files to use. */
export interface ClientTlsPlan {
  readonly link: ClientLink;
  readonly mode: ClientTlsMode;
  /** CA files, in order; in strict mode a missing one is skipped if the other exists */
  readonly caPaths: readonly string[];
  readonly clientCert?: {
    readonly origin: ClientCertOrigin;
    readonly certPath: string;
    readonly keyPath: string;
  };
  readonly servername?: string;
  readonly minVersion: SecureVersion;
  readonly maxVersion: SecureVersion;
  /** why this mode was chosen (for the start-up log line) */
  readonly reason: string;
}

/**
 * Decides the mode and files from the flags and what exists on disk. Throws TlsError
 * (ERR_TLS_INVALID_OPTION naming the flags) for conflicting or incomplete flags.
 */
export function planClientTls(
  options: ClientTlsOptions,
  exists: (path: string) => boolean = existsSync,
): ClientTlsPlan {
  const f = flags(options.link);
  const min = parseTlsVersion(
    options.minVersion ?? '1.2',
    `the ${options.link} client's minimum TLS version`,
  );
  const max = parseTlsVersion(
    options.maxVersion ?? '1.3',
    `the ${options.link} client's maximum TLS version`,
  );
  const base = {
    link: options.link,
    minVersion: nodeTlsVersion(min),
    maxVersion: nodeTlsVersion(max),
  };
  const explicitCa = nonEmpty(options.caCertPath) ? options.caCertPath : undefined;
  const explicitCert = nonEmpty(options.clientCertPath) ? options.clientCertPath : undefined;
  const explicitKey = nonEmpty(options.clientCertKeyPath) ? options.clientCertKeyPath : undefined;

  if (options.plaintext) {
    const conflicting = [
      options.strictTls ? f.strict : undefined,
      explicitCa ? f.caPath : undefined,
      explicitCert ? f.certPath : undefined,
      explicitKey ? f.keyPath : undefined,
    ].filter(nonEmpty);
    if (conflicting.length > 0)
      throw new TlsError(
        'ERR_TLS_INVALID_OPTION',
        `failed to configure the ${options.link} connection: ${f.plaintext} disables TLS, so ${conflicting.join(' and ')} cannot be used with it; remove one of them`,
      );
    return { ...base, mode: 'plaintext', caPaths: [], reason: `${f.plaintext} is set` };
  }
  if ((explicitCert === undefined) !== (explicitKey === undefined))
    throw new TlsError(
      'ERR_TLS_INVALID_OPTION',
      `failed to configure the ${options.link} connection: ${explicitCert ? f.certPath : f.keyPath} is set but ${explicitCert ? f.keyPath : f.certPath} is not; give both or neither`,
    );

  const internalDir =
    options.internalTlsDir === null
      ? undefined
      : (options.internalTlsDir ?? DefaultTlsPaths.internalTlsDir);
  const internalCa = internalDir ? join(internalDir, 'ca.crt') : undefined;

  let mode: Exclude<ClientTlsMode, 'plaintext'>;
  let caPaths: string[];
  let reason: string;
  if (explicitCa) {
    mode = 'ca-cert';
    caPaths = [explicitCa];
    reason = `${f.caPath} is set${options.strictTls ? ` (it takes precedence over ${f.strict})` : ''}`;
    if (!exists(explicitCa))
      throw new TlsError(
        'ERR_TLS_FILE',
        `failed to configure the ${options.link} connection: ${f.caPath} ${explicitCa} does not exist`,
      );
  } else if (options.strictTls) {
    const dir = options.strictTlsDir ?? defaultStrictDir(options.link);
    caPaths = [join(dir, 'ca.crt'), join(dir, 'tls.crt')];
    mode = 'strict';
    reason = `${f.strict} is set`;
    if (!caPaths.some((p) => exists(p)))
      throw new TlsError(
        'ERR_TLS_FILE',
        `failed to configure the ${options.link} connection: ${f.strict} is set but neither ${caPaths.join(' nor ')} exists; mount the argocd-${options.link}-tls secret at ${dir} or use ${f.caPath}`,
      );
  } else if (internalCa && exists(internalCa)) {
    mode = 'internal-ca';
    caPaths = [internalCa];
    reason = `the internal CA is installed (${internalCa})`;
  } else {
    mode = 'insecure';
    caPaths = [];
    reason = `no ${f.caPath}, ${f.strict} or internal CA (${internalCa ?? 'disabled'})`;
  }

  let clientCert: ClientTlsPlan['clientCert'];
  if (explicitCert && explicitKey) {
    for (const [flag, path] of [
      [f.certPath, explicitCert],
      [f.keyPath, explicitKey],
    ] as const)
      if (!exists(path))
        throw new TlsError(
          'ERR_TLS_FILE',
          `failed to configure the ${options.link} connection: ${flag} ${path} does not exist`,
        );
    clientCert = { origin: 'flag', certPath: explicitCert, keyPath: explicitKey };
  } else {
    const argoDefault =
      options.defaultClientCert === undefined
        ? defaultClientCert(options.link)
        : options.defaultClientCert;
    if (argoDefault && exists(argoDefault.certPath) && exists(argoDefault.keyPath))
      clientCert = { origin: 'default-path', ...argoDefault };
    else if (
      internalDir &&
      exists(join(internalDir, 'tls.crt')) &&
      exists(join(internalDir, 'tls.key'))
    )
      clientCert = {
        origin: 'internal',
        certPath: join(internalDir, 'tls.crt'),
        keyPath: join(internalDir, 'tls.key'),
      };
  }
  const servername =
    nonEmpty(options.serverName) && isIP(options.serverName) === 0 ? options.serverName : undefined;
  return {
    ...base,
    mode,
    caPaths,
    reason,
    ...(clientCert ? { clientCert } : {}),
    ...(servername ? { servername } : {}),
  };
}

/** Every file a plan reads (the watch list). */
export function planFiles(plan: ClientTlsPlan): string[] {
  return [
    ...plan.caPaths,
    ...(plan.clientCert ? [plan.clientCert.certPath, plan.clientCert.keyPath] : []),
  ];
}

/** Builds the configuration from a plan and the files' contents; throws TlsError on bad material. */
export function buildClientTls(plan: ClientTlsPlan, contents: FileContents): ClientTlsConfig {
  if (plan.mode === 'plaintext')
    return { mode: 'plaintext', fingerprint: contentFingerprint(['plaintext']) };
  const caParts: string[] = [];
  const usedCaPaths: string[] = [];
  for (const p of plan.caPaths) {
    const pem = contents.get(p);
    if (pem === undefined) {
      if (plan.mode !== 'strict')
        throw new TlsError('ERR_TLS_FILE', `failed to read CA file ${p}: it does not exist`);
      continue;
    }
    caParts.push(pem.endsWith('\n') ? pem : `${pem}\n`);
    usedCaPaths.push(p);
  }
  if (plan.mode !== 'insecure' && caParts.length === 0)
    throw new TlsError(
      'ERR_TLS_FILE',
      `failed to read the CA for the ${plan.link} connection: none of ${plan.caPaths.join(', ')} exists`,
    );
  const ca = caParts.length > 0 ? caParts.join('') : undefined;
  const caBundle = ca
    ? validateCaBundle(ca, `CA for the ${plan.link} connection (${usedCaPaths.join(', ')})`)
    : undefined;

  let clientCertificate: ClientCertificateInUse | undefined;
  let cert: string | undefined;
  let key: string | undefined;
  if (plan.clientCert) {
    const { certPath, keyPath, origin } = plan.clientCert;
    cert = contents.get(certPath);
    key = contents.get(keyPath);
    if (cert === undefined || key === undefined)
      throw new TlsError(
        'ERR_TLS_INCOMPLETE_PAIR',
        `failed to read the client certificate for the ${plan.link} connection: ${cert === undefined ? certPath : keyPath} does not exist`,
      );
    const loaded = validateCertificatePair(
      { certPem: cert, keyPem: key },
      `client certificate ${certPath}`,
    );
    clientCertificate = { origin, certPath, keyPath, leaf: loaded.leaf };
  }
  return {
    mode: plan.mode,
    rejectUnauthorized: plan.mode !== 'insecure',
    caPaths: usedCaPaths,
    caCertificates: caBundle ? caBundle.certificates : [],
    minVersion: plan.minVersion,
    maxVersion: plan.maxVersion,
    fingerprint: contentFingerprint([plan.mode, ca, cert, key, plan.servername]),
    ...(ca ? { ca } : {}),
    ...(cert && key ? { cert, key } : {}),
    ...(clientCertificate ? { clientCertificate } : {}),
    ...(plan.servername ? { servername: plan.servername } : {}),
  };
}

function readSync(paths: readonly string[]): FileContents {
  const out = new Map<string, string | undefined>();
  for (const p of paths) {
    try {
      out.set(p, readFileSync(p, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') out.set(p, undefined);
      else
        throw new TlsError('ERR_TLS_FILE', `failed to read ${p}: ${errorMessage(err)}`, {
          cause: err,
        });
    }
  }
  return out;
}

/**
 * Resolves the client TLS configuration once (reads the files now). Use ClientTlsSource when the
 * process runs long enough to see certificates rotate.
 * @example
 * const cfg = resolveClientTls({ link: 'repo-server', caCertPath: opts.repoServerCaCertPath });
 * if (cfg.mode !== 'plaintext') tls.connect({ host, port, ...clientConnectionOptions(cfg) });
 */
export function resolveClientTls(
  options: ClientTlsOptions,
  exists: (path: string) => boolean = existsSync,
): ClientTlsConfig {
  const plan = planClientTls(options, exists);
  return buildClientTls(plan, readSync(planFiles(plan)));
}

/**
 * Node connection options (`tls.connect`, `https.request`, `http2.connect`) for a configuration;
 * undefined for plaintext.
 */
export function clientConnectionOptions(cfg: ClientTlsConfig): ConnectionOptions | undefined {
  if (cfg.mode === 'plaintext') return undefined;
  const out: ConnectionOptions = {
    rejectUnauthorized: cfg.rejectUnauthorized,
    minVersion: cfg.minVersion,
    maxVersion: cfg.maxVersion,
  };
  if (cfg.ca !== undefined) out.ca = cfg.ca;
  if (cfg.cert !== undefined && cfg.key !== undefined) {
    out.cert = cfg.cert;
    out.key = cfg.key;
  }
  if (cfg.servername !== undefined) out.servername = cfg.servername;
  return out;
}

export interface ClientTlsSourceOptions extends FileWatchOptions {
  readonly logger?: TlsLogger;
  /** for tests: decides whether a path exists */
  readonly exists?: (path: string) => boolean;
}

/**
 * The client configuration of one link, kept current: the mode is fixed at start-up, the CA and
 * client certificate files are watched, and each new connection should take `connectionOptions()`
 * (or listen to `change` and rebuild its connection pool) so a rotated certificate is used without a
 * restart. Refused material (unparsable, mismatched, weak) keeps the previous configuration.
 * @example
 * const repoTls = await ClientTlsSource.open({ link: 'repo-server', ...flags }, { logger });
 * const socket = tls.connect({ host, port, ...repoTls.connectionOptions() });
 */
export class ClientTlsSource
  extends ReloadableBase<ClientTlsConfig>
  implements Reloadable<ClientTlsConfig>
{
  readonly plan: ClientTlsPlan;
  private readonly watcher: FileWatcher | undefined;

  private constructor(
    plan: ClientTlsPlan,
    initial: ClientTlsConfig,
    contents: FileContents,
    options: ClientTlsSourceOptions,
  ) {
    super(initial, `${plan.link} client TLS (${plan.mode})`, options.logger ?? silentLogger);
    this.plan = plan;
    const files = planFiles(plan);
    this.watcher =
      files.length === 0
        ? undefined
        : new FileWatcher(
            files,
            contents,
            (c) => {
              this.apply(c);
            },
            (err) => {
              this.logger.warn(
                { source: this.description, reason: errorMessage(err) },
                'tls: could not read client TLS files; will retry',
              );
            },
            options,
          );
  }

  /** Plans, loads and starts watching; throws TlsError for bad flags or unusable files. */
  static async open(
    options: ClientTlsOptions,
    sourceOptions: ClientTlsSourceOptions = {},
  ): Promise<ClientTlsSource> {
    const plan = planClientTls(options, sourceOptions.exists ?? existsSync);
    const files = planFiles(plan);
    let contents: FileContents;
    try {
      contents = await readFiles(files);
    } catch (err) {
      throw new TlsError(
        'ERR_TLS_FILE',
        `failed to read the ${plan.link} client TLS files: ${errorMessage(err)}`,
        {
          cause: err,
        },
      );
    }
    const initial = buildClientTls(plan, contents);
    const logger = sourceOptions.logger ?? silentLogger;
    const fields = {
      link: plan.link,
      mode: plan.mode,
      reason: plan.reason,
      clientCertificate: plan.clientCert
        ? `${plan.clientCert.certPath} (${plan.clientCert.origin})`
        : 'none',
    };
    if (plan.mode === 'insecure')
      logger.warn(
        fields,
        `tls: connections to the ${plan.link} are encrypted but the server is not verified; set --${plan.link}-ca-cert-path or install the internal CA (argocd admin tls init)`,
      );
    else logger.info(fields, `tls: ${plan.link} connection mode ${plan.mode}`);
    return new ClientTlsSource(plan, initial, contents, sourceOptions);
  }

  /** The current mode (fixed for the life of the source). */
  get mode(): ClientTlsMode {
    return this.plan.mode;
  }

  /** Options for the next connection; undefined for plaintext. */
  connectionOptions(): ConnectionOptions | undefined {
    return clientConnectionOptions(this.current());
  }

  /** Re-reads the files now; resolves when done. */
  async reload(): Promise<void> {
    await this.watcher?.check();
  }

  override close(): void {
    this.watcher?.close();
  }

  private apply(contents: FileContents): void {
    let next: ClientTlsConfig;
    try {
      next = buildClientTls(this.plan, contents);
    } catch (err) {
      const e =
        err instanceof TlsError
          ? err
          : new TlsError(
              'ERR_TLS_FILE',
              `failed to reload ${this.description}: ${errorMessage(err)}`,
              { cause: err },
            );
      this.reject(e, contentFingerprint(planFiles(this.plan).map((p) => contents.get(p))));
      return;
    }
    if (this.offer(next))
      this.logger.info(
        {
          source: this.description,
          clientCertificate:
            next.mode === 'plaintext' ? undefined : next.clientCertificate?.leaf.subject,
        },
        'tls: client TLS material changed; new connections use it',
      );
  }
}

/**
 * The host part of a component address (`argocd-repo-server:8081`, `https://argocd-dex-server:5556`,
 * `[::1]:8081`), used as the name to verify.
 */
export function serverNameFromAddress(address: string): string {
  const a = address.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(a)) {
    try {
      return new URL(a).hostname.replace(/^\[|\]$/g, '');
    } catch {
      return a;
    }
  }
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(a);
  if (bracketed?.[1]) return bracketed[1];
  const idx = a.lastIndexOf(':');
  return idx > 0 && a.indexOf(':') === idx ? a.slice(0, idx) : a;
}

/** `--internal-tls-dir` as planClientTls takes it (`none` or empty disables the internal-CA default). */
export function internalTlsDirFromOption(value: string | undefined): string | null {
  if (value === undefined) return DefaultTlsPaths.internalTlsDir;
  const v = value.trim();
  return v === '' || v === 'none' ? null : v;
}

export interface ClientFlagContext {
  /** where this process mounts the server's TLS secret (strict mode); see DefaultTlsPaths */
  readonly strictTlsDir?: string;
  /** resolved `--internal-tls-dir` */
  readonly internalTlsDir?: string | undefined;
}

/**
 * ClientTlsOptions from the resolved `--repo-server-*` flags.
 * @example
 * const o = resolveOptions({ ...repoServerClientOptionSpecs('ARGOCD_APPLICATION_CONTROLLER'), ...internalTlsOptionSpecs() }, cmd.opts());
 * const repoTls = await ClientTlsSource.open(repoServerClientTlsOptions(o, {
 *   strictTlsDir: DefaultTlsPaths.controllerRepoServerTlsDir, internalTlsDir: o.internalTlsDir }), { logger });
 */
export function repoServerClientTlsOptions(
  o: RepoServerClientOptions,
  ctx: ClientFlagContext = {},
): ClientTlsOptions {
  return {
    link: 'repo-server',
    plaintext: o.repoServerPlaintext,
    strictTls: o.repoServerStrictTls,
    caCertPath: o.repoServerCaCertPath,
    clientCertPath: o.repoServerClientCertPath,
    clientCertKeyPath: o.repoServerClientCertKeyPath,
    serverName: serverNameFromAddress(o.repoServer),
    internalTlsDir: internalTlsDirFromOption(ctx.internalTlsDir),
    ...(ctx.strictTlsDir ? { strictTlsDir: ctx.strictTlsDir } : {}),
  };
}

/** ClientTlsOptions from argocd-server's resolved `--dex-server-*` flags. */
export function dexServerClientTlsOptions(
  o: DexServerClientOptions,
  ctx: ClientFlagContext = {},
): ClientTlsOptions {
  return {
    link: 'dex-server',
    plaintext: o.dexServerPlaintext,
    strictTls: o.dexServerStrictTls,
    caCertPath: o.dexServerCaCertPath,
    clientCertPath: o.dexServerClientCertPath,
    clientCertKeyPath: o.dexServerClientCertKeyPath,
    serverName: serverNameFromAddress(o.dexServer),
    internalTlsDir: internalTlsDirFromOption(ctx.internalTlsDir),
    ...(ctx.strictTlsDir ? { strictTlsDir: ctx.strictTlsDir } : {}),
  };
}
