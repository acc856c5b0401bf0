/**
 * Validation of AppProjects written through the API (Argo CD's `ValidateProject` plus the role
 * checks of interfaces §2.2), and the server-managed parts of a project:
 *
 * - names: DNS-1123 subdomains; `sourceRepos` may not hold `!*`; destinations name a server or a
 *   cluster; role names match `^[a-zA-Z0-9]([-_a-zA-Z0-9]*[a-zA-Z0-9])?$` and are unique; every role
 *   policy is exactly `p, proj:<project>:<role>, <res>, <act>, <project>/<obj>, allow|deny`; group
 *   names hold no quotes, tabs or line breaks and no surrounding spaces; sync windows have a kind,
 *   a five-field schedule and a duration.
 * - token lists (`spec.roles[].jwtTokens`, `status.jwtTokensByRole`) are managed by the token
 *   endpoints only (beyond Argo CD): a create starts without tokens and an update keeps the stored
 *   lists, so nobody can re-add the entry of a deleted (revoked) token by writing the project.
 */
import {
  AppProjectSchema,
  PROJECT_ROLE_NAME,
  checkSchema,
  type AppProject,
  type FieldError,
  ValidationError,
} from '../../apis/index.js';
import { parseDuration } from '../../lib/index.js';
import { validateProjectRolePolicy } from '../../rbac/index.js';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isValidProjectName(name: string): boolean {
  return name.length > 0 && name.length <= 253 && DNS1123_SUBDOMAIN.test(name);
}

