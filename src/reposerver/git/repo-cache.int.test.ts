import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import {
  startGitServer,
  type FixtureRepo,
  type GitServer,
} from '../../../test/support/git-server.js';
import { createSelfSignedCertificate } from '../../tls/index.js';
import { isRepoServerError } from '../errors.js';
import { GitRunner, type RepoAccess } from './git.js';
import { GitCache, type GitCacheOptions } from './repo-cache.js';
import { parseRepoUrl } from './url.js';

const USER = 'carol';
const PASSWORD = 'cache-Pw-5521';

async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(join(e.parentPath, e.name));
  }
  return out;
}

describe('GitCache', () => {
  let git: GitServer;
  let repo: FixtureRepo;
  let shas: string[];
  let dir: string;
  let runner: GitRunner;
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'debug' },
    { write: (l: string) => lines.push(JSON.parse(l) as Record<string, unknown>) },
  );

  before(async () => {
    git = await startGitServer({ username: USER, password: PASSWORD, protocolV0Only: true });
    repo = await git.createRepo('cache');
    shas = [];
    for (let i = 0; i < 3; i++) {
      await repo.write({ [`f${i}.yaml`]: `n: ${i}\n` });
      shas.push(await repo.commit(`commit ${i}`));
    }
    dir = await mkdtemp(join(tmpdir(), 'argocd-ts-gitcache-'));
    runner = await GitRunner.create({
      allowFileRepos: false,
      logger,
      runtimeDir: join(dir, 'runtime'),
    });
  });
  after(async () => {
    await git.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function access(password = PASSWORD): RepoAccess {
    return {
      url: parseRepoUrl(git.url('cache'), { allowHttp: false, allowFileRepos: false }),
      credentials: { username: USER, password, tlsCaData: git.caPem },
    };
  }

  async function cache(name: string, extra: Partial<GitCacheOptions> = {}): Promise<GitCache> {
    return GitCache.create({
      runner,
      cacheDir: join(dir, name),
      revisionCacheTtlMs: 60_000,
      lsRemoteTimeoutMs: 15_000,
      fetchTimeoutMs: 60_000,
      maxCheckouts: 8,
      logger,
      ...extra,
    });
  }

  const lsRemotes = (): number =>
    git.requests.filter((r) => r.query === 'service=git-upload-pack' && r.status === 200).length;

  it('reuses ls-remote results per credentials until they expire', async () => {
    let now = 1_000_000;
    const c = await cache('revcache', { now: () => now });
    const n0 = lsRemotes();
    assert.equal(await c.resolveRevision(access(), 'main'), shas[2]);
    assert.equal(await c.resolveRevision(access(), 'HEAD'), shas[2]);
    assert.equal(lsRemotes() - n0, 1, 'one ls-remote for two resolutions');
    await assert.rejects(c.resolveRevision(access('wrong-password'), 'main'), (e: unknown) =>
      isRepoServerError(e, 'ERR_REPO_ACCESS'),
    );
    await c.resolveRevision(access(), 'main', { noCache: true });
    const n1 = lsRemotes();
    now += 60_001;
    await c.resolveRevision(access(), 'main');
    assert.equal(lsRemotes() - n1, 1, 'an expired entry is fetched again');
  });

  it('falls back to a full fetch when the server refuses a commit by SHA (protocol v0)', async () => {
    const c = await cache('v0');
    const lease = await c.checkout(access(), shas[0] ?? '');
    try {
      assert.deepEqual(
        (await readdir(lease.dir)).filter((f) => f !== '.git'),
        ['f0.yaml'],
      );
    } finally {
      lease.release();
    }
    assert.ok(lines.some((l) => l.msg === 'fetch by SHA refused; fetching all refs'));
  });

  it('shares one checkout between concurrent readers of a commit and evicts the least recently used', async () => {
    const c = await cache('evict', { maxCheckouts: 2 });
    await c.resolveRevision(access(), 'main');
    const [a, b] = await Promise.all([
      c.checkout(access(), shas[2] ?? ''),
      c.checkout(access(), shas[2] ?? ''),
    ]);
    assert.equal(a.dir, b.dir);
    a.release();
    b.release();
    const first = a.dir;
    for (const sha of [shas[1], shas[0]]) {
      const l = await c.checkout(access(), sha ?? '');
      l.release();
    }
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(c.checkoutCount <= 2);
    assert.equal(existsSync(first), false, 'the least recently used checkout is gone from disk');
  });

  it('fetches one commit by default and the requested depth when asked', async () => {
    const count = async (depth: number | undefined): Promise<number> => {
      const c = await cache(`depth-${depth ?? 'default'}`);
      const lease = await c.checkout({ ...access(), ...(depth ? { depth } : {}) }, shas[2] ?? '');
      try {
        const out = await runner.run(['rev-list', '--count', 'HEAD'], {
          cwd: lease.dir,
          timeoutMs: 10_000,
          action: 'count commits of',
        });
        return Number(out.trim());
      } finally {
        lease.release();
      }
    };
    assert.equal(await count(undefined), 1);
    assert.equal(await count(2), 2);
  });

  it('gives commit metadata', async () => {
    const c = await cache('meta');
    const m = await c.commitMetadata(access(), shas[1] ?? '');
    assert.equal(m.message, 'commit 1');
    assert.equal(m.author, 'Fixture Author <author@example.test>');
    assert.equal(m.date, '2024-01-01T00:02:00+00:00');
  });

  it('writes no credential into the cache and leaves no secret file behind', async () => {
    const c = await cache('nocreds');
    const client = await createSelfSignedCertificate({
      commonName: 'git client',
      clientAuth: true,
    });
    const lease = await c.checkout(
      {
        ...access(),
        credentials: {
          ...access().credentials,
          tlsClientCertData: client.certPem,
          tlsClientCertKey: client.keyPem,
        },
      },
      shas[2] ?? '',
    );
    lease.release();
    for (const f of await allFiles(join(dir, 'nocreds'))) {
      const text = await readFile(f).then((b) => b.toString('latin1'));
      assert.ok(!text.includes(PASSWORD), `${f} holds the password`);
      assert.ok(!text.includes('PRIVATE KEY'), `${f} holds a private key`);
    }
    assert.deepEqual(await readdir(join(dir, 'runtime', 'secrets')), []);
  });
});
