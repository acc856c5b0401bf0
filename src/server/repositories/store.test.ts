import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError } from '../errors.js';
import {
  checkRepoUrl,
  credentialSecret,
  fnv32a,
  normalizeRepoUrl,
  repoCredsToSecretData,
  repoRbacObject,
  repoSecretName,
  repositoryFromSecret,
  repositoryToSecretData,
} from './store.js';

describe('repository storage', () => {
  it("hashes secret names with FNV-1a 32 as Argo CD's RepoURLToSecretName", () => {
    assert.equal(fnv32a(''), 0x811c9dc5);
    assert.equal(fnv32a('a'), 0xe40c292c);
    assert.equal(fnv32a('foobar'), 0xbf9cf968);
    assert.equal(
      repoSecretName('https://github.com/argoproj/argocd-example-apps', undefined),
      `repo-${fnv32a('https://github.com/argoproj/argocd-example-apps')}`,
    );
    assert.notEqual(repoSecretName('https://x', 'a'), repoSecretName('https://x', 'b'));
  });

  it('round-trips a repository through Secret data with Argo CD keys and value spellings', () => {
    const api = {
      repo: 'https://git.example/x.git',
      type: 'git',
      username: 'u',
      password: 'p',
      insecure: true,
      enableLfs: false,
      depth: 3,
      githubAppID: 42,
      project: 'team-a',
    };
    const { data, url, project } = repositoryToSecretData(api);
    assert.deepEqual(data, {
      url: 'https://git.example/x.git',
      type: 'git',
      username: 'u',
      password: 'p',
      insecure: 'true',
      depth: '3',
      githubAppID: '42',
      project: 'team-a',
    });
    assert.equal(url, 'https://git.example/x.git');
    assert.equal(project, 'team-a');
    const back = repositoryFromSecret(credentialSecret('repo-1', 'argocd', 'repository', data));
    assert.deepEqual(back, {
      repo: 'https://git.example/x.git',
      type: 'git',
      project: 'team-a',
      username: 'u',
      password: 'p',
      githubAppID: 42,
      insecure: true,
      depth: 3,
    });
    const secret = credentialSecret('repo-1', 'argocd', 'repository', data);
    assert.equal(secret.metadata.labels?.['argocd.argoproj.io/secret-type'], 'repository');
    assert.equal(secret.metadata.annotations?.['managed-by'], 'argocd.argoproj.io');
  });

  it('refuses bad input: no URL, unknown type, wrong value types, credentials or options in URLs', () => {
    const bad: unknown[] = [
      {},
      { repo: 'https://x', type: 'svn' },
      { repo: 'https://x', insecure: 'yes' },
      { repo: 'https://x', depth: -1 },
      { repo: 'https://bob:pw@git.example/x.git' },
      { repo: '--upload-pack=evil' },
      { repo: 'https://x y' },
      'not an object',
    ];
    for (const b of bad)
      assert.throws(() => repositoryToSecretData(b), ApiError, JSON.stringify(b));
    assert.throws(() => repoCredsToSecretData({ password: 'x' }), ApiError);
    assert.doesNotThrow(() => {
      checkRepoUrl('ssh://git@git.example/x.git');
    });
    assert.doesNotThrow(() => {
      checkRepoUrl('git@git.example:org/x.git');
    });
  });

  it('compares repository URLs case-insensitively in scheme and host, without .git or trailing /', () => {
    assert.equal(normalizeRepoUrl('HTTPS://Git.Example/Org/X.git/'), 'https://git.example/Org/X');
    assert.equal(repoRbacObject('https://x', 'p'), 'p/https://x');
    assert.equal(repoRbacObject('https://x', undefined), 'https://x');
  });
});
