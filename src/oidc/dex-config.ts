/**
 * Reads `argocd-cm` `dex.config` (YAML in Dex's own format) into a typed, validated configuration.
 * Only what argocd-dex-server implements is accepted: the password database with `staticPasswords`,
 * connectors of type `oidc`, `staticClients`, `oauth2.skipApprovalScreen` and `expiry`. Keys that
 * Argo CD itself generates for Dex (`issuer`, `storage`, `web`, `grpc`, `telemetry`, `logger`) are
 * ignored, as Argo CD overwrites them too. A connector of another type is a hard error naming the
 * connector; smaller surprises are returned as `warnings` and never stop the server.
 *
 * String values written `$key` or `$secret-name:key` are Argo CD secret references: they are
 * resolved through the caller's lookup (argocd-secret, or a Secret labelled
 * `app.kubernetes.io/part-of: argocd`), so client secrets never need to live in the ConfigMap. As
 * in Argo CD, a reference that resolves to nothing is kept as written (with a warning).
 */
import { parse as parseYaml } from 'yaml';
import { errorMessage, isRecord, parseDuration } from '../lib/index.js';
import { OidcError } from './errors.js';

/** A user of the built-in password database (Dex `staticPasswords`, plus our `groups`). */
export interface StaticPassword {
  /** the login name, compared case-insensitively (Dex logs in by email) */
  readonly email: string;
  /** bcrypt hash (`$2a$`, `$2b$` or `$2y$`), as Dex stores it */
  readonly hash: string;
  readonly username: string;
  readonly userID: string;
  /** argocd-ts extension: groups put into the `groups` claim */
  readonly groups: readonly string[];
}

/** Settings of an upstream OpenID provider (Dex connector `type: oidc`). */
export interface OidcConnectorSettings {
  readonly issuer: string;
  readonly clientID: string;
  readonly clientSecret: string;
  /** where the upstream sends the browser back; default `<our issuer>/callback` */
  readonly redirectURI: string | undefined;
  /** scopes requested besides `openid`; default `profile email` (+ `groups` when groups are enabled) */
  readonly scopes: readonly string[] | undefined;
  readonly getUserInfo: boolean;
  readonly insecureSkipEmailVerified: boolean;
  /** Dex reads the groups claim only when this is true */
  readonly insecureEnableGroups: boolean;
  /** claim holding the groups (`claimMapping.groups`, or the older `groupsKey`); default `groups` */
  readonly groupsClaim: string;
  readonly userIDKey: string;
  readonly userNameKey: string;
  readonly preferredUsernameClaim: string;
  readonly emailClaim: string;
  /** PEM bundle trusted for the upstream (`rootCA`, inline, as in Argo CD's oidc.config) */
  readonly rootCA: string | undefined;
  /** files with PEM CAs trusted for the upstream (Dex `rootCAs`) */
  readonly rootCAFiles: readonly string[];
  readonly insecureSkipVerify: boolean;
  /** `prompt` sent upstream; undefined means Dex's default `consent`, '' sends none */
  readonly promptType: string | undefined;
}

export interface ConnectorConfig {
  readonly type: 'oidc';
  readonly id: string;
  readonly name: string;
  readonly settings: OidcConnectorSettings;
}

/** A client registered in dex.config (`staticClients`). */
export interface StaticClientConfig {
  readonly id: string;
  readonly name: string | undefined;
  /** absent for public clients */
  readonly secret: string | undefined;
  readonly public: boolean;
  readonly redirectURIs: readonly string[];
}

export interface DexConfig {
  /** the password database (static users) is on only when true, as in Dex */
  readonly enablePasswordDB: boolean;
  readonly staticPasswords: readonly StaticPassword[];
  readonly connectors: readonly ConnectorConfig[];
  readonly staticClients: readonly StaticClientConfig[];
  /** Dex `expiry.idTokens`; default 24h */
  readonly idTokenTtlMs: number;
  /** Dex `expiry.signingKeys`: how often the signing key rotates; default 24h here */
  readonly signingKeyRotationMs: number;
  /** Dex `expiry.refreshTokens.absoluteLifetime`; default 30 days */
  readonly refreshTokenTtlMs: number;
}

