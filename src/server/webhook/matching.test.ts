import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Application } from '../../apis/index.js';
import { affectedApps, filesAffect, refreshPaths, repoKey } from './matching.js';
import type { PushEvent } from './providers.js';

function app(
  name: string,
  repoURL: string,
  targetRevision?: string,
  path = 'web',
  paths?: string,
): Application {
  return {
    metadata: {
      name,
      ...(paths !== undefined
        ? { annotations: { 'argocd.argoproj.io/manifest-generate-paths': paths } }
        : {}),
    },
    spec: {
      project: 'default',
      source: { repoURL, path, ...(targetRevision !== undefined ? { targetRevision } : {}) },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'x' },
    },
  };
}

const pushMain: PushEvent = {
  kind: 'push',
  provider: 'github',
  repoUrls: ['https://github.com/example/guestbook', 'git@github.com:example/guestbook.git'],
  revisions: ['main'],
  touchedHead: true,
  changedFiles: ['web/deploy.yaml'],
};

describe('repoKey', () => {
  const same = [
    'https://github.com/Example/Guestbook.git',
    'https://user@github.com:443/example/guestbook/',
    'git@github.com:example/guestbook.git',
    'ssh://git@github.com/example/guestbook',
  ];
  for (const u of same)
    it(`normalises ${u}`, () => {
      assert.equal(repoKey(u), 'github.com/example/guestbook');
    });
  it('keeps different repositories apart', () => {
    assert.notEqual(
      repoKey('https://github.com/example/guestbook2'),
      repoKey('https://github.com/example/guestbook'),
    );
    assert.equal(repoKey('not a url'), undefined);
  });
});

describe('affectedApps', () => {
  it('refreshes apps of the pushed repository and revision only', () => {
    const apps = [
      app('head', 'https://github.com/example/guestbook.git'),
      app('main', 'git@github.com:example/guestbook.git', 'main'),
      app('main-ref', 'https://github.com/example/guestbook', 'refs/heads/main'),
      app('release', 'https://github.com/example/guestbook', 'release'),
      app('other-repo', 'https://github.com/example/other', 'main'),
    ];
    assert.deepEqual(affectedApps(apps, pushMain), ['head', 'main', 'main-ref']);
  });

  it('does not refresh HEAD apps when the default branch did not move', () => {
    const apps = [
      app('head', 'https://github.com/example/guestbook'),
      app('dev', 'https://github.com/example/guestbook', 'dev'),
    ];
    assert.deepEqual(affectedApps(apps, { ...pushMain, revisions: ['dev'], touchedHead: false }), [
      'dev',
    ]);
  });

  it('honours manifest-generate-paths', () => {
    const apps = [
      app('web', 'https://github.com/example/guestbook', 'main', 'web', '.'),
      app('api', 'https://github.com/example/guestbook', 'main', 'api', '.;/shared'),
      app('glob', 'https://github.com/example/guestbook', 'main', 'x', '/web/*.yaml'),
    ];
    assert.deepEqual(affectedApps(apps, pushMain), ['web', 'glob']);
    assert.deepEqual(affectedApps(apps, { ...pushMain, changedFiles: ['shared/lib.yaml'] }), [
      'api',
    ]);
    assert.deepEqual(affectedApps(apps, { ...pushMain, changedFiles: [] }), ['web', 'api', 'glob']);
  });

  it('resolves annotation paths against the source path or the root', () => {
    assert.deepEqual(refreshPaths(app('a', 'r', 'main', 'apps/web', '.;../common;/global')), [
      'apps/web',
      'apps/common',
      'global',
    ]);
    assert.equal(filesAffect(['apps/web'], ['apps/webby/x.yaml']), false);
    assert.equal(filesAffect(['apps/web'], ['apps/web/x.yaml']), true);
  });
});
