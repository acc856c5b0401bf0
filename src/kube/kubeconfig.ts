/**
 * Connection settings for a Kubernetes API server: from a kubeconfig file (the `KUBECONFIG` path,
 * first file of a colon list, else ~/.kube/config) or from the in-cluster service account. Only the
 * auth methods this project supports: client certificates, bearer tokens, basic auth; an exec or
 * auth-provider user is refused with a message saying so.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { errorMessage, isRecord } from '../lib/index.js';
import { KubeConfigError } from './errors.js';

export interface KubeConnection {
  /** https://host:port, no trailing slash */
  readonly server: string;
  readonly caPem?: string;
  readonly certPem?: string;
  readonly keyPem?: string;
  readonly token?: string;
  readonly username?: string;
  readonly password?: string;
  readonly insecureSkipTlsVerify?: boolean;
  readonly tlsServerName?: string;
  /** the namespace of the current context, if any */
  readonly namespace?: string;
  /** where the settings came from, for messages */
  readonly source: string;
}

function readMaybe(base: string, path: unknown): string | undefined {
  if (typeof path !== 'string' || path === '') return undefined;
  const full = isAbsolute(path) ? path : join(base, path);
  return readFileSync(full, 'utf8');
}

function b64(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? Buffer.from(v, 'base64').toString('utf8') : undefined;
}

function named(list: unknown, name: string, field: string): Record<string, unknown> | undefined {
  if (!Array.isArray(list)) return undefined;
  for (const item of list) {
    if (isRecord(item) && item.name === name && isRecord(item[field])) return item[field];
  }
  return undefined;
}

/** Parses kubeconfig text. `context` defaults to current-context. */
export function parseKubeconfig(
  text: string,
  options: { baseDir: string; context?: string; source: string },
): KubeConnection {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new KubeConfigError(`failed to parse kubeconfig ${options.source}: ${errorMessage(err)}`);
  }
  if (!isRecord(doc))
    throw new KubeConfigError(`failed to parse kubeconfig ${options.source}: not a mapping`);
  const ctxName =
    options.context ??
    (typeof doc['current-context'] === 'string' ? doc['current-context'] : undefined);
  if (!ctxName)
    throw new KubeConfigError(
      `kubeconfig ${options.source} has no current-context; pass a context name`,
    );
  const ctx = named(doc.contexts, ctxName, 'context');
  if (!ctx) throw new KubeConfigError(`kubeconfig ${options.source} has no context "${ctxName}"`);
  const cluster = named(doc.clusters, String(ctx.cluster), 'cluster');
  if (!cluster || typeof cluster.server !== 'string') {
    throw new KubeConfigError(
      `kubeconfig ${options.source}: context "${ctxName}" names no cluster with a server`,
    );
  }
  const user = named(doc.users, String(ctx.user), 'user') ?? {};
  if (user.exec !== undefined || user['auth-provider'] !== undefined) {
    throw new KubeConfigError(
      `kubeconfig ${options.source}: user "${String(ctx.user)}" uses an exec or auth-provider plugin, which argocd-ts does not run; use a client certificate or a token`,
    );
  }
  const base = options.baseDir;
  let token = typeof user.token === 'string' && user.token !== '' ? user.token : undefined;
  if (!token && typeof user.tokenFile === 'string') token = readMaybe(base, user.tokenFile)?.trim();
  const conn: Record<string, unknown> = {
    server: cluster.server.replace(/\/+$/, ''),
    caPem:
      b64(cluster['certificate-authority-data']) ??
      readMaybe(base, cluster['certificate-authority']),
    certPem: b64(user['client-certificate-data']) ?? readMaybe(base, user['client-certificate']),
    keyPem: b64(user['client-key-data']) ?? readMaybe(base, user['client-key']),
    token,
    username: typeof user.username === 'string' ? user.username : undefined,
    password: typeof user.password === 'string' ? user.password : undefined,
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
    tlsServerName:
      typeof cluster['tls-server-name'] === 'string' ? cluster['tls-server-name'] : undefined,
    namespace: typeof ctx.namespace === 'string' ? ctx.namespace : undefined,
    source: options.source,
  };
  return Object.fromEntries(
    Object.entries(conn).filter(([, v]) => v !== undefined),
  ) as unknown as KubeConnection;
}

/** Loads a kubeconfig file; `path` defaults to $KUBECONFIG (first entry) or ~/.kube/config. */
export function loadKubeconfig(
  path?: string,
  context?: string,
  env: NodeJS.ProcessEnv = process.env,
): KubeConnection {
  const file =
    path ?? env.KUBECONFIG?.split(':').find((p) => p !== '') ?? join(homedir(), '.kube', 'config');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new KubeConfigError(`failed to read kubeconfig ${file}: ${errorMessage(err)}`, {
      cause: err,
    });
  }
  return parseKubeconfig(text, {
    baseDir: dirname(file),
    source: file,
    ...(context ? { context } : {}),
  });
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The in-cluster connection from the pod's service account, or undefined outside a cluster. */
export function inClusterConnection(
  env: NodeJS.ProcessEnv = process.env,
  dir = SA_DIR,
): KubeConnection | undefined {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) return undefined;
  try {
    const token = readFileSync(join(dir, 'token'), 'utf8').trim();
    const caPem = readFileSync(join(dir, 'ca.crt'), 'utf8');
    let namespace: string | undefined;
    try {
      namespace = readFileSync(join(dir, 'namespace'), 'utf8').trim();
    } catch {
      namespace = undefined; // optional file
    }
    const h = host.includes(':') ? `[${host}]` : host;
    return {
      server: `https://${h}:${port}`,
      token,
      caPem,
      source: 'in-cluster service account',
      ...(namespace ? { namespace } : {}),
    };
  } catch {
    return undefined;
  }
}
