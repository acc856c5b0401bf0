/**
 * Clusters, stored exactly as Argo CD stores them: Secrets labelled
 * `argocd.argoproj.io/secret-type: cluster`, named `cluster-<host>-<fnv32a(server)>`, data keys
 * `name`, `server`, `namespaces` (comma list), `clusterResources`, `project`, `shard` and `config`
 * (JSON: bearer token, basic auth, TLS client config, ...). The Secret's other labels and
 * annotations are the cluster's. The implicit in-cluster cluster has no Secret unless one is
 * written for it. Conversions live here; what leaves the server goes through redact.ts.
 */
import {
  ClusterConfigSchema,
  IN_CLUSTER_NAME,
  IN_CLUSTER_SERVER,
  Labels,
  SecretTypes,
  checkSchema,
  decodeSecretData,
  encodeSecretData,
  type Secret,
} from '../../apis/index.js';
import { isRecord } from '../../lib/index.js';
import { ApiError } from '../errors.js';
import { stripLastApplied } from '../redact.js';
import { fnv32a } from '../repositories/store.js';
import type { SettingsStore } from '../state/settings-store.js';

export type ApiCluster = Record<string, unknown>;

const MANAGED_BY = 'managed-by';

/** Argo CD's `URIToSecretName("cluster", server)`. */
export function clusterSecretName(server: string): string {
  let host = 'unknown';
  try {
    host = new URL(server).hostname.replace(/[^a-z0-9.-]/gi, '-').toLowerCase() || 'unknown';
  } catch {
    // not a URL: validation refuses it before a name is needed
  }
  return `cluster-${host}-${fnv32a(server)}`.slice(0, 253);
}

