/** `argocd app ...` actions. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Application } from '../../apis/index.js';
import {
  ClientError,
  isNotFoundError,
  toInt64,
  type AppRef,
  type ApplicationSyncRequest,
  type ArgoCdClient,
  type ResourceKeyQuery,
} from '../../client/index.js';
import { errorMessage, isRecord, parseDuration } from '../../lib/index.js';
import {
  diffItemsFromManaged,
  diffItemsFromManifests,
  parseState,
  renderDiffs,
} from '../app/diff.js';
import {
  formatAppList,
  formatAppSummary,
  formatConditions,
  formatHistory,
  formatOperation,
  PROGRESS_HEADERS,
  progressCells,
  formatResources,
  formatTree,
  qualifiedName,
} from '../app/format.js';
import {
  appSpecFlagsFrom,
  applySpecFlags,
  buildApplication,
  keyValueMap,
  parseAppName,
} from '../app/spec.js';
import {
  checkReady,
  normalizeSelection,
  parseResourceSelector,
  ProgressTracker,
  selectResources,
  type ResourceSelector,
  type WaitSelection,
} from '../app/wait.js';
import type { CommandContext } from '../context.js';
import type { Opts } from '../define.js';
import { CliError, ExitCodes, usageError } from '../errors.js';
import { confirm } from '../io.js';
import { readManifestDir, readManifestFile } from '../manifests.js';
import { parseOutputFormat, toJson, toYaml } from '../output/format.js';
import { toDiffYaml } from '../output/diff.js';
import { formatTable, StreamingTable } from '../output/table.js';

function ref(name: string | undefined, opts: Opts): AppRef {
  if (name === undefined || name === '') throw usageError('an application name is required');
  return parseAppName(name, opts.string('appNamespace'));
}

async function serverUrl(client: ArgoCdClient): Promise<string | undefined> {
  try {
    return (await client.getSettings()).url;
  } catch {
    // the URL line of the summary is optional
    return undefined;
  }
}

function timeoutSeconds(opts: Opts): number {
  return opts.int('timeout', '--timeout', 0) ?? 0;
}

interface WaitOptions {
  readonly selection: WaitSelection;
  readonly selectors: readonly ResourceSelector[];
  readonly timeoutSec: number;
  readonly progress: boolean;
}

/**
 * Follows an application through the watch stream (re-reading it after a broken stream) until the
 * selection holds; prints resource changes as they happen. Throws ERR_CLI_TIMEOUT with what is
 * still missing.
 */
async function waitForApp(
  ctx: CommandContext,
  client: ArgoCdClient,
  r: AppRef,
  options: WaitOptions,
): Promise<Application> {
  const ac = new AbortController();
  const timer =
    options.timeoutSec > 0
      ? setTimeout(() => {
          ac.abort();
        }, options.timeoutSec * 1000)
      : undefined;
  const aborted = (): boolean => ac.signal.aborted;
  const tracker = new ProgressTracker();
  const table = new StreamingTable(PROGRESS_HEADERS);
  const report = (a: Application): boolean => {
    if (options.progress) {
      const rows = tracker.changed(a);
      if (rows.length > 0) ctx.out(table.rows(progressCells(rows, ctx.io.now())));
    }
    return checkReady(a, options.selection, options.selectors).ready;
  };
  try {
    let app = await client.getApplication(r);
    if (report(app)) return app;
    let backoffMs = 250;
    while (!aborted()) {
      try {
        for await (const ev of client.watchApplications(
          { name: r.name, ...(r.appNamespace ? { appNamespace: r.appNamespace } : {}) },
          ac.signal,
        )) {
          if (ev.application.metadata.name !== r.name) continue;
          if (ev.type === 'DELETED')
            throw new CliError(
              'ERR_CLI_FAILED',
              `application "${r.name}" was deleted while waiting for it`,
            );
          app = ev.application;
          backoffMs = 250;
          if (report(app)) return app;
        }
      } catch (err) {
        if (aborted()) break;
        if (err instanceof CliError) throw err;
        if (
          err instanceof ClientError &&
          err.code === 'ERR_CLIENT_API' &&
          err.grpcCode !== 14 &&
          err.grpcCode !== 13
        )
          throw err;
        ctx.log.debug(`watch of "${r.name}" broke (${errorMessage(err)}); reconnecting`);
      }
      if (aborted()) break;
      await sleep(backoffMs, undefined, { signal: ac.signal }).catch(() => undefined);
      backoffMs = Math.min(backoffMs * 2, 5000);
      if (aborted()) break;
      app = await client.getApplication(r);
      if (report(app)) return app;
    }
    const missing = checkReady(app, options.selection, options.selectors).waitingFor;
    throw new CliError(
      'ERR_CLI_TIMEOUT',
      `timed out (${options.timeoutSec}s) waiting for application "${r.name}": still waiting for ${missing.join(', ') || 'an update'}`,
    );
  } finally {
    if (timer) clearTimeout(timer);
    ac.abort();
  }
}

