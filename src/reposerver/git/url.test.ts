import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRepoServerError } from '../errors.js';
import {
  isCommitSha,
  isShortSha,
  parseRepoUrl,
  validateRevision,
  type RepoUrlPolicy,
} from './url.js';

const strict: RepoUrlPolicy = { allowHttp: false, allowFileRepos: false };
const lax: RepoUrlPolicy = { allowHttp: true, allowFileRepos: true };

describe('parseRepoUrl', () => {
  const accepted: {
    name: string;
    url: string;
    policy?: RepoUrlPolicy;
    kind: string;
    gitUrl: string;
    cacheKey: string;
    user?: string;
    password?: string;
  }[] = [
    {
      name: 'https with .git and trailing slash',
      url: 'https://Git.Example.COM/Org/App.git/',
      kind: 'https',
      gitUrl: 'https://git.example.com/Org/App.git/',
      cacheKey: 'https://git.example.com/Org/App',
    },
    {
      name: 'https with credentials in the URL moves them out',
      url: 'https://bob:p%40ss@git.example.com/org/app.git',
      kind: 'https',
      gitUrl: 'https://git.example.com/org/app.git',
      cacheKey: 'https://git.example.com/org/app',
      user: 'bob',
      password: 'p@ss',
    },
    {
      name: 'https with a port',
      url: 'https://127.0.0.1:8443/x.git',
      kind: 'https',
      gitUrl: 'https://127.0.0.1:8443/x.git',
      cacheKey: 'https://127.0.0.1:8443/x',
    },
    {
      name: 'http when allowed',
      url: 'http://git.example.com/a',
      policy: lax,
      kind: 'http',
      gitUrl: 'http://git.example.com/a',
      cacheKey: 'http://git.example.com/a',
    },
    {
      name: 'ssh URL',
      url: 'ssh://git@GitHub.com/org/repo.git',
      kind: 'ssh',
      gitUrl: 'ssh://git@GitHub.com/org/repo.git',
      cacheKey: 'ssh://github.com/org/repo',
    },
    {
      name: 'scp-style',
      url: 'git@GitHub.com:org/repo.git',
      kind: 'scp',
      gitUrl: 'git@GitHub.com:org/repo.git',
      cacheKey: 'scp:github.com:org/repo',
    },
    {
      name: 'file URL when allowed',
      url: 'file:///srv/git/app.git',
      policy: lax,
      kind: 'file',
      gitUrl: 'file:///srv/git/app.git',
      cacheKey: 'file:///srv/git/app',
    },
  ];
  for (const c of accepted) {
    it(`accepts ${c.name}`, () => {
      const p = parseRepoUrl(c.url, c.policy ?? strict);
      assert.equal(p.kind, c.kind);
      assert.equal(p.gitUrl, c.gitUrl);
      assert.equal(p.cacheKey, c.cacheKey);
      assert.equal(p.urlUsername, c.user);
      assert.equal(p.urlPassword, c.password);
      assert.ok(!p.display.includes('p@ss') && !p.display.includes('p%40ss'));
    });
  }

  it('keeps the path case so that case-distinct repositories never share a cache', () => {
    const a = parseRepoUrl('https://h.example/org/App', strict);
    const b = parseRepoUrl('https://h.example/org/app', strict);
    assert.notEqual(a.cacheKey, b.cacheKey);
  });

  const refused: {
    name: string;
    url: string;
    policy?: RepoUrlPolicy;
    code?: string;
    mentions: RegExp;
  }[] = [
    { name: 'an option-like URL', url: '--upload-pack=touch /tmp/x', mentions: /starts with "-"/ },
    {
      name: "git's ext:: remote helper",
      url: 'ext::sh -c touch% /tmp/pwned',
      mentions: /whitespace|remote-helper/,
    },
    { name: 'a remote helper without spaces', url: 'fd::17', mentions: /remote-helper/ },
    { name: 'git://', url: 'git://git.example.com/a', mentions: /git:\/\// },
    { name: 'plain http by default', url: 'http://git.example.com/a', mentions: /plain http/ },
    { name: 'file:// by default', url: 'file:///etc', mentions: /dangerously-allow-file-repos/ },
    {
      name: 'a local path by default',
      url: '/srv/git/app',
      mentions: /dangerously-allow-file-repos/,
    },
    {
      name: 'a host starting with "-"',
      url: 'ssh://-oProxyCommand=x/repo',
      mentions: /host starting with "-"|cannot be parsed/,
    },
    {
      name: 'an scp host starting with "-"',
      url: '-oProxyCommand=x:repo',
      mentions: /starts with "-"/,
    },
    { name: 'an unknown scheme', url: 'gopher://h/x', mentions: /scheme "gopher"/ },
    { name: 'control characters', url: 'https://h/x\ny', mentions: /control characters/ },
    { name: 'a relative path', url: 'repo', mentions: /not a URL git can use/ },
    {
      name: 'file:// with a remote host',
      url: 'file://evil.example/x',
      policy: lax,
      mentions: /must be local/,
    },
  ];
  for (const c of refused) {
    it(`refuses ${c.name}`, () => {
      assert.throws(
        () => parseRepoUrl(c.url, c.policy ?? strict),
        (err: unknown) =>
          isRepoServerError(err, 'ERR_INVALID_REPO_URL') && c.mentions.test(err.message),
      );
    });
  }

  it('refuses an empty URL as an invalid request', () => {
    assert.throws(
      () => parseRepoUrl('  ', strict),
      (err: unknown) => isRepoServerError(err, 'ERR_INVALID_REQUEST'),
    );
  });

  it('never echoes a password from a refused URL', () => {
    assert.throws(
      () => parseRepoUrl('gopher://bob:hunter22@h/x', strict),
      (err: unknown) => err instanceof Error && !err.message.includes('hunter22'),
    );
  });
});

describe('validateRevision', () => {
  for (const ok of ['main', 'HEAD', 'release/1.2', 'v1.0.0', 'refs/heads/main', 'a'.repeat(40)]) {
    it(`accepts ${ok.slice(0, 20)}`, () => {
      validateRevision(ok);
    });
  }
  for (const bad of [
    '--upload-pack=x',
    'a..b',
    'a b',
    'x~1',
    'HEAD^',
    'a:b',
    'x.lock',
    'a/',
    '/a',
    'a//b',
    '@{-1}x@{',
    '.hidden',
    'a/.b',
  ]) {
    it(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => {
          validateRevision(bad);
        },
        (err: unknown) => isRepoServerError(err, 'ERR_INVALID_REVISION'),
      );
    });
  }
});

describe('isCommitSha', () => {
  it('tells full SHAs from short ones and names', () => {
    assert.equal(isCommitSha('0123456789abcdef0123456789abcdef01234567'), true);
    assert.equal(isCommitSha('0123456789ABCDEF0123456789abcdef01234567'), false);
    assert.equal(isCommitSha('0123456'), false);
    assert.equal(isShortSha('0123456'), true);
    assert.equal(isShortSha('main'), false);
  });
});
