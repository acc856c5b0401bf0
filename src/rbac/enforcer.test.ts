import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AppProject } from '../apis/index.js';
import {
  RbacDeniedError,
  RbacEnforcer,
  RbacPolicyError,
  RbacRequestError,
  type EnforceOptions,
  type PolicyProblem,
} from './index.js';

const projectsOf = (...list: AppProject[]): EnforceOptions => ({
  projects: (name) => list.find((p) => p.metadata.name === name),
});

function project(name: string, roles: NonNullable<AppProject['spec']['roles']>): AppProject {
  return { metadata: { name }, spec: { roles } };
}

describe('RbacEnforcer', () => {
  describe('built-in policy', () => {
    const rbac = new RbacEnforcer();
    const cases = [
      {
        name: 'admin deletes an app',
        sub: 'admin',
        req: ['applications', 'delete', 'a/b'],
        want: true,
      },
      {
        name: 'admin updates a resource of an app',
        sub: 'admin',
        req: ['applications', 'update/apps/Deployment/ns/web', 'a/b'],
        want: true,
      },
      {
        name: 'admin runs a resource action',
        sub: 'admin',
        req: ['applications', 'action//Pod/restart', 'a/b'],
        want: true,
      },
      {
        name: 'admin creates a cluster',
        sub: 'admin',
        req: ['clusters', 'create', 'https://k8s'],
        want: true,
      },
      { name: 'admin execs into a pod', sub: 'admin', req: ['exec', 'create', 'a/b'], want: true },
      {
        name: 'role:readonly reads an app',
        sub: 'role:readonly',
        req: ['applications', 'get', 'a/b'],
        want: true,
      },
      {
        name: 'role:readonly reads logs',
        sub: 'role:readonly',
        req: ['logs', 'get', 'a/b'],
        want: true,
      },
      {
        name: 'role:readonly cannot sync',
        sub: 'role:readonly',
        req: ['applications', 'sync', 'a/b'],
        want: false,
      },
      {
        name: 'role:readonly cannot exec',
        sub: 'role:readonly',
        req: ['exec', 'create', 'a/b'],
        want: false,
      },
      {
        name: 'role:admin cannot invoke extensions (not granted)',
        sub: 'role:admin',
        req: ['extensions', 'invoke', 'metrics'],
        want: false,
      },
      {
        name: 'an unknown user gets nothing (deny by default)',
        sub: 'mallory',
        req: ['applications', 'get', 'a/b'],
        want: false,
      },
      {
        name: 'the empty subject gets nothing',
        sub: '',
        req: ['applications', 'get', 'a/b'],
        want: false,
      },
    ] as const;
    for (const c of cases) {
      it(c.name, () => {
        const [res, act, obj] = c.req;
        assert.equal(rbac.enforce(c.sub, res, act, obj), c.want);
      });
    }

    it('denies claims without a subject, groups or default role (anonymous, deny by default)', () => {
      const d = rbac.enforceClaims({}, 'applications', 'get', 'a/b');
      assert.equal(d.allowed, false);
      assert.equal(d.reason, 'no-match');
    });
  });

  describe('user policy', () => {
    const rbac = new RbacEnforcer({
      userPolicyCsv: [
        'p, role:team-a, applications, *, team-a/*, allow',
        'p, role:team-a, applications, delete, team-a/prod-*, deny',
        'g, my-org:team-a, role:team-a',
        'g, alice, role:team-a',
      ].join('\n'),
    });

    it('limits a project team role to its project', () => {
      assert.equal(rbac.enforce('alice', 'applications', 'sync', 'team-a/web'), true);
      assert.equal(rbac.enforce('alice', 'applications', 'sync', 'team-b/web'), false);
    });

    it('lets * in an object cross /', () => {
      assert.equal(rbac.enforce('alice', 'applications', 'get', 'team-a/apps-ns/web'), true);
    });

    it('applies a deny inside the role closure of one subject', () => {
      assert.equal(rbac.enforce('alice', 'applications', 'delete', 'team-a/prod-web'), false);
      assert.equal(rbac.enforce('alice', 'applications', 'delete', 'team-a/dev-web'), true);
      const d = rbac.decide('alice', 'applications', 'delete', 'team-a/prod-web');
      assert.equal(d.reason, 'denied');
      assert.deepEqual(
        { source: d.rule?.source, line: d.rule?.line, effect: d.rule?.effect },
        { source: 'policy.csv', line: 2, effect: 'deny' },
      );
    });

    it('reports the allow rule and subject that decided', () => {
      const d = rbac.enforceClaims(
        { sub: 'bob', groups: ['my-org:team-a'] },
        'applications',
        'sync',
        'team-a/web',
      );
      assert.equal(d.allowed, true);
      assert.equal(d.reason, 'group');
      assert.equal(d.subject, 'my-org:team-a');
      assert.equal(d.rule?.line, 1);
      assert.equal(d.rule.text, 'p, role:team-a, applications, *, team-a/*, allow');
    });
  });

  describe('default role', () => {
    it('grants policy.default to every caller, including anonymous (empty) claims', () => {
      const rbac = new RbacEnforcer({ defaultRole: 'role:readonly' });
      assert.equal(rbac.enforceClaims({}, 'applications', 'get', 'a/b').allowed, true);
      assert.equal(rbac.enforceClaims({}, 'applications', 'get', 'a/b').reason, 'default-role');
      assert.equal(rbac.enforceClaims({}, 'applications', 'sync', 'a/b').allowed, false);
      assert.equal(rbac.enforce('anyone', 'projects', 'get', 'p'), true);
    });

    it('cannot be overridden by a deny on the user or the user’s group', () => {
      const rbac = new RbacEnforcer({
        defaultRole: 'role:readonly',
        userPolicyCsv: [
          'p, alice, applications, get, secret/*, deny',
          'p, role:blocked, applications, get, secret/*, deny',
          'g, my-org:blocked, role:blocked',
        ].join('\n'),
      });
      assert.equal(rbac.enforce('alice', 'applications', 'get', 'secret/x'), true);
      const claims = { sub: 'bob', groups: ['my-org:blocked'] };
      assert.equal(rbac.enforceClaims(claims, 'applications', 'get', 'secret/x').allowed, true);
    });

    it('is denied by a deny inside the default role’s own closure', () => {
      const rbac = new RbacEnforcer({
        defaultRole: 'role:viewer',
        userPolicyCsv: [
          'g, role:viewer, role:readonly',
          'p, role:viewer, applications, get, secret/*, deny',
        ].join('\n'),
      });
      assert.equal(rbac.enforce('anyone', 'applications', 'get', 'secret/x'), false);
      assert.equal(rbac.enforce('anyone', 'applications', 'get', 'public/x'), true);
    });
  });

  describe('groups and scopes', () => {
    const policy = [
      'g, my-org:devs, role:readonly',
      'g, ops@example.com, role:admin',
      // a group that only has p lines is not checked (Argo CD checks groups bound by g lines)
      'p, my-org:unbound, applications, sync, */*, allow',
    ].join('\n');

    it('reads a list-valued groups claim', () => {
      const rbac = new RbacEnforcer({ userPolicyCsv: policy });
      const d = rbac.enforceClaims(
        { sub: 'u', groups: ['x', 'my-org:devs'] },
        'applications',
        'get',
        'a/b',
      );
      assert.equal(d.allowed, true);
      assert.equal(d.subject, 'my-org:devs');
    });

    it('reads a string-valued groups claim', () => {
      const rbac = new RbacEnforcer({ userPolicyCsv: policy });
      assert.equal(
        rbac.enforceClaims({ sub: 'u', groups: 'my-org:devs' }, 'applications', 'get', 'a/b')
          .allowed,
        true,
      );
    });

    it('reads the claims named by scopes and ignores groups when scopes omit them', () => {
      const rbac = new RbacEnforcer({ userPolicyCsv: policy, scopes: ['email'] });
      assert.equal(
        rbac.enforceClaims({ sub: 'u', email: 'ops@example.com' }, 'clusters', 'delete', 'x')
          .allowed,
        true,
      );
      assert.equal(
        rbac.enforceClaims({ sub: 'u', groups: ['my-org:devs'] }, 'applications', 'get', 'a/b')
          .allowed,
        false,
      );
    });

    it('does not check a group that no g line binds', () => {
      const rbac = new RbacEnforcer({ userPolicyCsv: policy });
      assert.equal(
        rbac.enforceClaims({ sub: 'u', groups: ['my-org:unbound'] }, 'applications', 'sync', 'a/b')
          .allowed,
        false,
      );
      // the same subject as a user id is checked directly
      assert.equal(
        rbac.enforceClaims({ sub: 'my-org:unbound' }, 'applications', 'sync', 'a/b').allowed,
        true,
      );
    });

    it('uses federated_claims.user_id before sub', () => {
      const rbac = new RbacEnforcer({ userPolicyCsv: 'g, alice, role:admin' });
      const claims = { sub: 'CgVhbGljZRIFbG9jYWw', federated_claims: { user_id: 'alice' } };
      assert.equal(rbac.enforceClaims(claims, 'clusters', 'delete', 'x').allowed, true);
      assert.equal(
        rbac.enforceClaims({ sub: 'CgVhbGljZRIFbG9jYWw' }, 'clusters', 'delete', 'x').allowed,
        false,
      );
    });

    const malformed = [
      { name: 'claims that are not an object', claims: 'admin' },
      { name: 'claims that are null', claims: null },
      { name: 'claims that are an array', claims: ['admin'] },
      { name: 'a numeric sub', claims: { sub: 42, groups: [42, null, { name: 'my-org:devs' }] } },
      { name: 'nested group arrays', claims: { sub: 'u', groups: [['my-org:devs']] } },
      { name: 'a groups object', claims: { sub: 'u', groups: { 'my-org:devs': true } } },
      {
        name: 'a non-string federated user id',
        claims: { federated_claims: { user_id: ['admin'] } },
      },
    ];
    for (const c of malformed) {
      it(`ignores ${c.name} safely (no grant, no throw)`, () => {
        const rbac = new RbacEnforcer({ userPolicyCsv: policy });
        const d = rbac.enforceClaims(c.claims, 'applications', 'get', 'a/b');
        assert.equal(d.allowed, false);
      });
    }

    it('skips non-string members of a groups list but keeps the string ones', () => {
      const rbac = new RbacEnforcer({ userPolicyCsv: policy });
      const claims = { sub: 'u', groups: [7, null, 'my-org:devs', { x: 1 }] };
      assert.equal(rbac.enforceClaims(claims, 'applications', 'get', 'a/b').allowed, true);
    });

    it('ignores claim values that name a role (role:...) unless dangerously allowed', () => {
      const safe = new RbacEnforcer();
      assert.equal(
        safe.enforceClaims({ sub: 'u', groups: ['role:admin'] }, 'clusters', 'delete', 'x').allowed,
        false,
      );
      assert.equal(
        safe.enforceClaims({ sub: 'role:admin' }, 'clusters', 'delete', 'x').allowed,
        false,
      );
      const unsafe = new RbacEnforcer({ dangerouslyAllowRoleClaims: true });
      assert.equal(
        unsafe.enforceClaims({ sub: 'u', groups: ['role:admin'] }, 'clusters', 'delete', 'x')
          .allowed,
        true,
      );
    });
  });

  describe('deny across subjects', () => {
    const rbac = new RbacEnforcer({
      userPolicyCsv: [
        'p, role:deployer, applications, sync, */*, allow',
        'p, role:frozen, applications, sync, prod/*, deny',
        'g, my-org:deployers, role:deployer',
        'g, my-org:freeze, role:frozen',
        'g, carol, role:deployer',
        'g, carol, role:frozen',
        'p, dave, applications, sync, prod/*, deny',
      ].join('\n'),
    });

    it('does not let a deny of one group block an allow of another group', () => {
      const claims = { sub: 'bob', groups: ['my-org:freeze', 'my-org:deployers'] };
      const d = rbac.enforceClaims(claims, 'applications', 'sync', 'prod/web');
      assert.equal(d.allowed, true);
      assert.equal(d.subject, 'my-org:deployers');
    });

    it('lets a deny block an allow when both reach the same subject', () => {
      assert.equal(
        rbac.enforceClaims({ sub: 'carol' }, 'applications', 'sync', 'prod/web').allowed,
        false,
      );
      assert.equal(
        rbac.enforceClaims({ sub: 'carol' }, 'applications', 'sync', 'dev/web').allowed,
        true,
      );
    });

    it('does not let a deny on the user id block an allow through a group', () => {
      const claims = { sub: 'dave', groups: ['my-org:deployers'] };
      assert.equal(rbac.enforceClaims(claims, 'applications', 'sync', 'prod/web').allowed, true);
    });

    it('reports the deny rule when every check fails', () => {
      const d = rbac.enforceClaims(
        { sub: 'x', groups: ['my-org:freeze'] },
        'applications',
        'sync',
        'prod/web',
      );
      assert.equal(d.allowed, false);
      assert.equal(d.reason, 'denied');
      assert.equal(d.subject, 'my-org:freeze');
      assert.equal(d.rule?.line, 2);
    });
  });

  describe('the worked examples of docs/rbac.md', () => {
    const rbac = new RbacEnforcer({
      defaultRole: 'role:readonly',
      userPolicyCsv: [
        'p, role:deployer, applications, sync, */*, allow',
        'p, role:frozen, applications, sync, prod/*, deny',
        'g, my-org:deployers, role:deployer',
        'g, my-org:freeze, role:frozen',
        'g, carol, role:deployer',
        'g, carol, role:frozen',
        'p, dave, applications, sync, prod/*, deny',
        'p, dave, applications, get, secret/*, deny',
      ].join('\n'),
    });
    const prod = projectsOf(
      project('prod', [
        {
          name: 'oncall',
          groups: ['my-org:deployers'],
          policies: ['p, proj:prod:oncall, applications, sync, prod/db, deny'],
        },
      ]),
    );
    const cases = [
      {
        name: 'carol syncs prod/web',
        claims: { sub: 'carol' },
        req: ['sync', 'prod/web'],
        want: false,
      },
      {
        name: 'bob (freeze + deployers) syncs prod/web',
        claims: { sub: 'bob', groups: ['my-org:freeze', 'my-org:deployers'] },
        req: ['sync', 'prod/web'],
        want: true,
      },
      {
        name: 'dave (deployers) syncs prod/web',
        claims: { sub: 'dave', groups: ['my-org:deployers'] },
        req: ['sync', 'prod/web'],
        want: true,
      },
      { name: 'dave gets secret/x', claims: { sub: 'dave' }, req: ['get', 'secret/x'], want: true },
      {
        name: 'bob (freeze + deployers) syncs prod/db with the project',
        claims: { sub: 'bob', groups: ['my-org:freeze', 'my-org:deployers'] },
        req: ['sync', 'prod/db'],
        want: false,
      },
    ] as const;
    for (const c of cases) {
      it(c.name, () => {
        const [act, obj] = c.req;
        assert.equal(rbac.enforceClaims(c.claims, 'applications', act, obj, prod).allowed, c.want);
      });
    }
  });

  describe('project run-time policy', () => {
    const teamA = project('team-a', [
      {
        name: 'deployer',
        policies: [
          'p, proj:team-a:deployer, applications, sync, team-a/*, allow',
          'p, proj:team-a:deployer, applications, sync, team-a/prod-*, deny',
        ],
        groups: ['my-org:team-a', '"my-org:team, with comma"'],
      },
    ]);
    const teamB = project('team-b', [
      { name: 'deployer', policies: ['p, proj:team-b:deployer, applications, *, team-b/*, allow'] },
    ]);
    const opts = projectsOf(teamA, teamB);
    const rbac = new RbacEnforcer();

    it('grants a role’s policies to the role’s groups inside the project', () => {
      const d = rbac.enforceClaims(
        { sub: 'u', groups: ['my-org:team-a'] },
        'applications',
        'sync',
        'team-a/web',
        opts,
      );
      assert.equal(d.allowed, true);
      assert.equal(d.project, 'team-a');
      assert.equal(d.projectPolicy, 'applied');
      assert.equal(d.rule?.source, 'project team-a');
    });

    it('unquotes a group stored with quotes', () => {
      const claims = { sub: 'u', groups: ['my-org:team, with comma'] };
      assert.equal(
        rbac.enforceClaims(claims, 'applications', 'sync', 'team-a/web', opts).allowed,
        true,
      );
    });

    it('does not grant a role’s policies in another project', () => {
      const claims = { sub: 'u', groups: ['my-org:team-a'] };
      assert.equal(
        rbac.enforceClaims(claims, 'applications', 'sync', 'team-b/web', opts).allowed,
        false,
      );
    });

    it('applies a deny of the role’s policy', () => {
      const claims = { sub: 'u', groups: ['my-org:team-a'] };
      assert.equal(
        rbac.enforceClaims(claims, 'applications', 'sync', 'team-a/prod-web', opts).allowed,
        false,
      );
    });

    it('gives role members get on the project itself', () => {
      const claims = { sub: 'u', groups: ['my-org:team-a'] };
      assert.equal(rbac.enforceClaims(claims, 'projects', 'get', 'team-a', opts).allowed, true);
      assert.equal(rbac.enforceClaims(claims, 'projects', 'update', 'team-a', opts).allowed, false);
      assert.equal(rbac.enforceClaims(claims, 'projects', 'get', 'team-b', opts).allowed, false);
    });

    it('ignores project policies when no project source is given', () => {
      const claims = { sub: 'u', groups: ['my-org:team-a'] };
      assert.equal(rbac.enforceClaims(claims, 'applications', 'sync', 'team-a/web').allowed, false);
    });

    it('lets a global deny override a project grant for the same subject', () => {
      const withDeny = new RbacEnforcer({
        userPolicyCsv: 'p, my-org:team-a, applications, sync, team-a/web, deny',
      });
      const claims = { sub: 'u', groups: ['my-org:team-a'] };
      assert.equal(
        withDeny.enforceClaims(claims, 'applications', 'sync', 'team-a/web', opts).allowed,
        false,
      );
      assert.equal(
        withDeny.enforceClaims(claims, 'applications', 'sync', 'team-a/api', opts).allowed,
        true,
      );
    });

    it('sees a changed project on its next lookup (cache keyed by object and policy text)', () => {
      let current = project('team-c', [{ name: 'r', groups: ['g1'], policies: [] }]);
      const o: EnforceOptions = { projects: (n) => (n === 'team-c' ? current : undefined) };
      const claims = { sub: 'u', groups: ['g1'] };
      assert.equal(rbac.enforceClaims(claims, 'applications', 'get', 'team-c/x', o).allowed, false);
      current = project('team-c', [
        {
          name: 'r',
          groups: ['g1'],
          policies: ['p, proj:team-c:r, applications, get, team-c/*, allow'],
        },
      ]);
      assert.equal(rbac.enforceClaims(claims, 'applications', 'get', 'team-c/x', o).allowed, true);
    });

    it('accepts a project given as name and policy text', () => {
      const o: EnforceOptions = {
        projects: (n) =>
          n === 'team-d'
            ? {
                name: 'team-d',
                policy:
                  'p, proj:team-d:r, applications, get, team-d/*, allow\ng, g1, proj:team-d:r',
              }
            : undefined,
      };
      assert.equal(
        rbac.enforceClaims({ sub: 'u', groups: ['g1'] }, 'applications', 'get', 'team-d/x', o)
          .allowed,
        true,
      );
    });

    it('ignores a lookup result whose name differs from the requested project', () => {
      const o: EnforceOptions = { projects: () => teamA };
      const claims = { sub: 'u', groups: ['my-org:team-a'] };
      assert.equal(
        rbac.enforceClaims(claims, 'applications', 'sync', 'team-x/web', o).allowed,
        false,
      );
    });

    describe('invalid project policy', () => {
      const cases: { name: string; roles: NonNullable<AppProject['spec']['roles']> }[] = [
        {
          name: 'a 5-field role policy',
          roles: [
            { name: 'r', groups: ['g1'], policies: ['p, proj:bad:r, applications, get, bad/*'] },
          ],
        },
        {
          name: 'a role policy for another subject',
          roles: [{ name: 'r', groups: ['g1'], policies: ['p, g1, clusters, delete, *, allow'] }],
        },
        {
          name: 'a role policy that binds roles',
          roles: [{ name: 'r', groups: ['g1'], policies: ['g, g1, role:admin'] }],
        },
        {
          name: 'a policy entry with a line break',
          roles: [
            {
              name: 'r',
              groups: ['g1'],
              policies: ['p, proj:bad:r, applications, get, bad/*, allow\ng, g1, role:admin'],
            },
          ],
        },
        {
          name: 'a group with a line break',
          roles: [{ name: 'r', groups: ['g1\np, g1, clusters, delete, *, allow'] }],
        },
        { name: 'a role name with a colon', roles: [{ name: 'r:x', groups: ['g1'] }] },
      ];
      for (const c of cases) {
        it(`falls back to the global policy and reports ${c.name}`, () => {
          const reported: [string, readonly PolicyProblem[]][] = [];
          const enf = new RbacEnforcer({
            userPolicyCsv: 'p, g1, applications, get, bad/*, allow\ng, g1, role:nothing',
            onProjectPolicyProblems: (p, problems) => reported.push([p, problems]),
          });
          const bad = project('bad', c.roles);
          const o = projectsOf(bad);
          const claims = { sub: 'u', groups: ['g1'] };
          // global grants still apply; nothing from the project does
          assert.equal(enf.enforceClaims(claims, 'applications', 'get', 'bad/x', o).allowed, true);
          const d = enf.enforceClaims(claims, 'clusters', 'delete', 'bad/https://k', o);
          assert.equal(d.allowed, false);
          assert.equal(d.projectPolicy, 'invalid');
          assert.equal(enf.enforceClaims(claims, 'projects', 'get', 'bad', o).allowed, false);
          assert.equal(reported.length, 1);
          assert.equal(reported[0]?.[0], 'bad');
          assert.ok(reported[0][1].some((p) => p.severity === 'error'));
          assert.ok(enf.projectProblems(bad).length > 0);
        });
      }
    });
  });

  describe('project tokens', () => {
    const teamA = project('team-a', [
      { name: 'ci', policies: ['p, proj:team-a:ci, applications, sync, team-a/*, allow'] },
    ]);
    const teamB = project('team-b', [
      { name: 'ci', policies: ['p, proj:team-b:ci, applications, sync, team-b/*, allow'] },
    ]);
    const opts = projectsOf(teamA, teamB);

    it('lets a project token act inside its project', () => {
      const rbac = new RbacEnforcer();
      const d = rbac.enforceClaims(
        { sub: 'proj:team-a:ci' },
        'applications',
        'sync',
        'team-a/web',
        opts,
      );
      assert.equal(d.allowed, true);
      assert.equal(d.reason, 'project-token');
    });

    it('denies a project token on another project’s objects, whatever that project grants', () => {
      const rbac = new RbacEnforcer({ userPolicyCsv: 'g, proj:team-a:ci, proj:team-b:ci' });
      const d = rbac.enforceClaims(
        { sub: 'proj:team-a:ci' },
        'applications',
        'sync',
        'team-b/web',
        opts,
      );
      assert.equal(d.allowed, false);
      assert.equal(d.reason, 'other-project');
      assert.equal(
        rbac.enforceClaims({ sub: 'proj:team-a:ci' }, 'projects', 'get', 'team-b', opts).allowed,
        false,
      );
    });

    it('ignores the groups of a project token', () => {
      const rbac = new RbacEnforcer({ userPolicyCsv: 'g, my-org:admins, role:admin' });
      const claims = { sub: 'proj:team-a:ci', groups: ['my-org:admins'] };
      assert.equal(
        rbac.enforceClaims(claims, 'applications', 'delete', 'team-a/web', opts).allowed,
        false,
      );
    });

    it('still gets the default role, which no project can take away', () => {
      const rbac = new RbacEnforcer({ defaultRole: 'role:readonly' });
      assert.equal(
        rbac.enforceClaims({ sub: 'proj:team-a:ci' }, 'applications', 'get', 'team-b/web', opts)
          .allowed,
        true,
      );
    });

    it('gets get on its own project', () => {
      const rbac = new RbacEnforcer();
      assert.equal(
        rbac.enforceClaims({ sub: 'proj:team-a:ci' }, 'projects', 'get', 'team-a', opts).allowed,
        true,
      );
    });
  });

  describe('match modes', () => {
    it('treats patterns as unanchored regular expressions in regex mode', () => {
      const rbac = new RbacEnforcer({
        matchMode: 'regex',
        userPolicyCsv:
          'p, alice, applications, get, ^team-(a|b)/.*, allow\np, bob, applications, get, web, allow',
      });
      assert.equal(rbac.enforce('alice', 'applications', 'get', 'team-b/web'), true);
      assert.equal(rbac.enforce('alice', 'applications', 'get', 'team-c/web'), false);
      // unanchored: "web" matches any object containing it
      assert.equal(rbac.enforce('bob', 'applications', 'get', 'team-c/webshop'), true);
    });

    it('treats the same pattern literally in glob mode', () => {
      const rbac = new RbacEnforcer({
        userPolicyCsv: 'p, alice, applications, get, ^team-(a|b)/.*, allow',
      });
      assert.equal(rbac.enforce('alice', 'applications', 'get', 'team-b/web'), false);
      assert.equal(rbac.enforce('alice', 'applications', 'get', '^team-(a|b)/.*'), true);
    });

    it('keeps the built-in roles working in regex mode (they are always glob)', () => {
      const rbac = new RbacEnforcer({ matchMode: 'regex' });
      assert.equal(rbac.enforce('admin', 'applications', 'sync', 'a/b'), true);
    });

    it('supports gobwas classes, alternatives and ? in glob mode', () => {
      const rbac = new RbacEnforcer({
        userPolicyCsv: [
          'p, u, applications, "{get,sync}", team-[ab]/*, allow',
          'p, u, logs, get, team-?/*, allow',
          'p, u, clusters, get, [!x]*, allow',
        ].join('\n'),
      });
      assert.equal(rbac.enforce('u', 'applications', 'sync', 'team-b/x'), true);
      assert.equal(rbac.enforce('u', 'applications', 'delete', 'team-b/x'), false);
      assert.equal(rbac.enforce('u', 'applications', 'get', 'team-c/x'), false);
      assert.equal(rbac.enforce('u', 'logs', 'get', 'team-z/x'), true);
      assert.equal(rbac.enforce('u', 'clusters', 'get', 'xcluster'), false);
      assert.equal(rbac.enforce('u', 'clusters', 'get', 'https://k'), true);
    });
  });

  describe('sub-resource actions', () => {
    const policy = [
      'p, role:upd, applications, update, */*, allow',
      'p, role:upd, applications, delete, */*, allow',
      'p, role:pods, applications, delete//Pod/*, */*, allow',
      'p, role:restart, applications, action/apps/Deployment/restart, */*, allow',
      'g, u-upd, role:upd',
      'g, u-pods, role:pods',
      'g, u-restart, role:restart',
    ].join('\n');

    it('does not let update/delete on an app imply its resources (Argo CD 3 default)', () => {
      const rbac = new RbacEnforcer({ userPolicyCsv: policy });
      assert.equal(rbac.enforce('u-upd', 'applications', 'update', 'a/b'), true);
      assert.equal(
        rbac.enforce('u-upd', 'applications', 'update/apps/Deployment/ns/web', 'a/b'),
        false,
      );
      assert.equal(rbac.enforce('u-upd', 'applications', 'delete//Pod/ns/web-1', 'a/b'), false);
    });

    it('restores the inheritance when asked', () => {
      const rbac = new RbacEnforcer({
        userPolicyCsv: policy,
        applicationFineGrainedInheritance: true,
      });
      assert.equal(
        rbac.enforce('u-upd', 'applications', 'update/apps/Deployment/ns/web', 'a/b'),
        true,
      );
      const d = rbac.enforceClaims({ sub: 'u-upd' }, 'applications', 'delete//Pod/ns/web-1', 'a/b');
      assert.equal(d.allowed, true);
      assert.equal(d.action, 'delete//Pod/ns/web-1');
      assert.equal(d.matchedAction, 'delete');
    });

    it('matches fine-grained patterns', () => {
      const rbac = new RbacEnforcer({ userPolicyCsv: policy });
      assert.equal(rbac.enforce('u-pods', 'applications', 'delete//Pod/ns/web-1', 'a/b'), true);
      assert.equal(
        rbac.enforce('u-pods', 'applications', 'delete/apps/Deployment/ns/web', 'a/b'),
        false,
      );
      assert.equal(rbac.enforce('u-pods', 'applications', 'delete', 'a/b'), false);
      assert.equal(
        rbac.enforce('u-restart', 'applications', 'action/apps/Deployment/restart', 'a/b'),
        true,
      );
      assert.equal(
        rbac.enforce('u-restart', 'applications', 'action/apps/Deployment/scale', 'a/b'),
        false,
      );
    });
  });

  describe('rollback', () => {
    const policy = 'p, role:syncer, applications, sync, */*, allow\ng, s, role:syncer';

    it('falls back to sync by default', () => {
      const rbac = new RbacEnforcer({ userPolicyCsv: policy });
      const d = rbac.enforceClaims({ sub: 's' }, 'applications', 'rollback', 'a/b');
      assert.equal(d.allowed, true);
      assert.equal(d.matchedAction, 'sync');
    });

    it('needs rollback itself when enforced', () => {
      const rbac = new RbacEnforcer({ userPolicyCsv: policy, enforceRollback: true });
      assert.equal(
        rbac.enforceClaims({ sub: 's' }, 'applications', 'rollback', 'a/b').allowed,
        false,
      );
      assert.equal(rbac.enforce('admin', 'applications', 'rollback', 'a/b'), true);
    });

    it('does not fall back for other resources', () => {
      const rbac = new RbacEnforcer({ userPolicyCsv: 'p, s, applicationsets, sync, */*, allow' });
      assert.equal(rbac.enforce('s', 'applicationsets', 'rollback', 'a/b'), false);
    });
  });

  describe('policy updates', () => {
    it('throws RbacPolicyError with line numbers from the constructor', () => {
      assert.throws(
        () =>
          new RbacEnforcer({
            userPolicyCsv: 'g, alice, role:admin\np, bob, applications, get, */*',
          }),
        (err: unknown) => {
          assert.ok(err instanceof RbacPolicyError);
          assert.equal(err.code, 'ERR_RBAC_POLICY_INVALID');
          assert.ok(err.problems.some((p) => p.line === 2 && p.severity === 'error'));
          assert.match(err.message, /^failed to load RBAC policy: policy\.csv line 2: /);
          return true;
        },
      );
    });

    it('keeps the last valid policy, default role and scopes when an update fails', () => {
      const rbac = new RbacEnforcer({
        userPolicyCsv: 'g, alice, role:admin',
        defaultRole: 'role:readonly',
        scopes: ['groups'],
      });
      const result = rbac.update({
        userPolicyCsv: [
          { name: 'policy.csv', text: 'g, bob, role:admin' },
          { name: 'policy.extra.csv', text: '# ok\n\np, x, y' },
        ],
        defaultRole: '',
        scopes: ['teams'],
      });
      assert.equal(result.applied, false);
      assert.deepEqual(
        result.problems.filter((p) => p.severity === 'error').map((p) => [p.source, p.line]),
        [['policy.extra.csv', 3]],
      );
      assert.deepEqual(rbac.problems, result.problems);
      assert.equal(rbac.enforce('alice', 'clusters', 'delete', 'x'), true);
      assert.equal(rbac.enforce('bob', 'clusters', 'delete', 'x'), false);
      assert.equal(rbac.defaultRole, 'role:readonly');
      assert.deepEqual(rbac.scopes, ['groups']);
    });

    it('applies a valid update and clears old grants', () => {
      const rbac = new RbacEnforcer({ userPolicyCsv: 'g, alice, role:admin' });
      const result = rbac.update({ userPolicyCsv: 'g, bob, role:admin' });
      assert.equal(result.applied, true);
      assert.equal(rbac.enforce('alice', 'clusters', 'delete', 'x'), false);
      assert.equal(rbac.enforce('bob', 'clusters', 'delete', 'x'), true);
    });

    it('rejects an invalid regular expression in regex mode and keeps the previous policy', () => {
      const rbac = new RbacEnforcer({ userPolicyCsv: 'p, u, applications, get, */*, allow' });
      const result = rbac.update({
        userPolicyCsv: 'p, u, applications, get, */*, allow',
        matchMode: 'regex',
      });
      assert.equal(result.applied, false);
      assert.match(result.problems[0]?.message ?? '', /not a valid regular expression/);
      assert.equal(rbac.enforce('u', 'applications', 'get', 'a/b'), true);
    });

    it('starts deny-by-default with only the built-in policy', () => {
      const rbac = new RbacEnforcer();
      assert.equal(
        rbac.enforceClaims({ sub: 'alice', groups: ['admins'] }, 'applications', 'get', 'a/b')
          .allowed,
        false,
      );
      assert.deepEqual(rbac.problems, []);
    });

    it('warns about a default role that grants nothing', () => {
      const rbac = new RbacEnforcer({ defaultRole: 'role:readonyl' });
      assert.ok(
        rbac.problems.some((p) => p.source === 'policy.default' && p.severity === 'warning'),
      );
    });
  });

  describe('canI', () => {
    const rbac = new RbacEnforcer({ userPolicyCsv: 'g, alice, role:readonly' });

    it('answers yes or no for the caller', () => {
      assert.equal(rbac.canI({ sub: 'alice' }, 'applications', 'get', 'a/b'), 'yes');
      assert.equal(rbac.canI({ sub: 'alice' }, 'applications', 'sync', 'a/b'), 'no');
      assert.equal(rbac.canI({}, 'applications', 'get', 'a/b'), 'no');
    });

    const bad = [
      { name: 'a sub-resource action', res: 'applications', act: 'update/apps/Deployment/ns/web' },
      { name: 'a glob action', res: 'applications', act: '*' },
      { name: 'an unknown resource', res: 'secrets', act: 'get' },
    ];
    for (const c of bad) {
      it(`rejects ${c.name}`, () => {
        assert.throws(
          () => rbac.canI({ sub: 'alice' }, c.res, c.act, 'a/b'),
          (err: unknown) => {
            assert.ok(err instanceof RbacRequestError);
            assert.equal(err.code, 'ERR_RBAC_INVALID_REQUEST');
            return true;
          },
        );
      });
    }
  });

  describe('assertAllowed', () => {
    it('throws Argo CD’s permission denied message', () => {
      const rbac = new RbacEnforcer();
      assert.throws(
        () => rbac.assertAllowed({ sub: 'bob', iat: 1_700_000_000 }, 'applications', 'sync', 'p/a'),
        (err: unknown) => {
          assert.ok(err instanceof RbacDeniedError);
          assert.equal(err.code, 'ERR_RBAC_PERMISSION_DENIED');
          assert.equal(
            err.message,
            'permission denied: applications, sync, p/a, sub: bob, iat: 2023-11-14T22:13:20Z',
          );
          return true;
        },
      );
    });

    it('returns the decision when allowed', () => {
      const rbac = new RbacEnforcer();
      assert.equal(
        rbac.assertAllowed({ sub: 'admin' }, 'applications', 'sync', 'p/a').reason,
        'subject',
      );
    });
  });

  describe('effectiveRoles', () => {
    const rbac = new RbacEnforcer({
      userPolicyCsv:
        'g, ops, role:deployer\ng, role:deployer, role:readonly\ng, carol, role:auditor',
      defaultRole: 'role:viewer',
    });
    const cases = [
      {
        name: 'the default role and the closures of the user and its groups',
        claims: { sub: 'carol', groups: ['ops'] },
        want: ['role:auditor', 'role:deployer', 'role:readonly', 'role:viewer'],
      },
      { name: 'an anonymous caller has the default role only', claims: {}, want: ['role:viewer'] },
      {
        name: 'role: claim values are ignored (they could name role:admin)',
        claims: { sub: 'role:admin', groups: ['role:admin'] },
        want: ['role:viewer'],
      },
      {
        name: 'the local admin holds the built-in admin role',
        claims: { sub: 'admin' },
        want: ['role:admin', 'role:readonly', 'role:viewer'],
      },
    ];
    for (const c of cases) {
      it(c.name, () => {
        assert.deepEqual(rbac.effectiveRoles(c.claims), c.want);
      });
    }
  });
});
