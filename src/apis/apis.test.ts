import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ApplicationSchema,
  AppProjectSchema,
  ValidationError,
  buildCrds,
  clusterFromSecret,
  getSources,
  parseArgoCdConfigMap,
  parseArgoCdSecret,
  parseRbacConfigMap,
  pointerToPath,
  repositoryFromSecret,
  repositoryToSecretData,
  sanitizeCluster,
  sanitizeRepository,
  toStructural,
  tryValidate,
  validate,
  encodeSecretData,
} from './index.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

type Spec = { spec: Record<string, unknown> };

describe('validate', () => {
  const good = {
    metadata: { name: 'guestbook', namespace: 'argocd' },
    spec: {
      project: 'default',
      source: { repoURL: 'https://example.com/repo.git', path: 'guestbook' },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'guestbook' },
    },
  };

  it('narrows a valid Application', () => {
    const app = validate(ApplicationSchema, good, 'Application');
    assert.equal(app.spec.project, 'default');
  });

  const bad = [
    {
      name: 'missing project',
      patch: (o: Spec) => {
        delete o.spec.project;
      },
      field: 'spec.project',
    },
    {
      name: 'wrong type deep in a list',
      patch: (o: Spec) => {
        o.spec.sources = [{ repoURL: 7 }];
      },
      field: 'spec.sources[0].repoURL',
    },
    {
      name: 'destination not an object',
      patch: (o: Spec) => {
        o.spec.destination = 'in-cluster';
      },
      field: 'spec.destination',
    },
    {
      name: 'revisionHistoryLimit not an integer',
      patch: (o: Spec) => {
        o.spec.revisionHistoryLimit = 1.5;
      },
      field: 'spec.revisionHistoryLimit',
    },
  ];
  for (const c of bad) {
    it(`rejects ${c.name}, naming ${c.field}`, () => {
      const obj = structuredClone(good) as unknown as Spec;
      c.patch(obj);
      assert.throws(
        () => validate(ApplicationSchema, obj, 'Application'),
        (err: unknown) => {
          assert.ok(err instanceof ValidationError);
          assert.equal(err.code, 'ERR_INVALID_OBJECT');
          assert.ok(
            err.fields.some((f) => f.field === c.field),
            `fields: ${JSON.stringify(err.fields)}`,
          );
          assert.match(err.message, new RegExp(c.field.replace(/[[\].]/g, '\\$&')));
          return true;
        },
      );
    });
  }

  it('returns a result instead of throwing with tryValidate', () => {
    const r = tryValidate(AppProjectSchema, { metadata: {}, spec: { roles: [{}] } });
    if (r.ok) assert.fail('expected a validation failure');
    assert.ok(r.errors.some((e) => e.field === 'spec.roles[0].name'));
  });

  it('turns JSON pointers into dotted paths', () => {
    assert.equal(pointerToPath('/spec/sources/0/repoURL'), 'spec.sources[0].repoURL');
    assert.equal(pointerToPath('/metadata/annotations/a~1b'), 'metadata.annotations.a/b');
    assert.equal(pointerToPath(''), '');
  });

  it('lists sources whether single or multi', () => {
    assert.deepEqual(
      getSources({ source: { repoURL: 'a' } }).map((s) => s.repoURL),
      ['a'],
    );
    assert.deepEqual(
      getSources({ source: { repoURL: 'a' }, sources: [{ repoURL: 'b' }] }).map((s) => s.repoURL),
      ['b'],
    );
    assert.deepEqual(getSources({}), []);
  });
});

