/** Definitions of `argocd admin ...`. */
import { lazy, type CommandDef, type OptionDef } from '../define.js';

const actions = () => import('./admin-actions.js');

const kubeOptions: readonly OptionDef[] = [
  {
    flags: '--kubeconfig <file>',
    description: 'kubeconfig file (default $KUBECONFIG or ~/.kube/config)',
  },
  { flags: '--context <name>', description: 'kubeconfig context (default: the current one)' },
];

export const adminCommand: CommandDef = {
  name: 'admin',
  summary:
    'Administration that works on the cluster or on files directly (your kubeconfig, no API server)',
  examples: `# The initial admin password, a policy check, the internal PKI
argocd admin initial-password -n argocd
argocd admin settings rbac can role:readonly get applications 'default/*' --policy-file policy.csv
argocd admin tls init -n argocd`,
  subcommands: [
    {
      name: 'initial-password',
      summary: 'Print the initial admin password (Secret argocd-initial-admin-secret)',
      examples: `argocd admin initial-password -n argocd`,
      options: [
        {
          flags: '-n, --namespace <namespace>',
          description: "Argo CD's namespace (default: the context's, else argocd)",
        },
        ...kubeOptions,
      ],
      action: lazy(actions, 'initialPassword'),
    },
    {
      name: 'settings',
      summary: 'Check settings offline',
      examples: `argocd admin settings rbac validate --policy-file policy.csv`,
      subcommands: [
        {
          name: 'rbac',
          summary: 'Validate and test RBAC policies (the same evaluator as the server)',
          examples: `argocd admin settings rbac validate --policy-file argocd-rbac-cm.yaml
argocd admin settings rbac can alice sync applications 'team-a/*' --policy-file argocd-rbac-cm.yaml`,
          subcommands: [
            {
              name: 'can',
              args: [
                { name: '<subject>', description: 'a role (role:x) or a user or group name' },
                {
                  name: '<action>',
                  description: 'get, create, update, delete, sync, override, action/..., ...',
                },
                {
                  name: '<resource>',
                  description:
                    'applications (app), projects (proj), repositories (repo), clusters, ...',
                },
                {
                  name: '[object]',
                  description: 'the object, e.g. project/app (default: everything)',
                },
              ],
              summary: 'Check whether a subject may do something (prints Yes or No; exit 1 for No)',
              examples: `# A policy.csv file or an argocd-rbac-cm ConfigMap file
argocd admin settings rbac can role:ci sync app 'team-a/web' --policy-file policy.csv

# The ConfigMap in the cluster
argocd admin settings rbac can alice delete clusters '*' --namespace argocd

# A different default role, no output (exit code only)
argocd admin settings rbac can bob get app 'default/x' --policy-file p.csv --default-role role:readonly -q`,
              options: [
                {
                  flags: '--policy-file <file>',
                  description: 'policy CSV or argocd-rbac-cm ConfigMap (YAML/JSON)',
                },
                {
                  flags: '-n, --namespace <namespace>',
                  description: 'read argocd-rbac-cm from this namespace instead',
                },
                {
                  flags: '--default-role <role>',
                  description: 'the default role (overrides policy.default)',
                },
                {
                  flags: '--use-builtin-policy',
                  description: 'include the built-in roles',
                  default: true,
                },
                {
                  flags: '--strict',
                  description: 'refuse unknown resources and actions',
                  default: true,
                },
                { flags: '-q, --quiet', description: 'print nothing; the exit code answers' },
                ...kubeOptions,
              ],
              action: lazy(actions, 'rbacCan'),
            },
            {
              name: 'validate',
              summary: 'Check that a policy parses (errors with key and line)',
              examples: `argocd admin settings rbac validate --policy-file policy.csv
argocd admin settings rbac validate --namespace argocd`,
              options: [
                {
                  flags: '--policy-file <file>',
                  description: 'policy CSV or argocd-rbac-cm ConfigMap (YAML/JSON)',
                },
                {
                  flags: '-n, --namespace <namespace>',
                  description: 'read argocd-rbac-cm from this namespace instead',
                },
                ...kubeOptions,
              ],
              action: lazy(actions, 'rbacValidate'),
            },
          ],
        },
      ],
    },
    {
      name: 'tls',
      summary: 'Manage the internal PKI (mutual TLS between the components)',
      examples: `argocd admin tls init -n argocd`,
      subcommands: [
        {
          name: 'init',
          summary: 'Create the internal CA and every component certificate, as Secrets or files',
          description:
            'Create an internal CA, a serving certificate for argocd-server, argocd-repo-server and argocd-dex-server, and client certificates for argocd-server and the application controller, as the Secrets the components mount (see docs/tls.md), in the cluster, as files, or printed.',
          examples: `# Create the Secrets in the cluster
argocd admin tls init -n argocd

# Renew the certificates with the existing CA, replacing the Secrets
argocd admin tls init -n argocd --renew --overwrite

# Files for a local run, or only print the Secrets
argocd admin tls init -n argocd --output-dir ./pki
argocd admin tls init -n argocd --dry-run -o yaml`,
          options: [
            {
              flags: '-n, --namespace <namespace>',
              description: "Argo CD's namespace (Secrets and host names)",
              default: 'argocd',
            },
            {
              flags: '--output-dir <dir>',
              description: 'write files <dir>/<secret>/<key> instead of Secrets',
            },
            { flags: '--dry-run', description: 'print the Secrets, change nothing' },
            {
              flags: '-o, --output <format>',
              description: 'with --dry-run: yaml or json',
              default: 'yaml',
            },
            {
              flags: '--validity-days <days>',
              description: 'validity of the certificates',
              default: '365',
            },
            {
              flags: '--renew',
              description: 'keep the existing CA (argocd-internal-ca) and renew the certificates',
            },
            { flags: '--overwrite', description: 'replace existing Secrets or files' },
            {
              flags: '--extra-host <component=host>',
              description:
                'extra host name for a serving certificate, e.g. argocd-server=cd.example.com (repeatable)',
              repeatable: true,
            },
            {
              flags: '--skip-ca-key',
              description: 'do not store the CA key (renewal then needs a new CA)',
            },
            ...kubeOptions,
          ],
          action: lazy(actions, 'tlsInit'),
        },
      ],
    },
  ],
};
