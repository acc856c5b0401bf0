/**
 * argocd-dex-server's Kubernetes adapters: reading its settings from `argocd-cm` and
 * `argocd-secret` (plus Secrets that `dex.config` references as `$name:key`), watching them, and
 * the `KeyStore` that persists signing keys in a Secret (`argocd-dex-server-keys` by default) with
 * optimistic concurrency on its resourceVersion.
 */
import {
  ConfigNames,
  Labels,
  decodeSecretData,
  parseArgoCdConfigMap,
  type ConfigMap,
  type Secret,
} from '../apis/index.js';
import {
  isAlreadyExists,
  isConflict,
  isGone,
  isNotFound,
  type KubeClient,
  type ResourceRef,
} from '../kube/index.js';
import { errorMessage } from '../lib/index.js';
import {
  KEYS_SECRET_KEY,
  OidcError,
  decodeKeySet,
  encodeKeySet,
  parseDexConfig,
  secretReferences,
  type DexServerSettings,
  type KeySet,
  type KeyStore,
  type OidcLogger,
  type StoredKeySet,
} from '../oidc/index.js';

const CONFIGMAPS = { group: '', version: 'v1', resource: 'configmaps' } as const;
const SECRETS = { group: '', version: 'v1', resource: 'secrets' } as const;

async function getOrUndefined<T>(
  kube: KubeClient,
  ref: ResourceRef & { name: string },
): Promise<T | undefined> {
  try {
    return await kube.get<T>(ref);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export interface LoadedSettings {
  readonly settings: DexServerSettings;
  readonly warnings: readonly string[];
  /** Secrets whose change must trigger a reload */
  readonly secretNames: ReadonlySet<string>;
}

/**
 * Reads argocd-cm, argocd-secret and referenced Secrets into provider settings. Throws OidcError
 * `ERR_OIDC_CONFIG` with what to fix when `url` is missing or dex.config is invalid.
 */
export async function readDexSettings(
  kube: KubeClient,
  namespace: string,
): Promise<LoadedSettings> {
  const cm = await getOrUndefined<ConfigMap>(kube, {
    ...CONFIGMAPS,
    namespace,
    name: ConfigNames.cm,
  });
  const secret = await getOrUndefined<Secret>(kube, {
    ...SECRETS,
    namespace,
    name: ConfigNames.secret,
  });
  const secretData = secret === undefined ? {} : decodeSecretData(secret);
  const { settings, problems } = parseArgoCdConfigMap(cm?.data);
  const warnings = problems
    .filter((p) => p.key === 'url' || p.key === 'additionalUrls')
    .map((p) => `argocd-cm ${p.key}: ${p.message}`);
  if (settings.url === undefined)
    throw new OidcError(
      'ERR_OIDC_CONFIG',
      `failed to read settings: ${ConfigNames.cm} in namespace ${namespace} has no "url": set it to the external URL of Argo CD (for example https://argocd.example.com); the issuer of argocd-dex-server is <url>/api/dex`,
    );

  const secretNames = new Set<string>([ConfigNames.secret]);
  const other = new Map<string, Record<string, string>>();
  for (const ref of secretReferences(settings.dexConfig)) {
    const colon = ref.indexOf(':');
    if (colon <= 0) continue;
    const name = ref.slice(0, colon);
    secretNames.add(name);
    if (other.has(name)) continue;
    const s = await getOrUndefined<Secret>(kube, { ...SECRETS, namespace, name });
    // as in Argo CD, only Secrets that belong to Argo CD may be referenced
    if (s?.metadata.labels?.[Labels.partOf] === 'argocd') other.set(name, decodeSecretData(s));
    else if (s !== undefined)
      warnings.push(
        `Secret ${name} is referenced by dex.config but not labelled ${Labels.partOf}: argocd, so it is not read`,
      );
  }
  const lookup = (ref: string): string | undefined => {
    const colon = ref.indexOf(':');
    if (colon < 0) return secretData[ref];
    return other.get(ref.slice(0, colon))?.[ref.slice(colon + 1)];
  };
  const dex = parseDexConfig(settings.dexConfig, lookup);
  const connectorId = cm?.data?.['dex.auth.connectorId']?.trim();
  return {
    settings: {
      url: settings.url,
      additionalUrls: settings.additionalUrls,
      serverSecretKey: secretData['server.secretkey'],
      dex: dex.config,
      ...(connectorId ? { defaultConnectorId: connectorId } : {}),
    },
    warnings: [...warnings, ...dex.warnings.map((w) => `dex.config ${w}`)],
    secretNames,
  };
}

/** Signing keys in a Secret (`keys.json`), written with resourceVersion preconditions. */
export class SecretKeyStore implements KeyStore {
  private readonly kube: KubeClient;
  private readonly namespace: string;
  private readonly name: string;

  constructor(kube: KubeClient, namespace: string, name: string) {
    this.kube = kube;
    this.namespace = namespace;
    this.name = name;
  }

  private ref(): ResourceRef & { name: string } {
    return { ...SECRETS, namespace: this.namespace, name: this.name };
  }

  async load(): Promise<StoredKeySet | undefined> {
    const secret = await getOrUndefined<Secret>(this.kube, this.ref());
    const text = secret === undefined ? undefined : decodeSecretData(secret)[KEYS_SECRET_KEY];
    if (secret === undefined || text === undefined) return undefined;
    return { keySet: decodeKeySet(text), version: secret.metadata.resourceVersion ?? '' };
  }

  async save(keySet: KeySet, expectedVersion: string | undefined): Promise<string> {
    const body: Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels: { [Labels.partOf]: 'argocd', 'app.kubernetes.io/component': 'dex-server' },
      },
      data: { [KEYS_SECRET_KEY]: Buffer.from(encodeKeySet(keySet)).toString('base64') },
    };
    const conflict = (err: unknown): OidcError =>
      new OidcError(
        'ERR_OIDC_KEYS_CONFLICT',
        `failed to save signing keys: Secret ${this.name} changed meanwhile`,
        { cause: err },
      );
    try {
      if (expectedVersion === undefined) {
        try {
          const created = await this.kube.create<Secret>(
            { ...SECRETS, namespace: this.namespace },
            body,
          );
          return created.metadata.resourceVersion ?? '';
        } catch (err) {
          if (!isAlreadyExists(err)) throw err;
          // an existing Secret without keys (created by an operator): take it over
          const existing = await getOrUndefined<Secret>(this.kube, this.ref());
          if (existing === undefined || decodeSecretData(existing)[KEYS_SECRET_KEY] !== undefined)
            throw conflict(err);
          expectedVersion = existing.metadata.resourceVersion ?? '';
        }
      }
      const replaced = await this.kube.replace<Secret>(this.ref(), {
        ...body,
        metadata: { ...body.metadata, resourceVersion: expectedVersion },
      });
      return replaced.metadata.resourceVersion ?? '';
    } catch (err) {
      if (err instanceof OidcError) throw err;
      if (isConflict(err) || isNotFound(err)) throw conflict(err);
      throw new OidcError(
        'ERR_OIDC_KEYS',
        `failed to save signing keys in Secret ${this.namespace}/${this.name}: ${errorMessage(err)}`,
        { cause: err },
      );
    }
  }
}

