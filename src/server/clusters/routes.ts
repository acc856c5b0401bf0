/**
 * `cluster.ClusterService` (RBAC resource `clusters`; object = the server URL, or
 * `<project>/<server>` for a project-scoped cluster). Answers never carry credentials
 * (`sanitizeClusterForApi`: bearer token, password, client key and certificate, exec config are
 * removed; `kubectl.kubernetes.io/last-applied-configuration` is stripped, CVE-2023-40029).
 *
 * | Endpoint | RBAC |
 * |---|---|
 * | `GET /api/v1/clusters` (paginated; `server`, `name` filters) | `get` per cluster |
 * | `POST /api/v1/clusters?upsert=` | `create` (+ `update` when replacing); the cluster must answer `/version` |
 * | `GET /api/v1/clusters/{id.value}?id.type=url\|name` | `get` (a missing and a forbidden cluster get the same 403) |
 * | `PUT /api/v1/clusters/{id.value}?updatedFields=` | `update` on the stored AND the new object (CVE-2023-23947) |
 * | `DELETE /api/v1/clusters/{id.value}` | `delete` |
 * | `POST .../invalidate-cache`, `POST .../rotate-auth` | `update`; answered "not supported" (501) |
 *
 * The same handlers serve `cluster.ClusterService` List and Get over gRPC, gRPC-Web and Connect,
 * with the sanitised Cluster as a google.protobuf.Struct.
 */
import {
  IN_CLUSTER_SERVER,
  clusterFromSecret as parseClusterSecret,
  type Secret,
} from '../../apis/index.js';
import {
  connectionFromCluster,
  EventReasons,
  isAlreadyExists,
  isConflict,
  isNotFound,
  KubeClient,
} from '../../kube/index.js';
import { errorMessage, isRecord } from '../../lib/index.js';
import { permissionDeniedMessage, RbacDeniedError } from '../../rbac/index.js';
import { rpcQuery, toListFields, toStruct, unary } from '../connect.js';
import type { RequestContext } from '../context.js';
import { ApiError } from '../errors.js';
import { ClusterService } from '../gen/argocd/server/cluster/cluster_pb.js';
import { paginate, type Page } from '../pagination.js';
import { redactText, sanitizeClusterForApi } from '../redact.js';
import { QueryParams, type ApiService, type ServiceDeps } from '../service.js';
import {
  clusterFromSecret,
  clusterRbacObject,
  clusterSecret,
  clusterSecretName,
  clusterToSecretParts,
  findCluster,
  listClusters,
  type ApiCluster,
  type ClusterSecretParts,
  type StoredCluster,
} from './store.js';

const MAX_ATTEMPTS = 5;
const VERSION_TIMEOUT_MS = 10_000;

/** Fields `updatedFields` may name (Argo CD's UpdateCluster). */
const UPDATABLE = new Set([
  'name',
  'namespaces',
  'project',
  'labels',
  'annotations',
  'clusterResources',
  'shard',
  'config',
]);

function secretEvent(
  ctx: RequestContext,
  deps: ServiceDeps,
  secret: Secret,
  reason: string,
  action: string,
): void {
  deps.audit.record(ctx, {
    involvedObject: {
      apiVersion: 'v1',
      kind: 'Secret',
      name: secret.metadata.name ?? '',
      namespace: deps.namespace,
      ...(secret.metadata.uid !== undefined ? { uid: secret.metadata.uid } : {}),
    },
    reason,
    action,
  });
}

/** Argo CD checks a new cluster answers: GET /version with its credentials. */
async function checkReachable(parts: ClusterSecretParts): Promise<string> {
  const secret = clusterSecret('check', 'check', parts);
  let client: KubeClient | undefined;
  try {
    const cluster = parseClusterSecret(secret);
    client = new KubeClient(connectionFromCluster(cluster), {
      retry: { maxRetries: 0 },
      timeoutMs: VERSION_TIMEOUT_MS,
      qps: 0,
    });
    const v = await client.request<{ gitVersion?: string }>({ method: 'GET', path: '/version' });
    return v.gitVersion ?? '';
  } catch (err) {
    throw new ApiError(
      'ERR_API_INVALID_ARGUMENT',
      `failed to create cluster: ${redactText(parts.server)} does not answer with the given credentials: ${redactText(errorMessage(err))}`,
    );
  } finally {
    client?.close();
  }
}

