import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_DEMO_NAMESPACE,
  DEFAULT_LOCAL_PORTS,
  parseLocalOptions,
  type LocalCommand,
  type LocalOptions,
} from './local-options.js';

function parse(argv: string[]): { cmd: LocalCommand; out: string; err: string } {
  let out = '';
  let err = '';
  const cmd = parseLocalOptions(argv, {
    cwd: '/home/me/work',
    defaultDataDir: '/repo/.argocd-ts',
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
  });
  return { cmd, out, err };
}

function run(argv: string[]): LocalOptions {
  const { cmd, err } = parse(argv);
  assert.equal(cmd.kind, 'run', err);
  return cmd.options;
}

describe('parseLocalOptions', () => {
  it("uses Argo CD's ports, the argocd namespace and the repository's .argocd-ts by default", () => {
    const o = run([]);
    assert.deepEqual(o.ports, DEFAULT_LOCAL_PORTS);
    assert.equal(o.explicitPorts.size, 0);
    assert.equal(o.namespace, 'argocd');
    assert.equal(o.demoNamespace, DEFAULT_DEMO_NAMESPACE);
    assert.equal(o.dataDir, '/repo/.argocd-ts');
    assert.equal(o.demo, true);
    assert.equal(o.useKubeconfig, false);
    assert.equal(o.freePorts, false);
    assert.equal(o.fromSource, false);
    assert.equal(o.readyTimeoutMs, 180_000);
    assert.ok(Object.isFrozen(o));
  });

  it('reads every option, and remembers which ports were given', () => {
    const o = run([
      '--data-dir',
      'tmp/data',
      '-n',
      'argocd-dev',
      '--use-kubeconfig',
      '--no-demo',
      '--port',
      '9443',
      '--dex-port',
      '15556',
      '--free-ports',
      '--from-source',
      '--ready-timeout',
      '30',
    ]);
    assert.equal(o.dataDir, '/home/me/work/tmp/data');
    assert.equal(o.namespace, 'argocd-dev');
    assert.equal(o.useKubeconfig, true);
    assert.equal(o.demo, false);
    assert.equal(o.ports.server, 9443);
    assert.equal(o.ports.dex, 15556);
    assert.equal(o.ports.repoServer, 8081);
    assert.deepEqual([...o.explicitPorts].sort(), ['dex', 'server']);
    assert.equal(o.freePorts, true);
    assert.equal(o.fromSource, true);
    assert.equal(o.readyTimeoutMs, 30_000);
  });

  it('keeps an absolute data directory as given', () => {
    assert.equal(run(['--data-dir', '/var/tmp/x']).dataDir, '/var/tmp/x');
  });

  const refused: { name: string; argv: string[]; want: RegExp }[] = [
    { name: 'a port out of range', argv: ['--port', '70000'], want: /--port.*1 to 65535/ },
    { name: 'a port that is not a number', argv: ['--git-port', 'abc'], want: /--git-port/ },
    {
      name: 'two options on one port',
      argv: ['--port', '9000', '--repo-server-port', '9000'],
      want: /--port and --repo-server-port are both 9000/,
    },
    { name: 'a namespace with capitals', argv: ['-n', 'Argo'], want: /namespace name/ },
    {
      name: 'the demo in the Argo CD namespace',
      argv: ['--demo-namespace', 'argocd'],
      want: /--demo-namespace must differ from --namespace/,
    },
    { name: 'a zero timeout', argv: ['--ready-timeout', '0'], want: /at least 1/ },
    { name: 'an unknown option', argv: ['--bogus'], want: /unknown option '--bogus'/ },
    { name: 'a stray argument', argv: ['extra'], want: /too many arguments|excess/i },
  ];
  for (const c of refused) {
    it(`refuses ${c.name} with exit code 2 and a clear message`, () => {
      const { cmd, err } = parse(c.argv);
      assert.deepEqual(cmd, { kind: 'exit', code: 2 });
      assert.match(err, c.want);
    });
  }

  it('lists every option in --help and exits 0', () => {
    const { cmd, out } = parse(['--help']);
    assert.deepEqual(cmd, { kind: 'exit', code: 0 });
    for (const flag of [
      '--data-dir',
      '--namespace',
      '--use-kubeconfig',
      '--no-demo',
      '--demo-namespace',
      '--port',
      '--server-metrics-port',
      '--repo-server-port',
      '--repo-server-metrics-port',
      '--controller-metrics-port',
      '--dex-port',
      '--git-port',
      '--free-ports',
      '--from-source',
      '--ready-timeout',
      'KUBECONFIG',
      'ARGOCD_TS_DATA_DIR',
    ])
      assert.ok(out.includes(flag), `--help does not mention ${flag}`);
  });
});
