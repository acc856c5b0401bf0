import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import {
  bashCompletion,
  buildProgram,
  commandDefs,
  commandNodes,
  ExitCodes,
  rewriteBooleanFlags,
  zshCompletion,
} from './index.js';
import type { CommandDef } from './define.js';
import { runArgocdInProcess } from './test-helpers.js';

function walk(
  defs: readonly CommandDef[],
  path: string[] = [],
): { path: string; def: CommandDef }[] {
  return defs.flatMap((d) => [
    { path: [...path, d.name].join(' '), def: d },
    ...walk(d.subcommands ?? [], [...path, d.name]),
  ]);
}

describe('argocd command tree', () => {
  it('gives every command a summary and at least one example that runs argocd', () => {
    for (const { path, def } of walk(commandDefs)) {
      assert.ok(def.summary.length > 5, `${path}: no summary`);
      assert.match(def.examples, /argocd /, `${path}: no example`);
      assert.ok(
        def.action || (def.subcommands?.length ?? 0) > 0,
        `${path}: neither action nor subcommands`,
      );
    }
  });

  it('prints help with the examples for every command and exits 0', async () => {
    for (const { path } of walk(commandDefs)) {
      const r = await runArgocdInProcess([...path.split(' '), '--help']);
      assert.equal(r.code, 0, `${path} --help: ${r.stderr}`);
      assert.match(r.stdout, /^Usage: argocd /m, path);
      assert.match(r.stdout, /Examples:\n {2}/, `${path}: no examples in help`);
      assert.match(r.stdout, /Global Options:/, `${path}: no global options in help`);
    }
  });

  it('has the Argo CD commands of the brief', () => {
    const paths = new Set(walk(commandDefs).map((x) => x.path));
    for (const p of [
      'login',
      'logout',
      'relogin',
      'context',
      'version',
      'app create',
      'app get',
      'app list',
      'app diff',
      'app sync',
      'app wait',
      'app delete',
      'app history',
      'app rollback',
      'app set',
      'app terminate-op',
      'proj create',
      'proj get',
      'proj list',
      'proj delete',
      'proj role create',
      'proj role delete',
      'proj role add-policy',
      'proj role remove-policy',
      'proj role create-token',
      'proj role delete-token',
      'proj role list',
      'proj role get',
      'repo add',
      'repo list',
      'repo rm',
      'repo get',
      'repocreds add',
      'repocreds list',
      'repocreds rm',
      'cluster add',
      'cluster list',
      'cluster get',
      'cluster rm',
      'account get',
      'account list',
      'account update-password',
      'account generate-token',
      'account delete-token',
      'account can-i',
      'admin initial-password',
      'admin settings rbac can',
      'admin settings rbac validate',
      'admin tls init',
      'completion',
    ])
      assert.ok(paths.has(p), `missing command ${p}`);
  });
});

