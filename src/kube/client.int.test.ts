/**
 * KubeClient against a scripted HTTPS server on loopback (real TLS, real sockets): retries,
 * rate limiting, stats and metrics, stalled watches, limits, and credentials kept out of every
 * message. Behaviour against the real kube-apiserver is in *.int.test.ts beside this one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { Registry } from 'prom-client';
import { createSelfSignedCertificate } from '../tls/index.js';
import { KubeApiError, KubeClient, type KubeConnection, type Sleep } from './index.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const TOKEN = 'sekr3t-token-value-0123456789';

describe('KubeClient (scripted TLS server)', () => {
  let server: Server;
  let caPem: string;
  let port: number;
  let handler: Handler = (_req, res) => {
    res.end('{}');
  };
  const seen: { method: string; url: string; auth: string | undefined }[] = [];

  before(async () => {
    const cert = await createSelfSignedCertificate({
      commonName: 'fake-apiserver',
      hosts: ['127.0.0.1'],
      serverAuth: true,
    });
    caPem = cert.certPem;
    server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        seen.push({
          method: req.method ?? '',
          url: req.url ?? '',
          auth: req.headers.authorization,
        });
        handler(req, res, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  function conn(extra: Partial<KubeConnection> = {}): KubeConnection {
    return { server: `https://127.0.0.1:${port}`, caPem, token: TOKEN, source: 'test', ...extra };
  }

  const noSleep: Sleep = (_ms, signal) => {
    signal?.throwIfAborted();
    return Promise.resolve();
  };

  function script(
    responses: { status: number; body?: string; headers?: Record<string, string> }[],
  ): void {
    let i = 0;
    handler = (_req, res) => {
      const r = responses[Math.min(i++, responses.length - 1)] ?? { status: 500 };
      res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
      res.end(r.body ?? '{}');
    };
  }

  it('retries an idempotent request after 503 and 429, honouring Retry-After, and reports it', async () => {
    script([
      { status: 503, body: '{"kind":"Status","message":"unavailable"}' },
      {
        status: 429,
        body: '{"kind":"Status","message":"slow down"}',
        headers: { 'retry-after': '2' },
      },
      { status: 200, body: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}}' },
    ]);
    const sleeps: number[] = [];
    const registry = new Registry();
    const k = new KubeClient(conn(), {
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      random: () => 0.5,
      metricsRegistry: registry,
    });
    const cm = await k.get({
      group: '',
      version: 'v1',
      resource: 'configmaps',
      namespace: 'a',
      name: 'x',
    });
    assert.equal(cm.metadata.name, 'x');
    assert.equal(sleeps.length, 2);
    assert.equal(sleeps[1], 2000, 'Retry-After: 2 → 2 s');
    const s = k.stats();
    assert.equal(s.retries, 2);
    assert.deepEqual(s.requests.get, { '503': 1, '429': 1, '200': 1 });
    const text = await registry.metrics();
    assert.match(
      text,
      /argocd_kubectl_requests_total\{host="127\.0\.0\.1:\d+",method="GET",code="503"\} 1/,
    );
    assert.match(text, /argocd_kubectl_request_retries_total\{[^}]*code="429"\} 1/);
    assert.match(text, /argocd_kubectl_rate_limiter_duration_seconds_count\{[^}]*verb="get"\} 3/);
    k.close();
  });

  it('does not repeat a create after a 5xx (it may have happened) but does after 429', async () => {
    script([{ status: 503 }]);
    const k = new KubeClient(conn(), { sleep: noSleep });
    const ref = { group: '', version: 'v1', resource: 'configmaps', namespace: 'a' };
    const before = seen.length;
    await assert.rejects(k.create(ref, { metadata: { name: 'y' } }), (err: unknown) => {
      assert.ok(err instanceof KubeApiError);
      assert.equal(err.status, 503);
      return true;
    });
    assert.equal(seen.length - before, 1);
    script([{ status: 429 }, { status: 201, body: '{"metadata":{"name":"y"}}' }]);
    const created = await k.create(ref, { metadata: { name: 'y' } });
    assert.equal(created.metadata.name, 'y');
    assert.equal(k.stats().retries, 1);
    k.close();
  });

  it('does not retry a plain 500 (an answer, not a hiccup)', async () => {
    script([{ status: 500, body: '{"message":"boom"}' }]);
    const k = new KubeClient(conn(), { sleep: noSleep });
    const before = seen.length;
    await assert.rejects(
      k.get({ group: '', version: 'v1', resource: 'configmaps', namespace: 'a', name: 'x' }),
      /boom/,
    );
    assert.equal(seen.length - before, 1);
    k.close();
  });

  it('gives up after maxRetries with the last error', async () => {
    script([{ status: 503, body: '{"message":"etcd down"}' }]);
    const k = new KubeClient(conn(), { sleep: noSleep, retry: { maxRetries: 3 } });
    const before = seen.length;
    await assert.rejects(
      k.get({ group: '', version: 'v1', resource: 'configmaps', namespace: 'a', name: 'x' }),
      /etcd down/,
    );
    assert.equal(seen.length - before, 4);
    k.close();
  });

  it('throttles bursts beyond the bucket and reports the time waited', async () => {
    script([{ status: 200, body: '{"items":[],"metadata":{}}' }]);
    let fakeNow = 0;
    const waits: number[] = [];
    const k = new KubeClient(conn(), {
      qps: 10,
      burst: 3,
      now: () => fakeNow,
      sleep: (ms) => {
        waits.push(ms);
        fakeNow += ms;
        return Promise.resolve();
      },
    });
    for (let i = 0; i < 6; i++) await k.list({ group: '', version: 'v1', resource: 'configmaps' });
    assert.deepEqual(
      waits.map((w) => Math.round(w)),
      [100, 100, 100],
    );
    const s = k.stats();
    assert.equal(s.throttled, 3);
    assert.equal(s.throttledMs, 300);
    assert.equal(s.qps, 10);
    assert.equal(s.burst, 3);
    k.close();
  });

  it('never puts the bearer token in errors, even when the server echoes it', async () => {
    handler = (req, res) => {
      res.writeHead(401, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          message: `bad credentials: ${req.headers.authorization ?? ''}`,
          reason: 'Unauthorized',
        }),
      );
    };
    const k = new KubeClient(conn(), { sleep: noSleep });
    await assert.rejects(
      k.get({ group: '', version: 'v1', resource: 'secrets', namespace: 'a', name: 's' }),
      (err: unknown) => {
        assert.ok(err instanceof KubeApiError);
        assert.equal(err.code, 'ERR_KUBE_UNAUTHORIZED');
        assert.ok(!err.message.includes(TOKEN), err.message);
        assert.ok(!inspect(err).includes(TOKEN));
        return true;
      },
    );
    assert.ok(seen.at(-1)?.auth?.endsWith(TOKEN), 'the token was sent');
    k.close();
  });

  it('never shows credentials when the client itself is logged or serialised', () => {
    const k = new KubeClient(conn({ password: 'pa55word-xyz', username: 'u', token: TOKEN }));
    for (const text of [inspect(k, { depth: 5 }), JSON.stringify(k)]) {
      assert.ok(!text.includes(TOKEN), text);
    }
    k.close();
  });

  it('keeps the token out of the message when the server cannot be reached', async () => {
    // a port that just closed: nothing listens there
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const deadPort = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const k = new KubeClient(
      { server: `https://127.0.0.1:${deadPort}`, token: TOKEN, source: 'test' },
      { sleep: noSleep, retry: { maxRetries: 1 } },
    );
    await assert.rejects(
      k.list({ group: '', version: 'v1', resource: 'configmaps' }),
      (err: unknown) => {
        assert.ok(err instanceof KubeApiError);
        assert.equal(err.code, 'ERR_KUBE_UNAVAILABLE');
        assert.match(err.message, /failed to reach the Kubernetes API at https:\/\/127\.0\.0\.1/);
        assert.ok(!err.message.includes(TOKEN));
        assert.ok(!inspect(err, { depth: 10 }).includes(TOKEN));
        return true;
      },
    );
    k.close();
  });

  it('refuses servers that are not https or carry credentials in the URL', () => {
    assert.throws(() => new KubeClient({ server: 'http://127.0.0.1:1', source: 't' }), /not https/);
    assert.throws(
      () => new KubeClient({ server: 'https://admin:hunter22@127.0.0.1:1', source: 't' }),
      (err: unknown) => err instanceof TypeError && !err.message.includes('hunter22'),
    );
  });

  it('detects a stalled watch (no byte for idleTimeoutMs) and fails it', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      // then silence: no events, no bookmark, no end
    };
    const k = new KubeClient(conn());
    const t0 = Date.now();
    await assert.rejects(
      k.watch(
        { group: '', version: 'v1', resource: 'configmaps' },
        { idleTimeoutMs: 300 },
        () => undefined,
      ),
      (err: unknown) =>
        err instanceof KubeApiError &&
        err.code === 'ERR_KUBE_TIMEOUT' &&
        /stalled/.test(err.message),
    );
    assert.ok(Date.now() - t0 >= 250);
    assert.equal(k.stats().watches, 1);
    k.close();
  });

  it('parses events split across chunks and surfaces ERROR events as KubeApiError', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const ev = JSON.stringify({
        type: 'ADDED',
        object: { metadata: { name: 'a', resourceVersion: '5' } },
      });
      res.write(ev.slice(0, 10));
      setTimeout(() => {
        res.write(`${ev.slice(10)}\n`);
        res.write(
          `${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version: 1 (5)' } })}\n`,
        );
      }, 20);
    };
    const k = new KubeClient(conn());
    const names: string[] = [];
    await assert.rejects(
      k.watch({ group: '', version: 'v1', resource: 'configmaps' }, {}, (ev) => {
        names.push(ev.object.metadata.name ?? '');
      }),
      (err: unknown) =>
        err instanceof KubeApiError && err.status === 410 && err.code === 'ERR_KUBE_GONE',
    );
    assert.deepEqual(names, ['a']);
    k.close();
  });

  it('keeps long watches from starving requests (watches have their own connections)', async () => {
    handler = (req, res) => {
      if (req.url?.includes('watch=1')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders(); // and hold the watch open
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"items":[],"metadata":{}}');
    };
    const k = new KubeClient(conn(), { maxSockets: 2 });
    const ac = new AbortController();
    const watches = Array.from({ length: 3 }, () =>
      k
        .watch(
          { group: '', version: 'v1', resource: 'configmaps' },
          { signal: ac.signal },
          () => undefined,
        )
        .catch(() => undefined),
    );
    await new Promise((r) => setTimeout(r, 100));
    const list = await Promise.race([
      k.list({ group: '', version: 'v1', resource: 'configmaps' }),
      new Promise<never>((_, reject) =>
        setTimeout(() => {
          reject(new Error('the request waited behind the watches'));
        }, 5000),
      ),
    ]);
    assert.deepEqual(list.items, []);
    ac.abort();
    await Promise.all(watches);
    k.close();
  });

  it('refuses a response larger than maxResponseBytes', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(`{"items":[],"pad":"${'x'.repeat(10_000)}"}`);
    };
    const k = new KubeClient(conn(), { maxResponseBytes: 1000, retry: { maxRetries: 0 } });
    await assert.rejects(
      k.list({ group: '', version: 'v1', resource: 'configmaps' }),
      /larger than 1000 bytes/,
    );
    k.close();
  });
});
