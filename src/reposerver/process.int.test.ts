import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import { runProcess, type RunOptions } from './process.js';

const node = process.execPath;
const base: RunOptions = {
  cwd: tmpdir(),
  env: { PATH: '/usr/bin:/bin' },
  timeoutMs: 10_000,
  maxStdoutBytes: 1024 * 1024,
};

/** Whether a process still runs (a zombie waiting for its reaper counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('runProcess', () => {
  it('returns stdout, stderr and the exit status', async () => {
    const out = await runProcess(
      node,
      ['-e', 'process.stdout.write("out"); process.stderr.write("err"); process.exit(3)'],
      base,
    );
    assert.equal(out.kind, 'exited');
    assert.equal(out.code, 3);
    assert.equal(out.stdout.toString(), 'out');
    assert.equal(out.stderr, 'err');
  });

  it('passes only the given environment', async () => {
    process.env.ARGOCD_TS_TEST_LEAK = 'should-not-pass';
    try {
      const out = await runProcess(
        node,
        ['-e', 'process.stdout.write(JSON.stringify(process.env))'],
        {
          ...base,
          env: { ONLY: 'this' },
        },
      );
      assert.ok(out.kind === 'exited');
      const env = JSON.parse(out.stdout.toString()) as Record<string, string>;
      assert.equal(env.ONLY, 'this');
      assert.equal(env.ARGOCD_TS_TEST_LEAK, undefined);
      assert.equal(env.KUBECONFIG, undefined);
    } finally {
      delete process.env.ARGOCD_TS_TEST_LEAK;
    }
  });

  it('kills the whole process group when the time limit passes', async () => {
    // the child starts a grandchild that would outlive it, prints its PID, then both hang
    const script = `
      const { spawn } = require('node:child_process');
      const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      process.stderr.write(String(g.pid));
      setInterval(() => {}, 1000);`;
    const t0 = Date.now();
    const out = await runProcess(node, ['-e', script], { ...base, timeoutMs: 1500 });
    assert.equal(out.kind, 'timeout');
    assert.ok(Date.now() - t0 < 8000);
    const grandchild = Number(out.stderr);
    assert.ok(grandchild > 0, `grandchild pid in stderr: ${out.stderr}`);
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(alive(grandchild), false, 'the grandchild was killed with the group');
  });

  it('stops a process whose output passes the cap', async () => {
    const out = await runProcess(
      node,
      ['-e', 'const b = "x".repeat(65536); setInterval(() => process.stdout.write(b), 1)'],
      {
        ...base,
        maxStdoutBytes: 256 * 1024,
      },
    );
    assert.equal(out.kind, 'output-limit');
  });

  it('keeps only the first bytes of a flood on stderr', async () => {
    const out = await runProcess(node, ['-e', 'process.stderr.write("e".repeat(500000))'], {
      ...base,
      maxStderrBytes: 1000,
    });
    assert.ok(out.kind === 'exited');
    assert.equal(out.stderr.length, 1000);
  });

  it('stops when the caller aborts', async () => {
    const ac = new AbortController();
    setTimeout(() => {
      ac.abort();
    }, 300);
    const out = await runProcess(node, ['-e', 'setInterval(() => {}, 1000)'], {
      ...base,
      signal: ac.signal,
    });
    assert.equal(out.kind, 'aborted');
  });

  it('reports a program that does not exist', async () => {
    const out = await runProcess('/nonexistent/tool', [], base);
    assert.equal(out.kind, 'spawn-error');
  });
});
