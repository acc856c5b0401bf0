/**
 * rbac: Argo CD's RBAC policy language, evaluated purely (no I/O, no Kubernetes, no HTTP).
 * Semantics, deny rules and deliberate differences from Argo CD: docs/rbac.md.
 *
 * Use:
 * - Build an `RbacEnforcer` (built-in policy only by default: deny by default, `admin` is admin),
 *   then `update(rbacOptionsFromConfigMaps(rbacCm.data, argocdCm.data).options)` whenever the
 *   ConfigMaps change. A policy with errors is not applied: the last valid one stays in force and
 *   `update()` returns the problems with their ConfigMap key and 1-based line.
 * - Per request: `enforceClaims(claims, resource, action, object, { projects })` returns a
 *   `Decision` (allowed, why, which rule and subject, for audit logs); `assertAllowed` throws
 *   `RbacDeniedError` with Argo CD's message; `canI` answers the can-i endpoint;
 *   `effectiveRoles` lists the caller's roles; `enforce` checks a plain subject (a role, an
 *   account) and `decide` explains it.
 * - `projects` looks up the AppProject a request names; its roles' policies are merged in for that
 *   request (compiled once per project object and cached).
 *
 * Exports:
 * - `RbacEnforcer`, `RbacEnforcerOptions`, `EnforceOptions`, `Decision`, `DecisionReason`,
 *   `DecisionRule`, `PolicyUpdateResult`, `DEFAULT_SCOPES`, `permissionDeniedMessage`
 * - `parsePolicyCsv`, `validatePolicy`, `formatProblem`, and their types `ParsedPolicy`,
 *   `PermissionRule`, `GroupingRule`, `RuleOrigin`, `PolicyProblem`, `PolicySource`,
 *   `ParseOptions`, `ValidationResult`, `Effect`
 * - `BUILTIN_POLICY`, `MAX_ROLE_DEPTH`, `MatchModes`, `MatchMode`
 * - `projectPolicyString`, `validateProjectRolePolicy`, `ProjectPolicySource`, `ProjectLike`,
 *   `ProjectPolicy`
 * - `rbacOptionsFromConfigMaps`, `policySourcesFromConfigMap`
 * - `userIdentifier`, `scopeValues`: what RBAC reads from claims
 * - vocabulary: `RbacResources`, `RbacActions`, `RbacResource`, `RbacBaseAction`, `RbacAction`,
 *   `rbacResourceList`, `rbacActionList`, `ProjectScopedResources`, `ProjectRoleResources`,
 *   `isRbacResource`, `isRbacBaseAction`, `ResourceRef`, `subResourceAction`,
 *   `resourceActionAction`, `applicationObject`, `projectOfRequest`, `projectRoleSubject`,
 *   `parseProjectRoleSubject`
 * - errors: `RbacPolicyError` (`ERR_RBAC_POLICY_INVALID`), `RbacRequestError`
 *   (`ERR_RBAC_INVALID_REQUEST`), `RbacDeniedError` (`ERR_RBAC_PERMISSION_DENIED`), `RbacErrorCode`
 *
 * @example
 * import { RbacEnforcer, rbacOptionsFromConfigMaps, formatProblem } from '../rbac/index.js';
 * const rbac = new RbacEnforcer();
 * const { options, problems } = rbacOptionsFromConfigMaps(rbacCm.data, argocdCm.data);
 * const result = rbac.update(options);
 * for (const p of [...problems, ...result.problems]) log.warn(formatProblem(p));
 * const d = rbac.enforceClaims(claims, 'applications', 'sync', 'team-a/web', { projects: (n) => projectCache.get(n) });
 * if (!d.allowed) throw new RbacDeniedError(permissionDeniedMessage(claims, 'applications', 'sync', 'team-a/web'));
 */
export {
  RbacEnforcer,
  DEFAULT_SCOPES,
  permissionDeniedMessage,
  type RbacEnforcerOptions,
  type EnforceOptions,
  type Decision,
  type DecisionReason,
  type DecisionRule,
  type PolicyUpdateResult,
} from './enforcer.js';
export {
  parsePolicyCsv,
  validatePolicy,
  formatProblem,
  type ParsedPolicy,
  type PermissionRule,
  type GroupingRule,
  type RuleOrigin,
  type PolicyProblem,
  type PolicySource,
  type ParseOptions,
  type ValidationResult,
  type Effect,
} from './policy.js';
export { BUILTIN_POLICY } from './builtin-policy.js';
export { MAX_ROLE_DEPTH } from './policy-index.js';
export { MatchModes, type MatchMode } from './match.js';
export {
  projectPolicyString,
  validateProjectRolePolicy,
  type ProjectPolicySource,
  type ProjectLike,
  type ProjectPolicy,
} from './project.js';
export { rbacOptionsFromConfigMaps, policySourcesFromConfigMap } from './config.js';
export { userIdentifier, scopeValues } from './claims.js';
export {
  RbacResources,
  RbacActions,
  rbacResourceList,
  rbacActionList,
  ProjectScopedResources,
  ProjectRoleResources,
  isRbacResource,
  isRbacBaseAction,
  subResourceAction,
  resourceActionAction,
  applicationObject,
  projectOfRequest,
  projectRoleSubject,
  parseProjectRoleSubject,
  type RbacResource,
  type RbacBaseAction,
  type RbacAction,
  type ResourceRef,
} from './vocab.js';
export {
  RbacPolicyError,
  RbacRequestError,
  RbacDeniedError,
  type RbacErrorCode,
} from './errors.js';
