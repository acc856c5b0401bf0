import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  ArgoCdClient,
  buildPath,
  ClientError,
  collectAll,
  errorFromResponse,
  GrpcCodes,
  isNotFoundError,
  isUnauthenticatedError,
  toInt64,
  type ItemList,
} from './index.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** A loopback HTTP server whose answer each test sets; records every request. */
async function startServer(): Promise<{
  server: Server;
  url: string;
  seen: Seen[];
  handle: (h: Handler) => void;
}> {
  const seen: Seen[] = [];
  let handler: Handler = (_req, res) => res.end('{}');
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts).toString();
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    seen,
    handle: (h) => {
      handler = h;
    },
  };
}

function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

describe('ArgoCdClient over HTTP', () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  before(async () => {
    srv = await startServer();
  });
  after(async () => {
    srv.server.closeAllConnections();
    await new Promise((r) => srv.server.close(r));
  });

  function client(
    extra: Partial<ConstructorParameters<typeof ArgoCdClient>[0]> = {},
  ): ArgoCdClient {
    return new ArgoCdClient({ baseUrl: srv.url, ...extra });
  }

  it('sends the token as a bearer token and JSON bodies', async () => {
    srv.handle((_q, res) => {
      json(res, 200, { token: 'new-session' });
    });
    const c = client({ authToken: 'old' });
    const token = await c.createSession('admin', 'pw');
    c.close();
    const last = srv.seen.at(-1)!;
    assert.equal(token, 'new-session');
    assert.equal(last.method, 'POST');
    assert.equal(last.url, '/api/v1/session');
    assert.equal(last.headers.authorization, 'Bearer old');
    assert.equal(last.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(last.body), { username: 'admin', password: 'pw' });
    assert.equal(c.authToken, 'new-session');
  });

  it('takes a renewed token from Set-Cookie, reports it once and uses it next', async () => {
    const renewed: string[] = [];
    srv.handle((_q, res) => {
      json(
        res,
        200,
        { loggedIn: true },
        { 'set-cookie': ['argocd.token=renewed; Path=/; HttpOnly'] },
      );
    });
    const c = client({ authToken: 'first', onTokenRenewed: (t) => renewed.push(t) });
    await c.getUserInfo();
    await c.getUserInfo();
    c.close();
    assert.deepEqual(renewed, ['renewed']);
    assert.equal(srv.seen.at(-1)!.headers.authorization, 'Bearer renewed');
  });

  it('maps grpc-gateway error bodies to ClientError with status, code and message', async () => {
    srv.handle((_q, res) => {
      json(res, 404, { error: 'app "x" not found', code: 5, message: 'app "x" not found' });
    });
    const c = client();
    const err = await c.getApplication({ name: 'x' }).catch((e: unknown) => e);
    c.close();
    assert.ok(err instanceof ClientError);
    assert.equal(err.code, 'ERR_CLIENT_API');
    assert.equal(err.httpStatus, 404);
    assert.equal(err.grpcCode, GrpcCodes.NotFound);
    assert.equal(err.grpcStatus, 'NotFound');
    assert.equal(err.message, 'failed to get application "x": app "x" not found');
    assert.ok(isNotFoundError(err));
  });

  it('derives the gRPC code from the HTTP status when the body has none', async () => {
    srv.handle((_q, res) => {
      res.writeHead(401);
      res.end('no session');
    });
    const c = client();
    const err = await c.listProjects().catch((e: unknown) => e);
    c.close();
    assert.ok(isUnauthenticatedError(err));
    assert.match((err as Error).message, /failed to list projects: no session/);
  });

  it('explains a redirect to https', async () => {
    srv.handle((_q, res) => {
      res.writeHead(307, { location: 'https://127.0.0.1:1/api/version' });
      res.end();
    });
    const c = client();
    const err = await c.getVersion().catch((e: unknown) => e);
    c.close();
    assert.match((err as Error).message, /redirects to https:.*drop --plaintext/);
  });

  it('ends an SSO session with GET /auth/logout and the bearer token; the redirect is success', async () => {
    srv.handle((_req, res) => {
      res.writeHead(303, { location: '/' }).end();
    });
    const c = client({ authToken: 'id-token' });
    await c.endSsoSession();
    const last = srv.seen.at(-1);
    assert.equal(last?.method, 'GET');
    assert.equal(last.url, '/auth/logout');
    assert.equal(last.headers.authorization, 'Bearer id-token');
    srv.handle((_req, res) => {
      json(res, 404, { error: 'not found', code: 5, message: 'no such route' });
    });
    await assert.rejects(c.endSsoSession(), /failed to log out/);
    c.close();
  });

  it('refuses an answer that is not JSON', async () => {
    srv.handle((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>');
    });
    const c = client();
    const err = await c.getVersion().catch((e: unknown) => e);
    c.close();
    assert.ok(err instanceof ClientError);
    assert.equal(err.code, 'ERR_CLIENT_RESPONSE');
    assert.match(err.message, /not JSON.*Argo CD server/);
  });

  it('refuses an answer larger than maxResponseBytes', async () => {
    srv.handle((_q, res) => {
      json(res, 200, { items: 'x'.repeat(5000) });
    });
    const c = client({ maxResponseBytes: 1000 });
    const err = await c.listProjects().catch((e: unknown) => e);
    c.close();
    assert.ok(err instanceof ClientError);
    assert.equal(err.code, 'ERR_CLIENT_RESPONSE');
    assert.match(err.message, /larger than 1000 bytes/);
  });

  it('times out when the server does not answer', async () => {
    srv.handle(() => {
      // never answers
    });
    const c = client({ timeoutMs: 150 });
    const err = await c.getVersion().catch((e: unknown) => e);
    c.close();
    srv.server.closeAllConnections();
    assert.ok(err instanceof ClientError);
    assert.equal(err.code, 'ERR_CLIENT_TIMEOUT');
  });

  it('reports a refused connection with advice', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const { port } = probe.address() as AddressInfo;
    await new Promise((r) => probe.close(r));
    const c = new ArgoCdClient({ baseUrl: `http://127.0.0.1:${port}` });
    const err = await c.getVersion().catch((e: unknown) => e);
    c.close();
    assert.ok(err instanceof ClientError);
    assert.equal(err.code, 'ERR_CLIENT_CONNECTION');
    assert.match(err.message, /connection refused: is the server running/);
  });

  it('says to use --plaintext when a TLS client meets a plain HTTP server', async () => {
    const c = new ArgoCdClient({ baseUrl: srv.url.replace(/^http:/, 'https:') });
    const err = await c.getVersion().catch((e: unknown) => e);
    c.close();
    assert.ok(err instanceof ClientError);
    assert.equal(err.code, 'ERR_CLIENT_CONNECTION');
    assert.match(err.message, /does not speak TLS on this port .*use --plaintext/);
  });

  it('sends custom headers but never lets them replace Authorization', async () => {
    srv.handle((_q, res) => {
      json(res, 200, {});
    });
    const c = client({
      authToken: 'real',
      headers: { 'X-Team': 'blue', Authorization: 'Bearer forged' },
    });
    await c.getSettings();
    c.close();
    const h = srv.seen.at(-1)!.headers;
    assert.equal(h['x-team'], 'blue');
    assert.equal(h.authorization, 'Bearer real');
  });

  it('escapes path parameters and repeats array query keys', async () => {
    srv.handle((_q, res) => {
      json(res, 200, { items: [], value: 'yes' });
    });
    const c = client();
    await c.getRepository('https://git.example/org/repo.git');
    await c.listApplications({ projects: ['a', 'b'], selector: 'env=prod' });
    assert.equal(await c.canI('applications', 'get', 'default/ns/app'), true);
    await c.deleteProjectToken('p', 'r', 1700000000, 'jti-1');
    c.close();
    const urls = srv.seen.slice(-4).map((s) => s.url);
    assert.deepEqual(urls, [
      '/api/v1/repositories/https%3A%2F%2Fgit.example%2Forg%2Frepo.git',
      '/api/v1/applications?projects=a&projects=b&selector=env%3Dprod',
      '/api/v1/account/can-i/applications/get/default/ns/app',
      '/api/v1/projects/p/roles/r/token/1700000000?id=jti-1',
    ]);
  });

  it('uses the base path of the server URL', async () => {
    srv.handle((_q, res) => {
      json(res, 200, {});
    });
    const c = new ArgoCdClient({ baseUrl: `${srv.url}/argocd/` });
    await c.getVersion();
    c.close();
    assert.equal(srv.seen.at(-1)!.url, '/argocd/api/version');
  });

  it('reads SSE watch events, skipping keepalives, until the server ends the stream', async () => {
    srv.handle((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(':\n\n');
      res.write('data: {"result":{"type":"ADDED","application":{"metadata":{"name":"a"}}}}\n\n');
      res.write('data: {"result":{"type":"MODIFIED","appli');
      setTimeout(() => {
        res.end('cation":{"metadata":{"name":"a"}}}}\n\n');
      }, 20);
    });
    const c = client({ authToken: 't' });
    const types: string[] = [];
    for await (const ev of c.watchApplications({ name: 'a' })) types.push(ev.type);
    c.close();
    assert.deepEqual(types, ['ADDED', 'MODIFIED']);
    const last = srv.seen.at(-1)!;
    assert.equal(last.url, '/api/v1/stream/applications?name=a');
    assert.equal(last.headers.accept, 'text/event-stream');
  });

  it('throws the error message of a stream', async () => {
    srv.handle((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('data: {"error":{"grpc_code":7,"http_code":403,"message":"permission denied"}}\n\n');
    });
    const c = client();
    const err = await (async () => {
      for await (const _ of c.watchApplications()) {
        // no events expected
      }
    })().catch((e: unknown) => e);
    c.close();
    assert.ok(err instanceof ClientError);
    assert.equal(err.httpStatus, 403);
    assert.match(err.message, /permission denied/);
  });

  it('reads newline-delimited JSON when the server does not speak SSE', async () => {
    srv.handle((_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"result":{"nodes":[]}}\n{"result":{"nodes":[{"kind":"Pod"}]}}');
    });
    const c = client();
    const got: number[] = [];
    for await (const tree of c.watchResourceTree({ name: 'a' })) got.push(tree.nodes?.length ?? -1);
    c.close();
    assert.deepEqual(got, [0, 1]);
  });

  it('stops a stream when the signal aborts', async () => {
    srv.handle((_q, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: {"result":{"type":"ADDED","application":{"metadata":{"name":"a"}}}}\n\n');
      // keeps the stream open
    });
    const c = client();
    const ac = new AbortController();
    const types: string[] = [];
    for await (const ev of c.watchApplications({}, ac.signal)) {
      types.push(ev.type);
      ac.abort();
    }
    c.close();
    srv.server.closeAllConnections();
    assert.deepEqual(types, ['ADDED']);
  });
});

