/**
 * Wire types of Argo CD's REST API (`argocd-swagger.json`, v3.6) for the endpoints the CLI uses.
 * Applications and AppProjects reuse `src/apis`; the rest are written here from the swagger
 * definitions named in each comment. int64 fields are `Int64` because grpc-gateway may encode
 * them as JSON strings; read them with `toInt64`.
 */
import type {
  Application,
  ApplicationSource,
  ApplicationSpec,
  AppProject,
  RetryStrategy,
  SyncOperationResource,
} from '../apis/index.js';

/** An int64 as JSON carries it: a number, or a decimal string (protobuf JSON mapping). */
export type Int64 = number | string;

/** Reads an `Int64`; undefined for absent or non-numeric values. */
export function toInt64(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : undefined;
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

/** `v1ListMeta` */
export interface ListMeta {
  readonly resourceVersion?: string;
  readonly continue?: string;
  readonly remainingItemCount?: Int64;
}

/** Any `{items, metadata}` list answer. */
export interface ItemList<T> {
  readonly items: T[];
  readonly metadata?: ListMeta;
}

/** `versionVersionMessage` (anonymous callers get only `Version`). */
export interface VersionMessage {
  readonly Version?: string;
  readonly BuildDate?: string;
  readonly GitTag?: string;
  readonly GitCommit?: string;
  readonly GitTreeState?: string;
  readonly GoVersion?: string;
  readonly Compiler?: string;
  readonly Platform?: string;
  readonly KustomizeVersion?: string;
  readonly HelmVersion?: string;
  readonly KubectlVersion?: string;
  readonly JsonnetVersion?: string;
  readonly ExtraBuildInfo?: string;
}

/** `clusterOIDCConfig` */
export interface OidcConfig {
  readonly name?: string;
  readonly issuer?: string;
  readonly clientID?: string;
  readonly cliClientID?: string;
  readonly scopes?: string[];
  readonly idTokenClaims?: Record<string, unknown>;
  readonly enablePKCEAuthentication?: boolean;
}

/** `clusterDexConfig` */
export interface DexConfig {
  readonly connectors?: { readonly id?: string; readonly name?: string; readonly type?: string }[];
  readonly dexAuthConnectorID?: string;
}

/** `clusterSettings` (the fields the CLI reads; anonymous callers get a reduced set). */
export interface Settings {
  readonly url?: string;
  readonly additionalUrls?: string[];
  readonly oidcConfig?: OidcConfig;
  readonly dexConfig?: DexConfig;
  readonly userLoginsDisabled?: boolean;
  readonly passwordPattern?: string;
  readonly appLabelKey?: string;
  readonly trackingMethod?: string;
  readonly controllerNamespace?: string;
  readonly execEnabled?: boolean;
  readonly statusBadgeEnabled?: boolean;
  readonly kustomizeVersions?: string[];
  readonly [key: string]: unknown;
}

/** `sessionGetUserInfoResponse` */
export interface UserInfo {
  readonly loggedIn?: boolean;
  readonly username?: string;
  readonly iss?: string;
  readonly groups?: string[];
  readonly [key: string]: unknown;
}

/** `accountToken` */
export interface AccountToken {
  readonly id?: string;
  readonly issuedAt?: Int64;
  readonly expiresAt?: Int64;
}

/** `accountAccount` */
export interface Account {
  readonly name: string;
  readonly enabled?: boolean;
  readonly capabilities?: string[];
  readonly tokens?: AccountToken[];
}

/** `accountUpdatePasswordRequest` */
export interface UpdatePasswordRequest {
  readonly name?: string;
  readonly currentPassword: string;
  readonly newPassword: string;
}

/** `accountCreateTokenRequest` / `projectProjectTokenCreateRequest` options. */
export interface CreateTokenOptions {
  /** seconds; 0 or absent = no expiry (the server may apply its default lifetime) */
  readonly expiresIn?: number;
  readonly id?: string;
  readonly description?: string;
}

/** `v1alpha1ConnectionState` */
export interface ConnectionState {
  readonly status?: string;
  readonly message?: string;
  readonly attemptedAt?: string;
}

/**
 * `v1alpha1Repository`: what the CLI sends to create one (with credentials) and what the server
 * answers (credentials removed).
 */
export interface RepositoryInfo {
  readonly repo: string;
  readonly type?: string;
  readonly name?: string;
  readonly project?: string;
  readonly username?: string;
  readonly password?: string;
  readonly bearerToken?: string;
  readonly sshPrivateKey?: string;
  readonly tlsClientCertData?: string;
  readonly tlsClientCertKey?: string;
  readonly insecure?: boolean;
  readonly insecureIgnoreHostKey?: boolean;
  readonly enableLfs?: boolean;
  readonly enableOCI?: boolean;
  readonly insecureOCIForceHttp?: boolean;
  readonly forceHttpBasicAuth?: boolean;
  readonly proxy?: string;
  readonly noProxy?: string;
  readonly depth?: Int64;
  readonly githubAppID?: Int64;
  readonly githubAppInstallationID?: Int64;
  readonly githubAppPrivateKey?: string;
  readonly githubAppEnterpriseBaseUrl?: string;
  readonly gcpServiceAccountKey?: string;
  readonly useAzureWorkloadIdentity?: boolean;
  readonly inheritedCreds?: boolean;
  readonly connectionState?: ConnectionState;
}

/** `v1alpha1RepoCreds`: a credential template for every repository URL under `url`. */
export interface RepoCredsInfo {
  readonly url: string;
  readonly type?: string;
  readonly username?: string;
  readonly password?: string;
  readonly bearerToken?: string;
  readonly sshPrivateKey?: string;
  readonly tlsClientCertData?: string;
  readonly tlsClientCertKey?: string;
  readonly enableOCI?: boolean;
  readonly insecureOCIForceHttp?: boolean;
  readonly forceHttpBasicAuth?: boolean;
  readonly proxy?: string;
  readonly noProxy?: string;
  readonly githubAppID?: Int64;
  readonly githubAppInstallationID?: Int64;
  readonly githubAppPrivateKey?: string;
  readonly githubAppEnterpriseBaseUrl?: string;
  readonly gcpServiceAccountKey?: string;
  readonly useAzureWorkloadIdentity?: boolean;
}

/** `v1alpha1TLSClientConfig` (caData/certData/keyData: base64 of PEM) */
export interface TlsClientConfig {
  readonly insecure?: boolean;
  readonly serverName?: string;
  readonly caData?: string;
  readonly certData?: string;
  readonly keyData?: string;
}

/** `v1alpha1ClusterConfig` */
export interface ClusterConfigInfo {
  readonly username?: string;
  readonly password?: string;
  readonly bearerToken?: string;
  readonly tlsClientConfig?: TlsClientConfig;
  readonly proxyUrl?: string;
  readonly disableCompression?: boolean;
}

/** `v1alpha1ClusterInfo` */
export interface ClusterStatusInfo {
  readonly connectionState?: ConnectionState;
  readonly serverVersion?: string;
  readonly applicationsCount?: Int64;
  readonly apiVersions?: string[];
  readonly cacheInfo?: {
    readonly resourcesCount?: Int64;
    readonly apisCount?: Int64;
    readonly lastCacheSyncTime?: string;
  };
}

/** `v1alpha1Cluster` */
export interface ClusterInfo {
  readonly server: string;
  readonly name?: string;
  readonly config?: ClusterConfigInfo;
  readonly namespaces?: string[];
  readonly clusterResources?: boolean;
  readonly project?: string;
  readonly shard?: Int64;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly connectionState?: ConnectionState;
  readonly serverVersion?: string;
  readonly info?: ClusterStatusInfo;
}

/** How a cluster is named in a path: by API server URL (default) or by name. */
export type ClusterIdType = 'url' | 'name';

/** `projectProjectTokenResponse` / `accountCreateTokenResponse` */
export interface TokenResponse {
  readonly token: string;
}

/** `v1alpha1HealthStatus` */
export interface HealthStatus {
  readonly status?: string;
  readonly message?: string;
}

/** `v1alpha1ResourceRef` */
export interface ResourceRef {
  readonly group?: string;
  readonly version?: string;
  readonly kind?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly uid?: string;
}

/** `v1alpha1ResourceNode` */
export interface ResourceNode extends ResourceRef {
  readonly parentRefs?: ResourceRef[];
  readonly info?: { readonly name?: string; readonly value?: string }[];
  readonly health?: HealthStatus;
  readonly images?: string[];
  readonly resourceVersion?: string;
  readonly createdAt?: string;
}

/** `v1alpha1ResourceAction`: an action a live resource offers */
export interface ResourceAction {
  readonly name?: string;
  readonly disabled?: boolean;
  readonly iconClass?: string;
  readonly displayName?: string;
}

/** The resource an action is listed for or run on (the query of the resource endpoints). */
export interface ResourceKeyQuery {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly version?: string;
}

/** `v1alpha1ApplicationTree` */
export interface ApplicationTree {
  readonly nodes?: ResourceNode[];
  readonly orphanedNodes?: ResourceNode[];
  readonly hosts?: unknown[];
  readonly shardsCount?: Int64;
}

/**
 * `v1alpha1ResourceDiff`: the four states are JSON documents in strings ("" or "null" when the
 * object does not exist on that side).
 */
export interface ResourceDiff {
  readonly group?: string;
  readonly kind?: string;
  readonly namespace?: string;
  readonly name?: string;
  readonly targetState?: string;
  readonly liveState?: string;
  readonly normalizedLiveState?: string;
  readonly predictedLiveState?: string;
  readonly diff?: string;
  readonly hook?: boolean;
  readonly modified?: boolean;
  readonly resourceVersion?: string;
}

/** `repositoryManifestResponse` */
export interface ManifestResponse {
  /** each one a JSON document */
  readonly manifests?: string[];
  readonly namespace?: string;
  readonly server?: string;
  readonly revision?: string;
  readonly sourceType?: string;
}

/** `v1Event` (the fields the CLI prints) */
export interface KubeEvent {
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly involvedObject?: {
    readonly kind?: string;
    readonly name?: string;
    readonly namespace?: string;
    readonly uid?: string;
  };
  readonly reason?: string;
  readonly message?: string;
  readonly type?: string;
  readonly count?: number;
  readonly firstTimestamp?: string;
  readonly lastTimestamp?: string;
  readonly eventTime?: string;
  readonly source?: { readonly component?: string };
}

/** `v1alpha1ApplicationWatchEvent` */
export interface ApplicationWatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly application: Application;
}

