/**
 * Access to one Application with RBAC, the way Argo CD's `getAppEnforceRBAC` does it
 * (CVE-2022-41354): a caller who may not act on an app cannot tell whether it exists.
 *
 * - Without `project` in the request: a missing app and a forbidden app both give the same
 *   `403 permission denied`; the missing path still runs an RBAC evaluation so both take the same
 *   work (the cache lookup costs the same either way).
 * - With `project` (`?project=` / body `project`): the caller is first checked on
 *   `<project>/<name>`; when allowed, a missing app, an app the caller may not touch, and an app in
 *   another project are all `404 not found`; when not allowed, `403`.
 * Every denial is logged with `security: 2`, `CWE: 285`. Only the control-plane namespace holds
 * applications here (`appNamespace` naming another namespace is refused).
 */
import { DEFAULT_PROJECT } from '../../apis/index.js';
import { applicationObject } from '../../rbac/index.js';
import type { RequestContext } from '../context.js';
import { ApiError } from '../errors.js';
import { Cwe, logSecurityEvent, Security } from '../logging.js';
import type { AppState, StoredApplication } from './state.js';

/** The one error for "no such app" and "not yours" (Argo CD: `PermissionDenied: permission denied`). */
export function permissionDenied(): ApiError {
  return new ApiError('ERR_API_PERMISSION_DENIED', 'permission denied');
}

export function appNotFound(name: string, verb = 'get'): ApiError {
  return new ApiError(
    'ERR_API_NOT_FOUND',
    `failed to ${verb} application: applications.argoproj.io "${name}" not found`,
  );
}

/** The project an app belongs to (`default` when unset). */
export function projectOf(app: Pick<StoredApplication, 'spec'>): string {
  return app.spec.project === '' ? DEFAULT_PROJECT : app.spec.project;
}

/** The RBAC object of an app in the control-plane namespace: `<project>/<name>`. */
export function rbacObject(state: AppState, project: string, name: string): string {
  return applicationObject(project, name, state.namespace, state.namespace);
}

/** Refuses an `appNamespace` other than the control-plane namespace. */
export function checkAppNamespace(state: AppState, appNamespace: string | undefined): void {
  if (appNamespace !== undefined && appNamespace !== '' && appNamespace !== state.namespace)
    throw new ApiError(
      'ERR_API_PERMISSION_DENIED',
      `application namespace "${appNamespace.slice(0, 63)}" is not permitted: this server manages applications in "${state.namespace}" only`,
    );
}

function logDenied(ctx: RequestContext, state: AppState, action: string, object: string): void {
  logSecurityEvent(state.deps.log, {
    security: Security.MEDIUM,
    CWE: Cwe.IMPROPER_AUTHORIZATION,
    msg: `permission denied: ${ctx.actor} tried to ${action} application ${object} which they do not have access to (or which does not exist)`,
    fields: {
      subject: ctx.caller.subject,
      resource: 'applications',
      action,
      object,
      requestId: ctx.requestId,
      clientAddress: ctx.clientAddress,
    },
  });
}

export interface AppRequestScope {
  /** `project` of the request, when given */
  readonly project?: string | undefined;
  readonly appNamespace?: string | undefined;
}

/**
 * The app `name` when the caller may `action` it; otherwise the uniform error (see the module
 * comment). Waits for the first list of the watch cache.
 */
export async function enforceApp(
  ctx: RequestContext,
  state: AppState,
  action: string,
  name: string,
  scope: AppRequestScope = {},
): Promise<StoredApplication> {
  checkAppNamespace(state, scope.appNamespace);
  await state.appsReady();
  const project = scope.project === '' ? undefined : scope.project;
  if (project !== undefined) {
    const given = rbacObject(state, project, name);
    if (!ctx.can('applications', action, given)) {
      state.app(name); // same lookup as the allowed path
      logDenied(ctx, state, action, given);
      throw permissionDenied();
    }
  }
  const app = state.app(name);
  if (!app || app.metadata.name !== name) {
    if (project !== undefined) throw appNotFound(name, action);
    // the same RBAC work as for an existing app, whose answer is not used
    ctx.can('applications', action, rbacObject(state, DEFAULT_PROJECT, name));
    logDenied(ctx, state, action, `?/${name}`);
    throw permissionDenied();
  }
  const object = rbacObject(state, projectOf(app), name);
  if (!ctx.can('applications', action, object)) {
    logDenied(ctx, state, action, object);
    if (project !== undefined) throw appNotFound(name, action);
    throw permissionDenied();
  }
  if (project !== undefined && projectOf(app) !== project) throw appNotFound(name, action);
  return app;
}

/** Like `enforceApp`, then a second check for a fine-grained or other action on the same app. */
export function enforceMore(
  ctx: RequestContext,
  state: AppState,
  app: StoredApplication,
  action: string,
): void {
  const object = rbacObject(state, projectOf(app), app.metadata.name ?? '');
  if (!ctx.can('applications', action, object)) {
    logDenied(ctx, state, action, object);
    throw permissionDenied();
  }
}