describe('parseArgoCdConfigMap', () => {
  it('applies Argo CD defaults to an empty ConfigMap', () => {
    const { settings, problems } = parseArgoCdConfigMap({});
    assert.deepEqual(problems, []);
    assert.equal(settings.sessionDurationMs, 86_400_000);
    assert.equal(settings.reconciliationTimeoutMs, 120_000);
    assert.equal(settings.reconciliationJitterMs, 60_000);
    assert.equal(settings.passwordPattern, '^.{8,32}$');
    assert.equal(settings.webhookMaxPayloadSizeMB, 50);
    assert.deepEqual(settings.helmValuesFileSchemes, ['https', 'http']);
    assert.equal(settings.adminEnabled, true);
    assert.equal(settings.anonymousEnabled, false);
  });

  it('reads accounts with capabilities and enabled flags', () => {
    const { settings, problems } = parseArgoCdConfigMap({
      'accounts.ci': 'apiKey',
      'accounts.alice': 'apiKey, login',
      'accounts.alice.enabled': 'false',
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(settings.accounts, [
      { name: 'alice', capabilities: ['apiKey', 'login'], enabled: false },
      { name: 'ci', capabilities: ['apiKey'], enabled: true },
    ]);
  });

  it('reports bad values by key and keeps the defaults', () => {
    const { settings, problems } = parseArgoCdConfigMap({
      'users.session.duration': 'a day',
      'timeout.reconciliation': '-5s',
      'users.anonymous.enabled': 'yes please',
      'webhook.maxPayloadSizeMB': '0',
      'resource.exclusions': '- apiGroups: [x]\n  kinds: [y',
      'accounts.bob': 'apiKey, superuser',
    });
    assert.equal(settings.sessionDurationMs, 86_400_000);
    assert.equal(settings.reconciliationTimeoutMs, 120_000);
    assert.equal(settings.anonymousEnabled, false);
    assert.equal(settings.webhookMaxPayloadSizeMB, 50);
    const keys = problems.map((p) => p.key).sort();
    assert.deepEqual(keys, [
      'accounts.bob',
      'resource.exclusions',
      'timeout.reconciliation',
      'users.anonymous.enabled',
      'users.session.duration',
      'webhook.maxPayloadSizeMB',
    ]);
    for (const p of problems) assert.ok(p.message.length > 10, p.message);
  });

  it('parses resource filters and URL lists', () => {
    const { settings } = parseArgoCdConfigMap({
      url: 'https://argocd.example.com/',
      additionalUrls: '- https://a.example.com/\n- https://b.example.com',
      'resource.exclusions': '- apiGroups: ["*"]\n  kinds: [Secret]\n  clusters: ["https://prod"]',
    });
    assert.equal(settings.url, 'https://argocd.example.com');
    assert.deepEqual(settings.additionalUrls, ['https://a.example.com', 'https://b.example.com']);
    assert.deepEqual(settings.resourceExclusions, [
      { apiGroups: ['*'], kinds: ['Secret'], clusters: ['https://prod'] },
    ]);
  });
});

describe('parseRbacConfigMap', () => {
  it('joins policy.csv and policy.*.csv in key order, with scopes and match mode', () => {
    const { config, problems } = parseRbacConfigMap({
      'policy.csv': 'p, role:a, applications, get, */*, allow',
      'policy.z.csv': 'g, z, role:a',
      'policy.b.csv': 'g, b, role:a',
      'policy.default': 'role:readonly',
      scopes: '[groups, email]',
      'policy.matchMode': 'regex',
    });
    assert.deepEqual(problems, []);
    assert.equal(
      config.policyCsv,
      'p, role:a, applications, get, */*, allow\ng, b, role:a\ng, z, role:a',
    );
    assert.deepEqual(config.scopes, ['groups', 'email']);
    assert.equal(config.matchMode, 'regex');
    assert.equal(config.policyDefault, 'role:readonly');
  });
  it('defaults scopes to groups and reports a bad match mode', () => {
    const { config, problems } = parseRbacConfigMap({ 'policy.matchMode': 'fuzzy' });
    assert.deepEqual(config.scopes, ['groups']);
    assert.equal(config.matchMode, 'glob');
    assert.equal(problems[0]?.key, 'policy.matchMode');
  });
});

describe('argocd-secret', () => {
  it('reads admin and account passwords, mtimes and token lists', () => {
    const { secret, problems } = parseArgoCdSecret({
      'admin.password': '$2a$10$abc',
      'admin.passwordMtime': '2026-01-01T00:00:00Z',
      'server.secretkey': 'c2VjcmV0',
      'accounts.ci.tokens': '[{"id":"t1","iat":1700000000,"exp":1800000000}]',
      'accounts.ci.password': '$2a$10$def',
      'webhook.github.secret': 'shh',
    });
    assert.deepEqual(problems, []);
    assert.equal(secret.accounts.get('admin')?.passwordHash, '$2a$10$abc');
    assert.deepEqual(secret.accounts.get('ci')?.tokens, [
      { id: 't1', iat: 1700000000, exp: 1800000000 },
    ]);
    assert.equal(secret.webhook['github.secret'], 'shh');
    assert.equal(secret.serverSecretKey, 'c2VjcmV0');
  });
  it('reports a malformed token list by key without throwing', () => {
    const { secret, problems } = parseArgoCdSecret({
      'accounts.ci.tokens': '[{"id":1}]',
      'admin.passwordMtime': 'yesterday',
    });
    assert.deepEqual(secret.accounts.get('ci')?.tokens, []);
    assert.deepEqual(problems.map((p) => p.key).sort(), [
      'accounts.ci.tokens',
      'admin.passwordMtime',
    ]);
  });
});

describe('repository and cluster secrets', () => {
  it('round-trips a repository and never exposes credentials when sanitised', () => {
    const data = encodeSecretData({
      type: 'git',
      url: 'https://git.example/repo.git',
      username: 'bob',
      password: 'hunter2',
      insecure: 'true',
    });
    const repo = repositoryFromSecret({ metadata: { name: 'r' }, data });
    assert.equal(repo.password, 'hunter2');
    assert.equal(repo.insecure, true);
    assert.deepEqual(repositoryToSecretData(repo), {
      type: 'git',
      url: 'https://git.example/repo.git',
      username: 'bob',
      password: 'hunter2',
      insecure: 'true',
    });
    const safe = sanitizeRepository(repo);
    assert.ok(!JSON.stringify(safe).includes('hunter2'));
    assert.equal(safe.hasCredentials, true);
  });
  it('refuses a repository without url or with an unknown type, naming the key', () => {
    assert.throws(
      () => repositoryFromSecret({ metadata: { name: 'r' }, data: {} }),
      /data\.url: is required/,
    );
    assert.throws(
      () =>
        repositoryFromSecret({
          metadata: { name: 'r' },
          data: { url: b64('x'), type: b64('svn') },
        }),
      /data\.type/,
    );
  });
  it('reads a cluster secret with config JSON and hides its credentials when sanitised', () => {
    const config = JSON.stringify({
      bearerToken: 'tok-123456',
      tlsClientConfig: { insecure: false, caData: b64('CA') },
    });
    const c = clusterFromSecret({
      metadata: { name: 'c' },
      data: encodeSecretData({
        name: 'prod',
        server: 'https://prod.example:6443/',
        config,
        namespaces: 'a, b',
        shard: '1',
      }),
    });
    assert.equal(c.server, 'https://prod.example:6443');
    assert.deepEqual(c.namespaces, ['a', 'b']);
    assert.equal(c.shard, 1);
    assert.equal(c.config.bearerToken, 'tok-123456');
    assert.ok(!JSON.stringify(sanitizeCluster(c)).includes('tok-123456'));
    assert.ok(!JSON.stringify(sanitizeCluster(c)).includes(b64('CA')));
  });
  it('refuses a cluster secret whose config is not JSON or has wrong types', () => {
    assert.throws(
      () =>
        clusterFromSecret({
          metadata: { name: 'c' },
          data: encodeSecretData({ server: 'https://x', config: '{nope' }),
        }),
      /data\.config: is not valid JSON/,
    );
    assert.throws(
      () =>
        clusterFromSecret({
          metadata: { name: 'c' },
          data: encodeSecretData({ server: 'https://x', config: '{"bearerToken": 5}' }),
        }),
      /bearerToken/,
    );
    assert.throws(
      () =>
        clusterFromSecret({
          metadata: { name: 'c' },
          data: encodeSecretData({ server: 'https://x', shard: '-1' }),
        }),
      /data\.shard/,
    );
  });
});

describe('CRD generation', () => {
  it('makes maps additionalProperties and free-form nodes preserve unknown fields', () => {
    const s = toStructural({ type: 'object', patternProperties: { '^.*$': { type: 'string' } } });
    assert.deepEqual(s, { type: 'object', additionalProperties: { type: 'string' } });
    assert.deepEqual(toStructural({}), { 'x-kubernetes-preserve-unknown-fields': true });
    assert.deepEqual(
      toStructural({
        anyOf: [{ type: 'integer' }, { type: 'string' }],
        'x-kubernetes-int-or-string': true,
      }),
      {
        'x-kubernetes-int-or-string': true,
        anyOf: [{ type: 'integer' }, { type: 'string' }],
      },
    );
  });
  it('emits three namespaced CRDs; only ApplicationSet has a status subresource', () => {
    const crds = buildCrds();
    assert.deepEqual(
      crds.map((c) => (c.crd.metadata as { name: string }).name),
      ['applications.argoproj.io', 'appprojects.argoproj.io', 'applicationsets.argoproj.io'],
    );
    const sub = crds.map((c) => JSON.stringify(c.crd).includes('"subresources"'));
    assert.deepEqual(sub, [false, false, true]);
    const structuralOk = (node: unknown): boolean => {
      if (typeof node !== 'object' || node === null) return true;
      const n = node as Record<string, unknown>;
      if ('patternProperties' in n || '$id' in n) return false;
      return Object.values(n).every(structuralOk);
    };
    for (const c of crds) assert.ok(structuralOk(c.crd), 'no patternProperties or $id in a CRD');
  });
});
