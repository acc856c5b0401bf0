import assert from 'node:assert/strict';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isRepoServerError } from '../errors.js';
import {
  findOutOfBoundsSymlink,
  resolveAppPath,
  resolveValueFile,
  symlinkLeavesRoot,
} from './paths.js';

/** A crafted tree: files (path -> content) and symlinks (path -> target). */
interface Tree {
  readonly files?: Readonly<Record<string, string>>;
  readonly links?: Readonly<Record<string, string>>;
}

async function build(base: string, name: string, tree: Tree): Promise<string> {
  const root = join(base, name, 'repo');
  await mkdir(root, { recursive: true });
  // a sibling of the repository: what an escaping link would reach
  await mkdir(join(base, name, 'outside'), { recursive: true });
  await writeFile(join(base, name, 'outside', 'secret.yaml'), 'apiVersion: v1\nkind: Secret\n');
  for (const [p, content] of Object.entries(tree.files ?? {})) {
    await mkdir(dirname(join(root, p)), { recursive: true });
    await writeFile(join(root, p), content);
  }
  for (const [p, target] of Object.entries(tree.links ?? {})) {
    await mkdir(dirname(join(root, p)), { recursive: true });
    await symlink(target, join(root, p));
  }
  return realpath(root);
}

let base = '';
before(async () => {
  base = await mkdtemp(join(tmpdir(), 'argocd-ts-paths-'));
});
after(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('findOutOfBoundsSymlink', () => {
  const cases: { name: string; tree: Tree; want?: string }[] = [
    { name: 'no symlinks', tree: { files: { 'a/b.yaml': 'x' } } },
    {
      name: 'a link to a sibling file',
      tree: { files: { 'a/b.yaml': 'x' }, links: { 'a/c.yaml': 'b.yaml' } },
    },
    {
      name: 'a link that climbs and comes back down',
      tree: { files: { 'a/b.yaml': 'x' }, links: { 'a/d/c.yaml': '../../a/b.yaml' } },
    },
    {
      name: 'a link to a directory inside',
      tree: { files: { 'a/b.yaml': 'x' }, links: { 'x/dir': '../a' } },
    },
    { name: 'a dangling link inside', tree: { links: { 'a/c.yaml': 'missing.yaml' } } },
    {
      name: 'an absolute link',
      tree: { links: { 'a/passwd.yaml': '/etc/passwd' } },
      want: 'a/passwd.yaml',
    },
    {
      name: 'a relative link out of the root',
      tree: { links: { 'a/s.yaml': '../../outside/secret.yaml' } },
      want: 'a/s.yaml',
    },
    {
      name: 'a link that leaves and re-enters the root',
      tree: { files: { 'a/b.yaml': 'x' }, links: { 'a/c.yaml': '../../repo/a/b.yaml' } },
      want: 'a/c.yaml',
    },
    {
      name: 'a deeply nested escaping link',
      tree: { links: { 'a/b/c/d/e/f.yaml': '../../../../../../../etc/hosts' } },
      want: 'a/b/c/d/e/f.yaml',
    },
    { name: 'a link to the parent of the root', tree: { links: { up: '..' } }, want: 'up' },
  ];
  for (const c of cases) {
    it(c.want ? `finds ${c.name}` : `accepts ${c.name}`, async () => {
      const root = await build(base, `oob-${c.name.replace(/\W+/g, '-')}`, c.tree);
      const found = await findOutOfBoundsSymlink(root);
      assert.equal(found?.file, c.want);
    });
  }

  it('skips the .git directory at the root', async () => {
    const root = await build(base, 'oob-git', { links: { '.git/hooks/x': '/etc/passwd' } });
    assert.equal(await findOutOfBoundsSymlink(root), undefined);
  });
});

describe('symlinkLeavesRoot', () => {
  it('walks the target component by component', () => {
    assert.equal(symlinkLeavesRoot('/r', '/r/a/l', 'b/../c'), false);
    assert.equal(symlinkLeavesRoot('/r', '/r/a/l', '../../x'), true);
    assert.equal(symlinkLeavesRoot('/r', '/r/a/l', '../../r/x'), true);
    assert.equal(symlinkLeavesRoot('/r', '/r/a/l', '/r/a'), true);
  });
});

describe('resolveAppPath', () => {
  let root = '';
  before(async () => {
    root = await build(base, 'app', {
      files: { 'apps/guestbook/cm.yaml': 'x', 'file.yaml': 'x' },
      links: { 'apps/escape': '../../outside', 'apps/inside': 'guestbook' },
    });
  });

  const ok: { name: string; path: string; want: string }[] = [
    { name: 'a plain path', path: 'apps/guestbook', want: 'apps/guestbook' },
    { name: 'the root', path: '.', want: '' },
    { name: 'an empty path (the root)', path: '', want: '' },
    { name: 'a path with a harmless ..', path: 'apps/../apps/guestbook', want: 'apps/guestbook' },
    { name: 'a symlink to a directory inside', path: 'apps/inside', want: 'apps/inside' },
  ];
  for (const c of ok) {
    it(`accepts ${c.name}`, async () => {
      assert.equal(await resolveAppPath(root, c.path), join(root, c.want));
    });
  }

  const bad: { name: string; path: string; code: string }[] = [
    { name: 'a path that climbs out with ..', path: '../outside', code: 'ERR_PATH_OUTSIDE_ROOT' },
    {
      name: 'a path that climbs out deeper',
      path: 'apps/../../outside',
      code: 'ERR_PATH_OUTSIDE_ROOT',
    },
    { name: 'an absolute path', path: '/etc', code: 'ERR_PATH_OUTSIDE_ROOT' },
    { name: 'a symlink that resolves outside', path: 'apps/escape', code: 'ERR_PATH_OUTSIDE_ROOT' },
    { name: 'a missing path', path: 'apps/nope', code: 'ERR_PATH_NOT_FOUND' },
    { name: 'a file', path: 'file.yaml', code: 'ERR_PATH_NOT_FOUND' },
  ];
  for (const c of bad) {
    it(`refuses ${c.name}`, async () => {
      await assert.rejects(resolveAppPath(root, c.path), (err: unknown) =>
        isRepoServerError(err, c.code as 'ERR_PATH_NOT_FOUND'),
      );
    });
  }
});

describe('resolveValueFile', () => {
  let root = '';
  let app = '';
  before(async () => {
    root = await build(base, 'values', {
      files: { 'chart/values.yaml': 'a: 1', 'common/shared.yaml': 'b: 2' },
      links: { 'chart/evil.yaml': '../../outside/secret.yaml', 'chart/ok.yaml': 'values.yaml' },
    });
    app = join(root, 'chart');
  });
  const schemes = ['https', 'http'];

  it('resolves relative paths against the app directory', async () => {
    assert.deepEqual(await resolveValueFile(root, app, 'values.yaml', schemes), {
      kind: 'file',
      path: join(app, 'values.yaml'),
    });
    assert.deepEqual(await resolveValueFile(root, app, '../common/shared.yaml', schemes), {
      kind: 'file',
      path: join(root, 'common/shared.yaml'),
    });
  });

  it('treats absolute paths as relative to the repository root', async () => {
    assert.deepEqual(await resolveValueFile(root, app, '/common/shared.yaml', schemes), {
      kind: 'file',
      path: join(root, 'common/shared.yaml'),
    });
  });

  it('follows symlinks that stay inside', async () => {
    assert.deepEqual(await resolveValueFile(root, app, 'ok.yaml', schemes), {
      kind: 'file',
      path: join(app, 'values.yaml'),
    });
  });

  it('passes URLs with an allowed scheme through', async () => {
    assert.deepEqual(await resolveValueFile(root, app, 'https://example.test/v.yaml', schemes), {
      kind: 'url',
      url: 'https://example.test/v.yaml',
    });
  });

  it('reports a missing file as missing', async () => {
    assert.equal((await resolveValueFile(root, app, 'nope.yaml', schemes)).kind, 'missing');
  });

  const refused: { name: string; file: string; code: string }[] = [
    {
      name: '.. out of the repository',
      file: '../../outside/secret.yaml',
      code: 'ERR_PATH_OUTSIDE_ROOT',
    },
    {
      name: 'an absolute path climbing out',
      file: '/../outside/secret.yaml',
      code: 'ERR_PATH_OUTSIDE_ROOT',
    },
    { name: 'a symlink out of the repository', file: 'evil.yaml', code: 'ERR_PATH_OUTSIDE_ROOT' },
    { name: 'the repository root itself', file: '/', code: 'ERR_PATH_OUTSIDE_ROOT' },
    { name: 'a file:// URL', file: 'file:///etc/passwd', code: 'ERR_URL_SCHEME_NOT_ALLOWED' },
    {
      name: 'a gopher:// URL',
      file: 'gopher://127.0.0.1:6379/_x',
      code: 'ERR_URL_SCHEME_NOT_ALLOWED',
    },
  ];
  for (const c of refused) {
    it(`refuses ${c.name}`, async () => {
      await assert.rejects(resolveValueFile(root, app, c.file, schemes), (err: unknown) =>
        isRepoServerError(err, c.code as 'ERR_PATH_OUTSIDE_ROOT'),
      );
    });
  }

  it('refuses every URL when no scheme is allowed', async () => {
    await assert.rejects(
      resolveValueFile(root, app, 'https://example.test/v.yaml', []),
      (err: unknown) => isRepoServerError(err, 'ERR_URL_SCHEME_NOT_ALLOWED'),
    );
  });
});
