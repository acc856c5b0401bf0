/** Definitions of `argocd app ...`. */
import { lazy, type CommandDef, type OptionDef } from '../define.js';

const actions = () => import('./app-actions.js');

const appNamespace: OptionDef = {
  flags: '-N, --app-namespace <namespace>',
  description: 'namespace of the application (apps in any namespace)',
};

/** Source, destination and sync-policy flags shared by `create` and `set`. */
const specOptions: readonly OptionDef[] = [
  { flags: '--repo <url>', description: 'repository URL' },
  { flags: '--path <path>', description: 'path of the manifests in the repository' },
  {
    flags: '--revision <revision>',
    description: 'branch, tag, commit or Helm chart version (default HEAD)',
  },
  { flags: '--helm-chart <chart>', description: 'Helm chart name (Helm repositories)' },
  { flags: '--dest-server <url>', description: 'API server URL of the destination cluster' },
  { flags: '--dest-name <name>', description: 'name of the destination cluster' },
  { flags: '--dest-namespace <namespace>', description: 'namespace of the destination' },
  { flags: '-p, --project <project>', description: 'project of the application' },
  { flags: '--sync-policy <policy>', description: 'manual (or none) or automated (or auto)' },
  {
    flags: '--auto-prune',
    description: 'automated sync deletes resources that are no longer in git',
  },
  { flags: '--self-heal', description: 'automated sync reverts changes made in the cluster' },
  { flags: '--allow-empty', description: 'automated sync may prune every resource' },
  {
    flags: '--sync-option <option>',
    description: 'sync option, e.g. CreateNamespace=true (repeatable)',
    repeatable: true,
  },
  { flags: '--sync-retry-limit <n>', description: 'retries of a failed sync (0 = no retry)' },
  { flags: '--sync-retry-backoff-duration <duration>', description: 'first retry delay, e.g. 5s' },
  {
    flags: '--sync-retry-backoff-max-duration <duration>',
    description: 'longest retry delay, e.g. 3m',
  },
  { flags: '--sync-retry-backoff-factor <n>', description: 'growth factor of the retry delay' },
  {
    flags: '--revision-history-limit <n>',
    description: 'deployments kept in the history (default 10)',
  },
  {
    flags: '--helm-set <name=value>',
    description: 'Helm parameter (repeatable)',
    repeatable: true,
  },
  {
    flags: '--helm-set-string <name=value>',
    description: 'Helm string parameter (repeatable)',
    repeatable: true,
  },
  {
    flags: '--values <file>',
    description: 'Helm values file in the repository (repeatable)',
    repeatable: true,
  },
  { flags: '--release-name <name>', description: 'Helm release name' },
  { flags: '--helm-skip-crds', description: 'do not install the chart CRDs' },
  { flags: '--directory-recurse', description: 'read manifests from subdirectories too' },
  { flags: '--directory-include <glob>', description: 'only files matching this glob' },
  { flags: '--directory-exclude <glob>', description: 'skip files matching this glob' },
  { flags: '--nameprefix <prefix>', description: 'Kustomize name prefix' },
  { flags: '--namesuffix <suffix>', description: 'Kustomize name suffix' },
  {
    flags: '--kustomize-image <image>',
    description: 'Kustomize image override (repeatable)',
    repeatable: true,
  },
  { flags: '--kustomize-namespace <namespace>', description: 'Kustomize namespace' },
];

/** Which of the app's resources an action command is about (all given ones must match). */
const resourceFilterOptions: OptionDef[] = [
  { flags: '--kind <kind>', description: 'resource kind, e.g. Deployment' },
  { flags: '--group <group>', description: 'API group, e.g. apps' },
  { flags: '--resource-name <name>', description: 'resource name' },
  { flags: '--namespace <namespace>', description: 'resource namespace' },
];

const outputOption = (formats: string): OptionDef => ({
  flags: '-o, --output <format>',
  description: `output format: ${formats}`,
});

