/**
 * `repository.RepositoryService` and `repocreds.RepoCredsService` (RBAC resource `repositories`;
 * object = the URL, or `<project>/<url>` for a project-scoped repository). Every answer is
 * sanitised (`sanitizeRepositoryForApi`): no password, token, key or certificate ever leaves.
 *
 * | Endpoint | RBAC |
 * |---|---|
 * | `GET /api/v1/repositories` (paginated) | `get` per repository |
 * | `POST /api/v1/repositories?upsert=` | `create` (+ `update` when replacing) |
 * | `GET /api/v1/repositories/{repo}` | `get` |
 * | `PUT /api/v1/repositories/{repo.repo}` | `update` on the stored AND the new object |
 * | `DELETE /api/v1/repositories/{repo}` | `delete` |
 * | `GET .../{repo}/refs`, `GET .../{repo}/apps` | `get` |
 * | `POST .../{source.repoURL}/appdetails` | `get`, and `applications, create` on `<appProject>/<appName>` or `applications, get` on that app when it already uses the repository (CVE-2022-24730) |
 * | `POST .../{repo}/validate` | `create` |
 * | `GET/POST /api/v1/repocreds`, `PUT /api/v1/repocreds/{creds.url}`, `DELETE /api/v1/repocreds/{url}` | `get` / `create` / `update` / `delete` on the URL |
 *
 * The repository URL in the path is URL-escaped (`https%3A%2F%2Fgit.example%2Fx.git`).
 *
 * The same handlers serve `repository.RepositoryService` (List/ListRepositories, Get,
 * Create/CreateRepository, Delete/DeleteRepository) over gRPC, gRPC-Web and Connect, with the
 * sanitised Repository as a google.protobuf.Struct.
 */
import type { Secret } from '../../apis/index.js';
import { EventReasons, isAlreadyExists, isConflict, isNotFound } from '../../kube/index.js';
import { errorMessage, isRecord } from '../../lib/index.js';
import { RepoServerClientError, type RepositoryInit } from '../../reposerver/client.js';
import type { ServiceImpl } from '@connectrpc/connect';
import { rpcQuery, toListFields, toStruct, unary } from '../connect.js';
import type { RequestContext } from '../context.js';
import { ApiError } from '../errors.js';
import { RepositoryService } from '../gen/argocd/server/repository/repository_pb.js';
import { paginate, type ListMeta } from '../pagination.js';
import { redactText, sanitizeRepoCredsForApi, sanitizeRepositoryForApi } from '../redact.js';
import { QueryParams, type ApiService, type ServiceDeps } from '../service.js';
import {
  REPO_CREDENTIAL_KEYS,
  checkRepoUrl,
  credentialSecret,
  credsSecretName,
  findRepoCredsSecret,
  findRepositorySecret,
  repoCredsFromSecret,
  repoCredsToSecretData,
  repoRbacObject,
  repoSecretName,
  repoServerRepository,
  repositoryFromSecret,
  repositorySecrets,
  repositoryToSecretData,
  withInheritedCredentials,
  type ApiObject,
} from './store.js';

const STATE_TTL_MS = 60_000;

type RepoRpc = ServiceImpl<typeof RepositoryService>;
const MAX_ATTEMPTS = 5;

interface ConnectionState {
  status: 'Successful' | 'Failed' | 'Unknown';
  message: string;
  attemptedAt: string;
}

function projectOf(repo: ApiObject): string | undefined {
  return typeof repo.project === 'string' && repo.project !== '' ? repo.project : undefined;
}

function urlOf(repo: ApiObject): string {
  return typeof repo.repo === 'string' ? repo.repo : '';
}

/** Repo-server failures without credentials and with the stable part of the message. */
function repoServerFailure(
  verb: string,
  url: string,
  err: unknown,
  secrets: readonly string[],
): ApiError {
  const detail = redactText(errorMessage(err), secrets);
  const unavailable = err instanceof RepoServerClientError && err.code === 'ERR_UNAVAILABLE';
  return new ApiError(
    unavailable ? 'ERR_API_UNAVAILABLE' : 'ERR_API_INVALID_ARGUMENT',
    `failed to ${verb} ${redactText(url)}: ${detail}`,
  );
}

