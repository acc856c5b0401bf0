/**
 * Parsing and validation of Argo CD policy CSV (`policy.csv`, `policy.<x>.csv`, project role
 * policies). The accepted syntax is what Argo CD's loader accepts, with deliberate tightenings
 * (docs/rbac.md, "Parsing"): an effect other than `allow`/`deny`, an empty field, an invalid
 * regular expression (regex mode) and a glob with more than 256 brace alternatives are errors
 * here, where Argo CD silently ignores the line or fails the check at run time.
 */
import { sanitizeText } from '../lib/index.js';
import { BUILTIN_POLICY } from './builtin-policy.js';
import { isGoSpace, readCsvLine, trimGoSpace } from './csv.js';
import { compilePattern, type MatchMode } from './match.js';
import { isRbacBaseAction, isRbacResource, rbacResourceList } from './vocab.js';

export type Effect = 'allow' | 'deny';

/** Where a policy text came from: a ConfigMap key (`policy.csv`), `builtin`, `project <name>`. */
export interface PolicySource {
  readonly name: string;
  readonly text: string;
}

/** Points at the line a rule came from, for problems and audit decisions. */
export interface RuleOrigin {
  readonly source: string;
  /** 1-based line number inside `source` */
  readonly line: number;
  /** the line as written (trimmed) */
  readonly text: string;
}

/** A rule as decisions report it: where it came from and its effect. */
export interface RuleRef extends RuleOrigin {
  readonly effect: Effect;
}

/** A `p` line. */
export interface PermissionRule extends RuleOrigin {
  readonly subject: string;
  readonly resource: string;
  readonly action: string;
  readonly object: string;
  readonly effect: Effect;
}

/** A `g` line: `subject` gets every permission of `role`. */
export interface GroupingRule extends RuleOrigin {
  readonly subject: string;
  readonly role: string;
}

export interface PolicyProblem {
  readonly severity: 'error' | 'warning';
  readonly source: string;
  /** 1-based line number; 0 when the problem is not about one line */
  readonly line: number;
  /** 1-based column, when known */
  readonly column?: number;
  readonly message: string;
}

export interface ParsedPolicy {
  /** true when there is no problem of severity `error` */
  readonly valid: boolean;
  readonly permissions: readonly PermissionRule[];
  readonly groupings: readonly GroupingRule[];
  readonly problems: readonly PolicyProblem[];
}

export interface ParseOptions {
  /** how resource/action/object patterns match; regex mode checks each pattern compiles */
  readonly matchMode?: MatchMode;
  /** the source name used when `input` is a plain string; default `policy.csv` */
  readonly sourceName?: string;
}

const P_FIELDS = ['p', 'subject', 'resource', 'action', 'object', 'effect'] as const;
const G_FIELDS = ['g', 'subject', 'role'] as const;
const GLOBISH = /[*?[\]{}\\]/;
const MAX_EXCERPT = 120;

/** The line as it may appear in a message: sanitised and shortened. */
export function excerpt(text: string): string {
  const clean = sanitizeText(text);
  return clean.length > MAX_EXCERPT ? `${clean.slice(0, MAX_EXCERPT)}...` : clean;
}

/** "policy.csv line 3" */
export function formatProblem(p: PolicyProblem): string {
  const where = p.line > 0 ? `${p.source} line ${p.line}` : p.source;
  return `${where}${p.severity === 'warning' ? ' (warning)' : ''}: ${p.message}`;
}

function normaliseSources(
  input: string | readonly PolicySource[],
  sourceName: string,
): readonly PolicySource[] {
  return typeof input === 'string' ? [{ name: sourceName, text: input }] : input;
}

function isSubResourceAction(action: string): boolean {
  return (
    action.startsWith('update/') || action.startsWith('delete/') || action.startsWith('action/')
  );
}

/**
 * Parses policy CSV. Never throws on bad input: every problem is returned with its source and
 * 1-based line number, saying what is wrong and how to fix it.
 * @example
 * const parsed = parsePolicyCsv('p, role:dev, applications, sync, dev/*, allow\ng, my-org:devs, role:dev');
 * parsed.valid // true
 */
