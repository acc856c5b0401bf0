/**
 * `project.ProjectService` (RBAC resource `projects`, object = the project name):
 *
 * | Endpoint | RBAC |
 * |---|---|
 * | `GET /api/v1/projects` (paginated) | `get` per project (others are left out) |
 * | `POST /api/v1/projects` `{project, upsert}` | `create` (and `update` when upserting a different spec) |
 * | `GET /api/v1/projects/{name}` | `get` |
 * | `GET /api/v1/projects/{name}/detailed` | `get`; repositories and clusters sanitised (CVE-2025-55190) |
 * | `GET /api/v1/projects/{name}/globalprojects` | `get` |
 * | `GET /api/v1/projects/{name}/events` | `get` |
 * | `GET /api/v1/projects/{name}/syncwindows` | `get` |
 * | `GET /api/v1/projects/{name}/links` | `get` |
 * | `PUT /api/v1/projects/{project.metadata.name}` `{project}` | `update` |
 * | `DELETE /api/v1/projects/{name}` | `delete`; refused for `default` and while applications use it |
 * | `POST /api/v1/projects/{p}/roles/{r}/token` `{expiresIn, id}` | `update` |
 * | `DELETE /api/v1/projects/{p}/roles/{r}/token/{iat}?id=<jti>` | `update` |
 *
 * Changes are audited (Kubernetes Events `ResourceCreated|Updated|Deleted` with the actor).
 *
 * The same handlers serve `project.ProjectService` (List, Get, Create, Update, Delete, CreateToken,
 * DeleteToken) over gRPC, gRPC-Web and Connect, with the AppProject as a google.protobuf.Struct.
 */
import { Type } from 'typebox';
import { parse as parseYaml } from 'yaml';
import {
  API_GROUP_VERSION,
  DEFAULT_PROJECT,
  Kinds,
  validate,
  type AppProject,
  type KubeObject,
} from '../../apis/index.js';
import { withProjectRoleToken, withoutProjectRoleToken } from '../../auth/index.js';
import { EventReasons, isAlreadyExists, isConflict, isNotFound } from '../../kube/index.js';
import { isRecord } from '../../lib/index.js';
import { int64 } from '../account/routes.js';
import { clusterFromSecret } from '../clusters/store.js';
import { int64Field, rpcQuery, toListFields, toStruct, unary } from '../connect.js';
import type { RequestContext } from '../context.js';
import { ApiError } from '../errors.js';
import { ProjectService } from '../gen/argocd/server/project/project_pb.js';
import { matchesLabelSelector } from '../label-selector.js';
import { paginate, type Page } from '../pagination.js';
import { sanitizeClusterForApi, sanitizeRepositoryForApi } from '../redact.js';
import { repositoryFromSecret } from '../repositories/store.js';
import { QueryParams, type ApiService, type ServiceDeps } from '../service.js';
import { projectForCreate, projectForUpdate, sameSpec, validateProject } from './validate.js';

const CreateSchema = Type.Object({
  project: Type.Unknown(),
  upsert: Type.Optional(Type.Boolean()),
});
const UpdateSchema = Type.Object({ project: Type.Unknown() });
const TokenSchema = Type.Object({
  expiresIn: Type.Optional(Type.Union([Type.Integer(), Type.String({ pattern: '^-?\\d+$' })])),
  id: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  project: Type.Optional(Type.String()),
  role: Type.Optional(Type.String()),
});
const MAX_ATTEMPTS = 5;

type StoredProject = AppProject & { apiVersion: string; kind: string };

function involved(
  p: AppProject,
  namespace: string,
): { apiVersion: string; kind: string; name: string; namespace: string; uid?: string } {
  return {
    apiVersion: API_GROUP_VERSION,
    kind: Kinds.AppProject,
    name: p.metadata.name ?? '',
    namespace,
    ...(p.metadata.uid !== undefined ? { uid: p.metadata.uid } : {}),
  };
}

function projectOr404(deps: ServiceDeps, name: string): AppProject {
  const p = deps.store.project(name);
  if (!p)
    throw new ApiError(
      'ERR_API_NOT_FOUND',
      `failed to get project: project "${name}" does not exist`,
    );
  return p;
}

