/**
 * Repositories and repository credential templates, stored exactly as Argo CD stores them: Secrets
 * in the control-plane namespace labelled `argocd.argoproj.io/secret-type: repository` (or
 * `repo-creds`), named `repo-<fnv32a(url+project)>` / `creds-<fnv32a(url)>`, annotated
 * `managed-by: argocd.argoproj.io`, one data key per field (`url`, `username`, `password`,
 * `sshPrivateKey`, ...). Conversions between the API objects (swagger `v1alpha1Repository`,
 * `v1alpha1RepoCreds`) and Secret data live here; what leaves the server goes through redact.ts.
 */
import {
  ConfigNames,
  Labels,
  SecretTypes,
  decodeSecretData,
  encodeSecretData,
  type Secret,
} from '../../apis/index.js';
import { isRecord } from '../../lib/index.js';
import type { RepositoryInit } from '../../reposerver/client.js';
import { ApiError } from '../errors.js';
import type { SettingsStore } from '../state/settings-store.js';

type FieldKind = 'string' | 'bool' | 'int';

/** API field → Secret key and kind (credential fields included; redaction removes them on the way out). */
const REPO_FIELDS: readonly (readonly [api: string, secret: string, kind: FieldKind])[] = [
  ['repo', 'url', 'string'],
  ['type', 'type', 'string'],
  ['name', 'name', 'string'],
  ['project', 'project', 'string'],
  ['username', 'username', 'string'],
  ['password', 'password', 'string'],
  ['bearerToken', 'bearerToken', 'string'],
  ['sshPrivateKey', 'sshPrivateKey', 'string'],
  ['tlsClientCertData', 'tlsClientCertData', 'string'],
  ['tlsClientCertKey', 'tlsClientCertKey', 'string'],
  ['githubAppPrivateKey', 'githubAppPrivateKey', 'string'],
  ['githubAppID', 'githubAppID', 'int'],
  ['githubAppInstallationID', 'githubAppInstallationID', 'int'],
  ['githubAppEnterpriseBaseUrl', 'githubAppEnterpriseBaseUrl', 'string'],
  ['gcpServiceAccountKey', 'gcpServiceAccountKey', 'string'],
  ['azureServicePrincipalClientId', 'azureServicePrincipalClientId', 'string'],
  ['azureServicePrincipalClientSecret', 'azureServicePrincipalClientSecret', 'string'],
  ['azureServicePrincipalTenantId', 'azureServicePrincipalTenantId', 'string'],
  ['azureActiveDirectoryEndpoint', 'azureActiveDirectoryEndpoint', 'string'],
  ['useAzureWorkloadIdentity', 'useAzureWorkloadIdentity', 'bool'],
  ['insecure', 'insecure', 'bool'],
  ['insecureIgnoreHostKey', 'insecureIgnoreHostKey', 'bool'],
  ['insecureOCIForceHttp', 'insecureOCIForceHttp', 'bool'],
  ['enableLfs', 'enableLfs', 'bool'],
  ['enableOCI', 'enableOCI', 'bool'],
  ['forceHttpBasicAuth', 'forceHttpBasicAuth', 'bool'],
  ['proxy', 'proxy', 'string'],
  ['noProxy', 'noProxy', 'string'],
  ['depth', 'depth', 'int'],
  ['webhookManifestCacheWarmDisabled', 'webhookManifestCacheWarmDisabled', 'bool'],
];

const CREDS_API_FIELDS = new Set([
  'url',
  'type',
  'username',
  'password',
  'bearerToken',
  'sshPrivateKey',
  'tlsClientCertData',
  'tlsClientCertKey',
  'githubAppPrivateKey',
  'githubAppID',
  'githubAppInstallationID',
  'githubAppEnterpriseBaseUrl',
  'gcpServiceAccountKey',
  'azureServicePrincipalClientId',
  'azureServicePrincipalClientSecret',
  'azureServicePrincipalTenantId',
  'azureActiveDirectoryEndpoint',
  'useAzureWorkloadIdentity',
  'insecureOCIForceHttp',
  'enableOCI',
  'forceHttpBasicAuth',
  'proxy',
  'noProxy',
]);

/** The credential fields: a repository without any of them inherits a credential template. */
export const REPO_CREDENTIAL_KEYS = [
  'username',
  'password',
  'bearerToken',
  'sshPrivateKey',
  'tlsClientCertData',
  'tlsClientCertKey',
  'githubAppPrivateKey',
  'gcpServiceAccountKey',
  'azureServicePrincipalClientSecret',
] as const;

export type ApiObject = Record<string, unknown>;

/** FNV-1a 32-bit, as Go's hash/fnv (Argo CD names secrets with it). */
export function fnv32a(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function repoSecretName(url: string, project: string | undefined): string {
  return `repo-${fnv32a(url + (project ?? ''))}`;
}

export function credsSecretName(url: string): string {
  return `creds-${fnv32a(url)}`;
}

/** Same repository for lookups: case-insensitive scheme and host, no trailing `/` or `.git`. */
export function normalizeRepoUrl(url: string): string {
  let u = url
    .trim()
    .replace(/\/+$/, '')
    .replace(/\.git$/i, '');
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/]*)(.*)$/i.exec(u);
  if (m) u = `${(m[1] ?? '').toLowerCase()}${(m[2] ?? '').toLowerCase()}${m[3] ?? ''}`;
  return u;
}

