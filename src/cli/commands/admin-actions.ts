/**
 * `argocd admin ...` actions: they use the user's kubeconfig (src/kube), the RBAC evaluator of the
 * server (src/rbac) and the PKI library (src/tls) directly, never the API server.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeSecretData, type KubeObject, type Secret } from '../../apis/index.js';
import type { KubeClient, KubeConnection } from '../../kube/index.js';
import { errorMessage, isRecord } from '../../lib/index.js';
import type { CommandContext } from '../context.js';
import type { Opts } from '../define.js';
import { CliError, ExitCodes, usageError } from '../errors.js';
import { parseManifests } from '../manifests.js';
import { toJson, toYaml } from '../output/format.js';
import { formatTable } from '../output/table.js';

const SECRETS = { group: '', version: 'v1', resource: 'secrets' } as const;
const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' } as const;

async function kubeFor(
  ctx: CommandContext,
  opts: Opts,
): Promise<{ kube: KubeClient; conn: KubeConnection }> {
  const { loadKubeconfig, KubeClient: Kube } = await import('../../kube/index.js');
  const conn = loadKubeconfig(opts.string('kubeconfig'), opts.string('context'), ctx.io.env);
  if (conn.token) ctx.secrets.push(conn.token);
  return { kube: new Kube(conn), conn };
}

export async function initialPassword(
  ctx: CommandContext,
  _args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const { kube, conn } = await kubeFor(ctx, opts);
  const namespace = opts.string('namespace') ?? conn.namespace ?? 'argocd';
  const { isNotFound } = await import('../../kube/index.js');
  try {
    const secret = await kube.get<Secret>({
      ...SECRETS,
      namespace,
      name: 'argocd-initial-admin-secret',
    });
    const password = decodeSecretData(secret).password;
    if (!password)
      throw new CliError(
        'ERR_CLI_FAILED',
        `Secret ${namespace}/argocd-initial-admin-secret has no password key`,
      );
    ctx.secrets.push(password);
    ctx.out(`${password}\n`);
    ctx.io.stderr.write(
      "\n This password must be only used for first time login. We strongly recommend you update the password using 'argocd account update-password'.\n",
    );
  } catch (err) {
    if (isNotFound(err))
      throw new CliError(
        'ERR_CLI_NOT_FOUND',
        `Secret argocd-initial-admin-secret not found in namespace "${namespace}": the admin password was changed and the Secret deleted, argocd-server has not started yet, or Argo CD lives in another namespace (-n)`,
      );
    throw err;
  } finally {
    kube.close();
  }
  return undefined;
}

// --- rbac -------------------------------------------------------------------------------------

/** Argo CD's shorthand resource names (`app` → `applications`, ...). */
const RESOURCE_ALIASES: Readonly<Record<string, string>> = {
  account: 'accounts',
  app: 'applications',
  apps: 'applications',
  application: 'applications',
  applicationset: 'applicationsets',
  appset: 'applicationsets',
  cert: 'certificates',
  certs: 'certificates',
  certificate: 'certificates',
  cluster: 'clusters',
  extension: 'extensions',
  gpgkey: 'gpgkeys',
  key: 'gpgkeys',
  log: 'logs',
  proj: 'projects',
  projs: 'projects',
  project: 'projects',
  repo: 'repositories',
  repos: 'repositories',
  repository: 'repositories',
};

const CRUD = ['create', 'get', 'update', 'delete'];
/** The valid actions per resource (`true`: sub-resource paths like `update/*` allowed). */
const VALID_ACTIONS: Readonly<Record<string, Readonly<Record<string, boolean>>>> = {
  accounts: { create: false, update: false },
  applications: {
    create: false,
    get: false,
    update: true,
    delete: true,
    action: true,
    override: false,
    sync: false,
    rollback: false,
  },
  applicationsets: Object.fromEntries(CRUD.map((a) => [a, false])),
  certificates: { create: false, get: false, delete: false },
  clusters: Object.fromEntries(CRUD.map((a) => [a, false])),
  extensions: { invoke: true },
  gpgkeys: { create: false, get: false, delete: false },
  logs: { get: false },
  exec: { create: false },
  projects: Object.fromEntries(CRUD.map((a) => [a, false])),
  repositories: Object.fromEntries(CRUD.map((a) => [a, false])),
  'write-repositories': Object.fromEntries(CRUD.map((a) => [a, false])),
};
const PROJECT_SCOPED = new Set(['applications', 'applicationsets', 'logs', 'exec']);

interface LoadedPolicy {
  readonly sources: { name: string; text: string }[];
  readonly rbacData: Record<string, string> | undefined;
}

