import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dexServerOptionSpecs, envFromCmdParams, resolveOptions } from '../config/index.js';
import { run } from './dex-server.js';
import { toLogfmt } from './dex-server-log.js';

function capture(): { write(s: string): boolean; text(): string } {
  let out = '';
  return {
    write(s: string) {
      out += s;
      return true;
    },
    text: () => out,
  };
}

describe('argocd-dex-server command line', () => {
  it('prints help with flags, environment variables and defaults, and exits 0', async () => {
    const stdout = capture();
    assert.equal(await run(['--help'], { stdout, stderr: capture(), env: {} }), 0);
    const help = stdout.text();
    for (const want of [
      '--port <value>',
      '(default: 5556)',
      '--disable-tls [bool]',
      'ARGOCD_DEX_SERVER_DISABLE_TLS',
      '--tls-dir <value>',
      '(default: /tls)',
      '--keys-secret <value>',
      'argocd-dex-server-keys',
      '--logformat <value>',
    ])
      assert.ok(help.includes(want), `help lacks ${want}:\n${help}`);
    assert.ok(!help.includes('--tls-reload-interval'), 'test-only knobs stay hidden');
  });

  const bad = [
    {
      name: 'an unknown flag',
      argv: ['--frobnicate'],
      env: {},
      want: /unknown option '--frobnicate'/,
    },
    {
      name: 'a port that is not a number',
      argv: ['--port', 'http'],
      env: {},
      want: /invalid value "http" for --port: expected a whole number/,
    },
    {
      name: 'a bad value from the environment, naming the variable',
      argv: [],
      env: { ARGOCD_DEX_SERVER_DISABLE_TLS: 'maybe' },
      want: /environment variable ARGOCD_DEX_SERVER_DISABLE_TLS: expected true or false/,
    },
    {
      name: 'an unknown log format',
      argv: ['--logformat', 'xml'],
      env: {},
      want: /expected one of text, json/,
    },
  ];
  for (const c of bad) {
    it(`exits 2 on ${c.name}`, async () => {
      const stderr = capture();
      assert.equal(await run(c.argv, { stdout: capture(), stderr, env: c.env }), 2);
      assert.match(stderr.text(), c.want);
    });
  }

  it('maps argocd-cmd-params-cm keys to its environment variables as Argo CD manifests do', () => {
    const specs = dexServerOptionSpecs();
    const env = envFromCmdParams(specs, {
      'dexserver.disable.tls': 'true',
      'dexserver.log.format': 'json',
      'dexserver.log.level': 'debug',
    });
    assert.deepEqual(env, {
      ARGOCD_DEX_SERVER_DISABLE_TLS: 'true',
      ARGOCD_DEX_SERVER_LOGFORMAT: 'json',
      ARGOCD_DEX_SERVER_LOGLEVEL: 'debug',
    });
    const o = resolveOptions(specs, {}, env);
    assert.equal(o.disableTls, true);
    assert.equal(o.port, 5556);
    assert.equal(o.address, '0.0.0.0');
    assert.equal(o.keyCheckIntervalMs, 600_000);
  });
});

describe('toLogfmt', () => {
  it('prints logrus-style text lines', () => {
    assert.equal(
      toLogfmt(
        '{"level":"info","time":"2026-01-01T00:00:00.000Z","msg":"user logged in","connector":"local","security":1,"user":"a b"}',
      ),
      'time=2026-01-01T00:00:00.000Z level=info msg="user logged in" connector=local security=1 user="a b"\n',
    );
  });

  it('passes through what is not JSON', () => {
    assert.equal(toLogfmt('plain'), 'plain');
  });
});
