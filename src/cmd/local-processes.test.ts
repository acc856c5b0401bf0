/**
 * The supervisor with real child processes (small node scripts) and real loopback servers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { freePort } from '../kubeenv/index.js';
import { createCertificateAuthority, issueCertificate } from '../tls/index.js';
import {
  LocalError,
  probeStatus,
  Supervisor,
  tailFile,
  type ComponentSpec,
} from './local-processes.js';

const dir = mkdtempSync(join(tmpdir(), 'argocd-ts-supervisor-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A node process running `script`; ready when `port` answers /healthz. */
function nodeSpec(name: string, script: string, port: number): ComponentSpec {
  return {
    name,
    command: process.execPath,
    args: ['-e', script],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', PORT: String(port) },
    logFile: join(dir, `${name}.log`),
    ready: async () => (await probeStatus(`http://127.0.0.1:${String(port)}/healthz`)) === 200,
  };
}

const SERVE = `
const http = require('node:http');
console.log('starting on', process.env.PORT);
http.createServer((q, s) => s.end('ok')).listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => { console.log('SIGTERM: bye'); process.exit(0); });
`;

describe('Supervisor', () => {
  it('starts a process, waits for its readiness check, logs to its file and stops it by PID', async () => {
    const sup = new Supervisor({ readyTimeoutMs: 20_000 });
    const port = await freePort();
    const r = await sup.start(nodeSpec('web', SERVE, port));
    assert.ok(alive(r.pid));
    assert.deepEqual(sup.pids(), { web: r.pid });
    assert.equal(await probeStatus(`http://127.0.0.1:${String(port)}/healthz`), 200);
    const timers = (): number =>
      process.getActiveResourcesInfo().filter((x) => x === 'Timeout').length;
    const timersBefore = timers();
    const stopped = await sup.stopAll();
    assert.deepEqual(stopped, [{ name: 'web', pid: r.pid, how: 'stopped' }]);
    assert.equal(alive(r.pid), false);
    // no grace-period timer outlives a process that stopped (it would delay npm start's exit)
    assert.ok(
      timers() <= timersBefore,
      `${String(timers())} timers, ${String(timersBefore)} before`,
    );
    const log = readFileSync(r.logFile, 'utf8');
    assert.match(log, /listening/);
    assert.match(log, /SIGTERM: bye/);
  });

  it('keeps the previous log as <log>.1', async () => {
    const sup = new Supervisor({ readyTimeoutMs: 20_000 });
    const spec = nodeSpec('again', SERVE, await freePort());
    writeFileSync(spec.logFile, 'the previous run\n');
    await sup.start(spec);
    await sup.stopAll();
    assert.equal(readFileSync(`${spec.logFile}.1`, 'utf8'), 'the previous run\n');
  });

  it('names a component that exits during start-up and shows its last log lines', async () => {
    const sup = new Supervisor({ readyTimeoutMs: 20_000 });
    const spec = nodeSpec(
      'broken',
      "console.error('failed to listen: port in use'); process.exit(3)",
      await freePort(),
    );
    await assert.rejects(sup.start(spec), (err: unknown) => {
      assert.ok(err instanceof LocalError);
      assert.equal(err.code, 'ERR_LOCAL_COMPONENT_EXITED');
      assert.equal(err.component, 'broken');
      assert.match(
        err.message,
        /failed to start broken: it exited with code 3 before it was ready/,
      );
      assert.match(err.message, /failed to listen: port in use/);
      return true;
    });
    await sup.stopAll();
  });

  it('stops a component that is not ready in time, and says so', async () => {
    const sup = new Supervisor({ readyTimeoutMs: 1_000 });
    const spec = nodeSpec('slow', "console.log('thinking'); setInterval(() => {}, 1000)", 1);
    let pid = 0;
    await assert.rejects(
      sup.start({
        ...spec,
        ready: () => {
          pid = sup.pids().slow ?? pid;
          return Promise.resolve(false);
        },
      }),
      /failed to start slow: not ready after 1 s \(raise --ready-timeout[\s\S]*thinking/,
    );
    assert.ok(pid > 0);
    assert.equal(alive(pid), false);
    await sup.stopAll();
  });

  it('kills (SIGKILL) a process that ignores SIGTERM after the grace period', async () => {
    const sup = new Supervisor({ readyTimeoutMs: 20_000, stopGraceMs: 500 });
    const port = await freePort();
    const r = await sup.start(
      nodeSpec(
        'stubborn',
        `require('node:http').createServer((q, s) => s.end()).listen(Number(process.env.PORT), '127.0.0.1');
         process.on('SIGTERM', () => console.log('ignoring SIGTERM'));`,
        port,
      ),
    );
    const stopped = await sup.stopAll();
    assert.deepEqual(stopped, [
      { name: 'stubborn', pid: r.pid, how: 'killed after the grace period' },
    ]);
    assert.equal(alive(r.pid), false);
  });

  it('reports a ready component that exits later, with its last log lines', async () => {
    const sup = new Supervisor({ readyTimeoutMs: 20_000 });
    const port = await freePort();
    const exited = new Promise<{ name: string; message: string }>((resolve) => {
      sup.onExit((name, message) => {
        resolve({ name, message });
      });
    });
    const r = await sup.start(
      nodeSpec(
        'flaky',
        `require('node:http').createServer((q, s) => { s.end('ok'); if (q.url === '/die') { console.error('lost the cluster'); process.exit(7); } }).listen(Number(process.env.PORT), '127.0.0.1');`,
        port,
      ),
    );
    await probeStatus(`http://127.0.0.1:${String(port)}/die`);
    const e = await exited;
    assert.equal(e.name, 'flaky');
    assert.match(e.message, new RegExp(`flaky \\(PID ${String(r.pid)}\\) exited with code 7`));
    assert.match(e.message, /lost the cluster/);
    assert.deepEqual(sup.pids(), {});
    assert.deepEqual(await sup.stopAll(), []);
  });

  it('stops waiting when the start-up is aborted; stopAll still stops the process', async () => {
    const sup = new Supervisor({ readyTimeoutMs: 20_000 });
    const abort = new AbortController();
    const spec = nodeSpec('aborted', 'setInterval(() => {}, 1000)', 1);
    const started = sup.start({ ...spec, ready: () => Promise.resolve(false) }, abort.signal);
    abort.abort(new Error('Ctrl-C'));
    await assert.rejects(started, /Ctrl-C/);
    const pid = sup.pids().aborted;
    assert.ok(pid !== undefined);
    await sup.stopAll();
    assert.equal(alive(pid), false);
  });
});

describe('probeStatus', () => {
  it('verifies the server against the CA and presents the client certificate to an mTLS server', async () => {
    const ca = await createCertificateAuthority({ commonName: 'probe test CA' });
    const serving = await issueCertificate(ca, { commonName: 'srv', hosts: ['127.0.0.1'] });
    const client = await issueCertificate(ca, {
      commonName: 'argocd-server',
      clientAuth: true,
      serverAuth: false,
    });
    const other = await createCertificateAuthority({ commonName: 'another CA' });
    const srv = createHttpsServer(
      {
        cert: serving.certPem,
        key: serving.keyPem,
        ca: ca.certPem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (_q, s) => s.end('ok'),
    );
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const url = `https://127.0.0.1:${String((srv.address() as AddressInfo).port)}/healthz`;
    try {
      assert.equal(
        await probeStatus(url, { ca: ca.certPem, cert: client.certPem, key: client.keyPem }),
        200,
      );
      // no client certificate: the handshake fails
      assert.equal(await probeStatus(url, { ca: ca.certPem }), 0);
      // a server certificate from another CA is not trusted
      assert.equal(
        await probeStatus(url, { ca: other.certPem, cert: client.certPem, key: client.keyPem }),
        0,
      );
    } finally {
      srv.closeAllConnections();
      await new Promise((r) => srv.close(r));
    }
  });

  it('answers 0 when nothing listens', async () => {
    assert.equal(await probeStatus(`http://127.0.0.1:${String(await freePort())}/`), 0);
  });
});

describe('tailFile', () => {
  it('returns the last lines, or says the log is empty or missing', () => {
    const f = join(dir, 'tail.log');
    writeFileSync(f, `${Array.from({ length: 30 }, (_, i) => `line ${String(i)}`).join('\n')}\n`);
    assert.equal(tailFile(f, 2), 'line 28\nline 29');
    writeFileSync(f, '');
    assert.equal(tailFile(f), '(empty log)');
    assert.equal(tailFile(join(dir, 'nope.log')), '(no log)');
  });
});