export const DEFAULT_ID_TOKEN_TTL_MS = 24 * 3_600_000;
export const DEFAULT_SIGNING_KEY_ROTATION_MS = 24 * 3_600_000;
export const DEFAULT_REFRESH_TOKEN_TTL_MS = 30 * 24 * 3_600_000;
/** Largest dex.config accepted (a ConfigMap value cannot exceed 1 MiB anyway). */
export const MAX_DEX_CONFIG_BYTES = 1024 * 1024;

export const EMPTY_DEX_CONFIG: DexConfig = Object.freeze({
  enablePasswordDB: false,
  staticPasswords: [],
  connectors: [],
  staticClients: [],
  idTokenTtlMs: DEFAULT_ID_TOKEN_TTL_MS,
  signingKeyRotationMs: DEFAULT_SIGNING_KEY_ROTATION_MS,
  refreshTokenTtlMs: DEFAULT_REFRESH_TOKEN_TTL_MS,
});

/** Resolves an Argo CD secret reference (`$key` or `$name:key`, without the `$`). */
export type SecretLookup = (reference: string) => string | undefined;

export interface ParsedDexConfig {
  readonly config: DexConfig;
  /** things that do not stop the server but the operator should know (ignored keys and so on) */
  readonly warnings: readonly string[];
}

const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
const CONNECTOR_ID = /^[A-Za-z0-9_-]{1,64}$/;
const IGNORED_TOP_LEVEL = new Set([
  'issuer',
  'storage',
  'web',
  'grpc',
  'telemetry',
  'logger',
  'frontend',
]);
const KNOWN_TOP_LEVEL = new Set([
  'enablePasswordDB',
  'staticPasswords',
  'connectors',
  'staticClients',
  'oauth2',
  'expiry',
]);

function configError(path: string, message: string): OidcError {
  return new OidcError('ERR_OIDC_CONFIG', `failed to read dex.config: ${path}: ${message}`);
}

/** Lists the secret references (`$...` strings) dex.config uses, so a caller can fetch them first. */
export function secretReferences(yamlText: string | undefined): string[] {
  if (yamlText === undefined || yamlText.trim() === '') return [];
  let doc: unknown;
  try {
    doc = parseYaml(yamlText, { maxAliasCount: 100 });
  } catch {
    return [];
  }
  const out = new Set<string>();
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      if (v.startsWith('$') && v.length > 1 && !BCRYPT.test(v)) out.add(v.slice(1));
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (isRecord(v)) Object.values(v).forEach(walk);
  };
  walk(doc);
  return [...out].sort();
}

class Reader {
  private readonly lookup: SecretLookup;
  readonly warnings: string[];

  constructor(lookup: SecretLookup, warnings: string[]) {
    this.lookup = lookup;
    this.warnings = warnings;
  }

  /** A string; `$references` are resolved; a required one that is absent or empty throws. */
  string(obj: Record<string, unknown>, key: string, path: string, required: true): string;
  string(
    obj: Record<string, unknown>,
    key: string,
    path: string,
    required?: false,
  ): string | undefined;
  string(
    obj: Record<string, unknown>,
    key: string,
    path: string,
    required = false,
  ): string | undefined {
    const v = obj[key];
    if (v === undefined || v === null || v === '') {
      if (required) throw configError(`${path}.${key}`, 'is required');
      return undefined;
    }
    if (typeof v !== 'string') {
      if (typeof v === 'number' || typeof v === 'boolean') return String(v);
      throw configError(`${path}.${key}`, 'must be a string');
    }
    return this.resolve(v, `${path}.${key}`);
  }

  resolve(v: string, path: string): string {
    if (!v.startsWith('$') || v.length < 2) return v;
    const ref = v.slice(1);
    const value = this.lookup(ref);
    if (value === undefined) {
      // as in Argo CD, an unresolvable reference stays literal; bcrypt hashes start with "$" too
      if (!BCRYPT.test(v))
        this.warnings.push(
          `${path}: "$${ref}" looks like a secret reference, but argocd-secret has no key "${ref}" (nor, for "$name:key", a Secret labelled app.kubernetes.io/part-of: argocd); the value is used as written`,
        );
      return v;
    }
    return value.trim();
  }

