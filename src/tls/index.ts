/**
 * tls: the one TLS module every program uses.
 *
 * Serving (argocd-server, argocd-repo-server, argocd-dex-server):
 * ```ts
 * const settings = resolveTlsSettings({ minVersion: o.tlsminversion, maxVersion: o.tlsmaxversion, ciphers: o.tlsciphers }, logger);
 * const serverTls = await loadComponentServerTls({ component: 'argocd-repo-server', namespace,
 *   files: { dir: DefaultTlsPaths.repoServerTlsDir }, clientCaPath: o.clientCaPath, settings, logger });
 * const server = http2.createSecureServer({ ...serverTls.serverOptions(), allowHTTP1: true }, handler);
 * attachHotReload(server, serverTls, logger);          // rotated files: next handshake, no restart
 * observeCertificateExpiry({ registry, component, logger }).observeCertificate('serving', serverTls.source);
 * ```
 * argocd-server feeds a `MutableCertificateSource` from its Secret watch instead, choosing with
 * `selectServerCertificate` (argocd-server-tls → argocd-secret → generate, as Argo CD).
 *
 * Connecting (to the repo server, to Dex):
 * ```ts
 * const repoTls = await ClientTlsSource.open({ link: 'repo-server', plaintext, strictTls, caCertPath,
 *   clientCertPath, clientCertKeyPath, serverName: host }, { logger });
 * tls.connect({ host, port, ...repoTls.connectionOptions() });   // fresh per connection
 * ```
 * Modes: plaintext, Argo CD's default non-validating TLS, strict (mounted secret), explicit CA, and
 * `internal-ca` (default when `argocd admin tls init`'s CA is mounted) — see client.ts.
 *
 * Internal PKI: `initInternalPki` → `pkiToSecrets` / `writePkiFiles`.
 * Flags: `src/config` `tlsServerOptionSpecs`, `repoServerClientOptionSpecs`, ...; `--tlsciphers list`
 * via `handleTlsCiphersList`. Errors are `TlsError` with stable codes. docs/tls.md has the details.
 */
export {
  createSelfSignedCertificate,
  createCertificateAuthority,
  issueCertificate,
  generateKeyPairPem,
  type PemPair,
  type CertificateRequest,
  type KeyAlgorithm,
} from './certs.js';
export {
  componentHosts,
  createComponentSelfSigned,
  createHealthCheckClientCertificate,
  SERVING_COMPONENTS,
  CLIENT_COMPONENTS,
  CERTIFICATE_ORGANIZATION,
  type ServingComponent,
  type ClientComponent,
  type ComponentCertificateRequest,
} from './components.js';
export { TlsError, isTlsError, type TlsErrorCode } from './errors.js';
export { silentLogger, type TlsLogger } from './logger.js';
export { DefaultTlsPaths } from './paths.js';
export {
  parseTlsVersion,
  nodeTlsVersion,
  resolveTlsSettings,
  tlsSettingsFromOptions,
  listSupportedCipherSuites,
  formatSupportedCipherSuites,
  handleTlsCiphersList,
  suitesForKey,
  TLS_VERSIONS,
  DEFAULT_TLS_MIN_VERSION,
  DEFAULT_TLS_MAX_VERSION,
  DEFAULT_TLS_CIPHERS,
  type TlsVersion,
  type TlsSettings,
  type TlsSettingsInput,
  type CipherSuiteInfo,
  type CipherAuth,
} from './settings.js';
export {
  validateCertificatePair,
  validateCaBundle,
  contentFingerprint,
  MIN_RSA_BITS,
  type CertificatePair,
  type CertificateInfo,
  type LoadedCertificate,
  type LoadedCaBundle,
} from './validate.js';
export {
  StaticCertificateSource,
  MutableCertificateSource,
  FileCertificateSource,
  StaticCaBundleSource,
  FileCaBundleSource,
  type Reloadable,
  type CertificateSource,
  type CaBundleSource,
  type CertificateFiles,
  type FileSourceOptions,
} from './sources.js';
export {
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_DEBOUNCE_MS,
  type FileWatchOptions,
} from './file-watch.js';
export {
  ServerTls,
  createServerTls,
  attachHotReload,
  loadComponentServerTls,
  type ServerTlsOptions,
  type ComponentServerTlsOptions,
} from './server.js';
export {
  selectServerCertificate,
  type ServerCertificateOrigin,
  type ServerCertificateChoice,
} from './server-certificate.js';
export {
  planClientTls,
  resolveClientTls,
  clientConnectionOptions,
  ClientTlsSource,
  serverNameFromAddress,
  internalTlsDirFromOption,
  repoServerClientTlsOptions,
  dexServerClientTlsOptions,
  type ClientFlagContext,
  type ClientLink,
  type ClientTlsMode,
  type ClientCertOrigin,
  type ClientTlsOptions,
  type ClientTlsPlan,
  type ClientTlsConfig,
  type PlaintextClientTls,
  type TlsClientTls,
  type ClientCertificateInUse,
  type ClientTlsSourceOptions,
} from './client.js';
export {
  initInternalPki,
  pkiToSecrets,
  writePkiFiles,
  pkiMounts,
  PkiSecretNames,
  type InternalPki,
  type InitInternalPkiOptions,
  type PkiMount,
  type PkiComponent,
  type PkiSecretsOptions,
  type WritePkiFilesOptions,
} from './pki.js';
export {
  observeCertificateExpiry,
  CertificateExpiryObserver,
  EXPIRY_METRIC_NAME,
  DEFAULT_EXPIRY_WARNING_DAYS,
  type ExpiryObserverOptions,
} from './expiry.js';