function resourceSelectors(opts: Opts): ResourceSelector[] {
  return opts.list('resource').map(parseResourceSelector);
}

function printApp(ctx: CommandContext, app: Application, format: 'table' | 'json' | 'yaml'): void {
  if (format === 'json') ctx.out(toJson(app));
  else if (format === 'yaml') ctx.out(toYaml(app));
}

/** Prints the result of an operation; throws when it did not succeed. */
async function finishOperation(
  ctx: CommandContext,
  client: ArgoCdClient,
  app: Application,
  format: 'table' | 'json' | 'yaml',
  dryRun: boolean,
): Promise<void> {
  const op = app.status?.operationState;
  if (format !== 'table') printApp(ctx, app, format);
  else {
    ctx.out(`\n${formatAppSummary(app, await serverUrl(client))}`);
    if (op) ctx.out(`\n${formatOperation(op, ctx.io.now())}`);
    const res = formatResources(app);
    if (res) ctx.out(`\n${res}`);
  }
  if (op && op.phase !== 'Succeeded')
    throw new CliError(
      'ERR_CLI_FAILED',
      `the operation on application "${qualifiedName(app)}" ended with phase ${op.phase}${op.message ? `: ${op.message}` : ''}`,
    );
  if (!dryRun && op) {
    const prune = (app.status?.resources ?? []).filter((r) => r.requiresPruning).length;
    if (prune > 0 && app.status?.sync?.status !== 'Synced')
      ctx.log.warn(`${prune} resources require pruning: sync again with --prune`);
  }
}

export async function appCreate(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const file = opts.string('file');
  let base: Application | undefined;
  if (file !== undefined) {
    const docs = await readManifestFile(ctx.io, file);
    const apps = docs.filter((d) => isRecord(d) && d.kind === 'Application');
    if (apps.length !== 1)
      throw new CliError(
        'ERR_CLI_INPUT',
        `${file} must hold exactly one Application (found ${apps.length})`,
      );
    base = apps[0] as Application;
    if (!isRecord(base.spec) || !isRecord(base.metadata))
      throw new CliError('ERR_CLI_INPUT', `the Application in ${file} has no metadata or spec`);
  }
  const argName = args[0];
  const flagName = opts.string('name');
  if (argName !== undefined && flagName !== undefined && argName !== flagName)
    throw usageError(`the name "${argName}" and --name "${flagName}" disagree`);
  const qualified = argName ?? flagName ?? base?.metadata.name;
  if (!qualified)
    throw usageError('an application name is required: pass it as the argument or with --name');
  const { name, appNamespace } = parseAppName(
    qualified,
    opts.string('appNamespace') ?? base?.metadata.namespace,
  );
  const app = buildApplication(
    {
      name,
      ...(appNamespace !== undefined ? { appNamespace } : {}),
      labels: keyValueMap(opts.list('label'), '--label'),
      annotations: keyValueMap(opts.list('annotations'), '--annotations'),
      setFinalizer: opts.flag('setFinalizer'),
    },
    appSpecFlagsFrom(opts),
    base,
  );
  const client = await ctx.client();
  const created = await client.createApplication(app, {
    upsert: opts.flag('upsert'),
    validate: opts.bool('validate') !== false,
  });
  ctx.out(`application '${created.metadata.name ?? name}' created\n`);
  return undefined;
}

