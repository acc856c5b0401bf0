import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CliError } from './errors.js';
import {
  defaultConfigDir,
  parseLocalConfig,
  readLocalConfig,
  removeContext,
  removeToken,
  resolveContext,
  serializeLocalConfig,
  writeLocalConfig,
} from './localconfig.js';

const ARGO_CONFIG = `contexts:
- name: cd.example.com:443
  server: cd.example.com:443
  user: cd.example.com:443
- name: local
  server: 127.0.0.1:8080
  user: local
current-context: cd.example.com:443
prompts-enabled: false
servers:
- grpc-web-root-path: ""
  server: cd.example.com:443
  future-field: kept
- grpc-web-root-path: ""
  insecure: true
  plain-text: true
  server: 127.0.0.1:8080
users:
- auth-token: eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJhcmdvY2QifQ.c2ln
  name: cd.example.com:443
  refresh-token: r1
- name: local
`;

describe('localconfig', () => {
  it("reads Argo CD's file and resolves the current context", () => {
    const cfg = parseLocalConfig(ARGO_CONFIG);
    const ctx = resolveContext(cfg);
    assert.ok(ctx);
    assert.equal(ctx.name, 'cd.example.com:443');
    assert.equal(ctx.server.server, 'cd.example.com:443');
    assert.equal(ctx.user['refresh-token'], 'r1');
    assert.equal(resolveContext(cfg, 'local')?.server['plain-text'], true);
    assert.equal(resolveContext(cfg, 'nope'), undefined);
  });

  it('writes it back in key order and keeps fields it does not know', () => {
    const text = serializeLocalConfig(parseLocalConfig(ARGO_CONFIG));
    assert.match(text, /^current-context: cd\.example\.com:443\ncontexts:/);
    assert.match(text, /future-field: kept/);
    assert.deepEqual(parseLocalConfig(text), parseLocalConfig(ARGO_CONFIG));
  });

  it('treats an empty file as an empty config', () => {
    assert.equal(parseLocalConfig('').contexts.length, 0);
  });

  const bad: { name: string; text: string; want: RegExp }[] = [
    { name: 'not YAML', text: 'a: [', want: /not valid YAML/ },
    { name: 'not a mapping', text: '- a', want: /not a mapping/ },
    { name: 'contexts not a list', text: 'contexts: 3', want: /contexts is not a list/ },
    {
      name: 'context without name',
      text: 'contexts: [{server: x}]',
      want: /contexts\[0\] has no name/,
    },
    {
      name: 'boolean of the wrong type',
      text: 'servers: [{server: x, insecure: "yes"}]',
      want: /insecure is not true or false/,
    },
    {
      name: 'token of the wrong type',
      text: 'users: [{name: x, auth-token: 5}]',
      want: /auth-token is not a string/,
    },
  ];
  for (const c of bad)
    it(`refuses a config that is ${c.name}, saying how to fix it`, () => {
      assert.throws(
        () => parseLocalConfig(c.text, '/x/config'),
        (e: unknown) => {
          assert.ok(e instanceof CliError);
          assert.match(e.message, c.want);
          assert.match(e.message, /\/x\/config.*fix or delete it/);
          return true;
        },
      );
    });

  it('writes the file with mode 0600 in a new directory with mode 0700, atomically', async () => {
    const home = await mkdtemp(join(tmpdir(), 'cfg-'));
    const path = join(home, 'argocd', 'config');
    await writeLocalConfig(path, parseLocalConfig(ARGO_CONFIG));
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(join(home, 'argocd'))).mode & 0o777, 0o700);
    // a second write replaces it (and resets a mode someone loosened)
    await chmod(path, 0o644);
    await writeLocalConfig(path, parseLocalConfig(''));
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.match(await readFile(path, 'utf8'), /contexts: \[\]/);
  });

  it('warns when others can read the file, and reads an absent file as empty', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cfg-'));
    const warnings: string[] = [];
    assert.equal((await readLocalConfig(join(dir, 'missing'))).contexts.length, 0);
    const path = join(dir, 'config');
    await writeFile(path, ARGO_CONFIG, { mode: 0o644 });
    await chmod(path, 0o644);
    await readLocalConfig(path, (m) => warnings.push(m));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /chmod 600/);
  });

  it('removes a context with the server and user only it used; logout forgets tokens', () => {
    const cfg = parseLocalConfig(ARGO_CONFIG);
    assert.equal(removeToken(cfg, 'cd.example.com:443'), true);
    assert.equal(resolveContext(cfg)?.user['auth-token'], undefined);
    assert.equal(resolveContext(cfg)?.user['refresh-token'], undefined);
    assert.equal(removeContext(cfg, 'cd.example.com:443'), true);
    assert.equal(cfg['current-context'], '');
    assert.deepEqual(
      cfg.servers.map((s) => s.server),
      ['127.0.0.1:8080'],
    );
    assert.deepEqual(
      cfg.users.map((u) => u.name),
      ['local'],
    );
    assert.equal(removeContext(cfg, 'nope'), false);
  });

  it('finds the config directory as Argo CD does', () => {
    const none = (): boolean => false;
    assert.equal(defaultConfigDir({ ARGOCD_CONFIG_DIR: '/cfg' }, '/home/u', none), '/cfg');
    assert.equal(
      defaultConfigDir({}, '/home/u', (p) => p === '/home/u/.argocd'),
      '/home/u/.argocd',
    );
    assert.equal(defaultConfigDir({ XDG_CONFIG_HOME: '/xdg' }, '/home/u', none), '/xdg/argocd');
    assert.equal(defaultConfigDir({}, '/home/u', none), '/home/u/.config/argocd');
  });
});