  bool(obj: Record<string, unknown>, key: string, path: string, def: boolean): boolean {
    const v = obj[key];
    if (v === undefined || v === null) return def;
    if (typeof v === 'boolean') return v;
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw configError(`${path}.${key}`, 'must be true or false');
  }

  stringList(obj: Record<string, unknown>, key: string, path: string): string[] | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v)) throw configError(`${path}.${key}`, 'must be a list of strings');
    return v.map((item, i) => {
      if (typeof item !== 'string' || item === '')
        throw configError(`${path}.${key}[${i}]`, 'must be a non-empty string');
      return this.resolve(item, `${path}.${key}[${i}]`);
    });
  }

  record(obj: Record<string, unknown>, key: string, path: string): Record<string, unknown> {
    const v = obj[key];
    if (v === undefined || v === null) return {};
    if (!isRecord(v)) throw configError(`${path}.${key}`, 'must be a mapping');
    return v;
  }

  duration(obj: Record<string, unknown>, key: string, path: string, def: number): number {
    const v = obj[key];
    if (v === undefined || v === null || v === '') return def;
    if (typeof v !== 'string')
      throw configError(`${path}.${key}`, 'must be a duration such as 24h');
    let ms: number;
    try {
      ms = parseDuration(v);
    } catch (err) {
      throw configError(`${path}.${key}`, errorMessage(err));
    }
    if (ms <= 0) throw configError(`${path}.${key}`, 'must be a positive duration');
    return ms;
  }
}

function decodeHash(raw: string): string | undefined {
  if (BCRYPT.test(raw)) return raw;
  // Dex also accepts the bcrypt hash base64-encoded
  const decoded = Buffer.from(raw, 'base64').toString('utf8');
  return BCRYPT.test(decoded) ? decoded : undefined;
}

function parseWebUrl(raw: string, path: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw configError(path, `"${raw}" is not a URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw configError(path, `"${raw}" must be an http(s) URL`);
  if (u.username || u.password) throw configError(path, 'must not contain credentials');
  return raw;
}

function readStaticPasswords(r: Reader, doc: Record<string, unknown>): StaticPassword[] {
  const raw = doc.staticPasswords;
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw configError('staticPasswords', 'must be a list');
  const seen = new Set<string>();
  return raw.map((entry, i) => {
    const path = `staticPasswords[${i}]`;
    if (!isRecord(entry)) throw configError(path, 'must be a mapping');
    const email = r.string(entry, 'email', path, true);
    const who = `${path} (${email})`;
    const rawHash = r.string(entry, 'hash', who, true);
    const hash = decodeHash(rawHash);
    if (hash === undefined)
      throw configError(
        `${who}.hash`,
        'is not a bcrypt hash: create one with `htpasswd -nbBC 10 "" PASSWORD | tr -d \':\\n\'` or `argocd account bcrypt`',
      );
    const key = email.toLowerCase();
    if (seen.has(key)) throw configError(`${who}.email`, 'is used by another static password');
    seen.add(key);
    const groups = r.stringList(entry, 'groups', who) ?? [];
    return {
      email,
      hash,
      username: r.string(entry, 'username', who, true),
      userID: r.string(entry, 'userID', who, true),
      groups,
    };
  });
}

