import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ValidationError, type AppProject } from '../../apis/index.js';
import {
  canonicalJson,
  projectForCreate,
  projectForUpdate,
  sameSpec,
  validateProject,
} from './validate.js';

const project = (spec: AppProject['spec'], name = 'team-a'): AppProject => ({
  metadata: { name },
  spec,
});

describe('validateProject', () => {
  const bad = [
    { name: 'upper-case name', p: project({}, 'Team'), field: 'metadata.name' },
    {
      name: '!* in sourceRepos',
      p: project({ sourceRepos: ['!*'] }),
      field: 'spec.sourceRepos[0]',
    },
    {
      name: 'a destination with neither server nor name',
      p: project({ destinations: [{ namespace: 'x' }] }),
      field: 'spec.destinations[0]',
    },
    {
      name: 'a role name with a dot',
      p: project({ roles: [{ name: 'a.b' }] }),
      field: 'spec.roles[0].name',
    },
    {
      name: 'a duplicate role',
      p: project({ roles: [{ name: 'ci' }, { name: 'ci' }] }),
      field: 'spec.roles[1].name',
    },
    {
      name: 'a policy for another role',
      p: project({
        roles: [
          { name: 'ci', policies: ['p, proj:team-a:other, applications, get, team-a/*, allow'] },
        ],
      }),
      field: 'spec.roles[0].policies[0]',
    },
    {
      name: 'a policy on a global resource',
      p: project({
        roles: [{ name: 'ci', policies: ['p, proj:team-a:ci, accounts, get, team-a/*, allow'] }],
      }),
      field: 'spec.roles[0].policies[0]',
    },
    {
      name: 'a policy with a bad effect',
      p: project({
        roles: [
          { name: 'ci', policies: ['p, proj:team-a:ci, applications, get, team-a/*, maybe'] },
        ],
      }),
      field: 'spec.roles[0].policies[0]',
    },
    {
      name: 'a group with a quote',
      p: project({ roles: [{ name: 'ci', groups: ['a"b'] }] }),
      field: 'spec.roles[0].groups[0]',
    },
    {
      name: 'a group with a trailing space',
      p: project({ roles: [{ name: 'ci', groups: ['ops '] }] }),
      field: 'spec.roles[0].groups[0]',
    },
    {
      name: 'a sync window of an unknown kind',
      p: project({ syncWindows: [{ kind: 'maybe', schedule: '* * * * *', duration: '1h' }] }),
      field: 'spec.syncWindows[0].kind',
    },
    {
      name: 'a sync window without duration',
      p: project({ syncWindows: [{ kind: 'allow', schedule: '* * * * *' }] }),
      field: 'spec.syncWindows[0].duration',
    },
  ];
  for (const c of bad) {
    it(`refuses ${c.name}`, () => {
      assert.throws(
        () => validateProject(c.p),
        (e: unknown) => e instanceof ValidationError && e.fields.some((f) => f.field === c.field),
      );
    });
  }

  it('accepts a complete valid project', () => {
    const p = project({
      sourceRepos: ['https://git.example/*', '!https://git.example/secret/*'],
      destinations: [
        { server: '*', namespace: 'team-a-*' },
        { name: 'prod', namespace: '*' },
      ],
      roles: [
        {
          name: 'ci-bot',
          policies: [
            'p, proj:team-a:ci-bot, applications, sync, team-a/*, allow',
            'p, proj:team-a:ci-bot, applications, get, team-a/ns/web, deny',
          ],
          groups: ['my-org:team a'],
        },
      ],
      syncWindows: [{ kind: 'deny', schedule: '0 22 * * *', duration: '8h' }],
    });
    assert.equal(validateProject(p), p);
  });
});

describe('project token lists are server-managed', () => {
  const stored: AppProject = {
    metadata: { name: 'p', resourceVersion: '7', uid: 'u' },
    spec: {
      roles: [
        { name: 'ci', jwtTokens: [{ iat: 1, id: 'a' }] },
        { name: 'old', jwtTokens: [{ iat: 2, id: 'b' }] },
      ],
    },
    status: {
      jwtTokensByRole: {
        ci: { items: [{ iat: 1, id: 'a' }] },
        old: { items: [{ iat: 2, id: 'b' }] },
      },
    },
  };

  it('starts a new project without tokens', () => {
    const created = projectForCreate({ ...stored, metadata: { name: 'p' } }, 'argocd');
    assert.deepEqual(created.spec.roles, [{ name: 'ci' }, { name: 'old' }]);
    assert.equal((created as { status?: unknown }).status, undefined);
    assert.equal(created.metadata.namespace, 'argocd');
  });

  it('keeps stored token lists on update, ignores sent ones, and drops those of removed roles', () => {
    const sent: AppProject = {
      metadata: { name: 'p' },
      spec: {
        roles: [
          { name: 'ci', jwtTokens: [{ iat: 9, id: 'forged' }] },
          { name: 'new', jwtTokens: [{ iat: 3, id: 'c' }] },
        ],
      },
    };
    const next = projectForUpdate(sent, stored);
    assert.deepEqual(next.spec.roles, [
      { name: 'ci', jwtTokens: [{ iat: 1, id: 'a' }] },
      { name: 'new' },
    ]);
    assert.deepEqual(next.status?.jwtTokensByRole, { ci: { items: [{ iat: 1, id: 'a' }] } });
    assert.equal(next.metadata.uid, 'u');
  });

  it('compares specs ignoring key order and tokens', () => {
    assert.equal(
      sameSpec(
        project({ sourceRepos: ['a'], description: 'd' }),
        project({ description: 'd', sourceRepos: ['a'] }),
      ),
      true,
    );
    assert.equal(
      sameSpec(stored, { ...stored, spec: { roles: [{ name: 'ci' }, { name: 'old' }] } }),
      true,
    );
    assert.equal(sameSpec(project({ description: 'a' }), project({ description: 'b' })), false);
    assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] }), '{"a":[{"d":2}],"b":1}');
  });
});
