import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { KubeObject, ResourceIgnoreDifferences } from '../../apis/index.js';
import {
  EngineError,
  compileIgnoreDifferences,
  diffResource,
  formatDiffText,
  hideSecretData,
  hideSecretDataOf,
  parseManifests,
  toResourceDiffWire,
  type DiffOptions,
} from '../index.js';
import { edited, getPath } from '../testing.js';

function fixture(file: string): KubeObject {
  const text = readFileSync(new URL(`testdata/${file}`, import.meta.url), 'utf8');
  const [obj] = parseManifests([text]);
  assert.ok(obj);
  return obj;
}

const desired = fixture('deployment-desired.yaml');
const live = fixture('deployment-live.yaml');

interface Case {
  readonly name: string;
  readonly desired: KubeObject;
  readonly live: KubeObject;
  readonly options?: DiffOptions;
  readonly modified: boolean;
  /** expected difference paths (op:path), when modified */
  readonly paths?: readonly string[];
}

const ignore = (rules: ResourceIgnoreDifferences[]): DiffOptions => ({
  ignoreDifferences: compileIgnoreDifferences(rules),
});

const cases: Case[] = [
  {
    name: 'in sync despite server defaults, status, reordered containers, quantities and empty fields',
    desired,
    live,
    modified: false,
  },
  {
    name: 'a changed image is a replace at the live index of the container',
    desired: edited(desired, (e) =>
      e.set('spec.template.spec.containers.0.image', 'gcr.io/heptio-images/ks-guestbook-demo:0.3'),
    ),
    live,
    modified: true,
    paths: ['replace:/spec/template/spec/containers/1/image'],
  },
  {
    name: 'a changed quantity is a difference',
    desired: edited(desired, (e) =>
      e.set('spec.template.spec.containers.0.resources.limits.memory', '2Gi'),
    ),
    live,
    modified: true,
    paths: ['replace:/spec/template/spec/containers/1/resources/limits/memory'],
  },
  {
    name: 'a new env var is an add',
    desired: edited(desired, (e) =>
      e.push('spec.template.spec.containers.0.env', { name: 'DEBUG', value: '1' }),
    ),
    live,
    modified: true,
    paths: ['add:/spec/template/spec/containers/1/env/-'],
  },
  {
    name: 'a field our manager applied and desired dropped is a remove',
    desired: edited(desired, (e) => e.del('spec.revisionHistoryLimit')),
    live,
    modified: true,
    paths: ['remove:/spec/revisionHistoryLimit'],
  },
  {
    name: 'a container our manager applied and desired dropped is a remove of that element',
    desired: edited(desired, (e) => e.pop('spec.template.spec.containers')),
    live,
    modified: true,
    paths: ['remove:/spec/template/spec/containers/0'],
  },
  {
    name: 'a field another manager owns does not count when desired lacks it',
    desired: edited(desired, (e) => e.set('metadata.annotations', {})),
    live,
    modified: false,
  },
  {
    name: 'int-or-string: a numeric string equals the number',
    desired: edited(desired, (e) =>
      e
        .set('spec.strategy', { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } })
        .set('spec.template.spec.containers.0.ports.0.containerPort', '80'),
    ),
    live,
    modified: false,
  },
  {
    name: 'jsonPointers ignore a live change',
    desired,
    live: edited(live, (e) => e.set('spec.replicas', 5)),
    options: ignore([{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }]),
    modified: false,
  },
  {
    name: 'a rule for another group does not apply',
    desired,
    live: edited(live, (e) => e.set('spec.replicas', 5)),
    options: ignore([{ kind: 'Deployment', jsonPointers: ['/spec/replicas'] }]),
    modified: true,
    paths: ['replace:/spec/replicas'],
  },
  {
    name: 'jqPathExpressions ignore a selected container field',
    desired,
    live: edited(live, (e) =>
      e.set('spec.template.spec.containers.0.image', 'prom/statsd-exporter:v0.27.0'),
    ),
    options: ignore([
      {
        group: 'apps',
        kind: 'Deployment',
        jqPathExpressions: [
          '.spec.template.spec.containers[] | select(.name == "metrics") | .image',
        ],
      },
    ]),
    modified: false,
  },
  {
    name: 'an ignored field dropped from desired is not a remove',
    desired: edited(desired, (e) => e.del('spec.replicas')),
    live,
    options: ignore([{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }]),
    modified: false,
  },
  {
    name: 'managedFieldsManagers ignore the fields another manager owns',
    desired,
    live: edited(live, (e) =>
      e.set('spec.replicas', 7).push('metadata.managedFields', {
        manager: 'hpa-controller',
        operation: 'Update',
        apiVersion: 'apps/v1',
        fieldsType: 'FieldsV1',
        fieldsV1: { 'f:spec': { 'f:replicas': {} } },
      }),
    ),
    options: ignore([
      { group: 'apps', kind: 'Deployment', managedFieldsManagers: ['hpa-controller'] },
    ]),
    modified: false,
  },
  {
    name: 'status in desired is not compared by default',
    desired: edited(desired, (e) => e.set('status', { replicas: 9 })),
    live,
    modified: false,
  },
  {
    name: 'status is compared with ignoreResourceStatusField none',
    desired: edited(desired, (e) => e.set('status', { replicas: 9 })),
    live,
    options: { ignoreResourceStatusField: 'none' },
    modified: true,
    paths: ['replace:/status/replicas'],
  },
];