/** Refuses server URLs that are not plain http(s) endpoints (no credentials, query or fragment). */
export function checkServerUrl(server: string): string {
  let u: URL;
  try {
    u = new URL(server.trim());
  } catch {
    throw new ApiError(
      'ERR_API_INVALID_ARGUMENT',
      'failed to read cluster: "server" must be an https:// URL of a Kubernetes API server',
    );
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:')
    throw new ApiError(
      'ERR_API_INVALID_ARGUMENT',
      'failed to read cluster: "server" must be an https:// URL of a Kubernetes API server',
    );
  if (u.username !== '' || u.password !== '')
    throw new ApiError(
      'ERR_API_INVALID_ARGUMENT',
      'failed to read cluster: do not put credentials in the server URL; use config.bearerToken or the TLS client config',
    );
  if (u.search !== '' || u.hash !== '')
    throw new ApiError(
      'ERR_API_INVALID_ARGUMENT',
      'failed to read cluster: the server URL must not have a query or fragment',
    );
  return server.trim().replace(/\/+$/, '');
}

/** A cluster Secret as the API object (credentials included: redact before sending). */
export function clusterFromSecret(secret: Secret): ApiCluster {
  const d = decodeSecretData(secret);
  let config: unknown = {};
  if (d.config !== undefined && d.config.trim() !== '') {
    try {
      config = JSON.parse(d.config) as unknown;
    } catch {
      config = {};
    }
  }
  const labels = Object.fromEntries(
    Object.entries(secret.metadata.labels ?? {}).filter(([k]) => k !== Labels.secretType),
  );
  const annotations = Object.fromEntries(
    Object.entries(
      stripLastApplied({ annotations: secret.metadata.annotations ?? {} }).annotations,
    ).filter(([k]) => k !== MANAGED_BY),
  );
  const out: ApiCluster = {
    server: (d.server ?? '').replace(/\/+$/, ''),
    name: d.name ?? d.server ?? '',
    config: isRecord(config) ? config : {},
  };
  const ns = (d.namespaces ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (ns.length > 0) out.namespaces = ns;
  if ((d.clusterResources ?? '').trim().toLowerCase() === 'true') out.clusterResources = true;
  if (d.project) out.project = d.project;
  if (d.shard !== undefined && /^\d+$/.test(d.shard.trim())) out.shard = Number(d.shard.trim());
  if (Object.keys(labels).length > 0) out.labels = labels;
  if (Object.keys(annotations).length > 0) out.annotations = annotations;
  return out;
}

/** The implicit in-cluster cluster (no credentials: the pod's service account). */
export function inClusterApiCluster(): ApiCluster {
  return {
    server: IN_CLUSTER_SERVER,
    name: IN_CLUSTER_NAME,
    config: { tlsClientConfig: { insecure: false } },
  };
}

export interface ClusterSecretParts {
  readonly server: string;
  readonly name: string;
  readonly data: Record<string, string>;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
}

function stringMap(v: unknown, field: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isRecord(v) || !Object.values(v).every((x) => typeof x === 'string'))
    throw new ApiError(
      'ERR_API_INVALID_ARGUMENT',
      `failed to read cluster: ${field} must map strings to strings`,
    );
  return v as Record<string, string>;
}

/** Checks a cluster from a request and returns its Secret parts. */
export function clusterToSecretParts(obj: unknown): ClusterSecretParts {
  if (!isRecord(obj))
    throw new ApiError(
      'ERR_API_INVALID_ARGUMENT',
      'failed to read cluster: expected a JSON object',
    );
  const server = checkServerUrl(typeof obj.server === 'string' ? obj.server : '');
  const name = typeof obj.name === 'string' && obj.name.trim() !== '' ? obj.name.trim() : server;
  const config = obj.config ?? {};
  const problems = checkSchema(ClusterConfigSchema, config);
  if (problems.length > 0)
    throw new ApiError(
      'ERR_API_INVALID_ARGUMENT',
      `failed to read cluster: config ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
    );
  const data: Record<string, string> = { name, server, config: JSON.stringify(config) };
  if (obj.namespaces !== undefined) {
    if (!Array.isArray(obj.namespaces) || !obj.namespaces.every((n) => typeof n === 'string'))
      throw new ApiError(
        'ERR_API_INVALID_ARGUMENT',
        'failed to read cluster: namespaces must be a list of names',
      );
    if (obj.namespaces.length > 0) data.namespaces = obj.namespaces.join(',');
  }
  if (obj.clusterResources === true) data.clusterResources = 'true';
  if (typeof obj.project === 'string' && obj.project !== '') data.project = obj.project;
  if (obj.shard !== undefined && obj.shard !== null) {
    const n = typeof obj.shard === 'number' ? obj.shard : Number(obj.shard);
    if (!Number.isInteger(n) || n < 0)
      throw new ApiError(
        'ERR_API_INVALID_ARGUMENT',
        'failed to read cluster: shard must be a whole number',
      );
    data.shard = String(n);
  }
  const labels = stringMap(obj.labels, 'labels');
  const annotations = stringMap(obj.annotations, 'annotations');
  return { server, name, data, labels, annotations };
}

export function clusterSecret(
  namespace: string,
  secretName: string,
  parts: ClusterSecretParts,
): Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'Opaque',
    metadata: {
      name: secretName,
      namespace,
      labels: { ...parts.labels, [Labels.secretType]: SecretTypes.cluster },
      annotations: { ...parts.annotations, [MANAGED_BY]: 'argocd.argoproj.io' },
    },
    data: encodeSecretData(parts.data),
  };
}

/** The RBAC object of a cluster: `<project>/<server>` for project-scoped ones, else the server. */
export function clusterRbacObject(cluster: ApiCluster): string {
  const server = typeof cluster.server === 'string' ? cluster.server : '';
  return typeof cluster.project === 'string' && cluster.project !== ''
    ? `${cluster.project}/${server}`
    : server;
}

export interface StoredCluster {
  readonly cluster: ApiCluster;
  /** undefined for the implicit in-cluster cluster */
  readonly secret: Secret | undefined;
}

/** Every cluster: the Secrets, plus the in-cluster one unless a Secret names it or it is disabled. */
export function listClusters(store: SettingsStore): StoredCluster[] {
  const out: StoredCluster[] = store
    .secretsOfType(SecretTypes.cluster)
    .map((secret) => ({ cluster: clusterFromSecret(secret), secret }));
  if (store.settings().inClusterEnabled && !out.some((c) => c.cluster.server === IN_CLUSTER_SERVER))
    out.unshift({ cluster: inClusterApiCluster(), secret: undefined });
  return out;
}

/** Finds a cluster by server URL (`id.type=url`, default) or name (`id.type=name`). */
export function findCluster(
  store: SettingsStore,
  id: string,
  idType: 'url' | 'name',
): StoredCluster | undefined {
  const clusters = listClusters(store);
  if (idType === 'name') return clusters.find((c) => c.cluster.name === id);
  const want = id.replace(/\/+$/, '');
  return clusters.find((c) => c.cluster.server === want);
}