async function loadPolicy(ctx: CommandContext, opts: Opts): Promise<LoadedPolicy> {
  const file = opts.string('policyFile');
  const namespace = opts.string('namespace');
  if ((file === undefined) === (namespace === undefined))
    throw usageError('give exactly one of --policy-file or --namespace');
  if (file !== undefined) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new CliError(
        'ERR_CLI_INPUT',
        `failed to read the policy file ${file}: ${errorMessage(err)}`,
        { cause: err },
      );
    }
    // a ConfigMap (YAML/JSON with kind ConfigMap) or plain CSV
    let cm: unknown;
    if (/^\s*(apiVersion|kind|data|metadata)\s*:/m.test(text) || text.trim().startsWith('{')) {
      try {
        cm = parseManifests(text, file)[0];
      } catch {
        cm = undefined;
      }
    }
    if (isRecord(cm) && isRecord(cm.data)) {
      const data = Object.fromEntries(
        Object.entries(cm.data).filter(([, v]) => typeof v === 'string'),
      ) as Record<string, string>;
      return { sources: [], rbacData: data };
    }
    return { sources: [{ name: file, text }], rbacData: undefined };
  }
  const { kube } = await kubeFor(ctx, opts);
  try {
    const cm = await kube.get<{ data?: Record<string, string> }>({
      ...CONFIGMAPS,
      namespace: namespace ?? '',
      name: 'argocd-rbac-cm',
    });
    return { sources: [], rbacData: cm.data ?? {} };
  } finally {
    kube.close();
  }
}

