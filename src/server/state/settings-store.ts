/**
 * The API server's view of its namespace: `argocd-cm`, `argocd-rbac-cm`, `argocd-secret`,
 * `argocd-server-tls`, the AppProjects, and the repository / credential-template / cluster Secrets
 * (labelled `argocd.argoproj.io/secret-type`). Three watches (ConfigMaps, Secrets, AppProjects in
 * the namespace) keep it current; every read is a synchronous snapshot, so authentication and RBAC
 * never wait for the API server. Derived values (parsed settings, decoded secret data) are computed
 * once per resourceVersion.
 */
import { EventEmitter } from 'node:events';
import {
  API_GROUP,
  API_VERSION,
  ConfigNames,
  Labels,
  Resources,
  decodeSecretData,
  parseArgoCdConfigMap,
  type AppProject,
  type ArgoCdSettings,
  type ConfigMap,
  type Secret,
  type SettingsProblem,
} from '../../apis/index.js';
import { isNotFound, type KubeClient, type KubeLog, type ResourceRef } from '../../kube/index.js';
import { ObjectCache } from './object-cache.js';

export const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' } as const;
export const SECRETS = { group: '', version: 'v1', resource: 'secrets' } as const;
export const APPPROJECTS = {
  group: API_GROUP,
  version: API_VERSION,
  resource: Resources.appprojects,
} as const;

/** What changed, for listeners (`store.on('change', (what) => ...)`). */
export type StoreChange =
  | 'argocd-cm'
  | 'argocd-rbac-cm'
  | 'argocd-secret'
  | 'argocd-server-tls'
  | 'projects'
  | 'credentials';

interface Memo<T> {
  key: string;
  value: T;
}

function versionKey(
  ...objs: readonly ({ metadata: { resourceVersion?: string } } | undefined)[]
): string {
  return objs.map((o) => (o ? (o.metadata.resourceVersion ?? '?') : '-')).join('/');
}

export interface SettingsStoreOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly log?: KubeLog;
}

/**
 * Watches the namespace and hands out snapshots. `start()` resolves once all three collections
 * have been listed; `stop()` ends the watches.
 */
export class SettingsStore extends EventEmitter<{ change: [StoreChange] }> {
  readonly namespace: string;
  readonly client: KubeClient;
  readonly configMaps: ObjectCache<ConfigMap>;
  readonly secrets: ObjectCache<Secret>;
  readonly projectCache: ObjectCache<AppProject & { apiVersion: string; kind: string }>;
  readonly #log: KubeLog | undefined;
  #settings: Memo<{ settings: ArgoCdSettings; problems: SettingsProblem[] }> | undefined;
  #secretData: Memo<Readonly<Record<string, string>>> | undefined;

  constructor(options: SettingsStoreOptions) {
    super();
    this.namespace = options.namespace;
    this.client = options.client;
    const ns = options.namespace;
    const log = options.log;
    this.#log = log;
    const common = { client: options.client, ...(log ? { log } : {}) };
    this.configMaps = new ObjectCache<ConfigMap>({
      ...common,
      resource: { ...CONFIGMAPS, namespace: ns },
      name: `configmaps in ${ns}`,
    });
    this.secrets = new ObjectCache<Secret>({
      ...common,
      resource: { ...SECRETS, namespace: ns },
      name: `secrets in ${ns}`,
    });
    this.projectCache = new ObjectCache({
      ...common,
      resource: { ...APPPROJECTS, namespace: ns },
      name: `appprojects in ${ns}`,
    });
    this.configMaps.onChange((_c, obj) => {
      const name = obj.metadata.name;
      if (name === ConfigNames.cm) this.emit('change', 'argocd-cm');
      else if (name === ConfigNames.rbacCm) this.emit('change', 'argocd-rbac-cm');
    });
    this.secrets.onChange((_c, obj, old) => {
      const name = obj.metadata.name;
      if (name === ConfigNames.secret) this.emit('change', 'argocd-secret');
      else if (name === ConfigNames.serverTls) this.emit('change', 'argocd-server-tls');
      if (
        obj.metadata.labels?.[Labels.secretType] !== undefined ||
        old?.metadata.labels?.[Labels.secretType] !== undefined
      )
        this.emit('change', 'credentials');
    });
    this.projectCache.onChange(() => {
      this.emit('change', 'projects');
    });
  }

  /** Starts the watches and resolves once each collection is listed (rejects on a failed first list). */
  async start(): Promise<void> {
    this.configMaps.start();
    this.secrets.start();
    this.projectCache.start();
    await Promise.all([
      this.configMaps.waitForSync(),
      this.secrets.waitForSync(),
      this.projectCache.waitForSync().catch((err: unknown) => {
        // without the CRD there are no projects yet; the watch keeps retrying and picks them up
        if (!isNotFound(err)) throw err;
        this.#log?.(
          'error',
          'the AppProject CRD is not served by the cluster: install manifests/crds; until then no project exists',
          { namespace: this.namespace },
        );
      }),
    ]);
  }

  async stop(): Promise<void> {
    await Promise.all([this.configMaps.stop(), this.secrets.stop(), this.projectCache.stop()]);
  }

  ref(kind: 'configmaps' | 'secrets' | 'appprojects', name?: string): ResourceRef {
    const base = kind === 'configmaps' ? CONFIGMAPS : kind === 'secrets' ? SECRETS : APPPROJECTS;
    return { ...base, namespace: this.namespace, ...(name !== undefined ? { name } : {}) };
  }

  argocdCm(): ConfigMap | undefined {
    return this.configMaps.get(ConfigNames.cm);
  }

  rbacCm(): ConfigMap | undefined {
    return this.configMaps.get(ConfigNames.rbacCm);
  }

  argocdSecret(): Secret | undefined {
    return this.secrets.get(ConfigNames.secret);
  }

  serverTlsSecret(): Secret | undefined {
    return this.secrets.get(ConfigNames.serverTls);
  }

  /** `argocd-cm` parsed (defaults for missing keys; problems name the bad keys). */
  parsedSettings(): { settings: ArgoCdSettings; problems: SettingsProblem[] } {
    const cm = this.argocdCm();
    const key = versionKey(cm);
    if (this.#settings?.key !== key) {
      this.#settings = { key, value: parseArgoCdConfigMap(cm?.data) };
    }
    return this.#settings.value;
  }

  settings(): ArgoCdSettings {
    return this.parsedSettings().settings;
  }

  /** The decoded values of `argocd-secret` (empty when it does not exist). Never send these. */
  secretData(): Readonly<Record<string, string>> {
    const s = this.argocdSecret();
    const key = versionKey(s);
    if (this.#secretData?.key !== key) {
      this.#secretData = { key, value: Object.freeze(s ? decodeSecretData(s) : {}) };
    }
    return this.#secretData.value;
  }

  project(name: string): AppProject | undefined {
    return this.projectCache.get(name);
  }

  projects(): AppProject[] {
    return this.projectCache.list();
  }

  /** Secrets labelled `argocd.argoproj.io/secret-type=<type>`, sorted by name. */
  secretsOfType(type: string): Secret[] {
    return this.secrets
      .list()
      .filter((s) => s.metadata.labels?.[Labels.secretType] === type)
      .sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
  }
}
