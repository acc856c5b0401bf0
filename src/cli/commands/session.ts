/** Definitions of `login`, `logout`, `relogin`, `context` and `version`. */
import { lazy, type CommandDef } from '../define.js';

const actions = () => import('./session-actions.js');

export const loginCommand: CommandDef = {
  name: 'login',
  args: [{ name: '<server>', description: 'Argo CD server address (host:port)' }],
  summary: 'Log in to an Argo CD server',
  description:
    'Log in to an Argo CD server with a local account (the password is prompted for on a terminal, or read from the first line of stdin) or through SSO (--sso), and save the session as a context in the config file.',
  examples: `# Log in with a local account (prompts for the password)
argocd login cd.example.com:443 --username admin

# Log in from a script: the password comes from stdin, the CA from a file
printf '%s\\n' "$ARGOCD_PASSWORD" | argocd login 127.0.0.1:8080 --username admin --server-crt ca.crt

# Log in through the configured identity provider (PKCE, browser on this machine)
argocd login cd.example.com --sso`,
  options: [
    { flags: '--username <name>', description: 'the user name of a local account' },
    {
      flags: '--password <password>',
      description:
        'the password (visible to other local users in the process list: prefer the prompt or stdin)',
    },
    {
      flags: '--name <context>',
      description: 'name of the context to save (default: the server address)',
    },
    {
      flags: '--sso',
      description: 'log in through the identity provider (OIDC authorization code + PKCE)',
    },
    {
      flags: '--sso-port <port>',
      description: 'loopback port for the SSO redirect',
      default: '8085',
    },
    {
      flags: '--sso-launch-browser',
      description: 'open the login page in a browser (else print the URL)',
      default: true,
    },
    {
      flags: '--skip-test-tls',
      description:
        'accepted for compatibility: the CLI never falls back from TLS to plain HTTP on its own',
    },
  ],
  action: lazy(actions, 'login'),
};

export const logoutCommand: CommandDef = {
  name: 'logout',
  args: [
    { name: '[context]', description: 'the context to log out of (default: the current one)' },
  ],
  summary: 'Log out: end the session on the server and forget its token',
  examples: `# Log out of the current context
argocd logout

# Log out of a named context
argocd logout cd.example.com:443`,
  action: lazy(actions, 'logout'),
};

export const reloginCommand: CommandDef = {
  name: 'relogin',
  summary: 'Log in again to the current context (same user, same method)',
  examples: `# Renew the session of the current context (prompts for the password)
argocd relogin

# From a script
printf '%s\\n' "$ARGOCD_PASSWORD" | argocd relogin`,
  options: [
    { flags: '--password <password>', description: 'the password (local accounts)' },
    {
      flags: '--sso-port <port>',
      description: 'loopback port for the SSO redirect',
      default: '8085',
    },
    {
      flags: '--sso-launch-browser',
      description: 'open the login page in a browser (else print the URL)',
      default: true,
    },
  ],
  action: lazy(actions, 'relogin'),
};

export const contextCommand: CommandDef = {
  name: 'context',
  aliases: ['ctx'],
  args: [{ name: '[name]', description: "context to switch to ('-' for the previous one)" }],
  summary: 'List contexts, switch to one, or delete one',
  examples: `# List contexts (the current one is marked with *)
argocd context

# Switch to a context, and back to the previous one
argocd context cd.example.com
argocd context -

# Delete a context
argocd context cd.example.com --delete`,
  options: [{ flags: '--delete', description: 'delete the context' }],
  action: lazy(actions, 'context'),
};

export const versionCommand: CommandDef = {
  name: 'version',
  summary: 'Print the version of the CLI and of the server',
  examples: `# Versions of the CLI and the server
argocd version

# Only the CLI, short
argocd version --client --short

# As JSON
argocd version -o json`,
  options: [
    { flags: '--client', description: 'only the CLI version (no server call)' },
    { flags: '--short', description: 'only the version numbers' },
    { flags: '-o, --output <format>', description: 'output format: json, yaml or short' },
  ],
  action: lazy(actions, 'version'),
};
