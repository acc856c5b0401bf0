/** `argocd proj ...` and `argocd proj role ...` actions. */
import {
  API_GROUP_VERSION,
  Kinds,
  PROJECT_ROLE_NAME,
  type AppProject,
  type AppProjectSpec,
  type GroupKind,
  type JwtToken,
  type ProjectRole,
} from '../../apis/index.js';
import { ClientError, toInt64 } from '../../client/index.js';
import { isRecord } from '../../lib/index.js';
import type { CommandContext } from '../context.js';
import type { Opts } from '../define.js';
import { formatUnixTime, parseExpiresIn } from '../durations.js';
import { CliError, usageError } from '../errors.js';
import { readManifestFile } from '../manifests.js';
import { parseOutputFormat, toJson, toYaml } from '../output/format.js';
import { formatTable } from '../output/table.js';
import { readUnverifiedClaims } from '../token-claims.js';

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function checkProjectName(name: string): void {
  if (name.length > 253 || !NAME.test(name))
    throw usageError(
      `invalid project name "${name}": use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit`,
    );
}

function checkRoleName(role: string): void {
  if (!PROJECT_ROLE_NAME.test(role))
    throw usageError(
      `invalid role name "${role}": use letters, digits, '-' and '_', starting and ending with a letter or digit`,
    );
}

/** `group/kind` (core group: `/Namespace` or `Namespace`). */
export function parseGroupKind(text: string, flag: string): GroupKind {
  const i = text.lastIndexOf('/');
  const group = i === -1 ? '' : text.slice(0, i);
  const kind = i === -1 ? text : text.slice(i + 1);
  if (kind === '')
    throw usageError(
      `invalid ${flag} "${text}": use group/kind, e.g. apps/Deployment or /Namespace`,
    );
  return { group, kind };
}

/** `server,namespace` of `--dest`; a value without `://` is a cluster name. */
export function parseDestination(text: string): {
  server?: string;
  name?: string;
  namespace: string;
} {
  const i = text.lastIndexOf(',');
  if (i <= 0)
    throw usageError(`invalid --dest "${text}": use <server URL or cluster name>,<namespace>`);
  const target = text.slice(0, i).trim();
  const namespace = text.slice(i + 1).trim();
  if (namespace === '')
    throw usageError(`invalid --dest "${text}": the namespace is missing (use * for any)`);
  return target.includes('://') || target === '*'
    ? { server: target, namespace }
    : { name: target, namespace };
}

/** The project spec from `proj create` flags, on top of `base`. */
export function projectSpecFromFlags(opts: Opts, base: AppProjectSpec = {}): AppProjectSpec {
  const spec: AppProjectSpec = { ...base };
  const desc = opts.string('description');
  if (desc !== undefined) spec.description = desc;
  const dests = opts.list('dest').map(parseDestination);
  if (dests.length > 0) spec.destinations = [...(spec.destinations ?? []), ...dests];
  const srcs = opts.list('src');
  if (srcs.length > 0) spec.sourceRepos = [...(spec.sourceRepos ?? []), ...srcs];
  const srcNs = opts.list('sourceNamespaces');
  if (srcNs.length > 0) spec.sourceNamespaces = [...(spec.sourceNamespaces ?? []), ...srcNs];
  const gk = (key: string, flag: string): GroupKind[] =>
    opts.list(key).map((t) => parseGroupKind(t, flag));
  const acr = gk('allowClusterResource', '--allow-cluster-resource');
  if (acr.length > 0)
    spec.clusterResourceWhitelist = [...(spec.clusterResourceWhitelist ?? []), ...acr];
  const dcr = gk('denyClusterResource', '--deny-cluster-resource');
  if (dcr.length > 0)
    spec.clusterResourceBlacklist = [...(spec.clusterResourceBlacklist ?? []), ...dcr];
  const anr = gk('allowNamespacedResource', '--allow-namespaced-resource');
  if (anr.length > 0)
    spec.namespaceResourceWhitelist = [...(spec.namespaceResourceWhitelist ?? []), ...anr];
  const dnr = gk('denyNamespacedResource', '--deny-namespaced-resource');
  if (dnr.length > 0)
    spec.namespaceResourceBlacklist = [...(spec.namespaceResourceBlacklist ?? []), ...dnr];
  if (opts.flag('orphanedResources') || opts.flag('orphanedResourcesWarn'))
    spec.orphanedResources = { warn: opts.flag('orphanedResourcesWarn') };
  return spec;
}

