/**
 * AppProject roles as RBAC policy: the run-time policy Argo CD merges in when a request names a
 * project (`ProjectPoliciesString`), its checks before use, and the stricter validation Argo CD's
 * API applies to role policies when a project is created or updated.
 */
import { PROJECT_ROLE_NAME, type AppProject } from '../apis/index.js';
import { quoteCsvField, readCsvLine, trimGoSpace } from './csv.js';
import type { MatchMode } from './match.js';
import { excerpt, parsePolicyCsv, type ParsedPolicy, type PolicyProblem } from './policy.js';
import { ProjectRoleResources, projectRoleSubject, RbacResources } from './vocab.js';

/** A project's run-time policy given as text (as `projectPolicyString` renders it). */
export interface ProjectPolicy {
  readonly name: string;
  readonly policy: string;
}

/** What a project lookup returns: the AppProject itself, or its name and policy text. */
export type ProjectLike = AppProject | ProjectPolicy;

/**
 * Looks a project up by name (an informer cache, a map); undefined when there is no such project.
 * Called during enforcement, so it must be synchronous and cheap.
 */
export type ProjectPolicySource = (name: string) => ProjectLike | undefined;

function isProjectPolicy(p: ProjectLike): p is ProjectPolicy {
  return typeof (p as { policy?: unknown }).policy === 'string';
}

/** The project's name. */
export function projectName(p: ProjectLike): string {
  return isProjectPolicy(p) ? p.name : (p.metadata.name ?? '');
}

interface PolicyLine {
  readonly text: string;
  /** where the line comes from, for problems: `role ci, policies[2]` */
  readonly origin: string;
}

/** Group names as stored in a project: a name with a comma is stored quoted (`"a,b"`). */
function groupField(group: string): string {
  const t = trimGoSpace(group);
  if (t.length > 1 && t.startsWith('"') && t.endsWith('"')) return t;
  return quoteCsvField(group);
}

function projectPolicyLines(project: AppProject): PolicyLine[] {
  const name = project.metadata.name ?? '';
  const lines: PolicyLine[] = [];
  for (const role of project.spec.roles ?? []) {
    const subject = projectRoleSubject(name, role.name);
    lines.push({
      text: `p, ${subject}, ${RbacResources.projects}, get, ${name}, allow`,
      origin: `role ${role.name} (implicit get on its project)`,
    });
    (role.policies ?? []).forEach((p, i) => {
      lines.push({ text: p, origin: `role ${role.name}, policies[${i}]` });
    });
    (role.groups ?? []).forEach((g, i) => {
      lines.push({
        text: `g, ${groupField(g)}, ${subject}`,
        origin: `role ${role.name}, groups[${i}]`,
      });
    });
  }
  return lines;
}

/**
 * The run-time policy of a project, as Argo CD's `ProjectPoliciesString`: for each role, an
 * implicit `p, proj:<p>:<r>, projects, get, <p>, allow`, the role's policies, and
 * `g, <group>, proj:<p>:<r>` per group (a group containing a comma is quoted).
 * @example
 * projectPolicyString({ metadata: { name: 'team-a' }, spec: { roles: [{ name: 'ci', groups: ['ci-bots'] }] } })
 * // 'p, proj:team-a:ci, projects, get, team-a, allow\ng, ci-bots, proj:team-a:ci'
 */
export function projectPolicyString(project: AppProject): string {
  return projectPolicyLines(project)
    .map((l) => l.text)
    .join('\n');
}

/** The run-time policy text of a project (`projectPolicyString`, or the given text). */
export function projectPolicyText(p: ProjectLike): string {
  return isProjectPolicy(p) ? p.policy : projectPolicyString(p);
}

export interface CompiledProjectPolicy {
  readonly name: string;
  /** the policy text the result was built from (cache key together with the name) */
  readonly text: string;
  readonly parsed: ParsedPolicy;
  /** false when the project's policy is not used (errors in `problems`): global policy only */
  readonly valid: boolean;
  readonly problems: readonly PolicyProblem[];
}

const LINE_BREAK = /[\r\n]/;

/**
 * Parses a project's run-time policy and checks it is safe to merge: every `p` line's subject and
 * every `g` line's role must be a role of this project (`proj:<name>:...`), and (for an AppProject)
 * role names must be valid and no policy or group may hold a line break, so one role entry can
 * never inject a second line. Any error makes the whole project policy unused (`valid: false`).
 */