const waitOptions: readonly OptionDef[] = [
  {
    flags: '--timeout <seconds>',
    description: 'give up after this many seconds (0 = wait forever)',
    default: '0',
  },
  {
    flags: '--resource <GROUP:KIND:NAME>',
    description: 'only these resources (NAMESPACE/NAME allowed, * globs, ! excludes; repeatable)',
    repeatable: true,
  },
];

export const appCommand: CommandDef = {
  name: 'app',
  summary: 'Manage applications',
  examples: `# List applications, show one, sync it and wait until it is healthy
argocd app list
argocd app get guestbook
argocd app sync guestbook
argocd app wait guestbook --health --timeout 120`,
  subcommands: [
    {
      name: 'create',
      args: [{ name: '[name]', description: 'application name (or from the file)' }],
      summary: 'Create an application',
      examples: `# Create a directory app from git
argocd app create guestbook --repo https://github.com/argoproj/argocd-example-apps.git --path guestbook \\
  --dest-server https://kubernetes.default.svc --dest-namespace default

# Automated sync with pruning, into a namespace created on sync
argocd app create web --repo https://git.example/web.git --path deploy --dest-name prod \\
  --dest-namespace web --sync-policy automated --auto-prune --sync-option CreateNamespace=true

# From a file (flags override its fields)
argocd app create -f guestbook.yaml --upsert`,
      options: [
        { flags: '--name <name>', description: 'application name (instead of the argument)' },
        {
          flags: '-f, --file <file>',
          description: "Application manifest (YAML or JSON; '-' for stdin)",
        },
        {
          flags: '--upsert',
          description: 'replace the application when it exists with a different spec',
        },
        {
          flags: '--validate',
          description: 'let the server check the spec (repository, path, destination)',
          default: true,
        },
        { flags: '-l, --label <key=value>', description: 'label (repeatable)', repeatable: true },
        {
          flags: '--annotations <key=value>',
          description: 'annotation (repeatable)',
          repeatable: true,
        },
        {
          flags: '--set-finalizer',
          description: 'delete the resources with the application (cascade finalizer)',
        },
        appNamespace,
        ...specOptions,
      ],
      action: lazy(actions, 'appCreate'),
    },
    {
      name: 'get',
      args: [{ name: '<name>', description: 'application name (or namespace/name)' }],
      summary: 'Show an application',
      examples: `# Summary, conditions and resources
argocd app get guestbook

# Refresh from git first; as YAML
argocd app get guestbook --refresh -o yaml

# The resource tree (Deployments with their ReplicaSets and Pods)
argocd app get guestbook -o tree`,
      options: [
        outputOption('json, yaml, wide or tree'),
        { flags: '--refresh', description: 'compare with git again before showing it' },
        {
          flags: '--hard-refresh',
          description: 'regenerate the manifests (no cache) before showing it',
        },
        { flags: '--show-operation', description: 'show the last operation' },
        appNamespace,
      ],
      action: lazy(actions, 'appGet'),
    },
    {
      name: 'list',
      summary: 'List applications',
      examples: `# Every application you may see
argocd app list

# Of one project, with a label, only names
argocd app list -p default -l team=web -o name`,
      options: [
        outputOption('json, yaml, wide or name'),
        {
          flags: '-p, --project <project>',
          description: 'only this project (repeatable)',
          repeatable: true,
        },
        { flags: '-r, --repo <url>', description: 'only apps from this repository' },
        { flags: '-l, --selector <selector>', description: 'label selector, e.g. team=web' },
        appNamespace,
      ],
      action: lazy(actions, 'appList'),
    },
    {
      name: 'diff',
      args: [{ name: '<name>', description: 'application name' }],
      summary: 'Show the differences between the live and the desired state',
      description:
        'Print unified diffs of every resource whose live state differs from the desired state. Exits 1 when there are differences (unless --exit-code=false), 0 when there are none.',
      examples: `# Differences against git (exit code 1 when there are any)
argocd app diff guestbook

# Against a branch, or against manifests in a local directory
argocd app diff guestbook --revision feature-x
argocd app diff guestbook --local ./guestbook

# Only print, never fail
argocd app diff guestbook --exit-code=false`,
      options: [
        { flags: '--refresh', description: 'compare with git again first' },
        { flags: '--hard-refresh', description: 'regenerate the manifests (no cache) first' },
        { flags: '--exit-code', description: 'exit 1 when there are differences', default: true },
        {
          flags: '--revision <revision>',
          description: 'compare with the manifests of this revision',
        },
        {
          flags: '--local <dir>',
          description: 'compare with YAML/JSON manifests in a local directory',
        },
        {
          flags: '--server-side-generate',
          description:
            'accepted for compatibility: manifests of --revision are always generated by the server',
        },
        appNamespace,
      ],
      action: lazy(actions, 'appDiff'),
    },
    {
      name: 'sync',
      args: [{ name: '<names...>', description: 'application names' }],
      summary: 'Sync applications to their desired state and wait for the result',
      examples: `# Sync and follow the progress
argocd app sync guestbook

# Preview, then sync with pruning
argocd app sync guestbook --dry-run
argocd app sync guestbook --prune

# Only one resource; do not wait
argocd app sync guestbook --resource apps:Deployment:guestbook-ui --async`,
      options: [
        {
          flags: '--revision <revision>',
          description: 'sync to this revision instead of the target',
        },
        { flags: '--prune', description: 'delete resources that are no longer desired' },
        { flags: '--dry-run', description: 'only preview the sync' },
        { flags: '--force', description: 'replace resources that cannot be patched' },
        {
          flags: '--apply-out-of-sync-only',
          description: 'only apply resources that are out of sync',
        },
        { flags: '--replace', description: 'use replace instead of apply' },
        { flags: '--server-side', description: 'use server-side apply' },
        {
          flags: '--sync-option <option>',
          description: 'sync option (repeatable)',
          repeatable: true,
        },
        { flags: '--retry-limit <n>', description: 'retries of a failed sync' },
        {
          flags: '--retry-backoff-duration <duration>',
          description: 'first retry delay',
          default: '5s',
        },
        {
          flags: '--retry-backoff-max-duration <duration>',
          description: 'longest retry delay',
          default: '3m0s',
        },
        {
          flags: '--retry-backoff-factor <n>',
          description: 'growth factor of the retry delay',
          default: '2',
        },
        { flags: '--async', description: 'start the sync and return' },
        {
          flags: '--local <dir>',
          description:
            'sync YAML/JSON manifests from a local directory (needs the override permission)',
        },
        outputOption('json or yaml (the final application)'),
        appNamespace,
        ...waitOptions,
      ],
      action: lazy(actions, 'appSync'),
    },
    {
      name: 'wait',
      args: [{ name: '<names...>', description: 'application names' }],
      summary: 'Wait until applications are synced, healthy and idle',
      description:
        'Wait for the selected conditions (default: synced, healthy and no operation running), printing resource changes as they happen. Exits 1 on timeout.',
      examples: `# Wait until synced, healthy and idle
argocd app wait guestbook

# Only health, at most two minutes
argocd app wait guestbook --health --timeout 120`,
      options: [
        { flags: '--sync', description: 'wait for sync status Synced' },
        { flags: '--health', description: 'wait for health Healthy' },
        { flags: '--operation', description: 'wait until no operation is running' },
        { flags: '--suspended', description: 'wait for health Suspended' },
        { flags: '--degraded', description: 'wait for health Degraded' },
        outputOption('json or yaml (the final application)'),
        appNamespace,
        ...waitOptions,
      ],
      action: lazy(actions, 'appWait'),
    },
    {
      name: 'delete',
      args: [{ name: '<names...>', description: 'application names' }],
      summary: 'Delete applications (and by default their resources)',
      examples: `# Delete an app and its resources (asks for confirmation)
argocd app delete guestbook

# Keep the resources in the cluster; no prompt; wait until it is gone
argocd app delete guestbook --cascade=false -y --wait`,
      options: [
        { flags: '--cascade', description: 'delete the resources too', default: true },
        {
          flags: '-p, --propagation-policy <policy>',
          description: 'foreground or background',
          default: 'foreground',
        },
        { flags: '-y, --yes', description: 'do not ask for confirmation' },
        { flags: '--wait', description: 'wait until the application is gone' },
        {
          flags: '--timeout <seconds>',
          description: 'with --wait: give up after this many seconds (0 = forever)',
          default: '0',
        },
        appNamespace,
      ],
      action: lazy(actions, 'appDelete'),
    },
    {
      name: 'history',
      args: [{ name: '<name>', description: 'application name' }],
      summary: 'Show the deployment history',
      examples: `# Deployments with their IDs (for rollback)
argocd app history guestbook`,
      options: [outputOption('wide, json, yaml or id'), appNamespace],
      action: lazy(actions, 'appHistory'),
    },
    {
      name: 'rollback',
      args: [
        { name: '<name>', description: 'application name' },
        {
          name: '[id]',
          description: 'history ID (default: the deployment before the current one)',
        },
      ],
      summary: 'Roll back to an earlier deployment and wait for it',
      examples: `# Back to the previous deployment
argocd app rollback guestbook

# To history ID 3, pruning what that revision does not have
argocd app rollback guestbook 3 --prune`,
      options: [
        { flags: '--prune', description: 'delete resources the earlier revision does not have' },
        { flags: '--dry-run', description: 'only preview' },
        { flags: '--async', description: 'start the rollback and return' },
        {
          flags: '--timeout <seconds>',
          description: 'give up after this many seconds (0 = forever)',
          default: '0',
        },
        outputOption('json or yaml (the final application)'),
        appNamespace,
      ],
      action: lazy(actions, 'appRollback'),
    },
    {
      name: 'set',
      args: [{ name: '<name>', description: 'application name' }],
      summary: "Change an application's spec",
      examples: `# Point the app at another revision and make it self-healing
argocd app set guestbook --revision v2 --sync-policy automated --self-heal

# Set a Helm parameter
argocd app set web --helm-set image.tag=1.2.3`,
      options: [
        { flags: '--validate', description: 'let the server check the spec', default: true },
        appNamespace,
        ...specOptions,
      ],
      action: lazy(actions, 'appSet'),
    },
    {
      name: 'terminate-op',
      args: [{ name: '<name>', description: 'application name' }],
      summary: 'Stop the running operation (sync or rollback)',
      examples: `# Stop a sync that hangs on a hook
argocd app terminate-op guestbook`,
      options: [appNamespace],
      action: lazy(actions, 'appTerminateOp'),
    },
    {
      name: 'actions',
      summary: "List and run the actions of an application's resources (restart, pause, resume)",
      examples: `# What the Deployments of the app offer
argocd app actions list guestbook --kind Deployment

# Restart one Deployment (a rolling restart, as kubectl rollout restart)
argocd app actions run guestbook restart --kind Deployment --resource-name guestbook-ui`,
      subcommands: [
        {
          name: 'list',
          args: [{ name: '<name>', description: 'application name' }],
          summary: 'List the actions of the matching resources',
          examples: `argocd app actions list guestbook --kind Deployment -o json`,
          options: [...resourceFilterOptions, outputOption('json or yaml'), appNamespace],
          action: lazy(actions, 'appActionsList'),
        },
        {
          name: 'run',
          args: [
            { name: '<name>', description: 'application name' },
            { name: '<action>', description: 'action name, e.g. restart' },
          ],
          summary: 'Run an action on the matching resource (or on all with --all)',
          examples: `# Restart every StatefulSet of the app
argocd app actions run db restart --kind StatefulSet --all`,
          options: [
            ...resourceFilterOptions,
            { flags: '--all', description: 'run it on every matching resource' },
            appNamespace,
          ],
          action: lazy(actions, 'appActionsRun'),
        },
      ],
    },
    {
      name: 'manifests',
      args: [{ name: '<name>', description: 'application name' }],
      summary: 'Print the desired (git) or live manifests',
      examples: `# Desired manifests as generated from git
argocd app manifests guestbook

# Live objects of the managed resources
argocd app manifests guestbook --source live`,
      options: [
        { flags: '--source <source>', description: 'git or live', default: 'git' },
        { flags: '--revision <revision>', description: 'with --source git: this revision' },
        appNamespace,
      ],
      action: lazy(actions, 'appManifests'),
    },
  ],
};