describe('usage errors (exit 2) and other local refusals', () => {
  const cases: { name: string; args: string[]; code: number; message: RegExp; stdin?: string }[] = [
    { name: 'no server', args: ['login'], code: 2, message: /missing required argument 'server'/ },
    {
      name: 'a scheme other than http(s)',
      args: ['login', 'ftp://x'],
      code: 2,
      message: /invalid server address/,
    },
    {
      name: 'http without --plaintext',
      args: ['login', 'http://x:1'],
      code: 2,
      message: /--plaintext/,
    },
    {
      name: 'login without a user name off a terminal',
      args: ['login', 'x:1', '--plaintext'],
      code: 11,
      message: /failed to connect/,
    },
    {
      name: 'app create without a repo',
      args: ['app', 'create', 'web', '--dest-server', 'https://x'],
      code: 2,
      message: /--repo/,
    },
    {
      name: 'app create with a bad name',
      args: [
        'app',
        'create',
        'Bad_Name',
        '--repo',
        'r',
        '--path',
        'p',
        '--dest-server',
        'https://x',
      ],
      code: 2,
      message: /invalid application name/,
    },
    {
      name: 'app create without destination',
      args: ['app', 'create', 'web', '--repo', 'r', '--path', 'p'],
      code: 2,
      message: /--dest-server/,
    },
    {
      name: 'app create with both destinations',
      args: [
        'app',
        'create',
        'web',
        '--repo',
        'r',
        '--path',
        'p',
        '--dest-server',
        's',
        '--dest-name',
        'n',
      ],
      code: 2,
      message: /exclude each other/,
    },
    {
      name: '--auto-prune without automated',
      args: [
        'app',
        'create',
        'web',
        '--repo',
        'r',
        '--path',
        'p',
        '--dest-server',
        's',
        '--auto-prune',
      ],
      code: 2,
      message: /--sync-policy automated/,
    },
    {
      name: 'unknown sync policy',
      args: [
        'app',
        'create',
        'web',
        '--repo',
        'r',
        '--path',
        'p',
        '--dest-server',
        's',
        '--sync-policy',
        'sometimes',
      ],
      code: 2,
      message: /invalid --sync-policy/,
    },
    {
      name: 'bad helm parameter',
      args: [
        'app',
        'create',
        'web',
        '--repo',
        'r',
        '--helm-chart',
        'c',
        '--dest-server',
        's',
        '--helm-set',
        'novalue',
      ],
      code: 2,
      message: /key=value/,
    },
    {
      name: 'app get with an unknown format',
      args: ['app', 'get', 'web', '-o', 'xml'],
      code: 2,
      message: /unknown output format "xml"/,
    },
    {
      name: 'app sync with a bad resource',
      args: ['app', 'sync', 'web', '--resource', 'Deployment'],
      code: 2,
      message: /GROUP:KIND:NAME/,
    },
    {
      name: 'app delete without confirmation',
      args: ['app', 'delete', 'web'],
      code: 2,
      message: /--yes/,
    },
    {
      name: 'app delete with a bad propagation policy',
      args: ['app', 'delete', 'web', '-y', '-p', 'sideways'],
      code: 2,
      message: /propagation-policy/,
    },
    {
      name: 'app name with two slashes',
      args: ['app', 'get', 'a/b/c'],
      code: 2,
      message: /invalid application name/,
    },
    {
      name: 'project name',
      args: ['proj', 'create', 'Team A'],
      code: 2,
      message: /invalid project name/,
    },
    {
      name: 'project destination',
      args: ['proj', 'create', 'p', '-d', 'https://x'],
      code: 2,
      message: /invalid --dest/,
    },
    {
      name: 'role name',
      args: ['proj', 'role', 'create', 'p', 'bad role'],
      code: 2,
      message: /invalid role name/,
    },
    {
      name: 'policy without action',
      args: ['proj', 'role', 'add-policy', 'p', 'r', '-o', '*'],
      code: 2,
      message: /--action/,
    },
    {
      name: 'policy on a resource roles may not name',
      args: ['proj', 'role', 'add-policy', 'p', 'r', '-a', 'get', '-o', 'x', '-r', 'projects'],
      code: 2,
      message: /may only name/,
    },
    {
      name: 'policy injection',
      args: ['proj', 'role', 'add-policy', 'p', 'r', '-a', 'get', '-o', 'x, allow\np, role:admin'],
      code: 2,
      message: /commas, quotes and line breaks/,
    },
    {
      name: 'token lifetime',
      args: ['proj', 'role', 'create-token', 'p', 'r', '-e', '12 hours'],
      code: 2,
      message: /invalid --expires-in/,
    },
    {
      name: 'repo user without password off a terminal',
      args: ['repo', 'add', 'https://x/y.git', '--username', 'u'],
      code: 2,
      message: /--password-stdin/,
    },
    {
      name: 'empty --password-stdin',
      args: ['repo', 'add', 'https://x/y.git', '--username', 'u', '--password-stdin'],
      code: 2,
      message: /stdin is empty/,
    },
    {
      name: 'ssh key with an https URL',
      args: ['repo', 'add', 'https://x/y.git', '--ssh-private-key-path', '/dev/null'],
      code: 2,
      message: /needs an SSH URL/,
    },
    {
      name: 'password with an ssh URL',
      args: ['repo', 'add', 'git@x:y.git', '--username', 'u', '--password', 'p1234'],
      code: 2,
      message: /for HTTPS URLs/,
    },
    {
      name: 'an option-like URL',
      args: ['repo', 'add', '--', '-x'],
      code: 2,
      message: /may not start with '-'/,
    },
    {
      name: 'credential template without credentials',
      args: ['repocreds', 'add', 'https://x/'],
      code: 2,
      message: /needs credentials/,
    },
    {
      name: 'cluster namespace',
      args: ['cluster', 'add', 'ctx', '--namespace', 'Bad_NS', '-y'],
      code: 2,
      message: /invalid --namespace/,
    },
    {
      name: '--cluster-resources alone',
      args: ['cluster', 'add', 'ctx', '--cluster-resources', '-y'],
      code: 2,
      message: /goes with --namespace/,
    },
    {
      name: 'cluster rm without confirmation',
      args: ['cluster', 'rm', 'x'],
      code: 2,
      message: /--yes/,
    },
    {
      name: 'can-i without object',
      args: ['account', 'can-i', 'get', 'projects'],
      code: 2,
      message: /missing required argument 'object'/,
    },
    {
      name: 'account token lifetime',
      args: ['account', 'generate-token', '-e', 'soon'],
      code: 2,
      message: /invalid --expires-in/,
    },
    { name: 'unknown context', args: ['context', 'nope'], code: 13, message: /does not exist/ },
    {
      name: 'bad header',
      args: ['version', '-H', 'no colon'],
      code: 2,
      message: /invalid --header/,
    },
    {
      name: 'header injection',
      args: ['version', '-H', 'X-A: b\r\nX-B: c'],
      code: 2,
      message: /line breaks/,
    },
    {
      name: 'rbac can without a policy source',
      args: ['admin', 'settings', 'rbac', 'can', 'a', 'get', 'app'],
      code: 2,
      message: /--policy-file or --namespace/,
    },
    {
      name: 'tls init validity',
      args: ['admin', 'tls', 'init', '--validity-days', '0', '--dry-run'],
      code: 2,
      message: /--validity-days/,
    },
    {
      name: 'tls init extra host',
      args: ['admin', 'tls', 'init', '--extra-host', 'nobody=x', '--dry-run'],
      code: 2,
      message: /invalid --extra-host/,
    },
    {
      name: 'completion shell',
      args: ['completion', 'fish'],
      code: 2,
      message: /unsupported shell/,
    },
    {
      name: 'unknown option',
      args: ['app', 'list', '--bogus'],
      code: 2,
      message: /unknown option '--bogus'/,
    },
    {
      name: 'unknown command',
      args: ['app', 'frobnicate'],
      code: 2,
      message: /unknown command 'frobnicate'/,
    },
    {
      name: '--core (Argo CD talks to Kubernetes directly; not here), with what to do instead',
      args: ['app', 'list', '--core'],
      code: 2,
      message: /--core is not supported: .*argocd login <server>/,
    },
    {
      name: '--port-forward, with what to do instead',
      args: ['--port-forward', 'app', 'list'],
      code: 2,
      message: /--port-forward is not supported: .*kubectl port-forward/,
    },
    {
      name: 'not logged in',
      args: ['app', 'list'],
      code: 12,
      message: /not logged in: run 'argocd login <server>'/,
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await runArgocdInProcess(c.args, { stdin: c.stdin ?? '' });
      assert.equal(r.code, c.code, `exit ${r.code}, want ${c.code}: ${r.stderr}`);
      assert.match(r.stderr, c.message);
    });
  }

  it('never prints a password given on the command line in an error', async () => {
    const r = await runArgocdInProcess([
      'repo',
      'add',
      'https://x/y.git',
      '--username',
      'u',
      '--password',
      'hunter2-secret',
      '--plaintext',
      '--server',
      '127.0.0.1:1',
    ]);
    assert.notEqual(r.code, 0);
    assert.ok(!r.stderr.includes('hunter2-secret'), r.stderr);
  });
});

