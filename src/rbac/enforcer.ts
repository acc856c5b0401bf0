/**
 * `RbacEnforcer`: Argo CD's enforcement algorithm (interfaces §4.4) over the pure evaluator.
 *
 * It holds one policy snapshot (built-in + user policy, default role, match mode, scopes, flags).
 * `update()` swaps in a new snapshot only when the new policy parses; otherwise the last valid
 * snapshot stays in force and the problems are returned, so a bad edit of `argocd-rbac-cm` can
 * neither crash the server nor lock anyone out.
 */
import { BUILTIN_POLICY } from './builtin-policy.js';
import { formatRfc3339, issuedAt, scopeValues, userIdentifier } from './claims.js';
import { RbacDeniedError, RbacPolicyError, RbacRequestError } from './errors.js';
import { MatchModes, type MatchMode } from './match.js';
import { PolicyLayer, PolicyView, type CompiledRule } from './policy-index.js';
import {
  parsePolicyCsv,
  undefinedRoleWarnings,
  type PolicyProblem,
  type PolicySource,
  type RuleRef,
} from './policy.js';
import {
  compileProjectPolicy,
  projectName,
  projectPolicyText,
  type CompiledProjectPolicy,
  type ProjectLike,
  type ProjectPolicySource,
} from './project.js';
import {
  isRbacBaseAction,
  isRbacResource,
  parseProjectRoleSubject,
  projectOfRequest,
  rbacActionList,
  rbacResourceList,
  RbacResources,
} from './vocab.js';

export const DEFAULT_SCOPES: readonly string[] = ['groups'];

export interface RbacEnforcerOptions {
  /** the built-in policy; default `BUILTIN_POLICY` (always matched in glob mode) */
  readonly builtinPolicy?: string;
  /** `policy.csv` and `policy.<x>.csv`, as one text or as named sources (for line numbers) */
  readonly userPolicyCsv?: string | readonly PolicySource[];
  /** `policy.default`: a role every caller has, checked first; an allow here cannot be denied */
  readonly defaultRole?: string;
  /** `policy.matchMode` for the user and project policies; default `glob` */
  readonly matchMode?: MatchMode;
  /** `scopes`: the claims that hold group names; default `['groups']` */
  readonly scopes?: readonly string[];
  /**
   * Argo CD 2.x inheritance: `update`/`delete` on an application also allows
   * `update/...`/`delete/...` on its resources. Off by default, as in Argo CD 3
   * (`server.rbac.disableApplicationFineGrainedRBACInheritance: "false"` turns it on).
   */
  readonly applicationFineGrainedInheritance?: boolean;
  /**
   * `server.rbac.rollback.enforce.enable`: when false (default) `rollback` on an application is
   * also allowed by `sync`; when true only a `rollback` permission allows it.
   */
  readonly enforceRollback?: boolean;
  /**
   * Unsafe: check user ids and groups from claims that start with `role:` like any other subject.
   * Off by default, because a group an identity provider lets users name `role:admin` would
   * otherwise be the built-in admin role itself (docs/rbac.md, "Claims").
   */
  readonly dangerouslyAllowRoleClaims?: boolean;
  /** called once per project whose run-time policy is not used because it has errors */
  readonly onProjectPolicyProblems?: (project: string, problems: readonly PolicyProblem[]) => void;
}

export interface EnforceOptions {
  /** looks up the project a request names, so its roles' policies take part */
  readonly projects?: ProjectPolicySource;
}

/** Why a decision came out as it did. */
export type DecisionReason =
  /** `policy.default` allowed it */
  | 'default-role'
  /** the user id (or plain subject) allowed it */
  | 'subject'
  /** one of the caller's groups allowed it */
  | 'group'
  /** a project role token allowed it (its project's policy) */
  | 'project-token'
  /** a deny rule matched in a role closure that would otherwise have allowed or not matched */
  | 'denied'
  /** a project role token asked about another project's object */
  | 'other-project'
  /** no rule matched: denied by default */
  | 'no-match';

/** The rule a decision names: its source, line, text and effect. */
export type DecisionRule = RuleRef;

/** An enforcement result with what decided it, for audit logs. */
export interface Decision {
  readonly allowed: boolean;
  readonly reason: DecisionReason;
  /** the subject whose check decided: a role, user id or group (undefined for no-match) */
  readonly subject: string | undefined;
  /** the allow rule that matched, or (when denied) the first deny rule that matched */
  readonly rule: DecisionRule | undefined;
  readonly resource: string;
  /** the action asked for */
  readonly action: string;
  /** the action whose rule decided, when a fallback was used (`sync` for `rollback`) */
  readonly matchedAction: string;
  readonly object: string;
  /** the project whose run-time policy took part, if any */
  readonly project: string | undefined;
  /** whether that project's policy was merged, or skipped because it has errors */
  readonly projectPolicy: 'none' | 'applied' | 'invalid';
}

