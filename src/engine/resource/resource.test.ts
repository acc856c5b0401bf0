import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeObject } from '../../apis/index.js';
import {
  EngineError,
  appInstanceName,
  applyNamespaceDefaults,
  compareKindOrder,
  describeResource,
  formatResourceKey,
  formatTrackingId,
  getAppInstance,
  getHookDeletePolicies,
  getHookTypes,
  getSyncWave,
  gvkOf,
  hasCompareOption,
  hasSyncOption,
  isHook,
  isSkipped,
  parseManifests,
  parseSyncOptions,
  parseTrackingId,
  resourceKeyOf,
  setAppInstance,
  type ResourceInfoProvider,
} from '../index.js';

const cm = (name: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, ...extra },
});

describe('parseManifests', () => {
  it('parses one JSON object per string, as the repo server sends them', () => {
    const objs = parseManifests([
      JSON.stringify(cm('a')),
      JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'b' } }),
    ]);
    assert.deepEqual(
      objs.map((o) => `${o.kind}/${o.metadata.name ?? ''}`),
      ['ConfigMap/a', 'Deployment/b'],
    );
  });

  it('parses YAML streams, skips empty documents and flattens Lists', () => {
    const objs = parseManifests([
      [
        '---',
        'apiVersion: v1',
        'kind: List',
        'items:',
        '  - {apiVersion: v1, kind: ConfigMap, metadata: {name: a}}',
        '  - {apiVersion: v1, kind: Secret, metadata: {name: b}}',
        '---',
        '# only a comment',
        '---',
        'apiVersion: batch/v1',
        'kind: Job',
        'metadata:',
        '  generateName: migrate-',
      ].join('\n'),
    ]);
    assert.deepEqual(
      objs.map((o) => o.kind),
      ['ConfigMap', 'Secret', 'Job'],
    );
  });

  const bad: { name: string; input: string; message: RegExp }[] = [
    {
      name: 'invalid JSON',
      input: '{"apiVersion": "v1", "kind":',
      message: /manifest 0: it is not valid JSON/,
    },
    { name: 'a scalar', input: '42', message: /manifest 0: it is not an object/ },
    {
      name: 'no apiVersion',
      input: '{"kind":"ConfigMap","metadata":{"name":"a"}}',
      message: /apiVersion is missing/,
    },
    {
      name: 'no kind',
      input: '{"apiVersion":"v1","metadata":{"name":"a"}}',
      message: /kind is missing/,
    },
    {
      name: 'no metadata',
      input: '{"apiVersion":"v1","kind":"ConfigMap"}',
      message: /metadata is missing in ConfigMap/,
    },
    {
      name: 'no name',
      input: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"namespace":"x"}}',
      message: /metadata.name is missing in ConfigMap/,
    },
    {
      name: 'labels that are not strings',
      input: '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","labels":{"x":1}}}',
      message: /metadata.labels of ConfigMap must map strings to strings/,
    },
    {
      name: 'invalid YAML',
      input: 'apiVersion: v1\nkind: [unclosed',
      message: /manifest 0: it is not valid YAML/,
    },
    {
      name: 'duplicate YAML keys',
      input: 'apiVersion: v1\nkind: ConfigMap\nkind: Secret\nmetadata: {name: a}',
      message: /not valid YAML/,
    },
  ];
  for (const c of bad) {
    it(`refuses ${c.name} with ERR_ENGINE_INVALID_MANIFEST`, () => {
      assert.throws(
        () => parseManifests([c.input]),
        (err: unknown) =>
          err instanceof EngineError &&
          err.code === 'ERR_ENGINE_INVALID_MANIFEST' &&
          c.message.test(err.message) &&
          err.message.startsWith('failed to parse '),
      );
    });
  }

  it('names the input and document of the bad object', () => {
    assert.throws(
      () =>
        parseManifests([
          JSON.stringify(cm('ok')),
          'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\nkind: X\n',
        ]),
      /failed to parse manifest 1 document 1: apiVersion is missing/,
    );
  });

  it('never quotes manifest values in errors', () => {
    const secret = 'do-not-print-me-9f8e7d';
    for (const input of [
      `{"apiVersion":"v1","kind":"Secret","stringData":{"password":"${secret}"`,
      `apiVersion: v1\nkind: Secret\nstringData: {password: ${secret}\n`,
      `{"apiVersion":"v1","kind":"Secret","stringData":{"password":"${secret}"}}`,
    ]) {
      assert.throws(
        () => parseManifests([input]),
        (err: unknown) =>
          err instanceof EngineError && !err.message.includes(secret) && err.cause === undefined,
      );
    }
  });

  it('refuses oversized input and alias bombs', () => {
    assert.throws(
      () => parseManifests([JSON.stringify(cm('a'))], { maxBytes: 10 }),
      /larger than 10 bytes/,
    );
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
      'g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]',
    ].join('\n');
    assert.throws(
      () => parseManifests([bomb], { maxAliasCount: 10 }),
      (err: unknown) => err instanceof EngineError,
    );
  });
});

