/**
 * Desired state from the repo server, cached in the controller too: a refresh asks the repo server
 * to resolve the source's revision (cheap; concurrent identical requests are coalesced and the
 * answer reused for `revisionTtlMs`) and generates manifests only when the resolved SHA, the
 * source or the credentials changed. A hard refresh bypasses both caches (and the repo server's).
 * Parsed objects are shared by every reader and must be treated as read-only.
 */
import type { ApplicationSource, KubeObject } from '../apis/index.js';
import { isRecord } from '../lib/index.js';
import type {
  ApplicationSourceInit,
  ManifestRequestInit,
  RepoServerClient,
} from '../reposerver/client.js';
import { ControllerError } from './errors.js';
import type { RepoCredentials } from './repo-creds.js';

export interface ManifestResult {
  /** the resolved commit SHA (or chart version) */
  readonly revision: string;
  readonly objects: readonly KubeObject[];
  readonly sourceType: string;
}

export interface ManifestSourceOptions {
  readonly timeoutMs?: number;
  /** how long a resolved revision is reused (default 1 s) */
  readonly revisionTtlMs?: number;
  /** cached manifest sets kept (least recently used dropped first; default 10,000) */
  readonly maxEntries?: number;
  readonly now?: () => number;
}

/** The repo server's ApplicationSource message for an Application's source. */
export function toRepoServerSource(s: ApplicationSource): ApplicationSourceInit {
  const out: ApplicationSourceInit = {
    repoUrl: s.repoURL,
    path: s.path ?? '',
    targetRevision: s.targetRevision ?? '',
    chart: s.chart ?? '',
    ref: s.ref ?? '',
    name: s.name ?? '',
  };
  if (s.directory)
    out.directory = {
      recurse: s.directory.recurse ?? false,
      include: s.directory.include ?? '',
      exclude: s.directory.exclude ?? '',
    };
  if (s.kustomize) {
    const k = s.kustomize;
    out.kustomize = {
      namePrefix: k.namePrefix ?? '',
      nameSuffix: k.nameSuffix ?? '',
      images: k.images ?? [],
      commonLabels: k.commonLabels ?? {},
      commonAnnotations: k.commonAnnotations ?? {},
      namespace: k.namespace ?? '',
      replicas: (k.replicas ?? []).map((r) => ({
        name: r.name,
        count: typeof r.count === 'number' ? r.count : Number(r.count),
      })),
      components: k.components ?? [],
      ignoreMissingComponents: k.ignoreMissingComponents ?? false,
    };
  }
  if (s.helm) {
    const h = s.helm;
    out.helm = {
      valueFiles: h.valueFiles ?? [],
      parameters: (h.parameters ?? []).map((p) => ({
        name: p.name ?? '',
        value: p.value ?? '',
        forceString: p.forceString ?? false,
      })),
      releaseName: h.releaseName ?? '',
      values: h.values ?? '',
      fileParameters: (h.fileParameters ?? []).map((p) => ({
        name: p.name ?? '',
        path: p.path ?? '',
      })),
      ignoreMissingValueFiles: h.ignoreMissingValueFiles ?? false,
      skipCrds: h.skipCrds ?? false,
      skipSchemaValidation: h.skipSchemaValidation ?? false,
      skipTests: h.skipTests ?? false,
      valuesObjectJson: h.valuesObject ? JSON.stringify(h.valuesObject) : '',
      namespace: h.namespace ?? '',
      kubeVersion: h.kubeVersion ?? '',
      apiVersions: h.apiVersions ?? [],
    };
  }
  return out;
}

/** Parses the repo server's JSON documents; `List` kinds are flattened. */
export function parseManifestStrings(docs: readonly string[]): KubeObject[] {
  const out: KubeObject[] = [];
  const push = (v: unknown, i: number): void => {
    if (!isRecord(v)) throw new ControllerError('ERR_MANIFEST', `manifest ${i} is not an object`);
    if (typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items)) {
      for (const item of v.items) push(item, i);
      return;
    }
    const meta = v.metadata;
    if (
      typeof v.apiVersion !== 'string' ||
      typeof v.kind !== 'string' ||
      !isRecord(meta) ||
      (typeof meta.name !== 'string' && typeof meta.generateName !== 'string')
    )
      throw new ControllerError(
        'ERR_MANIFEST',
        `manifest ${i} needs apiVersion, kind and metadata.name`,
      );
    out.push(v as KubeObject);
  };
  docs.forEach((d, i) => {
    let v: unknown;
    try {
      v = JSON.parse(d);
    } catch (err) {
      throw new ControllerError('ERR_MANIFEST', `manifest ${i} is not valid JSON`, { cause: err });
    }
    push(v, i);
  });
  return out;
}

