import assert from 'node:assert/strict';
import { mkdtemp, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { runArgocdInProcess } from '../test-helpers.js';
import { managerRbac } from './cluster-actions.js';
import { parseDestination, parseGroupKind } from './proj-actions.js';
import { urlKind } from './repo-actions.js';

const POLICY = `p, role:ci, applications, sync, team-a/*, allow
p, role:ci, applications, sync, team-a/secret, deny
g, alice, role:ci
`;

describe('admin settings rbac (offline, the server evaluator)', () => {
  async function files(): Promise<{ csv: string; cm: string; bad: string }> {
    const dir = await mkdtemp(join(tmpdir(), 'rbac-'));
    const csv = join(dir, 'policy.csv');
    const cm = join(dir, 'argocd-rbac-cm.yaml');
    const bad = join(dir, 'bad.csv');
    await writeFile(csv, POLICY);
    await writeFile(
      cm,
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: argocd-rbac-cm}\ndata:\n  policy.default: role:readonly\n  policy.csv: |\n${POLICY.split(
        '\n',
      )
        .map((l) => `    ${l}`)
        .join('\n')}\n`,
    );
    await writeFile(bad, 'p, role:x, applications, get\nq, nonsense\n');
    return { csv, cm, bad };
  }
  const can = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    runArgocdInProcess(['admin', 'settings', 'rbac', 'can', ...args]);

  it('answers Yes (exit 0) and No (exit 1), with groups, deny rules and shorthand resources', async () => {
    const { csv } = await files();
    assert.deepEqual(
      await can('alice', 'sync', 'app', 'team-a/web', '--policy-file', csv).then((r) => [
        r.code,
        r.stdout,
      ]),
      [0, 'Yes\n'],
    );
    assert.deepEqual(
      await can('alice', 'sync', 'app', 'team-a/secret', '--policy-file', csv).then((r) => [
        r.code,
        r.stdout,
      ]),
      [1, 'No\n'],
    );
    assert.deepEqual(
      await can('bob', 'sync', 'applications', 'team-a/web', '--policy-file', csv).then(
        (r) => r.code,
      ),
      1,
    );
    assert.deepEqual(
      await can('role:admin', 'delete', 'clusters', '*', '--policy-file', csv).then((r) => r.code),
      0,
    );
    assert.equal(
      (
        await can(
          'role:admin',
          'delete',
          'clusters',
          '*',
          '--policy-file',
          csv,
          '--use-builtin-policy=false',
        )
      ).code,
      1,
    );
    const quiet = await can('alice', 'sync', 'app', 'team-a/web', '--policy-file', csv, '-q');
    assert.deepEqual([quiet.code, quiet.stdout], [0, '']);
  });
  it('reads an argocd-rbac-cm ConfigMap file with its default role, and --default-role overrides it', async () => {
    const { cm } = await files();
    assert.equal((await can('bob', 'get', 'applications', 'x/y', '--policy-file', cm)).code, 0);
    assert.equal(
      (
        await can(
          'bob',
          'get',
          'applications',
          'x/y',
          '--policy-file',
          cm,
          '--default-role',
          'role:none',
        )
      ).code,
      1,
    );
    assert.equal((await can('alice', 'sync', 'app', 'team-a/web', '--policy-file', cm)).code, 0);
  });
  it('refuses unknown resources and actions in strict mode', async () => {
    const { csv } = await files();
    const r = await can('alice', 'fly', 'app', 'x/y', '--policy-file', csv);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /"fly" is not a valid action for applications/);
    assert.match(
      (await can('alice', 'get', 'spaceships', 'x', '--policy-file', csv)).stderr,
      /not a valid resource/,
    );
    assert.equal(
      (await can('alice', 'get', 'spaceships', 'x', '--policy-file', csv, '--strict=false')).code,
      1,
    );
  });
  it('validates policies with line numbers', async () => {
    const { csv, cm, bad } = await files();
    const ok = await runArgocdInProcess([
      'admin',
      'settings',
      'rbac',
      'validate',
      '--policy-file',
      csv,
    ]);
    assert.deepEqual([ok.code, ok.stdout], [0, 'Policy is valid.\n']);
    assert.equal(
      (await runArgocdInProcess(['admin', 'settings', 'rbac', 'validate', '--policy-file', cm]))
        .code,
      0,
    );
    const r = await runArgocdInProcess([
      'admin',
      'settings',
      'rbac',
      'validate',
      '--policy-file',
      bad,
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /Policy is invalid:/);
    assert.match(r.stdout, /bad\.csv.*line 1|line 1/);
    assert.match(
      (await can('alice', 'get', 'app', 'x/y', '--policy-file', bad)).stderr,
      /the policy is invalid/,
    );
  });
});

describe('admin tls init (files and dry run)', () => {
  it('prints the Secrets of the internal PKI without touching anything', async () => {
    const r = await runArgocdInProcess([
      'admin',
      'tls',
      'init',
      '-n',
      'cd',
      '--dry-run',
      '--extra-host',
      'argocd-server=cd.example.com',
    ]);
    assert.equal(r.code, 0, r.stderr);
    const list = parseYaml(r.stdout) as {
      items: { metadata: { name: string; namespace: string } }[];
    };
    assert.deepEqual(list.items.map((s) => s.metadata.name).sort(), [
      'argocd-application-controller-internal-tls',
      'argocd-dex-server-mtls',
      'argocd-dex-server-tls',
      'argocd-internal-ca',
      'argocd-repo-server-mtls',
      'argocd-repo-server-tls',
      'argocd-server-internal-tls',
      'argocd-server-tls',
    ]);
    assert.ok(list.items.every((s) => s.metadata.namespace === 'cd'));
  });
  it('writes private files, refuses to overwrite them, and renews with the same CA', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'pki-')), 'out');
    const first = await runArgocdInProcess(['admin', 'tls', 'init', '--output-dir', dir]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /Wrote \d+ files under/);
    assert.equal((await stat(join(dir, 'argocd-repo-server-tls', 'tls.key'))).mode & 0o777, 0o600);
    assert.ok((await readdir(dir)).includes('argocd-internal-ca'));
    const again = await runArgocdInProcess(['admin', 'tls', 'init', '--output-dir', dir]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /exists/);
    const renew = await runArgocdInProcess([
      'admin',
      'tls',
      'init',
      '--output-dir',
      dir,
      '--renew',
      '--overwrite',
    ]);
    assert.equal(renew.code, 0, renew.stderr);
  });
});

describe('command helpers', () => {
  it('parses project destinations and kinds', () => {
    assert.deepEqual(parseDestination('https://kubernetes.default.svc,web'), {
      server: 'https://kubernetes.default.svc',
      namespace: 'web',
    });
    assert.deepEqual(parseDestination('in-cluster,*'), { name: 'in-cluster', namespace: '*' });
    assert.throws(() => parseDestination('https://x,'), /namespace is missing/);
    assert.deepEqual(parseGroupKind('apps/Deployment', 'f'), { group: 'apps', kind: 'Deployment' });
    assert.deepEqual(parseGroupKind('Namespace', 'f'), { group: '', kind: 'Namespace' });
  });
  it('tells SSH and HTTPS repository URLs apart', () => {
    assert.equal(urlKind('git@github.com:org/repo.git'), 'ssh');
    assert.equal(urlKind('ssh://git@host/repo'), 'ssh');
    assert.equal(urlKind('https://host/repo'), 'https');
    assert.equal(urlKind('oci://registry/chart'), 'oci');
  });
  it('grants cluster-admin-like rights by default and only namespaced Roles with --namespace', () => {
    const full = managerRbac('kube-system', []);
    assert.deepEqual(
      full.map((o) => o.kind),
      ['ClusterRole', 'ClusterRoleBinding'],
    );
    assert.deepEqual(full[1]?.subjects, [
      { kind: 'ServiceAccount', name: 'argocd-manager', namespace: 'kube-system' },
    ]);
    const least = managerRbac('sys', ['web', 'api']);
    assert.deepEqual(
      least.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}`),
      ['Role/web', 'RoleBinding/web', 'Role/api', 'RoleBinding/api'],
    );
    assert.ok(least.every((o) => o.kind !== 'ClusterRole' && o.kind !== 'ClusterRoleBinding'));
  });
});