export interface PolicyUpdateResult {
  /** true when the new settings are now in force */
  readonly applied: boolean;
  /** errors (when not applied) and warnings */
  readonly problems: readonly PolicyProblem[];
}

interface ProjectEntry {
  readonly compiled: CompiledProjectPolicy;
  readonly view: PolicyView;
}

interface Snapshot {
  readonly defaultRole: string;
  readonly matchMode: MatchMode;
  readonly scopes: readonly string[];
  readonly inheritance: boolean;
  readonly enforceRollback: boolean;
  readonly allowRoleClaims: boolean;
  readonly builtin: PolicyLayer;
  readonly user: PolicyLayer;
  readonly global: PolicyView;
  readonly warnings: readonly PolicyProblem[];
  readonly byObject: WeakMap<object, ProjectEntry>;
  readonly byName: Map<string, ProjectEntry>;
  readonly onProjectProblems: RbacEnforcerOptions['onProjectPolicyProblems'];
}

const MAX_CACHED_PROJECTS = 10_000;

type Built = { ok: true; snapshot: Snapshot } | { ok: false; problems: PolicyProblem[] };

function build(options: RbacEnforcerOptions): Built {
  const matchMode = options.matchMode ?? 'glob';
  if (!(MatchModes as readonly string[]).includes(matchMode)) {
    throw new TypeError(`matchMode must be glob or regex, not ${JSON.stringify(matchMode)}`);
  }
  const builtinParsed = parsePolicyCsv(options.builtinPolicy ?? BUILTIN_POLICY, {
    sourceName: 'builtin',
  });
  const userParsed = parsePolicyCsv(options.userPolicyCsv ?? '', { matchMode });
  const problems = [...builtinParsed.problems, ...userParsed.problems];
  if (!builtinParsed.valid || !userParsed.valid) return { ok: false, problems };
  problems.push(...undefinedRoleWarnings([builtinParsed, userParsed], userParsed));
  const defaultRole = (options.defaultRole ?? '').trim();
  const builtin = new PolicyLayer(builtinParsed, 'glob', 0);
  const user = new PolicyLayer(userParsed, matchMode, 1);
  const global = new PolicyView([builtin, user]);
  const defined = [builtin, user].some(
    (l) => l.bySubject.has(defaultRole) || l.roles.has(defaultRole),
  );
  if (defaultRole !== '' && !defined) {
    problems.push({
      severity: 'warning',
      source: 'policy.default',
      line: 0,
      message: `the default role "${defaultRole}" has no p or g lines, so it grants nothing; use role:readonly or a role your policy defines`,
    });
  }
  const scopes = options.scopes ?? DEFAULT_SCOPES;
  for (const s of scopes) {
    if (typeof s !== 'string') throw new TypeError('scopes must be strings');
  }
  return {
    ok: true,
    snapshot: {
      defaultRole,
      matchMode,
      scopes: [...scopes],
      inheritance: options.applicationFineGrainedInheritance ?? false,
      enforceRollback: options.enforceRollback ?? false,
      allowRoleClaims: options.dangerouslyAllowRoleClaims ?? false,
      builtin,
      user,
      global,
      warnings: problems,
      byObject: new WeakMap(),
      byName: new Map(),
      onProjectProblems: options.onProjectPolicyProblems,
    },
  };
}

/**
 * Evaluates Argo CD RBAC requests. Synchronous and allocation-light: patterns are compiled once,
 * rules are indexed by subject, role closures and project policies are cached per snapshot.
 *
 * @example
 * const rbac = new RbacEnforcer({ userPolicyCsv: 'g, my-org:devs, role:readonly', defaultRole: '' });
 * rbac.enforce('admin', 'applications', 'delete', 'team-a/web'); // true (built-in admin)
 * rbac.enforceClaims({ sub: 'bob', groups: ['my-org:devs'] }, 'applications', 'get', 'team-a/web').allowed; // true
 */
export class RbacEnforcer {
  private snapshot: Snapshot;
  private lastProblems: readonly PolicyProblem[];