describe('global behaviour', () => {
  it('prints help for a group command and for no arguments, exit 0', async () => {
    assert.equal((await runArgocdInProcess([])).code, ExitCodes.ok);
    const r = await runArgocdInProcess(['app']);
    assert.equal(r.code, 0);
    assert.match(r.stdout + r.stderr, /Commands:/);
  });

  it('reads extra flags from ARGOCD_OPTS', async () => {
    const r = await runArgocdInProcess(['version'], {
      env: { ARGOCD_OPTS: "--loglevel 'nonsense'" },
    });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /nonsense/);
  });

  it('prints the client version without a server', async () => {
    const r = await runArgocdInProcess(['version', '--client', '-o', 'json']);
    assert.equal(r.code, 0);
    const v = JSON.parse(r.stdout) as { client: { Version: string } };
    assert.match(v.client.Version, /^v\d+\.\d+\.\d+/);
  });
});

describe('rewriteBooleanFlags', () => {
  it('turns --flag=false into --no-flag and --flag=true into --flag for known booleans only', () => {
    assert.deepEqual(
      rewriteBooleanFlags(
        [
          'app',
          'delete',
          'x',
          '--cascade=false',
          '--validate=true',
          '--revision=v1',
          '--',
          '--cascade=false',
        ],
        new Set(['cascade', 'validate']),
      ),
      [
        'app',
        'delete',
        'x',
        '--no-cascade',
        '--validate',
        '--revision=v1',
        '--',
        '--cascade=false',
      ],
    );
  });
  it('maps --no-proxy to the repo flag', () => {
    assert.deepEqual(rewriteBooleanFlags(['--no-proxy', 'a', '--no-proxy=b'], new Set()), [
      '--noproxy',
      'a',
      '--noproxy=b',
    ]);
  });
});

