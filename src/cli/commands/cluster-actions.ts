/**
 * `argocd cluster ...` actions. `cluster add` talks to the target cluster with the user's
 * kubeconfig (src/kube) to create the argocd-manager ServiceAccount, its RBAC and a token Secret,
 * then registers the cluster through the API with that token.
 */
import type { KubeObject } from '../../apis/index.js';
import type { ClusterIdType, ClusterInfo } from '../../client/index.js';
import type { KubeClient, KubeConnection } from '../../kube/index.js';
import { CliError, usageError } from '../errors.js';
import type { CommandContext } from '../context.js';
import type { Opts } from '../define.js';
import { confirm } from '../io.js';
import { keyValueMap } from '../app/spec.js';
import { parseOutputFormat, toJson, toYaml } from '../output/format.js';
import { formatTable } from '../output/table.js';

export const MANAGER_SERVICE_ACCOUNT = 'argocd-manager';
export const MANAGER_ROLE = 'argocd-manager-role';
export const MANAGER_ROLE_BINDING = 'argocd-manager-role-binding';
const FIELD_MANAGER = 'argocd-cli';
const IN_CLUSTER = 'https://kubernetes.default.svc';

const NS_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The RBAC objects `cluster add` applies: full access, or Roles in the given namespaces only. */
export function managerRbac(systemNamespace: string, namespaces: readonly string[]): KubeObject[] {
  const subject = {
    kind: 'ServiceAccount',
    name: MANAGER_SERVICE_ACCOUNT,
    namespace: systemNamespace,
  };
  const labels = {
    'app.kubernetes.io/managed-by': 'argocd-cli',
    'app.kubernetes.io/part-of': 'argocd',
  };
  if (namespaces.length === 0)
    return [
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: MANAGER_ROLE, labels },
        rules: [
          { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
          { nonResourceURLs: ['*'], verbs: ['*'] },
        ],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: MANAGER_ROLE_BINDING, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: MANAGER_ROLE },
        subjects: [subject],
      },
    ];
  return namespaces.flatMap((ns): KubeObject[] => [
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: MANAGER_ROLE, namespace: ns, labels },
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: MANAGER_ROLE_BINDING, namespace: ns, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: MANAGER_ROLE },
      subjects: [subject],
    },
  ]);
}

interface TokenSecret {
  metadata: { name?: string; annotations?: Record<string, string> };
  type?: string;
  data?: Record<string, string>;
}

const SECRETS = { group: '', version: 'v1', resource: 'secrets' } as const;

/** Finds or creates the token Secret of a ServiceAccount and waits until the token is filled in. */
async function serviceAccountToken(
  kube: KubeClient,
  namespace: string,
  account: string,
  timeoutMs: number,
): Promise<string> {
  const list = await kube.list<TokenSecret>(
    { ...SECRETS, namespace },
    { fieldSelector: 'type=kubernetes.io/service-account-token' },
  );
  let name = list.items.find(
    (s) => s.metadata.annotations?.['kubernetes.io/service-account.name'] === account,
  )?.metadata.name;
  if (!name) {
    const created = await kube.create<TokenSecret>(
      { ...SECRETS, namespace },
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          generateName: `${account}-token-`,
          namespace,
          annotations: { 'kubernetes.io/service-account.name': account },
          labels: { 'app.kubernetes.io/managed-by': 'argocd-cli' },
        },
        type: 'kubernetes.io/service-account-token',
      },
      { fieldManager: FIELD_MANAGER },
    );
    name = created.metadata.name ?? '';
  }
  const deadline = Date.now() + timeoutMs;
  let delay = 100;
  for (;;) {
    const s = await kube.get<TokenSecret>({ ...SECRETS, namespace, name });
    const token = s.data?.token;
    if (token) return Buffer.from(token, 'base64').toString('utf8');
    if (Date.now() > deadline)
      throw new CliError(
        'ERR_CLI_TIMEOUT',
        `failed to get a token for ServiceAccount ${namespace}/${account}: Secret ${name} has no token after ${Math.round(timeoutMs / 1000)} s (is kube-controller-manager's token controller running?)`,
      );
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 1000);
  }
}

function caData(conn: KubeConnection): string | undefined {
  return conn.caPem ? Buffer.from(conn.caPem).toString('base64') : undefined;
}

