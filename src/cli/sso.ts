/**
 * `argocd login --sso`: OAuth 2.0 authorization code flow with PKCE (S256) for a public client,
 * with a loopback redirect (RFC 8252): the CLI listens on 127.0.0.1:<--sso-port> (default 8085),
 * sends the browser to the identity provider, receives the code on
 * `http://localhost:<port>/auth/callback`, checks `state`, and exchanges the code (with the PKCE
 * verifier) for an ID token (the Argo CD session token) and a refresh token.
 *
 * Which provider: `oidcConfig.issuer` of `/api/v1/settings` with its `cliClientID` (else
 * `clientID`), or the bundled provider at `<settings.url>/api/dex` with client `argo-cd-cli`.
 * Requests to the Argo CD server's own origin use the CLI's TLS settings; an external issuer is
 * verified against the system CAs.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import type { ArgoCdClient, Settings } from '../client/index.js';
import { errorMessage } from '../lib/index.js';
import { CliError } from './errors.js';

export const DEX_CLI_CLIENT_ID = 'argo-cd-cli';
const DEFAULT_SCOPES = ['openid', 'profile', 'email', 'groups', 'offline_access'];
const CALLBACK_PATH = '/auth/callback';
const DEFAULT_TIMEOUT_MS = 5 * 60_000;

export interface SsoProvider {
  readonly issuer: string;
  readonly clientId: string;
  readonly scopes: readonly string[];
}

export interface SsoTokens {
  readonly idToken: string;
  readonly refreshToken: string | undefined;
}

/** What the SSO flow needs from the running command. */
export interface SsoContext {
  readonly io: { readonly stderr: { write(text: string): void } };
  /** tokens obtained are added here (removed from any error message) */
  readonly secrets: string[];
  readonly log: { debug(msg: string): void };
}

export interface SsoLoginOptions {
  readonly port: number;
  /** open the URL in a browser (default: print it only) */
  readonly openUrl?: (url: string) => Promise<void> | void;
  /** host of the redirect URI; default `localhost` (what identity providers have registered) */
  readonly redirectHost?: string;
  readonly timeoutMs?: number;
}

/** Which provider the server delegates to, from its settings. */
export function ssoProviderFromSettings(settings: Settings): SsoProvider {
  const o = settings.oidcConfig;
  if (o?.issuer) {
    const clientId = o.cliClientID ?? o.clientID;
    if (!clientId)
      throw new CliError(
        'ERR_CLI_FAILED',
        'failed to start SSO: oidc.config on the server names no client ID',
      );
    return {
      issuer: o.issuer,
      clientId,
      scopes:
        o.scopes && o.scopes.length > 0
          ? ['openid', ...o.scopes.filter((s) => s !== 'openid')]
          : DEFAULT_SCOPES,
    };
  }
  if (settings.dexConfig && settings.url) {
    return {
      issuer: `${settings.url.replace(/\/+$/, '')}/api/dex`,
      clientId: DEX_CLI_CLIENT_ID,
      scopes: DEFAULT_SCOPES,
    };
  }
  throw new CliError(
    'ERR_CLI_FAILED',
    'failed to start SSO: the server has no SSO configured (oidc.config or dex.config with url in argocd-cm); log in with --username instead',
  );
}

async function discover(client: ArgoCdClient, provider: SsoProvider): Promise<oidc.Configuration> {
  const issuer = new URL(provider.issuer);
  const allowHttp =
    issuer.protocol === 'http:' && issuer.origin === client.transport.baseUrl.origin;
  if (issuer.protocol === 'http:' && !allowHttp)
    throw new CliError(
      'ERR_CLI_FAILED',
      `failed to start SSO: the issuer ${provider.issuer} is plain http and not the Argo CD server itself; refusing to send tokens over it`,
    );
  try {
    return await oidc.discovery(issuer, provider.clientId, undefined, oidc.None(), {
      [oidc.customFetch]: (url, options) => client.transport.fetch(url, options),
      // eslint-disable-next-line @typescript-eslint/no-deprecated -- only for an http:// issuer that is the Argo CD server itself, reached with --plaintext on purpose
      ...(allowHttp ? { execute: [oidc.allowInsecureRequests] } : {}),
      timeout: 30,
    });
  } catch (err) {
    throw new CliError(
      'ERR_CLI_FAILED',
      `failed to discover the identity provider ${provider.issuer}: ${errorMessage(err)}`,
      { cause: err },
    );
  }
}

