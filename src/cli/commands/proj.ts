/** Definitions of `argocd proj ...` and `argocd proj role ...`. */
import { lazy, type CommandDef, type OptionDef } from '../define.js';

const actions = () => import('./proj-actions.js');

const output = (formats: string): OptionDef => ({
  flags: '-o, --output <format>',
  description: `output format: ${formats}`,
});

const projRole = (extra: string): readonly { name: string; description: string }[] => [
  { name: '<project>', description: 'project name' },
  { name: '<role>', description: 'role name' },
  ...(extra ? [{ name: extra, description: extra.replace(/[<>]/g, '') }] : []),
];

const policyOptions: readonly OptionDef[] = [
  {
    flags: '-a, --action <action>',
    description: 'action, e.g. get, sync, update, delete, override, * ',
  },
  { flags: '-p, --permission <permission>', description: 'allow or deny', default: 'allow' },
  {
    flags: '-o, --object <object>',
    description: 'object in the project, e.g. an application name or *',
  },
  {
    flags: '-r, --resource <resource>',
    description: 'applications, applicationsets, repositories, clusters, logs or exec',
    default: 'applications',
  },
];

export const projCommand: CommandDef = {
  name: 'proj',
  summary: 'Manage projects',
  examples: `# Create a project limited to one repository and namespace, then list projects
argocd proj create team-a -s https://git.example/team-a.git -d https://kubernetes.default.svc,team-a
argocd proj list`,
  subcommands: [
    {
      name: 'create',
      args: [{ name: '[name]', description: 'project name (or from the file)' }],
      summary: 'Create a project',
      examples: `# Sources and destinations
argocd proj create team-a --description "Team A" -s https://git.example/team-a.git \\
  -d https://kubernetes.default.svc,team-a

# From a file
argocd proj create -f team-a.yaml --upsert`,
      options: [
        { flags: '--description <text>', description: 'description' },
        {
          flags: '-d, --dest <server,namespace>',
          description:
            'permitted destination: cluster URL (or name) and namespace, globs allowed (repeatable)',
          repeatable: true,
        },
        {
          flags: '-s, --src <url>',
          description: 'permitted source repository, globs allowed (repeatable)',
          repeatable: true,
        },
        {
          flags: '--source-namespaces <namespace>',
          description: 'namespace whose Applications may use this project (repeatable)',
          repeatable: true,
        },
        {
          flags: '--allow-cluster-resource <group/kind>',
          description: 'cluster-scoped kind the project may manage (repeatable)',
          repeatable: true,
        },
        {
          flags: '--deny-cluster-resource <group/kind>',
          description: 'cluster-scoped kind the project may not manage (repeatable)',
          repeatable: true,
        },
        {
          flags: '--allow-namespaced-resource <group/kind>',
          description: 'namespaced kind the project may manage (repeatable; default all)',
          repeatable: true,
        },
        {
          flags: '--deny-namespaced-resource <group/kind>',
          description: 'namespaced kind the project may not manage (repeatable)',
          repeatable: true,
        },
        {
          flags: '--orphaned-resources',
          description: 'monitor resources in the destinations that no app manages',
        },
        { flags: '--orphaned-resources-warn', description: 'and warn about them' },
        {
          flags: '-f, --file <file>',
          description: "AppProject manifest (YAML or JSON; '-' for stdin)",
        },
        {
          flags: '--upsert',
          description: 'replace the project when it exists with a different spec',
        },
      ],
      action: lazy(actions, 'projCreate'),
    },
    {
      name: 'get',
      args: [{ name: '<name>', description: 'project name' }],
      summary: 'Show a project',
      examples: `argocd proj get default
argocd proj get team-a -o yaml`,
      options: [output('json, yaml or wide')],
      action: lazy(actions, 'projGet'),
    },
    {
      name: 'list',
      summary: 'List projects',
      examples: `argocd proj list
argocd proj list -o name`,
      options: [output('json, yaml, wide or name')],
      action: lazy(actions, 'projList'),
    },
    {
      name: 'delete',
      args: [{ name: '<names...>', description: 'project names' }],
      summary: 'Delete projects (refused while applications use them)',
      examples: `argocd proj delete team-a`,
      action: lazy(actions, 'projDelete'),
    },
    {
      name: 'role',
      summary: 'Manage project roles, their policies and tokens',
      examples: `# A CI role that may sync the apps of team-a, and a token for it that expires in a week
argocd proj role create team-a ci
argocd proj role add-policy team-a ci -a sync -o '*'
argocd proj role create-token team-a ci -e 7d`,
      subcommands: [
        {
          name: 'create',
          args: projRole(''),
          summary: 'Create a role',
          examples: `argocd proj role create team-a ci --description "CI pipelines"`,
          options: [{ flags: '--description <text>', description: 'description' }],
          action: lazy(actions, 'roleCreate'),
        },
        {
          name: 'delete',
          args: projRole(''),
          summary: 'Delete a role (its tokens stop working)',
          examples: `argocd proj role delete team-a ci`,
          action: lazy(actions, 'roleDelete'),
        },
        {
          name: 'list',
          args: [{ name: '<project>', description: 'project name' }],
          summary: 'List the roles of a project',
          examples: `argocd proj role list team-a`,
          options: [output('json, yaml or name')],
          action: lazy(actions, 'roleList'),
        },
        {
          name: 'get',
          args: projRole(''),
          summary: 'Show a role: policies, groups and tokens',
          examples: `argocd proj role get team-a ci`,
          options: [output('json or yaml')],
          action: lazy(actions, 'roleGet'),
        },
        {
          name: 'add-policy',
          args: projRole(''),
          summary: 'Add a policy to a role',
          examples: `# Let the role sync every app of the project
argocd proj role add-policy team-a ci -a sync -o '*'

# Deny deleting one app
argocd proj role add-policy team-a ci -a delete -o web -p deny`,
          options: policyOptions,
          action: lazy(actions, 'roleAddPolicy'),
        },
        {
          name: 'remove-policy',
          args: projRole(''),
          summary: 'Remove a policy from a role',
          examples: `argocd proj role remove-policy team-a ci -a sync -o '*'`,
          options: policyOptions,
          action: lazy(actions, 'roleRemovePolicy'),
        },
        {
          name: 'add-group',
          args: projRole('<group>'),
          summary: 'Bind an SSO group to a role',
          examples: `argocd proj role add-group team-a ci my-org:team-a`,
          action: lazy(actions, 'roleAddGroup'),
        },
        {
          name: 'remove-group',
          args: projRole('<group>'),
          summary: 'Unbind an SSO group from a role',
          examples: `argocd proj role remove-group team-a ci my-org:team-a`,
          action: lazy(actions, 'roleRemoveGroup'),
        },
        {
          name: 'create-token',
          args: projRole(''),
          summary: 'Create a token for a role',
          examples: `# A token that expires in 12 hours, printed alone (for scripts)
argocd proj role create-token team-a ci -e 12h -t

# A named token without expiry
argocd proj role create-token team-a ci --id pipeline-1`,
          options: [
            {
              flags: '-e, --expires-in <duration>',
              description: 'lifetime, e.g. 12h or 7d (default: none, the token never expires)',
            },
            { flags: '-i, --id <id>', description: 'token ID (default: a random one)' },
            { flags: '-t, --token-only', description: 'print only the token' },
            { flags: '--description <text>', description: 'description' },
          ],
          action: lazy(actions, 'roleCreateToken'),
        },
        {
          name: 'delete-token',
          args: projRole('<iat>'),
          summary: 'Delete (revoke) a token by its issued-at time or ID',
          examples: `# Issued-at time, as 'argocd proj role get' shows it
argocd proj role delete-token team-a ci 1700000000

# Or by token ID
argocd proj role delete-token team-a ci pipeline-1`,
          action: lazy(actions, 'roleDeleteToken'),
        },
      ],
    },
  ],
};