export interface WatchTarget {
  readonly ref: ResourceRef;
  readonly fieldSelector?: string;
}

/**
 * Watches a collection until `signal` aborts, relisting after 410 Gone and backing off after
 * errors; calls `onChange(name)` for every added/modified/deleted object and after each relist.
 */
export async function watchCollection(
  kube: KubeClient,
  target: WatchTarget,
  onChange: (name: string | undefined) => void,
  signal: AbortSignal,
  log: OidcLogger,
): Promise<void> {
  let rv: string | undefined;
  let backoffMs = 500;
  const sel = target.fieldSelector === undefined ? {} : { fieldSelector: target.fieldSelector };
  // a function, so the type checker does not assume the flag cannot change between reads
  const stopped = (): boolean => signal.aborted;
  while (!stopped()) {
    try {
      if (rv === undefined) {
        const list = await kube.list(target.ref, sel);
        rv = list.metadata.resourceVersion;
        onChange(undefined);
      }
      rv = await kube.watch(
        target.ref,
        {
          ...sel,
          ...(rv === undefined ? {} : { resourceVersion: rv }),
          signal,
          timeoutSeconds: 300,
        },
        (ev) => {
          if (ev.type !== 'BOOKMARK') onChange(ev.object.metadata.name);
        },
      );
      backoffMs = 500;
    } catch (err) {
      if (stopped()) return;
      if (isGone(err)) {
        rv = undefined;
        continue;
      }
      log.warn(
        { resource: target.ref.resource, err: errorMessage(err), retryInMs: backoffMs },
        'watch failed',
      );
      await new Promise((r) => setTimeout(r, backoffMs).unref());
      backoffMs = Math.min(backoffMs * 2, 30_000);
    }
  }
}
