import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveStaticPath, withBaseHref } from './routes.js';

describe('static UI files', () => {
  let root: string;
  let outside: string;
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'argocd-ts-static-'));
    outside = mkdtempSync(join(tmpdir(), 'argocd-ts-outside-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'assets', 'app.js'), 'x');
    writeFileSync(join(root, '.env'), 'secret');
    writeFileSync(join(outside, 'passwd'), 'root');
    symlinkSync(join(outside, 'passwd'), join(root, 'assets', 'link.txt'));
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });

  it('resolves files inside the directory only', async () => {
    assert.equal(await resolveStaticPath(root, '/assets/app.js'), join(root, 'assets', 'app.js'));
    for (const p of [
      `/../${outside.split('/').pop() ?? ''}/passwd`,
      '/%2e%2e/etc/passwd',
      '/assets/..%2f..%2fetc%2fpasswd',
      '/.env',
      '/assets/link.txt',
      '/assets',
      '/assets/app.js%00.png',
      '/%E0%A4%A',
    ])
      assert.equal(await resolveStaticPath(root, p), undefined, p);
  });

  it('rewrites the base href of index.html', () => {
    assert.equal(
      withBaseHref('<head><base href="/"></head>', '/argo/'),
      '<head><base href="/argo/"></head>',
    );
  });
});
