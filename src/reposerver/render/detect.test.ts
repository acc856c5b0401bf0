import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isRepoServerError } from '../errors.js';
import { detectSourceType, discoverApps, type ExplicitSourceBlocks } from './detect.js';

const none: ExplicitSourceBlocks = { helm: false, kustomize: false, directory: false };
let root = '';

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'argocd-ts-detect-'));
  const files: Record<string, string> = {
    'helm/Chart.yaml': 'name: x',
    'kust/kustomization.yaml': 'resources: []',
    'kust-yml/kustomization.yml': 'resources: []',
    'kust-bare/Kustomization': 'resources: []',
    'both/Chart.yaml': 'name: x',
    'both/kustomization.yaml': 'resources: []',
    'plain/cm.yaml': 'kind: ConfigMap',
    'plain/nested/chart/Chart.yaml': 'name: y',
    '.hidden/kustomization.yaml': 'resources: []',
  };
  for (const [p, c] of Object.entries(files)) {
    await mkdir(dirname(join(root, p)), { recursive: true });
    await writeFile(join(root, p), c);
  }
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('detectSourceType', () => {
  const cases: {
    name: string;
    dir: string;
    explicit?: Partial<ExplicitSourceBlocks>;
    enabled?: Record<string, boolean>;
    want: string;
  }[] = [
    { name: 'a chart is Helm', dir: 'helm', want: 'Helm' },
    { name: 'kustomization.yaml is Kustomize', dir: 'kust', want: 'Kustomize' },
    { name: 'kustomization.yml is Kustomize', dir: 'kust-yml', want: 'Kustomize' },
    { name: 'Kustomization is Kustomize', dir: 'kust-bare', want: 'Kustomize' },
    { name: 'Kustomize wins over Helm when both are present', dir: 'both', want: 'Kustomize' },
    { name: 'other files are a Directory', dir: 'plain', want: 'Directory' },
    {
      name: 'a disabled Helm is a Directory',
      dir: 'helm',
      enabled: { Helm: false },
      want: 'Directory',
    },
    {
      name: 'a disabled Kustomize falls back to Helm',
      dir: 'both',
      enabled: { Kustomize: false },
      want: 'Helm',
    },
    {
      name: 'an explicit directory block wins',
      dir: 'kust',
      explicit: { directory: true },
      want: 'Directory',
    },
    {
      name: 'an explicit helm block wins even when disabled',
      dir: 'plain',
      explicit: { helm: true },
      enabled: { Helm: false },
      want: 'Helm',
    },
  ];
  for (const c of cases) {
    it(`detects ${c.name}`, async () => {
      const got = await detectSourceType(
        join(root, c.dir),
        { ...none, ...c.explicit },
        c.enabled ?? {},
      );
      assert.equal(got, c.want);
    });
  }

  it('refuses two explicit source blocks', async () => {
    await assert.rejects(
      detectSourceType(join(root, 'plain'), { helm: true, kustomize: true, directory: false }, {}),
      (err: unknown) =>
        isRepoServerError(err, 'ERR_INVALID_REQUEST') && /helm, kustomize/.test(err.message),
    );
  });
});

describe('discoverApps', () => {
  it('lists chart and kustomization directories, skipping hidden ones', async () => {
    const apps = await discoverApps(root, {});
    assert.deepEqual(Object.fromEntries(apps), {
      both: 'Kustomize',
      helm: 'Helm',
      kust: 'Kustomize',
      'kust-bare': 'Kustomize',
      'kust-yml': 'Kustomize',
      'plain/nested/chart': 'Helm',
    });
  });

  it('leaves out disabled types', async () => {
    const apps = await discoverApps(root, { Kustomize: false });
    assert.deepEqual([...apps.keys()], ['both', 'helm', 'plain/nested/chart']);
  });
});
