/**
 * The threats argocd-repo-server must stop (brief and security seed: tool invocation, out-of-tree
 * reads, adjacent repositories), each with its failing input, the error the caller sees and the
 * structured security event (`security` level and `CWE`) it logs.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startGitServer, type FixtureRepo, type GitServer } from '../../test/support/git-server.js';
import {
  gitRepo,
  startTestRepoServer,
  type TestRepoServer,
} from '../../test/support/repo-server.js';
import {
  RepoServerClientError,
  type ApplicationSourceInit,
  type ManifestRequestInit,
} from './client.js';

const USER = 'mallory';
const PASSWORD = 'pw-threats-4411';
const CM = (name: string): string =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n`;

let git: GitServer;
let evil: FixtureRepo;
let outside: string;
let outsideFile: string;

/** Each trap lives on its own branch: an out-of-bounds symlink anywhere fails the whole commit. */
async function branch(
  name: string,
  files: Record<string, string>,
  links: Record<string, string> = {},
): Promise<void> {
  await evil.checkout('main');
  await evil.branch(name);
  await evil.write(files);
  for (const [p, target] of Object.entries(links)) await evil.symlink(p, target);
  await evil.commit(`trap: ${name}`);
  await evil.checkout('main');
}

before(async () => {
  outside = await mkdtemp(join(tmpdir(), 'argocd-ts-outside-'));
  outsideFile = join(outside, 'leak.yaml');
  await writeFile(outsideFile, CM('leaked-from-outside'));
  git = await startGitServer({ username: USER, password: PASSWORD });
  evil = await git.createRepo('evil');
  await evil.write({
    'guestbook/cm.yaml': CM('guestbook'),
    'chart/Chart.yaml': 'apiVersion: v2\nname: chart\nversion: 0.1.0\n',
    'chart/values.yaml': 'a: 1\n',
    'chart/templates/cm.yaml': CM('from-chart'),
  });
  await evil.commit('base');
  await branch(
    'oob-abs',
    { 'guestbook/cm.yaml': CM('guestbook') },
    { 'deep/a/b/c/d/passwd.yaml': '/etc/passwd' },
  );
  await branch('oob-rel', {}, { 'apps/x/host.yaml': '../../../../../../../../../../etc/hostname' });
  await branch('oob-leak', { 'leak/real.yaml': CM('real') }, { 'leak/link.yaml': outsideFile });
  await branch('value-link', {}, { 'chart/evil-values.yaml': outsideFile });
  await branch('big-dir', {
    'big/a.yaml': `${CM('a')}data:\n  x: "${'a'.repeat(900)}"\n`,
    'big/b.yaml': `${CM('b')}data:\n  x: "${'b'.repeat(900)}"\n`,
    'big/c.yaml': `${CM('c')}data:\n  x: "${'c'.repeat(900)}"\n`,
  });
  const bomb = [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata: {name: bomb}',
    'data:',
    '  a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
  ];
  const keys = 'bcdefghi';
  let prev = 'a';
  for (const k of keys) {
    bomb.push(`  ${k}: &${k} [${Array(9).fill(`*${prev}`).join(',')}]`);
    prev = k;
  }
  await branch('alias-bomb', { 'bomb/bomb.yaml': `${bomb.join('\n')}\n` });
  await branch('huge-doc', {
    'huge/cm.yaml': `${CM('huge')}data:\n  x: "${'x'.repeat(3 * 1024 * 1024 + 10)}"\n`,
  });
  await branch('kustomize-climb', {
    'k/kustomization.yaml': 'resources:\n- ../../../../../../../../../etc\n',
  });
  await branch('kustomize-abs', { 'k/kustomization.yaml': 'resources:\n- /etc/passwd\n' });
  await branch('kustomize-remote', {
    'k/kustomization.yaml':
      'resources:\n- github.com/argoproj/argocd-example-apps//guestbook?ref=master\n',
  });
});

after(async () => {
  await git.stop();
  await rm(outside, { recursive: true, force: true });
});

interface Refusal {
  readonly code: string;
  readonly cwe: number;
  readonly level: number;
  /** text the error message must contain */
  readonly mentions?: RegExp;
}

