/**
 * The SSO service: argocd-server as the OpenID relying party of the bundled provider
 * (argocd-dex-server, `dex.config`) or of a direct provider (`oidc.config`).
 *
 * - `GET /auth/login?return_url=`: authorization code flow with PKCE (S256), `state` and `nonce`
 *   sealed in the `argocd.oauthstate` cookie (5 min); the return URL must be on `url` or
 *   `additionalUrls` (open-redirect guard).
 * - `GET /auth/callback`: state (cookie) and nonce checked, code exchanged (openid-client), ID token
 *   verified, `argocd.token` cookie set, redirect to the return URL; failures are a plain escaped
 *   page.
 * - `GET /auth/logout`: revokes the token (local: its `jti`; SSO: `jti`/`uti`/`at_hash`), drops the
 *   session's refresh token, clears the cookies, redirects to `url` or to the provider's `logoutURL`.
 * - `/api/dex/*`: the reverse proxy to the bundled provider (proxy.ts).
 * - the verifier of tokens whose issuer is not `argocd` (installed with `deps.setSsoVerifier`),
 *   with server-side refresh when `refreshTokenThreshold` is set (sessions.ts).
 *
 * The configuration is read from the watch cache on use; a change of argocd-cm, argocd-secret or
 * a referenced Secret takes effect on the next request, without a restart (Argo CD restarts).
 */
import { rootCertificates, type ConnectionOptions } from 'node:tls';
import * as oidcClient from 'openid-client';
import {
  AuthError,
  MemoryRefreshTokenStore,
  OAUTH_STATE_COOKIE,
  OAUTH_STATE_TTL_MS,
  TOKEN_ISSUER,
  clearTokenCookies,
  cookieChunks,
  deriveOAuthStateKey,
  extractToken,
  newOAuthLogin,
  openOAuthState,
  parseCookieHeader,
  peekIssuer,
  systemClock,
  type Clock,
  type OAuthStateKey,
  type RefreshTokenStore,
  type VerifiedOidcToken,
} from '../../auth/index.js';
import { decodeSecretData, Labels } from '../../apis/index.js';
import { errorMessage, isRecord } from '../../lib/index.js';
import { scopeValues, userIdentifier } from '../../rbac/index.js';
import type { ClientTlsMode } from '../../tls/index.js';
import type { SsoIdentity, SsoTokenVerifier } from '../authn.js';
import { Cwe, logSecurityEvent, Security, type ServerLogger } from '../logging.js';
import type { ApiRequest, ApiService, ServiceDeps } from '../service.js';
import { referencedSecrets, resolveSsoConfig, type SsoConfig } from './config.js';
import { createProviderFetch, type ProviderFetch } from './http-fetch.js';
import { errorPage, PAGE_HEADERS } from './pages.js';
import { SsoProvider, type DiscoveredProvider } from './provider.js';
import { registerDexProxy } from './proxy.js';
import { checkReturnUrl, loginBase } from './return-url.js';
import { SsoSessions } from './sessions.js';

/**
 * An error with its causes (openid-client wraps fetch and TLS errors as "something went wrong"),
 * and the claim a failed ID-token check was about.
 */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let i = 0; i < 5 && e !== undefined && e !== null; i++) {
    parts.push(errorMessage(e));
    if (!(e instanceof Error)) break;
    const cause: unknown = e.cause;
    if (isRecord(cause) && typeof cause.claim === 'string') {
      parts.push(`claim "${cause.claim}"`);
      break;
    }
    e = cause;
  }
  return parts.join(': ');
}

/** Argo CD's default `--dex-server`. */
export const DEFAULT_DEX_SERVER = 'argocd-dex-server:5556';

/** The client side of the link to the bundled provider (a `ClientTlsSource` fits). */
export interface DexLinkTls {
  readonly mode: ClientTlsMode;
  connectionOptions(): ConnectionOptions | undefined;
}

