import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { RbacEnforcer, rbacOptionsFromConfigMaps } from '../rbac/index.js';
import {
  CRD_HASH_ANNOTATION,
  crdManifests,
  dataDirInstallationId,
  DEMO_GROUP,
  defaultArgocdCmData,
  defaultCmdParamsData,
  defaultRbacConfigMapData,
  isLoopbackUrl,
} from './local-install.js';
import { REPO_ROOT } from './paths.js';
import {
  controllerOptionSpecs,
  dexServerOptionSpecs,
  repoServerOptionSpecs,
  serverOptionSpecs,
} from '../config/index.js';

function enforcer(): RbacEnforcer {
  const { options, problems } = rbacOptionsFromConfigMaps(
    defaultRbacConfigMapData(),
    defaultArgocdCmData('https://127.0.0.1:8080'),
  );
  assert.deepEqual(problems, []);
  const rbac = new RbacEnforcer();
  assert.deepEqual(rbac.update(options).problems, []);
  return rbac;
}

describe('the default argocd-rbac-cm', () => {
  const demo = { sub: 'demo-id', groups: [DEMO_GROUP] };
  const cases: {
    name: string;
    claims: object;
    res: string;
    act: string;
    obj: string;
    want: boolean;
  }[] = [
    {
      name: 'the demo group reads the demo app',
      claims: demo,
      res: 'applications',
      act: 'get',
      obj: 'default/demo',
      want: true,
    },
    {
      name: 'the demo group syncs the demo app',
      claims: demo,
      res: 'applications',
      act: 'sync',
      obj: 'default/demo',
      want: true,
    },
    {
      name: 'the demo group reads the default project',
      claims: demo,
      res: 'projects',
      act: 'get',
      obj: 'default',
      want: true,
    },
    {
      name: 'the demo group cannot delete apps',
      claims: demo,
      res: 'applications',
      act: 'delete',
      obj: 'default/demo',
      want: false,
    },
    {
      name: 'the demo group cannot touch other projects',
      claims: demo,
      res: 'applications',
      act: 'get',
      obj: 'team-a/web',
      want: false,
    },
    {
      name: 'the demo group cannot read repositories',
      claims: demo,
      res: 'repositories',
      act: 'get',
      obj: '*',
      want: false,
    },
    {
      name: 'the demo group cannot read clusters',
      claims: demo,
      res: 'clusters',
      act: 'get',
      obj: 'https://kubernetes.default.svc',
      want: false,
    },
    {
      name: 'another SSO user gets nothing (policy.default is empty)',
      claims: { sub: 'x', groups: ['other'] },
      res: 'applications',
      act: 'get',
      obj: 'default/demo',
      want: false,
    },
    {
      name: 'the anonymous caller gets nothing',
      claims: {},
      res: 'applications',
      act: 'get',
      obj: 'default/demo',
      want: false,
    },
    {
      name: 'admin is admin',
      claims: { sub: 'admin' },
      res: 'applications',
      act: 'delete',
      obj: 'default/demo',
      want: true,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(enforcer().enforceClaims(c.claims, c.res, c.act, c.obj).allowed, c.want);
    });
  }

  it("sets policy.default to '' (deny by default), not role:readonly", () => {
    assert.equal(defaultRbacConfigMapData()['policy.default'], '');
  });
});

describe('the default argocd-cm and argocd-cmd-params-cm', () => {
  it('keeps anonymous access, exec and status badges off and the admin on', () => {
    const cm = defaultArgocdCmData('https://127.0.0.1:9443');
    assert.equal(cm.url, 'https://127.0.0.1:9443');
    assert.equal(cm['users.anonymous.enabled'], 'false');
    assert.equal(cm['exec.enabled'], 'false');
    assert.equal(cm['admin.enabled'], 'true');
  });

  it("writes the data directory's installation id, the same at every start of that directory", async () => {
    const a = await mkdtemp(join(tmpdir(), 'argocd-ts-instid-'));
    const b = await mkdtemp(join(tmpdir(), 'argocd-ts-instid-'));
    try {
      const id = await dataDirInstallationId(a);
      assert.match(id, /^argocd-ts-[0-9a-f]{16}$/);
      assert.equal(await dataDirInstallationId(a), id);
      assert.notEqual(await dataDirInstallationId(b), id);
      assert.equal(defaultArgocdCmData('https://127.0.0.1:9443', id).installationID, id);
      assert.equal(defaultArgocdCmData('https://127.0.0.1:9443').installationID, undefined);
      await writeFile(join(a, 'installation-id'), 'not valid!\n');
      await assert.rejects(dataDirInstallationId(a), /holds no valid id/);
    } finally {
      await rm(a, { recursive: true, force: true });
      await rm(b, { recursive: true, force: true });
    }
  });

  it('writes only argocd-cmd-params-cm keys some component reads', () => {
    const known = new Set<string>();
    const specLists: readonly (readonly { readonly cmdParamsKey?: string }[])[] = [
      Object.values(serverOptionSpecs()),
      Object.values(repoServerOptionSpecs),
      Object.values(controllerOptionSpecs),
      Object.values(dexServerOptionSpecs()),
    ];
    for (const specs of specLists)
      for (const s of specs) if (s.cmdParamsKey) known.add(s.cmdParamsKey);
    for (const key of Object.keys(defaultCmdParamsData()))
      assert.ok(known.has(key), `no component reads argocd-cmd-params-cm key ${key}`);
  });
});

describe('isLoopbackUrl', () => {
  for (const [url, want] of [
    ['https://127.0.0.1:8080', true],
    ['https://localhost:9443', true],
    [undefined, true],
    ['', true],
    ['https://argocd.example.com', false],
    ['not a url', false],
  ] as const) {
    it(`${String(url)} → ${String(want)}`, () => {
      assert.equal(isLoopbackUrl(url), want);
    });
  }
});

describe('crdManifests', () => {
  it('are the CRDs of manifests/crds, annotated with their hash', () => {
    const dir = join(REPO_ROOT, 'manifests', 'crds');
    const files = readdirSync(dir)
      .filter((f) => f.endsWith('-crd.yaml'))
      .sort()
      .map((f) => parseYaml(readFileSync(join(dir, f), 'utf8')) as { metadata: { name: string } });
    const built = crdManifests();
    assert.equal(built.length, files.length);
    for (const crd of built) {
      const hash = crd.metadata.annotations?.[CRD_HASH_ANNOTATION];
      assert.match(hash ?? '', /^[0-9a-f]{64}$/);
      const { [CRD_HASH_ANNOTATION]: _h, ...annotations } = crd.metadata.annotations ?? {};
      const plain = {
        ...crd,
        metadata: {
          ...crd.metadata,
          ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
        },
      };
      if (Object.keys(annotations).length === 0)
        delete (plain.metadata as { annotations?: unknown }).annotations;
      const file = files.find((f) => f.metadata.name === crd.metadata.name);
      assert.deepEqual(plain, file);
    }
  });

  it('change hash when the CRD changes', () => {
    const [a] = crdManifests();
    const [b] = crdManifests();
    assert.equal(
      a?.metadata.annotations?.[CRD_HASH_ANNOTATION],
      b?.metadata.annotations?.[CRD_HASH_ANNOTATION],
    );
    const hashes = new Set(
      crdManifests().map((c) => c.metadata.annotations?.[CRD_HASH_ANNOTATION]),
    );
    assert.equal(hashes.size, crdManifests().length);
  });
});
