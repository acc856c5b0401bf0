import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isRepoServerError } from '../errors.js';
import { detectTools, requireTool, runTool, toolEnv, type ToolInfo } from './tools.js';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'argocd-ts-tools-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('detectTools', () => {
  it('finds kubectl kustomize (or kustomize) on the PATH with its version', async (t) => {
    const tools = await detectTools('/usr/local/bin:/usr/bin:/bin', join(dir, 'home'));
    if (!tools.kustomize) {
      t.skip('neither kustomize nor kubectl is installed here');
      return;
    }
    assert.match(tools.kustomize.version, /^v\d+\.\d+\.\d+/);
    assert.ok(tools.kustomize.command.startsWith('/'));
    assert.ok(['kustomize build', 'kubectl kustomize'].includes(tools.kustomize.display));
  });

  it('finds nothing on an empty PATH and names the missing tool', async () => {
    const tools = await detectTools(join(dir, 'empty'), join(dir, 'home'));
    assert.deepEqual(tools, {});
    assert.throws(
      () => requireTool(tools, 'helm'),
      (err: unknown) =>
        isRepoServerError(err, 'ERR_TOOL_NOT_INSTALLED') &&
        err.message.includes('helm is not installed'),
    );
  });
});

describe('runTool', () => {
  const fake: ToolInfo = {
    name: 'kustomize',
    command: process.execPath,
    prefix: ['-e'],
    version: 'v0',
    display: 'fake tool',
  };
  const limits = { timeoutMs: 5000, maxOutputBytes: 1024 * 1024 };

  it('gives the tool a scrubbed environment with its own HOME and no kubeconfig', () => {
    const env = toolEnv(fake, '/tmp/h');
    assert.equal(env.HOME, '/tmp/h');
    assert.equal(env.KUBECONFIG, '/dev/null');
    for (const k of Object.keys(env))
      assert.ok(!/PROXY|TOKEN|PASSWORD|AWS|GOOGLE|AZURE/i.test(k), k);
  });

  it('sanitises credentials and paths out of a failing tool message', async () => {
    await assert.rejects(
      runTool(
        fake,
        [
          'process.stderr.write("fetch https://bob:hunter22@host/x failed in " + process.cwd()); process.exit(1)',
        ],
        {
          cwd: dir,
          home: dir,
          limits,
          secrets: ['hunter22'],
        },
      ),
      (err: unknown) =>
        isRepoServerError(err, 'ERR_TOOL_FAILED') &&
        !err.message.includes('hunter22') &&
        !err.message.includes(dir),
    );
  });

  it('fails with ERR_TIMEOUT naming the setting', async () => {
    await assert.rejects(
      runTool(fake, ['setInterval(() => {}, 1000)'], {
        cwd: dir,
        home: dir,
        limits: { ...limits, timeoutMs: 300 },
      }),
      (err: unknown) =>
        isRepoServerError(err, 'ERR_TIMEOUT') && err.message.includes('--exec-timeout'),
    );
  });

  it('fails with ERR_MANIFEST_TOO_LARGE naming the setting', async () => {
    await assert.rejects(
      runTool(fake, ['process.stdout.write("x".repeat(2048))'], {
        cwd: dir,
        home: dir,
        limits: { ...limits, maxOutputBytes: 1024 },
      }),
      (err: unknown) =>
        isRepoServerError(err, 'ERR_MANIFEST_TOO_LARGE') &&
        err.message.includes('--max-tool-output-size'),
    );
  });
});
