/**
 * The upstream `oidc` connector (Dex `type: oidc`): argocd-dex-server acts as a relying party of
 * another OpenID provider with openid-client, using the authorization code flow with PKCE (S256),
 * `state` and `nonce`, verifies the upstream ID token (issuer, audience, signature, nonce, expiry)
 * and maps its claims, optionally merged with userinfo, into a local `Identity`. Groups are read
 * from the mapped claim only when `insecureEnableGroups` is true, exactly as in Dex.
 */
import { readFileSync } from 'node:fs';
import * as client from 'openid-client';
import { errorMessage, sanitizeText } from '../lib/index.js';
import { createConnectorFetch, type ConnectorFetch } from './connector-fetch.js';
import type { ConnectorConfig, OidcConnectorSettings } from './dex-config.js';
import { OidcError } from './errors.js';
import type { Identity } from './identity.js';

/** What must be remembered between sending the browser upstream and its return. */
export interface UpstreamRequest {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

export interface OidcConnectorOptions {
  /** our default callback, `<issuer>/callback` */
  readonly callbackUrl: string;
  /** replaces the TLS-verifying fetch built from the settings (tests) */
  readonly fetch?: ConnectorFetch;
  /** per-request timeout towards the upstream; default 15 s */
  readonly timeoutMs?: number;
}

/** Failures a user may see; the text never contains tokens or secrets. */
function upstreamError(message: string, cause?: unknown): OidcError {
  return new OidcError('ERR_OIDC_UPSTREAM', sanitizeText(message), { cause });
}

/** The messages of an error and its causes (openid-client wraps the useful one), joined. */
function describe(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let depth = 0; depth < 5 && e !== undefined; depth++) {
    const m = errorMessage(e);
    if (m !== '' && !parts.includes(m)) parts.push(m);
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(': ');
}

function stringClaim(claims: Record<string, unknown>, name: string): string | undefined {
  const v = claims[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function groupsFrom(claims: Record<string, unknown>, name: string): string[] {
  const v = claims[name];
  if (typeof v === 'string') return v === '' ? [] : [v];
  if (Array.isArray(v)) return v.filter((g): g is string => typeof g === 'string' && g !== '');
  return [];
}

/** One configured upstream OpenID provider. */
export class OidcConnector {
  readonly id: string;
  readonly name: string;
  readonly settings: OidcConnectorSettings;
  readonly redirectUri: string;
  private readonly fetch: ConnectorFetch;
  private readonly timeoutSec: number;
  private configuration: Promise<client.Configuration> | undefined;

  constructor(config: ConnectorConfig, options: OidcConnectorOptions) {
    this.id = config.id;
    this.name = config.name;
    this.settings = config.settings;
    this.redirectUri = config.settings.redirectURI ?? options.callbackUrl;
    this.timeoutSec = Math.ceil((options.timeoutMs ?? 15_000) / 1000);
    if (options.fetch !== undefined) this.fetch = options.fetch;
    else {
      const pems = [config.settings.rootCA ?? ''];
      for (const file of config.settings.rootCAFiles) {
        try {
          pems.push(readFileSync(file, 'utf8'));
        } catch (err) {
          throw new OidcError(
            'ERR_OIDC_CONFIG',
            `failed to read rootCAs file ${file} of connector "${config.id}": ${errorMessage(err)}`,
            { cause: err },
          );
        }
      }
      const ca = pems.filter((p) => p.trim() !== '').join('\n');
      this.fetch = createConnectorFetch({
        ...(ca === '' ? {} : { ca }),
        insecureSkipVerify: config.settings.insecureSkipVerify,
        timeoutMs: options.timeoutMs ?? 15_000,
      });
    }
  }

  /** Scopes requested upstream. */
  get scopes(): string[] {
    const s = ['openid', ...(this.settings.scopes ?? ['profile', 'email'])];
    if (this.settings.insecureEnableGroups && this.settings.scopes === undefined) s.push('groups');
    return [...new Set(s)];
  }

  /** Discovery of the upstream, once; a failure is retried on the next login. */
  private discover(): Promise<client.Configuration> {
    this.configuration ??= (async () => {
      const issuer = new URL(this.settings.issuer);
      const config = await client.discovery(
        issuer,
        this.settings.clientID,
        { client_secret: this.settings.clientSecret },
        client.ClientSecretBasic(this.settings.clientSecret),
        { [client.customFetch]: this.fetch, timeout: this.timeoutSec },
      );
      return config;
    })().catch((err: unknown) => {
      this.configuration = undefined;
      throw upstreamError(
        `failed to discover the OpenID provider of connector "${this.id}" at ${this.settings.issuer}: ${describe(err)}`,
        err,
      );
    });
    return this.configuration;
  }

  /** Fresh state, nonce and PKCE verifier for one login. */
  newRequest(): UpstreamRequest {
    return {
      state: client.randomState(),
      nonce: client.randomNonce(),
      codeVerifier: client.randomPKCECodeVerifier(),
    };
  }

  /** The upstream authorization URL to send the browser to. */
  async authorizationUrl(req: UpstreamRequest): Promise<URL> {
    const config = await this.discover();
    const params: Record<string, string> = {
      redirect_uri: this.redirectUri,
      scope: this.scopes.join(' '),
      state: req.state,
      nonce: req.nonce,
      code_challenge: await client.calculatePKCECodeChallenge(req.codeVerifier),
      code_challenge_method: 'S256',
    };
    const prompt = this.settings.promptType ?? 'consent';
    if (prompt !== '') params.prompt = prompt;
    return client.buildAuthorizationUrl(config, params);
  }

  /**
   * Completes the login from the parameters the upstream sent back to the redirect URI: checks
   * state, exchanges the code with the PKCE verifier, verifies the ID token and its nonce, and
   * returns the identity. Throws OidcError `ERR_OIDC_UPSTREAM` with a message fit for the user.
   */
  async finish(callbackParams: URLSearchParams, req: UpstreamRequest): Promise<Identity> {
    const config = await this.discover();
    const current = new URL(this.redirectUri);
    current.search = callbackParams.toString();
    let tokens: Awaited<ReturnType<typeof client.authorizationCodeGrant>>;
    try {
      tokens = await client.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: req.codeVerifier,
        expectedState: req.state,
        expectedNonce: req.nonce,
        idTokenExpected: true,
      });
    } catch (err) {
      if (err instanceof client.AuthorizationResponseError)
        throw upstreamError(
          `${this.name} refused the login: ${err.error}${err.error_description ? ` (${err.error_description})` : ''}`,
          err,
        );
      throw upstreamError(`failed to complete the login with ${this.name}: ${describe(err)}`, err);
    }
    const idClaims = tokens.claims();
    if (idClaims === undefined) throw upstreamError(`${this.name} returned no ID token`);
    let claims: Record<string, unknown> = { ...idClaims };
    if (this.settings.getUserInfo) {
      try {
        const info = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
        claims = { ...claims, ...info };
      } catch (err) {
        throw upstreamError(`failed to read userinfo from ${this.name}: ${describe(err)}`, err);
      }
    }
    return this.identityFrom(claims);
  }

  /** Maps upstream claims to an identity (exported for unit tests through the class). */
  identityFrom(claims: Record<string, unknown>): Identity {
    const s = this.settings;
    const userId = stringClaim(claims, s.userIDKey);
    if (userId === undefined)
      throw upstreamError(`${this.name} returned no "${s.userIDKey}" claim to identify the user`);
    const email = stringClaim(claims, s.emailClaim);
    let emailVerified: boolean;
    const verified = claims.email_verified;
    if (typeof verified === 'boolean') emailVerified = verified;
    else if (s.insecureSkipEmailVerified) emailVerified = true;
    else if (email !== undefined && this.scopes.includes('email'))
      throw upstreamError(
        `${this.name} returned an email without "email_verified": set insecureSkipEmailVerified: true on connector "${this.id}" to accept it`,
      );
    else emailVerified = false;
    const preferred = stringClaim(claims, s.preferredUsernameClaim);
    const username = stringClaim(claims, s.userNameKey) ?? preferred ?? email ?? userId;
    return {
      connectorId: this.id,
      userId,
      username,
      preferredUsername: preferred ?? username,
      email,
      emailVerified,
      groups: s.insecureEnableGroups ? groupsFrom(claims, s.groupsClaim) : [],
    };
  }
}
