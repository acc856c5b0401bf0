import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRepoServerError } from '../errors.js';
import { escapeSetValue, helmTemplateArgs } from './helm.js';

describe('escapeSetValue', () => {
  it('escapes commas except in {list} values', () => {
    assert.equal(escapeSetValue('a,b'), 'a\\,b');
    assert.equal(escapeSetValue('{a,b}'), '{a,b}');
    assert.equal(escapeSetValue('plain'), 'plain');
  });
});

describe('helmTemplateArgs', () => {
  it('builds the helm template arguments in Argo CD order', () => {
    const args = helmTemplateArgs({
      chartDir: '/c/chart',
      releaseName: 'guestbook',
      namespace: 'prod',
      kubeVersion: '1.29.0',
      apiVersions: ['monitoring.coreos.com/v1'],
      valueFiles: ['/c/chart/values-prod.yaml', 'https://example.test/v.yaml'],
      parameters: [
        { name: 'image.tag', value: 'v1,v2' },
        { name: 'port', value: '80', forceString: true },
      ],
      fileParameters: [{ name: 'cfg', path: '/c/chart/cfg.txt' }],
      skipTests: true,
    });
    assert.deepEqual(args, [
      '/c/chart',
      '--name-template',
      'guestbook',
      '--namespace',
      'prod',
      '--kube-version',
      '1.29.0',
      '--api-versions',
      'monitoring.coreos.com/v1',
      '--values',
      '/c/chart/values-prod.yaml',
      '--values',
      'https://example.test/v.yaml',
      '--set',
      'image.tag=v1\\,v2',
      '--set-string',
      'port=80',
      '--set-file',
      'cfg=/c/chart/cfg.txt',
      '--include-crds',
      '--skip-tests',
    ]);
  });

  it('leaves out --include-crds with skipCrds', () => {
    const args = helmTemplateArgs({
      chartDir: '.',
      releaseName: 'r',
      namespace: '',
      valueFiles: [],
      parameters: [],
      fileParameters: [],
      skipCrds: true,
    });
    assert.deepEqual(args, ['.', '--name-template', 'r']);
  });

  it("leaves the release name to helm's default when there is none", () => {
    const args = helmTemplateArgs({
      chartDir: '.',
      releaseName: '',
      namespace: '',
      valueFiles: [],
      parameters: [],
      fileParameters: [],
    });
    assert.deepEqual(args, ['.', '--include-crds']);
  });

  it('refuses option-like release names and parameter names', () => {
    const base = { chartDir: '.', namespace: '', valueFiles: [], fileParameters: [] };
    assert.throws(
      () => helmTemplateArgs({ ...base, releaseName: '--post-renderer=x', parameters: [] }),
      (e: unknown) => isRepoServerError(e, 'ERR_INVALID_REQUEST'),
    );
    assert.throws(
      () =>
        helmTemplateArgs({ ...base, releaseName: 'r', parameters: [{ name: '-x', value: '1' }] }),
      (e: unknown) => isRepoServerError(e, 'ERR_INVALID_REQUEST'),
    );
  });
});
