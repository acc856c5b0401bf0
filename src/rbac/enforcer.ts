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
  type Effect,
  type PolicyProblem,
  type PolicySource,
  type RuleOrigin,
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

export interface DecisionRule extends RuleOrigin {
  readonly effect: Effect;
}

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

/** The decision of one view for one subject, before it becomes a `Decision`. */
interface Hit {
  readonly rule: CompiledRule;
  readonly subject: string;
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
      if (s.defaultRole !== '' && isAllow(s.global.check(s.defaultRole, resource, act, object)))
        return true;
      if (subject !== '' && isAllow(s.global.check(subject, resource, act, object))) return true;
    }
    return false;
  }

  /** `enforce` with the reasons, for audit logs. */
  decide(subject: string, resource: string, action: string, object: string): Decision {
    const s = this.snapshot;
    let firstDeny: Hit | undefined;
    for (const act of this.actionsFor(s, resource, action)) {
      const base = { resource, action, matchedAction: act, object };
      const d =
        s.defaultRole !== '' ? s.global.check(s.defaultRole, resource, act, object) : undefined;
      if (isAllow(d)) return allowed(base, 'default-role', { rule: d, subject: s.defaultRole });
      const r = subject !== '' ? s.global.check(subject, resource, act, object) : undefined;
      if (isAllow(r)) return allowed(base, 'subject', { rule: r, subject });
      firstDeny ??= denyHit(d, s.defaultRole) ?? denyHit(r, subject);
    }
    return denied(
      { resource, action, matchedAction: action, object },
      firstDeny,
      undefined,
      'none',
    );
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

  private claimsOnce(
    s: Snapshot,
    claims: unknown,
    resource: string,
    action: string,
    act: string,
    object: string,
    projects: ProjectPolicySource | undefined,
  ): Decision {
    const base = { resource, action, matchedAction: act, object };
    let firstDeny: Hit | undefined;
    const note = (rule: CompiledRule | undefined, subject: string): void => {
      if (firstDeny === undefined && rule !== undefined && rule.effect === 'deny')
        firstDeny = { rule, subject };
    };
    if (s.defaultRole !== '') {
      const r = s.global.check(s.defaultRole, resource, act, object);
      if (isAllow(r)) return allowed(base, 'default-role', { rule: r, subject: s.defaultRole });
      note(r, s.defaultRole);
    }
    let subject = userIdentifier(claims);
    if (!s.allowRoleClaims && subject.startsWith('role:')) subject = '';

    let entry: ProjectEntry | undefined;
    const candidate = projects ? projectOfRequest(resource, object) : undefined;
    if (candidate !== undefined && projects) {
      const found = projects(candidate);
      if (found !== undefined && projectName(found) === candidate)
        entry = this.projectEntry(s, found);
    }
    const view = entry?.view ?? s.global;
    const projectPolicy =
      entry === undefined ? 'none' : entry.compiled.valid ? 'applied' : 'invalid';
    const proj = entry?.compiled.name;

    if (entry !== undefined) {
      const token = parseProjectRoleSubject(subject);
      if (token !== undefined) {
        if (token.project !== entry.compiled.name) {
          return { ...denied(base, firstDeny, proj, projectPolicy), reason: 'other-project' };
        }
        if (s.defaultRole !== '') {
          const r = view.check(s.defaultRole, resource, act, object);
          if (isAllow(r))
            return allowed(
              base,
              'default-role',
              { rule: r, subject: s.defaultRole },
              proj,
              projectPolicy,
            );
          note(r, s.defaultRole);
        }
        const r = view.check(subject, resource, act, object);
        if (isAllow(r))
          return allowed(base, 'project-token', { rule: r, subject }, proj, projectPolicy);
        note(r, subject);
        return denied(base, firstDeny, proj, projectPolicy);
      }
      if (s.defaultRole !== '') {
        const r = view.check(s.defaultRole, resource, act, object);
        if (isAllow(r))
          return allowed(
            base,
            'default-role',
            { rule: r, subject: s.defaultRole },
            proj,
            projectPolicy,
          );
        note(r, s.defaultRole);
      }
    }
    if (subject !== '') {
      const r = view.check(subject, resource, act, object);
      if (isAllow(r)) return allowed(base, 'subject', { rule: r, subject }, proj, projectPolicy);
      note(r, subject);
    }
    for (const group of scopeValues(claims, s.scopes)) {
      if (!s.allowRoleClaims && group.startsWith('role:')) continue;
      if (!view.isGroupingSubject(group)) continue;
      const r = view.check(group, resource, act, object);
      if (isAllow(r))
        return allowed(base, 'group', { rule: r, subject: group }, proj, projectPolicy);
      note(r, group);
    }
    return denied(base, firstDeny, proj, projectPolicy);
  }
}

function isAllow(r: CompiledRule | undefined): r is CompiledRule {
  return r !== undefined && r.effect === 'allow';
}

function denyHit(r: CompiledRule | undefined, subject: string): Hit | undefined {
  return r !== undefined && r.effect === 'deny' ? { rule: r, subject } : undefined;
}

function ruleOf(r: CompiledRule): DecisionRule {
  return { source: r.rule.source, line: r.rule.line, text: r.rule.text, effect: r.effect };
}

interface DecisionBase {
  readonly resource: string;
  readonly action: string;
  readonly matchedAction: string;
  readonly object: string;
}

function allowed(
  base: DecisionBase,
  reason: DecisionReason,
  hit: Hit,
  project?: string,
  projectPolicy: Decision['projectPolicy'] = 'none',
): Decision {
  return {
    allowed: true,
    reason,
    subject: hit.subject,
    rule: ruleOf(hit.rule),
    ...base,
    project,
    projectPolicy,
  };
}

function denied(
  base: DecisionBase,
  deny: Hit | undefined,
  project: string | undefined,
  projectPolicy: Decision['projectPolicy'],
): Decision {
  return {
    allowed: false,
    reason: deny ? 'denied' : 'no-match',
    subject: deny?.subject,
    rule: deny ? ruleOf(deny.rule) : undefined,
    ...base,
    matchedAction: base.action,
    project,
    projectPolicy,
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