export async function clusterAdd(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const contextName = args[0] ?? '';
  const namespaces = opts.list('namespace');
  for (const ns of namespaces)
    if (!NS_RE.test(ns)) throw usageError(`invalid --namespace "${ns}": not a namespace name`);
  const systemNamespace = opts.string('systemNamespace') ?? 'kube-system';
  const account = opts.string('serviceAccount');
  const timeoutSec = opts.int('tokenTimeout', '--token-timeout', 1) ?? 30;
  const shard = opts.int('shard', '--shard', 0);
  const labels = keyValueMap(opts.list('label'), '--label');
  const annotations = keyValueMap(opts.list('annotation'), '--annotation');
  if (opts.flag('clusterResources') && namespaces.length === 0)
    throw usageError(
      '--cluster-resources goes with --namespace (without namespaces Argo CD manages everything)',
    );
  const { loadKubeconfig, KubeClient: Kube, isAlreadyExists } = await import('../../kube/index.js');
  const conn = loadKubeconfig(opts.string('kubeconfig'), contextName, ctx.io.env);
  if (conn.token) ctx.secrets.push(conn.token);
  if (!opts.flag('yes')) {
    if (!ctx.io.interactive)
      throw usageError(
        'refusing to change the cluster without confirmation: pass --yes (-y) when stdin is not a terminal',
      );
    const scope =
      account !== undefined
        ? `use the existing ServiceAccount ${systemNamespace}/${account}`
        : namespaces.length > 0
          ? `create a ServiceAccount \`${MANAGER_SERVICE_ACCOUNT}\` with full access to the namespaces ${namespaces.join(', ')}`
          : `create a ServiceAccount \`${MANAGER_SERVICE_ACCOUNT}\` with full cluster-level privileges`;
    if (
      !(await confirm(
        ctx.io,
        `WARNING: this will ${scope} on the cluster of context \`${contextName}\`. Continue?`,
      ))
    ) {
      ctx.out('Cancelled\n');
      return undefined;
    }
  }
  const kube = new Kube(conn);
  let token: string;
  try {
    const sa = account ?? MANAGER_SERVICE_ACCOUNT;
    if (account === undefined) {
      await kube
        .create(
          { group: '', version: 'v1', resource: 'serviceaccounts', namespace: systemNamespace },
          {
            apiVersion: 'v1',
            kind: 'ServiceAccount',
            metadata: { name: sa, namespace: systemNamespace },
          },
          { fieldManager: FIELD_MANAGER },
        )
        .catch((err: unknown) => {
          if (!isAlreadyExists(err)) throw err;
        });
      ctx.log.info(`ServiceAccount "${sa}" ready in namespace "${systemNamespace}"`);
      for (const obj of managerRbac(systemNamespace, namespaces)) {
        await kube.apply(obj, { fieldManager: FIELD_MANAGER, force: true });
        ctx.log.info(
          `${obj.kind} "${obj.metadata.name ?? ''}" applied${obj.metadata.namespace ? ` in ${obj.metadata.namespace}` : ''}`,
        );
      }
    }
    token = await serviceAccountToken(kube, systemNamespace, sa, timeoutSec * 1000);
  } finally {
    kube.close();
  }
  ctx.secrets.push(token);
  const server = opts.flag('inCluster') ? IN_CLUSTER : conn.server;
  const ca = caData(conn);
  const project = opts.string('project');
  const cluster: ClusterInfo = {
    server,
    name: opts.string('name') ?? contextName,
    config: {
      bearerToken: token,
      tlsClientConfig: {
        ...(ca !== undefined ? { caData: ca } : {}),
        ...(conn.insecureSkipTlsVerify ? { insecure: true } : {}),
        ...(conn.tlsServerName !== undefined ? { serverName: conn.tlsServerName } : {}),
      },
    },
    ...(namespaces.length > 0
      ? { namespaces, clusterResources: opts.flag('clusterResources') }
      : {}),
    ...(project !== undefined ? { project } : {}),
    ...(shard !== undefined ? { shard } : {}),
    ...(Object.keys(labels).length > 0 ? { labels } : {}),
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
  const created = await (
    await ctx.client()
  ).createCluster(cluster, { upsert: opts.flag('upsert') });
  ctx.out(`Cluster '${created.server || server}' added\n`);
  return undefined;
}

function clusterId(text: string): { id: string; type: ClusterIdType } {
  return text.includes('://')
    ? { id: text.replace(/\/+$/, ''), type: 'url' }
    : { id: text, type: 'name' };
}

function clusterTable(clusters: readonly ClusterInfo[], wide: boolean): string {
  const headers = ['SERVER', 'NAME', 'VERSION', 'STATUS', 'MESSAGE', 'PROJECT'];
  if (wide) headers.push('NAMESPACES', 'LABELS');
  return formatTable(
    headers,
    clusters.map((c) => {
      const state = c.info?.connectionState ?? c.connectionState;
      const row = [
        c.server,
        c.name ?? '',
        c.info?.serverVersion ?? c.serverVersion ?? '',
        state?.status ?? '',
        state?.message ?? '',
        c.project ?? '',
      ];
      if (wide)
        row.push(
          (c.namespaces ?? []).join(',') || '<all>',
          Object.entries(c.labels ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(','),
        );
      return row;
    }),
  );
}

export async function clusterList(
  ctx: CommandContext,
  _args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const format = parseOutputFormat(opts.string('output'), [
    'table',
    'json',
    'yaml',
    'wide',
    'server',
  ] as const);
  const clusters = await (await ctx.client()).listClusters();
  if (format === 'json') ctx.out(toJson(clusters));
  else if (format === 'yaml') ctx.out(toYaml(clusters));
  else if (format === 'server') ctx.out(clusters.map((c) => `${c.server}\n`).join(''));
  else ctx.out(clusterTable(clusters, format === 'wide'));
  return undefined;
}

export async function clusterGet(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  const format = parseOutputFormat(opts.string('output'), [
    'yaml',
    'json',
    'wide',
    'server',
    'table',
  ] as const);
  const { id, type } = clusterId(args[0] ?? '');
  const c = await (await ctx.client()).getCluster(id, type);
  if (format === 'json') ctx.out(toJson(c));
  else if (format === 'yaml') ctx.out(toYaml(c));
  else if (format === 'server') ctx.out(`${c.server}\n`);
  else ctx.out(clusterTable([c], format === 'wide'));
  return undefined;
}

export async function clusterRm(
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
): Promise<undefined> {
  if (!opts.flag('yes')) {
    if (!ctx.io.interactive)
      throw usageError(
        'refusing to remove clusters without confirmation: pass --yes (-y) when stdin is not a terminal',
      );
    if (
      !(await confirm(
        ctx.io,
        `Remove ${args.join(', ')}? Applications deploying there will show health Unknown.`,
      ))
    ) {
      ctx.out('Cancelled\n');
      return undefined;
    }
  }
  const client = await ctx.client();
  for (const a of args) {
    const { id, type } = clusterId(a);
    await client.deleteCluster(id, type);
    ctx.out(`Cluster '${a}' removed\n`);
  }
  return undefined;
}