function asStored(p: AppProject): StoredProject {
  return { apiVersion: API_GROUP_VERSION, kind: Kinds.AppProject, ...p };
}

/** Read-modify-write of a project with its resourceVersion as precondition, retried on conflicts. */
async function modifyProject(
  deps: ServiceDeps,
  name: string,
  change: (current: AppProject) => AppProject,
): Promise<AppProject> {
  const ref = { ...deps.store.ref('appprojects', name), name };
  for (let attempt = 1; ; attempt++) {
    let current: StoredProject;
    try {
      current = await deps.kube.get<StoredProject>(ref);
    } catch (err) {
      if (isNotFound(err))
        throw new ApiError(
          'ERR_API_NOT_FOUND',
          `failed to update project: project "${name}" does not exist`,
        );
      throw err;
    }
    const next = change(current);
    try {
      const written = await deps.kube.replace<StoredProject>(ref, asStored(next));
      deps.store.projectCache.observe(written);
      return written;
    } catch (err) {
      if (!isConflict(err) || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}

/** Projects that `globalProjects` of argocd-cm makes global for `project`. */
export function globalProjectsOf(deps: ServiceDeps, project: AppProject): AppProject[] {
  const raw = deps.store.argocdCm()?.data?.globalProjects;
  if (raw === undefined || raw.trim() === '') return [];
  let list: unknown;
  try {
    list = parseYaml(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  const out: AppProject[] = [];
  for (const gp of list) {
    if (!isRecord(gp) || typeof gp.projectName !== 'string') continue;
    if (gp.projectName === project.metadata.name) continue;
    if (!matchesLabelSelector(gp.labelSelector, project.metadata.labels)) continue;
    const found = deps.store.project(gp.projectName);
    if (found && !out.includes(found)) out.push(found);
  }
  return out;
}

/** Deep links of `project.links` in argocd-cm, for one project: only http(s) URLs (CVE-2022-31035). */
function projectLinks(deps: ServiceDeps, project: AppProject): { items: Record<string, string>[] } {
  const raw = deps.store.argocdCm()?.data?.['project.links'];
  if (raw === undefined || raw.trim() === '') return { items: [] };
  let list: unknown;
  try {
    list = parseYaml(raw);
  } catch {
    return { items: [] };
  }
  if (!Array.isArray(list)) return { items: [] };
  const fill = (t: string): string =>
    t
      .replace(
        /\{\{\s*\.project\.metadata\.name\s*\}\}/g,
        encodeURIComponent(project.metadata.name ?? ''),
      )
      .replace(
        /\{\{\s*\.project\.metadata\.namespace\s*\}\}/g,
        encodeURIComponent(project.metadata.namespace ?? ''),
      );
  const items: Record<string, string>[] = [];
  for (const l of list) {
    // conditional links need an expression engine this server does not have: left out
    if (
      !isRecord(l) ||
      typeof l.url !== 'string' ||
      typeof l.title !== 'string' ||
      l.if !== undefined
    )
      continue;
    const url = fill(l.url);
    if (!/^https?:\/\//i.test(url) || url.includes('{{')) continue;
    const item: Record<string, string> = { title: l.title, url };
    if (typeof l.description === 'string') item.description = l.description;
    if (typeof l['icon.class'] === 'string') item.iconClass = l['icon.class'];
    items.push(item);
  }
  return { items };
}

async function applicationsUsing(deps: ServiceDeps, name: string): Promise<string[]> {
  try {
    const list = await deps.kube.list<KubeObject & { spec?: { project?: string } }>({
      group: 'argoproj.io',
      version: 'v1alpha1',
      resource: 'applications',
      namespace: deps.namespace,
    });
    return list.items
      .filter((a) => (a.spec?.project ?? DEFAULT_PROJECT) === name)
      .map((a) => a.metadata.name ?? '');
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

/** The detailed project (repositories and clusters without credentials). */
export function detailedProject(deps: ServiceDeps, name: string): Record<string, unknown> {
  const project = projectOr404(deps, name);
  const repositories = deps.store
    .secretsOfType('repository')
    .map(repositoryFromSecret)
    .filter((r) => r.project === name)
    .map(sanitizeRepositoryForApi);
  const clusters = deps.store
    .secretsOfType('cluster')
    .map(clusterFromSecret)
    .filter((c) => c.project === name)
    .map(sanitizeClusterForApi);
  return {
    project: asStored(project),
    globalProjects: globalProjectsOf(deps, project).map(asStored),
    repositories,
    clusters,
  };
}

/** The projects the caller may get, one page (shared by REST and gRPC). */
export function listProjects(
  deps: ServiceDeps,
  ctx: RequestContext,
  query: QueryParams,
): Page<StoredProject> {
  const only = query.get('name');
  const items = deps.store
    .projects()
    .filter(
      (p) =>
        (only === undefined || p.metadata.name === only) &&
        ctx.can('projects', 'get', p.metadata.name ?? ''),
    )
    .map(asStored);
  return paginate(items, (p) => p.metadata.name ?? '', query);
}

/** One project (shared by REST and gRPC). */
export function getProject(deps: ServiceDeps, ctx: RequestContext, name: string): StoredProject {
  ctx.enforce('projects', 'get', name);
  return asStored(projectOr404(deps, name));
}

/** Creates a project, or replaces it with `upsert` (shared by REST and gRPC). */
export async function createProject(
  deps: ServiceDeps,
  ctx: RequestContext,
  body: unknown,
): Promise<StoredProject> {
  const ns = deps.namespace;
  const q = validate(CreateSchema, body ?? {}, 'project create request');
  const project = validateProject(q.project);
  const name = project.metadata.name ?? '';
  ctx.enforce('projects', 'create', name);
  try {
    const created = await deps.kube.create<StoredProject>(
      deps.store.ref('appprojects'),
      projectForCreate(project, ns),
    );
    deps.store.projectCache.observe(created);
    deps.audit.record(ctx, {
      involvedObject: involved(created, ns),
      reason: EventReasons.ResourceCreated,
      action: `created project ${name}`,
    });
    return created;
  } catch (err) {
    if (!isAlreadyExists(err)) throw err;
  }
  const existing = projectOr404(deps, name);
  if (sameSpec(existing, project)) return asStored(existing);
  if (q.upsert !== true)
    throw new ApiError(
      'ERR_API_INVALID_ARGUMENT',
      `failed to create project: project "${name}" already exists with a different spec; use upsert to replace it`,
    );
  ctx.enforce('projects', 'update', name);
  const updated = await modifyProject(deps, name, (current) =>
    projectForUpdate(
      {
        ...project,
        metadata: {
          ...project.metadata,
          resourceVersion: current.metadata.resourceVersion ?? '',
        },
      },
      current,
    ),
  );
  deps.audit.record(ctx, {
    involvedObject: involved(updated, ns),
    reason: EventReasons.ResourceUpdated,
    action: `updated project ${name}`,
  });
  return asStored(updated);
}

/**
 * Replaces a project's spec (shared by REST and gRPC); `name` is the path's name (REST) or
 * undefined (gRPC: the body's `metadata.name`).
 */
export async function updateProject(
  deps: ServiceDeps,
  ctx: RequestContext,
  name: string | undefined,
  body: unknown,
): Promise<StoredProject> {
  const q = validate(UpdateSchema, body ?? {}, 'project update request');
  const project = validateProject(q.project);
  const target = name ?? project.metadata.name ?? '';
  if (project.metadata.name !== target)
    throw new ApiError(
      'ERR_API_INVALID_ARGUMENT',
      `failed to update project: the body names project "${project.metadata.name ?? ''}", the path "${target}"`,
    );
  ctx.enforce('projects', 'update', target);
  const given = project.metadata.resourceVersion;
  const updated = await modifyProject(deps, target, (current) => {
    if (given !== undefined && given !== '' && given !== current.metadata.resourceVersion)
      throw new ApiError(
        'ERR_API_CONFLICT',
        `failed to update project: project "${target}" was changed meanwhile (resourceVersion ${given} is not current); read it again and retry`,
      );
    return projectForUpdate(
      {
        ...project,
        metadata: {
          ...project.metadata,
          resourceVersion: current.metadata.resourceVersion ?? '',
        },
      },
      current,
    );
  });
  deps.audit.record(ctx, {
    involvedObject: involved(updated, deps.namespace),
    reason: EventReasons.ResourceUpdated,
    action: `updated project ${target}`,
  });
  return asStored(updated);
}

/** Deletes a project (shared by REST and gRPC). */
export async function deleteProject(
  deps: ServiceDeps,
  ctx: RequestContext,
  name: string,
): Promise<void> {
  ctx.enforce('projects', 'delete', name);
  if (name === DEFAULT_PROJECT)
    throw new ApiError(
      'ERR_API_INVALID_ARGUMENT',
      `failed to delete project: name "${DEFAULT_PROJECT}" is reserved and cannot be deleted`,
    );
  const project = projectOr404(deps, name);
  const apps = await applicationsUsing(deps, name);
  if (apps.length > 0)
    throw new ApiError(
      'ERR_API_FAILED_PRECONDITION',
      `failed to delete project: project "${name}" is referenced by ${apps.length} application(s); delete or move them first`,
    );
  try {
    await deps.kube.delete({ ...deps.store.ref('appprojects', name), name });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  deps.store.projectCache.observeDeleted(name);
  deps.audit.record(ctx, {
    involvedObject: involved(project, deps.namespace),
    reason: EventReasons.ResourceDeleted,
    action: `deleted project ${name}`,
  });
}

/** Issues a project role token (shared by REST and gRPC). */
export async function createProjectToken(
  deps: ServiceDeps,
  ctx: RequestContext,
  name: string,
  role: string,
  body: unknown,
): Promise<{ token: string }> {
  const q = validate(TokenSchema, body ?? {}, 'project token request');
  ctx.enforce('projects', 'update', name);
  projectOr404(deps, name);
  const expiresIn = int64(q.expiresIn, 'expiresIn');
  if (expiresIn !== undefined && expiresIn < 0)
    throw new ApiError(
      'ERR_API_INVALID_ARGUMENT',
      'failed to create project token: expiresIn must not be negative',
    );
  const issued = await deps.sessions.issueProjectToken(name, role, {
    ...(expiresIn !== undefined ? { expiresInMs: expiresIn * 1000 } : {}),
    ...(q.id !== undefined && q.id !== '' ? { id: q.id } : {}),
  });
  const updated = await modifyProject(deps, name, (current) =>
    withProjectRoleToken(current, role, issued.record),
  );
  deps.audit.record(ctx, {
    involvedObject: involved(updated, deps.namespace),
    reason: EventReasons.ResourceUpdated,
    action: `created a token for role ${role} of project ${name}`,
  });
  return { token: issued.token };
}

/** Revokes a project role token by `iat` and/or `id` (shared by REST and gRPC). */
export async function deleteProjectToken(
  deps: ServiceDeps,
  ctx: RequestContext,
  name: string,
  role: string,
  which: { readonly iat?: number | undefined; readonly id?: string | undefined },
): Promise<void> {
  ctx.enforce('projects', 'update', name);
  projectOr404(deps, name);
  const { iat, id } = which;
  const updated = await modifyProject(deps, name, (current) => {
    const r = withoutProjectRoleToken(current, role, {
      ...(id !== undefined ? { id } : {}),
      ...(iat !== undefined ? { iat } : {}),
    });
    if (!r.removed)
      throw new ApiError(
        'ERR_API_NOT_FOUND',
        `failed to delete project token: role "${role}" of project "${name}" has no such token`,
      );
    return r.project;
  });
  deps.audit.record(ctx, {
    involvedObject: involved(updated, deps.namespace),
    reason: EventReasons.ResourceUpdated,
    action: `deleted a token of role ${role} of project ${name}`,
  });
}

export const projectsService: ApiService = {
  name: 'projects',
  register(routes, deps) {
    const ns = deps.namespace;

    routes.route({
      method: 'GET',
      path: '/api/v1/projects',
      handler: (ctx, req) => listProjects(deps, ctx, req.query),
    });

    routes.route({
      method: 'POST',
      path: '/api/v1/projects',
      handler: (ctx, req) => createProject(deps, ctx, req.body),
    });

    routes.route({
      method: 'GET',
      path: '/api/v1/projects/:name',
      handler: (ctx, req) => getProject(deps, ctx, req.params.name ?? ''),
    });

    routes.route({
      method: 'GET',
      path: '/api/v1/projects/:name/detailed',
      sensitive: true,
      handler: (ctx, req) => {
        const name = req.params.name ?? '';
        ctx.enforce('projects', 'get', name);
        return detailedProject(deps, name);
      },
    });

    routes.route({
      method: 'GET',
      path: '/api/v1/projects/:name/globalprojects',
      handler: (ctx, req) => {
        const name = req.params.name ?? '';
        ctx.enforce('projects', 'get', name);
        return { items: globalProjectsOf(deps, projectOr404(deps, name)).map(asStored) };
      },
    });

    routes.route({
      method: 'GET',
      path: '/api/v1/projects/:name/syncwindows',
      handler: (ctx, req) => {
        const name = req.params.name ?? '';
        ctx.enforce('projects', 'get', name);
        return { windows: projectOr404(deps, name).spec.syncWindows ?? [] };
      },
    });

    routes.route({
      method: 'GET',
      path: '/api/v1/projects/:name/links',
      handler: (ctx, req) => {
        const name = req.params.name ?? '';
        ctx.enforce('projects', 'get', name);
        return projectLinks(deps, projectOr404(deps, name));
      },
    });

    routes.route({
      method: 'GET',
      path: '/api/v1/projects/:name/events',
      handler: async (ctx, req) => {
        const name = req.params.name ?? '';
        ctx.enforce('projects', 'get', name);
        const project = projectOr404(deps, name);
        const selector = [
          `involvedObject.name=${name}`,
          `involvedObject.kind=${Kinds.AppProject}`,
          ...(project.metadata.uid ? [`involvedObject.uid=${project.metadata.uid}`] : []),
        ].join(',');
        const list = await deps.kube.list(
          { group: '', version: 'v1', resource: 'events', namespace: ns },
          { fieldSelector: selector },
        );
        return {
          metadata: { resourceVersion: list.metadata.resourceVersion ?? '' },
          items: list.items,
        };
      },
    });

    routes.route({
      method: 'PUT',
      path: '/api/v1/projects/:name',
      handler: (ctx, req) => updateProject(deps, ctx, req.params.name ?? '', req.body),
    });

    routes.route({
      method: 'DELETE',
      path: '/api/v1/projects/:name',
      handler: async (ctx, req) => {
        await deleteProject(deps, ctx, req.params.name ?? '');
        return {};
      },
    });

    routes.route({
      method: 'POST',
      path: '/api/v1/projects/:project/roles/:role/token',
      sensitive: true,
      handler: (ctx, req) =>
        createProjectToken(deps, ctx, req.params.project ?? '', req.params.role ?? '', req.body),
    });

    routes.route({
      method: 'DELETE',
      path: '/api/v1/projects/:project/roles/:role/token/:iat',
      handler: async (ctx, req) => {
        await deleteProjectToken(deps, ctx, req.params.project ?? '', req.params.role ?? '', {
          iat: int64(req.params.iat, 'iat'),
          id: req.query.get('id'),
        });
        return {};
      },
    });

    routes.rpc(ProjectService, {
      createToken: unary(deps, (ctx, req) =>
        createProjectToken(deps, ctx, req.project, req.role, {
          expiresIn: int64Field(req.expiresIn, 'expiresIn'),
          id: req.id,
          description: req.description,
        }),
      ),
      deleteToken: unary(deps, async (ctx, req) => {
        await deleteProjectToken(deps, ctx, req.project, req.role, {
          iat: req.iat !== 0n ? int64Field(req.iat, 'iat') : undefined,
          id: req.id !== '' ? req.id : undefined,
        });
        return {};
      }),
      create: unary(deps, async (ctx, req) =>
        toStruct(await createProject(deps, ctx, { project: req.project, upsert: req.upsert })),
      ),
      list: unary(deps, (ctx, req) =>
        toListFields(
          listProjects(
            deps,
            ctx,
            new QueryParams(rpcQuery({ name: req.name, limit: req.limit, continue: req.continue })),
          ),
        ),
      ),
      get: unary(deps, (ctx, req) => toStruct(getProject(deps, ctx, req.name))),
      update: unary(deps, async (ctx, req) =>
        toStruct(await updateProject(deps, ctx, undefined, { project: req.project })),
      ),
      delete: unary(deps, async (ctx, req) => {
        await deleteProject(deps, ctx, req.name);
        return {};
      }),
    });
  },
};
