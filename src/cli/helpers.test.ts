import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ClientError } from '../client/index.js';
import { formatUnixTime, parseExpiresIn } from './durations.js';
import { CliError, exitCodeFor, formatError, loginRefusedError } from './errors.js';
import { parseHeaders, resolveGlobals, splitArgocdOpts } from './global-options.js';
import { parseManifests, readManifestDir } from './manifests.js';
import { ssoProviderFromSettings } from './sso.js';
import { isExpired, localUserName, readUnverifiedClaims } from './token-claims.js';

describe('exit codes', () => {
  const api = (grpcCode: number): ClientError =>
    new ClientError('ERR_CLIENT_API', 'failed to x: y', {
      grpcCode: grpcCode as 5,
      httpStatus: 400,
    });
  const cases: { name: string; err: unknown; code: number }[] = [
    { name: 'usage', err: new CliError('ERR_CLI_USAGE', 'x'), code: 2 },
    { name: 'not logged in', err: new CliError('ERR_CLI_NOT_LOGGED_IN', 'x'), code: 12 },
    { name: 'not found (local)', err: new CliError('ERR_CLI_NOT_FOUND', 'x'), code: 13 },
    { name: 'timeout', err: new CliError('ERR_CLI_TIMEOUT', 'x'), code: 1 },
    { name: 'operation failed', err: new CliError('ERR_CLI_FAILED', 'x'), code: 1 },
    { name: 'connection', err: new ClientError('ERR_CLIENT_CONNECTION', 'x'), code: 11 },
    { name: 'request timeout', err: new ClientError('ERR_CLIENT_TIMEOUT', 'x'), code: 11 },
    { name: 'not found (server)', err: api(5), code: 13 },
    { name: 'unauthenticated', err: api(16), code: 12 },
    { name: 'permission denied', err: api(7), code: 12 },
    { name: 'invalid argument', err: api(3), code: 20 },
    { name: 'anything else', err: new Error('boom'), code: 20 },
  ];
  for (const c of cases)
    it(c.name, () => {
      assert.equal(exitCodeFor(c.err), c.code);
    });
  it('says what to check when a login is refused, not the generic "not logged in" hint', () => {
    const refused = new ClientError('ERR_CLIENT_API', 'x', {
      grpcCode: 16,
      serverMessage: 'Invalid username or password',
    });
    const admin = loginRefusedError(refused, 'admin');
    assert.ok(admin);
    assert.equal(exitCodeFor(admin), 12);
    const msg = formatError(admin);
    assert.match(msg, /^argocd: failed to log in as "admin": Invalid username or password\n/);
    assert.match(msg, /hint: check the user name and the password.*argocd admin initial-password/);
    assert.doesNotMatch(msg, /argocd login/);
    const other = formatError(loginRefusedError(refused, 'alice'));
    assert.match(other, /hint: check the user name and the password/);
    assert.doesNotMatch(other, /initial-password/);
    assert.equal(
      loginRefusedError(new ClientError('ERR_CLIENT_API', 'x', { grpcCode: 7 }), 'a'),
      undefined,
    );
    assert.equal(loginRefusedError(new Error('x'), 'a'), undefined);
  });
  it('hints what to do and removes secrets from messages', () => {
    const msg = formatError(
      new ClientError('ERR_CLIENT_API', 'failed to x: bad pass hunter22', { grpcCode: 16 }),
      ['hunter22'],
    );
    assert.match(msg, /^argocd: failed to x: bad pass \*+\nhint: .*argocd login/);
    assert.doesNotMatch(msg, /hunter22/);
  });
});

describe('global options', () => {
  it('resolves flag > env', () => {
    const g = resolveGlobals(
      { header: ['X-A: 1'] },
      { ARGOCD_SERVER: 'cd:443', ARGOCD_AUTH_TOKEN: 't' },
    );
    assert.equal(g.server, 'cd:443');
    assert.equal(g.authToken, 't');
    assert.deepEqual(g.headers, { 'X-A': '1' });
    assert.equal(resolveGlobals({ server: 'flag:1' }, { ARGOCD_SERVER: 'env:1' }).server, 'flag:1');
  });
  it('parses headers and refuses injection', () => {
    assert.deepEqual(parseHeaders(['X-Team:  blue ', 'A: b:c']), { 'X-Team': 'blue', A: 'b:c' });
    assert.throws(() => parseHeaders(['X-A: a\nB: c']), /line breaks/);
    assert.throws(() => parseHeaders(['Bad Name: x']), /invalid --header/);
  });
  it('splits ARGOCD_OPTS with quotes', () => {
    assert.deepEqual(splitArgocdOpts(` --grpc-web  -H "X-A: b c" --server 'h:1' `), [
      '--grpc-web',
      '-H',
      'X-A: b c',
      '--server',
      'h:1',
    ]);
    assert.deepEqual(splitArgocdOpts(undefined), []);
    assert.throws(() => splitArgocdOpts('--x "open'), /unclosed quote/);
  });
});

