/**
 * Repository and cluster credentials as Argo CD stores them: Secrets in the control-plane namespace
 * labelled `argocd.argoproj.io/secret-type`. These types hold secrets; never log or return them
 * whole: use `sanitizeRepository`/`sanitizeCluster` for anything that leaves the process.
 */
import { Type, type Static } from 'typebox';
import { errorMessage } from '../lib/index.js';
import { IN_CLUSTER_NAME, IN_CLUSTER_SERVER } from './constants.js';
import { decodeSecretData, type Secret } from './meta.js';
import { validate, ValidationError } from './validate.js';

export type RepositoryType = 'git' | 'helm' | 'oci';

export interface Repository {
  readonly type: RepositoryType;
  readonly url: string;
  readonly name?: string;
  readonly project?: string;
  readonly username?: string;
  readonly password?: string;
  readonly bearerToken?: string;
  readonly sshPrivateKey?: string;
  readonly tlsClientCertData?: string;
  readonly tlsClientCertKey?: string;
  readonly insecure: boolean;
  readonly insecureIgnoreHostKey: boolean;
  readonly enableLfs: boolean;
  readonly enableOCI: boolean;
  readonly forceHttpBasicAuth: boolean;
  readonly proxy?: string;
  readonly noProxy?: string;
  readonly depth?: number;
}

const bool = (v: string | undefined): boolean => v?.trim().toLowerCase() === 'true';
const opt = (v: string | undefined): string | undefined =>
  v === undefined || v === '' ? undefined : v;

function optionalFields<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** Reads a repository (or repo-creds) Secret; throws ValidationError naming the bad key. */
export function repositoryFromSecret(
  secret: Pick<Secret, 'data' | 'stringData' | 'metadata'>,
): Repository {
  const d = decodeSecretData(secret);
  const what = `repository secret ${secret.metadata.name ?? ''}`.trim();
  if (!d.url) throw new ValidationError(what, [{ field: 'data.url', message: 'is required' }]);
  const rawType: string = d.type ?? 'git';
  if (rawType !== 'git' && rawType !== 'helm' && rawType !== 'oci') {
    throw new ValidationError(what, [
      { field: 'data.type', message: `"${rawType}" is not one of git, helm, oci` },
    ]);
  }
  let depth: number | undefined;
  if (d.depth !== undefined && d.depth !== '') {
    depth = Number(d.depth);
    if (!Number.isInteger(depth) || depth < 0) {
      throw new ValidationError(what, [
        { field: 'data.depth', message: 'must be a whole number >= 0' },
      ]);
    }
  }
  const type: RepositoryType = rawType;
  return optionalFields({
    type,
    url: d.url,
    name: opt(d.name),
    project: opt(d.project),
    username: opt(d.username),
    password: opt(d.password),
    bearerToken: opt(d.bearerToken),
    sshPrivateKey: opt(d.sshPrivateKey),
    tlsClientCertData: opt(d.tlsClientCertData),
    tlsClientCertKey: opt(d.tlsClientCertKey),
    insecure: bool(d.insecure),
    insecureIgnoreHostKey: bool(d.insecureIgnoreHostKey),
    enableLfs: bool(d.enableLfs),
    enableOCI: bool(d.enableOCI),
    forceHttpBasicAuth: bool(d.forceHttpBasicAuth),
    proxy: opt(d.proxy),
    noProxy: opt(d.noProxy),
    depth,
  }) as Repository;
}

/** Secret `data` (as strings) for a repository; the inverse of `repositoryFromSecret`. */
export function repositoryToSecretData(repo: Repository): Record<string, string> {
  const out: Record<string, string> = { type: repo.type, url: repo.url };
  const put = (k: string, v: string | boolean | number | undefined): void => {
    if (v === undefined || v === false || v === '') return;
    out[k] = String(v);
  };
  put('name', repo.name);
  put('project', repo.project);
  put('username', repo.username);
  put('password', repo.password);
  put('bearerToken', repo.bearerToken);
  put('sshPrivateKey', repo.sshPrivateKey);
  put('tlsClientCertData', repo.tlsClientCertData);
  put('tlsClientCertKey', repo.tlsClientCertKey);
  put('insecure', repo.insecure);
  put('insecureIgnoreHostKey', repo.insecureIgnoreHostKey);
  put('enableLfs', repo.enableLfs);
  put('enableOCI', repo.enableOCI);
  put('forceHttpBasicAuth', repo.forceHttpBasicAuth);
  put('proxy', repo.proxy);
  put('noProxy', repo.noProxy);
  put('depth', repo.depth);
  return out;
}

