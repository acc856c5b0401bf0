/**
 * Changes to live objects, as the sync engine asks for them (≈ gitops-engine `kube.ResourceOperations`):
 * server-side apply with field manager `argocd-controller` (also as a server-side dry run before a
 * sync), replace (sync option `Replace=true`), create (hooks with `generateName`), delete with a
 * propagation policy (prune). Each call returns a per-resource result with a kubectl-style message
 * instead of throwing, so one bad manifest never hides the others; `applyAll`/`deleteAll` run with
 * bounded concurrency (Argo CD's `--kubectl-parallelism-limit`, 20).
 *
 * Scope comes from discovery: a namespaced object without a namespace gets the destination
 * namespace, a cluster-scoped one loses any namespace it carries; a kind the server does not serve
 * (missing CRD) is a failed result naming the kind.
 */
import type { KubeObject } from '../apis/index.js';
import { errorMessage, isRecord } from '../lib/index.js';
import type { KubeClient, ResourceRef } from './client.js';
import type { ApiResourceInfo } from './discovery.js';
import { KubeApiError, isNotFound } from './errors.js';
import { describeResource, type ResourceKey } from './resource-key.js';
import { withSsaDefaults } from './ssa-defaults.js';

export const DEFAULT_FIELD_MANAGER = 'argocd-controller';
export const DEFAULT_CONCURRENCY = 20;

export type ResourceOperation = 'apply' | 'create' | 'replace' | 'delete';

export interface ResourceResult {
  readonly key: ResourceKey;
  readonly operation: ResourceOperation;
  readonly ok: boolean;
  readonly dryRun: boolean;
  /** kubectl style: `deployment.apps/web serverside-applied (server dry run)`, or what failed */
  readonly message: string;
  /** what the server returned (the applied, created, replaced or dry-run object) */
  readonly object?: KubeObject;
  /** `ERR_...` code of a failure (KubeApiError codes, or `ERR_KUBE_INVALID_OBJECT`) */
  readonly code?: string;
  /** HTTP status of a failure (0 when the server was not reached) */
  readonly status?: number;
}

export interface ApplyOptions {
  readonly dryRun?: boolean;
  /** take over fields owned by other managers (default true, as Argo CD's server-side apply) */
  readonly force?: boolean;
  readonly fieldManager?: string;
  /** the destination namespace, for namespaced objects that name none */
  readonly namespace?: string;
  readonly signal?: AbortSignal;
}

export interface DeleteOptions {
  /** default `Foreground` (Argo CD's prune default) */
  readonly propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  readonly dryRun?: boolean;
  readonly gracePeriodSeconds?: number;
  /** delete only if the live object still has this UID */
  readonly uid?: string;
}

export interface KubeApplierOptions {
  readonly fieldManager?: string;
  /** concurrent requests of applyAll/deleteAll (default 20) */
  readonly concurrency?: number;
}

/** What to delete: a key (preferred version is used unless `version` is given) or an object. */
export type DeleteTarget = (ResourceKey & { readonly version?: string }) | KubeObject;

function isKubeObject(t: DeleteTarget): t is KubeObject {
  return 'metadata' in t && isRecord(t.metadata);
}

/** `configmap` or `deployment.apps`, as kubectl names resources in messages. */
function kubectlName(group: string, kind: string): string {
  const k = kind.toLowerCase();
  return group === '' ? k : `${k}.${group}`;
}

function suffix(dryRun: boolean): string {
  return dryRun ? ' (server dry run)' : '';
}

async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** Applies, creates, replaces and deletes live objects through one KubeClient. */
export class KubeApplier {
  private readonly client: KubeClient;
  private readonly fieldManager: string;
  private readonly concurrency: number;

  constructor(client: KubeClient, options: KubeApplierOptions = {}) {
    this.client = client;
    this.fieldManager = options.fieldManager ?? DEFAULT_FIELD_MANAGER;
    this.concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  }