  /**
   * @throws {RbacPolicyError} when the given policy has errors (use `update()` to keep a previous
   *   policy instead)
   */
  constructor(options: RbacEnforcerOptions = {}) {
    const built = build(options);
    if (!built.ok) throw new RbacPolicyError(built.problems);
    this.snapshot = built.snapshot;
    this.lastProblems = built.snapshot.warnings;
  }

  /**
   * Replaces all settings at once. When the new policy has errors nothing changes: the last valid
   * policy (and its default role, match mode, scopes and flags) stays in force.
   */
  update(options: RbacEnforcerOptions): PolicyUpdateResult {
    const built = build(options);
    if (!built.ok) {
      this.lastProblems = built.problems;
      return { applied: false, problems: built.problems };
    }
    this.snapshot = built.snapshot;
    this.lastProblems = built.snapshot.warnings;
    return { applied: true, problems: built.snapshot.warnings };
  }

  /** Problems of the last `update()` (or the constructor): errors if it was rejected, else warnings. */
  get problems(): readonly PolicyProblem[] {
    return this.lastProblems;
  }

  /** The scopes in force (claims that hold groups). */
  get scopes(): readonly string[] {
    return this.snapshot.scopes;
  }

  /** The default role in force, or '' for none. */
  get defaultRole(): string {
    return this.snapshot.defaultRole;
  }

  /**
   * Argo CD's `Enforce(subject, ...)` for a plain subject string (a role, a local account, a
   * group): the default role first, then the subject, against the global policy.
   */
  enforce(subject: string, resource: string, action: string, object: string): boolean {
    const s = this.snapshot;
    for (const act of this.actionsFor(s, resource, action)) {
      if (
        s.defaultRole !== '' &&
        s.global.check(s.defaultRole, resource, act, object)?.effect === 'allow'
      )
        return true;
      if (subject !== '' && s.global.check(subject, resource, act, object)?.effect === 'allow')
        return true;
    }
    return false;
  }

  /** `enforce` with the reasons, for audit logs. */
  decide(subject: string, resource: string, action: string, object: string): Decision {
    const s = this.snapshot;
    const role = s.defaultRole;
    this.startTrial();
    for (const act of this.actionsFor(s, resource, action)) {
      const ask = askOf(resource, action, act, object, undefined, 'none');
      if (role !== '') {
        const r = this.step(s.global, role, resource, act, object);
        if (r) return grant(ask, 'default-role', role, r);
      }
      if (subject !== '') {
        const r = this.step(s.global, subject, resource, act, object);
        if (r) return grant(ask, 'subject', subject, r);
      }
    }
    return this.refusal(askOf(resource, action, action, object, undefined, 'none'));
  }

  /**
   * Argo CD's claims enforcement (`EnforceClaims`, interfaces §4.4) for verified JWT claims:
   * 1. the default role against the global policy;
   * 2. if the object names a project that `projects` knows, that project's run-time policy is
   *    merged in; a project token (`proj:<p>:<r>`) is then judged only by the default role and
   *    its own subject, and only inside its own project;
   * 3. the default role, the user id, then each group of the `scopes` claims that is bound by a
   *    `g` line, each a separate check; the first allow wins. Within one check a matching deny
   *    beats any allow (casbin's effect); across checks it does not.
   * Malformed claims are never an error: fields of the wrong type are ignored.
   */
  enforceClaims(
    claims: unknown,
    resource: string,
    action: string,
    object: string,
    options: EnforceOptions = {},
  ): Decision {
    const s = this.snapshot;
    if (resource !== RbacResources.applications) {
      return this.claimsOnce(s, claims, resource, action, action, object, options.projects);
    }
    const actions = this.actionsFor(s, resource, action);
    let last: Decision | undefined;
    for (const act of actions) {
      const d = this.claimsOnce(s, claims, resource, action, act, object, options.projects);
      if (d.allowed) return d;
      last ??= d;
    }
    // actionsFor always yields at least the requested action
    return last ?? this.claimsOnce(s, claims, resource, action, action, object, options.projects);
  }

  /**
   * The `GET /api/v1/account/can-i/{resource}/{action}/{subresource}` answer for the caller. Only
   * the base resources and actions are accepted, as in Argo CD.
   * @throws {RbacRequestError} for an unknown resource or a non-base action
   */
  canI(
    claims: unknown,
    resource: string,
    action: string,
    subresource: string,
    options: EnforceOptions = {},
  ): 'yes' | 'no' {
    if (!isRbacBaseAction(action)) {
      throw new RbacRequestError(
        `failed to check permission: action "${action}" is not one of ${rbacActionList.join(', ')}`,
      );
    }
    if (!isRbacResource(resource)) {
      throw new RbacRequestError(
        `failed to check permission: resource "${resource}" is not one of ${rbacResourceList.join(', ')}`,
      );
    }
    return this.enforceClaims(claims, resource, action, subresource, options).allowed
      ? 'yes'
      : 'no';
  }