function requireRepoServer(
  deps: ServiceDeps,
  verb: string,
): NonNullable<ServiceDeps['repoServer']> {
  if (!deps.repoServer)
    throw new ApiError(
      'ERR_API_UNAVAILABLE',
      `failed to ${verb}: this API server has no repo server configured (--repo-server)`,
    );
  return deps.repoServer;
}

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

/** Replaces a credential Secret's data, keeping credential keys the request did not send. */
async function replaceSecretData(
  deps: ServiceDeps,
  name: string,
  data: Record<string, string>,
  keepKeys: readonly string[],
): Promise<Secret> {
  const ref = { ...deps.store.ref('secrets', name), name };
  for (let attempt = 1; ; attempt++) {
    const current = await deps.kube.get<Secret>(ref);
    const old = current.data ?? {};
    const next: Record<string, string> = {};
    for (const [k, v] of Object.entries(data)) next[k] = Buffer.from(v, 'utf8').toString('base64');
    for (const k of keepKeys) if (next[k] === undefined && old[k] !== undefined) next[k] = old[k];
    const { stringData: _s, ...rest } = current;
    try {
      const written = await deps.kube.replace<Secret>(ref, { ...rest, data: next });
      deps.store.secrets.observe(written);
      return written;
    } catch (err) {
      if (!isConflict(err) || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}

function sameData(secret: Secret, data: Readonly<Record<string, string>>): boolean {
  const d = secret.data ?? {};
  const keys = new Set([...Object.keys(d), ...Object.keys(data)]);
  for (const k of keys) {
    const want = data[k];
    if ((want === undefined ? undefined : Buffer.from(want, 'utf8').toString('base64')) !== d[k])
      return false;
  }
  return true;
}

export const repositoriesService: ApiService = {
  name: 'repositories',
  register(routes, deps) {
    const states = new Map<string, { state: ConnectionState; at: number }>();

    const test = async (repo: RepositoryInit, secrets: readonly string[]): Promise<void> => {
      const rs = requireRepoServer(deps, 'test the repository');
      try {
        await rs.testRepository({ repo });
      } catch (err) {
        throw repoServerFailure('connect to repository', repo.repo ?? '', err, secrets);
      }
    };

    const connectionState = async (
      repo: ApiObject,
      key: string,
      force: boolean,
    ): Promise<ConnectionState> => {
      const now = deps.clock.now();
      const cached = states.get(key);
      if (!force && cached && now - cached.at < STATE_TTL_MS) return cached.state;
      const at = new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z');
      if (!deps.repoServer)
        return { status: 'Unknown', message: 'no repo server configured', attemptedAt: at };
      const full = repoServerRepository(deps.store, repo);
      let state: ConnectionState;
      try {
        await test(full, repositorySecrets(full));
        state = { status: 'Successful', message: '', attemptedAt: at };
      } catch (err) {
        state = { status: 'Failed', message: errorMessage(err), attemptedAt: at };
      }
      if (states.size > 10_000) states.clear();
      states.set(key, { state, at: now });
      return state;
    };

    const stateKey = (secret: Secret | undefined, url: string): string =>
      secret
        ? `${secret.metadata.name ?? ''}@${secret.metadata.resourceVersion ?? ''}`
        : `url:${url}`;

    const view = async (
      repo: ApiObject,
      secret: Secret | undefined,
      force: boolean,
    ): Promise<Record<string, unknown>> => {
      const out = sanitizeRepositoryForApi(withInheritedCredentials(deps.store, repo));
      out.connectionState = await connectionState(repo, stateKey(secret, urlOf(repo)), force);
      return out;
    };

    /** The repositories the caller may get, one page (REST and gRPC). */
    const listRepositories = async (
      ctx: RequestContext,
      query: QueryParams,
    ): Promise<{ metadata: ListMeta; items: Record<string, unknown>[] }> => {
      const only = query.get('repo');
      const force = query.bool('forceRefresh') === true;
      const visible = deps.store
        .secretsOfType('repository')
        .map((secret) => ({ secret, repo: repositoryFromSecret(secret) }))
        .filter(
          ({ repo }) =>
            (only === undefined || urlOf(repo) === only) &&
            ctx.can('repositories', 'get', repoRbacObject(urlOf(repo), projectOf(repo))),
        );
      const page = paginate(
        visible,
        ({ repo }) => `${urlOf(repo)}\u0000${projectOf(repo) ?? ''}`,
        query,
      );
      const items = await Promise.all(
        page.items.map(async ({ repo, secret }) =>
          force
            ? view(repo, secret, true)
            : {
                ...sanitizeRepositoryForApi(withInheritedCredentials(deps.store, repo)),
                connectionState: states.get(stateKey(secret, urlOf(repo)))?.state ?? {
                  status: 'Unknown',
                  message: '',
                  attemptedAt: '',
                },
              },
        ),
      );
      return { metadata: page.metadata, items };
    };

    /** One repository (REST and gRPC). */
    const getRepository = (
      ctx: RequestContext,
      url: string,
      project: string | undefined,
      force: boolean,
    ): Promise<Record<string, unknown>> => {
      const secret = findRepositorySecret(deps.store, url, project);
      const repo = secret
        ? repositoryFromSecret(secret)
        : { repo: url, type: 'git', ...(project ? { project } : {}) };
      ctx.enforce('repositories', 'get', repoRbacObject(urlOf(repo), projectOf(repo)));
      return view(repo, secret, force);
    };

    /** Creates a repository, or a credential template with `credsOnly` (REST and gRPC). */
    const createRepository = async (
      ctx: RequestContext,
      body: unknown,
      options: { readonly upsert: boolean; readonly credsOnly: boolean },
    ): Promise<Record<string, unknown>> => {
      if (options.credsOnly) return createRepoCreds(ctx, deps, body, options.upsert);
      const { data, url, project } = repositoryToSecretData(body);
      const object = repoRbacObject(url, project);
      ctx.enforce('repositories', 'create', object);
      const existing = findRepositorySecret(deps.store, url, project ?? '');
      const sameProject =
        existing && (repositoryFromSecret(existing).project ?? '') === (project ?? '');
      if (existing && sameProject) {
        if (sameData(existing, data))
          return sanitizeRepositoryForApi(repositoryFromSecret(existing));
        if (!options.upsert)
          throw new ApiError(
            'ERR_API_INVALID_ARGUMENT',
            `failed to create repository: ${redactText(url)} exists with a different spec; use upsert to replace it`,
          );
        ctx.enforce('repositories', 'update', object);
      }
      const candidate = repositoryFromSecret(
        credentialSecret('candidate', deps.namespace, 'repository', data),
      );
      if (deps.repoServer) {
        const full = repoServerRepository(deps.store, candidate);
        await test(full, repositorySecrets(full));
      }
      let written: Secret;
      if (existing && sameProject) {
        written = await replaceSecretData(deps, existing.metadata.name ?? '', data, []);
        secretEvent(
          ctx,
          deps,
          written,
          EventReasons.ResourceUpdated,
          `updated repository ${redactText(url)}`,
        );
      } else {
        try {
          written = await deps.kube.create<Secret>(
            deps.store.ref('secrets'),
            credentialSecret(repoSecretName(url, project), deps.namespace, 'repository', data),
          );
        } catch (err) {
          if (isAlreadyExists(err))
            throw new ApiError(
              'ERR_API_ALREADY_EXISTS',
              `failed to create repository: ${redactText(url)} already exists`,
            );
          throw err;
        }
        deps.store.secrets.observe(written);
        secretEvent(
          ctx,
          deps,
          written,
          EventReasons.ResourceCreated,
          `created repository ${redactText(url)}`,
        );
      }
      return sanitizeRepositoryForApi(repositoryFromSecret(written));
    };

    /** Deletes a repository (REST and gRPC). */
    const deleteRepository = async (
      ctx: RequestContext,
      url: string,
      project: string | undefined,
    ): Promise<void> => {
      const secret = findRepositorySecret(deps.store, url, project);
      const repo = secret
        ? repositoryFromSecret(secret)
        : { repo: url, ...(project ? { project } : {}) };
      ctx.enforce('repositories', 'delete', repoRbacObject(urlOf(repo), projectOf(repo)));
      if (!secret)
        throw new ApiError(
          'ERR_API_NOT_FOUND',
          `failed to delete repository: ${redactText(url)} does not exist`,
        );
      try {
        await deps.kube.delete({
          ...deps.store.ref('secrets', secret.metadata.name ?? ''),
          name: secret.metadata.name ?? '',
        });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      deps.store.secrets.observeDeleted(secret.metadata.name ?? '');
      secretEvent(
        ctx,
        deps,
        secret,
        EventReasons.ResourceDeleted,
        `deleted repository ${redactText(url)}`,
      );
    };

    routes.route({
      method: 'GET',
      path: '/api/v1/repositories',
      sensitive: true,
      handler: (ctx, req) => listRepositories(ctx, req.query),
    });

    routes.route({
      method: 'GET',
      path: '/api/v1/repositories/:repo',
      sensitive: true,
      handler: (ctx, req) =>
        getRepository(
          ctx,
          req.params.repo ?? '',
          req.query.get('appProject'),
          req.query.bool('forceRefresh') === true,
        ),
    });

    routes.route({
      method: 'POST',
      path: '/api/v1/repositories',
      sensitive: true,
      handler: (ctx, req) =>
        createRepository(ctx, req.body, {
          upsert: req.query.bool('upsert') === true,
          credsOnly: req.query.bool('credsOnly') === true,
        }),
    });

    routes.route({
      method: 'PUT',
      path: '/api/v1/repositories/:repo',
      sensitive: true,
      handler: async (ctx, req) => {
        const { data, url, project } = repositoryToSecretData(req.body);
        const pathUrl = req.params.repo ?? '';
        if (pathUrl !== '' && pathUrl !== url)
          throw new ApiError(
            'ERR_API_INVALID_ARGUMENT',
            'failed to update repository: the URL in the path and in the body differ',
          );
        const existing =
          findRepositorySecret(deps.store, url, project) ?? findRepositorySecret(deps.store, url);
        // both the stored and the new scope must allow the change (a project move is both)
        ctx.enforce('repositories', 'update', repoRbacObject(url, project));
        if (!existing)
          throw new ApiError(
            'ERR_API_NOT_FOUND',
            `failed to update repository: ${redactText(url)} does not exist`,
          );
        const old = repositoryFromSecret(existing);
        ctx.enforce('repositories', 'update', repoRbacObject(urlOf(old), projectOf(old)));
        const written = await replaceSecretData(
          deps,
          existing.metadata.name ?? '',
          data,
          REPO_CREDENTIAL_KEYS,
        );
        secretEvent(
          ctx,
          deps,
          written,
          EventReasons.ResourceUpdated,
          `updated repository ${redactText(url)}`,
        );
        return sanitizeRepositoryForApi(repositoryFromSecret(written));
      },
    });

    routes.route({
      method: 'DELETE',
      path: '/api/v1/repositories/:repo',
      handler: async (ctx, req) => {
        await deleteRepository(ctx, req.params.repo ?? '', req.query.get('appProject'));
        return {};
      },
    });

    const list: RepoRpc['list'] = unary(deps, async (ctx, req) =>
      toListFields(
        await listRepositories(
          ctx,
          new QueryParams(
            rpcQuery({
              repo: req.repo,
              forceRefresh: req.forceRefresh,
              limit: req.limit,
              continue: req.continue,
            }),
          ),
        ),
      ),
    );
    const create: RepoRpc['create'] = unary(deps, async (ctx, req) =>
      toStruct(
        await createRepository(ctx, req.repo ?? {}, {
          upsert: req.upsert,
          credsOnly: req.credsOnly,
        }),
      ),
    );
    const remove: RepoRpc['delete'] = unary(deps, async (ctx, req) => {
      await deleteRepository(ctx, req.repo, req.appProject !== '' ? req.appProject : undefined);
      return {};
    });
    // Argo CD still serves the deprecated method names (List, Create, Delete); so do we
    routes.rpc(RepositoryService, {
      // eslint-disable-next-line @typescript-eslint/no-deprecated -- implementing it, not calling it
      list,
      listRepositories: list,
      get: unary(deps, async (ctx, req) =>
        toStruct(
          await getRepository(
            ctx,
            req.repo,
            req.appProject !== '' ? req.appProject : undefined,
            req.forceRefresh,
          ),
        ),
      ),
      // eslint-disable-next-line @typescript-eslint/no-deprecated -- implementing it, not calling it
      create,
      createRepository: create,
      // eslint-disable-next-line @typescript-eslint/no-deprecated -- implementing it, not calling it
      delete: remove,
      deleteRepository: remove,
    });

    const resolve = (
      ctx: RequestContext,
      url: string,
      project: string | undefined,
    ): { repo: ApiObject; full: RepositoryInit } => {
      checkRepoUrl(url);
      const secret = findRepositorySecret(deps.store, url, project);
      const repo = secret
        ? repositoryFromSecret(secret)
        : { repo: url, type: 'git', ...(project ? { project } : {}) };
      ctx.enforce('repositories', 'get', repoRbacObject(urlOf(repo), projectOf(repo)));
      return { repo, full: repoServerRepository(deps.store, repo) };
    };

    routes.route({
      method: 'GET',
      path: '/api/v1/repositories/:repo/refs',
      handler: async (ctx, req) => {
        const url = req.params.repo ?? '';
        const { full } = resolve(ctx, url, req.query.get('appProject'));
        try {
          const refs = await requireRepoServer(deps, 'list refs').listRefs({ repo: full });
          return { branches: refs.branches, tags: refs.tags };
        } catch (err) {
          if (err instanceof ApiError) throw err;
          throw repoServerFailure('list the refs of', url, err, repositorySecrets(full));
        }
      },
    });

    routes.route({
      method: 'GET',
      path: '/api/v1/repositories/:repo/apps',
      handler: async (ctx, req) => {
        const url = req.params.repo ?? '';
        const { full } = resolve(ctx, url, req.query.get('appProject'));
        try {
          const list = await requireRepoServer(deps, 'list apps').listApps({
            repo: full,
            revision: req.query.get('revision') ?? 'HEAD',
          });
          const items = Object.entries(list.apps)
            .map(([path, type]) => ({ path, type }))
            .sort((a, b) => a.path.localeCompare(b.path));
          return { items };
        } catch (err) {
          if (err instanceof ApiError) throw err;
          throw repoServerFailure('list the apps of', url, err, repositorySecrets(full));
        }
      },
    });

    routes.route({
      method: 'POST',
      path: '/api/v1/repositories/:repo/appdetails',
      handler: async (ctx, req) => {
        const body: unknown = req.body ?? {};
        if (!isRecord(body))
          throw new ApiError(
            'ERR_API_INVALID_ARGUMENT',
            'failed to get app details: expected a JSON object',
          );
        const source = isRecord(body.source) ? body.source : {};
        const url =
          typeof source.repoURL === 'string' && source.repoURL !== ''
            ? source.repoURL
            : (req.params.repo ?? '');
        const appProject = typeof body.appProject === 'string' ? body.appProject : '';
        const appName = typeof body.appName === 'string' ? body.appName : '';
        const { full } = resolve(ctx, url, appProject || undefined);
        await authorizeAppDetails(ctx, deps, url, appProject, appName);
        const str = (v: unknown): string => (typeof v === 'string' ? v : '');
        try {
          const details = await requireRepoServer(deps, 'get app details').getAppDetails({
            repo: full,
            source: {
              repoUrl: url,
              path: str(source.path),
              targetRevision: str(source.targetRevision),
              chart: str(source.chart),
              ref: str(source.ref),
              name: str(source.name),
            },
            appName,
          });
          const out: Record<string, unknown> = { type: details.type };
          if (details.directory) out.directory = {};
          if (details.kustomize) out.kustomize = { images: details.kustomize.images };
          if (details.helm)
            out.helm = {
              name: details.helm.name,
              valueFiles: details.helm.valueFiles,
              parameters: details.helm.parameters.map((p) => ({
                name: p.name,
                value: p.value,
                forceString: p.forceString,
              })),
            };
          return out;
        } catch (err) {
          if (err instanceof ApiError) throw err;
          throw repoServerFailure('get app details of', url, err, repositorySecrets(full));
        }
      },
    });

    routes.route({
      method: 'POST',
      path: '/api/v1/repositories/:repo/validate',
      sensitive: true,
      handler: async (ctx, req) => {
        const fromBody = isRecord(req.body) ? req.body : {};
        const q = (k: string): unknown => fromBody[k] ?? req.query.get(k);
        const url =
          typeof q('repo') === 'string' && q('repo') !== ''
            ? String(q('repo'))
            : (req.params.repo ?? '');
        const candidate: ApiObject = { repo: url };
        for (const k of [
          'username',
          'password',
          'sshPrivateKey',
          'tlsClientCertData',
          'tlsClientCertKey',
          'type',
          'name',
          'project',
          'bearerToken',
          'proxy',
          'noProxy',
        ]) {
          const v = q(k);
          if (typeof v === 'string' && v !== '') candidate[k] = v;
        }
        for (const k of ['insecure', 'enableLfs', 'enableOci', 'forceHttpBasicAuth']) {
          const v = q(k);
          if (v === true || v === 'true') candidate[k === 'enableOci' ? 'enableOCI' : k] = true;
        }
        const { data, project } = repositoryToSecretData(candidate);
        ctx.enforce('repositories', 'create', repoRbacObject(url, project));
        const full = repoServerRepository(
          deps.store,
          repositoryFromSecret(credentialSecret('candidate', deps.namespace, 'repository', data)),
        );
        await test(full, repositorySecrets(full));
        return {};
      },
    });

    // credential templates
    routes.route({
      method: 'GET',
      path: '/api/v1/repocreds',
      sensitive: true,
      handler: (ctx, req) => {
        const only = req.query.get('url');
        const items = deps.store
          .secretsOfType('repo-creds')
          .map(repoCredsFromSecret)
          .filter(
            (c) =>
              (only === undefined || c.url === only) &&
              ctx.can('repositories', 'get', typeof c.url === 'string' ? c.url : ''),
          )
          .map(sanitizeRepoCredsForApi);
        return paginate(items, (c) => (typeof c.url === 'string' ? c.url : ''), req.query);
      },
    });
    routes.route({
      method: 'POST',
      path: '/api/v1/repocreds',
      sensitive: true,
      handler: (ctx, req) =>
        createRepoCreds(ctx, deps, req.body, req.query.bool('upsert') === true),
    });
    routes.route({
      method: 'PUT',
      path: '/api/v1/repocreds/:url',
      sensitive: true,
      handler: async (ctx, req) => {
        const { data, url } = repoCredsToSecretData(req.body);
        if ((req.params.url ?? '') !== '' && req.params.url !== url)
          throw new ApiError(
            'ERR_API_INVALID_ARGUMENT',
            'failed to update repository credentials: the URL in the path and in the body differ',
          );
        ctx.enforce('repositories', 'update', url);
        const existing = findRepoCredsSecret(deps.store, url);
        if (!existing)
          throw new ApiError(
            'ERR_API_NOT_FOUND',
            `failed to update repository credentials: ${redactText(url)} does not exist`,
          );
        const written = await replaceSecretData(
          deps,
          existing.metadata.name ?? '',
          data,
          REPO_CREDENTIAL_KEYS,
        );
        secretEvent(
          ctx,
          deps,
          written,
          EventReasons.ResourceUpdated,
          `updated repository credentials ${redactText(url)}`,
        );
        return sanitizeRepoCredsForApi(repoCredsFromSecret(written));
      },
    });
    routes.route({
      method: 'DELETE',
      path: '/api/v1/repocreds/:url',
      handler: async (ctx, req) => {
        const url = req.params.url ?? '';
        ctx.enforce('repositories', 'delete', url);
        const secret = findRepoCredsSecret(deps.store, url);
        if (!secret)
          throw new ApiError(
            'ERR_API_NOT_FOUND',
            `failed to delete repository credentials: ${redactText(url)} does not exist`,
          );
        try {
          await deps.kube.delete({
            ...deps.store.ref('secrets', secret.metadata.name ?? ''),
            name: secret.metadata.name ?? '',
          });
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        deps.store.secrets.observeDeleted(secret.metadata.name ?? '');
        secretEvent(
          ctx,
          deps,
          secret,
          EventReasons.ResourceDeleted,
          `deleted repository credentials ${redactText(url)}`,
        );
        return {};
      },
    });
  },
};

async function createRepoCreds(
  ctx: RequestContext,
  deps: ServiceDeps,
  body: unknown,
  upsert: boolean,
): Promise<Record<string, unknown>> {
  const { data, url } = repoCredsToSecretData(body);
  ctx.enforce('repositories', 'create', url);
  const existing = findRepoCredsSecret(deps.store, url);
  if (existing) {
    if (sameData(existing, data)) return sanitizeRepoCredsForApi(repoCredsFromSecret(existing));
    if (!upsert)
      throw new ApiError(
        'ERR_API_INVALID_ARGUMENT',
        `failed to create repository credentials: ${redactText(url)} exists with a different spec; use upsert to replace it`,
      );
    ctx.enforce('repositories', 'update', url);
    const written = await replaceSecretData(deps, existing.metadata.name ?? '', data, []);
    secretEvent(
      ctx,
      deps,
      written,
      EventReasons.ResourceUpdated,
      `updated repository credentials ${redactText(url)}`,
    );
    return sanitizeRepoCredsForApi(repoCredsFromSecret(written));
  }
  let written: Secret;
  try {
    written = await deps.kube.create<Secret>(
      deps.store.ref('secrets'),
      credentialSecret(credsSecretName(url), deps.namespace, 'repo-creds', data),
    );
  } catch (err) {
    if (isAlreadyExists(err))
      throw new ApiError(
        'ERR_API_ALREADY_EXISTS',
        `failed to create repository credentials: ${redactText(url)} already exists`,
      );
    throw err;
  }
  deps.store.secrets.observe(written);
  secretEvent(
    ctx,
    deps,
    written,
    EventReasons.ResourceCreated,
    `created repository credentials ${redactText(url)}`,
  );
  return sanitizeRepoCredsForApi(repoCredsFromSecret(written));
}

/**
 * CVE-2022-24730: app details render manifests from any path of a repository, so reading a
 * repository is not enough. Allowed when the caller may create the named application, or may get
 * an existing application of that name that already uses this repository.
 */
async function authorizeAppDetails(
  ctx: RequestContext,
  deps: ServiceDeps,
  url: string,
  appProject: string,
  appName: string,
): Promise<void> {
  const name = appName === '' ? '*' : appName;
  const project = appProject === '' ? 'default' : appProject;
  if (ctx.can('applications', 'create', `${project}/${name}`)) return;
  if (appName !== '') {
    try {
      const app = await deps.kube.get<{
        spec?: {
          project?: string;
          source?: { repoURL?: string };
          sources?: { repoURL?: string }[];
        };
      }>({
        group: 'argoproj.io',
        version: 'v1alpha1',
        resource: 'applications',
        namespace: deps.namespace,
        name: appName,
      });
      const sources = [app.spec?.source, ...(app.spec?.sources ?? [])];
      const appProj = app.spec?.project ?? 'default';
      if (
        sources.some((s) => s?.repoURL === url) &&
        ctx.can('applications', 'get', `${appProj}/${appName}`)
      )
        return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  ctx.enforce('applications', 'create', `${project}/${name}`);
}
