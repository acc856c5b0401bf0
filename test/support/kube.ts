/**
 * Integration-test access to the shared real cluster: a KubeClient with admin credentials and
 * throw-away namespaces that are deleted after the test.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import type { KubeObject } from '../../src/apis/index.js';
import { KubeClient, isNotFound, loadKubeconfig } from '../../src/kube/index.js';
import { testCluster } from '../../src/kubeenv/index.js';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

let client: Promise<KubeClient> | undefined;

/** The admin client of the shared test cluster. */
export function kube(): Promise<KubeClient> {
  client ??= testCluster().then((c) => new KubeClient(loadKubeconfig(c.kubeconfigPath)));
  return client;
}

/** Creates a namespace `argocd-ts-test-<prefix>-<random>`; returns its name and a cleanup. */
export async function tempNamespace(
  prefix: string,
): Promise<{ name: string; cleanup: () => Promise<void> }> {
  const k = await kube();
  const name = `argocd-ts-test-${prefix}-${randomBytes(3).toString('hex')}`.slice(0, 63);
  await k.create(
    { group: '', version: 'v1', resource: 'namespaces' },
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
  );
  return {
    name,
    cleanup: async () => {
      try {
        await k.delete({ group: '', version: 'v1', resource: 'namespaces', name });
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
  };
}

/** Reads manifests/crds/*.yaml (except the kustomization). */
export function crdManifests(): KubeObject[] {
  const dir = join(repoRoot, 'manifests', 'crds');
  return readdirSync(dir)
    .filter((f) => f.endsWith('-crd.yaml'))
    .sort()
    .map((f) => parseYaml(readFileSync(join(dir, f), 'utf8')) as KubeObject);
}

/** Installs the CRDs with server-side apply and waits until each is Established. */
export async function installCrds(timeoutMs = 30_000): Promise<void> {
  const k = await kube();
  const crds = crdManifests();
  for (const crd of crds) await k.apply(crd, { fieldManager: 'argocd-ts-test', force: true });
  const deadline = Date.now() + timeoutMs;
  for (const crd of crds) {
    for (;;) {
      const live = await k.get<{ status?: { conditions?: { type: string; status: string }[] } }>({
        group: 'apiextensions.k8s.io',
        version: 'v1',
        resource: 'customresourcedefinitions',
        name: crd.metadata.name ?? '',
      });
      if (live.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'))
        break;
      if (Date.now() > deadline)
        throw new Error(`CRD ${crd.metadata.name ?? ''} not Established after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  k.invalidateDiscovery();
}