function readOidcSettings(
  r: Reader,
  config: Record<string, unknown>,
  path: string,
): OidcConnectorSettings {
  const issuer = parseWebUrl(r.string(config, 'issuer', path, true), `${path}.issuer`);
  if (!issuer.startsWith('https:'))
    throw configError(
      `${path}.issuer`,
      'must be an https URL: ID tokens and client secrets do not travel over plain HTTP',
    );
  const redirectURI = r.string(config, 'redirectURI', path);
  const claimMapping = r.record(config, 'claimMapping', path);
  const groupsClaim =
    r.string(claimMapping, 'groups', `${path}.claimMapping`) ??
    r.string(config, 'groupsKey', path) ??
    'groups';
  const insecureEnableGroups = r.bool(config, 'insecureEnableGroups', path, false);
  if (
    !insecureEnableGroups &&
    (claimMapping.groups !== undefined || config.groupsKey !== undefined)
  )
    r.warnings.push(
      `${path}: a groups claim is mapped but insecureEnableGroups is not true, so (as in Dex) no groups are read from this connector`,
    );
  const rootCAs = r.stringList(config, 'rootCAs', path) ?? [];
  const inlinePem = rootCAs.filter((s) => s.includes('-----BEGIN'));
  const files = rootCAs.filter((s) => !s.includes('-----BEGIN'));
  const rootCA = [r.string(config, 'rootCA', path), ...inlinePem].filter(Boolean).join('\n');
  return {
    issuer: issuer.replace(/\/+$/, ''),
    clientID: r.string(config, 'clientID', path, true),
    clientSecret: r.string(config, 'clientSecret', path, true),
    redirectURI:
      redirectURI === undefined ? undefined : parseWebUrl(redirectURI, `${path}.redirectURI`),
    scopes: r.stringList(config, 'scopes', path),
    getUserInfo: r.bool(config, 'getUserInfo', path, false),
    insecureSkipEmailVerified: r.bool(config, 'insecureSkipEmailVerified', path, false),
    insecureEnableGroups,
    groupsClaim,
    userIDKey: r.string(config, 'userIDKey', path) ?? 'sub',
    userNameKey: r.string(config, 'userNameKey', path) ?? 'name',
    preferredUsernameClaim:
      r.string(claimMapping, 'preferred_username', `${path}.claimMapping`) ?? 'preferred_username',
    emailClaim: r.string(claimMapping, 'email', `${path}.claimMapping`) ?? 'email',
    rootCA: rootCA === '' ? undefined : rootCA,
    rootCAFiles: files,
    insecureSkipVerify: r.bool(config, 'insecureSkipVerify', path, false),
    promptType: config.promptType === '' ? '' : r.string(config, 'promptType', path),
  };
}

function readConnectors(r: Reader, doc: Record<string, unknown>): ConnectorConfig[] {
  const raw = doc.connectors;
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw configError('connectors', 'must be a list');
  const ids = new Set<string>(['local']);
  return raw.map((entry, i) => {
    const path = `connectors[${i}]`;
    if (!isRecord(entry)) throw configError(path, 'must be a mapping');
    const id = r.string(entry, 'id', path, true);
    const who = `${path} (id ${id})`;
    if (!CONNECTOR_ID.test(id))
      throw configError(`${who}.id`, 'may contain only letters, digits, "-" and "_" (at most 64)');
    if (ids.has(id))
      throw configError(
        `${who}.id`,
        id === 'local' ? '"local" is the password database' : 'is used twice',
      );
    ids.add(id);
    const type = r.string(entry, 'type', who, true);
    if (type !== 'oidc')
      throw configError(
        `${who}.type`,
        `connector "${id}" has type "${type}", which argocd-dex-server does not support: the supported type is "oidc" (use an upstream OpenID provider that speaks to ${type})`,
      );
    const config = entry.config;
    if (!isRecord(config)) throw configError(`${who}.config`, 'is required and must be a mapping');
    return {
      type: 'oidc' as const,
      id,
      name: r.string(entry, 'name', who) ?? id,
      settings: readOidcSettings(r, config, `${who}.config`),
    };
  });
}