export async function projCreate(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  let base: AppProject | undefined;
  const file = opts.string('file');
  if (file !== undefined) {
    const docs = (await readManifestFile(ctx.io, file)).filter(
      (d) => isRecord(d) && d.kind === 'AppProject',
    );
    if (docs.length !== 1)
      throw new CliError(
        'ERR_CLI_INPUT',
        `${file} must hold exactly one AppProject (found ${docs.length})`,
      );
    base = docs[0] as AppProject;
  }
  const name = args[0] ?? base?.metadata.name;
  if (!name) throw usageError('a project name is required');
  if (base?.metadata.name && args[0] && base.metadata.name !== args[0])
    throw usageError(`the name "${args[0]}" and the file's "${base.metadata.name}" disagree`);
  checkProjectName(name);
  const project: AppProject = {
    apiVersion: API_GROUP_VERSION,
    kind: Kinds.AppProject,
    metadata: { ...(base?.metadata ?? {}), name },
    spec: projectSpecFromFlags(opts, base?.spec ?? {}),
  };
  const client = await ctx.client();
  await client.createProject(project, opts.flag('upsert'));
  ctx.out(`project '${name}' created\n`);
  return undefined;
}

const list = (v: readonly string[] | undefined): string =>
  v && v.length > 0 ? v.join(',') : '<none>';
const gks = (v: readonly { group: string; kind: string }[] | undefined): string =>
  v && v.length > 0 ? v.map((g) => `${g.group}/${g.kind}`).join(', ') : '<none>';
const dests = (p: AppProject): string =>
  list((p.spec.destinations ?? []).map((d) => `${d.server ?? d.name ?? ''},${d.namespace ?? ''}`));

export async function projGet(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const format = parseOutputFormat(opts.string('output'), [
    'table',
    'json',
    'yaml',
    'wide',
  ] as const);
  const p = await (await ctx.client()).getProject(args[0] ?? '');
  if (format === 'json') ctx.out(toJson(p));
  else if (format === 'yaml') ctx.out(toYaml(p));
  else {
    const s = p.spec;
    const field = (k: string, v: string): string => `${`${k}:`.padEnd(29)}${v}`;
    const orphaned = s.orphanedResources
      ? `enabled (warn=${s.orphanedResources.warn === true})`
      : 'disabled';
    ctx.out(
      [
        field('Name', p.metadata.name ?? ''),
        field('Description', s.description ?? ''),
        field('Destinations', dests(p)),
        field('Repositories', list(s.sourceRepos)),
        field('Source Namespaces', list(s.sourceNamespaces)),
        field('Allowed Cluster Resources', gks(s.clusterResourceWhitelist)),
        field('Denied Cluster Resources', gks(s.clusterResourceBlacklist)),
        field(
          'Allowed Namespaced Resources',
          s.namespaceResourceWhitelist ? gks(s.namespaceResourceWhitelist) : '<all>',
        ),
        field('Denied Namespaced Resources', gks(s.namespaceResourceBlacklist)),
        field('Roles', list((s.roles ?? []).map((r) => r.name))),
        field('Sync Windows', String((s.syncWindows ?? []).length)),
        field('Orphaned Resources', orphaned),
      ]
        .map((l) => l.trimEnd())
        .join('\n') + '\n',
    );
  }
  return undefined;
}

