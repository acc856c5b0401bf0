import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AppProjectSchema, validate, type AppProject } from '../apis/index.js';
import {
  AuthError,
  projectRoleTokens,
  projectTokenLookupFrom,
  withProjectRoleToken,
  withoutProjectRoleToken,
} from './index.js';

function project(): AppProject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'AppProject',
    metadata: { name: 'team-a', namespace: 'argocd' },
    spec: {
      roles: [
        {
          name: 'deployer',
          policies: ['p, proj:team-a:deployer, applications, sync, team-a/*, allow'],
        },
        { name: 'viewer', jwtTokens: [{ iat: 100 }] },
      ],
    },
  };
}

describe('project role tokens', () => {
  it('records a token in the status and the legacy spec list, keeping both in step', () => {
    const p = withProjectRoleToken(project(), 'deployer', { iat: 200, exp: 300, id: 'abc' });
    validate(AppProjectSchema, p, 'AppProject');
    assert.deepEqual(p.status?.jwtTokensByRole?.deployer?.items, [
      { iat: 200, exp: 300, id: 'abc' },
    ]);
    assert.deepEqual(p.spec.roles?.[0]?.jwtTokens, [{ iat: 200, exp: 300, id: 'abc' }]);
    assert.deepEqual(projectRoleTokens(p, 'deployer')?.tokens, [{ iat: 200, exp: 300, id: 'abc' }]);
  });

  it('normalises legacy entries without id (id := iat) when writing', () => {
    const p = withProjectRoleToken(project(), 'viewer', { iat: 200, id: 'new' });
    assert.deepEqual(p.status?.jwtTokensByRole?.viewer?.items, [
      { iat: 100, id: '100' },
      { iat: 200, id: 'new' },
    ]);
  });

  it('reads the legacy spec list while the status has no entry for the role', () => {
    assert.deepEqual(projectRoleTokens(project(), 'viewer')?.tokens, [{ iat: 100 }]);
    assert.equal(projectRoleTokens(project(), 'nope'), undefined);
  });

  it('deletes a token from both places by id, or by iat for old tokens', () => {
    let p = withProjectRoleToken(project(), 'deployer', { iat: 200, id: 'abc' });
    p = withProjectRoleToken(p, 'deployer', { iat: 201, id: 'def' });
    const byId = withoutProjectRoleToken(p, 'deployer', { id: 'abc' });
    assert.equal(byId.removed, true);
    assert.deepEqual(
      projectRoleTokens(byId.project, 'deployer')?.tokens.map((t) => t.id),
      ['def'],
    );
    assert.deepEqual(
      byId.project.spec.roles?.[0]?.jwtTokens?.map((t) => t.id),
      ['def'],
    );
    const byIat = withoutProjectRoleToken(project(), 'viewer', { iat: 100 });
    assert.equal(byIat.removed, true);
    assert.deepEqual(byIat.project.spec.roles?.[1]?.jwtTokens, []);
    assert.equal(withoutProjectRoleToken(p, 'deployer', { id: 'zzz' }).removed, false);
  });

  it('refuses unknown roles, taken ids and deletes that name nothing', () => {
    const is = (code: string) => (err: unknown) => err instanceof AuthError && err.code === code;
    assert.throws(
      () => withProjectRoleToken(project(), 'ghost', { iat: 1, id: 'x' }),
      is('ERR_AUTH_INVALID_ARGUMENT'),
    );
    const p = withProjectRoleToken(project(), 'deployer', { iat: 1, id: 'x' });
    assert.throws(
      () => withProjectRoleToken(p, 'deployer', { iat: 2, id: 'x' }),
      is('ERR_AUTH_TOKEN_EXISTS'),
    );
    assert.throws(
      () => withoutProjectRoleToken(p, 'deployer', {}),
      is('ERR_AUTH_INVALID_ARGUMENT'),
    );
  });

  it('looks tokens up through sync and async project sources', async () => {
    const p = withProjectRoleToken(project(), 'deployer', { iat: 1, id: 'x' });
    const sync = projectTokenLookupFrom((name) => (name === 'team-a' ? p : undefined));
    assert.equal(
      (sync.getRoleTokens('team-a', 'deployer') as { tokens: unknown[] }).tokens.length,
      1,
    );
    assert.equal(sync.getRoleTokens('team-b', 'deployer'), undefined);
    const asyncLookup = projectTokenLookupFrom((name) =>
      Promise.resolve(name === 'team-a' ? p : undefined),
    );
    assert.equal((await asyncLookup.getRoleTokens('team-a', 'deployer'))?.tokens.length, 1);
    assert.equal(await asyncLookup.getRoleTokens('team-a', 'ghost'), undefined);
  });
});