/** The requested cluster, or the same 403 whether it is missing or forbidden (GHSA-3cqf-953p-h5cp). */
function authorizedCluster(
  ctx: RequestContext,
  deps: ServiceDeps,
  id: string,
  idType: 'url' | 'name',
  action: string,
): StoredCluster {
  const found = findCluster(deps.store, id, idType);
  const object = found ? clusterRbacObject(found.cluster) : id;
  if (!found) {
    if (ctx.can('clusters', action, object))
      throw new ApiError(
        'ERR_API_NOT_FOUND',
        `failed to ${action} cluster: ${redactText(id)} does not exist`,
      );
    throw new RbacDeniedError(
      permissionDeniedMessage(ctx.caller.claims, 'clusters', action, object),
    );
  }
  ctx.enforce('clusters', action, object);
  return found;
}

function idTypeOf(v: string | undefined): 'url' | 'name' {
  if (v === undefined || v === 'url') return 'url';
  if (v === 'name' || v === 'name_escaped') return 'name';
  throw new ApiError('ERR_API_INVALID_ARGUMENT', 'failed to read id.type: use url or name');
}

function hasCredentials(config: unknown): boolean {
  if (!isRecord(config)) return false;
  const tls = isRecord(config.tlsClientConfig) ? config.tlsClientConfig : {};
  return (
    ['bearerToken', 'password', 'username'].some(
      (k) => typeof config[k] === 'string' && config[k] !== '',
    ) ||
    typeof tls.keyData === 'string' ||
    typeof tls.certData === 'string' ||
    config.execProviderConfig !== undefined ||
    config.awsAuthConfig !== undefined
  );
}

