import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { isRepoServerError } from '../errors.js';
import { renderDirectory, type DirectoryOptions } from './directory.js';
import { DEFAULT_MANIFEST_LIMITS } from './manifests.js';

const fixture = fileURLToPath(new URL('./testdata/dir-app', import.meta.url));

function options(extra: Partial<DirectoryOptions> = {}): DirectoryOptions {
  return {
    recurse: false,
    maxCombinedBytes: 10_000_000,
    limits: DEFAULT_MANIFEST_LIMITS,
    ...extra,
  };
}

function names(objs: readonly Record<string, unknown>[]): string[] {
  return objs.map((o) => {
    const meta = o.metadata as { name?: string } | undefined;
    return `${String(o.kind)}/${meta?.name ?? ''}`;
  });
}

describe('renderDirectory', () => {
  const cases: { name: string; opts: Partial<DirectoryOptions>; want: string[] }[] = [
    {
      name: 'reads YAML, YML and JSON files of the top directory in path order',
      opts: {},
      want: [
        'Deployment/guestbook-ui',
        'ConfigMap/from-list-1',
        'ConfigMap/from-list-2',
        'ConfigMap/multi-1',
        'ConfigMap/multi-2',
        'Service/guestbook-ui',
      ],
    },
    {
      name: 'descends into subdirectories with recurse, skipping hidden ones',
      opts: { recurse: true },
      want: [
        'Deployment/guestbook-ui',
        'ConfigMap/from-list-1',
        'ConfigMap/from-list-2',
        'ConfigMap/multi-1',
        'ConfigMap/multi-2',
        'ConfigMap/deeper',
        'ConfigMap/nested',
        'Service/guestbook-ui',
      ],
    },
    {
      name: 'keeps only files matching include (a glob whose * crosses /)',
      opts: { recurse: true, include: 'sub/*' },
      want: ['ConfigMap/deeper', 'ConfigMap/nested'],
    },
    {
      name: 'accepts brace alternatives in include',
      opts: { include: '{deploy.yaml,svc.json}' },
      want: ['Deployment/guestbook-ui', 'Service/guestbook-ui'],
    },
    {
      name: 'drops files matching exclude',
      opts: { recurse: true, exclude: '*.yml' },
      want: [
        'Deployment/guestbook-ui',
        'ConfigMap/from-list-1',
        'ConfigMap/from-list-2',
        'ConfigMap/deeper',
        'ConfigMap/nested',
        'Service/guestbook-ui',
      ],
    },
    {
      name: 'applies exclude before include',
      opts: { recurse: true, include: 'sub/*', exclude: 'sub/deeper/*' },
      want: ['ConfigMap/nested'],
    },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      assert.deepEqual(names(await renderDirectory(fixture, options(c.opts))), c.want);
    });
  }

  it('refuses a directory over the combined size limit and names the setting', async () => {
    await assert.rejects(
      renderDirectory(fixture, options({ maxCombinedBytes: 100 })),
      (err: unknown) =>
        isRepoServerError(err, 'ERR_MANIFEST_TOO_LARGE') &&
        err.message.includes('--max-combined-directory-manifests-size') &&
        err.message.includes('reposerver.max.combined.directory.manifests.size'),
    );
  });

  describe('with files that are not manifests', () => {
    let dir = '';
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'argocd-ts-dir-'));
      await cp(fixture, dir, { recursive: true });
    });
    after(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('refuses Jsonnet with a clear error instead of dropping it', async () => {
      await writeFile(join(dir, 'app.jsonnet'), '{}');
      await assert.rejects(
        renderDirectory(dir, options()),
        (err: unknown) =>
          isRepoServerError(err, 'ERR_UNSUPPORTED') && err.message.includes('app.jsonnet'),
      );
      await rm(join(dir, 'app.jsonnet'));
    });

    it('names the file of a YAML document that is not a Kubernetes object', async () => {
      await writeFile(join(dir, 'values.yaml'), 'replicas: 3\n');
      await assert.rejects(
        renderDirectory(dir, options()),
        (err: unknown) =>
          isRepoServerError(err, 'ERR_MANIFEST_PARSE') && err.message.includes('values.yaml'),
      );
      await rm(join(dir, 'values.yaml'));
    });
  });
});