export async function projList(
  ctx: CommandContext,
  _args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const format = parseOutputFormat(opts.string('output'), [
    'table',
    'json',
    'yaml',
    'wide',
    'name',
  ] as const);
  const projects = await (await ctx.client()).listProjects();
  if (format === 'json') ctx.out(toJson(projects));
  else if (format === 'yaml') ctx.out(toYaml(projects));
  else if (format === 'name') ctx.out(projects.map((p) => `${p.metadata.name ?? ''}\n`).join(''));
  else {
    const headers = [
      'NAME',
      'DESCRIPTION',
      'DESTINATIONS',
      'SOURCES',
      'CLUSTER-RESOURCE-WHITELIST',
      'NAMESPACE-RESOURCE-BLACKLIST',
      'ORPHANED-RESOURCES',
    ];
    if (format === 'wide') headers.push('ROLES', 'SOURCE-NAMESPACES');
    ctx.out(
      formatTable(
        headers,
        projects.map((p) => {
          const row = [
            p.metadata.name ?? '',
            p.spec.description ?? '',
            dests(p),
            list(p.spec.sourceRepos),
            gks(p.spec.clusterResourceWhitelist),
            gks(p.spec.namespaceResourceBlacklist),
            p.spec.orphanedResources ? 'enabled' : 'disabled',
          ];
          if (format === 'wide')
            row.push(list((p.spec.roles ?? []).map((r) => r.name)), list(p.spec.sourceNamespaces));
          return row;
        }),
      ),
    );
  }
  return undefined;
}

export async function projDelete(ctx: CommandContext, args: readonly string[]): Promise<undefined> {
  const client = await ctx.client();
  for (const name of args) {
    await client.deleteProject(name);
    ctx.out(`project '${name}' deleted\n`);
  }
  return undefined;
}

// --- roles ------------------------------------------------------------------------------------

/** Reads a project, changes one role with `edit`, writes it back (retrying on a conflict). */
async function editRole(
  ctx: CommandContext,
  project: string,
  role: string,
  edit: (roles: ProjectRole[], index: number) => ProjectRole[],
): Promise<void> {
  checkRoleName(role);
  const client = await ctx.client();
  for (let attempt = 0; ; attempt++) {
    const p = await client.getProject(project);
    const roles = [...(p.spec.roles ?? [])];
    const next = edit(
      roles,
      roles.findIndex((r) => r.name === role),
    );
    try {
      await client.updateProject({ ...p, spec: { ...p.spec, roles: next } });
      return;
    } catch (err) {
      // another writer changed the project in between: read it again (twice at most)
      const conflict =
        err instanceof ClientError &&
        (err.httpStatus === 409 || err.grpcCode === 10 || err.grpcCode === 9);
      if (!conflict || attempt >= 2) throw err;
    }
  }
}

function roleMissing(project: string, role: string): CliError {
  return new CliError(
    'ERR_CLI_NOT_FOUND',
    `project "${project}" has no role "${role}": 'argocd proj role list ${project}' lists them`,
  );
}

export async function roleCreate(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const [project = '', role = ''] = args;
  const description = opts.string('description');
  await editRole(ctx, project, role, (roles, i) => {
    if (i !== -1)
      throw new CliError('ERR_CLI_FAILED', `role "${role}" already exists in project "${project}"`);
    return [...roles, { name: role, ...(description !== undefined ? { description } : {}) }];
  });
  ctx.out(`Role '${role}' created\n`);
  return undefined;
}

export async function roleDelete(ctx: CommandContext, args: readonly string[]): Promise<undefined> {
  const [project = '', role = ''] = args;
  await editRole(ctx, project, role, (roles, i) => {
    if (i === -1) throw roleMissing(project, role);
    return roles.filter((r) => r.name !== role);
  });
  ctx.out(`Role '${role}' deleted\n`);
  return undefined;
}