describe('resource keys', () => {
  it('derives keys and GVKs from objects', () => {
    const dep: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'prod' },
    };
    assert.deepEqual(resourceKeyOf(dep), {
      group: 'apps',
      kind: 'Deployment',
      namespace: 'prod',
      name: 'web',
    });
    assert.deepEqual(gvkOf(dep), { group: 'apps', version: 'v1', kind: 'Deployment' });
    assert.equal(formatResourceKey(resourceKeyOf(dep)), 'apps/Deployment/prod/web');
    assert.equal(describeResource(resourceKeyOf(dep)), 'Deployment.apps prod/web');
    assert.equal(describeResource(resourceKeyOf(cm('x'))), 'ConfigMap x');
  });

  it('orders Namespaces and CRDs first and unknown kinds last', () => {
    const kinds = [
      'Widget',
      'Deployment',
      'Service',
      'CustomResourceDefinition',
      'ConfigMap',
      'Namespace',
    ];
    const sorted = [...kinds].sort((a, b) =>
      compareKindOrder({ group: '', kind: a }, { group: '', kind: b }),
    );
    assert.deepEqual(sorted, [
      'Namespace',
      'CustomResourceDefinition',
      'ConfigMap',
      'Service',
      'Deployment',
      'Widget',
    ]);
  });
});

describe('tracking', () => {
  const key = { group: 'apps', kind: 'Deployment', namespace: 'prod', name: 'web' };

  it('formats and parses tracking ids', () => {
    const id = formatTrackingId('guestbook', key);
    assert.equal(id, 'guestbook:apps/Deployment:prod/web');
    assert.deepEqual(parseTrackingId(id), { appName: 'guestbook', ...key });
    assert.deepEqual(parseTrackingId('app:/ConfigMap:/cluster-cm'), {
      appName: 'app',
      group: '',
      kind: 'ConfigMap',
      namespace: '',
      name: 'cluster-cm',
    });
    for (const bad of [
      '',
      'noseparator',
      ':apps/Deployment:prod/web',
      'app:Deployment:prod/web',
      'app:apps/:prod/web',
    ]) {
      assert.equal(parseTrackingId(bad), undefined, bad);
    }
  });

  it('names apps outside the control-plane namespace with their namespace', () => {
    assert.equal(appInstanceName({ name: 'web', namespace: 'argocd' }, 'argocd'), 'web');
    assert.equal(appInstanceName({ name: 'web', namespace: 'team-a' }, 'argocd'), 'team-a_web');
  });

  it('claims objects whose annotation names themselves, and not copies', () => {
    const obj: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'prod' },
    };
    const tracked = setAppInstance(obj, 'guestbook', key);
    assert.equal(obj.metadata.annotations, undefined, 'input untouched');
    assert.equal(getAppInstance(tracked), 'guestbook');
    const copy = { ...tracked, metadata: { ...tracked.metadata, name: 'web-copy' } };
    assert.equal(getAppInstance(copy), undefined);
  });

  it('supports label tracking and both', () => {
    const obj = cm('a', { namespace: 'x' });
    const k = resourceKeyOf(obj);
    const byLabel = setAppInstance(obj, 'guestbook', k, { method: 'label' });
    assert.equal(byLabel.metadata.labels?.['app.kubernetes.io/instance'], 'guestbook');
    assert.equal(byLabel.metadata.annotations, undefined);
    assert.equal(getAppInstance(byLabel, { method: 'label' }), 'guestbook');
    const custom = setAppInstance(obj, 'g', k, { method: 'label', labelKey: 'example.com/app' });
    assert.equal(getAppInstance(custom, { method: 'label', labelKey: 'example.com/app' }), 'g');
    const both = setAppInstance(obj, 'guestbook', k, { method: 'annotation+label' });
    assert.equal(getAppInstance(both, { method: 'annotation+label' }), 'guestbook');
    assert.equal(both.metadata.labels?.['app.kubernetes.io/instance'], 'guestbook');
  });
});

