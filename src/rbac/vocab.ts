/**
 * The closed RBAC vocabulary of Argo CD (`util/rbac/rbac.go`): resources, base actions, the
 * sub-resource action forms, and the object formats. Values match Argo CD byte for byte.
 */

/** Every resource a policy line may name (interfaces §4.3). */
export const RbacResources = {
  clusters: 'clusters',
  projects: 'projects',
  applications: 'applications',
  applicationsets: 'applicationsets',
  repositories: 'repositories',
  writeRepositories: 'write-repositories',
  certificates: 'certificates',
  accounts: 'accounts',
  gpgkeys: 'gpgkeys',
  logs: 'logs',
  exec: 'exec',
  extensions: 'extensions',
} as const;
export type RbacResource = (typeof RbacResources)[keyof typeof RbacResources];

/** The base actions (the only ones `can-i` accepts). */
export const RbacActions = {
  get: 'get',
  create: 'create',
  update: 'update',
  delete: 'delete',
  sync: 'sync',
  rollback: 'rollback',
  override: 'override',
  action: 'action',
  invoke: 'invoke',
} as const;
export type RbacBaseAction = (typeof RbacActions)[keyof typeof RbacActions];

/**
 * An action as a request names it: a base action, or a sub-resource form
 * `update/<group>/<kind>/<ns>/<name>`, `delete/<group>/<kind>/<ns>/<name>`,
 * `action/<group>/<kind>/<action>` (the core group is empty: `action//Pod/restart`).
 */
export type RbacAction =
  RbacBaseAction | `update/${string}` | `delete/${string}` | `action/${string}`;

/** Lists in Argo CD's order, for messages and validation. */
export const rbacResourceList: readonly RbacResource[] = Object.values(RbacResources);
export const rbacActionList: readonly RbacBaseAction[] = Object.values(RbacActions);

/**
 * Resources whose object is `<project>/<name>` (or `<project>/<ns>/<name>`), so that a request on
 * them names a project and the project's run-time policy takes part. `clusters` and `repositories`
 * are project-scoped only when their object has a `/`-separated project prefix.
 */
export const ProjectScopedResources: ReadonlySet<string> = new Set<string>([
  RbacResources.applications,
  RbacResources.applicationsets,
  RbacResources.logs,
  RbacResources.exec,
  RbacResources.clusters,
  RbacResources.repositories,
]);

/** Resources a project role's policy may name (Argo CD's AppProject validation). */
export const ProjectRoleResources: ReadonlySet<string> = new Set<string>([
  RbacResources.applications,
  RbacResources.applicationsets,
  RbacResources.repositories,
  RbacResources.clusters,
  RbacResources.logs,
  RbacResources.exec,
]);

export function isRbacResource(value: string): value is RbacResource {
  return (rbacResourceList as readonly string[]).includes(value);
}

export function isRbacBaseAction(value: string): value is RbacBaseAction {
  return (rbacActionList as readonly string[]).includes(value);
}

/** Identifies a live Kubernetes resource of an application, for sub-resource actions. */
export interface ResourceRef {
  /** API group; empty for the core group */
  readonly group: string;
  readonly kind: string;
  /** empty for cluster-scoped resources */
  readonly namespace: string;
  readonly name: string;
}

/**
 * The fine-grained action for updating or deleting one resource of an application.
 * @example
 * subResourceAction('delete', { group: '', kind: 'Pod', namespace: 'web', name: 'web-1' })
 * // 'delete//Pod/web/web-1'
 */
export function subResourceAction(
  verb: 'update' | 'delete',
  ref: ResourceRef,
): `update/${string}` | `delete/${string}` {
  return `${verb}/${ref.group}/${ref.kind}/${ref.namespace}/${ref.name}`;
}

/**
 * The action for running a resource action (a Lua custom action) on a resource kind.
 * @example
 * resourceActionAction('apps', 'Deployment', 'restart') // 'action/apps/Deployment/restart'
 */
export function resourceActionAction(
  group: string,
  kind: string,
  actionName: string,
): `action/${string}` {
  return `action/${group}/${kind}/${actionName}`;
}

/**
 * The RBAC object of an application (or ApplicationSet): `<project>/<name>`, or
 * `<project>/<namespace>/<name>` when apps-in-any-namespace puts it outside the control-plane
 * namespace.
 * @example
 * applicationObject('team-a', 'web', 'argocd', 'argocd') // 'team-a/web'
 * applicationObject('team-a', 'web', 'team-a-apps', 'argocd') // 'team-a/team-a-apps/web'
 */
export function applicationObject(
  project: string,
  name: string,
  namespace = '',
  controlPlaneNamespace = '',
): string {
  if (namespace === '' || namespace === controlPlaneNamespace) return `${project}/${name}`;
  return `${project}/${namespace}/${name}`;
}

/**
 * The project an RBAC request names, if any: the first `/`-separated part of the object for
 * project-scoped resources (when the object has at least two parts), or the object itself for
 * `projects`. As in Argo CD the result is only a candidate: a cluster URL yields `https:`, which
 * names no project, so the project lookup finds nothing and only the global policy applies.
 * @example
 * projectOfRequest('applications', 'team-a/web') // 'team-a'
 * projectOfRequest('accounts', 'alice') // undefined
 */
export function projectOfRequest(resource: string, object: string): string | undefined {
  if (resource === RbacResources.projects) return object;
  if (!ProjectScopedResources.has(resource)) return undefined;
  const slash = object.indexOf('/');
  if (slash < 0) return undefined;
  return object.slice(0, slash);
}

/** `proj:<project>:<role>`: the subject of project role tokens and project role policies. */
export function projectRoleSubject(project: string, role: string): string {
  return `proj:${project}:${role}`;
}

/** Splits `proj:<project>:<role>`; undefined for any other subject (exactly three parts). */
export function parseProjectRoleSubject(
  subject: string,
): { project: string; role: string } | undefined {
  const parts = subject.split(':');
  if (parts.length !== 3 || parts[0] !== 'proj') return undefined;
  return { project: parts[1] ?? '', role: parts[2] ?? '' };
}
