/**
 * argocd-dex-server's provider: oidc-provider configured as Argo CD's bundled Dex, plus the pages
 * and routes oidc-provider leaves to its user (login, connector chooser, upstream callback).
 *
 * Everything lives under the issuer's path (`<url>/api/dex`), because argocd-server forwards
 * `/api/dex/` to this server unchanged. The provider always speaks as the issuer: whatever Host the
 * request carried, discovery, redirects and cookies use the issuer's origin and path.
 *
 * Configuration changes (argocd-cm, argocd-secret) and key rotations rebuild the oidc-provider
 * instance; storage, cookie keys, login counters and pending logins live outside it, so a rebuild
 * loses nothing and nobody is logged out.
 */
import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  Account,
  Configuration,
  Interaction,
  InteractionResults,
  KoaContextWithOIDC,
  Provider,
} from 'oidc-provider';
import { errorMessage, sanitizeText } from '../lib/index.js';
import { buildClients, clientMetadata, type RegisteredClient } from './clients.js';
import type { ConnectorFetch } from './connector-fetch.js';
import type { DexConfig } from './dex-config.js';
import { OidcError } from './errors.js';
import { ExpiringMap } from './expiring-map.js';
import { LOCAL_CONNECTOR_ID, dexSubject, identityClaims, type Identity } from './identity.js';
import { KeyManager, providerJwks, type KeyStore } from './keys.js';
import { MemoryStore } from './memory-adapter.js';
import { OidcConnector, type UpstreamRequest } from './oidc-connector.js';
import { PAGE_CSP, STYLESHEET, chooserPage, loginPage, logoutPage, messagePage } from './pages.js';
import {
  LoginLimiter,
  checkCsrfToken,
  csrfToken,
  verifyPassword,
  type LoginLimiterOptions,
} from './password-login.js';
import { loadOidcProvider } from './provider-module.js';

/** What the provider is configured from (argocd-cm, argocd-secret, dex.config). */
export interface DexServerSettings {
  /** argocd-cm `url`: the external URL of Argo CD; the issuer is `<url>/api/dex` */
  readonly url: string;
  readonly additionalUrls: readonly string[];
  /** argocd-secret `server.secretkey`, from which the `argo-cd` client secret is derived */
  readonly serverSecretKey: string | undefined;
  readonly dex: DexConfig;
  /** argocd-cm `dex.auth.connectorId`: go straight to this connector, no chooser */
  readonly defaultConnectorId?: string | undefined;
}

/** Structured logger (pino's shape). */
export interface OidcLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

export interface DexServerOptions {
  readonly keyStore: KeyStore;
  readonly logger?: OidcLogger;
  /** clock in ms (tests); default Date.now */
  readonly now?: () => number;
  /** bound of each storage partition; default 10 000 */
  readonly maxEntriesPerModel?: number;
  readonly loginLimiter?: LoginLimiterOptions;
  /** how often to check whether the signing key is due for rotation; default 10 min */
  readonly keyCheckIntervalMs?: number;
  /**
   * waited before answering a password login, successful or not (defence in depth against timing
   * and guessing); default a random 200–500 ms
   */
  readonly loginDelay?: () => Promise<void>;
  /** replaces the TLS-verifying HTTP client of upstream connectors (tests) */
  readonly connectorFetch?: (connectorId: string) => ConnectorFetch | undefined;
}

/** Lifetimes, in seconds, of what the provider issues. */
const AUTHORIZATION_CODE_TTL_SEC = 300;
const INTERACTION_TTL_SEC = 1800;
const MAX_FORM_BYTES = 16 * 1024;
/** Extra time retired keys stay published beyond the ID token lifetime (clock skew, caches). */
const KEY_RETENTION_SLACK_MS = 10 * 60_000;

function randomDelay(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, randomInt(200, 501)));
}

const SILENT: OidcLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};

interface PendingUpstream {
  readonly interactionUid: string;
  readonly connectorId: string;
  readonly request: UpstreamRequest;
}