const PAGE = (title: string, text: string): string =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><p>${text}</p></body></html>`;

/** Listens for the one redirect; resolves with the full callback URL. */
function waitForCallback(
  port: number,
  redirectHost: string,
  expectedState: string,
  timeoutMs: number,
): { ready: Promise<number>; callback: Promise<URL>; close: () => void } {
  let server: Server | undefined;
  let resolveCb!: (u: URL) => void;
  let rejectCb!: (e: unknown) => void;
  const callback = new Promise<URL>((res, rej) => {
    resolveCb = res;
    rejectCb = rej;
  });
  // the caller awaits `callback` only after opening the browser: keep an early failure handled
  callback.catch(() => undefined);
  const close = (): void => {
    clearTimeout(timer);
    server?.close();
    server?.closeAllConnections();
  };
  const ready = new Promise<number>((resolve, reject) => {
    server = createServer((req, res) => {
      // the URL the provider redirected to (the exchange must name the same redirect_uri)
      const bound = (server?.address() as AddressInfo | null)?.port ?? port;
      const url = new URL(req.url ?? '/', `http://${redirectHost}:${bound}`);
      if (url.pathname !== CALLBACK_PATH) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      const error = url.searchParams.get('error');
      if (error) {
        res
          .writeHead(400, { 'content-type': 'text/html; charset=utf-8' })
          .end(PAGE('Login failed', 'Go back to the terminal.'));
        rejectCb(
          new CliError(
            'ERR_CLI_FAILED',
            `failed to log in through SSO: the identity provider answered ${error}${url.searchParams.get('error_description') ? `: ${url.searchParams.get('error_description') ?? ''}` : ''}`,
          ),
        );
        return;
      }
      if (url.searchParams.get('state') !== expectedState) {
        // not ours (or forged): refuse, keep waiting for the real redirect
        res.writeHead(400, { 'content-type': 'text/plain' }).end('state does not match');
        return;
      }
      res
        .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
        .end(PAGE('Login successful', 'You may close this window and go back to the terminal.'));
      resolveCb(url);
    });
    server.on('error', (err) => {
      reject(
        new CliError(
          'ERR_CLI_FAILED',
          `failed to listen on 127.0.0.1:${port} for the SSO redirect: ${errorMessage(err)}; choose another --sso-port`,
          { cause: err },
        ),
      );
    });
    server.listen(port, '127.0.0.1', () => {
      resolve((server?.address() as AddressInfo).port);
    });
  });
  const timer = setTimeout(() => {
    rejectCb(
      new CliError(
        'ERR_CLI_TIMEOUT',
        `failed to log in through SSO: no redirect within ${Math.round(timeoutMs / 1000)} s`,
      ),
    );
  }, timeoutMs);
  timer.unref();
  return { ready, callback, close };
}

/** An OAuth error with the provider's `error`/`error_description` when it sent them. */
function oauthMessage(err: unknown): string {
  const e = err as { error?: unknown; error_description?: unknown };
  if (typeof e.error === 'string')
    return `${e.error}${typeof e.error_description === 'string' ? `: ${e.error_description}` : ''}`;
  return errorMessage(err);
}

/** Opens a URL in the desktop browser (best effort; the URL is printed anyway). */
export function openInBrowser(url: string): void {
  const cmd =
    process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => {
      // no browser opener installed: the URL was printed for the user to open
    });
    child.unref();
  } catch {
    // same as above: printing the URL is the fallback
  }
}

/** Runs the authorization code + PKCE flow; returns the tokens. */
export async function ssoLogin(
  ctx: SsoContext,
  client: ArgoCdClient,
  settings: Settings,
  options: SsoLoginOptions,
): Promise<SsoTokens> {
  const provider = ssoProviderFromSettings(settings);
  const config = await discover(client, provider);
  const verifier = oidc.randomPKCECodeVerifier();
  const challenge = await oidc.calculatePKCECodeChallenge(verifier);
  const state = oidc.randomState();
  const redirectHost = options.redirectHost ?? 'localhost';
  const listener = waitForCallback(
    options.port,
    redirectHost,
    state,
    options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  );
  try {
    const port = await listener.ready;
    const redirectUri = `http://${redirectHost}:${port}${CALLBACK_PATH}`;
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: provider.scopes.join(' '),
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state,
    });
    ctx.io.stderr.write(`To log in, open this URL in a browser:\n\n  ${url.href}\n\n`);
    if (options.openUrl) await options.openUrl(url.href);
    const callbackUrl = await listener.callback;
    let tokens: oidc.TokenEndpointResponse;
    try {
      tokens = await oidc.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: verifier,
        expectedState: state,
      });
    } catch (err) {
      throw new CliError(
        'ERR_CLI_FAILED',
        `failed to exchange the SSO code for a token: ${oauthMessage(err)}`,
        {
          cause: err,
        },
      );
    }
    if (!tokens.id_token)
      throw new CliError(
        'ERR_CLI_FAILED',
        'failed to log in through SSO: the provider returned no ID token',
      );
    ctx.secrets.push(tokens.id_token);
    if (tokens.refresh_token) ctx.secrets.push(tokens.refresh_token);
    return { idToken: tokens.id_token, refreshToken: tokens.refresh_token };
  } finally {
    listener.close();
  }
}

/** Gets a fresh ID token with a refresh token (an expired SSO session). */
export async function refreshSsoToken(
  ctx: SsoContext,
  client: ArgoCdClient,
  refreshToken: string,
  settings?: Settings,
): Promise<SsoTokens> {
  settings ??= await client.getSettings();
  const provider = ssoProviderFromSettings(settings);
  const config = await discover(client, provider);
  let tokens: oidc.TokenEndpointResponse;
  try {
    tokens = await oidc.refreshTokenGrant(config, refreshToken);
  } catch (err) {
    throw new CliError(
      'ERR_CLI_NOT_LOGGED_IN',
      `failed to refresh the SSO session: ${oauthMessage(err)}; run 'argocd relogin'`,
      { cause: err },
    );
  }
  if (!tokens.id_token)
    throw new CliError(
      'ERR_CLI_NOT_LOGGED_IN',
      "failed to refresh the SSO session: no ID token; run 'argocd relogin'",
    );
  ctx.secrets.push(tokens.id_token);
  ctx.log.debug('refreshed the SSO token');
  return { idToken: tokens.id_token, refreshToken: tokens.refresh_token ?? refreshToken };
}
