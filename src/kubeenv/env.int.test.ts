import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startKubeEnv } from './index.js';

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('startKubeEnv', () => {
  it('starts an isolated control plane on loopback and stops every process by PID', async () => {
    const env = await startKubeEnv();
    try {
      assert.match(env.server, /^https:\/\/127\.0\.0\.1:\d+$/);
      for (const pid of [env.pids.etcd, env.pids.apiserver, env.pids.controllerManager])
        assert.ok(alive(pid), `pid ${String(pid)} runs`);
      const kubeconfig = readFileSync(env.kubeconfigPath, 'utf8');
      assert.match(kubeconfig, /client-certificate-data/);
      // etcd listens on loopback only
      const etcdLog = readFileSync(join(env.dir, 'logs', 'etcd.log'), 'utf8');
      assert.ok(!/0\.0\.0\.0:\d+/.test(etcdLog), 'etcd does not listen on all interfaces');
    } finally {
      await env.stop();
    }
    for (const pid of [env.pids.etcd, env.pids.apiserver, env.pids.controllerManager])
      assert.ok(!alive(pid), `pid ${String(pid)} stopped`);
    assert.ok(!existsSync(env.dir), 'temporary directory removed');
  });
});