interface Built {
  readonly settings: DexServerSettings;
  readonly issuer: string;
  /** the issuer's path, e.g. `/api/dex` */
  readonly prefix: string;
  readonly clients: readonly RegisteredClient[];
  readonly connectors: ReadonlyMap<string, OidcConnector>;
  readonly provider: Provider;
  readonly callback: (req: IncomingMessage, res: ServerResponse) => void;
}

/** The issuer of an Argo CD URL; throws OidcError when the URL cannot be one. */
export function issuerFor(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new OidcError('ERR_OIDC_CONFIG', `failed to read argocd-cm url: "${url}" is not a URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new OidcError(
      'ERR_OIDC_CONFIG',
      `failed to read argocd-cm url: "${url}" must be http(s)`,
    );
  if (u.search !== '' || u.hash !== '' || u.username !== '' || u.password !== '')
    throw new OidcError(
      'ERR_OIDC_CONFIG',
      'failed to read argocd-cm url: it must not have credentials, a query or a fragment',
    );
  return `${u.origin}${u.pathname.replace(/\/+$/, '')}/api/dex`;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const type = headerValue(req.headers['content-type']) ?? '';
    if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
      reject(new TypeError('expected a form (application/x-www-form-urlencoded)'));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_FORM_BYTES) {
        reject(new TypeError('form too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
    });
    req.on('error', reject);
  });
}

function commonHeaders(res: ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  commonHeaders(res);
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Security-Policy', PAGE_CSP);
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cache-Control', 'no-store');
  res.end(html);
}

function redirect(res: ServerResponse, location: string): void {
  commonHeaders(res);
  res.statusCode = 303;
  res.setHeader('Location', location);
  res.setHeader('Cache-Control', 'no-store');
  res.end();
}

function sendText(res: ServerResponse, status: number, text: string): void {
  commonHeaders(res);
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.end(text);
}

const INTERACTION_ROUTE =
  /^\/interaction\/([A-Za-z0-9_-]{1,64})(?:\/(login|upstream|connector\/([A-Za-z0-9_-]{1,64})))?$/;

/**
 * The bundled OpenID provider. Create with `DexServer.create`, serve `handler` on an HTTP(S)
 * server, call `update` when settings change and `close` when done.
 * @example
 * const dex = await DexServer.create(settings, { keyStore: new MemoryKeyStore() });
 * http.createServer(dex.handler).listen(5556, '127.0.0.1');
 */
export class DexServer {
  private readonly log: OidcLogger;
  private readonly now: () => number;
  private readonly store: MemoryStore;
  private readonly keys: KeyManager;
  private readonly limiter: LoginLimiter;
  private readonly cookieKeys: string[];
  private readonly csrfKey: Buffer;
  private readonly pending: ExpiringMap<PendingUpstream>;
  /** identities of logged-in upstream users, by subject (static users come from the config) */
  private readonly identities: ExpiringMap<Identity>;
  private readonly options: DexServerOptions;
  private built: Built | undefined;
  private timer: NodeJS.Timeout | undefined;
  private rebuilding: Promise<void> = Promise.resolve();

  private constructor(options: DexServerOptions, dex: DexConfig) {
    this.options = options;
    this.log = options.logger ?? SILENT;
    this.now = options.now ?? Date.now;
    this.store = new MemoryStore({
      now: this.now,
      ...(options.maxEntriesPerModel === undefined
        ? {}
        : { maxEntriesPerModel: options.maxEntriesPerModel }),
    });
    this.keys = new KeyManager({
      store: options.keyStore,
      rotationPeriodMs: dex.signingKeyRotationMs,
      retentionMs: dex.idTokenTtlMs + KEY_RETENTION_SLACK_MS,
      now: this.now,
    });
    this.limiter = new LoginLimiter({ now: this.now, ...options.loginLimiter });
    this.cookieKeys = [randomBytes(32).toString('base64url')];
    this.csrfKey = randomBytes(32);
    this.pending = new ExpiringMap(10_000, this.now);
    this.identities = new ExpiringMap(options.maxEntriesPerModel ?? 10_000, this.now);
  }

  /** Loads (or creates) the signing keys and builds the provider. */
  static async create(settings: DexServerSettings, options: DexServerOptions): Promise<DexServer> {
    const server = new DexServer(options, settings.dex);
    await server.keys.sync();
    await server.rebuild(settings);
    return server;
  }

  /** The issuer identifier, `<url>/api/dex`. */
  get issuer(): string {
    return this.current().issuer;
  }

  /** Ids of the registered clients (for logs and tests). */
  get clientIds(): string[] {
    return this.current().clients.map((c) => c.clientId);
  }

  /** `kid`s published in the JWKS, current first. */
  get keyIds(): string[] {
    return this.keys.keySet.keys.map((k) => k.kid);
  }

  /** Starts the periodic key check (rotation when due, pruning of expired keys). */
  start(): void {
    if (this.timer !== undefined) return;
    const every = this.options.keyCheckIntervalMs ?? 10 * 60_000;
    this.timer = setInterval(() => {
      this.syncKeys().catch((err: unknown) => {
        this.log.error({ err: errorMessage(err) }, 'failed to check the signing keys');
      });
    }, every);
    this.timer.unref();
  }

  /** Stops timers. Serving stops when the caller closes its HTTP server. */
  close(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Applies new settings. On failure the old configuration stays in force and the error is
   * thrown (OidcError `ERR_OIDC_CONFIG`).
   */
  async update(settings: DexServerSettings): Promise<void> {
    await this.rebuild(settings);
  }

  /** Rotates the signing key now; tokens signed before stay verifiable (old kid kept). */
  async rotateKeys(): Promise<void> {
    await this.keys.rotate();
    await this.rebuild(this.current().settings);
    this.log.info({ kid: this.keyIds[0] }, 'rotated the signing key');
  }

  /** Reloads the keys from the store, rotating or pruning when due; rebuilds when they changed. */
  async syncKeys(): Promise<void> {
    if (await this.keys.sync()) {
      await this.rebuild(this.current().settings);
      this.log.info({ kids: this.keyIds }, 'signing keys changed');
    }
  }

  /** The Node request handler serving everything under the issuer path (and `/healthz`). */
  readonly handler = (req: IncomingMessage, res: ServerResponse): void => {
    this.handle(req, res).catch((err: unknown) => {
      const logId = randomUUID();
      this.log.error({ logId, err: sanitizeText(errorMessage(err)) }, 'request failed');
      if (!res.headersSent)
        this.page(res, 500, 'Something went wrong', `Internal error (logId=${logId}).`);
      else res.destroy();
    });
  };

  private current(): Built {
    if (this.built === undefined) throw new TypeError('DexServer is not built');
    return this.built;
  }

  private rebuild(settings: DexServerSettings): Promise<void> {
    const next = this.rebuilding.then(() => this.build(settings));
    this.rebuilding = next.catch(() => undefined);
    return next;
  }

  private async build(settings: DexServerSettings): Promise<void> {
    const issuer = issuerFor(settings.url);
    const prefix = new URL(issuer).pathname;
    const clients = buildClients({
      url: settings.url,
      additionalUrls: settings.additionalUrls,
      serverSecretKey: settings.serverSecretKey,
      staticClients: settings.dex.staticClients,
    });
    const connectors = new Map<string, OidcConnector>();
    for (const c of settings.dex.connectors) {
      const fetch = this.options.connectorFetch?.(c.id);
      connectors.set(
        c.id,
        new OidcConnector(c, {
          callbackUrl: `${issuer}/callback`,
          ...(fetch === undefined ? {} : { fetch }),
        }),
      );
    }
    if (
      settings.defaultConnectorId !== undefined &&
      settings.defaultConnectorId !== LOCAL_CONNECTOR_ID &&
      !connectors.has(settings.defaultConnectorId)
    )
      throw new OidcError(
        'ERR_OIDC_CONFIG',
        `failed to read argocd-cm dex.auth.connectorId: no connector has the id "${settings.defaultConnectorId}"`,
      );
    const lib = await loadOidcProvider();
    let provider: Provider;
    try {
      provider = new lib.Provider(
        issuer,
        this.providerConfiguration(lib, issuer, settings, clients),
      );
    } catch (err) {
      throw new OidcError(
        'ERR_OIDC_CONFIG',
        `failed to configure the OpenID provider: ${sanitizeText(errorMessage(err))}`,
        { cause: err },
      );
    }
    // The request handler rewrites X-Forwarded-Host/-Proto to the issuer's (see handle()).
    provider.proxy = true;
    provider.on('server_error', (_ctx: unknown, err: unknown) => {
      this.log.error({ err: sanitizeText(errorMessage(err)) }, 'OpenID provider error');
    });
    for (const event of [
      'grant.error',
      'authorization.error',
      'userinfo.error',
      'end_session.error',
    ])
      provider.on(event, (_ctx: unknown, err: unknown) => {
        this.log.info({ event, err: sanitizeText(errorMessage(err)) }, 'request refused');
      });
    this.keys.setPolicy({
      rotationPeriodMs: settings.dex.signingKeyRotationMs,
      retentionMs: settings.dex.idTokenTtlMs + KEY_RETENTION_SLACK_MS,
    });
    this.built = {
      settings,
      issuer,
      prefix,
      clients,
      connectors,
      provider,
      callback: provider.callback(),
    };
  }

  private providerConfiguration(
    lib: Awaited<ReturnType<typeof loadOidcProvider>>,
    issuer: string,
    settings: DexServerSettings,
    clients: readonly RegisteredClient[],
  ): Configuration {
    const idTokenTtlSec = Math.floor(settings.dex.idTokenTtlMs / 1000);
    const refreshTtlSec = Math.floor(settings.dex.refreshTokenTtlMs / 1000);
    const stylesheet = `${new URL(issuer).pathname}/static/style.css`;
    const policy = lib.interactionPolicy.base();
    // As in Dex, every authorization request asks for credentials again: there is no long-lived
    // provider session that would log a user back in silently after Argo CD logged them out.
    policy
      .get('login')
      ?.checks.add(
        new lib.interactionPolicy.Check(
          'login_every_time',
          'every login asks for credentials',
          (ctx) =>
            ctx.oidc.result?.login === undefined
              ? lib.interactionPolicy.Check.REQUEST_PROMPT
              : lib.interactionPolicy.Check.NO_NEED_TO_PROMPT,
        ),
      );
    const ttl = (sec: number) => (): number => sec;
    return {
      adapter: this.store.adapterFactory,
      clients: clients.map(clientMetadata),
      jwks: providerJwks(this.keys.keySet),
      cookies: {
        keys: this.cookieKeys,
        names: {
          session: 'argocd_dex_session',
          interaction: 'argocd_dex_interaction',
          resume: 'argocd_dex_resume',
        },
        long: { signed: true, httpOnly: true, sameSite: 'lax' },
        short: { signed: true, httpOnly: true, sameSite: 'lax' },
      },
      claims: {
        openid: ['sub', 'federated_claims'],
        email: ['email', 'email_verified'],
        profile: ['name', 'preferred_username'],
        groups: ['groups'],
        'federated:id': ['federated_claims'],
      },
      scopes: ['openid', 'offline_access', 'email', 'profile', 'groups', 'federated:id'],
      conformIdTokenClaims: false,
      responseTypes: ['code'],
      clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'none'],
      extraParams: ['connector_id'],
      findAccount: (_ctx: KoaContextWithOIDC, sub: string) => this.findAccount(sub),
      loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
        const grantId =
          ctx.oidc.result?.consent?.grantId ??
          (
            ctx.oidc.session as { grantIdFor?: (id: string) => string | undefined } | undefined
          )?.grantIdFor?.(ctx.oidc.client?.clientId ?? '');
        return grantId === undefined ? undefined : this.current().provider.Grant.find(grantId);
      },
      clientBasedCORS: () => false,
      interactions: {
        policy,
        url: (_ctx: KoaContextWithOIDC, interaction: Interaction) =>
          `${issuer}/interaction/${interaction.uid}`,
      },
      features: {
        devInteractions: { enabled: false },
        dPoP: { enabled: false },
        pushedAuthorizationRequests: { enabled: false },
        resourceIndicators: { enabled: false },
        userinfo: { enabled: true },
        revocation: {
          enabled: true,
          allowedPolicy: (
            _ctx: unknown,
            client: { clientId: string },
            token: { clientId?: string },
          ) => Promise.resolve(token.clientId === client.clientId),
        },
        rpInitiatedLogout: {
          enabled: true,
          logoutSource: (ctx: KoaContextWithOIDC, form: string) => {
            this.koaHtml(ctx, logoutPage(stylesheet, form));
          },
          postLogoutSuccessSource: (ctx: KoaContextWithOIDC) => {
            this.koaHtml(
              ctx,
              messagePage({
                stylesheetUrl: stylesheet,
                title: 'Logged out',
                message: 'You are logged out of Argo CD.',
              }),
            );
          },
        },
      },
      routes: {
        authorization: '/auth',
        token: '/token',
        jwks: '/keys',
        userinfo: '/userinfo',
        end_session: '/logout',
        revocation: '/token/revoke',
      },
      ttl: {
        AccessToken: ttl(idTokenTtlSec),
        AuthorizationCode: ttl(AUTHORIZATION_CODE_TTL_SEC),
        IdToken: ttl(idTokenTtlSec),
        Interaction: ttl(INTERACTION_TTL_SEC),
        Session: ttl(idTokenTtlSec),
        Grant: ttl(refreshTtlSec),
        RefreshToken: ttl(refreshTtlSec),
      },
      renderError: (ctx: KoaContextWithOIDC, out: Record<string, unknown>) => {
        const error = typeof out.error === 'string' ? out.error : 'server_error';
        const description =
          typeof out.error_description === 'string' ? out.error_description : 'The request failed.';
        this.koaHtml(
          ctx,
          messagePage({
            stylesheetUrl: stylesheet,
            title: 'Login failed',
            message: `${description} (${error})`,
          }),
        );
      },
    };
  }

  private koaHtml(ctx: KoaContextWithOIDC, html: string): void {
    ctx.type = 'html';
    ctx.set('Content-Security-Policy', PAGE_CSP);
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('Cache-Control', 'no-store');
    ctx.body = html;
  }

  private findAccount(sub: string): Account | undefined {
    const identity = this.identityOf(sub);
    if (identity === undefined) return undefined;
    return { accountId: sub, claims: () => identityClaims(identity) };
  }

  /** Static users always reflect the current dex.config; upstream users what they logged in as. */
  private identityOf(sub: string): Identity | undefined {
    const dex = this.current().settings.dex;
    for (const u of dex.staticPasswords) {
      if (dexSubject(u.userID, LOCAL_CONNECTOR_ID) === sub) return localIdentity(u);
    }
    const upstream = this.identities.get(sub);
    if (upstream !== undefined && this.current().connectors.has(upstream.connectorId))
      return upstream;
    return undefined;
  }

  private stylesheetUrl(): string {
    return `${this.current().prefix}/static/style.css`;
  }

  private page(
    res: ServerResponse,
    status: number,
    title: string,
    message: string,
    link?: { href: string; text: string },
  ): void {
    sendHtml(
      res,
      status,
      messagePage({
        stylesheetUrl: this.stylesheetUrl(),
        title,
        message,
        ...(link === undefined ? {} : { link }),
      }),
    );
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const built = this.current();
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const path = q < 0 ? raw : raw.slice(0, q);
    const search = q < 0 ? '' : raw.slice(q);
    if (path === '/healthz') {
      sendText(res, 200, 'ok\n');
      return;
    }
    if (path !== built.prefix && !path.startsWith(`${built.prefix}/`)) {
      sendText(res, 404, 'not found\n');
      return;
    }
    const sub = path.slice(built.prefix.length) || '/';
    const method = req.method ?? 'GET';

    if (sub === '/static/style.css' && (method === 'GET' || method === 'HEAD')) {
      commonHeaders(res);
      res.setHeader('Content-Type', 'text/css; charset=utf-8');
      res.setHeader('Cache-Control', 'public, max-age=3600');
      res.end(method === 'HEAD' ? undefined : STYLESHEET);
      return;
    }
    if (sub === '/callback' && method === 'GET') {
      this.upstreamReturn(res, new URLSearchParams(search));
      return;
    }
    const m = INTERACTION_ROUTE.exec(sub);
    if (m !== null) {
      const uid = m[1] ?? '';
      const action = m[2];
      if (action === undefined && method === 'GET') return this.interaction(req, res, uid);
      if (action === 'login' && method === 'POST') return this.passwordLogin(req, res, uid);
      if (action === 'upstream' && method === 'GET')
        return this.upstreamFinish(req, res, uid, new URLSearchParams(search));
      if (m[3] !== undefined && method === 'GET') return this.startConnector(req, res, uid, m[3]);
      sendText(res, 405, 'method not allowed\n');
      return;
    }

    // Everything else is oidc-provider's. It sees the path below the issuer's and the issuer's
    // own origin, whatever Host or X-Forwarded-* the request carried (see the module comment).
    const issuerUrl = new URL(built.issuer);
    let forwarded = sub + search;
    if (sub === '/auth' && method === 'GET') forwarded = consentForOfflineAccess(sub, search);
    // oidc-provider derives its mount path from originalUrl minus url: keep them consistent
    Object.assign(req, { originalUrl: built.prefix + forwarded, url: forwarded });
    req.headers['x-forwarded-host'] = issuerUrl.host;
    req.headers['x-forwarded-proto'] = issuerUrl.protocol.slice(0, -1);
    commonHeaders(res);
    built.callback(req, res);
  }

  /** Loads the interaction named by the cookie and checks it is the one in the URL. */
  private async interactionFor(
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
  ): Promise<Interaction | undefined> {
    let details: Interaction | undefined;
    try {
      details = await this.current().provider.interactionDetails(req, res);
    } catch (err) {
      // no (valid, signed) interaction cookie, or the interaction expired: the page below says so
      this.log.debug({ err: errorMessage(err) }, 'login interaction not found');
    }
    if (details === undefined || details.uid !== uid) {
      this.page(
        res,
        400,
        'Login expired',
        'This login page has expired or was opened in another browser. Go back to Argo CD and log in again.',
      );
      return undefined;
    }
    return details;
  }

  private connectorChoices(): { id: string; name: string }[] {
    const built = this.current();
    const out: { id: string; name: string }[] = [];
    if (built.settings.dex.enablePasswordDB) out.push({ id: LOCAL_CONNECTOR_ID, name: 'Email' });
    for (const c of built.connectors.values()) out.push({ id: c.id, name: c.name });
    return out;
  }

  private async interaction(req: IncomingMessage, res: ServerResponse, uid: string): Promise<void> {
    const details = await this.interactionFor(req, res, uid);
    if (details === undefined) return;
    const accountId = details.session?.accountId;
    if (details.prompt.name === 'consent' && accountId !== undefined) {
      // skipApprovalScreen: true (Argo CD's default): consent is given on the user's behalf
      const grantId = await this.grant(details, accountId);
      await this.current().provider.interactionFinished(
        req,
        res,
        { consent: { grantId } },
        { mergeWithLastSubmission: true },
      );
      return;
    }
    const choices = this.connectorChoices();
    const requested =
      typeof details.params.connector_id === 'string' ? details.params.connector_id : undefined;
    const chosen =
      requested ??
      this.current().settings.defaultConnectorId ??
      (choices.length === 1 ? choices[0]?.id : undefined);
    if (chosen !== undefined) {
      await this.startConnector(req, res, uid, chosen, details);
      return;
    }
    if (choices.length === 0) {
      this.page(
        res,
        503,
        'No login method',
        'No login method is configured. An administrator must add staticPasswords (with enablePasswordDB: true) or a connector to dex.config in argocd-cm.',
      );
      return;
    }
    const base = `${this.current().issuer}/interaction/${uid}/connector/`;
    sendHtml(
      res,
      200,
      chooserPage({
        stylesheetUrl: this.stylesheetUrl(),
        connectors: choices.map((c) => ({ name: c.name, href: base + encodeURIComponent(c.id) })),
      }),
    );
  }

  private loginForm(uid: string, extra: { login?: string; error?: string } = {}): string {
    const several = this.connectorChoices().length > 1;
    return loginPage({
      stylesheetUrl: this.stylesheetUrl(),
      action: `${this.current().issuer}/interaction/${uid}/login`,
      csrfToken: csrfToken(this.csrfKey, uid),
      connectorName: 'Email',
      ...(several ? { chooserUrl: `${this.current().issuer}/interaction/${uid}` } : {}),
      ...extra,
    });
  }

  private async startConnector(
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    connectorId: string,
    known?: Interaction,
  ): Promise<void> {
    const details = known ?? (await this.interactionFor(req, res, uid));
    if (details === undefined) return;
    const built = this.current();
    if (connectorId === LOCAL_CONNECTOR_ID && built.settings.dex.enablePasswordDB) {
      sendHtml(res, 200, this.loginForm(uid));
      return;
    }
    const connector = built.connectors.get(connectorId);
    if (connector === undefined) {
      this.page(res, 400, 'Unknown login method', `There is no login method "${connectorId}".`, {
        href: `${built.issuer}/interaction/${uid}`,
        text: 'Choose a login method',
      });
      return;
    }
    const request = connector.newRequest();
    let target: URL;
    try {
      target = await connector.authorizationUrl(request);
    } catch (err) {
      this.upstreamFailure(res, uid, connector, err);
      return;
    }
    this.pending.set(
      request.state,
      { interactionUid: uid, connectorId, request },
      INTERACTION_TTL_SEC * 1000,
    );
    redirect(res, target.href);
  }

  private async passwordLogin(
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
  ): Promise<void> {
    let form: URLSearchParams;
    try {
      form = await readForm(req);
    } catch (err) {
      this.page(res, 400, 'Bad request', errorMessage(err));
      return;
    }
    const details = await this.interactionFor(req, res, uid);
    if (details === undefined) return;
    if (!checkCsrfToken(this.csrfKey, uid, form.get('csrf'))) {
      this.log.warn({ security: 2 }, 'login form posted without a valid anti-forgery token');
      this.page(
        res,
        403,
        'Login refused',
        'The login form was not sent by this page. Reload the page and log in again.',
        { href: `${this.current().issuer}/interaction/${uid}`, text: 'Back to the login page' },
      );
      return;
    }
    const dex = this.current().settings.dex;
    if (!dex.enablePasswordDB) {
      this.page(res, 400, 'Login refused', 'Password login is not enabled.');
      return;
    }
    const login = form.get('login') ?? '';
    const password = form.get('password') ?? '';
    const [outcome] = await Promise.all([
      verifyPassword(dex.staticPasswords, this.limiter, login, password),
      (this.options.loginDelay ?? randomDelay)(),
    ]);
    if (!outcome.ok) {
      this.log.warn(
        { security: outcome.reason === 'locked' ? 5 : 2, login: sanitizeText(login.slice(0, 128)) },
        outcome.reason === 'locked'
          ? 'login refused: too many failed attempts for this name'
          : 'login failed',
      );
      sendHtml(
        res,
        401,
        this.loginForm(uid, { login, error: 'Invalid email address or password.' }),
      );
      return;
    }
    await this.completeLogin(req, res, details, localIdentity(outcome.user));
  }

  private upstreamReturn(res: ServerResponse, params: URLSearchParams): void {
    const state = params.get('state') ?? '';
    const pending = this.pending.get(state);
    if (pending === undefined) {
      this.page(
        res,
        400,
        'Login expired',
        'This login is unknown or has expired. Go back to Argo CD and log in again.',
      );
      return;
    }
    // The interaction cookie is scoped to /interaction/<uid>; continue there so it is sent.
    redirect(
      res,
      `${this.current().issuer}/interaction/${pending.interactionUid}/upstream?${params.toString()}`,
    );
  }

  private async upstreamFinish(
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    params: URLSearchParams,
  ): Promise<void> {
    const state = params.get('state') ?? '';
    const pending = this.pending.take(state);
    if (pending === undefined || pending.interactionUid !== uid) {
      this.log.warn({ security: 2 }, 'upstream login returned with an unknown state');
      this.page(
        res,
        400,
        'Login expired',
        'This login is unknown or has expired. Go back to Argo CD and log in again.',
      );
      return;
    }
    const details = await this.interactionFor(req, res, uid);
    if (details === undefined) return;
    const connector = this.current().connectors.get(pending.connectorId);
    if (connector === undefined) {
      this.page(res, 400, 'Unknown login method', 'This login method was removed meanwhile.');
      return;
    }
    let identity: Identity;
    try {
      identity = await connector.finish(params, pending.request);
    } catch (err) {
      this.upstreamFailure(res, uid, connector, err);
      return;
    }
    if (connector.settings.insecureEnableGroups && identity.groups.length === 0)
      this.log.warn(
        { connector: connector.id, claim: connector.settings.groupsClaim, user: identity.userId },
        'the upstream provider returned no groups in the mapped claim; check claimMapping.groups',
      );
    await this.completeLogin(req, res, details, identity);
  }

  private upstreamFailure(
    res: ServerResponse,
    uid: string,
    connector: OidcConnector,
    err: unknown,
  ): void {
    const message =
      err instanceof OidcError ? err.message : `failed to log in with ${connector.name}`;
    this.log.warn(
      { connector: connector.id, err: sanitizeText(errorMessage(err)) },
      'upstream login failed',
    );
    this.page(res, 502, 'Login failed', message, {
      href: `${this.current().issuer}/interaction/${uid}`,
      text: 'Try again',
    });
  }

  private async completeLogin(
    req: IncomingMessage,
    res: ServerResponse,
    details: Interaction,
    identity: Identity,
  ): Promise<void> {
    const sub = identityClaims(identity).sub;
    if (identity.connectorId !== LOCAL_CONNECTOR_ID)
      this.identities.set(sub, identity, this.current().settings.dex.refreshTokenTtlMs);
    const grantId = await this.grant(details, sub);
    this.log.info(
      { security: 1, connector: identity.connectorId, user: identity.userId },
      'user logged in',
    );
    const result: InteractionResults = {
      login: { accountId: sub },
      consent: { grantId },
    };
    await this.current().provider.interactionFinished(req, res, result, {
      mergeWithLastSubmission: false,
    });
  }

  /** Grants the client every scope it asked for (the approval screen is skipped). */
  private async grant(details: Interaction, accountId: string): Promise<string> {
    const provider = this.current().provider;
    const clientId = typeof details.params.client_id === 'string' ? details.params.client_id : '';
    let grant =
      details.grantId === undefined ? undefined : await provider.Grant.find(details.grantId);
    if (grant === undefined || grant.accountId !== accountId || grant.clientId !== clientId)
      grant = new provider.Grant({ accountId, clientId });
    const scope = typeof details.params.scope === 'string' ? details.params.scope : 'openid';
    grant.addOIDCScope(scope);
    return grant.save();
  }
}

function localIdentity(u: {
  userID: string;
  username: string;
  email: string;
  groups: readonly string[];
}): Identity {
  return {
    connectorId: LOCAL_CONNECTOR_ID,
    userId: u.userID,
    username: u.username,
    preferredUsername: u.username,
    email: u.email,
    emailVerified: true,
    groups: u.groups,
  };
}

/**
 * OpenID Connect grants refresh tokens for `offline_access` only with `prompt=consent`; Dex grants
 * them without. The approval screen is skipped anyway, so the prompt is added here.
 */
function consentForOfflineAccess(path: string, search: string): string {
  const params = new URLSearchParams(search);
  const scopes = (params.get('scope') ?? '').split(' ');
  if (!scopes.includes('offline_access')) return path + search;
  const prompts = new Set((params.get('prompt') ?? '').split(' ').filter(Boolean));
  if (prompts.has('none') || prompts.has('consent')) return path + search;
  prompts.add('consent');
  params.set('prompt', [...prompts].join(' '));
  return `${path}?${params.toString()}`;
}
