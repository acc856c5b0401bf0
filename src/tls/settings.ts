/**
 * TLS protocol settings from Argo CD's flags: `--tlsminversion`, `--tlsmaxversion` and
 * `--tlsciphers` (colon-separated IANA suite names, as Go's crypto/tls spells them), turned into
 * what Node's OpenSSL understands.
 *
 * Decisions (see docs/tls.md):
 * - The accepted names are exactly those Argo CD accepts (Go's `tls.CipherSuites()`), limited to what
 *   this Node's OpenSSL build offers. TLS 1.3 suites keep their IANA names in Node.
 * - Default cipher list: Argo CD's code default `TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384` plus its
 *   ECDSA twin, because our certificates are ECDSA P-256 by default and an RSA-only suite would lock
 *   every TLS 1.2 client out. The TLS document's table also lists `TLS_RSA_WITH_AES_256_GCM_SHA384`
 *   (static RSA key exchange, no forward secrecy); it is accepted when asked for, never a default.
 * - TLS 1.3 suites are not configurable in Argo CD; here, when the list names TLS 1.3 suites, only
 *   those are offered, otherwise all of Node's default TLS 1.3 suites are.
 * - OpenSSL 3 refuses TLS 1.0/1.1 at its default security level 1, so a minimum of 1.0 or 1.1 adds
 *   `@SECLEVEL=0` to the cipher string and warns: it also admits weak keys and SHA-1 signatures.
 */
import { getCiphers, type SecureVersion } from 'node:tls';
import { TlsDefaults, type TlsServerOptions } from '../config/index.js';
import { TlsError } from './errors.js';
import { silentLogger, type TlsLogger } from './logger.js';

/** TLS versions as Argo CD's flags spell them. */
export type TlsVersion = '1.0' | '1.1' | '1.2' | '1.3';

export const TLS_VERSIONS: readonly TlsVersion[] = ['1.0', '1.1', '1.2', '1.3'];
export const DEFAULT_TLS_MIN_VERSION: TlsVersion = TlsDefaults.minVersion;
export const DEFAULT_TLS_MAX_VERSION: TlsVersion = TlsDefaults.maxVersion;
/** Argo CD's code default plus its ECDSA twin (see the module comment). */
export const DEFAULT_TLS_CIPHERS: string = TlsDefaults.ciphers;

const NODE_VERSIONS: Readonly<Record<TlsVersion, SecureVersion>> = {
  '1.0': 'TLSv1',
  '1.1': 'TLSv1.1',
  '1.2': 'TLSv1.2',
  '1.3': 'TLSv1.3',
};

/** Which certificate key type a TLS 1.2 suite needs ('any' for TLS 1.3 suites). */
export type CipherAuth = 'ecdsa' | 'rsa' | 'any';

export interface CipherSuiteInfo {
  /** IANA name, as Argo CD's `--tlsciphers` takes it */
  readonly name: string;
  /** OpenSSL name (the IANA name for TLS 1.3 suites, which Node takes as is) */
  readonly openssl: string;
  readonly versions: readonly TlsVersion[];
  readonly auth: CipherAuth;
  /** no forward secrecy (static RSA key exchange) */
  readonly staticRsa: boolean;
}

const UP_TO_12: readonly TlsVersion[] = ['1.0', '1.1', '1.2'];
const ONLY_12: readonly TlsVersion[] = ['1.2'];
const ONLY_13: readonly TlsVersion[] = ['1.3'];

function suite(
  name: string,
  openssl: string,
  versions: readonly TlsVersion[],
  auth: CipherAuth,
): CipherSuiteInfo {
  return { name, openssl, versions, auth, staticRsa: name.startsWith('TLS_RSA_') };
}

