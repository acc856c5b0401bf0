/**
 * TLS option groups shared by every program, so each spells the flags, environment variables and
 * `argocd-cmd-params-cm` keys exactly as Argo CD does:
 *
 * - `tlsServerOptionSpecs(envPrefix)`: `--tlsminversion`, `--tlsmaxversion`, `--tlsciphers`. Argo CD
 *   reads them from `ARGOCD_TLS_MIN_VERSION`, `ARGOCD_TLS_MAX_VERSION` and `ARGOCD_TLS_CIPHERS` in every
 *   component (its manifests map `server.tls.*` and `reposerver.tls.*` onto those same names), so the
 *   prefix only picks the `argocd-cmd-params-cm` key.
 * - `repoServerClientOptionSpecs(envPrefix)`: `--repo-server`, `--repo-server-plaintext`,
 *   `--repo-server-strict-tls`, `--repo-server-ca-cert-path`, `--repo-server-client-cert-path`,
 *   `--repo-server-client-cert-key-path` (env `<PREFIX>_REPO_SERVER_...`).
 * - `dexServerClientOptionSpecs(envPrefix)`: the same for `--dex-server-*`.
 * - `clientCaOptionSpecs(envPrefix, defaultPath)`: a server's `--client-ca-path` (mTLS when the file exists).
 * - `internalTlsOptionSpecs()`: `--internal-tls-dir`, where the internal PKI is mounted.
 *
 * Values are checked for form here (a version must be one of 1.0-1.3); cipher names, min <= max and
 * flag combinations are checked by `resolveTlsSettings` / `planClientTls` in src/tls, which name the
 * flag in their errors. `--tlsciphers list` is handled by the tls module's `handleTlsCiphersList`.
 */
import { opt, type OptionSpec, type ResolvedOptions } from './options.js';

/** Argo CD's TLS defaults (cipher list: see docs/tls.md for why the ECDSA twin is added). */
export const TlsDefaults = {
  minVersion: '1.2',
  maxVersion: '1.3',
  ciphers: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
  repoServerAddress: 'argocd-repo-server:8081',
  dexServerAddress: 'argocd-dex-server:5556',
} as const;

/** Default file locations for TLS material (Argo CD's mounts, plus the internal PKI's). */
export const TlsPaths = {
  repoServerTlsDir: '/app/config/reposerver/tls',
  repoServerClientCaPath: '/app/config/reposerver/mtls/client-ca.crt',
  repoServerClientCertPath: '/app/config/reposerver/mtls/client.crt',
  repoServerClientCertKeyPath: '/app/config/reposerver/mtls/client.key',
  serverRepoServerTlsDir: '/app/config/server/tls',
  controllerRepoServerTlsDir: '/app/config/controller/tls',
  serverDexServerTlsDir: '/app/config/dex/tls',
  dexServerTlsDir: '/tls',
  dexServerClientCaPath: '/app/config/dexserver/mtls/client-ca.crt',
  internalTlsDir: '/app/config/internal-tls',
} as const;

/** `argocd-cmd-params-cm` key prefix per environment prefix (Argo CD's naming). */
const CMD_PARAMS_PREFIX: Readonly<Record<string, string>> = {
  ARGOCD_SERVER: 'server',
  ARGOCD_APPLICATION_CONTROLLER: 'controller',
  ARGOCD_REPO_SERVER: 'reposerver',
  ARGOCD_DEX_SERVER: 'dexserver',
  ARGOCD_APPLICATIONSET_CONTROLLER: 'applicationsetcontroller',
  ARGOCD_NOTIFICATION_CONTROLLER: 'notificationscontroller',
};

function cmdParamsPrefix(envPrefix: string, override: string | undefined): string {
  const p = override ?? CMD_PARAMS_PREFIX[envPrefix];
  if (p === undefined)
    throw new TypeError(
      `unknown environment prefix "${envPrefix}": use one of ${Object.keys(CMD_PARAMS_PREFIX).join(', ')} or pass the argocd-cmd-params-cm prefix`,
    );
  return p;
}

const VERSIONS = ['1.0', '1.1', '1.2', '1.3'] as const;