export function parsePolicyCsv(
  input: string | readonly PolicySource[],
  options: ParseOptions = {},
): ParsedPolicy {
  const matchMode = options.matchMode ?? 'glob';
  const permissions: PermissionRule[] = [];
  const groupings: GroupingRule[] = [];
  const problems: PolicyProblem[] = [];
  for (const src of normaliseSources(input, options.sourceName ?? 'policy.csv')) {
    const lines = src.text.split('\n');
    for (let idx = 0; idx < lines.length; idx++) {
      const line = trimGoSpace(lines[idx] ?? '');
      if (line === '' || line.startsWith('#')) continue;
      const lineNo = idx + 1;
      const problem = (
        message: string,
        severity: 'error' | 'warning' = 'error',
        column?: number,
      ) => {
        problems.push({
          severity,
          source: src.name,
          line: lineNo,
          ...(column === undefined ? {} : { column }),
          message,
        });
      };
      const csv = readCsvLine(line);
      if (!csv.ok) {
        problems.push({
          severity: 'error',
          source: src.name,
          line: lineNo,
          column: csv.column,
          message: `${csv.message}: ${excerpt(line)}`,
        });
        continue;
      }
      const f = csv.fields;
      const kind = f[0] ?? '';
      if (kind === 'p') {
        if (f.length !== P_FIELDS.length) {
          const hint =
            f.length === 5
              ? '; add the effect: ", allow" or ", deny"'
              : f.length > 6
                ? '; quote a field that contains a comma ("...")'
                : '';
          problem(
            `a p line has 6 fields (p, subject, resource, action, object, allow|deny) but this one has ${f.length}${hint}: ${excerpt(line)}`,
          );
          continue;
        }
        const [, subject = '', resource = '', action = '', object = '', effect = ''] = f;
        if (!checkFields(f, P_FIELDS, problem)) continue;
        if (effect !== 'allow' && effect !== 'deny') {
          problem(
            `the effect must be allow or deny, not "${excerpt(effect)}" (a misspelt deny would otherwise be ignored)`,
          );
          continue;
        }
        if (!checkPatterns([resource, action, object], matchMode, problem)) continue;
        if (matchMode === 'glob') {
          if (!GLOBISH.test(resource) && !isRbacResource(resource)) {
            problem(
              `resource "${excerpt(resource)}" is not one of ${rbacResourceList.join(', ')}; this line matches no request`,
              'warning',
            );
          }
          if (!GLOBISH.test(action) && !isRbacBaseAction(action) && !isSubResourceAction(action)) {
            problem(
              `action "${excerpt(action)}" is not a known action (get, create, update, delete, sync, rollback, override, action, invoke or update/..., delete/..., action/...); this line matches no request`,
              'warning',
            );
          }
        }
        permissions.push({
          subject,
          resource,
          action,
          object,
          effect,
          source: src.name,
          line: lineNo,
          text: line,
        });
      } else if (kind === 'g') {
        if (f.length !== G_FIELDS.length) {
          const hint = f.length > 3 ? '; quote a group name that contains a comma ("...")' : '';
          problem(
            `a g line has 3 fields (g, subject, role) but this one has ${f.length}${hint}: ${excerpt(line)}`,
          );
          continue;
        }
        if (!checkFields(f, G_FIELDS, problem)) continue;
        const [, subject = '', role = ''] = f;
        groupings.push({ subject, role, source: src.name, line: lineNo, text: line });
      } else {
        problem(
          `a line starts with p (a permission) or g (a role binding), not "${excerpt(kind)}"; comment lines start with #`,
        );
      }
    }
  }
  return {
    valid: !problems.some((p) => p.severity === 'error'),
    permissions,
    groupings,
    problems,
  };
}

function checkFields(
  fields: readonly string[],
  names: readonly string[],
  problem: (message: string, severity?: 'error' | 'warning') => void,
): boolean {
  for (let i = 1; i < fields.length; i++) {
    const v = fields[i] ?? '';
    const name = names[i] ?? `field ${i + 1}`;
    if (v === '') {
      problem(`the ${name} (field ${i + 1}) is empty`);
      return false;
    }
    if (i < fields.length - 1 && isGoSpace(v.charAt(v.length - 1))) {
      problem(
        `the ${name} "${excerpt(v)}" ends with a space, which is part of the value (as in Argo CD); remove it unless intended`,
        'warning',
      );
    }
  }
  return true;
}

function checkPatterns(
  patterns: readonly string[],
  mode: MatchMode,
  problem: (message: string, severity?: 'error' | 'warning') => void,
): boolean {
  for (const p of patterns) {
    const r = compilePattern(p, mode);
    if (!r.ok) {
      problem(
        mode === 'regex'
          ? `${r.message}; fix the expression or set policy.matchMode to glob`
          : r.message,
      );
      return false;
    }
    if (r.warning !== undefined) problem(r.warning, 'warning');
  }
  return true;
}

/**
 * Finds `g` bindings to roles that nothing defines: a role that is never the subject of a `p` or
 * `g` line anywhere (`role:amdin`). Project roles (`proj:...`) are defined by AppProjects and are
 * not checked. Returns warnings.
 */
export function undefinedRoleWarnings(
  parsed: readonly ParsedPolicy[],
  reportIn: ParsedPolicy,
): PolicyProblem[] {
  const defined = new Set<string>();
  for (const p of parsed) {
    for (const r of p.permissions) defined.add(r.subject);
    for (const g of p.groupings) defined.add(g.subject);
  }
  const out: PolicyProblem[] = [];
  for (const g of reportIn.groupings) {
    if (defined.has(g.role) || g.role.startsWith('proj:')) continue;
    out.push({
      severity: 'warning',
      source: g.source,
      line: g.line,
      message: `role "${excerpt(g.role)}" has no p or g lines of its own, so this binding grants nothing; check its spelling`,
    });
  }
  return out;
}

export interface ValidationResult {
  readonly valid: boolean;
  readonly problems: readonly PolicyProblem[];
}

/**
 * Validates a user policy the way `argocd admin settings rbac validate` does, plus warnings
 * (unknown resources and actions, undefined roles, trailing spaces). Roles the built-in policy
 * defines (`role:readonly`, `role:admin`) count as defined.
 * @example
 * validatePolicy('p, alice, applications, get, team-a/web').problems[0]?.line // 1
 */
export function validatePolicy(
  input: string | readonly PolicySource[],
  options: ParseOptions & { readonly builtinPolicy?: string } = {},
): ValidationResult {
  const parsed = parsePolicyCsv(input, options);
  const builtin = parsePolicyCsv(options.builtinPolicy ?? BUILTIN_POLICY, {
    sourceName: 'builtin',
  });
  const problems = [...parsed.problems, ...undefinedRoleWarnings([builtin, parsed], parsed)];
  return { valid: parsed.valid, problems };
}
