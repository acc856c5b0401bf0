/**
 * config: per-binary option definitions (flag + env var + argocd-cmd-params-cm key + default +
 * validation), resolved once at start-up into frozen objects. Option groups shared by several
 * binaries (TLS, repo-server client, logging) live here so every program spells them alike.
 *
 * @example
 * const specs = { port: opt.int('port', 'listen port', 8081, { env: 'ARGOCD_REPO_SERVER_PORT' }) };
 * const program = bindOptions(newProgram('argocd-repo-server', '...', VERSION), specs);
 * program.parse();
 * const options = resolveOptions(specs, program.opts());
 */
export {
  opt,
  bindOptions,
  resolveOptions,
  envFromCmdParams,
  newProgram,
  parseBoolean,
  ConfigError,
  type OptionSpec,
  type OptionSpecs,
  type ResolvedOptions,
} from './options.js';
export { VERSION } from './version.js';
export {
  tlsServerOptionSpecs,
  repoServerClientOptionSpecs,
  dexServerClientOptionSpecs,
  clientCaOptionSpecs,
  internalTlsOptionSpecs,
  TlsDefaults,
  TlsPaths,
  type TlsServerOptions,
  type RepoServerClientOptions,
  type DexServerClientOptions,
  type ClientCaOptions,
  type InternalTlsOptions,
} from './tls-options.js';
export { kubeClientOptionSpecs, type KubeClientConfig } from './kube.js';
export {
  dexServerOptionSpecs,
  DEX_SERVER_DEFAULT_PORT,
  DEX_SERVER_DEFAULT_TLS_DIR,
  DEX_SERVER_DEFAULT_KEYS_SECRET,
  LOG_LEVELS,
  LOG_FORMATS,
  type LogLevel,
  type LogFormat,
} from './dex-server.js';
export {
  repoServerOptionSpecs,
  REPO_SERVER_DEFAULTS,
  parseCipherSuites,
  type TlsVersionName,
} from './repo-server.js';
export {
  controllerOptionSpecs,
  CONTROLLER_DEFAULTS,
  SHARDING_METHODS,
  parseSeconds,
  type ShardingMethod,
} from './controller.js';
export { serverOptionSpecs, SERVER_DEFAULTS, type ServerOptions } from './server.js';