function fromSecretData(
  data: Readonly<Record<string, string>>,
  allowed?: ReadonlySet<string>,
): ApiObject {
  const out: ApiObject = {};
  for (const [api, key, kind] of REPO_FIELDS) {
    const apiKey = api === 'repo' && allowed ? 'url' : api;
    if (allowed && !allowed.has(apiKey)) continue;
    const v = data[key];
    if (v === undefined || v === '') continue;
    if (kind === 'bool') {
      if (v.trim().toLowerCase() === 'true') out[apiKey] = true;
    } else if (kind === 'int') {
      const n = Number(v);
      if (Number.isSafeInteger(n)) out[apiKey] = n;
    } else out[apiKey] = v;
  }
  return out;
}

function toSecretData(obj: ApiObject, allowed?: ReadonlySet<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [api, key, kind] of REPO_FIELDS) {
    const apiKey = api === 'repo' && allowed ? 'url' : api;
    if (allowed && !allowed.has(apiKey)) continue;
    const v = obj[apiKey];
    if (v === undefined || v === null || v === '' || v === false) continue;
    if (kind === 'bool') {
      if (typeof v !== 'boolean')
        throw new ApiError(
          'ERR_API_INVALID_ARGUMENT',
          `failed to read ${apiKey}: must be true or false`,
        );
      out[key] = 'true';
    } else if (kind === 'int') {
      const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
      if (!Number.isSafeInteger(n) || n < 0)
        throw new ApiError(
          'ERR_API_INVALID_ARGUMENT',
          `failed to read ${apiKey}: must be a whole number`,
        );
      out[key] = String(n);
    } else {
      if (typeof v !== 'string')
        throw new ApiError(
          'ERR_API_INVALID_ARGUMENT',
          `failed to read ${apiKey}: must be a string`,
        );
      out[key] = v;
    }
  }
  return out;
}

/** A repository Secret as the API object (credentials included: redact before sending). */
export function repositoryFromSecret(secret: Secret): ApiObject {
  return fromSecretData(decodeSecretData(secret));
}

export function repoCredsFromSecret(secret: Secret): ApiObject {
  return fromSecretData(decodeSecretData(secret), CREDS_API_FIELDS);
}

/** Checks a repository from a request and returns its Secret data. */
export function repositoryToSecretData(obj: unknown): {
  data: Record<string, string>;
  url: string;
  project: string | undefined;
} {
  if (!isRecord(obj))
    throw new ApiError(
      'ERR_API_INVALID_ARGUMENT',
      'failed to read repository: expected a JSON object',
    );
  const data = toSecretData(obj);
  const url = (data.url ?? '').trim();
  if (url === '')
    throw new ApiError(
      'ERR_API_INVALID_ARGUMENT',
      'failed to read repository: "repo" (the repository URL) is required',
    );
  checkRepoUrl(url);
  const type = data.type ?? 'git';
  if (type !== 'git' && type !== 'helm' && type !== 'oci')
    throw new ApiError(
      'ERR_API_INVALID_ARGUMENT',
      `failed to read repository: type "${type}" is not one of git, helm, oci`,
    );
  data.url = url;
  return { data, url, project: data.project };
}

export function repoCredsToSecretData(obj: unknown): { data: Record<string, string>; url: string } {
  if (!isRecord(obj))
    throw new ApiError(
      'ERR_API_INVALID_ARGUMENT',
      'failed to read repository credentials: expected a JSON object',
    );
  const data = toSecretData(obj, CREDS_API_FIELDS);
  const url = (data.url ?? '').trim();
  if (url === '')
    throw new ApiError(
      'ERR_API_INVALID_ARGUMENT',
      'failed to read repository credentials: "url" (a URL prefix) is required',
    );
  checkRepoUrl(url);
  data.url = url;
  return { data, url };
}

/** Refuses URLs that carry credentials or options (they would leak or be passed to git as flags). */
export function checkRepoUrl(url: string): void {
  if (url.startsWith('-') || /[\s\0]/.test(url))
    throw new ApiError(
      'ERR_API_INVALID_ARGUMENT',
      'failed to read repository URL: it must not start with "-" or contain spaces',
    );
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url);
  if (m?.[1]?.includes('@') && !/^ssh:\/\//i.test(url))
    throw new ApiError(
      'ERR_API_INVALID_ARGUMENT',
      'failed to read repository URL: do not put credentials in the URL; use the username and password fields',
    );
}

/** The RBAC object of a repository: `<project>/<url>` for project-scoped ones, else the URL. */
export function repoRbacObject(url: string, project: string | undefined): string {
  return project !== undefined && project !== '' ? `${project}/${url}` : url;
}

