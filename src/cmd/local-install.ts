/**
 * What `npm start` installs in the cluster before it starts the components, each only when
 * missing (a second start reuses everything, and never overwrites a setting someone changed):
 *
 * - the namespace and the `argoproj.io` CRDs (server-side applied, waited for until Established);
 * - `argocd-cm` with `url` (kept in step with the local server's address while it is a loopback
 *   URL), the admin account on, anonymous access, exec and status badges off, and the data
 *   directory's `installationID` (kept in `<data-dir>/installation-id`): two instances on one cluster
 *   with an app of the same name then never touch each other's objects;
 * - `argocd-rbac-cm` with `policy.default: ''` (deny by default) and the demo group's role;
 * - `argocd-cmd-params-cm` with the defaults written out (edit and restart to change them);
 * - `argocd-tls-certs-cm`, `argocd-ssh-known-hosts-cm` (empty);
 * - the `default` AppProject (what Argo CD's API server creates at first start).
 *
 * `argocd-secret` (server key, admin password) is left to argocd-server's own initial setup.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  API_GROUP,
  API_VERSION,
  buildCrds,
  ConfigNames,
  DEFAULT_PROJECT,
  Labels,
  type KubeObject,
} from '../apis/index.js';
import { isAlreadyExists, isNotFound, type KubeClient } from '../kube/index.js';
import { LocalError } from './local-processes.js';

const NAMESPACES = { group: '', version: 'v1', resource: 'namespaces' } as const;
const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' } as const;
const PROJECTS = { group: API_GROUP, version: API_VERSION, resource: 'appprojects' } as const;
const CRDS = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  resource: 'customresourcedefinitions',
} as const;

/** The field manager of everything `npm start` writes. */
export const LOCAL_FIELD_MANAGER = 'argocd-ts-local';

/** The group of the SSO demo user, and the role it is bound to. */
export const DEMO_GROUP = 'argocd-ts-demo-developers';
export const DEMO_ROLE = 'role:demo-developer';

/**
 * `argocd-rbac-cm` as first written. `policy.default` is empty, not `role:readonly`: every
 * authenticated identity without a grant (an SSO user of any connector added later, a local
 * account) gets nothing rather than read access to every application, project, repository and
 * cluster. The demo group gets what the demo needs: read and sync the `default` project's apps.
 */
export function defaultRbacConfigMapData(): Record<string, string> {
  return {
    'policy.default': '',
    'policy.csv': [
      '# The SSO demo user of npm start (group argocd-ts-demo-developers) may read and sync the',
      "# applications of the default project. Everyone else needs a grant: policy.default is ''.",
      `p, ${DEMO_ROLE}, applications, get, ${DEFAULT_PROJECT}/*, allow`,
      `p, ${DEMO_ROLE}, applications, sync, ${DEFAULT_PROJECT}/*, allow`,
      `p, ${DEMO_ROLE}, projects, get, ${DEFAULT_PROJECT}, allow`,
      `g, ${DEMO_GROUP}, ${DEMO_ROLE}`,
      '',
    ].join('\n'),
    scopes: '[groups]',
  };
}

/** `argocd-cmd-params-cm` as first written: Argo CD's defaults, spelled out to invite edits. */
export function defaultCmdParamsData(): Record<string, string> {
  return {
    'server.log.level': 'info',
    'server.log.format': 'text',
    'server.k8s.event': 'all',
    'reposerver.log.level': 'info',
    'reposerver.parallelism.limit': '0',
    'reposerver.allow.oob.symlinks': 'false',
    'controller.log.level': 'info',
    'controller.log.format': 'text',
    'controller.status.processors': '20',
    'controller.operation.processors': '10',
    'dexserver.log.level': 'info',
    'dexserver.log.format': 'text',
  };
}

/** The file in the data directory that holds its installation id. */
export const INSTALLATION_ID_FILE = 'installation-id';

/**
 * The data directory's installation id (argocd-cm `installationID`): read from
 * `<dataDir>/installation-id`, created there (`argocd-ts-<16 hex>`) on first use.
 */
