/**
 * A real redis-server (Debian's) for integration tests: loopback only, a free port, no
 * persistence (`--save '' --appendonly no`), a random `requirepass`, its own temporary directory.
 * The caller stops it by PID with `stop()` (in `after`/`finally`).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, stopPid } from '../../src/kubeenv/index.js';

export interface RedisServer {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly password: string;
  readonly pid: number;
  stop(): Promise<void>;
}

const READY = /Ready to accept connections/;

/**
 * Starts redis-server and resolves once it accepts connections (retries on a port clash). Pass
 * the `port` and `password` of a stopped server to bring "the same" server back.
 */
export async function startRedisServer(
  options: { readonly port?: number; readonly password?: string } = {},
): Promise<RedisServer> {
  const password = options.password ?? randomBytes(18).toString('base64url');
  if (options.port !== undefined) return launch(options.port, password);
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await launch(await freePort(), password);
    } catch (err) {
      lastError = err instanceof Error ? err : new Error(String(err));
    }
  }
  throw new Error('failed to start redis-server', { cause: lastError });
}

function launch(port: number, password: string): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'argocd-ts-redis-'));
  const child = spawn(
    'redis-server',
    [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--protected-mode',
      'yes',
      '--requirepass',
      password,
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
      '--loglevel',
      'notice',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const pid = child.pid ?? -1;
  let output = '';
  const stop = async (): Promise<void> => {
    await stopPid(pid, 5_000);
    rmSync(dir, { recursive: true, force: true });
  };
  return new Promise<RedisServer>((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop().finally(() => {
        reject(new Error(`redis-server did not start in 10 s: ${output.slice(-500)}`));
      });
    }, 10_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      if (READY.test(output)) {
        clearTimeout(timer);
        child.stdout.removeAllListeners('data');
        child.stdout.resume();
        resolve({
          url: `redis://127.0.0.1:${port}`,
          host: '127.0.0.1',
          port,
          password,
          pid,
          stop,
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      reject(err);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      rmSync(dir, { recursive: true, force: true });
      reject(new Error(`redis-server exited with ${String(code)}: ${output.slice(-500)}`));
    });
  });
}
