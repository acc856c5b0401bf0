/**
 * Options of `argocd-dex-server`, the bundled OpenID provider. Flag names, environment variables
 * and `argocd-cmd-params-cm` keys follow Argo CD's `argocd-dex` command where it has one
 * (`--disable-tls` / `ARGOCD_DEX_SERVER_DISABLE_TLS` / `dexserver.disable.tls`, `--logformat`,
 * `--loglevel`); the rest are argocd-ts's own and documented in docs/sso.md.
 */
import { opt, type OptionSpec } from './options.js';
import { TlsPaths } from './tls-options.js';

export const DEX_SERVER_DEFAULT_PORT = 5556;
/** Where Argo CD's manifests mount the `argocd-dex-server-tls` Secret. */
export const DEX_SERVER_DEFAULT_TLS_DIR = '/tls';
/** The Secret the signing keys persist in (created by the server in its namespace). */
export const DEX_SERVER_DEFAULT_KEYS_SECRET = 'argocd-dex-server-keys';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The option specs of argocd-dex-server (bind with `bindOptions`, read with `resolveOptions`). */
export function dexServerOptionSpecs(): {
  port: OptionSpec<number>;
  address: OptionSpec<string>;
  disableTls: OptionSpec<boolean>;
  tlsDir: OptionSpec<string>;
  tlsReloadIntervalMs: OptionSpec<number>;
  clientCaPath: OptionSpec<string>;
  namespace: OptionSpec<string | undefined>;
  kubeconfig: OptionSpec<string | undefined>;
  keysSecret: OptionSpec<string>;
  keyCheckIntervalMs: OptionSpec<number>;
  logLevel: OptionSpec<LogLevel>;
  logFormat: OptionSpec<LogFormat>;
} {
  return {
    port: opt.int('port', 'port to listen on (0 picks a free one)', DEX_SERVER_DEFAULT_PORT, {
      env: 'ARGOCD_DEX_SERVER_PORT',
      min: 0,
      max: 65535,
    }),
    address: opt.string('address', 'address to listen on', '0.0.0.0', {
      env: 'ARGOCD_DEX_SERVER_LISTEN_ADDRESS',
      cmdParamsKey: 'dexserver.listen.address',
    }),
    disableTls: opt.bool(
      'disable-tls',
      'serve plain HTTP (only behind a sidecar that terminates TLS)',
      false,
      { env: 'ARGOCD_DEX_SERVER_DISABLE_TLS', cmdParamsKey: 'dexserver.disable.tls' },
    ),
    tlsDir: opt.string(
      'tls-dir',
      'directory of the mounted argocd-dex-server-tls Secret (tls.crt, tls.key, ca.crt); a self-signed pair is made when it holds none',
      DEX_SERVER_DEFAULT_TLS_DIR,
      { env: 'ARGOCD_DEX_SERVER_TLS_DIR' },
    ),
    tlsReloadIntervalMs: opt.durationMs(
      'tls-reload-interval',
      'how often the mounted certificate files are checked for changes',
      10_000,
      { env: 'ARGOCD_DEX_SERVER_TLS_RELOAD_INTERVAL', hidden: true },
    ),
    clientCaPath: opt.string(
      'client-ca-path',
      'CA certificate file (the mounted argocd-dex-server-mtls client-ca.crt); when it exists, clients must present a certificate it issued (mutual TLS)',
      TlsPaths.dexServerClientCaPath,
      { env: 'ARGOCD_DEX_SERVER_CLIENT_CA_PATH', cmdParamsKey: 'dexserver.client.ca.path' },
    ),
    namespace: opt.optionalString(
      'namespace',
      "namespace of argocd-cm and argocd-secret (default: the pod's namespace, else the kubeconfig context's, else argocd)",
      { env: 'ARGOCD_NAMESPACE' },
    ),
    kubeconfig: opt.optionalString(
      'kubeconfig',
      'kubeconfig to read the settings with (default: in-cluster service account, else KUBECONFIG)',
    ),
    keysSecret: opt.string(
      'keys-secret',
      'Secret the signing keys persist in',
      DEX_SERVER_DEFAULT_KEYS_SECRET,
      { env: 'ARGOCD_DEX_SERVER_KEYS_SECRET' },
    ),
    keyCheckIntervalMs: opt.durationMs(
      'key-check-interval',
      'how often to check whether the signing key is due for rotation',
      10 * 60_000,
      { env: 'ARGOCD_DEX_SERVER_KEY_CHECK_INTERVAL' },
    ),
    logLevel: opt.oneOf('loglevel', 'log level', LOG_LEVELS, 'info', {
      env: 'ARGOCD_DEX_SERVER_LOGLEVEL',
      cmdParamsKey: 'dexserver.log.level',
    }),
    logFormat: opt.oneOf('logformat', 'log format', LOG_FORMATS, 'text', {
      env: 'ARGOCD_DEX_SERVER_LOGFORMAT',
      cmdParamsKey: 'dexserver.log.format',
    }),
  };
}