describe('namespace defaulting', () => {
  const info: ResourceInfoProvider = {
    isNamespaced: (group, kind) =>
      kind === 'ClusterRole' || kind === 'Namespace' || kind === 'CustomResourceDefinition'
        ? false
        : group === 'example.com'
          ? undefined
          : true,
  };

  it('puts namespaced objects in the destination namespace and strips cluster-scoped ones', () => {
    const objs: KubeObject[] = [
      cm('a'),
      cm('b', { namespace: 'other' }),
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'r', namespace: 'oops' },
      },
    ];
    const out = applyNamespaceDefaults(objs, 'prod', info);
    assert.deepEqual(
      out.map((o) => o.metadata.namespace),
      ['prod', 'other', undefined],
    );
    assert.equal(objs[0]?.metadata.namespace, undefined, 'input untouched');
  });

  it('uses the scope of a CRD in the same manifests for kinds the cluster does not serve yet', () => {
    const crd: KubeObject = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: { group: 'example.com', names: { kind: 'Widget' }, scope: 'Cluster' },
    };
    const widget: KubeObject = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', namespace: 'x' },
    };
    const gadget: KubeObject = {
      apiVersion: 'example.com/v1',
      kind: 'Gadget',
      metadata: { name: 'g' },
    };
    const out = applyNamespaceDefaults([crd, widget, gadget], 'prod', info);
    assert.equal(out[1]?.metadata.namespace, undefined);
    assert.equal(out[2]?.metadata.namespace, 'prod', 'unknown kinds count as namespaced');
  });
});

describe('sync annotations', () => {
  const withAnn = (annotations: Record<string, string>): KubeObject => cm('x', { annotations });

  it('reads Argo CD hooks, Skip and delete policies', () => {
    const h = withAnn({
      'argocd.argoproj.io/hook': 'PreSync, PostSync',
      'argocd.argoproj.io/hook-delete-policy': 'HookSucceeded,BeforeHookCreation',
    });
    assert.equal(isHook(h), true);
    assert.deepEqual(getHookTypes(h), ['PreSync', 'PostSync']);
    assert.deepEqual(getHookDeletePolicies(h), ['HookSucceeded', 'BeforeHookCreation']);
    const skip = withAnn({ 'argocd.argoproj.io/hook': 'Skip' });
    assert.equal(isHook(skip), false);
    assert.equal(isSkipped(skip), true);
    assert.deepEqual(getHookDeletePolicies(cm('y')), ['BeforeHookCreation']);
    assert.equal(isHook(cm('plain')), false);
  });

  it('maps Helm hooks, delete policies and weights', () => {
    const h = withAnn({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-delete-policy': 'hook-succeeded',
      'helm.sh/hook-weight': '-5',
    });
    assert.equal(isHook(h), true);
    assert.deepEqual(getHookTypes(h), ['PreSync']);
    assert.deepEqual(getHookDeletePolicies(h), ['HookSucceeded']);
    assert.equal(getSyncWave(h), -5);
    const test = withAnn({ 'helm.sh/hook': 'test' });
    assert.equal(isHook(test), true, 'unsupported Helm hooks are hooks that never run');
    assert.deepEqual(getHookTypes(test), []);
    const both = withAnn({ 'argocd.argoproj.io/hook': 'Sync', 'helm.sh/hook': 'post-install' });
    assert.deepEqual(getHookTypes(both), ['Sync'], "Argo CD's annotation wins");
  });

  it('reads waves, defaulting bad values to 0', () => {
    assert.equal(getSyncWave(withAnn({ 'argocd.argoproj.io/sync-wave': '3' })), 3);
    assert.equal(getSyncWave(withAnn({ 'argocd.argoproj.io/sync-wave': '-2' })), -2);
    assert.equal(getSyncWave(withAnn({ 'argocd.argoproj.io/sync-wave': 'two' })), 0);
    assert.equal(
      getSyncWave(withAnn({ 'helm.sh/hook-weight': '4' })),
      0,
      'weights count for hooks only',
    );
  });

  it('parses sync and compare options', () => {
    const opts = parseSyncOptions(['CreateNamespace=true', 'Prune=false', 'Prune=true']);
    assert.equal(opts.get('CreateNamespace'), 'true');
    assert.equal(opts.get('Prune'), 'true');
    const o = withAnn({
      'argocd.argoproj.io/sync-options': 'Prune=false, Replace=true',
      'argocd.argoproj.io/compare-options': 'IgnoreExtraneous',
    });
    assert.equal(hasSyncOption(o, 'Prune=false'), true);
    assert.equal(hasSyncOption(o, 'Replace=true'), true);
    assert.equal(hasSyncOption(o, 'Delete=false'), false);
    assert.equal(hasCompareOption(o, 'IgnoreExtraneous'), true);
  });
});