/** Validates an AppProject from a request; throws ValidationError naming every bad field. */
export function validateProject(value: unknown): AppProject {
  const errors: FieldError[] = checkSchema(AppProjectSchema, value);
  if (errors.length > 0) throw new ValidationError('AppProject', errors);
  const p = value as AppProject;
  const name = p.metadata.name ?? '';
  if (!isValidProjectName(name))
    errors.push({
      field: 'metadata.name',
      message: `"${name}" is not a valid project name: lower-case letters, digits, '-' and '.', at most 253 characters`,
    });
  (p.spec.sourceRepos ?? []).forEach((r, i) => {
    if (r.trim() === '')
      errors.push({ field: `spec.sourceRepos[${i}]`, message: 'must not be empty' });
    if (r.trim() === '!*')
      errors.push({
        field: `spec.sourceRepos[${i}]`,
        message: '"!*" would deny every repository; remove the project\'s repositories instead',
      });
  });
  (p.spec.destinations ?? []).forEach((d, i) => {
    if ((d.server ?? '') === '' && (d.name ?? '') === '')
      errors.push({
        field: `spec.destinations[${i}]`,
        message: 'needs a server or a name ("*" for any)',
      });
  });
  const roleNames = new Set<string>();
  (p.spec.roles ?? []).forEach((role, i) => {
    const f = `spec.roles[${i}]`;
    if (!PROJECT_ROLE_NAME.test(role.name))
      errors.push({
        field: `${f}.name`,
        message: `"${role.name}" is not a valid role name: letters, digits, '-' and '_', starting and ending with a letter or digit`,
      });
    if (roleNames.has(role.name))
      errors.push({ field: `${f}.name`, message: `role "${role.name}" is defined twice` });
    roleNames.add(role.name);
    (role.policies ?? []).forEach((policy, j) => {
      const problem = validateProjectRolePolicy(name, role.name, policy);
      if (problem !== undefined) errors.push({ field: `${f}.policies[${j}]`, message: problem });
    });
    (role.groups ?? []).forEach((g, j) => {
      if (g === '' || g !== g.trim() || /["\n\r\t]/.test(g))
        errors.push({
          field: `${f}.groups[${j}]`,
          message:
            'a group name must not be empty, start or end with a space, or contain quotes, tabs or line breaks',
        });
    });
  });
  (p.spec.syncWindows ?? []).forEach((w, i) => {
    const f = `spec.syncWindows[${i}]`;
    if (w.kind !== 'allow' && w.kind !== 'deny')
      errors.push({ field: `${f}.kind`, message: 'must be "allow" or "deny"' });
    if ((w.schedule ?? '').trim().split(/\s+/).length !== 5)
      errors.push({
        field: `${f}.schedule`,
        message: 'must be a cron schedule of five fields, e.g. "10 1 * * *"',
      });
    try {
      if (parseDuration(w.duration ?? '') <= 0) throw new TypeError('not positive');
    } catch {
      errors.push({ field: `${f}.duration`, message: 'must be a duration such as 1h or 30m' });
    }
  });
  (p.spec.clusterResourceWhitelist ?? []).forEach((g, i) => {
    if (g.kind === '')
      errors.push({
        field: `spec.clusterResourceWhitelist[${i}].kind`,
        message: 'must not be empty ("*" for any)',
      });
  });
  (p.spec.destinationServiceAccounts ?? []).forEach((d, i) => {
    if (d.defaultServiceAccount.trim() === '')
      errors.push({
        field: `spec.destinationServiceAccounts[${i}].defaultServiceAccount`,
        message: 'must not be empty',
      });
  });
  if (errors.length > 0) throw new ValidationError(`AppProject "${name}"`, errors);
  return p;
}

/** A project as first stored: no tokens, no status, only metadata the caller may set. */
export function projectForCreate(
  p: AppProject,
  namespace: string,
): AppProject & { apiVersion: string; kind: string } {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: {
      name: p.metadata.name ?? '',
      namespace,
      ...(p.metadata.labels ? { labels: p.metadata.labels } : {}),
      ...(p.metadata.annotations ? { annotations: p.metadata.annotations } : {}),
      ...(p.metadata.finalizers ? { finalizers: p.metadata.finalizers } : {}),
    },
    spec: { ...p.spec, roles: (p.spec.roles ?? []).map(({ jwtTokens: _t, ...r }) => r) },
  };
}

/**
 * The stored form of an update: the caller's spec and metadata, with each role's token lists
 * taken from the stored project (roles that no longer exist lose theirs, which revokes them).
 */
export function projectForUpdate(next: AppProject, current: AppProject): AppProject {
  const oldRoles = new Map((current.spec.roles ?? []).map((r) => [r.name, r]));
  const roles = (next.spec.roles ?? []).map(({ jwtTokens: _t, ...r }) => {
    const old = oldRoles.get(r.name)?.jwtTokens;
    return old !== undefined && old.length > 0 ? { ...r, jwtTokens: old } : r;
  });
  const names = new Set(roles.map((r) => r.name));
  const byRole = Object.fromEntries(
    Object.entries(current.status?.jwtTokensByRole ?? {}).filter(([role]) => names.has(role)),
  );
  return {
    ...current,
    metadata: {
      ...current.metadata,
      labels: next.metadata.labels ?? {},
      annotations: next.metadata.annotations ?? {},
      ...(next.metadata.finalizers ? { finalizers: next.metadata.finalizers } : {}),
      ...(next.metadata.resourceVersion ? { resourceVersion: next.metadata.resourceVersion } : {}),
    },
    spec: { ...next.spec, roles },
    ...(current.status || Object.keys(byRole).length > 0
      ? { status: { ...current.status, jwtTokensByRole: byRole } }
      : {}),
  };
}

/** Whether two project specs are the same (ignoring token lists), for create-without-upsert. */
export function sameSpec(a: AppProject, b: AppProject): boolean {
  const strip = (p: AppProject): unknown => ({
    ...p.spec,
    roles: (p.spec.roles ?? []).map(({ jwtTokens: _t, ...r }) => r),
  });
  return canonicalJson(strip(a)) === canonicalJson(strip(b));
}

/** JSON with object keys sorted (equal values, equal text). */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return value === undefined || typeof value === 'function' ? 'null' : JSON.stringify(value);
}