function readStaticClients(r: Reader, doc: Record<string, unknown>): StaticClientConfig[] {
  const raw = doc.staticClients;
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw configError('staticClients', 'must be a list');
  const reserved = new Set(['argo-cd', 'argo-cd-cli', 'argo-cd-pkce']);
  const ids = new Set<string>();
  return raw.map((entry, i) => {
    const path = `staticClients[${i}]`;
    if (!isRecord(entry)) throw configError(path, 'must be a mapping');
    const id = r.string(entry, 'id', path, true);
    const who = `${path} (id ${id})`;
    if (reserved.has(id))
      throw configError(`${who}.id`, `"${id}" is added by Argo CD itself; choose another id`);
    if (ids.has(id)) throw configError(`${who}.id`, 'is used twice');
    ids.add(id);
    const isPublic = r.bool(entry, 'public', who, false);
    let secret = r.string(entry, 'secret', who);
    if (secret === undefined && entry.secretEnv !== undefined)
      throw configError(
        `${who}.secretEnv`,
        'is not supported: put the secret into argocd-secret and write secret: $<key>',
      );
    if (isPublic) secret = undefined;
    else if (secret === undefined)
      throw configError(
        `${who}.secret`,
        'is required for a confidential client (or set public: true)',
      );
    const redirectURIs = r.stringList(entry, 'redirectURIs', who) ?? [];
    if (redirectURIs.length === 0)
      throw configError(`${who}.redirectURIs`, 'must list at least one redirect URI');
    return { id, name: r.string(entry, 'name', who), secret, public: isPublic, redirectURIs };
  });
}

/**
 * Parses dex.config. An absent or empty text is the empty configuration (no login methods).
 * Throws OidcError `ERR_OIDC_CONFIG` naming the offending field; the message never contains a
 * resolved secret or a password hash.
 * @example
 * const { config, warnings } = parseDexConfig(cm.data?.['dex.config'], (ref) => secret[ref]);
 */
export function parseDexConfig(
  yamlText: string | undefined,
  lookup: SecretLookup = () => undefined,
): ParsedDexConfig {
  const warnings: string[] = [];
  if (yamlText === undefined || yamlText.trim() === '')
    return { config: EMPTY_DEX_CONFIG, warnings };
  if (Buffer.byteLength(yamlText) > MAX_DEX_CONFIG_BYTES)
    throw configError('(document)', `is larger than ${MAX_DEX_CONFIG_BYTES} bytes`);
  let doc: unknown;
  try {
    doc = parseYaml(yamlText, { maxAliasCount: 100 });
  } catch (err) {
    throw configError('(document)', `is not valid YAML: ${errorMessage(err)}`);
  }
  if (doc === null || doc === undefined) return { config: EMPTY_DEX_CONFIG, warnings };
  if (!isRecord(doc)) throw configError('(document)', 'must be a YAML mapping');
  const r = new Reader(lookup, warnings);

  for (const key of Object.keys(doc)) {
    if (IGNORED_TOP_LEVEL.has(key))
      warnings.push(`${key}: ignored (argocd-dex-server sets it itself, as Argo CD does for Dex)`);
    else if (!KNOWN_TOP_LEVEL.has(key)) warnings.push(`${key}: unknown key, ignored`);
  }

  const enablePasswordDB = r.bool(doc, 'enablePasswordDB', '(document)', false);
  const staticPasswords = readStaticPasswords(r, doc);
  if (staticPasswords.length > 0 && !enablePasswordDB)
    warnings.push(
      'staticPasswords: ignored because enablePasswordDB is not true (as in Dex): set enablePasswordDB: true to let these users log in',
    );

  const oauth2 = r.record(doc, 'oauth2', '(document)');
  if (!r.bool(oauth2, 'skipApprovalScreen', 'oauth2', true))
    warnings.push(
      'oauth2.skipApprovalScreen: false is not supported; the approval screen is always skipped (Argo CD default)',
    );
  const expiry = r.record(doc, 'expiry', '(document)');
  const refresh = r.record(expiry, 'refreshTokens', 'expiry');

  return {
    config: {
      enablePasswordDB,
      staticPasswords: enablePasswordDB ? staticPasswords : [],
      connectors: readConnectors(r, doc),
      staticClients: readStaticClients(r, doc),
      idTokenTtlMs: r.duration(expiry, 'idTokens', 'expiry', DEFAULT_ID_TOKEN_TTL_MS),
      signingKeyRotationMs: r.duration(
        expiry,
        'signingKeys',
        'expiry',
        DEFAULT_SIGNING_KEY_ROTATION_MS,
      ),
      refreshTokenTtlMs: r.duration(
        refresh,
        'absoluteLifetime',
        'expiry.refreshTokens',
        DEFAULT_REFRESH_TOKEN_TTL_MS,
      ),
    },
    warnings,
  };
}
