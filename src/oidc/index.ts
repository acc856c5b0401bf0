/**
 * oidc: the bundled OpenID Connect provider of argocd-dex-server (Argo CD's "Dex"), built on
 * oidc-provider. It receives plain configuration and ports; it never talks to Kubernetes (the
 * composition root `src/cmd/dex-server.ts` reads argocd-cm/argocd-secret and stores the keys).
 *
 * - `DexServer`: the provider. `DexServer.create(settings, { keyStore })`, serve `.handler`,
 *   `.update(settings)` on configuration changes, `.rotateKeys()`, `.start()`/`.close()` for the
 *   periodic key check. Issuer `<url>/api/dex`; routes `/.well-known/openid-configuration`,
 *   `/keys`, `/auth`, `/token`, `/userinfo`, `/logout`, `/token/revoke`, `/callback` (upstream
 *   connectors) and the login pages under `/interaction/`; `/healthz` outside the prefix.
 * - `issuerFor(url)`: the issuer of an Argo CD URL.
 * - `listen(handler, { host, port, certificate? })`: HTTP(S) listener with a replaceable handler
 *   and hot-swappable certificate.
 * - `parseDexConfig(yaml, lookup)`, `secretReferences(yaml)`: dex.config in Dex's format
 *   (staticPasswords + enablePasswordDB, `oidc` connectors, staticClients, expiry); `$key`
 *   references resolved through `lookup`.
 * - `argoCdClientSecret(serverSecretKey)`, `buildClients(...)`: the `argo-cd`, `argo-cd-cli`,
 *   `argo-cd-pkce` and static clients, as Argo CD registers them.
 * - Keys: `KeyStore` (port), `KeyManager`, `MemoryKeyStore`, `encodeKeySet`/`decodeKeySet`,
 *   `generateSigningKey`, `KEYS_SECRET_KEY` (the data key a Secret-backed store uses).
 * - `dexSubject(userId, connectorId)`: Dex's `sub` encoding.
 * - `escapeHtml`: the escaping every page uses.
 * - `createConnectorFetch({ ca, insecureSkipVerify })`: a fetch for openid-client/jose that trusts
 *   a given CA (upstream connectors; relying parties of this provider in tests and argocd-server).
 * - `OidcError` with codes `OidcErrorCode`.
 *
 * @example
 * const dex = await DexServer.create(
 *   { url: 'https://argocd.example.com', additionalUrls: [], serverSecretKey, dex: parseDexConfig(text).config },
 *   { keyStore: new MemoryKeyStore() },
 * );
 * const listener = await listen(dex.handler, { host: '127.0.0.1', port: 5556, certificate });
 */
export {
  DexServer,
  issuerFor,
  type DexServerSettings,
  type DexServerOptions,
  type OidcLogger,
} from './dex-server.js';
export {
  listen,
  type Listener,
  type ListenOptions,
  type RequestHandler,
  type ServingCertificate,
} from './listen.js';
export {
  parseDexConfig,
  secretReferences,
  EMPTY_DEX_CONFIG,
  DEFAULT_ID_TOKEN_TTL_MS,
  DEFAULT_SIGNING_KEY_ROTATION_MS,
  DEFAULT_REFRESH_TOKEN_TTL_MS,
  type DexConfig,
  type ParsedDexConfig,
  type StaticPassword,
  type ConnectorConfig,
  type OidcConnectorSettings,
  type StaticClientConfig,
  type SecretLookup,
} from './dex-config.js';
export {
  argoCdClientSecret,
  buildClients,
  ARGO_CD_CLIENT_ID,
  ARGO_CD_CLI_CLIENT_ID,
  ARGO_CD_PKCE_CLIENT_ID,
  CLI_REDIRECT_URIS,
  type RegisteredClient,
  type ClientSettings,
} from './clients.js';
export {
  KeyManager,
  MemoryKeyStore,
  encodeKeySet,
  decodeKeySet,
  generateSigningKey,
  KEYS_SECRET_KEY,
  MIN_RSA_BITS,
  type KeyStore,
  type KeySet,
  type SigningKey,
  type StoredKeySet,
  type RsaPrivateJwk,
  type KeyManagerOptions,
} from './keys.js';
export { dexSubject, LOCAL_CONNECTOR_ID, type Identity } from './identity.js';
export { escapeHtml } from './pages.js';
export {
  createConnectorFetch,
  type ConnectorFetch,
  type ConnectorFetchOptions,
  type ConnectorFetchInit,
} from './connector-fetch.js';
export { OidcError, type OidcErrorCode } from './errors.js';
