/** Definitions of `argocd account ...`. */
import { lazy, type CommandDef } from '../define.js';

const actions = () => import('./account-actions.js');

export const accountCommand: CommandDef = {
  name: 'account',
  summary: 'Manage accounts: passwords, API tokens, permissions',
  examples: `# Who am I, what may I do, change my password
argocd account get-user-info
argocd account can-i sync applications 'default/*'
argocd account update-password`,
  subcommands: [
    {
      name: 'get',
      summary: 'Show an account (default: yours) with its tokens',
      examples: `argocd account get
argocd account get --account ci -o json`,
      options: [
        { flags: '-a, --account <name>', description: 'the account (default: the logged-in user)' },
        { flags: '-o, --output <format>', description: 'output format: json or yaml' },
      ],
      action: lazy(actions, 'accountGet'),
    },
    {
      name: 'list',
      summary: 'List local accounts',
      examples: `argocd account list`,
      options: [
        { flags: '-o, --output <format>', description: 'output format: json, yaml or name' },
      ],
      action: lazy(actions, 'accountList'),
    },
    {
      name: 'get-user-info',
      summary: 'Show the logged-in user (name, issuer, groups)',
      examples: `argocd account get-user-info -o json`,
      options: [{ flags: '-o, --output <format>', description: 'output format: json or yaml' }],
      action: lazy(actions, 'accountUserInfo'),
    },
    {
      name: 'update-password',
      summary: "Change a password (yours by default); the account's other sessions end",
      description:
        'Change the password of a local account. The passwords are prompted for on a terminal, or read from stdin (current, then new, one per line). Every session and token of the account issued before the change stops working; your own session is renewed.',
      examples: `# Interactive
argocd account update-password

# From a script
printf '%s\\n%s\\n' "$OLD" "$NEW" | argocd account update-password

# Another account (needs the accounts update permission; your password confirms it)
argocd account update-password --account ci --current-password "$MINE" --new-password "$NEW"`,
      options: [
        { flags: '--account <name>', description: 'the account (default: the logged-in user)' },
        { flags: '--current-password <password>', description: 'your current password' },
        { flags: '--new-password <password>', description: 'the new password' },
      ],
      action: lazy(actions, 'accountUpdatePassword'),
    },
    {
      name: 'generate-token',
      summary: 'Create an API token (printed once)',
      examples: `# A token for the account ci that expires in 30 days
argocd account generate-token --account ci -e 30d

# For yourself, with an ID to revoke it later
argocd account generate-token --id laptop`,
      options: [
        { flags: '-a, --account <name>', description: 'the account (default: the logged-in user)' },
        {
          flags: '-e, --expires-in <duration>',
          description: 'lifetime, e.g. 12h or 30d (default: none, the token never expires)',
        },
        { flags: '--id <id>', description: 'token ID (default: a random one)' },
      ],
      action: lazy(actions, 'accountGenerateToken'),
    },
    {
      name: 'delete-token',
      args: [{ name: '<id>', description: 'token ID' }],
      summary: 'Revoke an API token',
      examples: `argocd account delete-token --account ci laptop`,
      options: [
        { flags: '-a, --account <name>', description: 'the account (default: the logged-in user)' },
      ],
      action: lazy(actions, 'accountDeleteToken'),
    },
    {
      name: 'can-i',
      args: [
        {
          name: '<action>',
          description: 'get, create, update, delete, sync, override, action/..., ...',
        },
        { name: '<resource>', description: 'applications, projects, repositories, clusters, ...' },
        { name: '<object>', description: 'the object, e.g. project/app or *' },
      ],
      summary: 'Ask the server whether you may do something (prints yes or no)',
      examples: `argocd account can-i sync applications 'default/guestbook'
argocd account can-i update projects 'team-a'
argocd account can-i create clusters '*'`,
      action: lazy(actions, 'accountCanI'),
    },
  ],
};