describe('completion', () => {
  const program: Command = buildProgram(() => Promise.resolve());
  it('lists every command path with its subcommands and flags (global ones included)', () => {
    const nodes = commandNodes(program);
    const role = nodes.find((n) => n.path === 'argocd proj role');
    assert.ok(role);
    assert.ok(role.commands.some((c) => c.name === 'create-token'));
    const sync = nodes.find((n) => n.path === 'argocd app sync');
    assert.ok(sync?.options.some((o) => o.flag === '--prune'));
    assert.ok(
      sync?.options.some((o) => o.flag === '--server'),
      'global flags missing',
    );
    assert.ok(!sync?.options.some((o) => o.flag === '--no-prune'), 'hidden flags listed');
  });
  it('generates a bash script that completes subcommands and flags', () => {
    const script = bashCompletion(program);
    const complete = (words: string[]): string =>
      execFileSync('bash', [
        '-c',
        `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _argocd; echo "\${COMPREPLY[*]}"`,
      ])
        .toString()
        .trim();
    assert.equal(complete(['argocd', 'proj', 'role', 'c']), 'create create-token');
    assert.equal(complete(['argocd', 'app', 'sync', 'web', '--pr']), '--prune');
    assert.match(complete(['argocd', '']), /\bapp\b.*\bproj\b/);
  });
  it('generates a zsh script with descriptions', () => {
    const script = zshCompletion(program);
    assert.match(script, /^#compdef argocd/);
    assert.match(script, /'create-token:Create a token for a role'/);
    assert.match(script, /compdef _argocd argocd/);
  });
});
