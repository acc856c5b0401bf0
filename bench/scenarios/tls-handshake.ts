/**
 * tls-handshake: new TLS 1.3 connections per second (full handshakes, no resumption) against a
 * server built with src/tls — certificate from files through FileCertificateSource, settings from
 * resolveTlsSettings, hot reload attached — versus a bare `tls.createServer` with the same ECDSA
 * P-256 certificate and key. Sequential and 16 connections at a time; each of the >= 7 pairs is one
 * block in which every client lane alternates between the two servers connection by connection, so
 * the noise of this shared 2-core machine hits both alike. Both servers run in one child process so the client side (this process) and
 * the server side each get a core; a handshake counts when the server's first byte arrives, i.e.
 * after the server completed its side. Ratio = module / bare (higher is better); target >= 0.7.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { median, round, type BenchResult, type Scenario, type Size } from '../lib.js';
import {
  attachHotReload,
  createComponentSelfSigned,
  createServerTls,
  FileCertificateSource,
  resolveTlsSettings,
} from '../../src/tls/index.js';

const SERVER_ROLE_ENV = 'ARGOCD_TS_BENCH_TLS_SERVER_DIR';

interface Ports {
  bare: number;
  module: number;
}

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** Child process side: both servers, same certificate files. */
async function runServers(dir: string): Promise<void> {
  const greet = (socket: TLSSocket): void => {
    socket.on('error', () => undefined);
    socket.end('x');
  };
  const bare = createServer(
    {
      cert: readFileSync(join(dir, 'tls.crt'), 'utf8'),
      key: readFileSync(join(dir, 'tls.key'), 'utf8'),
    },
    greet,
  );
  const source = await FileCertificateSource.open({ dir });
  const serverTls = createServerTls({ source, settings: resolveTlsSettings() });
  const mod = createServer(serverTls.serverOptions(), greet);
  attachHotReload(mod, serverTls);
  for (const s of [bare, mod]) s.on('tlsClientError', () => undefined);
  const ports: Ports = { bare: await listen(bare), module: await listen(mod) };
  process.send?.({ ports });
  process.on('disconnect', () => {
    source.close();
    bare.close();
    mod.close();
    process.exit(0);
  });
}

if (process.env[SERVER_ROLE_ENV]) await runServers(process.env[SERVER_ROLE_ENV]);

function oneHandshake(port: number, ca: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      ca,
      servername: 'localhost',
      minVersion: 'TLSv1.3',
    });
    socket.once('data', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

async function timed(port: number, ca: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  await oneHandshake(port, ca);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

interface BlockResult {
  /** handshakes per second: bare, module */
  bare: number;
  module: number;
}

/**
 * One block: `perSide` handshakes against each server, `concurrency` lanes, every lane alternating
 * between the two servers connection by connection (starting side alternates per lane), so load
 * from other processes on this shared machine hits both sides alike. Throughput per side is
 * `concurrency / mean handshake time` (Little's law; for one lane, handshakes per second of
 * handshake time).
 */
async function block(
  ports: Ports,
  ca: string,
  perSide: number,
  concurrency: number,
): Promise<BlockResult> {
  const time = { bare: 0, module: 0 };
  const count = { bare: 0, module: 0 };
  let issued = 0;
  const lane = async (laneIndex: number): Promise<void> => {
    let turn = laneIndex % 2;
    while (issued < 2 * perSide) {
      issued++;
      const side = turn % 2 === 0 ? 'bare' : 'module';
      turn++;
      time[side] += await timed(ports[side], ca);
      count[side]++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => lane(i)));
  return {
    bare: (concurrency * count.bare) / time.bare,
    module: (concurrency * count.module) / time.module,
  };
}

const SIZES: Readonly<Record<Size, { pairs: number; sequential: number; parallel: number }>> = {
  S: { pairs: 7, sequential: 100, parallel: 300 },
  M: { pairs: 9, sequential: 200, parallel: 600 },
  L: { pairs: 11, sequential: 400, parallel: 1200 },
};

export const scenario: Scenario = {
  name: 'tls-handshake',
  description:
    'new TLS 1.3 handshakes/s, src/tls server (file source + hot reload) vs bare tls.createServer, same ECDSA cert',
  async run(ctx): Promise<BenchResult[]> {
    const size = SIZES[ctx.size];
    const dir = mkdtempSync(join(tmpdir(), 'argocd-ts-bench-tls-'));
    let child: ChildProcess | undefined;
    try {
      const pair = await createComponentSelfSigned({
        component: 'argocd-repo-server',
        namespace: 'argocd',
      });
      writeFileSync(join(dir, 'tls.crt'), pair.certPem);
      writeFileSync(join(dir, 'tls.key'), pair.keyPem, { mode: 0o600 });
      child = fork(fileURLToPath(import.meta.url), [], {
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, [SERVER_ROLE_ENV]: dir },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      const [msg] = (await once(child, 'message')) as [{ ports: Ports }];
      const { ports } = msg;
      ctx.log(
        `servers in child pid ${child.pid ?? '?'}: bare :${ports.bare}, module :${ports.module}`,
      );
      // warm-up: JIT, TLS context caches, first-connection costs on both sides
      await block(ports, pair.certPem, 50, 4);

      const results: BenchResult[] = [];
      for (const [metric, perSide, concurrency] of [
        ['sequential', size.sequential, 1],
        ['parallel16', size.parallel, 16],
      ] as const) {
        // pairs of (bare, module) figures, each pair measured in one interleaved block
        const blocks: BlockResult[] = [];
        for (let i = 0; i < size.pairs; i++)
          blocks.push(await block(ports, pair.certPem, perSide, concurrency));
        const r = {
          reference: blocks.map((b) => b.bare),
          candidate: blocks.map((b) => b.module),
          ratios: blocks.map((b) => b.module / b.bare),
        };
        const ratio = median(r.ratios);
        ctx.log(
          `${metric}: bare ${r.reference.map((x) => Math.round(x)).join(' ')} /s; module ${r.candidate.map((x) => Math.round(x)).join(' ')} /s; ratios ${r.ratios.map((x) => round(x, 2)).join(' ')}`,
        );
        results.push({
          scenario: 'tls-handshake',
          metric,
          value: median(r.candidate),
          unit: 'handshakes/s',
          reference: median(r.reference),
          ratio,
          target: '>= 0.7x bare tls.createServer',
          pass: ratio >= 0.7,
          details: {
            pairs: size.pairs,
            handshakesPerSidePerPair: perSide,
            concurrency,
            keyType: 'ECDSA P-256',
            protocol: 'TLSv1.3',
          },
        });
      }
      return results;
    } finally {
      if (child?.pid !== undefined && child.exitCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