describe('errorFromResponse', () => {
  it('reads the message, falls back to error, and keeps the gRPC code', () => {
    const e = errorFromResponse('x', 400, Buffer.from('{"error":"bad","code":3}'));
    assert.equal(e.message, 'failed to x: bad');
    assert.equal(e.grpcCode, 3);
  });
  it('removes credentials from server messages', () => {
    const e = errorFromResponse(
      'add repository',
      400,
      Buffer.from('{"message":"fatal: https://bob:hunter22@git.example/x.git not found","code":3}'),
    );
    assert.doesNotMatch(e.message, /hunter22/);
    assert.doesNotMatch(e.serverMessage ?? '', /hunter22/);
  });
  it('ignores a code that is not a gRPC code', () => {
    assert.equal(errorFromResponse('x', 404, Buffer.from('{"code":99}')).grpcCode, 5);
  });
});

describe('buildPath', () => {
  it('drops undefined values and keeps booleans and numbers', () => {
    assert.equal(
      buildPath('/p', { a: undefined, b: false, c: 2, d: ['x', 'y z'] }),
      '/p?b=false&c=2&d=x&d=y+z',
    );
    assert.equal(buildPath('/p', {}), '/p');
  });
});

describe('toInt64', () => {
  it('reads numbers and decimal strings only', () => {
    assert.equal(toInt64(5), 5);
    assert.equal(toInt64('1700000000'), 1700000000);
    assert.equal(toInt64('1e3'), undefined);
    assert.equal(toInt64(undefined), undefined);
    assert.equal(toInt64(Number.NaN), undefined);
  });
});

describe('collectAll', () => {
  it('follows continue tokens until the last page', async () => {
    const pages: Record<string, ItemList<number>> = {
      '': { items: [1, 2], metadata: { continue: 'p2' } },
      p2: { items: [3], metadata: { continue: 'p3' } },
      p3: { items: [4] },
    };
    const asked: (string | undefined)[] = [];
    const all = await collectAll((cont) => {
      asked.push(cont);
      return Promise.resolve(pages[cont ?? '']!);
    });
    assert.deepEqual(all, [1, 2, 3, 4]);
    assert.deepEqual(asked, [undefined, 'p2', 'p3']);
  });
  it('refuses a server that repeats a continue token', async () => {
    await assert.rejects(
      collectAll(() => Promise.resolve({ items: [1], metadata: { continue: 'same' } })),
      /same continue token twice/,
    );
  });
});
