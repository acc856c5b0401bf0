/**
 * One relying-party relationship with the configured provider: the HTTP link (see http-fetch.ts),
 * discovery through openid-client (cached; a failed discovery is retried at most every 5 s), and
 * the token verifier built from the discovered `jwks_uri` and signing algorithms. A configuration
 * change builds a new SsoProvider; an unchanged one keeps its discovery and key cache.
 */
import * as oidcClient from 'openid-client';
import { OidcTokenVerifier, type Clock, type RevocationStore } from '../../auth/index.js';
import type { ClientTlsMode } from '../../tls/index.js';
import type { SsoConfig } from './config.js';
import type { ProviderFetch } from './http-fetch.js';

const RETRY_DISCOVERY_MS = 5_000;

export interface SsoProviderDeps {
  readonly fetch: ProviderFetch;
  readonly clock: Clock;
  readonly revocations: RevocationStore;
  /** the link's TLS mode (for messages); `system` for oidc.config with the system CAs */
  readonly linkMode: ClientTlsMode | 'system' | 'system+rootCA';
  readonly jwks?: {
    readonly timeoutMs?: number;
    readonly maxAgeMs?: number;
    readonly cooldownMs?: number;
  };
}

export interface DiscoveredProvider {
  readonly client: oidcClient.Configuration;
  readonly verifier: OidcTokenVerifier;
}

export class SsoProvider {
  readonly config: SsoConfig;
  readonly deps: SsoProviderDeps;
  #discovered: Promise<DiscoveredProvider> | undefined;
  #failedAtMs = Number.NEGATIVE_INFINITY;
  #lastError: unknown;

  constructor(config: SsoConfig, deps: SsoProviderDeps) {
    this.config = config;
    this.deps = deps;
  }

  /** Discovery and the verifier (cached; rejects with the last error during the retry pause). */
  discover(): Promise<DiscoveredProvider> {
    if (this.#discovered) return this.#discovered;
    const now = this.deps.clock.now();
    if (now - this.#failedAtMs < RETRY_DISCOVERY_MS)
      return Promise.reject(
        this.#lastError instanceof Error ? this.#lastError : new Error('discovery failed'),
      );
    const p = this.#discover();
    this.#discovered = p;
    p.catch((err: unknown) => {
      this.#discovered = undefined;
      this.#failedAtMs = this.deps.clock.now();
      this.#lastError = err;
    });
    return p;
  }

  async #discover(): Promise<DiscoveredProvider> {
    const c = this.config;
    const secret = c.clientSecret;
    const http = new URL(c.issuer).protocol === 'http:';
    const client = await oidcClient.discovery(
      new URL(c.issuer),
      c.clientId,
      secret === undefined ? undefined : { client_secret: secret },
      secret === undefined ? oidcClient.None() : oidcClient.ClientSecretBasic(secret),
      {
        // eslint-disable-next-line @typescript-eslint/no-deprecated -- an http issuer is the operator's choice (Argo CD url behind --insecure, loopback providers); the link's own security is the --dex-server* flags / TLS settings
        execute: http ? [oidcClient.allowInsecureRequests] : [],
        [oidcClient.customFetch]: this.deps.fetch,
        timeout: 15,
      },
    );
    const meta = client.serverMetadata();
    if (meta.jwks_uri === undefined)
      throw new Error(`the discovery document of ${c.issuer} names no jwks_uri`);
    const verifier = new OidcTokenVerifier(
      {
        issuer: meta.issuer,
        jwksUri: meta.jwks_uri,
        allowedAudiences: c.allowedAudiences,
        skipAudienceCheckWhenTokenHasNoAudience: c.skipAudienceCheckWhenTokenHasNoAudience,
        ...(meta.id_token_signing_alg_values_supported
          ? { algorithms: meta.id_token_signing_alg_values_supported }
          : {}),
      },
      {
        fetch: this.deps.fetch,
        clock: this.deps.clock,
        revocations: this.deps.revocations,
        ...(this.deps.jwks ? { jwks: this.deps.jwks } : {}),
      },
    );
    return { client, verifier };
  }
}