/** Secret metadata for a repository or credential template. */
export function credentialSecret(
  name: string,
  namespace: string,
  type: 'repository' | 'repo-creds',
  data: Readonly<Record<string, string>>,
): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name,
      namespace,
      labels: {
        [Labels.secretType]: type === 'repository' ? SecretTypes.repository : SecretTypes.repoCreds,
      },
      annotations: { 'managed-by': 'argocd.argoproj.io' },
    },
    data: encodeSecretData(data),
  };
}

/** The repository Secret for a URL (and project, when given: exact; else any). */
export function findRepositorySecret(
  store: SettingsStore,
  url: string,
  project?: string,
): Secret | undefined {
  const want = normalizeRepoUrl(url);
  const all = store.secretsOfType(SecretTypes.repository);
  const matches = all.filter((s) => normalizeRepoUrl(decodeSecretData(s).url ?? '') === want);
  if (project !== undefined && project !== '')
    return matches.find((s) => (decodeSecretData(s).project ?? '') === project);
  return matches.find((s) => (decodeSecretData(s).project ?? '') === '') ?? matches[0];
}

export function findRepoCredsSecret(store: SettingsStore, url: string): Secret | undefined {
  const want = normalizeRepoUrl(url);
  return store
    .secretsOfType(SecretTypes.repoCreds)
    .find((s) => normalizeRepoUrl(decodeSecretData(s).url ?? '') === want);
}

/** The credential template with the longest URL prefix of `url` (Argo CD's inheritance). */
export function matchingRepoCreds(store: SettingsStore, url: string): ApiObject | undefined {
  let best: ApiObject | undefined;
  let bestLen = -1;
  for (const s of store.secretsOfType(SecretTypes.repoCreds)) {
    const creds = repoCredsFromSecret(s);
    const prefix = typeof creds.url === 'string' ? creds.url : '';
    if (prefix !== '' && url.startsWith(prefix) && prefix.length > bestLen) {
      best = creds;
      bestLen = prefix.length;
    }
  }
  return best;
}

function hasOwnCredentials(repo: ApiObject): boolean {
  return REPO_CREDENTIAL_KEYS.some((k) => typeof repo[k] === 'string' && repo[k] !== '');
}

/** A repository with a credential template's credentials filled in when it has none of its own. */
export function withInheritedCredentials(store: SettingsStore, repo: ApiObject): ApiObject {
  if (hasOwnCredentials(repo)) return repo;
  const creds = matchingRepoCreds(store, typeof repo.repo === 'string' ? repo.repo : '');
  if (!creds) return repo;
  const out: ApiObject = { ...repo, inheritedCreds: true };
  for (const k of [
    ...REPO_CREDENTIAL_KEYS,
    'githubAppID',
    'githubAppInstallationID',
    'githubAppEnterpriseBaseUrl',
    'forceHttpBasicAuth',
    'proxy',
    'noProxy',
  ]) {
    if (creds[k] !== undefined && out[k] === undefined) out[k] = creds[k];
  }
  return out;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** Host of an https URL (for argocd-tls-certs-cm) or an ssh/scp URL (known hosts). */
function hostOf(url: string): string | undefined {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/]*@)?([^/:?#]+)/i.exec(url);
  if (m?.[1]) return m[1].toLowerCase();
  const scp = /^[^@/]+@([^:/]+):/.exec(url);
  return scp?.[1]?.toLowerCase();
}

/** What the repo server needs to reach a repository (credentials included: never log it). */
export function repoServerRepository(store: SettingsStore, repo: ApiObject): RepositoryInit {
  const r = withInheritedCredentials(store, repo);
  const url = str(r.repo);
  const host = hostOf(url);
  const tlsCerts = store.configMaps.get(ConfigNames.tlsCertsCm)?.data ?? {};
  const knownHosts = store.configMaps.get(ConfigNames.sshKnownHostsCm)?.data?.ssh_known_hosts ?? '';
  const depth = typeof r.depth === 'number' ? r.depth : 0;
  return {
    repo: url,
    type: str(r.type) || 'git',
    name: str(r.name),
    username: str(r.username),
    password: str(r.password),
    bearerToken: str(r.bearerToken),
    forceHttpBasicAuth: r.forceHttpBasicAuth === true,
    sshPrivateKey: str(r.sshPrivateKey),
    sshKnownHosts: knownHosts,
    insecureIgnoreHostKey: r.insecureIgnoreHostKey === true,
    tlsClientCertData: str(r.tlsClientCertData),
    tlsClientCertKey: str(r.tlsClientCertKey),
    tlsCaData: host !== undefined ? (tlsCerts[host] ?? '') : '',
    insecure: r.insecure === true,
    depth,
  };
}

/** Every exact secret value of a repository (to redact from repo-server error messages). */
export function repositorySecrets(repo: ApiObject): string[] {
  return REPO_CREDENTIAL_KEYS.map((k) => repo[k]).filter(
    (v): v is string => typeof v === 'string' && v.length >= 3,
  );
}
