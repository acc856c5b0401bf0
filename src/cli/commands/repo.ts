/** Definitions of `argocd repo ...` and `argocd repocreds ...`. */
import { lazy, type CommandDef, type OptionDef } from '../define.js';

const actions = () => import('./repo-actions.js');

/** Credential flags shared by `repo add` and `repocreds add`. */
const credentialOptions: readonly OptionDef[] = [
  { flags: '--type <type>', description: 'git, helm or oci', default: 'git' },
  { flags: '--username <name>', description: 'user name (HTTPS)' },
  {
    flags: '--password <password>',
    description:
      'password or access token (HTTPS); without it, a --username prompts for it on a terminal',
  },
  { flags: '--password-stdin', description: 'read the password from stdin' },
  {
    flags: '--bearer-token <token>',
    description: 'bearer token (HTTPS, e.g. Bitbucket Data Center)',
  },
  { flags: '--ssh-private-key-path <file>', description: 'SSH private key file (SSH URLs)' },
  { flags: '--tls-client-cert-path <file>', description: 'TLS client certificate file (HTTPS)' },
  {
    flags: '--tls-client-cert-key-path <file>',
    description: 'TLS client certificate key file (HTTPS)',
  },
  { flags: '--github-app-id <id>', description: 'GitHub App ID' },
  { flags: '--github-app-installation-id <id>', description: 'GitHub App installation ID' },
  { flags: '--github-app-private-key-path <file>', description: 'GitHub App private key file' },
  { flags: '--github-app-enterprise-base-url <url>', description: 'GitHub Enterprise API URL' },
  {
    flags: '--gcp-service-account-key-path <file>',
    description: 'Google Cloud service account key file',
  },
  {
    flags: '--force-http-basic-auth',
    description: 'always send basic auth (servers that do not ask for it)',
  },
  { flags: '--enable-oci', description: 'Helm repository in an OCI registry' },
  { flags: '--proxy <url>', description: 'HTTP(S) proxy for this repository' },
  {
    flags: '--noproxy <hosts>',
    description: 'hosts that bypass the proxy, comma separated (also --no-proxy)',
  },
  { flags: '--upsert', description: 'replace existing settings for this URL' },
];

export const repoCommand: CommandDef = {
  name: 'repo',
  summary: 'Manage repositories',
  examples: `# Add a private HTTPS repository (prompts for the password), list repositories
argocd repo add https://git.example/team-a.git --username ci
argocd repo list`,
  subcommands: [
    {
      name: 'add',
      args: [{ name: '<url>', description: 'repository URL' }],
      summary: 'Add a repository (the server checks that it can reach it)',
      description:
        'Add a repository with its credentials. Secrets come from flags, files or stdin and are never printed, not even in error messages.',
      examples: `# Public repository
argocd repo add https://github.com/argoproj/argocd-example-apps.git

# HTTPS with a token from stdin
printf '%s' "$GIT_TOKEN" | argocd repo add https://git.example/team-a.git --username ci --password-stdin

# SSH with a key file
argocd repo add git@git.example:team-a/apps.git --ssh-private-key-path ~/.ssh/id_ed25519

# Helm repository
argocd repo add https://charts.example --type helm --name example`,
      options: [
        { flags: '--name <name>', description: 'name (Helm repositories)' },
        { flags: '--project <project>', description: 'make it a project-scoped repository' },
        {
          flags: '--insecure-skip-server-verification',
          description: "do not verify the server's TLS certificate or SSH host key (unsafe)",
        },
        {
          flags: '--insecure-ignore-host-key',
          description: 'do not verify the SSH host key (unsafe)',
        },
        { flags: '--enable-lfs', description: 'fetch Git LFS files' },
        { flags: '--depth <n>', description: 'shallow clone depth (0 = full clone)' },
        ...credentialOptions,
      ],
      action: lazy(actions, 'repoAdd'),
    },
    {
      name: 'list',
      summary: 'List repositories',
      examples: `argocd repo list
argocd repo list -o url`,
      options: [
        { flags: '-o, --output <format>', description: 'output format: json, yaml, wide or url' },
        { flags: '--refresh <mode>', description: 'hard: check the connection state again' },
      ],
      action: lazy(actions, 'repoList'),
    },
    {
      name: 'get',
      args: [{ name: '<url>', description: 'repository URL' }],
      summary: 'Show a repository',
      examples: `argocd repo get https://git.example/team-a.git -o yaml`,
      options: [
        { flags: '-o, --output <format>', description: 'output format: json, yaml, wide or url' },
        { flags: '--refresh <mode>', description: 'hard: check the connection state again' },
      ],
      action: lazy(actions, 'repoGet'),
    },
    {
      name: 'rm',
      aliases: ['remove'],
      args: [{ name: '<urls...>', description: 'repository URLs' }],
      summary: 'Remove repositories',
      examples: `argocd repo rm https://git.example/team-a.git`,
      options: [
        { flags: '--project <project>', description: 'the project of a project-scoped repository' },
      ],
      action: lazy(actions, 'repoRm'),
    },
  ],
};

export const repocredsCommand: CommandDef = {
  name: 'repocreds',
  summary: 'Manage credential templates (credentials for every repository under a URL prefix)',
  examples: `# Credentials for every repository under https://git.example/team-a/
argocd repocreds add https://git.example/team-a/ --username ci --password-stdin < token.txt
argocd repocreds list`,
  subcommands: [
    {
      name: 'add',
      args: [{ name: '<url>', description: 'URL prefix' }],
      summary: 'Add a credential template',
      examples: `argocd repocreds add https://git.example/team-a/ --username ci --password-stdin < token.txt
argocd repocreds add git@git.example:team-a/ --ssh-private-key-path ~/.ssh/id_ed25519`,
      options: credentialOptions,
      action: lazy(actions, 'repocredsAdd'),
    },
    {
      name: 'list',
      summary: 'List credential templates',
      examples: `argocd repocreds list -o url`,
      options: [
        { flags: '-o, --output <format>', description: 'output format: json, yaml or url' },
      ],
      action: lazy(actions, 'repocredsList'),
    },
    {
      name: 'rm',
      aliases: ['remove'],
      args: [{ name: '<urls...>', description: 'URL prefixes' }],
      summary: 'Remove credential templates',
      examples: `argocd repocreds rm https://git.example/team-a/`,
      action: lazy(actions, 'repocredsRm'),
    },
  ],
};
