import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { RbacEnforcer, policySourcesFromConfigMap, rbacOptionsFromConfigMaps } from './index.js';

const configMap = parseYaml(
  readFileSync(new URL('./testdata/argocd-rbac-cm.yaml', import.meta.url), 'utf8'),
) as { data: Record<string, string> };

describe('rbacOptionsFromConfigMaps', () => {
  it('turns argocd-rbac-cm into enforcer options that behave as configured', () => {
    const { options, problems } = rbacOptionsFromConfigMaps(configMap.data);
    assert.deepEqual(problems, []);
    assert.equal(options.defaultRole, 'role:readonly');
    assert.deepEqual(options.scopes, ['groups', 'email']);
    const rbac = new RbacEnforcer(options);
    assert.deepEqual(rbac.problems, []);
    const dev = { sub: 'u1', groups: ['my-org:developers'] };
    assert.equal(rbac.enforceClaims(dev, 'applications', 'sync', 'dev/web').allowed, true);
    assert.equal(rbac.enforceClaims(dev, 'applications', 'sync', 'dev/prod-web').allowed, false);
    assert.equal(rbac.enforceClaims(dev, 'applications', 'get', 'dev/prod-web').allowed, true);
    const sec = { sub: 'u2', email: 'security@example.com' };
    assert.equal(rbac.enforceClaims(sec, 'exec', 'create', 'dev/web').allowed, true);
    assert.equal(rbac.enforceClaims(sec, 'exec', 'create', 'prod/web').allowed, false);
    const platform = { sub: 'u3', groups: 'my-org:platform' };
    assert.equal(rbac.enforceClaims(platform, 'clusters', 'delete', 'https://k').allowed, true);
  });

  it('keeps each policy key a separate source, main key first, then the others sorted', () => {
    const sources = policySourcesFromConfigMap({
      'policy.z.csv': 'g, z, role:admin',
      'policy.csv': 'g, m, role:admin',
      'policy.a.csv': 'g, a, role:admin',
      'policy.default': 'role:readonly',
      'policy.csv.bak': 'ignored',
    });
    assert.deepEqual(
      sources.map((s) => s.name),
      ['policy.csv', 'policy.a.csv', 'policy.z.csv'],
    );
  });

  it('names the key and the line of a bad policy line', () => {
    const { options } = rbacOptionsFromConfigMaps({
      'policy.csv': 'g, a, role:admin',
      'policy.team-b.csv': '# team b\np, role:b, applications, sync, b/*',
    });
    const rbac = new RbacEnforcer();
    const result = rbac.update(options);
    assert.equal(result.applied, false);
    assert.equal(result.problems[0]?.source, 'policy.team-b.csv');
    assert.equal(result.problems[0].line, 2);
  });

  it('reports an unreadable match mode or scopes as errors', () => {
    const { problems } = rbacOptionsFromConfigMaps({
      'policy.matchMode': 'regexp',
      scopes: '{a: 1}',
    });
    assert.deepEqual(
      problems.map((p) => [p.source, p.severity]),
      [
        ['policy.matchMode', 'error'],
        ['scopes', 'error'],
      ],
    );
  });

  it('reads the RBAC flags of argocd-cm', () => {
    const defaults = rbacOptionsFromConfigMaps({}, {}).options;
    assert.equal(defaults.applicationFineGrainedInheritance, false);
    assert.equal(defaults.enforceRollback, false);
    const set = rbacOptionsFromConfigMaps(
      {},
      {
        'server.rbac.disableApplicationFineGrainedRBACInheritance': 'false',
        'server.rbac.rollback.enforce.enable': 'true',
      },
    ).options;
    assert.equal(set.applicationFineGrainedInheritance, true);
    assert.equal(set.enforceRollback, true);
    const bad = rbacOptionsFromConfigMaps({}, { 'server.rbac.rollback.enforce.enable': 'yes' });
    assert.equal(bad.problems[0]?.severity, 'error');
    assert.equal(bad.options.enforceRollback, false);
  });

  it('defaults to the built-in policy, no default role and the groups scope', () => {
    const { options, problems } = rbacOptionsFromConfigMaps(undefined);
    assert.deepEqual(problems, []);
    assert.deepEqual(options.userPolicyCsv, []);
    assert.equal(options.defaultRole, '');
    assert.deepEqual(options.scopes, ['groups']);
    assert.equal(options.matchMode, 'glob');
  });
});
