/** Definitions of `argocd cluster ...`. */
import { lazy, type CommandDef } from '../define.js';

const actions = () => import('./cluster-actions.js');

export const clusterCommand: CommandDef = {
  name: 'cluster',
  summary: 'Manage the clusters Argo CD deploys to',
  examples: `# Register the cluster of kubeconfig context "prod", list clusters
argocd cluster add prod
argocd cluster list`,
  subcommands: [
    {
      name: 'add',
      args: [{ name: '<context>', description: 'kubeconfig context of the cluster' }],
      summary: 'Register a cluster from a kubeconfig context',
      description:
        "Connect to the cluster of a kubeconfig context with your own credentials, create the ServiceAccount argocd-manager in --system-namespace with a ClusterRole (full access by default; only Roles in the --namespace namespaces when given: least privilege), wait for its token, and register the cluster with that token and the cluster's CA.",
      examples: `# Full access (asks for confirmation)
argocd cluster add prod

# Least privilege: only the namespaces web and api
argocd cluster add prod --namespace web --namespace api -y

# Another kubeconfig, a name, a project
argocd cluster add staging --kubeconfig ~/.kube/staging --name staging --project team-a`,
      options: [
        {
          flags: '--kubeconfig <file>',
          description: 'kubeconfig file (default $KUBECONFIG or ~/.kube/config)',
        },
        { flags: '--name <name>', description: 'cluster name (default: the context name)' },
        {
          flags: '--namespace <namespace>',
          description: 'only manage this namespace: Role instead of ClusterRole (repeatable)',
          repeatable: true,
        },
        {
          flags: '--cluster-resources',
          description: 'with --namespace: also manage cluster-scoped resources',
        },
        { flags: '--project <project>', description: 'make it a project-scoped cluster' },
        {
          flags: '--service-account <name>',
          description: 'use this existing ServiceAccount (no RBAC is created)',
        },
        {
          flags: '--system-namespace <namespace>',
          description: 'namespace of the ServiceAccount',
          default: 'kube-system',
        },
        {
          flags: '--in-cluster',
          description: 'register it as https://kubernetes.default.svc (Argo CD runs in it)',
        },
        { flags: '--upsert', description: 'replace the settings of an existing cluster' },
        { flags: '--shard <n>', description: 'controller shard of the cluster' },
        { flags: '--label <key=value>', description: 'label (repeatable)', repeatable: true },
        {
          flags: '--annotation <key=value>',
          description: 'annotation (repeatable)',
          repeatable: true,
        },
        {
          flags: '--token-timeout <seconds>',
          description: 'how long to wait for the token',
          default: '30',
        },
        { flags: '-y, --yes', description: 'do not ask for confirmation' },
      ],
      action: lazy(actions, 'clusterAdd'),
    },
    {
      name: 'list',
      summary: 'List clusters',
      examples: `argocd cluster list
argocd cluster list -o server`,
      options: [
        {
          flags: '-o, --output <format>',
          description: 'output format: json, yaml, wide or server',
        },
      ],
      action: lazy(actions, 'clusterList'),
    },
    {
      name: 'get',
      args: [{ name: '<server>', description: 'cluster API URL or name' }],
      summary: 'Show a cluster',
      examples: `argocd cluster get https://kubernetes.default.svc
argocd cluster get in-cluster -o yaml`,
      options: [
        {
          flags: '-o, --output <format>',
          description: 'output format: json, yaml, wide or server',
        },
      ],
      action: lazy(actions, 'clusterGet'),
    },
    {
      name: 'rm',
      aliases: ['remove'],
      args: [{ name: '<servers...>', description: 'cluster API URLs or names' }],
      summary: 'Remove clusters (their apps become Unknown)',
      examples: `argocd cluster rm https://prod.example:6443 -y`,
      options: [{ flags: '-y, --yes', description: 'do not ask for confirmation' }],
      action: lazy(actions, 'clusterRm'),
    },
  ],
};