/** A repository with every credential removed, safe to return from the API. */
export function sanitizeRepository(
  repo: Repository,
): Omit<
  Repository,
  'password' | 'bearerToken' | 'sshPrivateKey' | 'tlsClientCertKey' | 'tlsClientCertData'
> & { hasCredentials: boolean } {
  const { password, bearerToken, sshPrivateKey, tlsClientCertKey, tlsClientCertData, ...rest } =
    repo;
  return {
    ...rest,
    hasCredentials: [
      password,
      bearerToken,
      sshPrivateKey,
      tlsClientCertKey,
      tlsClientCertData,
      rest.username,
    ].some((v) => v !== undefined),
  };
}

export const ClusterConfigSchema = Type.Object({
  username: Type.Optional(Type.String()),
  password: Type.Optional(Type.String()),
  bearerToken: Type.Optional(Type.String()),
  tlsClientConfig: Type.Optional(
    Type.Object({
      insecure: Type.Optional(Type.Boolean()),
      serverName: Type.Optional(Type.String()),
      caData: Type.Optional(Type.String()),
      certData: Type.Optional(Type.String()),
      keyData: Type.Optional(Type.String()),
    }),
  ),
  awsAuthConfig: Type.Optional(Type.Unknown()),
  execProviderConfig: Type.Optional(Type.Unknown()),
  proxyUrl: Type.Optional(Type.String()),
  disableCompression: Type.Optional(Type.Boolean()),
});
/** The `config` JSON of a cluster Secret (caData/certData/keyData are base64 PEM). */
export type ClusterConfig = Static<typeof ClusterConfigSchema>;

export interface Cluster {
  readonly name: string;
  readonly server: string;
  readonly namespaces: readonly string[];
  readonly clusterResources: boolean;
  readonly project?: string;
  readonly shard?: number;
  readonly config: ClusterConfig;
  /** name of the Secret it came from; absent for the implicit in-cluster one */
  readonly secretName?: string;
  /** Argo CD's cluster ID: the UID of the Secret it came from (sharding hashes it) */
  readonly id?: string;
}

/** Reads a cluster Secret; throws ValidationError naming the bad key. */
export function clusterFromSecret(
  secret: Pick<Secret, 'data' | 'stringData' | 'metadata'>,
): Cluster {
  const d = decodeSecretData(secret);
  const what = `cluster secret ${secret.metadata.name ?? ''}`.trim();
  if (!d.server)
    throw new ValidationError(what, [{ field: 'data.server', message: 'is required' }]);
  let config: ClusterConfig = {};
  if (d.config !== undefined && d.config.trim() !== '') {
    let raw: unknown;
    try {
      raw = JSON.parse(d.config);
    } catch (err) {
      throw new ValidationError(what, [
        { field: 'data.config', message: `is not valid JSON (${errorMessage(err)})` },
      ]);
    }
    config = validate(ClusterConfigSchema, raw, `${what} data.config`);
  }
  let shard: number | undefined;
  if (d.shard !== undefined && d.shard.trim() !== '') {
    shard = Number(d.shard);
    if (!Number.isInteger(shard) || shard < 0) {
      throw new ValidationError(what, [
        { field: 'data.shard', message: 'must be a whole number >= 0' },
      ]);
    }
  }
  return optionalFields({
    name: d.name ?? d.server,
    server: d.server.replace(/\/+$/, ''),
    namespaces: (d.namespaces ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    clusterResources: bool(d.clusterResources),
    project: opt(d.project),
    shard,
    config,
    secretName: secret.metadata.name,
    id: secret.metadata.uid,
  }) as Cluster;
}

/** The implicit cluster the control plane runs in. */
export function inClusterCluster(): Cluster {
  return {
    name: IN_CLUSTER_NAME,
    server: IN_CLUSTER_SERVER,
    namespaces: [],
    clusterResources: true,
    config: {},
  };
}

/** A cluster without credentials, safe to return from the API. */
export function sanitizeCluster(cluster: Cluster): Omit<Cluster, 'config'> & {
  config: { tlsClientConfig: { insecure: boolean; serverName?: string } };
} {
  const { config, ...rest } = cluster;
  const tls: { insecure: boolean; serverName?: string } = {
    insecure: config.tlsClientConfig?.insecure ?? false,
  };
  if (config.tlsClientConfig?.serverName) tls.serverName = config.tlsClientConfig.serverName;
  return { ...rest, config: { tlsClientConfig: tls } };
}