/** Argo CD's default link: TLS without verification (the provider's certificate is self-signed). */
export const INSECURE_DEX_LINK: DexLinkTls = Object.freeze({
  mode: 'insecure' as const,
  connectionOptions: () => ({ rejectUnauthorized: false }),
});

export interface SsoServiceOptions {
  /** `--dex-server` (`host:port` or a URL); default `argocd-dex-server:5556` */
  readonly dexServer?: string;
  /** `--dex-server-plaintext` */
  readonly dexServerPlaintext?: boolean;
  /**
   * the link's TLS built from `--dex-server-strict-tls`, `--dex-server-ca-cert-path`, the client
   * certificate flags and the internal CA (`ClientTlsSource.open(dexServerClientTlsOptions(...))`);
   * default: Argo CD's non-validating TLS
   */
  readonly dexTls?: DexLinkTls;
  /** where refresh tokens live (the auth Redis with several replicas); in memory by default */
  readonly refreshTokens?: RefreshTokenStore;
  readonly clock?: Clock;
  /** JWKS fetch tuning (tests) */
  readonly jwks?: {
    readonly timeoutMs?: number;
    readonly maxAgeMs?: number;
    readonly cooldownMs?: number;
  };
  /** timeout of each request to the provider; default 15 s */
  readonly providerTimeoutMs?: number;
}

/**
 * The provider's address as a URL: `https://` unless `--dex-server-plaintext`. An explicit scheme
 * must agree with the flag: `http://` without `--dex-server-plaintext` is refused (TLS is required
 * unless turned off on purpose), and so is `https://` with it.
 */
export function resolveDexServerUrl(address: string, plaintext: boolean): URL {
  const a = address.trim();
  const fail = (why: string): never => {
    throw new TypeError(`failed to configure the Dex server link: ${why}`);
  };
  if (a === '') return fail('--dex-server is empty');
  const m = /^([a-z][a-z0-9+.-]*):\/\//i.exec(a);
  if (m) {
    const scheme = (m[1] ?? '').toLowerCase();
    if (scheme === 'http' && !plaintext)
      fail(
        `--dex-server ${a} is plain HTTP, but TLS is required unless --dex-server-plaintext is set (only behind a sidecar that does TLS)`,
      );
    if (scheme === 'https' && plaintext)
      fail(`--dex-server ${a} is https, but --dex-server-plaintext is set; use one or the other`);
    if (scheme !== 'http' && scheme !== 'https') fail(`--dex-server ${a} must be http(s)`);
  }
  let u: URL;
  try {
    u = new URL(m ? a : `${plaintext ? 'http' : 'https'}://${a}`);
  } catch {
    return fail(`--dex-server ${a} is not a host:port or URL`);
  }
  if (u.pathname !== '/' || u.search !== '' || u.username !== '')
    fail(`--dex-server ${a} must be only scheme, host and port`);
  return u;
}

interface Current {
  readonly config: SsoConfig;
  readonly provider: SsoProvider;
}

function rv(o: { metadata: { resourceVersion?: string } } | undefined): string {
  return o ? (o.metadata.resourceVersion ?? '?') : '-';
}

/** The relying party's state, recomputed when the watched settings change. */
class SsoState {
  readonly #deps: ServiceDeps;
  readonly #options: SsoServiceOptions;
  readonly #dexUrl: URL;
  readonly #dexTls: DexLinkTls | undefined;
  readonly #clock: Clock;
  #versionKey = '';
  #refs: { cmVersion: string; names: string[] } = { cmVersion: '', names: [] };
  #current: Current | undefined;
  #stateKey: { secret: string; key: Promise<OAuthStateKey> } | undefined;

  constructor(deps: ServiceDeps, options: SsoServiceOptions, dexUrl: URL) {
    this.#deps = deps;
    this.#options = options;
    this.#dexUrl = dexUrl;
    this.#dexTls =
      options.dexServerPlaintext === true ? undefined : (options.dexTls ?? INSECURE_DEX_LINK);
    this.#clock = options.clock ?? systemClock;
  }

