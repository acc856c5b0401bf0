/**
 * The one redaction module of the API server. The security document promises that cluster
 * credentials, git credentials, OAuth2 client secrets and Kubernetes Secret values never leave the
 * server, in responses, errors, events or logs; every exit goes through a function of this file:
 *
 * - `redactText`: free text (error messages, log fields, event messages): URL userinfo and query
 *   strings, bearer/basic values, JWTs, private keys, and any exact secret value the caller names.
 * - `sanitizeRepositoryForApi` / `sanitizeRepoCredsForApi` / `sanitizeClusterForApi`: the API
 *   shapes of repositories, credential templates and clusters without a single credential field
 *   (Argo CD's `Sanitized()`), used by every endpoint that returns them, including
 *   `projects/{name}/detailed` (CVE-2025-55190).
 * - `stripLastApplied`: removes `kubectl.kubernetes.io/last-applied-configuration`, which holds a
 *   declaratively applied Secret in clear text (CVE-2023-40029).
 * - `maskSecretObject`: a Kubernetes Secret with every value replaced by a mask.
 * - `removeCredentialFields`: a final net for responses that carry credential-bearing types; it
 *   deletes every field whose name is a credential key, at any depth.
 */
import { Annotations, type KubeObject } from '../apis/index.js';
import { isRecord, sanitizeText } from '../lib/index.js';

/** The mask Argo CD shows for Secret values. */
export const SECRET_MASK = '++++++++';

/** Credential fields of repositories, credential templates and cluster configs (Argo CD's keys). */
export const CREDENTIAL_FIELDS: ReadonlySet<string> = new Set([
  'password',
  'bearerToken',
  'sshPrivateKey',
  'tlsClientCertKey',
  'tlsClientCertData',
  'githubAppPrivateKey',
  'gcpServiceAccountKey',
  'azureServicePrincipalClientSecret',
  'keyData',
  'certData',
  'execProviderConfig',
  'clientSecret',
]);

/**
 * Redacts free text before it is sent, logged or recorded. `secrets` are exact values (a password
 * from the request being handled) to replace wherever they occur.
 * @example
 * redactText('clone https://bob:hunter2@git.example/x.git?token=abc failed') // 'clone https://******@git.example/x.git failed'
 */
export function redactText(text: string, secrets: readonly string[] = []): string {
  return sanitizeText(text, secrets);
}

/** A copy of `meta` without the last-applied annotation (CVE-2023-40029). */
export function stripLastApplied<T extends { annotations?: Record<string, string> }>(meta: T): T {
  const a = meta.annotations;
  if (!a || !Object.hasOwn(a, Annotations.lastAppliedConfiguration)) return meta;
  const { [Annotations.lastAppliedConfiguration]: _dropped, ...rest } = a;
  return { ...meta, annotations: rest };
}

/** A copy of a Secret object whose `data`/`stringData` values are all masked and last-applied removed. */
export function maskSecretObject(secret: KubeObject): KubeObject {
  const mask = (v: unknown): unknown =>
    isRecord(v) ? Object.fromEntries(Object.keys(v).map((k) => [k, SECRET_MASK])) : v;
  const out: KubeObject = { ...secret, metadata: stripLastApplied(secret.metadata) };
  if ('data' in secret) out.data = mask(secret.data);
  if ('stringData' in secret) out.stringData = mask(secret.stringData);
  return out;
}

/** Deletes every credential field at any depth (a copy; the input is not changed). */
export function removeCredentialFields(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(removeCredentialFields);
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (CREDENTIAL_FIELDS.has(k)) continue;
    if (
      k === 'annotations' &&
      isRecord(v) &&
      Object.hasOwn(v, Annotations.lastAppliedConfiguration)
    ) {
      out[k] = stripLastApplied({ annotations: v as Record<string, string> }).annotations;
      continue;
    }
    out[k] = removeCredentialFields(v);
  }
  return out;
}

/** Keys of the API Repository object that are safe to return (Argo CD's `Repository.Sanitized`). */
const REPOSITORY_PUBLIC_FIELDS = [
  'repo',
  'type',
  'name',
  'project',
  'username',
  'insecure',
  'insecureIgnoreHostKey',
  'enableLfs',
  'enableOCI',
  'insecureOCIForceHttp',
  'proxy',
  'noProxy',
  'forceHttpBasicAuth',
  'inheritedCreds',
  'githubAppID',
  'githubAppInstallationID',
  'githubAppEnterpriseBaseUrl',
  'azureServicePrincipalClientId',
  'azureServicePrincipalTenantId',
  'azureActiveDirectoryEndpoint',
  'useAzureWorkloadIdentity',
  'depth',
  'connectionState',
  'webhookManifestCacheWarmDisabled',
] as const;

const REPOCREDS_PUBLIC_FIELDS = [
  'url',
  'type',
  'username',
  'enableOCI',
  'insecureOCIForceHttp',
  'proxy',
  'noProxy',
  'forceHttpBasicAuth',
  'githubAppID',
  'githubAppInstallationID',
  'githubAppEnterpriseBaseUrl',
  'azureServicePrincipalClientId',
  'azureServicePrincipalTenantId',
  'azureActiveDirectoryEndpoint',
  'useAzureWorkloadIdentity',
] as const;

function pick(
  o: Readonly<Record<string, unknown>>,
  keys: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** The API Repository without credentials (an allow-list, so new credential keys stay out). */
export function sanitizeRepositoryForApi(
  repo: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  return pick(repo, REPOSITORY_PUBLIC_FIELDS);
}

/** The API RepoCreds without credentials. */
export function sanitizeRepoCredsForApi(
  creds: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  return pick(creds, REPOCREDS_PUBLIC_FIELDS);
}

/**
 * The API Cluster without credentials (Argo CD's `Cluster.Sanitized`): the config keeps only
 * `tlsClientConfig.{insecure, serverName}`, `awsAuthConfig` (names, no secret), `proxyUrl` and
 * `disableCompression`; annotations lose last-applied (CVE-2023-40029).
 */
export function sanitizeClusterForApi(
  cluster: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out = pick(cluster, [
    'server',
    'name',
    'project',
    'namespaces',
    'shard',
    'labels',
    'clusterResources',
    'connectionState',
    'serverVersion',
    'info',
    'refreshRequestedAt',
  ]);
  if (isRecord(cluster.annotations))
    out.annotations = stripLastApplied({
      annotations: cluster.annotations as Record<string, string>,
    }).annotations;
  const config = isRecord(cluster.config) ? cluster.config : {};
  const tls = isRecord(config.tlsClientConfig) ? config.tlsClientConfig : {};
  const safeConfig: Record<string, unknown> = {
    tlsClientConfig: pick(tls, ['insecure', 'serverName']),
  };
  if (isRecord(config.awsAuthConfig))
    safeConfig.awsAuthConfig = pick(config.awsAuthConfig, ['clusterName', 'roleARN', 'profile']);
  if (typeof config.proxyUrl === 'string') safeConfig.proxyUrl = redactText(config.proxyUrl);
  if (typeof config.disableCompression === 'boolean')
    safeConfig.disableCompression = config.disableCompression;
  out.config = safeConfig;
  return out;
}