function versionSpec(
  flag: string,
  what: string,
  def: string,
  env: string,
  key: string,
): OptionSpec<string> {
  return {
    flag,
    description: `The ${what} SSL/TLS version that is acceptable (one of: ${VERSIONS.join('|')})`,
    default: def,
    env,
    cmdParamsKey: key,
    parse: (s) => {
      const v = s.trim();
      if ((VERSIONS as readonly string[]).includes(v)) return v;
      throw new TypeError(`expected one of ${VERSIONS.join(', ')}`);
    },
  };
}

/**
 * `--tlsminversion`, `--tlsmaxversion`, `--tlsciphers` for a serving program.
 * @param envPrefix the program's prefix (`ARGOCD_SERVER`, `ARGOCD_REPO_SERVER`, `ARGOCD_DEX_SERVER`)
 * @example
 * const specs = { ...tlsServerOptionSpecs('ARGOCD_REPO_SERVER'), ...clientCaOptionSpecs('ARGOCD_REPO_SERVER', TlsPaths.repoServerClientCaPath) };
 */
export function tlsServerOptionSpecs(envPrefix: string, cmdParams?: string) {
  const p = cmdParamsPrefix(envPrefix, cmdParams);
  return {
    tlsminversion: versionSpec(
      'tlsminversion',
      'minimum',
      TlsDefaults.minVersion,
      'ARGOCD_TLS_MIN_VERSION',
      `${p}.tls.minversion`,
    ),
    tlsmaxversion: versionSpec(
      'tlsmaxversion',
      'maximum',
      TlsDefaults.maxVersion,
      'ARGOCD_TLS_MAX_VERSION',
      `${p}.tls.maxversion`,
    ),
    tlsciphers: opt.string(
      'tlsciphers',
      "The list of acceptable ciphers to be used when establishing TLS connections (colon-separated IANA names). Use 'list' to list available ciphers.",
      TlsDefaults.ciphers,
      { env: 'ARGOCD_TLS_CIPHERS', cmdParamsKey: `${p}.tls.ciphers` },
    ),
  } as const;
}

function clientSpecs(
  link: 'repo-server' | 'dex-server',
  envPrefix: string,
  cmdParams: string | undefined,
  address: { def: string; key: (p: string) => string },
  certDefault: string | undefined,
) {
  const p = cmdParamsPrefix(envPrefix, cmdParams);
  const E = `${envPrefix}_${link.toUpperCase().replace('-', '_')}`;
  const k = `${p}.${link.replace('-', '.')}`;
  const name = link === 'repo-server' ? 'repo server' : 'Dex server';
  return {
    address: opt.string(link, `${name} address`, address.def, {
      env: E,
      cmdParamsKey: address.key(p),
    }),
    plaintext: opt.bool(
      `${link}-plaintext`,
      `Use a plaintext client (non-TLS) to connect to the ${name}`,
      false,
      {
        env: `${E}_PLAINTEXT`,
        cmdParamsKey: `${k}.plaintext`,
      },
    ),
    strictTls: opt.bool(
      `${link}-strict-tls`,
      `Perform strict validation of TLS certificates when connecting to the ${name} (deprecated: use --${link}-ca-cert-path)`,
      false,
      { env: `${E}_STRICT_TLS`, cmdParamsKey: `${k}.strict.tls` },
    ),
    caCertPath: opt.optionalString(
      `${link}-ca-cert-path`,
      `Path to a CA certificate file to verify the ${name}'s certificate (enables strict validation)`,
      { env: `${E}_CA_CERT_PATH`, cmdParamsKey: `${k}.ca.cert.path` },
    ),
    clientCertPath: opt.optionalString(
      `${link}-client-cert-path`,
      `Path to the client certificate presented to the ${name} (mutual TLS)`,
      {
        env: `${E}_CLIENT_CERT_PATH`,
        cmdParamsKey: `${k}.client.cert.path`,
        ...(certDefault ? { defaultDescription: `${certDefault}, when present` } : {}),
      },
    ),
    clientCertKeyPath: opt.optionalString(
      `${link}-client-cert-key-path`,
      `Path to the private key of the client certificate presented to the ${name}`,
      {
        env: `${E}_CLIENT_CERT_KEY_PATH`,
        cmdParamsKey: `${k}.client.cert.key.path`,
        ...(certDefault
          ? { defaultDescription: `${certDefault.replace(/\.crt$/, '.key')}, when present` }
          : {}),
      },
    ),
  } as const;
}