async function writeCluster(
  deps: ServiceDeps,
  secretName: string,
  build: (current: Secret) => Secret,
): Promise<Secret> {
  const ref = { ...deps.store.ref('secrets', secretName), name: secretName };
  for (let attempt = 1; ; attempt++) {
    const current = await deps.kube.get<Secret>(ref);
    try {
      const written = await deps.kube.replace<Secret>(ref, build(current));
      deps.store.secrets.observe(written);
      return written;
    } catch (err) {
      if (!isConflict(err) || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}

/** The clusters the caller may get, one page (shared by REST and gRPC). */
export function listClustersOf(
  deps: ServiceDeps,
  ctx: RequestContext,
  query: QueryParams,
): Page<ApiCluster> {
  if (query.get('selector') !== undefined)
    throw new ApiError(
      'ERR_API_INVALID_ARGUMENT',
      'failed to list clusters: label selectors are not supported; filter by server or name',
    );
  const server =
    query.get('server') ?? (query.get('id.type') !== 'name' ? query.get('id.value') : undefined);
  const name =
    query.get('name') ?? (query.get('id.type') === 'name' ? query.get('id.value') : undefined);
  const items = listClusters(deps.store)
    .map((c) => c.cluster)
    .filter(
      (c) =>
        (server === undefined || c.server === server.replace(/\/+$/, '')) &&
        (name === undefined || c.name === name),
    )
    .filter((c) => ctx.can('clusters', 'get', clusterRbacObject(c)))
    .map(sanitizeClusterForApi);
  return paginate(items, (c) => (typeof c.server === 'string' ? c.server : ''), query);
}

/** One cluster, sanitised (shared by REST and gRPC). */
export function getCluster(
  deps: ServiceDeps,
  ctx: RequestContext,
  id: string,
  idType: 'url' | 'name',
): ApiCluster {
  return sanitizeClusterForApi(authorizedCluster(ctx, deps, id, idType, 'get').cluster);
}

/** Argo CD's ClusterQuery for one cluster: `id` when set, else `server`, else `name`. */
function clusterIdOfQuery(q: {
  readonly server: string;
  readonly name: string;
  readonly id?: { readonly type: string; readonly value: string } | undefined;
}): { id: string; idType: 'url' | 'name' } {
  if (q.id && q.id.value !== '')
    return { id: q.id.value, idType: idTypeOf(q.id.type || undefined) };
  if (q.server !== '') return { id: q.server, idType: 'url' };
  if (q.name !== '') return { id: q.name, idType: 'name' };
  throw new ApiError(
    'ERR_API_INVALID_ARGUMENT',
    'failed to get cluster: name the cluster by id, server or name',
  );
}

export const clustersService: ApiService = {
  name: 'clusters',
  register(routes, deps) {
    routes.route({
      method: 'GET',
      path: '/api/v1/clusters',
      sensitive: true,
      handler: (ctx, req) => listClustersOf(deps, ctx, req.query),
    });

    routes.route({
      method: 'POST',
      path: '/api/v1/clusters',
      sensitive: true,
      handler: async (ctx, req) => {
        const parts = clusterToSecretParts(req.body);
        const object = clusterRbacObject({ server: parts.server, project: parts.data.project });
        ctx.enforce('clusters', 'create', object);
        const existing = findCluster(deps.store, parts.server, 'url');
        if (existing?.secret) {
          const same =
            JSON.stringify(clusterFromSecret(existing.secret)) ===
            JSON.stringify(
              clusterFromSecret(
                clusterSecret(deps.namespace, existing.secret.metadata.name ?? '', parts),
              ),
            );
          if (same) return sanitizeClusterForApi(existing.cluster);
          if (req.query.bool('upsert') !== true)
            throw new ApiError(
              'ERR_API_INVALID_ARGUMENT',
              `failed to create cluster: ${redactText(parts.server)} exists with a different spec; use upsert to replace it`,
            );
          // the stored object must allow the change too: it may belong to another project
          ctx.enforce('clusters', 'update', clusterRbacObject(existing.cluster));
          ctx.enforce('clusters', 'update', object);
        }
        const serverVersion = await checkReachable(parts);
        let written: Secret;
        if (existing?.secret) {
          written = await writeCluster(deps, existing.secret.metadata.name ?? '', (current) => ({
            ...clusterSecret(deps.namespace, current.metadata.name ?? '', parts),
            metadata: {
              ...clusterSecret(deps.namespace, current.metadata.name ?? '', parts).metadata,
              resourceVersion: current.metadata.resourceVersion ?? '',
            },
          }));
          secretEvent(
            ctx,
            deps,
            written,
            EventReasons.ResourceUpdated,
            `updated cluster ${redactText(parts.server)}`,
          );
        } else {
          try {
            written = await deps.kube.create<Secret>(
              deps.store.ref('secrets'),
              clusterSecret(deps.namespace, clusterSecretName(parts.server), parts),
            );
          } catch (err) {
            if (isAlreadyExists(err))
              throw new ApiError(
                'ERR_API_ALREADY_EXISTS',
                `failed to create cluster: ${redactText(parts.server)} already exists`,
              );
            throw err;
          }
          deps.store.secrets.observe(written);
          secretEvent(
            ctx,
            deps,
            written,
            EventReasons.ResourceCreated,
            `created cluster ${redactText(parts.server)}`,
          );
        }
        return {
          ...sanitizeClusterForApi(clusterFromSecret(written)),
          ...(serverVersion !== '' ? { serverVersion } : {}),
        };
      },
    });

    routes.route({
      method: 'GET',
      path: '/api/v1/clusters/:id',
      sensitive: true,
      handler: (ctx, req) =>
        getCluster(deps, ctx, req.params.id ?? '', idTypeOf(req.query.get('id.type'))),
    });

    routes.route({
      method: 'PUT',
      path: '/api/v1/clusters/:id',
      sensitive: true,
      handler: async (ctx, req) => {
        const id = req.params.id ?? '';
        const found = authorizedCluster(
          ctx,
          deps,
          id,
          idTypeOf(req.query.get('id.type')),
          'update',
        );
        const body: unknown = req.body ?? {};
        if (!isRecord(body))
          throw new ApiError(
            'ERR_API_INVALID_ARGUMENT',
            'failed to update cluster: expected a JSON object',
          );
        const fields = req.query.all('updatedFields', true);
        for (const f of fields)
          if (!UPDATABLE.has(f))
            throw new ApiError(
              'ERR_API_INVALID_ARGUMENT',
              `failed to update cluster: "${f}" cannot be updated; use one of ${[...UPDATABLE].join(', ')}`,
            );
        const old = found.cluster;
        // the new object: the stored one with the named fields replaced (or the whole body)
        const merged: ApiCluster = fields.length > 0 ? { ...old } : { ...body };
        for (const f of fields) merged[f] = body[f];
        if (fields.length > 0) merged.server = old.server;
        if (!hasCredentials(merged.config) && hasCredentials(old.config)) {
          // a sanitized object sent back (the UI's edit) keeps the stored credentials
          const oldConfig = isRecord(old.config) ? old.config : {};
          const newConfig = isRecord(merged.config) ? merged.config : {};
          const oldTls = isRecord(oldConfig.tlsClientConfig) ? oldConfig.tlsClientConfig : {};
          const newTls = isRecord(newConfig.tlsClientConfig) ? newConfig.tlsClientConfig : {};
          merged.config = { ...oldConfig, ...newConfig, tlsClientConfig: { ...oldTls, ...newTls } };
          for (const k of [
            'bearerToken',
            'password',
            'username',
            'execProviderConfig',
            'awsAuthConfig',
          ] as const)
            if (oldConfig[k] !== undefined)
              (merged.config as Record<string, unknown>)[k] = oldConfig[k];
        }
        const parts = clusterToSecretParts(merged);
        // CVE-2023-23947: the new object must be allowed too (another project, another server)
        ctx.enforce(
          'clusters',
          'update',
          clusterRbacObject({ server: parts.server, project: parts.data.project }),
        );
        if (parts.server !== old.server) {
          const clash = findCluster(deps.store, parts.server, 'url');
          if (clash)
            throw new ApiError(
              'ERR_API_INVALID_ARGUMENT',
              `failed to update cluster: ${redactText(parts.server)} is another cluster; a cluster's server cannot be moved onto it`,
            );
        }
        let written: Secret;
        if (found.secret) {
          written = await writeCluster(deps, found.secret.metadata.name ?? '', (current) => {
            const next = clusterSecret(deps.namespace, current.metadata.name ?? '', parts);
            return {
              ...next,
              metadata: {
                ...next.metadata,
                resourceVersion: current.metadata.resourceVersion ?? '',
              },
            };
          });
        } else {
          // the implicit in-cluster cluster gets a Secret of its own
          written = await deps.kube.create<Secret>(
            deps.store.ref('secrets'),
            clusterSecret(deps.namespace, clusterSecretName(IN_CLUSTER_SERVER), parts),
          );
          deps.store.secrets.observe(written);
        }
        secretEvent(
          ctx,
          deps,
          written,
          EventReasons.ResourceUpdated,
          `updated cluster ${redactText(parts.server)}`,
        );
        return sanitizeClusterForApi(clusterFromSecret(written));
      },
    });

    routes.route({
      method: 'DELETE',
      path: '/api/v1/clusters/:id',
      handler: async (ctx, req) => {
        const id = req.params.id ?? '';
        const found = authorizedCluster(
          ctx,
          deps,
          id,
          idTypeOf(req.query.get('id.type')),
          'delete',
        );
        if (!found.secret)
          throw new ApiError(
            'ERR_API_INVALID_ARGUMENT',
            'failed to delete cluster: the in-cluster cluster has no Secret; set cluster.inClusterEnabled to "false" in argocd-cm to hide it',
          );
        const name = found.secret.metadata.name ?? '';
        try {
          await deps.kube.delete({ ...deps.store.ref('secrets', name), name });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        deps.store.secrets.observeDeleted(name);
        secretEvent(
          ctx,
          deps,
          found.secret,
          EventReasons.ResourceDeleted,
          `deleted cluster ${redactText(typeof found.cluster.server === 'string' ? found.cluster.server : '')}`,
        );
        return {};
      },
    });

    routes.rpc(ClusterService, {
      list: unary(deps, (ctx, req) =>
        toListFields(
          listClustersOf(
            deps,
            ctx,
            new QueryParams(
              rpcQuery({
                server: req.server,
                name: req.name,
                'id.type': req.id?.type,
                'id.value': req.id?.value,
                selector: req.selector,
                limit: req.limit,
                continue: req.continue,
              }),
            ),
          ),
        ),
      ),
      get: unary(deps, (ctx, req) => {
        const { id, idType } = clusterIdOfQuery(req);
        return toStruct(getCluster(deps, ctx, id, idType));
      }),
    });

    for (const action of ['invalidate-cache', 'rotate-auth'] as const) {
      routes.route({
        method: 'POST',
        path: `/api/v1/clusters/:id/${action}`,
        handler: (ctx, req) => {
          authorizedCluster(
            ctx,
            deps,
            req.params.id ?? '',
            idTypeOf(req.query.get('id.type')),
            'update',
          );
          throw new ApiError(
            'ERR_API_UNIMPLEMENTED',
            action === 'invalidate-cache'
              ? 'failed to invalidate the cluster cache: not supported by this API server; the application controller keeps its cluster cache current from watches'
              : 'failed to rotate cluster credentials: not supported; create a new bearer token for the cluster and update the cluster with it',
          );
        },
      });
    }
  },
};