export async function dataDirInstallationId(dataDir: string): Promise<string> {
  const path = join(dataDir, INSTALLATION_ID_FILE);
  try {
    const id = (await readFile(path, 'utf8')).trim();
    if (/^[A-Za-z0-9._-]{1,63}$/.test(id)) return id;
    throw new LocalError(
      'ERR_LOCAL_SETUP',
      `failed to read the installation id: ${path} holds no valid id (letters, digits, . _ -); fix or delete it`,
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const id = `argocd-ts-${randomBytes(8).toString('hex')}`;
  await mkdir(dataDir, { recursive: true });
  await writeFile(path, `${id}\n`, { mode: 0o644, flag: 'wx' }).catch((err: unknown) => {
    // another start created it meanwhile: use that one
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  });
  return (await readFile(path, 'utf8')).trim();
}

/** `argocd-cm` as first written (`url` is the local server's). */
export function defaultArgocdCmData(url: string, installationId?: string): Record<string, string> {
  return {
    url,
    ...(installationId !== undefined ? { installationID: installationId } : {}),
    'admin.enabled': 'true',
    'users.anonymous.enabled': 'false',
    'exec.enabled': 'false',
    'statusbadge.enabled': 'false',
  };
}

/** True for `https://127.0.0.1:<port>` / `https://localhost:<port>` (ours to keep in step). */
export function isLoopbackUrl(url: string | undefined): boolean {
  if (url === undefined || url === '') return true;
  try {
    const u = new URL(url);
    return u.hostname === '127.0.0.1' || u.hostname === 'localhost' || u.hostname === '[::1]';
  } catch {
    return false;
  }
}

function configMap(name: string, namespace: string, data: Record<string, string>): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels: { [Labels.partOf]: 'argocd' } },
    data,
  };
}

/** Creates the object unless it exists; returns true when it was created. */
async function createIfAbsent(
  k: KubeClient,
  ref: { group: string; version: string; resource: string; namespace?: string },
  obj: KubeObject,
): Promise<boolean> {
  try {
    await k.create(ref, obj, { fieldManager: LOCAL_FIELD_MANAGER });
    return true;
  } catch (err) {
    if (isAlreadyExists(err)) return false;
    throw err;
  }
}

