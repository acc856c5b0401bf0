import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { startGitServer, type GitServer } from '../../../test/support/git-server.js';
import { generateKeyPairPem } from '../../tls/index.js';
import { isRepoServerError } from '../errors.js';
import { GitRunner, type GitCredentials, type RepoAccess } from './git.js';
import { parseRepoUrl } from './url.js';

const TOKEN = 'bearer-Tok3n-value-8842';

describe('GitRunner credentials', () => {
  let git: GitServer;
  let dir: string;
  let runner: GitRunner;
  before(async () => {
    git = await startGitServer({ username: 'dave', password: 'basic-Pw-1', bearerToken: TOKEN });
    const repo = await git.createRepo('creds');
    await repo.write({ 'a.yaml': 'a: 1\n' });
    await repo.commit('one');
    dir = await mkdtemp(join(tmpdir(), 'argocd-ts-gitcreds-'));
    runner = await GitRunner.create({
      allowFileRepos: false,
      logger: pino({ level: 'silent' }),
      runtimeDir: join(dir, 'rt'),
    });
  });
  after(async () => {
    await git.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function access(url: string, credentials: GitCredentials): RepoAccess {
    return { url: parseRepoUrl(url, { allowHttp: false, allowFileRepos: false }), credentials };
  }
  const lsRemote = (a: RepoAccess): Promise<string> =>
    runner.run(['ls-remote', '--', a.url.gitUrl], {
      cwd: dir,
      timeoutMs: 15_000,
      remote: a,
      action: 'list refs of',
    });

  it('sends a bearer token as a header given only to that git process', async () => {
    const out = await lsRemote(
      access(git.url('creds'), { bearerToken: TOKEN, tlsCaData: git.caPem }),
    );
    assert.match(out, /refs\/heads\/main/);
  });

  it('sends basic auth on the first request when forced, without waiting for a challenge', async () => {
    const before = git.requests.length;
    await lsRemote(
      access(git.url('creds'), {
        username: 'dave',
        password: 'basic-Pw-1',
        forceHttpBasicAuth: true,
        tlsCaData: git.caPem,
      }),
    );
    const mine = git.requests.slice(before);
    assert.ok(mine.length > 0);
    assert.ok(
      mine.every((r) => r.status !== 401),
      JSON.stringify(mine),
    );
  });

  it('refuses to use a server whose certificate it cannot verify', async () => {
    await assert.rejects(
      lsRemote(access(git.url('creds'), { bearerToken: TOKEN })),
      (err: unknown) =>
        isRepoServerError(err, 'ERR_REPO_ACCESS') &&
        /certificate/i.test(err.message) &&
        !err.message.includes(TOKEN),
    );
  });

  it('needs known hosts for SSH unless host key checking is turned off', async () => {
    await assert.rejects(
      lsRemote(access('ssh://git@127.0.0.1:1/repo.git', { sshPrivateKey: 'x' })),
      (err: unknown) =>
        isRepoServerError(err, 'ERR_INVALID_REQUEST') && /known_hosts/.test(err.message),
    );
  });

  it('runs SSH through its wrapper and removes the key file afterwards', async () => {
    const { privateKeyPem } = await generateKeyPairPem();
    await assert.rejects(
      lsRemote(
        access('ssh://git@127.0.0.1:1/repo.git', {
          sshPrivateKey: privateKeyPem,
          insecureIgnoreHostKey: true,
        }),
      ),
      (err: unknown) =>
        isRepoServerError(err, 'ERR_REPO_ACCESS') &&
        /Connection refused|connect to host/i.test(err.message) &&
        !err.message.includes('PRIVATE KEY'),
    );
    assert.deepEqual(await readdir(join(dir, 'rt', 'secrets')), []);
  });
});