describe('durations and token claims', () => {
  it('parses --expires-in with days', () => {
    assert.equal(parseExpiresIn('12h'), 43200);
    assert.equal(parseExpiresIn('7d'), 604800);
    assert.equal(parseExpiresIn('1d12h'), 129600);
    assert.equal(parseExpiresIn('0s'), 0);
    assert.throws(() => parseExpiresIn('-1h'), /negative/);
    assert.throws(() => parseExpiresIn('tomorrow'), /invalid --expires-in/);
    assert.equal(formatUnixTime(0), 'Never');
    assert.equal(formatUnixTime(1767225600), '2026-01-01T00:00:00Z');
  });
  it('reads unverified claims to know the user and expiry, nothing more', () => {
    const tok = (o: object): string =>
      `eyJhbGciOiJIUzI1NiJ9.${Buffer.from(JSON.stringify(o)).toString('base64url')}.sig`;
    const c = readUnverifiedClaims(tok({ iss: 'argocd', sub: 'admin:login', exp: 100, jti: 'j' }));
    assert.deepEqual(c, { iss: 'argocd', sub: 'admin:login', exp: 100, jti: 'j' });
    assert.equal(localUserName(c), 'admin');
    assert.equal(localUserName({ sub: 'alice' }), 'alice');
    assert.equal(isExpired(c, new Date(99_000)), true);
    assert.equal(isExpired({ exp: 1000 }, new Date(0)), false);
    assert.equal(readUnverifiedClaims('not-a-jwt'), undefined);
    assert.equal(readUnverifiedClaims('a.!!!.c'), undefined);
  });
});

describe('manifests', () => {
  it('reads YAML streams and JSON, skipping empty documents', () => {
    assert.deepEqual(parseManifests('a: 1\n---\n---\nb: 2\n', 'f'), [{ a: 1 }, { b: 2 }]);
    assert.deepEqual(parseManifests('[{"a":1},{"b":2}]', 'f'), [{ a: 1 }, { b: 2 }]);
    assert.throws(
      () => parseManifests('a: [', 'file.yaml'),
      /failed to parse file\.yaml \(document 1\)/,
    );
  });
  it('refuses YAML alias bombs', () => {
    const bomb =
      'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n';
    assert.throws(() => parseManifests(bomb, 'bomb.yaml'), /alias|bomb/i);
  });
  it('reads a directory recursively and refuses Kustomize and Helm', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mf-'));
    await writeFile(join(dir, 'a.yaml'), 'kind: A\n');
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    assert.deepEqual(await readManifestDir(dir), [{ kind: 'A' }]);
    await writeFile(join(dir, 'kustomization.yaml'), 'resources: []\n');
    await assert.rejects(readManifestDir(dir), /Kustomize file: --local reads plain YAML/);
    await assert.rejects(readManifestDir(join(dir, 'missing')), /failed to read the directory/);
  });
});

describe('SSO provider selection', () => {
  it('uses oidc.config with its CLI client, else the bundled provider under the server URL', () => {
    assert.deepEqual(
      ssoProviderFromSettings({
        oidcConfig: {
          issuer: 'https://idp',
          clientID: 'web',
          cliClientID: 'cli',
          scopes: ['groups'],
        },
      }),
      { issuer: 'https://idp', clientId: 'cli', scopes: ['openid', 'groups'] },
    );
    assert.equal(
      ssoProviderFromSettings({ url: 'https://cd.example/', dexConfig: {} }).issuer,
      'https://cd.example/api/dex',
    );
    assert.equal(
      ssoProviderFromSettings({ url: 'https://cd.example', dexConfig: {} }).clientId,
      'argo-cd-cli',
    );
    assert.throws(() => ssoProviderFromSettings({}), /no SSO configured.*--username/);
  });
});
