/**
 * Which identity provider argocd-server is the relying party of, read from argocd-cm:
 *
 * - `oidc.config` (a direct external provider) wins when it names an issuer, as in Argo CD;
 * - else `dex.config` makes it the bundled provider: issuer `<url>/api/dex`, client `argo-cd`
 *   (secret derived from `server.secretkey`), CLI client `argo-cd-cli`, audiences both;
 * - else SSO is off.
 *
 * `oidc.config` values may be `$key` (a key of argocd-secret) or `$name:key` (a key of Secret `name`
 * labelled `app.kubernetes.io/part-of: argocd`), Argo CD's references. Parsing never throws: a bad
 * configuration turns SSO off and says what to fix (the server keeps serving local accounts).
 */
import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import type { ArgoCdSettings } from '../../apis/index.js';
import { isRecord, parseDuration } from '../../lib/index.js';

/** Argo CD's client ids of the bundled provider (`util/dex/config.go`). */
export const DEX_CLIENT_ID = 'argo-cd';
export const DEX_CLI_CLIENT_ID = 'argo-cd-cli';
/** Argo CD's default scopes (`oidc.GetScopesOrDefault`). */
export const DEFAULT_SCOPES: readonly string[] = Object.freeze([
  'openid',
  'profile',
  'email',
  'groups',
]);

/** The relying-party configuration in force. */
export interface SsoConfig {
  readonly kind: 'dex' | 'oidc';
  /** shown on the login button (`oidc.config` `name`; Dex: "Dex") */
  readonly name: string;
  readonly issuer: string;
  readonly clientId: string;
  /** never logged, never sent */
  readonly clientSecret: string | undefined;
  readonly cliClientId: string | undefined;
  readonly scopes: readonly string[];
  /** `requestedIDTokenClaims`, sent as the `claims` request parameter */
  readonly idTokenClaims: Readonly<Record<string, unknown>> | undefined;
  readonly allowedAudiences: readonly string[];
  readonly skipAudienceCheckWhenTokenHasNoAudience: boolean;
  readonly pkce: boolean;
  readonly logoutUrl: string | undefined;
  /** renew sessions whose ID token expires within this (0: no server-side refresh) */
  readonly refreshThresholdMs: number;
  /** extra CA (PEM) for the provider (`rootCA`) */
  readonly rootCa: string | undefined;
  /** `oidc.tls.insecure.skip.verify: "true"` */
  readonly insecureSkipVerify: boolean;
  /** argocd-cm `url` (no trailing slash) */
  readonly url: string;
  readonly additionalUrls: readonly string[];
  /** hash of everything above (a change means a new provider) */
  readonly fingerprint: string;
}

export interface SsoConfigInput {
  readonly settings: ArgoCdSettings;
  /** raw argocd-cm data (for `oidc.tls.insecure.skip.verify`) */
  readonly cm: Readonly<Record<string, string>>;
  readonly secretData: Readonly<Record<string, string>>;
  /** `$name:key`: the value of `key` in Secret `name` if it is labelled part-of argocd */
  readonly lookupSecret: (name: string, key: string) => string | undefined;
}

export interface SsoConfigResult {
  readonly config: SsoConfig | undefined;
  /** what is wrong or ignored (safe to log: no secret values) */
  readonly problems: readonly string[];
}

/**
 * The `argo-cd` client secret: the first 40 characters of base64url(SHA-256(`server.secretkey`)),
 * computed by both sides, never stored.
 */
export function dexClientSecret(serverSecretKey: string): string {
  return createHash('sha256').update(serverSecretKey, 'utf8').digest('base64url').slice(0, 40);
}

function trimUrl(u: string): string {
  return u.replace(/\/+$/, '');
}

function yamlRecord(
  text: string | undefined,
  what: string,
  problems: string[],
): Record<string, unknown> | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  try {
    const v: unknown = parseYaml(text);
    if (v === null || v === undefined) return undefined;
    if (isRecord(v)) return v;
    problems.push(`${what} is not a YAML mapping`);
  } catch {
    problems.push(`${what} is not valid YAML`);
  }
  return undefined;
}

/** Names of Secrets `oidc.config` references (`$name:key`), to watch their versions. */
export function referencedSecrets(oidcConfig: string | undefined): string[] {
  if (oidcConfig === undefined) return [];
  const out = new Set<string>();
  for (const m of oidcConfig.matchAll(/\$([a-z0-9]([-a-z0-9.]*[a-z0-9])?):/g))
    if (m[1] !== undefined) out.add(m[1]);
  return [...out];
}

/** Reads the relying-party configuration; see the module comment. */
export function resolveSsoConfig(input: SsoConfigInput): SsoConfigResult {
  const problems: string[] = [];
  const { settings, cm, secretData } = input;
  const insecureSkipVerify = cm['oidc.tls.insecure.skip.verify']?.trim().toLowerCase() === 'true';
  const oidc = yamlRecord(settings.oidcConfig, 'argocd-cm oidc.config', problems);
  const dex = yamlRecord(settings.dexConfig, 'argocd-cm dex.config', problems);
  const hasOidc = oidc !== undefined && typeof oidc.issuer === 'string' && oidc.issuer !== '';
  if (!hasOidc && dex === undefined) return { config: undefined, problems };
  if (settings.url === undefined || settings.url === '') {
    problems.push(
      'argocd-cm has no "url": SSO needs it for the redirect URI (<url>/auth/callback); set it to the external URL of Argo CD',
    );
    return { config: undefined, problems };
  }
  const url = trimUrl(settings.url);
  const additionalUrls = settings.additionalUrls.map(trimUrl);

  if (hasOidc)
    return fromOidcConfig(oidc, { url, additionalUrls, insecureSkipVerify, input, problems });

  const key = secretData['server.secretkey'];
  if (key === undefined || key === '') {
    problems.push(
      'argocd-secret has no server.secretkey yet: the bundled provider login is off until it does',
    );
    return { config: undefined, problems };
  }
  return finish(
    {
      kind: 'dex',
      name: 'Dex',
      issuer: `${url}/api/dex`,
      clientId: DEX_CLIENT_ID,
      clientSecret: dexClientSecret(key),
      cliClientId: DEX_CLI_CLIENT_ID,
      scopes: DEFAULT_SCOPES,
      idTokenClaims: undefined,
      allowedAudiences: [DEX_CLIENT_ID, DEX_CLI_CLIENT_ID],
      skipAudienceCheckWhenTokenHasNoAudience: false,
      pkce: true,
      logoutUrl: undefined,
      refreshThresholdMs: 0,
      rootCa: undefined,
      insecureSkipVerify: false,
      url,
      additionalUrls,
    },
    problems,
  );
}

