/**
 * gRPC, gRPC-Web and Connect on the API server's one TLS port, with the REST handlers behind them:
 * `session.SessionService` (login, userinfo, logout), `version.VersionService` (anonymous: only
 * Version) and `account.AccountService/CanI` (login required), the token from gRPC metadata
 * `token` or `authorization`, errors as gRPC status codes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Code, ConnectError, createClient, type Transport } from '@connectrpc/connect';
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from '@connectrpc/connect-node';
import { AccountService } from '../../src/server/gen/argocd/server/account/account_pb.js';
import { SessionService } from '../../src/server/gen/argocd/server/session/session_pb.js';
import { VersionService } from '../../src/server/gen/argocd/server/version/version_pb.js';
import { startTestApiServer, type TestApiServer } from '../support/api-server.js';

describe('argocd-server gRPC, gRPC-Web and Connect', () => {
  let srv: TestApiServer;
  let transports: [string, Transport][];

  before(async () => {
    srv = await startTestApiServer({ namePrefix: 'srv-connect' });
    const nodeOptions = { ca: srv.caPem };
    transports = [
      ['gRPC', createGrpcTransport({ baseUrl: srv.url, nodeOptions })],
      ['gRPC-Web', createGrpcWebTransport({ baseUrl: srv.url, httpVersion: '1.1', nodeOptions })],
      ['Connect', createConnectTransport({ baseUrl: srv.url, httpVersion: '1.1', nodeOptions })],
    ];
  });
  after(async () => {
    await srv.close();
  });

  it('logs in, answers userinfo and can-i with the token as metadata, and logs out', async () => {
    for (const [name, transport] of transports) {
      const session = createClient(SessionService, transport);
      const account = createClient(AccountService, transport);
      const { token } = await session.create({ username: 'admin', password: srv.adminPassword });
      assert.equal(token.split('.').length, 3, name);
      const anon = await session.getUserInfo({});
      assert.equal(anon.loggedIn, false, name);
      const info = await session.getUserInfo({}, { headers: { token } });
      assert.equal(info.loggedIn, true, name);
      assert.equal(info.username, 'admin', name);
      assert.ok(info.roles.includes('role:admin'), name);
      const yes = await account.canI(
        { resource: 'applications', action: 'get', subresource: 'team-a/ns/web' },
        { headers: { authorization: `Bearer ${token}` } },
      );
      assert.equal(yes.value, 'yes', name);
      await session.delete({}, { headers: { token } });
      const after = await session.getUserInfo({}, { headers: { token } });
      assert.equal(after.loggedIn, false, `${name}: the token is revoked`);
    }
  });

  it('refuses bad credentials, a missing token and a forged one with gRPC status codes', async () => {
    for (const [name, transport] of transports) {
      const session = createClient(SessionService, transport);
      const account = createClient(AccountService, transport);
      await assert.rejects(
        session.create({ username: 'admin', password: 'wrong-password' }),
        (e: unknown) =>
          e instanceof ConnectError &&
          e.code === Code.Unauthenticated &&
          e.rawMessage === 'Invalid username or password',
        name,
      );
      await assert.rejects(
        account.canI({ resource: 'projects', action: 'get', subresource: 'x' }),
        (e: unknown) => e instanceof ConnectError && e.code === Code.Unauthenticated,
        name,
      );
      const forged = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"iss":"argocd","sub":"admin:login","jti":"x"}').toString('base64url')}.`;
      await assert.rejects(
        account.canI(
          { resource: 'projects', action: 'get', subresource: 'x' },
          { headers: { token: forged } },
        ),
        (e: unknown) => e instanceof ConnectError && e.code === Code.Unauthenticated,
        name,
      );
    }
  });

  it('answers an anonymous Version call with only Version, a logged-in one with everything', async () => {
    const [, grpc] = transports[0] ?? [];
    assert.ok(grpc);
    const version = createClient(VersionService, grpc);
    const anon = await version.version({});
    assert.match(anon.Version, /^v\d/);
    assert.equal(anon.Platform, '');
    const token = await srv.login('admin', srv.adminPassword);
    const full = await version.version({}, { headers: { token } });
    assert.equal(full.Platform, `${process.platform}/${process.arch}`);
  });
});