  /**
   * The roles a caller holds under the global policy (beyond Argo CD; the API server's userinfo
   * shows them): the default role and every role reachable through `g` lines from the user id and
   * from each group of the `scopes` claims, sorted. Subjects themselves are not listed; claim values
   * starting with `role:` are ignored as in `enforceClaims`. Project role policies are not included.
   * @example
   * rbac.effectiveRoles({ sub: 'alice', groups: ['ops'] }); // ['role:admin', 'role:readonly']
   */
  effectiveRoles(claims: unknown): string[] {
    const s = this.snapshot;
    const out = new Set<string>();
    const add = (subject: string): void => {
      if (subject === '' || (!s.allowRoleClaims && subject.startsWith('role:'))) return;
      for (const r of s.global.roleClosure(subject)) if (r !== subject) out.add(r);
    };
    if (s.defaultRole !== '') {
      out.add(s.defaultRole);
      for (const r of s.global.roleClosure(s.defaultRole)) out.add(r);
    }
    add(userIdentifier(claims));
    for (const group of scopeValues(claims, s.scopes)) add(group);
    return [...out].sort();
  }

  /**
   * `enforceClaims` that throws Argo CD's permission-denied error (`EnforceErr`).
   * @throws {RbacDeniedError} `permission denied: <res>, <act>, <obj>, sub: <id>, iat: <time>`
   */
  assertAllowed(
    claims: unknown,
    resource: string,
    action: string,
    object: string,
    options: EnforceOptions = {},
  ): Decision {
    const d = this.enforceClaims(claims, resource, action, object, options);
    if (!d.allowed)
      throw new RbacDeniedError(permissionDeniedMessage(claims, resource, action, object));
    return d;
  }

  /** The project policy problems of `project` as last compiled (empty when it is fine or unknown). */
  projectProblems(project: ProjectLike): readonly PolicyProblem[] {
    return this.projectEntry(this.snapshot, project).compiled.problems;
  }

  private actionsFor(s: Snapshot, resource: string, action: string): readonly string[] {
    if (resource !== RbacResources.applications) return [action];
    if (action === 'rollback' && !s.enforceRollback) return ['rollback', 'sync'];
    if (s.inheritance) {
      if (action.startsWith('update/')) return [action, 'update'];
      if (action.startsWith('delete/')) return [action, 'delete'];
    }
    return [action];
  }

  private projectEntry(s: Snapshot, project: ProjectLike): ProjectEntry {
    const cached = s.byObject.get(project);
    if (cached) return cached;
    const byName = s.byName.get(projectName(project));
    if (byName?.compiled.text === projectPolicyText(project)) {
      s.byObject.set(project, byName);
      return byName;
    }
    const compiled = compileProjectPolicy(project, s.matchMode);
    const view = compiled.valid
      ? new PolicyView([s.builtin, s.user, new PolicyLayer(compiled.parsed, s.matchMode, 2)])
      : s.global;
    const entry: ProjectEntry = { compiled, view };
    if (!compiled.valid) s.onProjectProblems?.(compiled.name, compiled.problems);
    if (s.byName.size >= MAX_CACHED_PROJECTS) s.byName.clear();
    s.byName.set(compiled.name, entry);
    s.byObject.set(project, entry);
    return entry;
  }

  /** First deny rule met by `step` during the current evaluation, and whose check met it. */
  private denyRule: CompiledRule | undefined;
  private denySubject: string | undefined;

  /**
   * One casbin check: returns the allow rule if `subject` is allowed, else undefined, noting the
   * first deny rule met (for the decision). No caller code may run between `startTrial` and the
   * decision, so these two scratch fields cannot be clobbered by re-entrant calls.
   */
  private step(
    view: PolicyView,
    subject: string,
    resource: string,
    action: string,
    object: string,
  ): CompiledRule | undefined {
    const r = view.check(subject, resource, action, object);
    if (r === undefined) return undefined;
    if (r.effect === 'allow') return r;
    if (this.denyRule === undefined) {
      this.denyRule = r;
      this.denySubject = subject;
    }
    return undefined;
  }

  private startTrial(): void {
    this.denyRule = undefined;
    this.denySubject = undefined;
  }