describe('diffResource', () => {
  for (const c of cases) {
    it(c.name, () => {
      const d = diffResource(c.desired, c.live, c.options);
      assert.equal(d.modified, c.modified, JSON.stringify(d.differences));
      if (c.paths) {
        assert.deepEqual(
          d.differences.map((x) => `${x.op}:${x.path}`),
          c.paths,
        );
      } else {
        assert.deepEqual(d.differences, []);
      }
    });
  }

  it('normalises live and predicts the result of the apply', () => {
    const changed = edited(desired, (e) =>
      e.set('spec.replicas', 3).del('spec.revisionHistoryLimit'),
    );
    const d = diffResource(changed, live);
    assert.ok(d.normalizedLive && d.predictedLive);
    const nl = d.normalizedLive;
    assert.equal(getPath(nl, 'status'), undefined);
    assert.equal(getPath(nl, 'metadata.managedFields'), undefined);
    assert.equal(getPath(nl, 'metadata.resourceVersion'), undefined);
    assert.equal(getPath(nl, 'metadata.uid'), undefined);
    const pl = d.predictedLive;
    assert.equal(getPath(pl, 'spec.replicas'), 3);
    assert.equal(getPath(pl, 'spec.revisionHistoryLimit'), undefined);
    // defaults the server added stay in the prediction
    assert.equal(getPath(pl, 'spec.progressDeadlineSeconds'), 600);
    assert.equal(getPath(pl, 'spec.template.spec.containers.1.imagePullPolicy'), 'IfNotPresent');
    // the live quantity is kept where desired means the same
    assert.equal(getPath(pl, 'spec.template.spec.containers.1.resources.limits.cpu'), '1');
  });

  it('is not modified when either side is missing', () => {
    const missing = diffResource(desired, undefined);
    assert.equal(missing.modified, false);
    assert.equal(missing.live, undefined);
    assert.ok(missing.predictedLive);
    const extraneous = diffResource(undefined, live);
    assert.equal(extraneous.modified, false);
    assert.equal(extraneous.predictedLive, undefined);
    assert.ok(extraneous.normalizedLive);
  });

  it('does not modify its inputs', () => {
    const before = JSON.stringify([desired, live]);
    diffResource(
      edited(desired, (e) => e.set('spec.replicas', 4)),
      live,
    );
    diffResource(desired, live);
    assert.equal(JSON.stringify([desired, live]), before);
  });

  it('ignores rules of aggregated ClusterRoles', () => {
    const role = (rules: unknown[]): KubeObject => ({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'monitoring' },
      aggregationRule: {
        clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/aggregate': 'true' } }],
      },
      rules,
    });
    const d = diffResource(
      role([]),
      role([{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }]),
    );
    assert.equal(d.modified, false);
  });
});