/** `applicationApplicationSyncRequest` (without `name`, which goes in the path). */
export interface ApplicationSyncRequest {
  readonly revision?: string;
  readonly revisions?: string[];
  readonly sourcePositions?: Int64[];
  readonly dryRun?: boolean;
  readonly prune?: boolean;
  readonly strategy?: {
    readonly apply?: { readonly force?: boolean };
    readonly hook?: { readonly force?: boolean };
  };
  readonly resources?: SyncOperationResource[];
  readonly manifests?: string[];
  readonly infos?: { readonly name: string; readonly value: string }[];
  readonly retryStrategy?: RetryStrategy;
  readonly syncOptions?: { readonly items: string[] };
  readonly appNamespace?: string;
  readonly project?: string;
}

/** `applicationApplicationRollbackRequest` (without `name`). */
export interface ApplicationRollbackRequest {
  readonly id: Int64;
  readonly dryRun?: boolean;
  readonly prune?: boolean;
  readonly appNamespace?: string;
  readonly project?: string;
}

/** Query of `GET /api/v1/applications` and of the watch stream. */
export interface ApplicationQuery {
  readonly name?: string;
  readonly projects?: readonly string[];
  readonly selector?: string;
  readonly repo?: string;
  readonly appNamespace?: string;
  readonly resourceVersion?: string;
  readonly refresh?: 'normal' | 'hard';
}

/** Where an application lives, for every per-application call. */
export interface AppRef {
  readonly name: string;
  readonly appNamespace?: string;
  readonly project?: string;
}

export interface ApplicationDeleteOptions {
  /** false = keep the live resources (orphan them); default true */
  readonly cascade?: boolean;
  readonly propagationPolicy?: 'foreground' | 'background' | 'orphan';
}

export type {
  Application,
  ApplicationSource,
  ApplicationSpec,
  AppProject,
  RetryStrategy,
  SyncOperationResource,
};
