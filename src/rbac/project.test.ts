import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { projectPolicyString, validateProjectRolePolicy } from './index.js';

describe('projectPolicyString', () => {
  it('renders each role’s implicit get, its policies and its groups', () => {
    const text = projectPolicyString({
      metadata: { name: 'team-a' },
      spec: {
        roles: [
          {
            name: 'ci',
            policies: ['p, proj:team-a:ci, applications, sync, team-a/*, allow'],
            groups: ['my-org:ci', '"my-org:a, b"', 'has,comma'],
          },
          { name: 'viewer' },
        ],
      },
    });
    assert.equal(
      text,
      [
        'p, proj:team-a:ci, projects, get, team-a, allow',
        'p, proj:team-a:ci, applications, sync, team-a/*, allow',
        'g, my-org:ci, proj:team-a:ci',
        'g, "my-org:a, b", proj:team-a:ci',
        'g, "has,comma", proj:team-a:ci',
        'p, proj:team-a:viewer, projects, get, team-a, allow',
      ].join('\n'),
    );
  });

  it('is empty for a project without roles', () => {
    assert.equal(projectPolicyString({ metadata: { name: 'p' }, spec: {} }), '');
  });
});

describe('validateProjectRolePolicy', () => {
  const cases = [
    {
      name: 'a valid policy',
      policy: 'p, proj:p:r, applications, sync, p/*, allow',
      want: undefined,
    },
    {
      name: 'an app in a namespace',
      policy: 'p, proj:p:r, applications, get, p/ns/app-1, deny',
      want: undefined,
    },
    {
      name: 'five fields',
      policy: 'p, proj:p:r, applications, get, p/*',
      want: /must be of the form/,
    },
    { name: 'a g line', policy: 'g, proj:p:r, role:admin', want: /must be of the form/ },
    {
      name: 'another subject',
      policy: 'p, alice, applications, get, p/*, allow',
      want: /subject must be: 'proj:p:r'/,
    },
    {
      name: 'another role',
      policy: 'p, proj:p:other, applications, get, p/*, allow',
      want: /subject must be/,
    },
    {
      name: 'a non-project resource',
      policy: 'p, proj:p:r, projects, update, p/*, allow',
      want: /project resource must be/,
    },
    {
      name: 'an object of another project',
      policy: 'p, proj:p:r, applications, get, q/*, allow',
      want: /object must be of form 'p\/\*'/,
    },
    {
      name: 'a bare * object',
      policy: 'p, proj:p:r, applications, get, *, allow',
      want: /object must be/,
    },
    {
      name: 'a deep object',
      policy: 'p, proj:p:r, applications, get, p/a/b/c, allow',
      want: /object must be/,
    },
    {
      name: 'a bad effect',
      policy: 'p, proj:p:r, applications, get, p/*, maybe',
      want: /effect must be/,
    },
    {
      name: 'an empty action',
      policy: 'p, proj:p:r, applications, , p/*, allow',
      want: /invalid action/,
    },
  ];
  for (const c of cases) {
    it(`judges ${c.name}`, () => {
      const got = validateProjectRolePolicy('p', 'r', c.policy);
      if (c.want === undefined) assert.equal(got, undefined);
      else assert.match(got ?? '', c.want);
    });
  }
});
