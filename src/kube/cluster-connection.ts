/**
 * Connection settings for a managed cluster, from a cluster Secret as `clusterFromSecret` reads it
 * (apis): bearer token, basic auth, client certificate and key, CA, `insecure`, `serverName`. The
 * in-cluster entry (`https://kubernetes.default.svc` without credentials) uses the pod's service
 * account. Exec plugins, AWS auth and proxies are refused with a message saying so.
 *
 * Credentials stay in the returned object only; every message here names the cluster by its
 * sanitised server URL and Secret name, never by anything secret.
 */
import { IN_CLUSTER_SERVER, type Cluster } from '../apis/index.js';
import { sanitizeUrl } from '../lib/index.js';
import { KubeConfigError } from './errors.js';
import { inClusterConnection, type KubeConnection } from './kubeconfig.js';

export interface ConnectionFromClusterOptions {
  /** where the in-cluster connection comes from (default: the pod's service account) */
  readonly inCluster?: () => KubeConnection | undefined;
}

function describe(cluster: Cluster): string {
  const server = sanitizeUrl(cluster.server).replace(/\/$/, '');
  return cluster.secretName
    ? `cluster ${server} (secret ${cluster.secretName})`
    : `cluster ${server}`;
}

function decodePem(value: string | undefined, field: string, cluster: Cluster): string | undefined {
  if (value === undefined || value === '') return undefined;
  const text = Buffer.from(value, 'base64').toString('utf8');
  if (!text.includes('-----BEGIN ')) {
    throw new KubeConfigError(
      `failed to read ${describe(cluster)}: config.tlsClientConfig.${field} is not base64-encoded PEM`,
    );
  }
  return text;
}

function hasCredentials(cluster: Cluster): boolean {
  const c = cluster.config;
  return Boolean(
    c.bearerToken ||
    c.username ||
    c.password ||
    c.tlsClientConfig?.certData ||
    c.tlsClientConfig?.keyData ||
    c.execProviderConfig ||
    c.awsAuthConfig,
  );
}

/** Builds the connection to a cluster; throws KubeConfigError (without secrets) when it cannot. */
export function connectionFromCluster(
  cluster: Cluster,
  options: ConnectionFromClusterOptions = {},
): KubeConnection {
  const c = cluster.config;
  if (cluster.server === IN_CLUSTER_SERVER && !hasCredentials(cluster)) {
    const conn = (options.inCluster ?? inClusterConnection)();
    if (!conn) {
      throw new KubeConfigError(
        `failed to connect to ${describe(cluster)}: the in-cluster service account is not available (not running in a pod); add a cluster Secret with credentials instead`,
      );
    }
    return conn;
  }
  let url: URL;
  try {
    url = new URL(cluster.server);
  } catch {
    throw new KubeConfigError(`failed to read ${describe(cluster)}: server is not a URL`);
  }
  if (url.protocol !== 'https:') {
    throw new KubeConfigError(
      `failed to read ${describe(cluster)}: server must be an https:// URL (argocd-ts talks to clusters over TLS only)`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new KubeConfigError(
      `failed to read ${describe(cluster)}: server has credentials in its URL; put them in config.bearerToken or config.username/password`,
    );
  }
  if (c.execProviderConfig !== undefined) {
    throw new KubeConfigError(
      `failed to read ${describe(cluster)}: config.execProviderConfig is not supported (argocd-ts runs no exec plugins); use a bearer token or a client certificate`,
    );
  }
  if (c.awsAuthConfig !== undefined) {
    throw new KubeConfigError(
      `failed to read ${describe(cluster)}: config.awsAuthConfig is not supported; use a bearer token or a client certificate`,
    );
  }
  if (c.proxyUrl !== undefined && c.proxyUrl !== '') {
    throw new KubeConfigError(
      `failed to read ${describe(cluster)}: config.proxyUrl is not supported yet; reach the API server directly`,
    );
  }
  const tls = c.tlsClientConfig ?? {};
  const certPem = decodePem(tls.certData, 'certData', cluster);
  const keyPem = decodePem(tls.keyData, 'keyData', cluster);
  if ((certPem === undefined) !== (keyPem === undefined)) {
    throw new KubeConfigError(
      `failed to read ${describe(cluster)}: config.tlsClientConfig needs both certData and keyData for a client certificate`,
    );
  }
  if ((c.username === undefined) !== (c.password === undefined)) {
    throw new KubeConfigError(
      `failed to read ${describe(cluster)}: basic auth needs both config.username and config.password`,
    );
  }
  const caPem = decodePem(tls.caData, 'caData', cluster);
  const conn: {
    -readonly [K in keyof KubeConnection]: KubeConnection[K];
  } = {
    server: cluster.server.replace(/\/+$/, ''),
    source: cluster.secretName ? `cluster secret ${cluster.secretName}` : `cluster ${cluster.name}`,
  };
  if (caPem !== undefined) conn.caPem = caPem;
  if (certPem !== undefined) conn.certPem = certPem;
  if (keyPem !== undefined) conn.keyPem = keyPem;
  if (c.bearerToken) conn.token = c.bearerToken;
  else if (c.username !== undefined && c.password !== undefined) {
    conn.username = c.username;
    conn.password = c.password;
  }
  if (tls.insecure === true) conn.insecureSkipTlsVerify = true;
  if (tls.serverName) conn.tlsServerName = tls.serverName;
  return conn;
}