interface RevisionEntry {
  at: number;
  value: Promise<string>;
}

/** Manifests per source with the caches described in the module comment. */
export class ManifestSource {
  private readonly revisions = new Map<string, RevisionEntry>();
  private readonly manifests = new Map<string, Promise<ManifestResult>>();
  private readonly now: () => number;
  private readonly ttl: number;
  private readonly max: number;
  /** repo server calls made (for tests and benchmarks) */
  readonly calls = { resolveRevision: 0, generateManifest: 0 };

  private readonly client: RepoServerClient;
  private readonly creds: RepoCredentials;
  private readonly o: ManifestSourceOptions;

  constructor(client: RepoServerClient, creds: RepoCredentials, o: ManifestSourceOptions = {}) {
    this.client = client;
    this.creds = creds;
    this.o = o;
    this.now = o.now ?? Date.now;
    this.ttl = o.revisionTtlMs ?? 1_000;
    this.max = o.maxEntries ?? 10_000;
  }

  /** The commit SHA `source.targetRevision` resolves to now. */
  resolveRevision(source: ApplicationSource, hard = false): Promise<string> {
    const target = source.targetRevision ?? 'HEAD';
    if (source.chart === undefined && /^[0-9a-f]{40}$/.test(target)) return Promise.resolve(target);
    const key = `${source.repoURL}\n${target}\n${this.creds.generation}`;
    const now = this.now();
    const hit = this.revisions.get(key);
    if (hit && !hard && now - hit.at < this.ttl) return hit.value;
    this.calls.resolveRevision++;
    const value = this.client
      .resolveRevision(
        {
          repo: this.creds.forRequest(source.repoURL),
          ambiguousRevision: target,
          noRevisionCache: hard,
        },
        this.callOptions(),
      )
      .then((r) => r.revision);
    const entry = { at: now, value };
    this.revisions.set(key, entry);
    value.catch(() => {
      if (this.revisions.get(key) === entry) this.revisions.delete(key);
    });
    if (this.revisions.size > this.max) {
      const first = this.revisions.keys().next().value;
      if (first !== undefined) this.revisions.delete(first);
    }
    return value;
  }

  /** Manifests of `source` at `revision` (a resolved SHA) for an app. */
  generate(
    source: ApplicationSource,
    revision: string,
    ctx: { appName: string; namespace: string; hard?: boolean },
  ): Promise<ManifestResult> {
    const { targetRevision: _ignored, ...rest } = source;
    const key = JSON.stringify([revision, rest, ctx.appName, ctx.namespace, this.creds.generation]);
    const hit = this.manifests.get(key);
    if (hit && !ctx.hard) {
      // least recently used order: move to the end
      this.manifests.delete(key);
      this.manifests.set(key, hit);
      return hit;
    }
    this.calls.generateManifest++;
    const req: ManifestRequestInit = {
      repo: this.creds.forRequest(source.repoURL),
      revision,
      noCache: ctx.hard === true,
      appName: ctx.appName,
      namespace: ctx.namespace,
      applicationSource: toRepoServerSource({ ...source, targetRevision: revision }),
    };
    const value = this.client.generateManifest(req, this.callOptions()).then((res) => ({
      revision: res.revision || revision,
      objects: parseManifestStrings(res.manifests),
      sourceType: res.sourceType,
    }));
    this.manifests.set(key, value);
    value.catch(() => {
      if (this.manifests.get(key) === value) this.manifests.delete(key);
    });
    while (this.manifests.size > this.max) {
      const first = this.manifests.keys().next().value;
      if (first === undefined) break;
      this.manifests.delete(first);
    }
    return value;
  }

  /** Drops every cached answer (e.g. after credentials changed). */
  clear(): void {
    this.revisions.clear();
    this.manifests.clear();
  }

  private callOptions(): { timeoutMs?: number } {
    return this.o.timeoutMs ? { timeoutMs: this.o.timeoutMs } : {};
  }
}
