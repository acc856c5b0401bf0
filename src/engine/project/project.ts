/**
 * AppProject rules, pure (no I/O): which sources, destinations and resource kinds an Application of
 * the project may use. The controller checks them before anything is compared or applied; the API
 * server reuses them through `src/engine/index.ts` (moved here from `src/controller`).
 *
 * Semantics (Argo CD's documented rules, without its negation quirk):
 * - `sourceRepos`: globs over normalised URLs (lower-cased, trimmed, trailing `/` and `.git`
 *   removed, scp-style `git@host:org/repo` read as `ssh://git@host/org/repo`); `/` is a separator
 *   for `*`, `**` crosses it; `*` alone allows everything. A `!pattern` only ever **denies**: a
 *   repository is permitted when some plain pattern matches it and no `!` pattern does. `!*` is
 *   refused as a project error.
 * - `destinations[]{server, name, namespace}`: globs; a rule with a `!` in any field is a deny rule
 *   that matches when every field matches (the `!` fields by their pattern); a destination is
 *   permitted when an allow rule matches (server or name, and namespace) and no deny rule does.
 * - cluster-scoped kinds: allowed only when `clusterResourceWhitelist` lists them (empty = none)
 *   and `clusterResourceBlacklist` does not; namespaced kinds: allowed unless blacklisted, and,
 *   when `namespaceResourceWhitelist` is set (even empty), only when whitelisted.
 */
import type { AppProject, ApplicationSource } from '../../apis/index.js';
import { globMatch } from '../../lib/index.js';

/** One refused rule, with a message that names it. */
export interface ProjectViolation {
  readonly rule:
    | 'project'
    | 'sourceRepos'
    | 'destinations'
    | 'clusterResourceWhitelist'
    | 'clusterResourceBlacklist'
    | 'namespaceResourceWhitelist'
    | 'namespaceResourceBlacklist';
  readonly message: string;
}

const SEP = { separators: ['/'] } as const;

/** Argo CD's URL normalisation for project matching. */
export function normalizeRepoUrl(url: string): string {
  let u = url.trim().toLowerCase();
  const scp = /^([a-z0-9._-]+@)?([a-z0-9.-]+):(?!\/\/)(?!\d+\/)(.+)$/.exec(u);
  if (scp && !u.includes('://')) u = `ssh://${scp[1] ?? ''}${scp[2] ?? ''}/${scp[3] ?? ''}`;
  u = u.replace(/\/+$/, '');
  if (u.endsWith('.git')) u = u.slice(0, -4);
  return u;
}

function repoPatternMatches(pattern: string, normalizedRepo: string): boolean {
  if (pattern === '*') return true;
  const p = normalizeRepoUrl(pattern);
  return p === normalizedRepo || globMatch(p, normalizedRepo, SEP);
}

/** Problems of the project itself (reported for every app of the project). */
export function validateProject(project: AppProject): ProjectViolation[] {
  const out: ProjectViolation[] = [];
  for (const p of project.spec.sourceRepos ?? []) {
    if (p.trim() === '!*')
      out.push({
        rule: 'sourceRepos',
        message: `project '${project.metadata.name ?? ''}' has the invalid sourceRepos pattern '!*' (it would deny every repository; remove it)`,
      });
  }
  return out;
}

/** Whether a repository URL is permitted; undefined when it is, else the violation. */
export function checkSourceRepo(
  project: AppProject,
  repoURL: string,
): ProjectViolation | undefined {
  const name = project.metadata.name ?? '';
  const repo = normalizeRepoUrl(repoURL);
  const patterns = project.spec.sourceRepos ?? [];
  for (const p of patterns) {
    const t = p.trim();
    if (t.startsWith('!') && repoPatternMatches(t.slice(1), repo))
      return {
        rule: 'sourceRepos',
        message: `application repo ${repoURL} is not permitted in project '${name}': denied by sourceRepos pattern '${t}'`,
      };
  }
  if (patterns.some((p) => !p.trim().startsWith('!') && repoPatternMatches(p.trim(), repo)))
    return undefined;
  return {
    rule: 'sourceRepos',
    message: `application repo ${repoURL} is not permitted in project '${name}': it matches none of the sourceRepos patterns`,
  };
}

/** A destination after the cluster name or server was resolved (both known when possible). */
export interface ResolvedDestination {
  readonly server: string;
  readonly name?: string;
  readonly namespace: string;
}

function fieldMatches(pattern: string | undefined, value: string | undefined): boolean {
  if (pattern === undefined || pattern === '') return false;
  const p = pattern.startsWith('!') ? pattern.slice(1) : pattern;
  return value !== undefined && globMatch(p, value);
}

function isDenyRule(rule: { server?: string; name?: string; namespace?: string }): boolean {
  return [rule.server, rule.name, rule.namespace].some((f) => f?.startsWith('!') === true);
}

