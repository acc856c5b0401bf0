import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { baseUrlFor, CommandContext, normalizeServer } from './context.js';
import { resolveGlobals } from './global-options.js';
import { writeLocalConfig, parseLocalConfig } from './localconfig.js';
import { captureIo } from './test-helpers.js';

const CONFIG = `current-context: a
contexts:
- {name: a, server: a.example:443, user: a}
- {name: b, server: b.example:443, user: b}
servers:
- {server: a.example:443, certificate-authority-data: ${Buffer.from('CA-OF-A').toString('base64')}}
- {server: b.example:443, insecure: true}
users:
- {name: a, auth-token: token-of-a}
- {name: b, auth-token: token-of-b}
`;

async function contextWith(
  flags: Record<string, unknown>,
  env: Record<string, string> = {},
): Promise<CommandContext> {
  const io = captureIo({ env });
  const ctx = new CommandContext(io, resolveGlobals(flags, io.env));
  await writeLocalConfig(ctx.configPath, parseLocalConfig(CONFIG));
  return ctx;
}

describe('connection resolution', () => {
  it('uses the current context: its server, CA and token', async () => {
    const c = await (await contextWith({})).connection();
    assert.equal(c.baseUrl, 'https://a.example:443');
    assert.equal(c.token, 'token-of-a');
    assert.equal(c.tokenSource, 'config');
    assert.equal(c.tls.caPem, 'CA-OF-A');
    assert.equal(c.tls.insecureSkipVerify, undefined);
  });

  it('never sends a stored token to another server named with --server', async () => {
    const c = await (await contextWith({ server: 'evil.example:443' })).connection();
    assert.equal(c.token, undefined);
    assert.equal(c.tokenSource, 'none');
    assert.equal(c.tls.caPem, undefined);
  });

  it('never sends a stored token to another server named with ARGOCD_SERVER', async () => {
    const c = await (await contextWith({}, { ARGOCD_SERVER: 'evil.example:443' })).connection();
    assert.equal(c.token, undefined);
  });

  it('uses the stored token of the context whose server --server names', async () => {
    const c = await (await contextWith({ server: 'https://b.example:443/' })).connection();
    assert.equal(c.token, 'token-of-b');
    assert.equal(c.tls.insecureSkipVerify, true);
  });

  it('prefers --auth-token, then ARGOCD_AUTH_TOKEN, over the config', async () => {
    assert.equal((await (await contextWith({ authToken: 'flag' })).connection()).token, 'flag');
    const c = await (await contextWith({}, { ARGOCD_AUTH_TOKEN: 'env' })).connection();
    assert.equal(c.token, 'env');
    assert.equal(c.tokenSource, 'flag');
  });

  it('selects a context with --argocd-context and refuses an unknown one', async () => {
    assert.equal(
      (await (await contextWith({ argocdContext: 'b' })).connection()).token,
      'token-of-b',
    );
    await assert.rejects(
      (await contextWith({ argocdContext: 'zz' })).connection(),
      /context "zz" does not exist/,
    );
  });

  it('says how to log in when there is no server', async () => {
    const io = captureIo();
    const ctx = new CommandContext(io, resolveGlobals({}, io.env));
    await assert.rejects(ctx.connection(), /not logged in: run 'argocd login <server>'/);
  });
});

describe('normalizeServer / baseUrlFor', () => {
  it('strips https:// and slashes, flags http://, refuses other schemes and junk', () => {
    assert.deepEqual(normalizeServer('https://cd.example:443/'), {
      server: 'cd.example:443',
      http: false,
    });
    assert.deepEqual(normalizeServer('http://127.0.0.1:8080'), {
      server: '127.0.0.1:8080',
      http: true,
    });
    assert.throws(() => normalizeServer('ftp://x'), /invalid server address/);
    assert.throws(() => normalizeServer('user@host'), /invalid server address/);
    assert.throws(() => normalizeServer(''), /invalid server address/);
  });
  it('adds the root path', () => {
    assert.equal(baseUrlFor('h:1', false, '/argocd/'), 'https://h:1/argocd');
    assert.equal(baseUrlFor('h:1', true, undefined), 'http://h:1');
  });
});
