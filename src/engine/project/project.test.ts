import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AppProject, AppProjectSpec } from '../../apis/index.js';
import {
  checkApplicationSpec,
  checkDestination,
  checkResourceKind,
  checkResources,
  checkSourceRepo,
  normalizeRepoUrl,
} from '../index.js';

function project(spec: AppProjectSpec): AppProject {
  return { apiVersion: 'argoproj.io/v1alpha1', kind: 'AppProject', metadata: { name: 'p' }, spec };
}

describe('project rules: sourceRepos', () => {
  it('normalises URLs before matching', () => {
    assert.equal(
      normalizeRepoUrl(' https://GitHub.com/Org/Repo.git/ '),
      'https://github.com/org/repo',
    );
    assert.equal(normalizeRepoUrl('git@github.com:org/repo.git'), 'ssh://git@github.com/org/repo');
  });

  const cases = [
    { name: 'star allows all', repos: ['*'], url: 'https://x/y', want: true },
    {
      name: 'exact after normalising',
      repos: ['https://git.example/org/app.git'],
      url: 'https://GIT.example/org/app',
      want: true,
    },
    {
      name: 'glob does not cross a slash',
      repos: ['https://git.example/*'],
      url: 'https://git.example/org/app',
      want: false,
    },
    {
      name: 'double star crosses slashes',
      repos: ['https://git.example/**'],
      url: 'https://git.example/org/app',
      want: true,
    },
    {
      name: 'no pattern matches',
      repos: ['https://other/*'],
      url: 'https://git.example/org',
      want: false,
    },
    { name: 'empty list denies', repos: [], url: 'https://git.example/org', want: false },
    {
      name: 'deny wins over allow',
      repos: ['*', '!https://git.example/secret/*'],
      url: 'https://git.example/secret/app',
      want: false,
    },
    {
      name: 'deny does not hit others',
      repos: ['*', '!https://git.example/secret/*'],
      url: 'https://git.example/open/app',
      want: true,
    },
    {
      name: 'a ! pattern alone never allows (no Argo CD quirk)',
      repos: ['!https://git.example/secret/*'],
      url: 'https://git.example/open/app',
      want: false,
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const v = checkSourceRepo(project({ sourceRepos: c.repos }), c.url);
      assert.equal(v === undefined, c.want, v?.message);
      if (v) assert.equal(v.rule, 'sourceRepos');
    });

  it('names the deny pattern in the message', () => {
    const v = checkSourceRepo(project({ sourceRepos: ['*', '!https://bad/*'] }), 'https://bad/x');
    assert.match(v?.message ?? '', /denied by sourceRepos pattern '!https:\/\/bad\/\*'/);
  });

  it('refuses the invalid pattern !* as a project error', () => {
    const v = checkApplicationSpec(
      project({ sourceRepos: ['!*'], destinations: [{ server: '*', namespace: '*' }] }),
      [{ repoURL: 'https://x/y' }],
      { server: 'https://k', namespace: 'a' },
    );
    assert.ok(v.some((x) => /invalid sourceRepos pattern '!\*'/.test(x.message)));
  });
});

describe('project rules: destinations', () => {
  const dests = [
    { server: 'https://prod-*', namespace: 'team-*' },
    { name: 'staging', namespace: '*' },
    { server: '*', namespace: '!kube-system' },
  ];
  const cases = [
    {
      name: 'server and namespace globs',
      dest: { server: 'https://prod-1', namespace: 'team-a' },
      want: true,
    },
    {
      name: 'namespace outside the glob',
      dest: { server: 'https://prod-1', namespace: 'other' },
      want: false,
    },
    {
      name: 'by cluster name',
      dest: { server: 'https://10.0.0.1', name: 'staging', namespace: 'x' },
      want: true,
    },
    {
      name: 'deny rule wins',
      dest: { server: 'https://10.0.0.1', name: 'staging', namespace: 'kube-system' },
      want: false,
    },
    {
      name: 'a deny rule alone does not allow',
      dest: { server: 'https://dev', namespace: 'apps' },
      want: false,
    },
  ];
  for (const c of cases)
    it(c.name, () => {
      const v = checkDestination(project({ destinations: dests }), c.dest);
      assert.equal(v === undefined, c.want, v?.message);
    });

  it('names the deny rule', () => {
    const v = checkDestination(project({ destinations: dests }), {
      server: 'https://prod-1',
      namespace: 'kube-system',
    });
    assert.match(
      v?.message ?? '',
      /denied by the destination rule \{server '\*', namespace '!kube-system'\}/,
    );
  });
});

describe('project rules: resource kinds', () => {
  it('allows no cluster-scoped kind with an empty whitelist', () => {
    const v = checkResourceKind(project({}), { group: '', kind: 'Namespace', namespaced: false });
    assert.equal(v?.rule, 'clusterResourceWhitelist');
  });

  it('allows whitelisted cluster-scoped kinds unless blacklisted', () => {
    const p = project({
      clusterResourceWhitelist: [{ group: '*', kind: '*' }],
      clusterResourceBlacklist: [{ group: 'rbac.authorization.k8s.io', kind: 'ClusterRole' }],
    });
    assert.equal(
      checkResourceKind(p, { group: '', kind: 'Namespace', namespaced: false }),
      undefined,
    );
    assert.equal(
      checkResourceKind(p, {
        group: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        namespaced: false,
      })?.rule,
      'clusterResourceBlacklist',
    );
  });

  it('allows every namespaced kind when the whitelist is absent, none when it is empty', () => {
    assert.equal(
      checkResourceKind(project({}), { group: 'apps', kind: 'Deployment', namespaced: true }),
      undefined,
    );
    assert.equal(
      checkResourceKind(project({ namespaceResourceWhitelist: [] }), {
        group: 'apps',
        kind: 'Deployment',
        namespaced: true,
      })?.rule,
      'namespaceResourceWhitelist',
    );
  });

  it('refuses blacklisted namespaced kinds', () => {
    const p = project({ namespaceResourceBlacklist: [{ group: '', kind: 'Secret' }] });
    const v = checkResourceKind(p, { group: '', kind: 'Secret', namespaced: true });
    assert.equal(v?.rule, 'namespaceResourceBlacklist');
    assert.match(v.message, /:Secret is in namespaceResourceBlacklist/);
  });

  it('checks the namespace of each namespaced object against the destinations', () => {
    const p = project({ destinations: [{ server: '*', namespace: 'apps' }] });
    const v = checkResources(p, { server: 'https://k', namespace: 'apps' }, [
      { group: '', kind: 'ConfigMap', namespace: 'apps', name: 'ok', namespaced: true },
      { group: '', kind: 'ConfigMap', namespace: 'kube-system', name: 'bad', namespaced: true },
    ]);
    assert.equal(v.length, 1);
    assert.match(v[0]?.message ?? '', /namespace kube-system of ConfigMap bad is not permitted/);
  });
});