/** Whether a destination (server/name + namespace) is permitted. */
export function checkDestination(
  project: AppProject,
  dest: ResolvedDestination,
): ProjectViolation | undefined {
  const name = project.metadata.name ?? '';
  const rules = project.spec.destinations ?? [];
  const nsOf = (r: { namespace?: string }): string => r.namespace ?? '';
  for (const r of rules) {
    if (!isDenyRule(r)) continue;
    const clusterField = [r.server, r.name].filter((f) => f !== undefined && f !== '');
    const clusterOk =
      (r.server === undefined || r.server === '' || fieldMatches(r.server, dest.server)) &&
      (r.name === undefined || r.name === '' || fieldMatches(r.name, dest.name)) &&
      clusterField.length > 0;
    const nsOk = nsOf(r) === '' ? true : fieldMatches(nsOf(r), dest.namespace);
    if (clusterOk && nsOk)
      return {
        rule: 'destinations',
        message: `application destination server '${dest.server}' and namespace '${dest.namespace}' are denied by the destination rule ${describeRule(r)} of project '${name}'`,
      };
  }
  for (const r of rules) {
    if (isDenyRule(r)) continue;
    const cluster = fieldMatches(r.server, dest.server) || fieldMatches(r.name, dest.name);
    if (cluster && globMatch(nsOf(r), dest.namespace)) return undefined;
  }
  return {
    rule: 'destinations',
    message: `application destination server '${dest.server}' and namespace '${dest.namespace}' do not match any of the allowed destinations in project '${name}'`,
  };
}

function describeRule(r: { server?: string; name?: string; namespace?: string }): string {
  const parts: string[] = [];
  if (r.server) parts.push(`server '${r.server}'`);
  if (r.name) parts.push(`name '${r.name}'`);
  parts.push(`namespace '${r.namespace ?? ''}'`);
  return `{${parts.join(', ')}}`;
}

interface KindRule {
  readonly group: string;
  readonly kind: string;
  readonly name?: string;
}

function inList(list: readonly KindRule[], group: string, kind: string, objName?: string): boolean {
  return list.some(
    (r) =>
      (r.group === group || globMatch(r.group, group)) &&
      (r.kind === kind || globMatch(r.kind, kind)) &&
      (r.name === undefined ||
        r.name === '' ||
        objName === undefined ||
        globMatch(r.name, objName)),
  );
}

function gkText(group: string, kind: string): string {
  return `${group === '' ? '' : group}:${kind}`;
}

/** Whether a kind may be managed: `namespaced` from discovery (cluster-scoped when false). */
export function checkResourceKind(
  project: AppProject,
  res: { group: string; kind: string; name?: string; namespaced: boolean },
): ProjectViolation | undefined {
  const pname = project.metadata.name ?? '';
  const spec = project.spec;
  const gk = gkText(res.group, res.kind);
  if (!res.namespaced) {
    if (!inList(spec.clusterResourceWhitelist ?? [], res.group, res.kind, res.name))
      return {
        rule: 'clusterResourceWhitelist',
        message: `resource ${gk} is not permitted in project ${pname}: cluster-scoped ${gk} is not in clusterResourceWhitelist`,
      };
    if (inList(spec.clusterResourceBlacklist ?? [], res.group, res.kind, res.name))
      return {
        rule: 'clusterResourceBlacklist',
        message: `resource ${gk} is not permitted in project ${pname}: cluster-scoped ${gk} is in clusterResourceBlacklist`,
      };
    return undefined;
  }
  const white = spec.namespaceResourceWhitelist;
  if (white !== undefined && !inList(white, res.group, res.kind))
    return {
      rule: 'namespaceResourceWhitelist',
      message: `resource ${gk} is not permitted in project ${pname}: ${gk} is not in namespaceResourceWhitelist`,
    };
  if (inList(spec.namespaceResourceBlacklist ?? [], res.group, res.kind))
    return {
      rule: 'namespaceResourceBlacklist',
      message: `resource ${gk} is not permitted in project ${pname}: ${gk} is in namespaceResourceBlacklist`,
    };
  return undefined;
}

/** Checks the project itself, every source and the destination of an application. */
export function checkApplicationSpec(
  project: AppProject,
  sources: readonly ApplicationSource[],
  dest: ResolvedDestination,
): ProjectViolation[] {
  const out = validateProject(project);
  for (const s of sources) {
    const v = checkSourceRepo(project, s.repoURL);
    if (v) out.push(v);
  }
  const d = checkDestination(project, dest);
  if (d) out.push(d);
  return out;
}

/** Checks the objects an app would manage: kinds and, for namespaced ones, their namespace. */
export function checkResources(
  project: AppProject,
  dest: ResolvedDestination,
  objects: readonly {
    group: string;
    kind: string;
    namespace: string;
    name: string;
    namespaced: boolean;
  }[],
): ProjectViolation[] {
  const out: ProjectViolation[] = [];
  const seen = new Set<string>();
  for (const o of objects) {
    const v = checkResourceKind(project, o);
    if (v) {
      if (!seen.has(v.message)) out.push(v);
      seen.add(v.message);
      continue;
    }
    if (o.namespaced && o.namespace !== dest.namespace) {
      const d = checkDestination(project, { ...dest, namespace: o.namespace });
      if (d && !seen.has(d.message)) {
        seen.add(d.message);
        out.push({
          rule: 'destinations',
          message: `namespace ${o.namespace} of ${o.kind} ${o.name} is not permitted in project '${project.metadata.name ?? ''}': ${d.message}`,
        });
      }
    }
  }
  return out;
}
