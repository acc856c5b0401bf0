import assert from 'node:assert/strict';
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isRepoServerError } from '../errors.js';
import {
  buildOverlay,
  checkKustomizationReferences,
  hasSourceOptions,
  parseKustomizeImage,
} from './kustomize.js';
import { DEFAULT_MANIFEST_LIMITS } from './manifests.js';

describe('parseKustomizeImage', () => {
  const cases: { name: string; spec: string; want: object }[] = [
    { name: 'a new tag', spec: 'nginx:1.25', want: { name: 'nginx', newTag: '1.25' } },
    { name: 'a digest', spec: 'nginx@sha256:abc', want: { name: 'nginx', digest: 'sha256:abc' } },
    {
      name: 'a new name and tag',
      spec: 'nginx=registry.test/nginx:2',
      want: { name: 'nginx', newName: 'registry.test/nginx', newTag: '2' },
    },
    {
      name: 'a registry with a port',
      spec: 'app=reg.test:5000/team/app:v3',
      want: { name: 'app', newName: 'reg.test:5000/team/app', newTag: 'v3' },
    },
    { name: 'a new name only', spec: 'app=other/app', want: { name: 'app', newName: 'other/app' } },
    {
      name: 'a new name and digest',
      spec: 'a=b@sha256:0',
      want: { name: 'a', newName: 'b', digest: 'sha256:0' },
    },
  ];
  for (const c of cases) {
    it(`reads ${c.name}`, () => {
      assert.deepEqual(parseKustomizeImage(c.spec), c.want);
    });
  }
  it('refuses an empty or option-like image', () => {
    assert.throws(
      () => parseKustomizeImage(''),
      (e: unknown) => isRepoServerError(e, 'ERR_INVALID_REQUEST'),
    );
    assert.throws(
      () => parseKustomizeImage('--x'),
      (e: unknown) => isRepoServerError(e, 'ERR_INVALID_REQUEST'),
    );
  });
});

let base = '';
let root = '';
async function tree(files: Record<string, string>): Promise<void> {
  for (const [p, c] of Object.entries(files)) {
    await mkdir(dirname(join(root, p)), { recursive: true });
    await writeFile(join(root, p), c);
  }
}
before(async () => {
  base = await mkdtemp(join(tmpdir(), 'argocd-ts-kustomize-'));
  root = join(base, 'repo');
  await mkdir(join(base, 'other-repo', 'app'), { recursive: true });
  await writeFile(join(base, 'other-repo', 'app', 'kustomization.yaml'), 'resources: []\n');
  await tree({
    'base/kustomization.yaml': 'resources:\n- cm.yaml\n',
    'base/cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm}\n',
    'overlay/ok/kustomization.yaml': 'resources:\n- ../../base\npatches:\n- path: p.yaml\n',
    'overlay/ok/p.yaml': 'x',
    'overlay/climb/kustomization.yaml': 'resources:\n- ../../../other-repo/app\n',
    'overlay/deep/kustomization.yaml': 'resources:\n- ../ok\n- ../climb\n',
    'overlay/abs/kustomization.yaml': 'resources:\n- /etc/kubernetes\n',
    'overlay/remote/kustomization.yaml': 'resources:\n- github.com/org/repo//deploy?ref=v1\n',
    'overlay/remote-https/kustomization.yaml': 'resources:\n- https://example.test/org/repo.git\n',
    'overlay/genfile/kustomization.yaml':
      'configMapGenerator:\n- name: x\n  files:\n  - key=../../../other-repo/app/kustomization.yaml\n',
    'overlay/patchfile/kustomization.yaml': 'patches:\n- path: ../../../etc/passwd\n',
    'overlay/inline/kustomization.yaml':
      'resources:\n- ../../base\npatchesStrategicMerge:\n- |-\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: cm}\n',
  });
  root = await realpath(root);
});
after(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('checkKustomizationReferences', () => {
  const ok = ['base', 'overlay/ok', 'overlay/inline'];
  for (const dir of ok) {
    it(`accepts ${dir}`, async () => {
      await checkKustomizationReferences(root, join(root, dir), DEFAULT_MANIFEST_LIMITS);
    });
  }
  const bad: { dir: string; code: string; mentions: RegExp }[] = [
    {
      dir: 'overlay/climb',
      code: 'ERR_PATH_OUTSIDE_ROOT',
      mentions: /other-repo.*outside the repository/,
    },
    {
      dir: 'overlay/deep',
      code: 'ERR_PATH_OUTSIDE_ROOT',
      mentions: /overlay\/climb\/kustomization\.yaml/,
    },
    { dir: 'overlay/abs', code: 'ERR_PATH_OUTSIDE_ROOT', mentions: /\/etc\/kubernetes/ },
    { dir: 'overlay/remote', code: 'ERR_UNSUPPORTED', mentions: /remote base/ },
    { dir: 'overlay/remote-https', code: 'ERR_UNSUPPORTED', mentions: /remote base/ },
    { dir: 'overlay/genfile', code: 'ERR_PATH_OUTSIDE_ROOT', mentions: /outside/ },
    { dir: 'overlay/patchfile', code: 'ERR_PATH_OUTSIDE_ROOT', mentions: /etc\/passwd/ },
  ];
  for (const c of bad) {
    it(`refuses ${c.dir}`, async () => {
      await assert.rejects(
        checkKustomizationReferences(root, join(root, c.dir), DEFAULT_MANIFEST_LIMITS),
        (err: unknown) =>
          isRepoServerError(err, c.code as 'ERR_UNSUPPORTED') && c.mentions.test(err.message),
      );
    });
  }
});

describe('buildOverlay', () => {
  it('lists the app as its resource and carries every source option', async () => {
    const overlayDir = join(base, 'work', 'overlay');
    const overlay = await buildOverlay(root, join(root, 'overlay/ok'), overlayDir, {
      namePrefix: 'p-',
      nameSuffix: '-s',
      namespace: 'ns',
      images: ['nginx:1.25'],
      commonLabels: { team: 'a' },
      commonAnnotations: { note: 'b' },
      replicas: [{ name: 'web', count: 3 }],
      components: ['../../base'],
    });
    assert.deepEqual(overlay, {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: ['../../repo/overlay/ok'],
      namePrefix: 'p-',
      nameSuffix: '-s',
      namespace: 'ns',
      images: [{ name: 'nginx', newTag: '1.25' }],
      commonLabels: { team: 'a' },
      commonAnnotations: { note: 'b' },
      replicas: [{ name: 'web', count: 3 }],
      components: ['../../repo/base'],
    });
  });

  it('refuses a component outside the repository and a missing one unless told to ignore it', async () => {
    const overlayDir = join(base, 'work', 'overlay');
    await assert.rejects(
      buildOverlay(root, join(root, 'base'), overlayDir, { components: ['../../other-repo/app'] }),
      (e: unknown) => isRepoServerError(e, 'ERR_PATH_OUTSIDE_ROOT'),
    );
    await assert.rejects(
      buildOverlay(root, join(root, 'base'), overlayDir, { components: ['missing'] }),
      (e: unknown) => isRepoServerError(e, 'ERR_PATH_NOT_FOUND'),
    );
    const o = await buildOverlay(root, join(root, 'base'), overlayDir, {
      components: ['missing'],
      ignoreMissingComponents: true,
    });
    assert.equal(o.components, undefined);
  });

  it('knows when there is nothing to overlay', () => {
    assert.equal(hasSourceOptions({}), false);
    assert.equal(hasSourceOptions({ images: [], commonLabels: {} }), false);
    assert.equal(hasSourceOptions({ namePrefix: 'x' }), true);
  });
});