/**
 * The repo-server client flags of argocd-server and the application controller.
 * @param envPrefix `ARGOCD_SERVER` or `ARGOCD_APPLICATION_CONTROLLER` (Argo CD's env names)
 */
export function repoServerClientOptionSpecs(envPrefix: string, cmdParams?: string) {
  const s = clientSpecs(
    'repo-server',
    envPrefix,
    cmdParams,
    { def: TlsDefaults.repoServerAddress, key: () => 'repo.server' },
    TlsPaths.repoServerClientCertPath,
  );
  return {
    repoServer: s.address,
    repoServerPlaintext: s.plaintext,
    repoServerStrictTls: s.strictTls,
    repoServerCaCertPath: s.caCertPath,
    repoServerClientCertPath: s.clientCertPath,
    repoServerClientCertKeyPath: s.clientCertKeyPath,
  } as const;
}

/** argocd-server's Dex client flags (`--dex-server-ca-cert-path` and the client-cert flags are ours). */
export function dexServerClientOptionSpecs(envPrefix = 'ARGOCD_SERVER', cmdParams?: string) {
  const s = clientSpecs(
    'dex-server',
    envPrefix,
    cmdParams,
    { def: TlsDefaults.dexServerAddress, key: (p) => `${p}.dex.server` },
    undefined,
  );
  return {
    dexServer: s.address,
    dexServerPlaintext: s.plaintext,
    dexServerStrictTls: s.strictTls,
    dexServerCaCertPath: s.caCertPath,
    dexServerClientCertPath: s.clientCertPath,
    dexServerClientCertKeyPath: s.clientCertKeyPath,
  } as const;
}

/**
 * A serving program's `--client-ca-path`: when the file exists, client certificates are mandatory.
 * @example clientCaOptionSpecs('ARGOCD_REPO_SERVER', TlsPaths.repoServerClientCaPath)
 */
export function clientCaOptionSpecs(envPrefix: string, defaultPath: string, cmdParams?: string) {
  const p = cmdParamsPrefix(envPrefix, cmdParams);
  return {
    clientCaPath: opt.string(
      'client-ca-path',
      'Path to a CA certificate file; when it exists, clients must present a certificate it issued (mutual TLS)',
      defaultPath,
      { env: `${envPrefix}_CLIENT_CA_PATH`, cmdParamsKey: `${p}.client.ca.path` },
    ),
  } as const;
}

/**
 * `--internal-tls-dir`: where the internal PKI of `argocd admin tls init` is mounted (ca.crt,
 * tls.crt, tls.key). When `ca.crt` exists there, links without explicit TLS flags verify their peer
 * against it and present the client certificate. `none` turns the default off.
 */
export function internalTlsOptionSpecs() {
  return {
    internalTlsDir: opt.string(
      'internal-tls-dir',
      "Directory of the internal PKI (ca.crt, tls.crt, tls.key); its CA makes every link verified mutual TLS by default ('none' disables)",
      TlsPaths.internalTlsDir,
      { env: 'ARGOCD_INTERNAL_TLS_DIR', cmdParamsKey: 'internal.tls.dir' },
    ),
  } as const;
}

export type TlsServerOptions = ResolvedOptions<ReturnType<typeof tlsServerOptionSpecs>>;
export type RepoServerClientOptions = ResolvedOptions<
  ReturnType<typeof repoServerClientOptionSpecs>
>;
export type DexServerClientOptions = ResolvedOptions<ReturnType<typeof dexServerClientOptionSpecs>>;
export type ClientCaOptions = ResolvedOptions<ReturnType<typeof clientCaOptionSpecs>>;
export type InternalTlsOptions = ResolvedOptions<ReturnType<typeof internalTlsOptionSpecs>>;