/** The policy line of `add-policy`/`remove-policy` (Argo CD's format). */
export function rolePolicy(project: string, role: string, opts: Opts): string {
  const action = opts.string('action');
  const object = opts.string('object');
  const permission = opts.string('permission') ?? 'allow';
  const resource = opts.string('resource') ?? 'applications';
  if (!action) throw usageError('--action (-a) is required, e.g. -a sync');
  if (!object) throw usageError("--object (-o) is required, e.g. -o '*' or -o <app name>");
  if (permission !== 'allow' && permission !== 'deny')
    throw usageError(`invalid --permission "${permission}": use allow or deny`);
  const resources = ['applications', 'applicationsets', 'repositories', 'clusters', 'logs', 'exec'];
  if (!resources.includes(resource))
    throw usageError(
      `invalid --resource "${resource}": a project role may only name ${resources.join(', ')}`,
    );
  for (const [v, flag] of [
    [action, '--action'],
    [object, '--object'],
  ] as const)
    if (/[,\n\r"]/.test(v))
      throw usageError(`invalid ${flag} "${v}": commas, quotes and line breaks are not allowed`);
  return `p, proj:${project}:${role}, ${resource}, ${action}, ${project}/${object}, ${permission}`;
}

export async function roleAddPolicy(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const [project = '', role = ''] = args;
  const policy = rolePolicy(project, role, opts);
  await editRole(ctx, project, role, (roles, i) => {
    const r = roles[i];
    if (!r) throw roleMissing(project, role);
    if ((r.policies ?? []).includes(policy)) return roles;
    roles[i] = { ...r, policies: [...(r.policies ?? []), policy] };
    return roles;
  });
  ctx.out(`Policy added to role '${role}': ${policy}\n`);
  return undefined;
}

export async function roleRemovePolicy(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const [project = '', role = ''] = args;
  const policy = rolePolicy(project, role, opts);
  await editRole(ctx, project, role, (roles, i) => {
    const r = roles[i];
    if (!r) throw roleMissing(project, role);
    const norm = (s: string): string => s.replace(/\s+/g, '');
    const kept = (r.policies ?? []).filter((p) => norm(p) !== norm(policy));
    if (kept.length === (r.policies ?? []).length)
      throw new CliError('ERR_CLI_NOT_FOUND', `role "${role}" has no policy "${policy}"`);
    roles[i] = { ...r, policies: kept };
    return roles;
  });
  ctx.out(`Policy removed from role '${role}'\n`);
  return undefined;
}

function checkGroup(group: string): void {
  if (group === '' || /["\n\r\t]/.test(group) || group.trim() !== group)
    throw usageError(
      `invalid group "${group}": no quotes, tabs, line breaks or surrounding spaces`,
    );
}

export async function roleAddGroup(
  ctx: CommandContext,
  args: readonly string[],
): Promise<undefined> {
  const [project = '', role = '', group = ''] = args;
  checkGroup(group);
  await editRole(ctx, project, role, (roles, i) => {
    const r = roles[i];
    if (!r) throw roleMissing(project, role);
    if (!(r.groups ?? []).includes(group))
      roles[i] = { ...r, groups: [...(r.groups ?? []), group] };
    return roles;
  });
  ctx.out(`Group '${group}' added to role '${role}'\n`);
  return undefined;
}

export async function roleRemoveGroup(
  ctx: CommandContext,
  args: readonly string[],
): Promise<undefined> {
  const [project = '', role = '', group = ''] = args;
  await editRole(ctx, project, role, (roles, i) => {
    const r = roles[i];
    if (!r) throw roleMissing(project, role);
    if (!(r.groups ?? []).includes(group))
      throw new CliError('ERR_CLI_NOT_FOUND', `role "${role}" has no group "${group}"`);
    roles[i] = { ...r, groups: (r.groups ?? []).filter((g) => g !== group) };
    return roles;
  });
  ctx.out(`Group '${group}' removed from role '${role}'\n`);
  return undefined;
}

/** The tokens of a role: `status.jwtTokensByRole`, else the legacy `spec.roles[].jwtTokens`. */
export function roleTokens(p: AppProject, role: string): JwtToken[] {
  const byRole = p.status?.jwtTokensByRole?.[role]?.items;
  if (byRole && byRole.length > 0) return byRole;
  return p.spec.roles?.find((r) => r.name === role)?.jwtTokens ?? [];
}

export async function roleList(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const format = parseOutputFormat(opts.string('output'), [
    'table',
    'json',
    'yaml',
    'name',
  ] as const);
  const p = await (await ctx.client()).getProject(args[0] ?? '');
  const roles = p.spec.roles ?? [];
  if (format === 'json') ctx.out(toJson(roles));
  else if (format === 'yaml') ctx.out(toYaml(roles));
  else if (format === 'name') ctx.out(roles.map((r) => `${r.name}\n`).join(''));
  else
    ctx.out(
      formatTable(
        ['ROLE-NAME', 'DESCRIPTION'],
        roles.map((r) => [r.name, r.description ?? '']),
      ),
    );
  return undefined;
}

export async function roleGet(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const format = parseOutputFormat(opts.string('output'), ['table', 'json', 'yaml'] as const);
  const [project = '', role = ''] = args;
  const p = await (await ctx.client()).getProject(project);
  const r = p.spec.roles?.find((x) => x.name === role);
  if (!r) throw roleMissing(project, role);
  const tokens = roleTokens(p, role);
  if (format !== 'table') {
    const doc = { ...r, jwtTokens: tokens };
    ctx.out(format === 'json' ? toJson(doc) : toYaml(doc));
    return undefined;
  }
  const lines = [
    `Role Name:     ${r.name}`,
    `Description:   ${r.description ?? ''}`.trimEnd(),
    'Policies:',
    ...(r.policies ?? []),
    'Groups:',
    ...(r.groups ?? []),
    'JWT Tokens:',
  ];
  ctx.out(`${lines.join('\n')}\n`);
  ctx.out(
    formatTable(
      ['ID', 'ISSUED-AT', 'EXPIRES-AT'],
      tokens.map((t) => [
        t.id ?? String(t.iat),
        `${toInt64(t.iat) ?? 0} (${formatUnixTime(toInt64(t.iat) ?? 0)})`,
        formatUnixTime(toInt64(t.exp)),
      ]),
    ),
  );
  return undefined;
}

export async function roleCreateToken(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const [project = '', role = ''] = args;
  checkRoleName(role);
  const expires = opts.string('expiresIn');
  const expiresIn = expires !== undefined ? parseExpiresIn(expires) : undefined;
  const id = opts.string('id');
  const description = opts.string('description');
  const token = await (
    await ctx.client()
  ).createProjectToken(project, role, {
    ...(expiresIn !== undefined ? { expiresIn } : {}),
    ...(id !== undefined ? { id } : {}),
    ...(description !== undefined ? { description } : {}),
  });
  ctx.secrets.push(token);
  if (opts.flag('tokenOnly')) {
    ctx.out(`${token}\n`);
    return undefined;
  }
  const claims = readUnverifiedClaims(token);
  ctx.out(
    [
      `Create token succeeded for proj:${project}:${role}.`,
      `  ID: ${claims?.jti ?? id ?? ''}`,
      `  Issued At: ${formatUnixTime(claims?.iat)}`,
      `  Expires At: ${formatUnixTime(claims?.exp)}`,
      `  Token: ${token}`,
    ].join('\n') + '\n',
  );
  return undefined;
}

export async function roleDeleteToken(
  ctx: CommandContext,
  args: readonly string[],
): Promise<undefined> {
  const [project = '', role = '', which = ''] = args;
  const client = await ctx.client();
  let iat: number;
  let id: string | undefined;
  if (/^\d+$/.test(which)) iat = Number(which);
  else {
    const p = await client.getProject(project);
    const t = roleTokens(p, role).find((x) => x.id === which);
    if (!t)
      throw new CliError(
        'ERR_CLI_NOT_FOUND',
        `role "${role}" of project "${project}" has no token "${which}"`,
      );
    iat = toInt64(t.iat) ?? 0;
    id = which;
  }
  await client.deleteProjectToken(project, role, iat, id);
  ctx.out(`Token '${which}' of role '${role}' deleted\n`);
  return undefined;
}