export async function appGet(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const format = parseOutputFormat(opts.string('output'), [
    'table',
    'json',
    'yaml',
    'wide',
    'tree',
  ] as const);
  if (opts.flag('refresh') && opts.flag('hardRefresh'))
    throw usageError('--refresh and --hard-refresh exclude each other');
  const r = ref(args[0], opts);
  const client = await ctx.client();
  const refresh = opts.flag('hardRefresh') ? 'hard' : opts.flag('refresh') ? 'normal' : undefined;
  const app = await client.getApplication(r, refresh ? { refresh } : {});
  if (format === 'json' || format === 'yaml') {
    printApp(ctx, app, format);
    return undefined;
  }
  ctx.out(formatAppSummary(app, await serverUrl(client)));
  ctx.out(formatConditions(app));
  const op = app.status?.operationState;
  if (opts.flag('showOperation') && op) ctx.out(`\n${formatOperation(op, ctx.io.now())}`);
  if (format === 'tree') {
    const tree = await client.getResourceTree(r);
    ctx.out(`\n${formatTree(app, tree)}`);
  } else {
    const res = formatResources(app, format === 'wide');
    if (res) ctx.out(`\n${res}`);
  }
  return undefined;
}

export async function appList(
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
  const client = await ctx.client();
  const list = await client.listApplications({
    ...(opts.list('project').length > 0 ? { projects: opts.list('project') } : {}),
    ...(opts.string('repo') ? { repo: opts.string('repo') ?? '' } : {}),
    ...(opts.string('selector') ? { selector: opts.string('selector') ?? '' } : {}),
    ...(opts.string('appNamespace') ? { appNamespace: opts.string('appNamespace') ?? '' } : {}),
  });
  const apps = list.items;
  if (format === 'json') ctx.out(toJson(apps));
  else if (format === 'yaml') ctx.out(toYaml(apps));
  else if (format === 'name') ctx.out(apps.map((a) => `${qualifiedName(a)}\n`).join(''));
  else ctx.out(formatAppList(apps, format === 'wide'));
  return undefined;
}