/** The suites Argo CD accepts (Go's `tls.CipherSuites()`), with their OpenSSL names. */
const CIPHER_TABLE: readonly CipherSuiteInfo[] = [
  suite('TLS_AES_128_GCM_SHA256', 'TLS_AES_128_GCM_SHA256', ONLY_13, 'any'),
  suite('TLS_AES_256_GCM_SHA384', 'TLS_AES_256_GCM_SHA384', ONLY_13, 'any'),
  suite('TLS_CHACHA20_POLY1305_SHA256', 'TLS_CHACHA20_POLY1305_SHA256', ONLY_13, 'any'),
  suite('TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA', 'ECDHE-ECDSA-AES128-SHA', UP_TO_12, 'ecdsa'),
  suite('TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA', 'ECDHE-ECDSA-AES256-SHA', UP_TO_12, 'ecdsa'),
  suite('TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 'ECDHE-RSA-AES128-SHA', UP_TO_12, 'rsa'),
  suite('TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 'ECDHE-RSA-AES256-SHA', UP_TO_12, 'rsa'),
  suite(
    'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
    'ECDHE-ECDSA-AES128-GCM-SHA256',
    ONLY_12,
    'ecdsa',
  ),
  suite(
    'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
    'ECDHE-ECDSA-AES256-GCM-SHA384',
    ONLY_12,
    'ecdsa',
  ),
  suite('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', ONLY_12, 'rsa'),
  suite('TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 'ECDHE-RSA-AES256-GCM-SHA384', ONLY_12, 'rsa'),
  suite(
    'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256',
    'ECDHE-ECDSA-CHACHA20-POLY1305',
    ONLY_12,
    'ecdsa',
  ),
  suite(
    'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256',
    'ECDHE-RSA-CHACHA20-POLY1305',
    ONLY_12,
    'rsa',
  ),
  suite('TLS_RSA_WITH_AES_128_CBC_SHA', 'AES128-SHA', UP_TO_12, 'rsa'),
  suite('TLS_RSA_WITH_AES_256_CBC_SHA', 'AES256-SHA', UP_TO_12, 'rsa'),
  suite('TLS_RSA_WITH_AES_128_GCM_SHA256', 'AES128-GCM-SHA256', ONLY_12, 'rsa'),
  suite('TLS_RSA_WITH_AES_256_GCM_SHA384', 'AES256-GCM-SHA384', ONLY_12, 'rsa'),
];

let supportedCache: readonly CipherSuiteInfo[] | undefined;

/**
 * The cipher suites `--tlsciphers` accepts on this build: Argo CD's list, minus any this Node's
 * OpenSSL lacks. This is what `--tlsciphers list` prints.
 */
export function listSupportedCipherSuites(): readonly CipherSuiteInfo[] {
  if (!supportedCache) {
    const available = new Set(getCiphers().map((c) => c.toLowerCase()));
    supportedCache = Object.freeze(
      CIPHER_TABLE.filter((s) => available.has(s.openssl.toLowerCase())),
    );
  }
  return supportedCache;
}

/** The text `--tlsciphers list` prints: one suite per line with its TLS versions. */
export function formatSupportedCipherSuites(): string {
  const lines = listSupportedCipherSuites().map(
    (s) =>
      `* ${s.name} (TLS versions: ${s.versions.join(', ')})${s.staticRsa ? ' [no forward secrecy]' : ''}`,
  );
  return `Supported TLS ciphers:\n${lines.join('\n')}\n`;
}

/**
 * Handles `--tlsciphers list`: when `value` is `list`, writes the supported suites and returns true
 * (the program then exits with status 0); otherwise returns false and writes nothing.
 * @example
 * if (handleTlsCiphersList(opts.tlsciphers)) return 0;
 */
export function handleTlsCiphersList(
  value: string | undefined,
  write: (text: string) => void = (t) => process.stdout.write(t),
): boolean {
  if (value?.trim() !== 'list') return false;
  write(formatSupportedCipherSuites());
  return true;
}

/**
 * Parses a TLS version as Argo CD's flags take it (`1.0`, `1.1`, `1.2`, `1.3`).
 * @param flag named in the error message
 * @example parseTlsVersion('1.2') // '1.2'
 */
export function parseTlsVersion(value: string, flag = '--tlsminversion'): TlsVersion {
  const v = value.trim();
  if ((TLS_VERSIONS as readonly string[]).includes(v)) return v as TlsVersion;
  throw new TlsError(
    'ERR_TLS_INVALID_OPTION',
    `failed to parse ${flag}: "${value}" is not a TLS version; use one of ${TLS_VERSIONS.join(', ')}`,
  );
}

/** Node's name for a TLS version (`'1.2'` → `'TLSv1.2'`). */
export function nodeTlsVersion(v: TlsVersion): SecureVersion {
  return NODE_VERSIONS[v];
}

function versionIndex(v: TlsVersion): number {
  return TLS_VERSIONS.indexOf(v);
}

export interface TlsSettingsInput {
  /** `--tlsminversion`; default 1.2 */
  readonly minVersion?: string | undefined;
  /** `--tlsmaxversion`; default 1.3 */
  readonly maxVersion?: string | undefined;
  /** `--tlsciphers`: colon-separated IANA names (or a list of them); default DEFAULT_TLS_CIPHERS */
  readonly ciphers?: string | readonly string[] | undefined;
}

/** Validated TLS settings, ready for Node (`minVersion`, `maxVersion`, `ciphers`). */
export interface TlsSettings {
  readonly minVersion: TlsVersion;
  readonly maxVersion: TlsVersion;
  /** the effective suites, IANA names (TLS 1.2 and TLS 1.3) */
  readonly cipherSuites: readonly CipherSuiteInfo[];
  /** Node's `minVersion` */
  readonly nodeMinVersion: SecureVersion;
  /** Node's `maxVersion` */
  readonly nodeMaxVersion: SecureVersion;
  /** Node's `ciphers` string: OpenSSL names for TLS 1.2, IANA names for TLS 1.3, `@SECLEVEL=0` when needed */
  readonly ciphers: string;
  /** things worth telling the operator (logged by resolveTlsSettings when a logger is given) */
  readonly warnings: readonly string[];
}

function splitCiphers(input: string | readonly string[]): string[] {
  const parts = typeof input === 'string' ? input.split(':') : input.flatMap((s) => s.split(':'));
  return parts.map((s) => s.trim()).filter((s) => s !== '');
}

function lookupSuites(names: readonly string[]): CipherSuiteInfo[] {
  const supported = listSupportedCipherSuites();
  const out: CipherSuiteInfo[] = [];
  for (const name of names) {
    if (name === 'list')
      throw new TlsError(
        'ERR_TLS_INVALID_OPTION',
        'failed to resolve --tlsciphers: "list" prints the supported suites and exits; handle it with handleTlsCiphersList before resolving the settings',
      );
    const found = supported.find((s) => s.name === name);
    if (!found) {
      const known = CIPHER_TABLE.some((s) => s.name === name);
      throw new TlsError(
        'ERR_TLS_INVALID_OPTION',
        known
          ? `failed to resolve --tlsciphers: cipher suite "${name}" is not available in this build's OpenSSL; run with --tlsciphers list to see the supported names`
          : `failed to resolve --tlsciphers: unknown cipher suite "${name}"; use colon-separated IANA names such as ${DEFAULT_TLS_CIPHERS} (run with --tlsciphers list to see them all)`,
      );
    }
    if (!out.includes(found)) out.push(found);
  }
  return out;
}

/**
 * Validates and resolves `--tlsminversion`, `--tlsmaxversion` and `--tlsciphers`. Throws a TlsError
 * (`ERR_TLS_INVALID_OPTION`) whose message names the flag: an unknown version or suite, a minimum
 * above the maximum, or a list that leaves the allowed TLS 1.2 range without any suite.
 * With a minimum of 1.3 the cipher list is ignored (TLS 1.3 suites are fixed, as in Argo CD) and a
 * non-default list draws a warning.
 * @example
 * const settings = resolveTlsSettings({ minVersion: '1.2', maxVersion: '1.3' });
 * tls.createServer({ minVersion: settings.nodeMinVersion, maxVersion: settings.nodeMaxVersion, ciphers: settings.ciphers, ... });
 */
export function resolveTlsSettings(
  input: TlsSettingsInput = {},
  logger: TlsLogger = silentLogger,
): TlsSettings {
  const minVersion = parseTlsVersion(
    input.minVersion ?? DEFAULT_TLS_MIN_VERSION,
    '--tlsminversion',
  );
  const maxVersion = parseTlsVersion(
    input.maxVersion ?? DEFAULT_TLS_MAX_VERSION,
    '--tlsmaxversion',
  );
  if (versionIndex(minVersion) > versionIndex(maxVersion))
    throw new TlsError(
      'ERR_TLS_INVALID_OPTION',
      `failed to resolve TLS settings: --tlsminversion ${minVersion} is higher than --tlsmaxversion ${maxVersion}; lower --tlsminversion or raise --tlsmaxversion`,
    );
  const warnings: string[] = [];
  const rawCiphers = input.ciphers ?? DEFAULT_TLS_CIPHERS;
  const names = splitCiphers(rawCiphers);
  // Argo CD's code and documentation defaults count as defaults too (no warning for migrated configs)
  const isDefault = [
    DEFAULT_TLS_CIPHERS,
    'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
    'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:TLS_RSA_WITH_AES_256_GCM_SHA384',
  ].includes(names.join(':'));

  let suites: CipherSuiteInfo[];
  if (minVersion === '1.3') {
    // still reject nonsense, so a typo is not silently ignored
    if (names.length > 0) lookupSuites(names);
    if (!isDefault && names.length > 0)
      warnings.push(
        'TLS 1.3 cipher suites are not configurable: --tlsciphers is ignored because --tlsminversion is 1.3',
      );
    suites = listSupportedCipherSuites().filter((s) => s.versions.includes('1.3'));
  } else {
    if (names.length === 0)
      throw new TlsError(
        'ERR_TLS_INVALID_OPTION',
        `failed to resolve --tlsciphers: the list is empty; name at least one cipher suite (default ${DEFAULT_TLS_CIPHERS})`,
      );
    const named = lookupSuites(names);
    const only13 = (s: CipherSuiteInfo): boolean => s.versions.every((v) => v === '1.3');
    const maxIdx = Math.min(versionIndex(maxVersion), versionIndex('1.2'));
    const legacy = named.filter(
      (s) =>
        !only13(s) &&
        s.versions.some(
          (v) => versionIndex(v) >= versionIndex(minVersion) && versionIndex(v) <= maxIdx,
        ),
    );
    if (legacy.length === 0) {
      const range =
        maxIdx > versionIndex(minVersion)
          ? `${minVersion}-${TLS_VERSIONS[maxIdx] ?? ''}`
          : minVersion;
      throw new TlsError(
        'ERR_TLS_INVALID_OPTION',
        `failed to resolve --tlsciphers: none of the listed suites works with TLS ${range}; add a suite such as TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, or set --tlsminversion 1.3`,
      );
    }
    let modern: CipherSuiteInfo[] = [];
    if (maxVersion === '1.3') {
      // TLS 1.3 suites are fixed in Argo CD; here a list that names some offers only those
      const named13 = named.filter(only13);
      modern = named13.length > 0 ? named13 : listSupportedCipherSuites().filter(only13);
    }
    suites = [...legacy, ...modern];
    const stat = suites.filter((s) => s.staticRsa).map((s) => s.name);
    if (stat.length > 0)
      warnings.push(
        `--tlsciphers includes suites without forward secrecy (${stat.join(', ')}); prefer TLS_ECDHE_* suites`,
      );
  }

  const openssl = suites.map((s) => s.openssl);
  const lowVersions = versionIndex(minVersion) < versionIndex('1.2');
  if (lowVersions) {
    openssl.push('@SECLEVEL=0');
    warnings.push(
      `--tlsminversion ${minVersion} enables TLS versions OpenSSL 3 only allows at security level 0, which also admits weak keys and SHA-1 signatures; use 1.2 unless legacy clients need it`,
    );
  }
  const settings: TlsSettings = Object.freeze({
    minVersion,
    maxVersion,
    cipherSuites: Object.freeze(suites),
    nodeMinVersion: nodeTlsVersion(minVersion),
    nodeMaxVersion: nodeTlsVersion(maxVersion),
    ciphers: openssl.join(':'),
    warnings: Object.freeze(warnings),
  });
  for (const w of warnings) logger.warn({ minVersion, maxVersion }, w);
  return settings;
}

/** The TLS 1.2 (and older) suites in `settings` that can serve a certificate with `keyType`. */
export function suitesForKey(settings: TlsSettings, keyType: 'ec' | 'rsa'): CipherSuiteInfo[] {
  const need: CipherAuth = keyType === 'ec' ? 'ecdsa' : 'rsa';
  return settings.cipherSuites.filter((s) => s.auth === need);
}

/**
 * resolveTlsSettings for the resolved `--tlsminversion/--tlsmaxversion/--tlsciphers` options
 * (handle `--tlsciphers list` first with handleTlsCiphersList).
 */
export function tlsSettingsFromOptions(
  o: TlsServerOptions,
  logger: TlsLogger = silentLogger,
): TlsSettings {
  return resolveTlsSettings(
    { minVersion: o.tlsminversion, maxVersion: o.tlsmaxversion, ciphers: o.tlsciphers },
    logger,
  );
}
