/**
 * The OAuth clients argocd-dex-server knows, as Argo CD registers them with Dex
 * (`util/dex/config.go`): `argo-cd` (the API server, confidential; its secret is derived from
 * `server.secretkey` and never stored anywhere), `argo-cd-cli` (the CLI, public, PKCE, loopback
 * redirects of RFC 8252), `argo-cd-pkce` (the web UI's PKCE login, public) and every
 * `staticClients` entry of dex.config.
 */
import { createHash } from 'node:crypto';
import type { StaticClientConfig } from './dex-config.js';
import { OidcError } from './errors.js';

export const ARGO_CD_CLIENT_ID = 'argo-cd';
export const ARGO_CD_CLI_CLIENT_ID = 'argo-cd-cli';
export const ARGO_CD_PKCE_CLIENT_ID = 'argo-cd-pkce';
/** The CLI listens on this port for the redirect unless told otherwise (`argocd login --sso`). */
export const CLI_REDIRECT_URIS: readonly string[] = [
  'http://localhost:8085/auth/callback',
  'http://localhost',
];

/** A client as the provider registers it. */
export interface RegisteredClient {
  readonly clientId: string;
  readonly name: string;
  /** absent for public clients, which must use PKCE */
  readonly clientSecret: string | undefined;
  /** `native` clients may redirect to any port on a loopback host (RFC 8252 §7.3) */
  readonly applicationType: 'web' | 'native';
  readonly redirectUris: readonly string[];
  readonly postLogoutRedirectUris: readonly string[];
}

export interface ClientSettings {
  /** argocd-cm `url`, without a trailing slash */
  readonly url: string;
  readonly additionalUrls: readonly string[];
  /** argocd-secret `server.secretkey`; without it the `argo-cd` client is left out */
  readonly serverSecretKey: string | undefined;
  readonly staticClients: readonly StaticClientConfig[];
}

/**
 * The `argo-cd` client secret: the first 40 characters of the URL-safe base64 of
 * SHA-256(`server.secretkey`), exactly as Argo CD computes it, so both sides derive it alone.
 * @example
 * argoCdClientSecret('c2VjcmV0') // 40 characters of [A-Za-z0-9_-]
 */
export function argoCdClientSecret(serverSecretKey: string): string {
  if (serverSecretKey === '') throw new TypeError('server.secretkey must not be empty');
  return createHash('sha256').update(serverSecretKey, 'utf8').digest('base64url').slice(0, 40);
}

function isLoopbackOrCustomScheme(uri: string): boolean {
  try {
    const u = new URL(uri);
    if (u.protocol === 'https:') return false;
    if (u.protocol !== 'http:') return true;
    return u.hostname === 'localhost' || u.hostname === '127.0.0.1' || u.hostname === '[::1]';
  } catch {
    return false;
  }
}

function checkUrl(raw: string, what: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new OidcError('ERR_OIDC_CONFIG', `failed to read ${what}: "${raw}" is not a URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new OidcError('ERR_OIDC_CONFIG', `failed to read ${what}: "${raw}" must be http(s)`);
  return raw.replace(/\/+$/, '');
}

const FORBIDDEN_SCHEMES = new Set([
  'javascript:',
  'vbscript:',
  'data:',
  'blob:',
  'file:',
  'about:',
]);

/** Checks a static client's redirect URI now, so a bad one fails at configuration, not at login. */
function checkRedirectUri(clientId: string, uri: string, native: boolean): void {
  const fail = (why: string): never => {
    throw new OidcError(
      'ERR_OIDC_CONFIG',
      `failed to read dex.config: staticClients (id ${clientId}): redirect URI "${uri}" ${why}`,
    );
  };
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return fail('is not an absolute URI');
  }
  if (u.hash !== '' || uri.includes('#')) fail('must not have a fragment');
  if (FORBIDDEN_SCHEMES.has(u.protocol)) fail(`must not use the ${u.protocol} scheme`);
  if (!native && u.protocol !== 'https:' && u.protocol !== 'http:')
    fail('must be http(s) (custom schemes need a public client)');
}

/** Every client the provider registers, built from argocd-cm, argocd-secret and dex.config. */
export function buildClients(settings: ClientSettings): RegisteredClient[] {
  const url = checkUrl(settings.url, 'argocd-cm url');
  const bases = [
    url,
    ...settings.additionalUrls.map((u, i) => checkUrl(u, `argocd-cm additionalUrls[${i}]`)),
  ];
  const clients: RegisteredClient[] = [];
  if (settings.serverSecretKey !== undefined && settings.serverSecretKey !== '') {
    clients.push({
      clientId: ARGO_CD_CLIENT_ID,
      name: 'Argo CD',
      clientSecret: argoCdClientSecret(settings.serverSecretKey),
      applicationType: 'web',
      redirectUris: bases.map((b) => `${b}/auth/callback`),
      postLogoutRedirectUris: bases,
    });
  }
  clients.push(
    {
      clientId: ARGO_CD_CLI_CLIENT_ID,
      name: 'Argo CD CLI',
      clientSecret: undefined,
      applicationType: 'native',
      redirectUris: CLI_REDIRECT_URIS,
      postLogoutRedirectUris: [],
    },
    {
      clientId: ARGO_CD_PKCE_CLIENT_ID,
      name: 'Argo CD PKCE',
      clientSecret: undefined,
      applicationType: 'web',
      redirectUris: bases.map((b) => `${b}/pkce/verify`),
      postLogoutRedirectUris: bases,
    },
  );
  for (const c of settings.staticClients) {
    const native = c.public && c.redirectURIs.every(isLoopbackOrCustomScheme);
    for (const uri of c.redirectURIs) checkRedirectUri(c.id, uri, native);
    clients.push({
      clientId: c.id,
      name: c.name ?? c.id,
      clientSecret: c.public ? undefined : c.secret,
      applicationType: native ? 'native' : 'web',
      redirectUris: c.redirectURIs,
      postLogoutRedirectUris: [],
    });
  }
  return clients;
}

/** The oidc-provider client metadata of a registered client. */
export function clientMetadata(c: RegisteredClient): Record<string, unknown> & {
  client_id: string;
} {
  const base = {
    client_id: c.clientId,
    client_name: c.name,
    application_type: c.applicationType,
    redirect_uris: [...c.redirectUris],
    post_logout_redirect_uris: [...c.postLogoutRedirectUris],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    id_token_signed_response_alg: 'RS256',
  };
  return c.clientSecret === undefined
    ? { ...base, token_endpoint_auth_method: 'none' }
    : { ...base, client_secret: c.clientSecret, token_endpoint_auth_method: 'client_secret_basic' };
}