function finish(c: Omit<SsoConfig, 'fingerprint'>, problems: string[]): SsoConfigResult {
  const fingerprint = createHash('sha256').update(JSON.stringify(c)).digest('base64url');
  return { config: Object.freeze({ ...c, fingerprint }), problems };
}

function fromOidcConfig(
  o: Record<string, unknown>,
  ctx: {
    url: string;
    additionalUrls: string[];
    insecureSkipVerify: boolean;
    input: SsoConfigInput;
    problems: string[];
  },
): SsoConfigResult {
  const { problems, input } = ctx;
  const resolve = (v: unknown, key: string): string | undefined => {
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string') {
      problems.push(`oidc.config ${key} must be a string`);
      return undefined;
    }
    if (!v.startsWith('$') || v.length < 2) return v;
    const ref = v.slice(1);
    const colon = ref.indexOf(':');
    const value =
      colon < 0
        ? input.secretData[ref]
        : input.lookupSecret(ref.slice(0, colon), ref.slice(colon + 1));
    if (value === undefined) {
      problems.push(
        `oidc.config ${key}: the reference "$${ref}" names no key of argocd-secret (or, for $name:key, of a Secret labelled app.kubernetes.io/part-of: argocd); it is used as written`,
      );
      return v;
    }
    return value.trim();
  };
  const str = (key: string): string | undefined => resolve(o[key], key);
  const strList = (key: string): string[] | undefined => {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
      problems.push(`oidc.config ${key} must be a list of strings`);
      return undefined;
    }
    return v;
  };
  const bool = (key: string): boolean | undefined => {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'boolean') return v;
    if (v === 'true' || v === 'false') return v === 'true';
    problems.push(`oidc.config ${key} must be true or false`);
    return undefined;
  };

  const issuer = trimUrl(str('issuer') ?? '');
  let issuerUrl: URL;
  try {
    issuerUrl = new URL(issuer);
  } catch {
    problems.push(`oidc.config issuer "${issuer}" is not a URL`);
    return { config: undefined, problems };
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(issuerUrl.hostname);
  if (issuerUrl.protocol !== 'https:' && !(issuerUrl.protocol === 'http:' && loopback)) {
    problems.push(`oidc.config issuer must be an https URL (got ${issuerUrl.protocol})`);
    return { config: undefined, problems };
  }
  const clientId = str('clientID');
  if (clientId === undefined) {
    problems.push('oidc.config has no clientID');
    return { config: undefined, problems };
  }
  const cliClientId = str('cliClientID');
  const scopes = strList('requestedScopes') ?? [...DEFAULT_SCOPES];
  if (!scopes.includes('openid')) scopes.unshift('openid');
  const claims = o.requestedIDTokenClaims;
  if (claims !== undefined && !isRecord(claims))
    problems.push('oidc.config requestedIDTokenClaims must be a mapping of claim names');
  const allowed = strList('allowedAudiences');
  const allowedAudiences =
    allowed !== undefined && allowed.length > 0
      ? allowed
      : [clientId, ...(cliClientId ? [cliClientId] : [])];
  let refreshThresholdMs = 0;
  const threshold = str('refreshTokenThreshold');
  if (threshold !== undefined) {
    try {
      refreshThresholdMs = parseDuration(threshold);
    } catch {
      problems.push(`oidc.config refreshTokenThreshold "${threshold}" is not a duration (e.g. 5m)`);
    }
  }
  const logoutUrl = str('logoutURL');
  if (logoutUrl !== undefined && !/^https?:\/\//i.test(logoutUrl)) {
    problems.push('oidc.config logoutURL must be an http(s) URL; it is ignored');
  }
  for (const k of ['userInfoPath', 'enableUserInfoGroups', 'azure', 'domainHint'])
    if (o[k] !== undefined)
      problems.push(`oidc.config ${k} is not supported by argocd-ts and is ignored`);
  return finish(
    {
      kind: 'oidc',
      name: str('name') ?? 'SSO',
      issuer,
      clientId,
      clientSecret: str('clientSecret'),
      cliClientId,
      scopes,
      idTokenClaims: isRecord(claims) ? claims : undefined,
      allowedAudiences,
      skipAudienceCheckWhenTokenHasNoAudience:
        bool('skipAudienceCheckWhenTokenHasNoAudience') ?? false,
      // argocd-ts: PKCE unless turned off explicitly (Argo CD: only when enabled)
      pkce: bool('enablePKCEAuthentication') ?? true,
      logoutUrl: logoutUrl !== undefined && /^https?:\/\//i.test(logoutUrl) ? logoutUrl : undefined,
      refreshThresholdMs,
      rootCa: str('rootCA'),
      insecureSkipVerify: ctx.insecureSkipVerify,
      url: ctx.url,
      additionalUrls: ctx.additionalUrls,
    },
    problems,
  );
}