  get log(): ServerLogger {
    return this.#deps.log;
  }

  get dexUrl(): URL {
    return this.#dexUrl;
  }

  dexTlsOptions(): ConnectionOptions | undefined {
    return this.#dexTls?.connectionOptions();
  }

  /** The provider in force, or undefined when SSO is not configured. */
  current(): Current | undefined {
    const store = this.#deps.store;
    const cm = store.argocdCm();
    const cmVersion = rv(cm);
    if (this.#refs.cmVersion !== cmVersion)
      this.#refs = { cmVersion, names: referencedSecrets(cm?.data?.['oidc.config']) };
    const key = [
      cmVersion,
      rv(store.argocdSecret()),
      ...this.#refs.names.map((n) => rv(store.secrets.get(n))),
    ].join('|');
    if (key === this.#versionKey) return this.#current;
    this.#versionKey = key;
    const { config, problems } = resolveSsoConfig({
      settings: store.settings(),
      cm: cm?.data ?? {},
      secretData: store.secretData(),
      lookupSecret: (name, k) => {
        const s = store.secrets.get(name);
        return s?.metadata.labels?.[Labels.partOf] === 'argocd'
          ? decodeSecretData(s)[k]
          : undefined;
      },
    });
    if (problems.length > 0)
      this.log.warn({ problems: [...problems] }, 'SSO configuration has problems');
    if (config === undefined) {
      if (this.#current) this.log.info({}, 'SSO is now off (no dex.config or oidc.config)');
      this.#current = undefined;
      return undefined;
    }
    if (this.#current?.config.fingerprint === config.fingerprint) return this.#current;
    this.#current = { config, provider: this.#makeProvider(config) };
    this.log.info(
      { kind: config.kind, issuer: config.issuer, clientId: config.clientId },
      'SSO relying party configured',
    );
    return this.#current;
  }

  #makeProvider(config: SsoConfig): SsoProvider {
    let fetch: ProviderFetch;
    let linkMode: ClientTlsMode | 'system' | 'system+rootCA';
    const timeoutMs = this.#options.providerTimeoutMs ?? 15_000;
    if (config.kind === 'dex') {
      const issuer = new URL(config.issuer);
      const issuerPath = issuer.pathname.replace(/\/+$/, '');
      const target = this.#dexUrl;
      fetch = createProviderFetch({
        allowHttp: this.#dexTls === undefined,
        tls: () => this.dexTlsOptions(),
        timeoutMs,
        rewrite: (u) => {
          // only the issuer's own URLs are fetched, and always from --dex-server
          if (
            u.origin !== issuer.origin ||
            (u.pathname !== issuerPath && !u.pathname.startsWith(`${issuerPath}/`))
          )
            throw new TypeError(
              `refusing to fetch ${u.origin}${u.pathname}: not under the issuer ${config.issuer}`,
            );
          return new URL(`${u.pathname}${u.search}`, target);
        },
      });
      linkMode = this.#dexTls?.mode ?? 'plaintext';
    } else {
      if (config.insecureSkipVerify)
        logSecurityEvent(this.log, {
          security: Security.HIGH,
          CWE: 295,
          msg: `TLS certificates of the identity provider ${config.issuer} are NOT verified (oidc.tls.insecure.skip.verify is "true"): anyone on the path can impersonate it and log in as anyone; remove the setting or use rootCA`,
        });
      const tls: ConnectionOptions | undefined = config.insecureSkipVerify
        ? { rejectUnauthorized: false }
        : config.rootCa !== undefined
          ? { ca: [...rootCertificates, config.rootCa] }
          : undefined;
      fetch = createProviderFetch({
        allowHttp: new URL(config.issuer).protocol === 'http:',
        tls: () => tls,
        timeoutMs,
      });
      linkMode = config.insecureSkipVerify
        ? 'insecure'
        : config.rootCa
          ? 'system+rootCA'
          : 'system';
    }
    return new SsoProvider(config, {
      fetch,
      clock: this.#clock,
      revocations: this.#deps.revocations,
      linkMode,
      ...(this.#options.jwks ? { jwks: this.#options.jwks } : {}),
    });
  }

  /** The sealing key of the login state and refresh tokens (derived from server.secretkey). */
  stateKey(): Promise<OAuthStateKey> {
    const secret = this.#deps.store.secretData()['server.secretkey'] ?? '';
    if (secret === '')
      return Promise.reject(
        new AuthError('ERR_AUTH_INVALID_SECRET_KEY', 'argocd-secret has no server.secretkey'),
      );
    if (this.#stateKey?.secret !== secret)
      this.#stateKey = { secret, key: deriveOAuthStateKey(secret) };
    return this.#stateKey.key;
  }
}

function sendPage(
  req: ApiRequest,
  status: number,
  page: { title: string; message: string; code?: string | undefined; retry?: boolean },
  extraCookies: string[] = [],
): ApiRequest['reply'] {
  const reply = req.reply;
  for (const [k, v] of Object.entries(PAGE_HEADERS)) void reply.header(k, v);
  if (extraCookies.length > 0) void reply.header('set-cookie', extraCookies);
  void reply.code(status).send(
    errorPage({
      title: page.title,
      message: page.message,
      code: page.code,
      retryHref: page.retry === true ? 'login' : undefined,
    }),
  );
  return reply;
}

function stateCookie(
  value: string,
  path: string,
  insecure: boolean,
  maxAgeSeconds: number,
): string {
  return `${OAUTH_STATE_COOKIE}=${value}; Path=${path}; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax${insecure ? '' : '; Secure'}`;
}

function callbackCookiePath(redirectUri: string): string {
  const p = new URL(redirectUri).pathname;
  return p.slice(0, p.lastIndexOf('/') + 1) || '/';
}

/** Fills `{{token}}` and `{{logoutRedirectURL}}` of an `oidc.config` `logoutURL`. */
export function expandLogoutUrl(template: string, token: string, redirectUrl: string): string {
  return template
    .replaceAll('{{token}}', encodeURIComponent(token))
    .replaceAll('{{logoutRedirectURL}}', encodeURIComponent(redirectUrl));
}

/** Creates the SSO service (the composition root passes it in `ApiServerDeps.services`). */
export function createSsoService(options: SsoServiceOptions = {}): ApiService {
  const dexUrl = resolveDexServerUrl(
    options.dexServer ?? DEFAULT_DEX_SERVER,
    options.dexServerPlaintext === true,
  );
  return {
    name: 'sso',
    register(routes, deps) {
      const clock = options.clock ?? systemClock;
      const state = new SsoState(deps, options, dexUrl);
      const sessions = new SsoSessions(
        options.refreshTokens ?? new MemoryRefreshTokenStore({ clock }),
        clock,
        deps.log,
      );
      const log = deps.log;
      const cookieOptions = { path: deps.options.basehref, insecure: deps.options.insecure };

      const identityOf = (v: VerifiedOidcToken, renewedToken?: string): SsoIdentity => {
        const subject = userIdentifier(v.claims);
        const email = v.claims.email;
        return {
          subject,
          username: typeof email === 'string' && email !== '' ? email : subject,
          issuer: v.issuer,
          groups: scopeValues(v.claims, deps.rbac.scopes),
          claims: v.claims,
          issuedAtMs: v.issuedAtMs,
          ...(renewedToken !== undefined ? { renewedToken } : {}),
        };
      };

      const discover = async (c: Current): Promise<DiscoveredProvider> => {
        try {
          return await c.provider.discover();
        } catch (err) {
          log.warn(
            { issuer: c.config.issuer, link: c.provider.deps.linkMode, err: describeError(err) },
            'SSO: the identity provider could not be reached or its discovery document was refused',
          );
          throw new AuthError(
            'ERR_AUTH_STORE',
            `failed to verify token: the identity provider ${c.config.issuer} cannot be reached`,
            { cause: err },
          );
        }
      };

      const verifier: SsoTokenVerifier = {
        async verify(token) {
          const c = state.current();
          if (c === undefined)
            throw new AuthError(
              'ERR_AUTH_TOKEN_INVALID',
              'failed to verify token: it was not issued by this server and no SSO provider is configured',
            );
          const d = await discover(c);
          const threshold = c.config.refreshThresholdMs;
          const v = await d.verifier.verify(token, { allowExpired: threshold > 0 });
          if (threshold > 0 && (v.expired || v.expiresAtMs - clock.now() <= threshold)) {
            let renewed: VerifiedOidcToken | undefined;
            try {
              renewed = await sessions.renew(v, d, await state.stateKey());
            } catch (err) {
              log.warn({ err: errorMessage(err) }, 'SSO: session renewal failed');
            }
            if (renewed) return identityOf(renewed, renewed.token);
            if (v.expired)
              throw new AuthError(
                'ERR_AUTH_TOKEN_EXPIRED',
                'failed to verify token: token is expired',
              );
          }
          return identityOf(v);
        },
      };
      deps.setSsoVerifier(verifier);

      registerDexProxy(routes.fastify, {
        target: () => (state.current()?.config.kind === 'dex' ? state.dexUrl : undefined),
        issuerPath: () => {
          const c = state.current();
          return c ? new URL(c.config.issuer).pathname : '/api/dex';
        },
        tls: () => state.dexTlsOptions(),
        log,
      });

      routes.route({
        method: 'GET',
        path: '/auth/login',
        auth: 'none',
        handler: async (ctx, req) => {
          const c = state.current();
          if (c === undefined)
            return sendPage(req, 404, {
              title: 'Single sign-on is not configured',
              message:
                'This Argo CD has no dex.config or oidc.config: log in with a local account.',
            });
          const returnUrl = checkReturnUrl(
            req.query.get('return_url'),
            c.config,
            deps.options.basehref,
          );
          if (returnUrl === undefined) {
            logSecurityEvent(log, {
              security: Security.MEDIUM,
              CWE: 601,
              msg: "login refused: the return URL is not one of Argo CD's URLs (open redirect attempt?)",
              fields: { clientAddress: ctx.clientAddress, requestId: ctx.requestId },
            });
            return sendPage(req, 400, {
              title: 'Login refused',
              message:
                'The page to return to after the login is not part of this Argo CD (its url or additionalUrls).',
            });
          }
          let d: DiscoveredProvider;
          let key: OAuthStateKey;
          try {
            d = await discover(c);
            key = await state.stateKey();
          } catch {
            return sendPage(req, 503, {
              title: 'Login unavailable',
              message: 'The identity provider cannot be reached right now. Try again in a moment.',
            });
          }
          const base = loginBase(c.config, req.headers.host, returnUrl);
          const redirectUri = `${base}/auth/callback`;
          const { login, cookieValue } = newOAuthLogin(
            key,
            { returnUrl, redirectUri, pkce: c.config.pkce },
            clock,
          );
          const scopes = [...c.config.scopes];
          if (c.config.refreshThresholdMs > 0 && !scopes.includes('offline_access'))
            scopes.push('offline_access');
          const params: Record<string, string> = {
            redirect_uri: redirectUri,
            scope: scopes.join(' '),
            state: login.state,
            nonce: login.nonce,
          };
          if (c.config.pkce) {
            params.code_challenge = await oidcClient.calculatePKCECodeChallenge(login.codeVerifier);
            params.code_challenge_method = 'S256';
          }
          if (c.config.idTokenClaims !== undefined)
            params.claims = JSON.stringify({ id_token: c.config.idTokenClaims });
          const authUrl = oidcClient.buildAuthorizationUrl(d.client, params);
          void req.reply.header(
            'set-cookie',
            stateCookie(
              cookieValue,
              callbackCookiePath(redirectUri),
              deps.options.insecure,
              OAUTH_STATE_TTL_MS / 1000,
            ),
          );
          void req.reply.header('cache-control', 'no-store');
          return req.reply.redirect(authUrl.href, 303);
        },
      });

      routes.route({
        method: 'GET',
        path: '/auth/callback',
        auth: 'none',
        handler: async (ctx, req) => {
          const c = state.current();
          if (c === undefined)
            return sendPage(req, 404, {
              title: 'Single sign-on is not configured',
              message: 'This Argo CD has no dex.config or oidc.config.',
            });
          const cookies = parseCookieHeader(req.headers.cookie);
          let key: OAuthStateKey;
          try {
            key = await state.stateKey();
          } catch {
            return sendPage(req, 503, {
              title: 'Login unavailable',
              message: 'Argo CD is not initialised yet.',
            });
          }
          const fields = { clientAddress: ctx.clientAddress, requestId: ctx.requestId };
          let login;
          try {
            login = openOAuthState(key, cookies[OAUTH_STATE_COOKIE], req.query.get('state'), clock);
          } catch (err) {
            logSecurityEvent(log, {
              security: Security.MEDIUM,
              CWE: Cwe.CSRF,
              msg: `login callback refused: ${errorMessage(err)}`,
              fields,
            });
            return sendPage(req, 400, {
              title: 'Login failed',
              message:
                'This login was not started here, took longer than 5 minutes, or was tampered with. Start again.',
              retry: true,
            });
          }
          const clear = stateCookie(
            '',
            callbackCookiePath(login.redirectUri),
            deps.options.insecure,
            0,
          );
          const providerError = req.query.get('error');
          if (providerError !== undefined) {
            log.warn(
              {
                ...fields,
                error: providerError.slice(0, 200),
                description: (req.query.get('error_description') ?? '').slice(0, 500),
              },
              'SSO: the identity provider refused the login',
            );
            return sendPage(
              req,
              401,
              {
                title: 'Login failed',
                message: 'The identity provider did not complete the login.',
                code: providerError,
                retry: true,
              },
              [clear],
            );
          }
          let d: DiscoveredProvider;
          try {
            d = await discover(c);
          } catch {
            return sendPage(
              req,
              503,
              {
                title: 'Login unavailable',
                message:
                  'The identity provider cannot be reached right now. Try again in a moment.',
              },
              [clear],
            );
          }
          const current = new URL(login.redirectUri);
          const q = req.raw.url.indexOf('?');
          current.search = q < 0 ? '' : req.raw.url.slice(q);
          let idToken: string;
          let refreshToken: string | undefined;
          try {
            const tokens = await oidcClient.authorizationCodeGrant(d.client, current, {
              ...(login.codeVerifier !== '' ? { pkceCodeVerifier: login.codeVerifier } : {}),
              expectedState: login.state,
              expectedNonce: login.nonce,
              idTokenExpected: true,
            });
            if (tokens.id_token === undefined) throw new Error('no ID token in the response');
            idToken = tokens.id_token;
            refreshToken = tokens.refresh_token;
          } catch (err) {
            logSecurityEvent(log, {
              security: Security.MEDIUM,
              CWE: Cwe.IMPROPER_AUTHENTICATION,
              msg: `login callback refused: the code exchange failed: ${describeError(err)}`,
              fields,
            });
            return sendPage(
              req,
              401,
              {
                title: 'Login failed',
                message: 'The authorization code could not be exchanged for a valid ID token.',
                retry: true,
              },
              [clear],
            );
          }
          let v: VerifiedOidcToken;
          try {
            v = await d.verifier.verify(idToken, { nonce: login.nonce });
          } catch (err) {
            logSecurityEvent(log, {
              security: Security.HIGH,
              CWE: Cwe.BAD_SIGNATURE,
              msg: `login callback refused: the ID token is not valid: ${errorMessage(err)}`,
              fields,
            });
            return sendPage(
              req,
              401,
              {
                title: 'Login failed',
                message: 'The identity provider returned an ID token that is not valid.',
                retry: true,
              },
              [clear],
            );
          }
          const id = identityOf(v);
          if (id.groups.length === 0)
            log.warn(
              {
                subject: id.subject,
                scopes: [...deps.rbac.scopes],
                claims: Object.keys(v.claims).sort(),
              },
              `SSO login of ${id.username} yielded no groups: none of the claims named by argocd-rbac-cm scopes (${deps.rbac.scopes.join(', ')}) holds any; the token has the claims listed in "claims" (set scopes to the right one, or ask the provider to include groups)`,
            );
          if (refreshToken !== undefined && c.config.refreshThresholdMs > 0) {
            try {
              await sessions.remember(v, refreshToken, key);
            } catch (err) {
              log.warn(
                { err: errorMessage(err) },
                'SSO: the refresh token could not be stored; the session will not be renewed',
              );
            }
          }
          logSecurityEvent(log, {
            security: Security.LOW,
            msg: `${id.username} logged in through ${c.config.kind === 'dex' ? 'the bundled identity provider' : c.config.issuer}`,
            fields: { ...fields, subject: id.subject, groups: id.groups.length },
          });
          void req.reply.header('set-cookie', [clear, ...cookieChunks(idToken, cookieOptions)]);
          void req.reply.header('cache-control', 'no-store');
          return req.reply.redirect(login.returnUrl, 303);
        },
      });

      routes.route({
        method: 'GET',
        path: '/auth/logout',
        auth: 'none',
        handler: async (ctx, req) => {
          const cookies = parseCookieHeader(req.headers.cookie);
          const url = deps.store.settings().url?.replace(/\/+$/, '');
          let redirect =
            url !== undefined ? `${url}${deps.options.basehref}` : deps.options.basehref;
          let found: { token: string } | undefined;
          try {
            const authorization = req.headers.authorization;
            found = extractToken({
              ...(authorization !== undefined ? { authorization } : {}),
              cookies,
            });
          } catch {
            found = undefined;
          }
          if (found !== undefined) {
            const token = found.token;
            const iss = peekIssuer(token);
            try {
              if (iss === TOKEN_ISSUER || iss === undefined) {
                await deps.sessions.revokeToken(await deps.sessions.verifyToken(token));
              } else {
                const c = state.current();
                if (c !== undefined) {
                  const d = await discover(c);
                  const v = await d.verifier.verify(token, { allowExpired: true });
                  await deps.revocations.revoke(v.revocationId, v.expiresAtMs);
                  await sessions.forget(v);
                  logSecurityEvent(log, {
                    security: Security.LOW,
                    msg: `${identityOf(v).username} logged out; the token is revoked`,
                    fields: { clientAddress: ctx.clientAddress, requestId: ctx.requestId },
                  });
                  if (c.config.logoutUrl !== undefined)
                    redirect = expandLogoutUrl(c.config.logoutUrl, token, redirect);
                }
              }
            } catch (err) {
              // an invalid or already revoked token: nothing to revoke, the cookies go anyway
              log.info({ err: errorMessage(err) }, 'logout: the token was not revoked');
            }
          }
          const cleared = clearTokenCookies(cookies, cookieOptions);
          if (cleared.length > 0) void req.reply.header('set-cookie', cleared);
          void req.reply.header('cache-control', 'no-store');
          return req.reply.redirect(redirect, 303);
        },
      });
    },
  };
}