/** Reads a ConfigMap's data (undefined when the ConfigMap does not exist). */
export async function readConfigMapData(
  k: KubeClient,
  namespace: string,
  name: string,
): Promise<Record<string, string> | undefined> {
  try {
    const cm = await k.get<KubeObject & { data?: Record<string, string> }>({
      ...CONFIGMAPS,
      namespace,
      name,
    });
    return cm.data ?? {};
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Merge-patches keys of a ConfigMap (creating it when absent). */
export async function patchConfigMap(
  k: KubeClient,
  namespace: string,
  name: string,
  data: Record<string, string>,
): Promise<void> {
  if (!(await createIfAbsent(k, { ...CONFIGMAPS, namespace }, configMap(name, namespace, data))))
    await k.patch(
      { ...CONFIGMAPS, namespace, name },
      { data },
      { fieldManager: LOCAL_FIELD_MANAGER },
    );
}

/** Annotation holding the SHA-256 of the CRD as `npm start` last applied it. */
export const CRD_HASH_ANNOTATION = 'argocd-ts/crd-sha256';

/**
 * The argoproj.io CRDs, built from src/apis (the same objects scripts/gen-crds.ts writes to
 * manifests/crds; `--check` keeps the two equal), each annotated with its own hash.
 */
export function crdManifests(): KubeObject[] {
  return buildCrds().map(({ crd }) => {
    const obj = crd as unknown as KubeObject;
    const hash = createHash('sha256').update(JSON.stringify(obj)).digest('hex');
    return {
      ...obj,
      metadata: {
        ...obj.metadata,
        annotations: { ...(obj.metadata.annotations ?? {}), [CRD_HASH_ANNOTATION]: hash },
      },
    };
  });
}

/** Ensures a namespace exists. */
export async function ensureNamespace(k: KubeClient, name: string): Promise<void> {
  await createIfAbsent(k, NAMESPACES, {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name },
  });
}

type LiveCrd = KubeObject & { status?: { conditions?: { type: string; status: string }[] } };

function established(crd: LiveCrd | undefined): boolean {
  return (
    crd?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') === true
  );
}

/**
 * Applies the CRDs that are missing or differ from ours (server-side apply), and waits until each
 * is Established. Unchanged CRDs cost one GET each: applying a large CRD again is slow.
 */
async function installCrds(k: KubeClient, timeoutMs: number): Promise<void> {
  const get = async (name: string): Promise<LiveCrd | undefined> => {
    try {
      return await k.get<LiveCrd>({ ...CRDS, name });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  const changed = await Promise.all(
    crdManifests().map(async (crd) => {
      const name = crd.metadata.name ?? '';
      const live = await get(name);
      const wanted = crd.metadata.annotations?.[CRD_HASH_ANNOTATION];
      if (live?.metadata.annotations?.[CRD_HASH_ANNOTATION] === wanted && established(live))
        return undefined;
      await k.apply(crd, {
        fieldManager: LOCAL_FIELD_MANAGER,
        force: true,
        ref: { ...CRDS, name },
      });
      return name;
    }),
  );
  const deadline = Date.now() + timeoutMs;
  for (const name of changed) {
    if (name === undefined) continue;
    while (!established(await get(name))) {
      if (Date.now() > deadline)
        throw new LocalError(
          'ERR_LOCAL_SETUP',
          `failed to install the CRDs: ${name} is not Established after ${Math.round(timeoutMs / 1000)} s`,
        );
      await sleep(50);
    }
  }
  if (changed.some((n) => n !== undefined)) k.invalidateDiscovery();
}

export interface InstallOptions {
  readonly namespace: string;
  /** argocd-server's URL (argocd-cm `url`) */
  readonly serverUrl: string;
  readonly timeoutMs: number;
  readonly log: (line: string) => void;
  /** argocd-cm `installationID` written when argocd-cm is created (see `dataDirInstallationId`) */
  readonly installationId?: string;
}

/** Installs (or checks) everything in the module comment. */
export async function installBase(k: KubeClient, o: InstallOptions): Promise<void> {
  const ns = o.namespace;
  await Promise.all([ensureNamespace(k, ns), installCrds(k, o.timeoutMs)]);
  const cm = await readConfigMapData(k, ns, ConfigNames.cm);
  if (cm === undefined) {
    await patchConfigMap(k, ns, ConfigNames.cm, defaultArgocdCmData(o.serverUrl, o.installationId));
  } else if (cm.url !== o.serverUrl) {
    if (isLoopbackUrl(cm.url)) await patchConfigMap(k, ns, ConfigNames.cm, { url: o.serverUrl });
    else
      o.log(
        `argocd-cm url is ${cm.url ?? ''}, not this server's ${o.serverUrl}: kept (SSO redirects go there)`,
      );
  }
  await Promise.all([
    createIfAbsent(
      k,
      { ...CONFIGMAPS, namespace: ns },
      configMap(ConfigNames.rbacCm, ns, defaultRbacConfigMapData()),
    ),
    createIfAbsent(
      k,
      { ...CONFIGMAPS, namespace: ns },
      configMap(ConfigNames.cmdParamsCm, ns, defaultCmdParamsData()),
    ),
    createIfAbsent(k, { ...CONFIGMAPS, namespace: ns }, configMap(ConfigNames.tlsCertsCm, ns, {})),
    createIfAbsent(
      k,
      { ...CONFIGMAPS, namespace: ns },
      configMap(ConfigNames.sshKnownHostsCm, ns, {}),
    ),
    createIfAbsent(
      k,
      { ...PROJECTS, namespace: ns },
      {
        apiVersion: `${API_GROUP}/${API_VERSION}`,
        kind: 'AppProject',
        metadata: { name: DEFAULT_PROJECT, namespace: ns },
        spec: {
          sourceRepos: ['*'],
          destinations: [{ server: '*', namespace: '*' }],
          clusterResourceWhitelist: [{ group: '*', kind: '*' }],
        },
      },
    ),
  ]);
}