export async function appDiff(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<number> {
  const r = ref(args[0], opts);
  if (opts.string('local') !== undefined && opts.string('revision') !== undefined)
    throw usageError('--local and --revision exclude each other');
  const client = await ctx.client();
  const refresh = opts.flag('hardRefresh') ? 'hard' : opts.flag('refresh') ? 'normal' : undefined;
  const app = await client.getApplication(r, refresh ? { refresh } : {});
  const managed = await client.getManagedResources(r);
  let items;
  const local = opts.string('local');
  const revision = opts.string('revision');
  if (local !== undefined) {
    items = diffItemsFromManifests(
      managed,
      await readManifestDir(local),
      app.spec.destination.namespace ?? '',
    );
  } else if (revision !== undefined) {
    const res = await client.getManifests(r, { revision });
    const docs = (res.manifests ?? []).map((m) => parseState(m)).filter((m) => m !== undefined);
    items = diffItemsFromManifests(managed, docs, app.spec.destination.namespace ?? '');
  } else items = diffItemsFromManaged(managed);
  const { text, count } = renderDiffs(items);
  ctx.out(text);
  return count > 0 && opts.bool('exitCode') !== false ? ExitCodes.commandSpecific : ExitCodes.ok;
}

function syncRequest(
  opts: Opts,
  app: Application | undefined,
  manifests: string[] | undefined,
): ApplicationSyncRequest {
  const syncOptions = [...opts.list('syncOption')];
  if (opts.flag('applyOutOfSyncOnly')) syncOptions.push('ApplyOutOfSyncOnly=true');
  if (opts.flag('replace')) syncOptions.push('Replace=true');
  if (opts.flag('serverSide')) syncOptions.push('ServerSideApply=true');
  const retryLimit = opts.int('retryLimit', '--retry-limit', 0);
  const factor = opts.int('retryBackoffFactor', '--retry-backoff-factor', 1);
  for (const [key, flag] of [
    ['retryBackoffDuration', '--retry-backoff-duration'],
    ['retryBackoffMaxDuration', '--retry-backoff-max-duration'],
  ] as const) {
    const v = opts.string(key);
    if (v !== undefined) {
      try {
        parseDuration(v);
      } catch {
        throw usageError(`invalid ${flag} "${v}": use a duration such as 5s or 3m`);
      }
    }
  }
  const selectors = resourceSelectors(opts);
  let resources: ApplicationSyncRequest['resources'];
  if (selectors.length > 0) {
    const picked = selectResources(app?.status?.resources ?? [], selectors);
    if (picked.length === 0)
      throw usageError(
        `no resource of the application matches ${opts.list('resource').join(', ')}`,
      );
    resources = picked.map((p) => ({
      group: p.group ?? '',
      kind: p.kind ?? '',
      name: p.name ?? '',
      namespace: p.namespace ?? '',
    }));
  }
  const revision = opts.string('revision');
  return {
    ...(revision !== undefined ? { revision } : {}),
    prune: opts.flag('prune'),
    dryRun: opts.flag('dryRun'),
    strategy: { hook: { force: opts.flag('force') } },
    ...(resources ? { resources } : {}),
    ...(syncOptions.length > 0 ? { syncOptions: { items: syncOptions } } : {}),
    ...(retryLimit !== undefined && retryLimit > 0
      ? {
          retryStrategy: {
            limit: retryLimit,
            backoff: {
              duration: opts.string('retryBackoffDuration') ?? '5s',
              maxDuration: opts.string('retryBackoffMaxDuration') ?? '3m0s',
              factor: factor ?? 2,
            },
          },
        }
      : {}),
    ...(manifests ? { manifests } : {}),
  };
}

export async function appSync(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const format = parseOutputFormat(opts.string('output'), ['table', 'json', 'yaml'] as const);
  const selectors = resourceSelectors(opts);
  const local = opts.string('local');
  const manifests =
    local !== undefined ? (await readManifestDir(local)).map((m) => JSON.stringify(m)) : undefined;
  const client = await ctx.client();
  for (const name of args) {
    const r = ref(name, opts);
    const current = selectors.length > 0 ? await client.getApplication(r) : undefined;
    const req = syncRequest(opts, current, manifests);
    await client.syncApplication(r, req);
    if (opts.flag('async')) {
      ctx.out(`sync of application '${name}' requested\n`);
      continue;
    }
    const app = await waitForApp(ctx, client, r, {
      selection: normalizeSelection({ operation: true }),
      selectors,
      timeoutSec: timeoutSeconds(opts),
      progress: format === 'table',
    });
    await finishOperation(ctx, client, app, format, opts.flag('dryRun'));
  }
  return undefined;
}

export async function appWait(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const format = parseOutputFormat(opts.string('output'), ['table', 'json', 'yaml'] as const);
  const selectors = resourceSelectors(opts);
  const client = await ctx.client();
  const selection = normalizeSelection({
    sync: opts.flag('sync'),
    health: opts.flag('health'),
    operation: opts.flag('operation'),
    suspended: opts.flag('suspended'),
    degraded: opts.flag('degraded'),
  });
  for (const name of args) {
    const r = ref(name, opts);
    const app = await waitForApp(ctx, client, r, {
      selection,
      selectors,
      timeoutSec: timeoutSeconds(opts),
      progress: format === 'table',
    });
    if (format === 'table') {
      ctx.out(`\n${formatAppSummary(app, await serverUrl(client))}`);
      const res = formatResources(app);
      if (res) ctx.out(`\n${res}`);
    } else printApp(ctx, app, format);
  }
  return undefined;
}

export async function appDelete(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const policy = opts.string('propagationPolicy') ?? 'foreground';
  if (policy !== 'foreground' && policy !== 'background')
    throw usageError(`invalid --propagation-policy "${policy}": use foreground or background`);
  const cascade = opts.bool('cascade') !== false;
  if (!opts.flag('yes')) {
    if (!ctx.io.interactive)
      throw usageError(
        'refusing to delete without confirmation: pass --yes (-y) when stdin is not a terminal',
      );
    const what =
      args.length === 1 ? `application '${args[0] ?? ''}'` : `${args.length} applications`;
    if (
      !(await confirm(
        ctx.io,
        `Are you sure you want to delete ${what}${cascade ? ' and all its resources' : ''}?`,
      ))
    ) {
      ctx.out('Deletion cancelled\n');
      return undefined;
    }
  }
  const client = await ctx.client();
  for (const name of args) {
    let r = ref(name, opts);
    // with --wait, name the project: then a gone app is "not found" rather than "permission
    // denied" (which Argo CD answers for apps the caller cannot see, existing or not)
    if (opts.flag('wait')) r = { ...r, project: (await client.getApplication(r)).spec.project };
    await client.deleteApplication(r, { cascade, propagationPolicy: policy });
    ctx.out(`application '${name}' deleted\n`);
    if (opts.flag('wait')) await waitForDeletion(ctx, client, r, timeoutSeconds(opts));
  }
  return undefined;
}

async function waitForDeletion(
  ctx: CommandContext,
  client: ArgoCdClient,
  r: AppRef,
  timeoutSec: number,
): Promise<void> {
  const deadline = timeoutSec > 0 ? Date.now() + timeoutSec * 1000 : Number.POSITIVE_INFINITY;
  let delay = 200;
  while (Date.now() < deadline) {
    try {
      await client.getApplication(r);
    } catch (err) {
      if (isNotFoundError(err)) return;
      throw err;
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 2000);
  }
  ctx.log.debug(`application "${r.name}" still exists`);
  throw new CliError(
    'ERR_CLI_TIMEOUT',
    `timed out (${timeoutSec}s) waiting for application "${r.name}" to be deleted`,
  );
}

export async function appHistory(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const format = parseOutputFormat(opts.string('output'), [
    'table',
    'wide',
    'json',
    'yaml',
    'id',
  ] as const);
  const client = await ctx.client();
  const app = await client.getApplication(ref(args[0], opts));
  const history = app.status?.history ?? [];
  if (format === 'json') ctx.out(toJson(history));
  else if (format === 'yaml') ctx.out(toYaml(history));
  else if (format === 'id') ctx.out(history.map((h) => `${h.id}\n`).join(''));
  else ctx.out(formatHistory(app));
  return undefined;
}

export async function appRollback(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const format = parseOutputFormat(opts.string('output'), ['table', 'json', 'yaml'] as const);
  const r = ref(args[0], opts);
  const client = await ctx.client();
  const app = await client.getApplication(r);
  const history = [...(app.status?.history ?? [])].sort(
    (a, b) => (toInt64(a.id) ?? 0) - (toInt64(b.id) ?? 0),
  );
  let id: number;
  if (args[1] !== undefined) {
    id = Number(args[1]);
    if (!Number.isInteger(id) || id < 0)
      throw usageError(`invalid history ID "${args[1]}": see 'argocd app history ${r.name}'`);
    if (!history.some((h) => toInt64(h.id) === id))
      throw new CliError(
        'ERR_CLI_NOT_FOUND',
        `application "${r.name}" has no history ID ${id}: see 'argocd app history ${r.name}'`,
      );
  } else {
    const previous = history[history.length - 2];
    if (!previous)
      throw new CliError(
        'ERR_CLI_FAILED',
        `application "${r.name}" has no earlier deployment to roll back to`,
      );
    id = toInt64(previous.id) ?? 0;
  }
  await client.rollbackApplication(r, {
    id,
    prune: opts.flag('prune'),
    dryRun: opts.flag('dryRun'),
  });
  if (opts.flag('async')) {
    ctx.out(`rollback of application '${r.name}' to ID ${id} requested\n`);
    return undefined;
  }
  const done = await waitForApp(ctx, client, r, {
    selection: normalizeSelection({ operation: true }),
    selectors: [],
    timeoutSec: timeoutSeconds(opts),
    progress: format === 'table',
  });
  await finishOperation(ctx, client, done, format, opts.flag('dryRun'));
  return undefined;
}

export async function appSet(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const r = ref(args[0], opts);
  const flags = appSpecFlagsFrom(opts);
  const client = await ctx.client();
  const app = await client.getApplication(r);
  const { spec, changed } = applySpecFlags(app.spec, flags);
  if (changed === 0)
    throw usageError('nothing to change: pass at least one setting (see argocd app set --help)');
  await client.updateApplicationSpec(r, spec, {
    validate: opts.bool('validate') !== false,
  });
  ctx.out(`application '${r.name}' updated\n`);
  return undefined;
}

export async function appTerminateOp(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const r = ref(args[0], opts);
  const client = await ctx.client();
  await client.terminateOperation(r);
  ctx.out(`Application '${r.name}' operation terminating\n`);
  return undefined;
}

export async function appManifests(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const r = ref(args[0], opts);
  const source = opts.string('source') ?? 'git';
  const client = await ctx.client();
  let docs: unknown[];
  if (source === 'git') {
    const rev = opts.string('revision');
    const res = await client.getManifests(r, rev !== undefined ? { revision: rev } : {});
    docs = (res.manifests ?? []).map((m) => parseState(m)).filter((m) => m !== undefined);
  } else if (source === 'live') {
    if (opts.string('revision') !== undefined)
      throw usageError('--revision goes with --source git');
    docs = (await client.getManagedResources(r))
      .map((d) => parseState(d.liveState))
      .filter((m) => m !== undefined);
  } else throw usageError(`invalid --source "${source}": use git or live`);
  ctx.out(docs.map((d) => `---\n${toDiffYaml(d)}`).join(''));
  return undefined;
}

/** The app's managed resources that the `--kind/--group/--resource-name/--namespace` flags select. */
function selectedResources(app: Application, opts: Opts): ResourceKeyQuery[] {
  const kind = opts.string('kind');
  const group = opts.string('group');
  const name = opts.string('resourceName');
  const namespace = opts.string('namespace');
  return (app.status?.resources ?? [])
    .filter(
      (r) =>
        (kind === undefined || r.kind === kind) &&
        (group === undefined || (r.group ?? '') === group) &&
        (name === undefined || r.name === name) &&
        (namespace === undefined || (r.namespace ?? '') === namespace),
    )
    .map((r) => ({
      group: r.group ?? '',
      kind: r.kind ?? '',
      namespace: r.namespace ?? '',
      name: r.name ?? '',
      ...(r.version !== undefined ? { version: r.version } : {}),
    }));
}

function describeFilter(opts: Opts): string {
  const parts = (['kind', 'group', 'resourceName', 'namespace'] as const)
    .map((k) => [k, opts.string(k)] as const)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k === 'resourceName' ? 'resource-name' : k}=${v ?? ''}`);
  return parts.length === 0 ? 'any resource' : parts.join(', ');
}

export async function appActionsList(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const format = parseOutputFormat(opts.string('output'), ['table', 'json', 'yaml'] as const);
  const r = ref(args[0], opts);
  const client = await ctx.client();
  const app = await client.getApplication(r);
  const rows: {
    group: string;
    kind: string;
    namespace: string;
    name: string;
    action: string;
    disabled: boolean;
  }[] = [];
  for (const res of selectedResources(app, opts))
    for (const a of await client.listResourceActions(r, res))
      rows.push({
        group: res.group,
        kind: res.kind,
        namespace: res.namespace,
        name: res.name,
        action: a.name ?? '',
        disabled: a.disabled === true,
      });
  if (format === 'json') ctx.out(toJson(rows));
  else if (format === 'yaml') ctx.out(toYaml(rows));
  else
    ctx.out(
      formatTable(
        ['GROUP', 'KIND', 'NAMESPACE', 'NAME', 'ACTION', 'DISABLED'],
        rows.map((x) => [x.group, x.kind, x.namespace, x.name, x.action, x.disabled]),
      ),
    );
  return undefined;
}

export async function appActionsRun(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const r = ref(args[0], opts);
  const action = args[1];
  if (action === undefined || action === '')
    throw usageError(
      'an action name is required, e.g. argocd app actions run guestbook restart --kind Deployment',
    );
  if (opts.string('kind') === undefined)
    throw usageError(
      '--kind is required (and --resource-name unless --all), e.g. --kind Deployment',
    );
  const client = await ctx.client();
  const app = await client.getApplication(r);
  const targets = selectedResources(app, opts);
  if (targets.length === 0)
    throw new CliError(
      'ERR_CLI_NOT_FOUND',
      `no resource of application '${r.name}' matches ${describeFilter(opts)}`,
      { hint: `argocd app get ${r.name} lists its resources` },
    );
  if (targets.length > 1 && opts.bool('all') !== true)
    throw usageError(
      `${String(targets.length)} resources match ${describeFilter(opts)}: name one with --resource-name, or pass --all`,
    );
  for (const t of targets) {
    await client.runResourceAction(r, t, action);
    ctx.out(
      `ran action '${action}' on ${t.kind} ${t.namespace === '' ? '' : `${t.namespace}/`}${t.name}\n`,
    );
  }
  return undefined;
}