  private refusal(ask: Ask, reason?: 'other-project'): Decision {
    const deny = this.denyRule;
    return {
      allowed: false,
      reason: reason ?? (deny === undefined ? 'no-match' : 'denied'),
      subject: this.denySubject,
      rule: deny?.ref,
      resource: ask.resource,
      action: ask.action,
      matchedAction: ask.action,
      object: ask.object,
      project: ask.project,
      projectPolicy: ask.projectPolicy,
    };
  }

  private claimsOnce(
    s: Snapshot,
    claims: unknown,
    resource: string,
    action: string,
    act: string,
    object: string,
    projects: ProjectPolicySource | undefined,
  ): Decision {
    let subject = userIdentifier(claims);
    if (!s.allowRoleClaims && subject.startsWith('role:')) subject = '';
    // resolve the project first: it runs caller code (the lookup, the problem callback)
    let entry: ProjectEntry | undefined;
    if (projects !== undefined) {
      const candidate = projectOfRequest(resource, object);
      if (candidate !== undefined) {
        const found = projects(candidate);
        if (found !== undefined && projectName(found) === candidate) {
          entry = this.projectEntry(s, found);
        }
      }
    }
    const view = entry === undefined ? s.global : entry.view;
    const pp: Decision['projectPolicy'] =
      entry === undefined ? 'none' : entry.compiled.valid ? 'applied' : 'invalid';
    const ask = askOf(resource, action, act, object, entry?.compiled.name, pp);
    const role = s.defaultRole;

    this.startTrial();
    if (role !== '') {
      const r = this.step(s.global, role, resource, act, object);
      // decided by the global policy alone, before any project policy takes part
      if (r) return grant(entry === undefined ? ask : globalAsk(ask), 'default-role', role, r);
    }
    if (entry !== undefined) {
      const token = parseProjectRoleSubject(subject);
      if (token !== undefined && token.project !== entry.compiled.name) {
        return this.refusal(ask, 'other-project');
      }
      if (role !== '') {
        const r = this.step(view, role, resource, act, object);
        if (r) return grant(ask, 'default-role', role, r);
      }
      if (token !== undefined) {
        const r = this.step(view, subject, resource, act, object);
        return r ? grant(ask, 'project-token', subject, r) : this.refusal(ask);
      }
    }
    if (subject !== '') {
      const r = this.step(view, subject, resource, act, object);
      if (r) return grant(ask, 'subject', subject, r);
    }
    for (const group of scopeValues(claims, s.scopes)) {
      if (!s.allowRoleClaims && group.startsWith('role:')) continue;
      if (!view.isGroupingSubject(group)) continue;
      const r = this.step(view, group, resource, act, object);
      if (r) return grant(ask, 'group', group, r);
    }
    return this.refusal(ask);
  }
}

/** What was asked, and in which project context. */
interface Ask {
  readonly resource: string;
  readonly action: string;
  readonly matchedAction: string;
  readonly object: string;
  readonly project: string | undefined;
  readonly projectPolicy: Decision['projectPolicy'];
}

function askOf(
  resource: string,
  action: string,
  matchedAction: string,
  object: string,
  project: string | undefined,
  projectPolicy: Decision['projectPolicy'],
): Ask {
  return { resource, action, matchedAction, object, project, projectPolicy };
}

function globalAsk(ask: Ask): Ask {
  return { ...ask, project: undefined, projectPolicy: 'none' };
}

function grant(ask: Ask, reason: DecisionReason, subject: string, rule: CompiledRule): Decision {
  return {
    allowed: true,
    reason,
    subject,
    rule: rule.ref,
    resource: ask.resource,
    action: ask.action,
    matchedAction: ask.matchedAction,
    object: ask.object,
    project: ask.project,
    projectPolicy: ask.projectPolicy,
  };
}

/**
 * Argo CD's permission-denied message for claims:
 * `permission denied: <res>, <act>, <obj>[, sub: <user id>][, iat: <RFC 3339>]`.
 * @example
 * permissionDeniedMessage({ sub: 'bob', iat: 0 }, 'applications', 'sync', 'a/b')
 * // 'permission denied: applications, sync, a/b, sub: bob, iat: 1970-01-01T00:00:00Z'
 */
export function permissionDeniedMessage(
  claims: unknown,
  resource: string,
  action: string,
  object: string,
): string {
  const parts = [resource, action, object];
  const id = userIdentifier(claims);
  if (id !== '') parts.push(`sub: ${id}`);
  const iat = issuedAt(claims);
  if (iat !== undefined) parts.push(`iat: ${formatRfc3339(iat)}`);
  return `permission denied: ${parts.join(', ')}`;
}
