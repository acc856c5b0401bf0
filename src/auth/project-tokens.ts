/**
 * Project role tokens as an AppProject records them: `status.jwtTokensByRole[<role>].items`, with
 * the legacy `spec.roles[].jwtTokens` kept in step (Argo CD reads the status for tokens with an id
 * and the spec for old tokens without one). A token is valid only while its entry exists, so
 * deleting the entry (or the role, or the project) revokes it at once.
 *
 * These pure functions give the API server the read (`projectTokenLookupFrom`) and the two writes
 * (`withProjectRoleToken`, `withoutProjectRoleToken`); it stores the returned object.
 */
import type { AppProject, JwtToken, ProjectRole } from '../apis/index.js';
import { AuthError } from './errors.js';
import type { Awaitable, ProjectRoleTokens, ProjectTokenLookup } from './ports.js';

/**
 * The tokens of `role` in `project`, or undefined when the role does not exist. Reads the status
 * when it has an entry for the role, else the legacy spec list.
 */
export function projectRoleTokens(
  project: AppProject,
  role: string,
): ProjectRoleTokens | undefined {
  const specRole = project.spec.roles?.find((r) => r.name === role);
  if (!specRole) return undefined;
  const byRole = project.status?.jwtTokensByRole;
  if (byRole && Object.hasOwn(byRole, role)) return { tokens: byRole[role]?.items ?? [] };
  return { tokens: specRole.jwtTokens ?? [] };
}

/**
 * A ProjectTokenLookup over any source of AppProjects (the server's watch cache).
 * @example
 * const lookup = projectTokenLookupFrom((name) => projectCache.get(namespace, name));
 */
export function projectTokenLookupFrom(
  getProject: (name: string) => Awaitable<AppProject | undefined>,
): ProjectTokenLookup {
  return {
    getRoleTokens(project: string, role: string): Awaitable<ProjectRoleTokens | undefined> {
      const found = getProject(project);
      if (found instanceof Promise)
        return found.then((p) => (p ? projectRoleTokens(p, role) : undefined));
      return found ? projectRoleTokens(found, role) : undefined;
    },
  };
}

function roleIndex(project: AppProject, role: string, verb: string): number {
  const i = project.spec.roles?.findIndex((r) => r.name === role) ?? -1;
  if (i < 0) {
    throw new AuthError(
      'ERR_AUTH_INVALID_ARGUMENT',
      `failed to ${verb} project token: project "${project.metadata.name ?? ''}" has no role "${role}"`,
    );
  }
  return i;
}

function tokenId(t: JwtToken): string {
  return t.id !== undefined && t.id !== '' ? t.id : String(t.iat);
}

function recordOf(t: JwtToken): JwtToken {
  return t.exp !== undefined && t.exp > 0
    ? { iat: t.iat, exp: t.exp, id: tokenId(t) }
    : { iat: t.iat, id: tokenId(t) };
}

/**
 * Returns a copy of `project` with the token recorded for `role` in the status and in the legacy
 * spec list. Throws ERR_AUTH_INVALID_ARGUMENT for an unknown role, ERR_AUTH_TOKEN_EXISTS for a
 * taken id.
 * @example
 * const issued = await sessions.issueProjectToken('team-a', 'ci', { expiresInMs: 86_400_000 });
 * await kube.replace(ref, withProjectRoleToken(project, 'ci', issued.record));
 */
export function withProjectRoleToken(
  project: AppProject,
  role: string,
  record: JwtToken,
): AppProject {
  const i = roleIndex(project, role, 'record');
  const entry = recordOf(record);
  const current = projectRoleTokens(project, role)?.tokens ?? [];
  if (current.some((t) => tokenId(t) === entry.id)) {
    throw new AuthError(
      'ERR_AUTH_TOKEN_EXISTS',
      `failed to record project token: role "${role}" already has a token with id "${entry.id ?? ''}"`,
    );
  }
  const roles: ProjectRole[] = [...(project.spec.roles ?? [])];
  const specRole = roles[i];
  if (!specRole) throw new TypeError('role index out of range');
  roles[i] = { ...specRole, jwtTokens: [...(specRole.jwtTokens ?? []).map(recordOf), entry] };
  return {
    ...project,
    spec: { ...project.spec, roles },
    status: {
      ...project.status,
      jwtTokensByRole: {
        ...project.status?.jwtTokensByRole,
        [role]: { items: [...current.map(recordOf), entry] },
      },
    },
  };
}

/**
 * Returns a copy of `project` without the token of `role` whose id is `match.id` (or, for old
 * tokens without one, whose `iat` is `match.iat`), from the status and the spec, plus whether one
 * was found. This is how a project token is revoked.
 */
export function withoutProjectRoleToken(
  project: AppProject,
  role: string,
  match: { readonly id?: string; readonly iat?: number },
): { project: AppProject; removed: boolean } {
  const i = roleIndex(project, role, 'delete');
  if ((match.id === undefined || match.id === '') && match.iat === undefined)
    throw new AuthError(
      'ERR_AUTH_INVALID_ARGUMENT',
      'failed to delete project token: give its id or iat',
    );
  const hit = (t: JwtToken): boolean =>
    match.id !== undefined && match.id !== '' ? tokenId(t) === match.id : t.iat === match.iat;
  const roles: ProjectRole[] = [...(project.spec.roles ?? [])];
  const specRole = roles[i];
  if (!specRole) throw new TypeError('role index out of range');
  const specTokens = specRole.jwtTokens ?? [];
  const statusTokens = project.status?.jwtTokensByRole?.[role]?.items ?? [];
  const removed = specTokens.some(hit) || statusTokens.some(hit);
  roles[i] = { ...specRole, jwtTokens: specTokens.filter((t) => !hit(t)) };
  const byRole = { ...project.status?.jwtTokensByRole };
  if (Object.hasOwn(byRole, role)) byRole[role] = { items: statusTokens.filter((t) => !hit(t)) };
  return {
    project: {
      ...project,
      spec: { ...project.spec, roles },
      status: { ...project.status, jwtTokensByRole: byRole },
    },
    removed,
  };
}