describe('Secrets in diffs', () => {
  const secretDesired = fixture('secret-desired.yaml');
  const secretLive = fixture('secret-live.yaml');
  const values = [
    'hunter2-NEW-s3cr3t',
    'hunter2-OLD-s3cr3t',
    Buffer.from('hunter2-NEW-s3cr3t').toString('base64'),
    'aHVudGVyMi1PTEQtczNjcjN0',
    'YWRtaW4=',
  ];

  function assertNoValues(text: string, what: string): void {
    for (const v of values) assert.ok(!text.includes(v), `${what} contains a secret value`);
  }

  it('shows a changed secret as changed without any value', () => {
    const d = diffResource(secretDesired, secretLive);
    assert.equal(d.modified, true);
    assert.deepEqual(
      d.differences.map((x) => `${x.op}:${x.path}`),
      ['replace:/data/password'],
    );
    const [diff] = d.differences;
    assert.ok(diff);
    assert.match(String(diff.live), /^\++$/);
    assert.match(String(diff.desired), /^\++$/);
    assert.notEqual(diff.live, diff.desired);
    assertNoValues(JSON.stringify(d), 'ResourceDiff');
    assertNoValues(formatDiffText([d]), 'text diff');
    assertNoValues(JSON.stringify(toResourceDiffWire(d)), 'wire diff');
  });

  it('masks the last-applied annotation', () => {
    const d = diffResource(secretDesired, secretLive);
    const la = d.live?.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'];
    assert.ok(la);
    const parsed = JSON.parse(la) as { data: Record<string, string>; stringData?: unknown };
    assert.equal(parsed.stringData, undefined);
    assert.match(parsed.data.password ?? '', /^\++$/);
    assertNoValues(la, 'last-applied annotation');
  });

  it('replaces an unparsable last-applied annotation by a mask', () => {
    const broken = edited(secretLive, (e) =>
      // truncated JSON
      e.set(
        ['metadata', 'annotations', 'kubectl.kubernetes.io/last-applied-configuration'],
        '{"stringData":{"password":"hunter2-OLD-s3cr3t"',
      ),
    );
    const { live: masked } = hideSecretData(undefined, broken);
    assert.equal(
      masked?.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'],
      '++++++++',
    );
  });

  it('treats stringData and the same data as in sync', () => {
    const same = edited(secretDesired, (e) => e.set('stringData.password', 'hunter2-OLD-s3cr3t'));
    const d = diffResource(same, secretLive);
    assert.equal(d.modified, false);
    assertNoValues(JSON.stringify(d), 'ResourceDiff');
  });

  it('gives equal values equal masks and distinct values longer masks', () => {
    const { target, live: l } = hideSecretData(secretDesired, secretLive);
    assert.equal(getPath(target, 'data.username'), '++++++++');
    assert.equal(getPath(l, 'data.username'), '++++++++');
    assert.equal(getPath(target, 'data.password'), '++++++++');
    assert.equal(getPath(l, 'data.password'), '++++++++++++');
    assert.equal(getPath(target, 'stringData'), undefined);
    // inputs untouched
    assert.equal(getPath(secretDesired, 'stringData.password'), 'hunter2-NEW-s3cr3t');
  });

  it('masks sensitive annotations on any kind', () => {
    const cm = (token: string): KubeObject => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'd', annotations: { 'example.com/token': token } },
    });
    const d = diffResource(cm('tok-A-very-secret'), cm('tok-B-very-secret'), {
      sensitiveAnnotations: ['example.com/token'],
    });
    assert.equal(d.modified, true);
    assert.ok(!JSON.stringify(d).includes('very-secret'));
    assert.ok(!formatDiffText([d]).includes('very-secret'));
  });

  it('masks a single live Secret for the resource API', () => {
    const masked = hideSecretDataOf(secretLive);
    assertNoValues(JSON.stringify(masked), 'masked live Secret');
    assert.equal(getPath(masked, 'data.password'), '++++++++');
  });

  it('passes non-secret objects through unchanged', () => {
    const r = hideSecretData(desired, live);
    assert.equal(r.target, desired);
    assert.equal(r.live, live);
  });
});