async function expectRefusal(
  rs: TestRepoServer,
  call: Promise<unknown>,
  want: Refusal,
): Promise<void> {
  const before = rs.securityEvents().length;
  await assert.rejects(call, (err: unknown) => {
    assert.ok(err instanceof RepoServerClientError, String(err));
    assert.equal(err.code, want.code, err.message);
    if (want.mentions) assert.match(err.message, want.mentions);
    return true;
  });
  const events = rs.securityEvents().slice(before);
  assert.ok(
    events.some((e) => e.CWE === want.cwe && e.security === want.level),
    `expected a security event with CWE ${want.cwe} and level ${want.level}, got ${JSON.stringify(events)}`,
  );
}

function manifestRequest(
  path: string,
  revision: string,
  extra: {
    readonly applicationSource?: ApplicationSourceInit;
    readonly helmOptions?: { readonly valuesFileSchemes: string[] };
  } = {},
): ManifestRequestInit {
  return {
    repo: gitRepo(git, 'evil'),
    applicationSource: { path, targetRevision: revision },
    appName: 'evil',
    namespace: 'default',
    ...extra,
  };
}

describe('threats the repo server stops', () => {
  let rs: TestRepoServer;
  let cacheDir: string;
  before(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'argocd-ts-threat-cache-'));
    rs = await startTestRepoServer({ cacheDir, maxCombinedDirectoryManifestsBytes: 2000 });
  });
  after(async () => {
    await rs.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  describe('path traversal in the application path', () => {
    for (const path of ['..', '../evil', 'guestbook/../../..', '/etc', '/']) {
      it(`refuses path ${JSON.stringify(path)}`, async () => {
        await expectRefusal(rs, rs.client().generateManifest(manifestRequest(path, 'main')), {
          code: 'ERR_PATH_OUTSIDE_ROOT',
          cwe: 22,
          level: 3,
          mentions: /outside the repository|absolute/,
        });
      });
    }
    it('refuses the same paths in GetAppDetails', async () => {
      await expectRefusal(
        rs,
        rs.client().getAppDetails({ repo: gitRepo(git, 'evil'), source: { path: '../..' } }),
        {
          code: 'ERR_PATH_OUTSIDE_ROOT',
          cwe: 22,
          level: 3,
        },
      );
    });
  });

  describe('symlinks that leave the repository', () => {
    it('refuses an absolute symlink deep in the tree before any rendering, even for another app', async () => {
      await expectRefusal(
        rs,
        rs.client().generateManifest(manifestRequest('guestbook', 'oob-abs')),
        {
          code: 'ERR_OOB_SYMLINK',
          cwe: 59,
          level: 3,
          mentions: /deep\/a\/b\/c\/d\/passwd\.yaml/,
        },
      );
    });

    it('refuses a relative symlink that climbs out', async () => {
      await expectRefusal(rs, rs.client().generateManifest(manifestRequest('apps/x', 'oob-rel')), {
        code: 'ERR_OOB_SYMLINK',
        cwe: 59,
        level: 3,
        mentions: /apps\/x\/host\.yaml/,
      });
    });

    it('refuses a symlink to a file of the repo server host and never returns its content', async () => {
      await assert.rejects(
        rs.client().generateManifest(manifestRequest('leak', 'oob-leak')),
        (err: unknown) => {
          assert.ok(err instanceof RepoServerClientError);
          assert.equal(err.code, 'ERR_OOB_SYMLINK');
          assert.ok(!err.message.includes('leaked-from-outside'));
          return true;
        },
      );
    });
  });

  describe('Helm value files', () => {
    const cases: { name: string; valueFile: string; code: string; cwe: number }[] = [
      {
        name: 'a .. path out of the repository',
        valueFile: '../../../../etc/passwd',
        code: 'ERR_PATH_OUTSIDE_ROOT',
        cwe: 22,
      },
      {
        name: 'an absolute path climbing out',
        valueFile: '/../../etc/passwd',
        code: 'ERR_PATH_OUTSIDE_ROOT',
        cwe: 22,
      },
      {
        name: 'a file:// URL',
        valueFile: 'file:///etc/passwd',
        code: 'ERR_URL_SCHEME_NOT_ALLOWED',
        cwe: 918,
      },
      {
        name: 'a gopher:// URL at a loopback service',
        valueFile: 'gopher://127.0.0.1:6379/_INFO',
        code: 'ERR_URL_SCHEME_NOT_ALLOWED',
        cwe: 918,
      },
    ];
    for (const c of cases) {
      it(`refuses ${c.name} before helm runs`, async () => {
        await expectRefusal(
          rs,
          rs.client().generateManifest(
            manifestRequest('chart', 'main', {
              applicationSource: {
                path: 'chart',
                targetRevision: 'main',
                helm: { valueFiles: ['values.yaml', c.valueFile] },
              },
            }),
          ),
          { code: c.code, cwe: c.cwe, level: 3 },
        );
      });
    }

    it('refuses every URL when helm.valuesFileSchemes is empty', async () => {
      await expectRefusal(
        rs,
        rs.client().generateManifest(
          manifestRequest('chart', 'main', {
            applicationSource: {
              path: 'chart',
              helm: { valueFiles: ['https://example.test/values.yaml'] },
            },
            helmOptions: { valuesFileSchemes: [] },
          }),
        ),
        { code: 'ERR_URL_SCHEME_NOT_ALLOWED', cwe: 918, level: 3 },
      );
    });
  });

  it('refuses a directory app over the combined size limit and names the setting', async () => {
    await expectRefusal(rs, rs.client().generateManifest(manifestRequest('big', 'big-dir')), {
      code: 'ERR_MANIFEST_TOO_LARGE',
      cwe: 770,
      level: 2,
      mentions:
        /max-combined-directory-manifests-size.*reposerver\.max\.combined\.directory\.manifests\.size/,
    });
  });

  it('stops a YAML alias bomb', async () => {
    await expectRefusal(rs, rs.client().generateManifest(manifestRequest('bomb', 'alias-bomb')), {
      code: 'ERR_MANIFEST_PARSE',
      cwe: 400,
      level: 2,
      mentions: /alias/,
    });
  });

  describe('with a larger directory limit', () => {
    let big: TestRepoServer;
    before(async () => {
      big = await startTestRepoServer({ maxCombinedDirectoryManifestsBytes: 20_000_000 });
    });
    after(async () => {
      await big.close();
    });
    it('refuses one huge document', async () => {
      await expectRefusal(big, big.client().generateManifest(manifestRequest('huge', 'huge-doc')), {
        code: 'ERR_MANIFEST_TOO_LARGE',
        cwe: 770,
        level: 2,
        mentions: /over the limit of 3145728 bytes for one manifest/,
      });
    });
  });

  describe('reading another repository or the repo server', () => {
    it('refuses a kustomization that climbs out of the repository', async () => {
      await expectRefusal(
        rs,
        rs.client().generateManifest(manifestRequest('k', 'kustomize-climb')),
        {
          code: 'ERR_PATH_OUTSIDE_ROOT',
          cwe: 22,
          level: 3,
          mentions: /k\/kustomization\.yaml/,
        },
      );
    });

    it('refuses a kustomization naming an absolute path', async () => {
      await expectRefusal(rs, rs.client().generateManifest(manifestRequest('k', 'kustomize-abs')), {
        code: 'ERR_PATH_OUTSIDE_ROOT',
        cwe: 22,
        level: 3,
      });
    });

    it('refuses a remote Kustomize base with a clear error instead of fetching it', async () => {
      await expectRefusal(
        rs,
        rs.client().generateManifest(manifestRequest('k', 'kustomize-remote')),
        {
          code: 'ERR_UNSUPPORTED',
          cwe: 918,
          level: 2,
          mentions: /remote base/,
        },
      );
    });

    it('keeps every repository in a randomly named cache directory that no URL can predict', async () => {
      const victim = await git.createRepo('victim');
      await victim.write({ 'app/cm.yaml': CM('victim-secret') });
      await victim.commit('victim');
      await rs
        .client()
        .generateManifest({ repo: gitRepo(git, 'victim'), applicationSource: { path: 'app' } });
      await rs.client().generateManifest(manifestRequest('guestbook', 'main'));
      const repos = await readdir(join(cacheDir, 'git', 'repos'));
      const checkouts = await readdir(join(cacheDir, 'git', 'checkouts'));
      assert.ok(repos.length >= 2);
      for (const name of [...repos, ...checkouts]) assert.match(name, /^[0-9a-f]{24}$/);
      // a second server caching the same repository picks other names: nothing derives from the URL
      const otherDir = await mkdtemp(join(tmpdir(), 'argocd-ts-threat-cache2-'));
      const other = await startTestRepoServer({ cacheDir: otherDir });
      try {
        await other
          .client()
          .generateManifest({ repo: gitRepo(git, 'victim'), applicationSource: { path: 'app' } });
        const otherRepos = await readdir(join(otherDir, 'git', 'repos'));
        assert.equal(otherRepos.length, 1);
        assert.ok(!repos.includes(otherRepos[0] ?? ''));
      } finally {
        await other.close();
        await rm(otherDir, { recursive: true, force: true });
      }
    });
  });

  describe('repository URLs and revisions', () => {
    const marker = join(tmpdir(), `argocd-ts-pwned-${randomBytes(4).toString('hex')}`);
    const urls: { name: string; url: string; cwe: number; level: number }[] = [
      { name: 'an option-like URL', url: `--upload-pack=touch ${marker}`, cwe: 88, level: 3 },
      { name: "git's ext:: transport", url: `ext::sh -c touch% ${marker}`, cwe: 88, level: 3 },
      { name: 'a file:// URL without the unsafe flag', url: 'file:///etc', cwe: 918, level: 2 },
      { name: 'plain http without insecure', url: 'http://127.0.0.1:1/x.git', cwe: 918, level: 2 },
    ];
    for (const u of urls) {
      it(`refuses ${u.name}`, async () => {
        await expectRefusal(rs, rs.client().testRepository({ repo: { repo: u.url } }), {
          code: 'ERR_INVALID_REPO_URL',
          cwe: u.cwe,
          level: u.level,
        });
        assert.equal(existsSync(marker), false);
      });
    }

    it('refuses an option-like revision', async () => {
      await expectRefusal(
        rs,
        rs
          .client()
          .resolveRevision({ repo: gitRepo(git, 'evil'), ambiguousRevision: '--output=/tmp/x' }),
        {
          code: 'ERR_INVALID_REVISION',
          cwe: 88,
          level: 3,
        },
      );
    });
  });

  it('never echoes a password written into a URL when the fetch fails', async () => {
    const secret = 'InUrl-Passw0rd-31';
    const url = git.url('does-not-exist').replace('https://', `https://${USER}:${secret}@`);
    const before = rs.securityEvents().length;
    await assert.rejects(
      rs.client().generateManifest({
        repo: { repo: url, tlsCaData: git.caPem },
        applicationSource: { path: '.' },
      }),
      (err: unknown) => {
        assert.ok(err instanceof RepoServerClientError);
        assert.equal(err.code, 'ERR_REPO_ACCESS');
        assert.ok(!err.message.includes(secret), err.message);
        assert.ok(!err.message.includes(`${USER}:`), err.message);
        return true;
      },
    );
    assert.ok(
      rs
        .securityEvents()
        .slice(before)
        .some((e) => e.CWE === 532),
    );
    assert.ok(!JSON.stringify(rs.logs).includes(secret), 'no log line holds the password');
  });
});

describe('threats with --allow-oob-symlinks', () => {
  let rs: TestRepoServer;
  before(async () => {
    rs = await startTestRepoServer({ allowOutOfBoundsSymlinks: true });
  });
  after(async () => {
    await rs.close();
  });

  it('lets an out-of-bounds symlink through only when explicitly allowed', async () => {
    const res = await rs.client().generateManifest(manifestRequest('leak', 'oob-leak'));
    const names = res.manifests
      .map((m) => (JSON.parse(m) as { metadata: { name: string } }).metadata.name)
      .sort();
    assert.deepEqual(names, ['leaked-from-outside', 'real']);
  });

  it('still refuses a value file that resolves outside through a symlink', async () => {
    await expectRefusal(
      rs,
      rs.client().generateManifest(
        manifestRequest('chart', 'value-link', {
          applicationSource: {
            path: 'chart',
            targetRevision: 'value-link',
            helm: { valueFiles: ['evil-values.yaml'] },
          },
        }),
      ),
      { code: 'ERR_PATH_OUTSIDE_ROOT', cwe: 59, level: 3, mentions: /through a symlink/ },
    );
  });
});