export async function rbacCan(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<number> {
  const [subject = '', action = '', rawResource = '', rawObject = ''] = args;
  const rbac = await import('../../rbac/index.js');
  const loaded = await loadPolicy(ctx, opts);
  const resource = RESOURCE_ALIASES[rawResource] ?? rawResource;
  if (opts.bool('strict') !== false) {
    const valid = VALID_ACTIONS[resource];
    if (!valid)
      throw usageError(
        `"${rawResource}" is not a valid resource: use one of ${Object.keys(VALID_ACTIONS).join(', ')} (or --strict=false)`,
      );
    const [base = '', ...path] = action.split('/');
    const allowPath = valid[base];
    if (allowPath === undefined || (path.length > 0 && !allowPath))
      throw usageError(
        `"${action}" is not a valid action for ${resource}: use one of ${Object.keys(valid).join(', ')}`,
      );
  }
  let object = rawObject;
  if (PROJECT_SCOPED.has(resource) && (object === '' || object === '*')) object = '*/*';
  let options;
  if (loaded.rbacData !== undefined) {
    const r = rbac.rbacOptionsFromConfigMaps(loaded.rbacData);
    const errors = r.problems.filter((p) => p.severity === 'error');
    if (errors.length > 0)
      throw new CliError(
        'ERR_CLI_INPUT',
        `the policy is invalid: ${errors.map(rbac.formatProblem).join('; ')}`,
      );
    options = r.options;
  } else options = { userPolicyCsv: loaded.sources };
  const defaultRole = opts.string('defaultRole');
  let enforcer;
  try {
    enforcer = new rbac.RbacEnforcer({
      ...options,
      ...(defaultRole !== undefined ? { defaultRole } : {}),
      ...(opts.bool('useBuiltinPolicy') === false ? { builtinPolicy: '' } : {}),
    });
  } catch (err) {
    if (err instanceof rbac.RbacPolicyError)
      throw new CliError('ERR_CLI_INPUT', `the policy is invalid: ${errorMessage(err)}`, {
        cause: err,
      });
    throw err;
  }
  const allowed = enforcer.enforce(subject, resource, action, object);
  if (!opts.flag('quiet')) ctx.out(allowed ? 'Yes\n' : 'No\n');
  return allowed ? ExitCodes.ok : ExitCodes.commandSpecific;
}

export async function rbacValidate(
  ctx: CommandContext,
  _args: readonly string[],
  opts: Opts,
): Promise<number> {
  const rbac = await import('../../rbac/index.js');
  const loaded = await loadPolicy(ctx, opts);
  let problems;
  if (loaded.rbacData !== undefined) {
    const r = rbac.rbacOptionsFromConfigMaps(loaded.rbacData);
    const sources = rbac.policySourcesFromConfigMap(loaded.rbacData);
    problems = [
      ...r.problems,
      ...rbac.validatePolicy(sources, r.options.matchMode ? { matchMode: r.options.matchMode } : {})
        .problems,
    ];
    if (sources.length === 0 && (loaded.rbacData['policy.default'] ?? '') === '')
      throw new CliError(
        'ERR_CLI_INPUT',
        'the policy is empty: no policy.csv, policy.<x>.csv or policy.default',
      );
  } else {
    if (loaded.sources.every((s) => s.text.trim() === ''))
      throw new CliError('ERR_CLI_INPUT', 'the policy file is empty');
    problems = rbac.validatePolicy(loaded.sources).problems;
  }
  const errors = problems.filter((p) => p.severity === 'error');
  for (const w of problems.filter((p) => p.severity === 'warning'))
    ctx.io.stderr.write(`warning: ${rbac.formatProblem(w)}\n`);
  if (errors.length === 0) {
    ctx.out('Policy is valid.\n');
    return ExitCodes.ok;
  }
  ctx.out(`Policy is invalid:\n${errors.map((e) => `  ${rbac.formatProblem(e)}`).join('\n')}\n`);
  return ExitCodes.commandSpecific;
}

// --- tls --------------------------------------------------------------------------------------

export async function tlsInit(
  ctx: CommandContext,
  _args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const tls = await import('../../tls/index.js');
  const namespace = opts.string('namespace') ?? 'argocd';
  const validityDays = opts.int('validityDays', '--validity-days', 1) ?? 365;
  const outDir = opts.string('outputDir');
  const dryRun = opts.flag('dryRun');
  if (outDir !== undefined && dryRun)
    throw usageError('--output-dir and --dry-run exclude each other');
  const format = opts.string('output') ?? 'yaml';
  if (format !== 'yaml' && format !== 'json')
    throw usageError(`invalid --output "${format}": use yaml or json`);
  const extraHosts: Partial<
    Record<'argocd-server' | 'argocd-repo-server' | 'argocd-dex-server', string[]>
  > = {};
  for (const e of opts.list('extraHost')) {
    const [component = '', host = ''] = e.split('=', 2);
    if (!(tls.SERVING_COMPONENTS as readonly string[]).includes(component) || host === '')
      throw usageError(
        `invalid --extra-host "${e}": use <component>=<host> with component one of ${tls.SERVING_COMPONENTS.join(', ')}`,
      );
    (extraHosts[component as 'argocd-server'] ??= []).push(host);
  }
  const includeCaKey = !opts.flag('skipCaKey');
  let ca: { certPem: string; keyPem: string } | undefined;
  let kube: KubeClient | undefined;
  const { isNotFound } = await import('../../kube/index.js');
  try {
    if (outDir === undefined && !dryRun) kube = (await kubeFor(ctx, opts)).kube;
    if (opts.flag('renew')) {
      if (outDir !== undefined) {
        const dir = join(outDir, tls.PkiSecretNames.ca);
        try {
          ca = {
            certPem: await readFile(join(dir, 'tls.crt'), 'utf8'),
            keyPem: await readFile(join(dir, 'tls.key'), 'utf8'),
          };
        } catch (err) {
          throw new CliError(
            'ERR_CLI_INPUT',
            `--renew: failed to read the CA from ${dir}: ${errorMessage(err)}`,
            { cause: err },
          );
        }
      } else {
        if (!kube)
          throw usageError('--renew needs the cluster (or --output-dir with the earlier files)');
        try {
          const s = await kube.get<Secret>({ ...SECRETS, namespace, name: tls.PkiSecretNames.ca });
          const d = decodeSecretData(s);
          if (!d['tls.crt'] || !d['tls.key'])
            throw new CliError(
              'ERR_CLI_INPUT',
              `Secret ${tls.PkiSecretNames.ca} has no tls.crt/tls.key`,
            );
          ca = { certPem: d['tls.crt'], keyPem: d['tls.key'] };
        } catch (err) {
          if (isNotFound(err))
            throw new CliError(
              'ERR_CLI_NOT_FOUND',
              `--renew: Secret ${namespace}/${tls.PkiSecretNames.ca} not found; run without --renew to create a CA`,
            );
          throw err;
        }
      }
    }
    const pki = await tls.initInternalPki({
      namespace,
      validityDays,
      extraHosts,
      ...(ca ? { ca } : {}),
    });
    const secrets = tls.pkiToSecrets(pki, namespace, { includeCaKey });
    if (dryRun) {
      const list = { apiVersion: 'v1', kind: 'List', items: secrets };
      ctx.out(format === 'json' ? toJson(list) : toYaml(list));
      return undefined;
    }
    if (outDir !== undefined) {
      await mkdir(outDir, { recursive: true, mode: 0o700 });
      const written = await tls.writePkiFiles(pki, outDir, {
        overwrite: opts.flag('overwrite'),
        includeCaKey,
      });
      ctx.out(`Wrote ${written.length} files under ${outDir}\n`);
    } else if (kube) {
      if (!opts.flag('overwrite')) {
        for (const s of secrets) {
          try {
            await kube.get({ ...SECRETS, namespace, name: s.metadata.name ?? '' });
            if (!(opts.flag('renew') && s.metadata.name === tls.PkiSecretNames.ca))
              throw new CliError(
                'ERR_CLI_FAILED',
                `Secret ${namespace}/${s.metadata.name ?? ''} exists: pass --overwrite to replace it (with --renew to keep the CA)`,
              );
          } catch (err) {
            if (!isNotFound(err)) throw err;
          }
        }
      }
      for (const s of secrets) {
        if (opts.flag('renew') && s.metadata.name === tls.PkiSecretNames.ca) continue;
        await kube.apply(s as unknown as KubeObject, { fieldManager: 'argocd-cli', force: true });
        ctx.out(
          `Secret ${namespace}/${s.metadata.name ?? ''} ${opts.flag('overwrite') ? 'applied' : 'created'}\n`,
        );
      }
    }
    ctx.out(
      `\n${formatTable(
        ['COMPONENT', 'SECRET', 'MOUNT', 'PURPOSE'],
        pki.mounts.map((m) => [
          m.component,
          m.secretName,
          m.mountPath ?? '(read through the API)',
          m.purpose,
        ]),
      )}`,
    );
  } finally {
    kube?.close();
  }
  return undefined;
}