describe('compileIgnoreDifferences', () => {
  const supported = [
    '.spec.replicas',
    '.metadata.annotations."example.com/x"',
    '.metadata.annotations["example.com/x"]',
    '.spec.template.spec.initContainers[] | select(.name == "injected")',
    '.spec.rules[] | select(.host == "a.example.com" or .host == "b.example.com") | .http',
    '.webhooks[]?.clientConfig.caBundle',
    '.spec.containers[0].env[] | select(.name | startswith("OTEL_"))',
    '.spec.x[] | select(has("y") and .z != null)',
  ];
  for (const e of supported) {
    it(`accepts ${e}`, () => {
      compileIgnoreDifferences([{ kind: 'Deployment', jqPathExpressions: [e] }]);
    });
  }

  const unsupported = [
    ['recursion', '.. | .image?'],
    ['functions', '.spec | to_entries'],
    ['variables', '.spec as $s | $s'],
    ['arithmetic', '.spec.replicas + 1'],
    ['regexes', '.spec.containers[] | select(.name | test("a.*"))'],
    ['del wrappers', 'del(.spec.replicas)'],
    ['unterminated strings', '.metadata.annotations."x'],
  ] as const;
  for (const [what, e] of unsupported) {
    it(`refuses ${what} naming the expression`, () => {
      assert.throws(
        () => compileIgnoreDifferences([{ kind: 'Deployment', jqPathExpressions: [e] }]),
        (err: unknown) =>
          err instanceof EngineError &&
          err.code === 'ERR_ENGINE_UNSUPPORTED_JQ' &&
          err.message.includes(JSON.stringify(e)),
      );
    });
  }

  it('refuses a JSON pointer without a leading slash', () => {
    assert.throws(
      () => compileIgnoreDifferences([{ kind: 'Deployment', jsonPointers: ['spec/replicas'] }]),
      (err: unknown) => err instanceof EngineError && err.code === 'ERR_ENGINE_INVALID_IGNORE_RULE',
    );
  });

  it('evaluates select with several matches and deletes from the end', () => {
    const obj: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: {
        containers: [
          { name: 'a', image: 'x' },
          { name: 'istio-proxy', image: 'y' },
          { name: 'b', image: 'z' },
          { name: 'istio-proxy', image: 'w' },
        ],
      },
    };
    const d = diffResource(
      obj,
      edited(obj, (e) =>
        e.set('spec.containers.1.image', 'changed').set('spec.containers.3.image', 'changed'),
      ),
      ignore([
        { kind: 'Pod', jqPathExpressions: ['.spec.containers[] | select(.name == "istio-proxy")'] },
      ]),
    );
    assert.equal(d.modified, false);
  });
});

describe('formatDiffText', () => {
  it('prints a header and a unified diff per modified resource', () => {
    const d = diffResource(
      edited(desired, (e) => e.set('spec.replicas', 3)),
      live,
    );
    const text = formatDiffText([d, diffResource(desired, live)]);
    const lines = text.split('\n');
    assert.equal(lines[0], '===== apps/Deployment default/guestbook-ui ======');
    assert.equal(lines[1], '--- live');
    assert.equal(lines[2], '+++ desired');
    assert.match(lines[3] ?? '', /^@@ -\d+,\d+ \+\d+,\d+ @@$/);
    assert.ok(lines.includes('-  replicas: 2'));
    assert.ok(lines.includes('+  replicas: 3'));
    assert.equal(
      lines.filter((l) => l.startsWith('=====')).length,
      1,
      'unmodified resources are left out',
    );
  });

  it('shows a missing resource as all added', () => {
    const text = formatDiffText([diffResource(desired, undefined)]);
    assert.ok(text.includes('+kind: Deployment'));
    assert.ok(!text.split('\n').some((l) => l.startsWith('-') && !l.startsWith('---')));
  });
});
