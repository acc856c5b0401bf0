import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  applicationObject,
  isRbacBaseAction,
  isRbacResource,
  parseProjectRoleSubject,
  projectOfRequest,
  rbacActionList,
  rbacResourceList,
  resourceActionAction,
  subResourceAction,
} from './index.js';

describe('rbac vocabulary', () => {
  it('lists Argo CD’s resources and base actions', () => {
    assert.deepEqual(rbacResourceList, [
      'clusters',
      'projects',
      'applications',
      'applicationsets',
      'repositories',
      'write-repositories',
      'certificates',
      'accounts',
      'gpgkeys',
      'logs',
      'exec',
      'extensions',
    ]);
    assert.deepEqual(rbacActionList, [
      'get',
      'create',
      'update',
      'delete',
      'sync',
      'rollback',
      'override',
      'action',
      'invoke',
    ]);
    assert.equal(isRbacResource('secrets'), false);
    assert.equal(isRbacBaseAction('update/apps/Deployment/ns/x'), false);
  });

  it('builds sub-resource actions and objects', () => {
    assert.equal(
      subResourceAction('update', {
        group: 'apps',
        kind: 'Deployment',
        namespace: 'ns',
        name: 'web',
      }),
      'update/apps/Deployment/ns/web',
    );
    assert.equal(resourceActionAction('', 'Pod', 'restart'), 'action//Pod/restart');
    assert.equal(applicationObject('p', 'web'), 'p/web');
    assert.equal(applicationObject('p', 'web', 'argocd', 'argocd'), 'p/web');
    assert.equal(applicationObject('p', 'web', 'apps', 'argocd'), 'p/apps/web');
  });

  it('finds the project a request names', () => {
    assert.equal(projectOfRequest('applications', 'p/ns/web'), 'p');
    assert.equal(projectOfRequest('logs', 'p/web'), 'p');
    assert.equal(projectOfRequest('projects', 'p'), 'p');
    assert.equal(projectOfRequest('applications', 'web'), undefined);
    assert.equal(projectOfRequest('certificates', 'p/x'), undefined);
    assert.equal(projectOfRequest('extensions', 'metrics'), undefined);
  });

  it('parses project role subjects', () => {
    assert.deepEqual(parseProjectRoleSubject('proj:p:r'), { project: 'p', role: 'r' });
    assert.equal(parseProjectRoleSubject('proj:p'), undefined);
    assert.equal(parseProjectRoleSubject('proj:p:r:x'), undefined);
    assert.equal(parseProjectRoleSubject('role:admin'), undefined);
  });
});