  /** Server-side apply (or its dry run) of one object. */
  async apply(obj: KubeObject, opts: ApplyOptions = {}): Promise<ResourceResult> {
    const dryRun = opts.dryRun === true;
    const prepared = await this.prepare(obj, opts.namespace, 'apply', dryRun);
    if ('result' in prepared) return prepared.result;
    const { ref, key, info } = prepared;
    const target = withSsaDefaults(prepared.target);
    try {
      const { object, created } = await this.client.applyWithStatus(target, {
        fieldManager: opts.fieldManager ?? this.fieldManager,
        force: opts.force !== false,
        dryRun,
        ref,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      const verb = created ? 'created' : 'serverside-applied';
      return {
        key,
        operation: 'apply',
        ok: true,
        dryRun,
        message: `${kubectlName(info.group, info.kind)}/${key.name} ${verb}${suffix(dryRun)}`,
        object,
      };
    } catch (err) {
      return this.failure(key, 'apply', dryRun, err);
    }
  }

  /** Applies many objects with bounded concurrency; results in input order. */
  async applyAll(objs: readonly KubeObject[], opts: ApplyOptions = {}): Promise<ResourceResult[]> {
    return mapLimit(objs, this.concurrency, (o) => this.apply(o, opts));
  }

  /** Creates an object (`generateName` allowed: the result names the object created). */
  async create(obj: KubeObject, opts: ApplyOptions = {}): Promise<ResourceResult> {
    const dryRun = opts.dryRun === true;
    const prepared = await this.prepare(obj, opts.namespace, 'create', dryRun);
    if ('result' in prepared) return prepared.result;
    const { target, ref, key, info } = prepared;
    try {
      const created = await this.client.create(ref, target, {
        dryRun,
        fieldManager: opts.fieldManager ?? this.fieldManager,
      });
      const name = created.metadata.name ?? key.name;
      return {
        key: { ...key, name },
        operation: 'create',
        ok: true,
        dryRun,
        message: `${kubectlName(info.group, info.kind)}/${name} created${suffix(dryRun)}`,
        object: created,
      };
    } catch (err) {
      return this.failure(key, 'create', dryRun, err);
    }
  }

  /**
   * Replaces an object with PUT (sync option `Replace=true`); creates it when absent. The live
   * resourceVersion is used when the object carries none.
   */
  async replace(obj: KubeObject, opts: ApplyOptions = {}): Promise<ResourceResult> {
    const dryRun = opts.dryRun === true;
    const prepared = await this.prepare(obj, opts.namespace, 'replace', dryRun);
    if ('result' in prepared) return prepared.result;
    const { target, ref, key, info } = prepared;
    const named = { ...ref, name: key.name };
    try {
      let body = target;
      if (target.metadata.resourceVersion === undefined) {
        let live: KubeObject | undefined;
        try {
          live = await this.client.get(named);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
        if (!live) return await this.create(target, opts);
        const rv = live.metadata.resourceVersion;
        body = {
          ...target,
          metadata: { ...target.metadata, ...(rv !== undefined ? { resourceVersion: rv } : {}) },
        };
      }
      const replaced = await this.client.replace(named, body, {
        dryRun,
        fieldManager: opts.fieldManager ?? this.fieldManager,
      });
      return {
        key,
        operation: 'replace',
        ok: true,
        dryRun,
        message: `${kubectlName(info.group, info.kind)}/${key.name} replaced${suffix(dryRun)}`,
        object: replaced,
      };
    } catch (err) {
      return this.failure(key, 'replace', dryRun, err);
    }
  }

  /** Deletes an object; one already gone counts as success. */
  async delete(target: DeleteTarget, opts: DeleteOptions = {}): Promise<ResourceResult> {
    const dryRun = opts.dryRun === true;
    let key: ResourceKey;
    let info: ApiResourceInfo | undefined;
    try {
      if (isKubeObject(target)) {
        info = await this.client.resourceFor(target.apiVersion, target.kind);
        key = {
          group: info.group,
          kind: info.kind,
          namespace: info.namespaced ? (target.metadata.namespace ?? '') : '',
          name: target.metadata.name ?? '',
        };
      } else {
        key = target;
        const resources = await this.client.apiResources();
        info =
          target.version !== undefined
            ? resources.get(target.group, target.version, target.kind)
            : resources.preferred(target.group, target.kind);
        if (!info) {
          const apiVersion =
            target.group === ''
              ? (target.version ?? 'v1')
              : `${target.group}/${target.version ?? 'v1'}`;
          info = await this.client.resourceFor(apiVersion, target.kind);
        }
      }
    } catch (err) {
      const k = isKubeObject(target)
        ? {
            group: target.apiVersion.includes('/') ? (target.apiVersion.split('/')[0] ?? '') : '',
            kind: target.kind,
            namespace: target.metadata.namespace ?? '',
            name: target.metadata.name ?? '',
          }
        : target;
      return this.failure(k, 'delete', dryRun, err);
    }
    if (key.name === '')
      return this.invalid(key, 'delete', dryRun, 'the object has no metadata.name');
    if (info.namespaced && key.namespace === '')
      return this.invalid(
        key,
        'delete',
        dryRun,
        `${info.kind} is namespaced but no namespace was given`,
      );
    const ref: ResourceRef & { name: string } = {
      group: info.group,
      version: info.version,
      resource: info.resource,
      name: key.name,
      ...(info.namespaced ? { namespace: key.namespace } : {}),
    };
    const name = `${kubectlName(info.group, info.kind)}/${key.name}`;
    try {
      await this.client.delete(ref, {
        propagationPolicy: opts.propagationPolicy ?? 'Foreground',
        dryRun,
        ...(opts.gracePeriodSeconds !== undefined
          ? { gracePeriodSeconds: opts.gracePeriodSeconds }
          : {}),
        ...(opts.uid !== undefined ? { preconditions: { uid: opts.uid } } : {}),
      });
      return {
        key,
        operation: 'delete',
        ok: true,
        dryRun,
        message: `${name} deleted${suffix(dryRun)}`,
      };
    } catch (err) {
      if (isNotFound(err))
        return {
          key,
          operation: 'delete',
          ok: true,
          dryRun,
          message: `${name} already deleted${suffix(dryRun)}`,
        };
      return this.failure(key, 'delete', dryRun, err);
    }
  }

  /** Deletes many objects with bounded concurrency; results in input order. */
  async deleteAll(
    targets: readonly DeleteTarget[],
    opts: DeleteOptions = {},
  ): Promise<ResourceResult[]> {
    return mapLimit(targets, this.concurrency, (t) => this.delete(t, opts));
  }

  /**
   * Validates an object and resolves its resource by discovery; sets or clears the namespace by
   * scope. Never mutates the caller's object.
   */
  private async prepare(
    obj: KubeObject,
    namespace: string | undefined,
    operation: ResourceOperation,
    dryRun: boolean,
  ): Promise<
    | {
        target: KubeObject;
        ref: ResourceRef & { name: string };
        key: ResourceKey;
        info: ApiResourceInfo;
      }
    | { result: ResourceResult }
  > {
    const raw: unknown = obj;
    const meta = isRecord(raw) && isRecord(raw.metadata) ? raw.metadata : undefined;
    const name = typeof meta?.name === 'string' ? meta.name : '';
    const generateName = typeof meta?.generateName === 'string' ? meta.generateName : '';
    const apiVersion = isRecord(raw) && typeof raw.apiVersion === 'string' ? raw.apiVersion : '';
    const kind = isRecord(raw) && typeof raw.kind === 'string' ? raw.kind : '';
    const objNs = typeof meta?.namespace === 'string' ? meta.namespace : '';
    const slash = apiVersion.indexOf('/');
    const key0: ResourceKey = {
      group: slash < 0 ? '' : apiVersion.slice(0, slash),
      kind,
      namespace: objNs,
      name: name || generateName,
    };
    if (!meta || apiVersion === '' || kind === '')
      return {
        result: this.invalid(
          key0,
          operation,
          dryRun,
          'the object needs apiVersion, kind and metadata',
        ),
      };
    if (name === '' && !(operation === 'create' && generateName !== ''))
      return {
        result: this.invalid(
          key0,
          operation,
          dryRun,
          operation === 'create'
            ? 'the object needs metadata.name or metadata.generateName'
            : 'the object needs metadata.name',
        ),
      };
    let info: ApiResourceInfo;
    try {
      info = await this.client.resourceFor(apiVersion, kind);
    } catch (err) {
      return { result: this.failure(key0, operation, dryRun, err) };
    }
    let ns = '';
    if (info.namespaced) {
      ns = objNs !== '' ? objNs : (namespace ?? '');
      if (ns === '')
        return {
          result: this.invalid(
            key0,
            operation,
            dryRun,
            `${kind} is namespaced but neither the object nor the destination names a namespace`,
          ),
        };
    }
    const metadata = { ...obj.metadata };
    if (info.namespaced) metadata.namespace = ns;
    else delete metadata.namespace;
    const target: KubeObject = { ...obj, metadata };
    const key: ResourceKey = { group: info.group, kind: info.kind, namespace: ns, name: key0.name };
    const ref: ResourceRef & { name: string } = {
      group: info.group,
      version: info.version,
      resource: info.resource,
      name,
      ...(info.namespaced ? { namespace: ns } : {}),
    };
    return { target, ref, key, info };
  }

  private invalid(
    key: ResourceKey,
    operation: ResourceOperation,
    dryRun: boolean,
    why: string,
  ): ResourceResult {
    return {
      key,
      operation,
      ok: false,
      dryRun,
      message: `failed to ${operation} ${describeResource(key)}: ${why}`,
      code: 'ERR_KUBE_INVALID_OBJECT',
      status: 0,
    };
  }

  private failure(
    key: ResourceKey,
    operation: ResourceOperation,
    dryRun: boolean,
    err: unknown,
  ): ResourceResult {
    if (err instanceof Error && err.name === 'AbortError') throw err;
    const status = err instanceof KubeApiError ? err.status : 0;
    const code = err instanceof KubeApiError ? err.code : 'ERR_KUBE_REQUEST';
    return {
      key,
      operation,
      ok: false,
      dryRun,
      message: this.client.sanitize(
        `failed to ${operation} ${describeResource(key)}${suffix(dryRun)}: ${errorMessage(err)}`,
      ),
      code,
      status,
    };
  }
}