export function compileProjectPolicy(
  project: ProjectLike,
  matchMode: MatchMode,
): CompiledProjectPolicy {
  const name = projectName(project);
  const source = `project ${name}`;
  const problems: PolicyProblem[] = [];
  let lines: PolicyLine[];
  if (isProjectPolicy(project)) {
    lines = project.policy.split('\n').map((text, i) => ({ text, origin: `line ${i + 1}` }));
  } else {
    for (const role of project.spec.roles ?? []) {
      if (!PROJECT_ROLE_NAME.test(role.name)) {
        problems.push({
          severity: 'error',
          source,
          line: 0,
          message: `role name "${excerpt(role.name)}" is invalid: use letters, digits, - and _ (not at the ends)`,
        });
      }
      (role.policies ?? []).forEach((p, i) => {
        if (LINE_BREAK.test(p)) {
          problems.push({
            severity: 'error',
            source,
            line: 0,
            message: `role ${role.name}, policies[${i}] contains a line break: write one policy per entry`,
          });
        }
      });
      (role.groups ?? []).forEach((g, i) => {
        if (LINE_BREAK.test(g)) {
          problems.push({
            severity: 'error',
            source,
            line: 0,
            message: `role ${role.name}, groups[${i}] contains a line break`,
          });
        }
      });
    }
    lines = projectPolicyLines(project);
  }
  const text = lines.map((l) => l.text).join('\n');
  const parsed = parsePolicyCsv(text, { matchMode, sourceName: source });
  const originOf = (line: number): string => lines[line - 1]?.origin ?? `line ${line}`;
  for (const p of parsed.problems) {
    problems.push({ ...p, message: `${originOf(p.line)}: ${p.message}` });
  }
  const prefix = `proj:${name}:`;
  for (const r of parsed.permissions) {
    if (!r.subject.startsWith(prefix)) {
      problems.push({
        severity: 'error',
        source,
        line: r.line,
        message: `${originOf(r.line)}: the subject must be a role of this project (${prefix}<role>), not "${excerpt(r.subject)}"`,
      });
    }
  }
  for (const g of parsed.groupings) {
    if (!g.role.startsWith(prefix)) {
      problems.push({
        severity: 'error',
        source,
        line: g.line,
        message: `${originOf(g.line)}: a project may only bind groups to its own roles (${prefix}<role>), not to "${excerpt(g.role)}"`,
      });
    }
  }
  const valid = !problems.some((p) => p.severity === 'error');
  return { name, text, parsed, valid, problems };
}

const POLICY_OBJECT_CHARS = /^[*\w.-]+$/;

/**
 * Argo CD's API validation of one project role policy line (AppProject create/update): exactly
 * `p, proj:<project>:<role>, <resource>, <action>, <project>/<object>, allow|deny`, the resource
 * one of applications, applicationsets, repositories, clusters, logs, exec. Returns what is wrong,
 * or undefined when the line is valid.
 * @example
 * validateProjectRolePolicy('team-a', 'ci', 'p, proj:team-a:ci, applications, sync, team-a/*, allow') // undefined
 */
export function validateProjectRolePolicy(
  project: string,
  role: string,
  policy: string,
): string | undefined {
  const csv = readCsvLine(trimGoSpace(policy));
  const shape = 'p, sub, res, act, obj, eft';
  if (!csv.ok) return `invalid policy rule '${excerpt(policy)}': ${csv.message}`;
  const f = csv.fields.map((x) => trimGoSpace(x));
  if (f.length !== 6 || f[0] !== 'p') {
    return `invalid policy rule '${excerpt(policy)}': must be of the form: '${shape}'`;
  }
  const [, subject = '', resource = '', action = '', object = '', effect = ''] = f;
  const expected = projectRoleSubject(project, role);
  if (subject !== expected) {
    return `invalid policy rule '${excerpt(policy)}': policy subject must be: '${expected}', not '${excerpt(subject)}'`;
  }
  if (!ProjectRoleResources.has(resource)) {
    return `invalid policy rule '${excerpt(policy)}': project resource must be: 'applications', 'applicationsets', 'repositories', 'exec', 'logs' or 'clusters', not '${excerpt(resource)}'`;
  }
  if (action === '') return `invalid policy rule '${excerpt(policy)}': invalid action '${action}'`;
  const parts = object.startsWith(`${project}/`) ? object.slice(project.length + 1).split('/') : [];
  if (parts.length < 1 || parts.length > 2 || !parts.every((p) => POLICY_OBJECT_CHARS.test(p))) {
    return `invalid policy rule '${excerpt(policy)}': object must be of form '${project}/*', '${project}[/<NAMESPACE>]/<APPNAME>' or '${project}/<APPNAME>', not '${excerpt(object)}'`;
  }
  if (effect !== 'allow' && effect !== 'deny') {
    return `invalid policy rule '${excerpt(policy)}': effect must be: 'allow' or 'deny'`;
  }
  return undefined;
}
