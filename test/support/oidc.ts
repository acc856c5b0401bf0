/**
 * Helpers for tests of the bundled OpenID provider: start one on loopback (HTTP or HTTPS with a
 * test CA), act as Argo CD's relying party with openid-client, and log in through the pages with
 * the scripted Browser.
 */
import assert from 'node:assert/strict';
import bcrypt from 'bcrypt';
import * as client from 'openid-client';
import {
  DexServer,
  MemoryKeyStore,
  argoCdClientSecret,
  listen,
  parseDexConfig,
  type DexServerOptions,
  type DexServerSettings,
  type KeyStore,
  type Listener,
  type ServingCertificate,
} from '../../src/oidc/index.js';
import { createCertificateAuthority, issueCertificate, type PemPair } from '../../src/tls/index.js';
import { Browser, parseForm, type BrowserResponse } from './browser.js';

export const SERVER_SECRET_KEY = 'dGVzdC1zZXJ2ZXItc2VjcmV0LWtleS0zMi1ieXRlcw==';

/** bcrypt at the lowest cost, for fast tests (the format is what Dex stores). */
export function hashPassword(password: string): string {
  return bcrypt.hashSync(password, 4);
}

/** A test CA and a localhost/127.0.0.1 serving certificate it issued. */
export async function testPki(): Promise<{ ca: PemPair; serving: ServingCertificate }> {
  const ca = await createCertificateAuthority({ commonName: 'argocd-ts oidc test CA' });
  const serving = await issueCertificate(ca, {
    commonName: 'argocd-dex-server',
    hosts: ['localhost', '127.0.0.1'],
  });
  return { ca, serving };
}

export interface RunningDex {
  readonly dex: DexServer;
  readonly listener: Listener;
  /** the Argo CD url the issuer derives from (the listener's own URL here) */
  readonly url: string;
  readonly issuer: string;
  readonly keyStore: KeyStore;
  settings(dexConfig: string, extra?: Partial<DexServerSettings>): DexServerSettings;
  stop(): Promise<void>;
}

/**
 * Starts a provider on 127.0.0.1:0 whose Argo CD `url` is its own address, so the issuer is
 * `http(s)://127.0.0.1:<port>/api/dex`.
 */
export async function startDex(
  dexConfig: string,
  options: {
    certificate?: ServingCertificate;
    keyStore?: KeyStore;
    extra?: Partial<DexServerSettings>;
    serverOptions?: Partial<DexServerOptions>;
    lookup?: (ref: string) => string | undefined;
  } = {},
): Promise<RunningDex> {
  const listener = await listen(
    (_req, res) => {
      res.statusCode = 503;
      res.end();
    },
    {
      host: '127.0.0.1',
      port: 0,
      ...(options.certificate ? { certificate: options.certificate } : {}),
    },
  );
  const keyStore = options.keyStore ?? new MemoryKeyStore();
  const settings = (text: string, extra: Partial<DexServerSettings> = {}): DexServerSettings => ({
    url: listener.url,
    additionalUrls: [],
    serverSecretKey: SERVER_SECRET_KEY,
    dex: parseDexConfig(text, options.lookup).config,
    ...extra,
  });
  try {
    const dex = await DexServer.create(settings(dexConfig, options.extra), {
      keyStore,
      loginLimiter: { maxFailures: 100 },
      loginDelay: () => Promise.resolve(),
      ...options.serverOptions,
    });
    listener.setHandler(dex.handler);
    return {
      dex,
      listener,
      url: listener.url,
      issuer: dex.issuer,
      keyStore,
      settings,
      async stop() {
        dex.close();
        await listener.close();
      },
    };
  } catch (err) {
    await listener.close();
    throw err;
  }
}

/** Argo CD's relying party (`argo-cd`, confidential) or the CLI (`argo-cd-cli`, public). */
export async function relyingParty(
  issuer: string,
  clientId: string,
  options: { secret?: string; fetch?: client.CustomFetch } = {},
): Promise<client.Configuration> {
  const secret =
    options.secret ?? (clientId === 'argo-cd' ? argoCdClientSecret(SERVER_SECRET_KEY) : undefined);
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- plain-HTTP test servers on loopback; the HTTPS tests verify TLS
  const execute = issuer.startsWith('http:') ? [client.allowInsecureRequests] : [];
  return client.discovery(
    new URL(issuer),
    clientId,
    secret === undefined ? undefined : secret,
    secret === undefined ? client.None() : client.ClientSecretBasic(secret),
    { execute, ...(options.fetch ? { [client.customFetch]: options.fetch } : {}) },
  );
}

export interface LoginAttempt {
  readonly state: string;
  readonly nonce: string;
  readonly verifier: string;
  readonly redirectUri: string;
  readonly authUrl: URL;
}

/** Builds an authorization request with PKCE, state and nonce. */
export async function beginLogin(
  config: client.Configuration,
  redirectUri: string,
  scope = 'openid profile email groups offline_access',
  extra: Record<string, string> = {},
): Promise<LoginAttempt> {
  const state = client.randomState();
  const nonce = client.randomNonce();
  const verifier = client.randomPKCECodeVerifier();
  const authUrl = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    state,
    nonce,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...extra,
  });
  return { state, nonce, verifier, redirectUri, authUrl };
}

/** Opens the authorization URL and returns the login form page (following redirects). */
export async function openLoginPage(
  browser: Browser,
  attempt: LoginAttempt,
): Promise<BrowserResponse> {
  const page = await browser.follow(attempt.authUrl.href, { stopAt: attempt.redirectUri });
  assert.equal(page.status, 200, `expected the login page, got ${page.status}: ${page.body}`);
  return page;
}

/** Posts the login form on `page` and follows to the RP's redirect URI; returns the last response. */
export async function submitLogin(
  browser: Browser,
  page: BrowserResponse,
  login: string,
  password: string,
  redirectUri: string,
): Promise<BrowserResponse> {
  const form = parseForm(page.body);
  return browser.follow(form.action, {
    method: 'POST',
    form: { ...form.hidden, login, password },
    stopAt: redirectUri,
  });
}

/** The whole browser part: authorization request → login form → code at the redirect URI. */
export async function loginWithPassword(
  browser: Browser,
  attempt: LoginAttempt,
  login: string,
  password: string,
): Promise<URL> {
  const page = await openLoginPage(browser, attempt);
  const last = await submitLogin(browser, page, login, password, attempt.redirectUri);
  assert.ok(
    last.location !== undefined && last.location.startsWith(attempt.redirectUri),
    `expected a redirect to ${attempt.redirectUri}, got ${last.status} ${last.location ?? ''}: ${last.body.slice(0, 500)}\nvisited:\n${browser.visited.join('\n')}`,
  );
  return new URL(last.location);
}

export { Browser, parseForm };
