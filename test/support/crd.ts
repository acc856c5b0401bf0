/**
 * Throw-away CustomResourceDefinitions for integration tests: a namespaced `Widget` kind in a
 * random group (so concurrent tests never share one), created and deleted with waits until the
 * API server serves (or stops serving) it.
 */
import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../../src/apis/index.js';
import { isNotFound, type KubeClient } from '../../src/kube/index.js';

const crds = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  resource: 'customresourcedefinitions',
};

export interface TestCrd {
  readonly group: string;
  readonly version: 'v1';
  readonly kind: 'Widget';
  readonly resource: 'widgets';
  readonly name: string;
  readonly manifest: KubeObject;
}

/** A fresh Widget CRD definition in a random group (not created yet). */
export function widgetCrd(): TestCrd {
  const group = `g${randomBytes(4).toString('hex')}.kubetest.argocd-ts.io`;
  const name = `widgets.${group}`;
  return {
    group,
    version: 'v1',
    kind: 'Widget',
    resource: 'widgets',
    name,
    manifest: {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name },
      spec: {
        group,
        scope: 'Namespaced',
        names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
        ],
      },
    },
  };
}

async function until(
  what: string,
  cond: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Creates the CRD and waits until its resource can be listed. */
export async function createCrd(k: KubeClient, crd: TestCrd): Promise<void> {
  await k.apply(crd.manifest, { fieldManager: 'argocd-ts-test' });
  await until(`${crd.name} is served`, async () => {
    try {
      await k.list({ group: crd.group, version: crd.version, resource: crd.resource });
      return true;
    } catch {
      return false;
    }
  });
}

/** Deletes the CRD and waits until it is gone. */
export async function deleteCrd(k: KubeClient, crd: TestCrd): Promise<void> {
  try {
    await k.delete({ ...crds, name: crd.name });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  await until(`${crd.name} is deleted`, async () => {
    try {
      await k.get({ ...crds, name: crd.name });
      return false;
    } catch (err) {
      if (isNotFound(err)) return true;
      throw err;
    }
  });
}

/** Polls `cond` every 50 ms until it holds; fails after `timeoutMs` with `what`. */
export async function waitFor(
  what: string,
  cond: () => boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
