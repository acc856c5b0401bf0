/**
 * The repo server's business logic behind the seven RPCs of `repository.RepoServerService`. It
 * takes the generated request messages, checks them, and drives the git cache and the renderers:
 *
 *   request -> repository URL policy -> credentials -> resolve revision (ls-remote, cached per
 *   credentials) -> manifest cache -> [parallelism limit] -> checkout lease -> app path check ->
 *   out-of-bounds symlink walk -> source type detection -> render -> cache -> response
 *
 * Every refusal that carries a security classification is logged once here as a structured
 * security event (`security`, `CWE`) and counted. Errors keep their `RepoServerError` code; the
 * transport maps codes to gRPC statuses (server.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { create, toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import { isRecord, sanitizeUrl } from '../lib/index.js';
import { manifestCacheKey, type ManifestCacheStore } from './cache/manifest-cache.js';
import { Semaphore } from './concurrency.js';
import { RepoServerError, isRepoServerError } from './errors.js';
import {
  AppListSchema,
  ApplicationSourceDirectorySchema,
  ApplicationSourceHelmSchema,
  ApplicationSourceKustomizeSchema,
  ApplicationSourceSchema,
  HelmAppSpecSchema,
  HelmParameterSchema,
  KustomizeAppSpecSchema,
  DirectoryAppSpecSchema,
  ManifestResponseSchema,
  RefsSchema,
  RepoAppDetailsResponseSchema,
  ResolveRevisionResponseSchema,
  RevisionMetadataSchema,
  TestRepositoryResponseSchema,
  type AppList,
  type ApplicationSource,
  type HelmOptions,
  type KustomizeOptions,
  type ListAppsRequest,
  type ListRefsRequest,
  type ManifestRequest,
  type ManifestResponse,
  type Refs,
  type RepoAppDetailsResponse,
  type RepoServerAppDetailsQuery,
  type RepoServerRevisionMetadataRequest,
  type Repository,
  type ResolveRevisionRequest,
  type ResolveRevisionResponse,
  type RevisionMetadata,
  type TestRepositoryRequest,
  type TestRepositoryResponse,
} from './gen/argocd/reposerver/v1/repository_pb.js';
import type { GitCredentials, RepoAccess } from './git/git.js';
import { listBranchesAndTags, tagsAt } from './git/refs.js';
import type { CheckoutLease, GitCache } from './git/repo-cache.js';
import { parseRepoUrl } from './git/url.js';
import type { RepoServerMetrics } from './metrics.js';
import {
  detectSourceType,
  discoverApps,
  type EnabledSourceTypes,
  type SourceType,
} from './render/detect.js';
import { renderDirectory } from './render/directory.js';
import { renderHelm, type HelmSourceOptions } from './render/helm.js';
import {
  checkKustomizationReferences,
  hasSourceOptions,
  renderKustomize,
  type KustomizeSourceOptions,
} from './render/kustomize.js';
import type { ManifestLimits, ManifestObject } from './render/manifests.js';
import { findOutOfBoundsSymlink, resolveAppPath, type OutOfBoundsSymlink } from './render/paths.js';
import type { ToolLimits, ToolSet } from './render/tools.js';
import { Cwe, Refusal, SecurityLevel, securityEvent } from './security.js';
import { encodeManifests, withEncodedManifests, type EncodedManifests } from './wire.js';

export interface RepoServiceSettings {
  /** `--dangerously-allow-file-repos` */
  readonly allowFileRepos: boolean;
  /** `--allow-oob-symlinks` */
  readonly allowOutOfBoundsSymlinks: boolean;
  /** `--max-combined-directory-manifests-size` in bytes */
  readonly maxCombinedDirectoryManifestsBytes: number;
  readonly manifestLimits: ManifestLimits;
  /** `--exec-timeout` and `--max-tool-output-size` */
  readonly toolLimits: ToolLimits;
  /** `--parallelismlimit` (0 = unlimited) */
  readonly parallelismLimit: number;
  /** where per-run private directories (tool HOME, overlays, inline values) are created */
  readonly workDir: string;
}

/** What the manifest cache holds. */
export type CachedValue =
  | { readonly kind: 'manifests'; readonly value: RenderResult }
  | { readonly kind: 'details'; readonly value: RepoAppDetailsResponse }
  | { readonly kind: 'metadata'; readonly value: RevisionMetadata };

export interface RepoServiceDeps {
  readonly git: GitCache;
  readonly tools: ToolSet;
  readonly logger: Logger;
  readonly metrics: RepoServerMetrics;
  readonly cache: ManifestCacheStore<CachedValue>;
  readonly settings: RepoServiceSettings;
}

interface RenderResult {
  readonly manifests: readonly string[];
  /** the manifests encoded once for the binary wire formats (wire.ts) */
  readonly encoded: EncodedManifests;
  readonly sourceType: SourceType;
  readonly commands: readonly string[];
}

/** Everything of a ManifestResponse but the manifests. */
type ManifestResponseFields = Pick<
  ManifestResponse,
  'namespace' | 'revision' | 'sourceType' | 'commands' | 'cached'
>;

interface RenderInput {
  readonly access: RepoAccess;
  readonly sha: string;
  readonly source: ApplicationSource;
  readonly appName: string;
  readonly namespace: string;
  readonly kubeVersion: string;
  readonly apiVersions: readonly string[];
  readonly enabled: EnabledSourceTypes;
  readonly helmOptions: HelmOptions | undefined;
  readonly kustomizeOptions: KustomizeOptions | undefined;
  readonly signal?: AbortSignal;
}

const DEFAULT_VALUES_FILE_SCHEMES = ['https', 'http'] as const;
const MAX_OOB_RESULTS = 512;
const MAX_VALUES_TEXT = 1024 * 1024;

function opt(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

function present<Desc extends DescMessage>(
  schema: Desc,
  msg: MessageShape<Desc> | undefined,
): boolean {
  return msg !== undefined && toBinary(schema, msg).length > 0;
}

function credentialsOf(repo: Repository): GitCredentials {
  const c: Record<string, string | boolean> = {};
  const put = (k: keyof GitCredentials, v: string | boolean): void => {
    if (v !== '' && v !== false) c[k] = v;
  };
  put('username', repo.username);
  put('password', repo.password);
  put('bearerToken', repo.bearerToken);
  put('forceHttpBasicAuth', repo.forceHttpBasicAuth);
  put('sshPrivateKey', repo.sshPrivateKey);
  put('sshKnownHosts', repo.sshKnownHosts);
  put('insecureIgnoreHostKey', repo.insecureIgnoreHostKey);
  put('tlsClientCertData', repo.tlsClientCertData);
  put('tlsClientCertKey', repo.tlsClientCertKey);
  put('tlsCaData', repo.tlsCaData);
  put('insecure', repo.insecure);
  return c;
}

function kustomizeOptionsOf(source: ApplicationSource): KustomizeSourceOptions {
  const k = source.kustomize;
  if (!k) return {};
  const out: Record<string, unknown> = {
    images: k.images,
    commonLabels: k.commonLabels,
    commonAnnotations: k.commonAnnotations,
    replicas: k.replicas.map((r) => ({ name: r.name, count: r.count })),
    components: k.components,
    ignoreMissingComponents: k.ignoreMissingComponents,
  };
  if (k.namePrefix !== '') out.namePrefix = k.namePrefix;
  if (k.nameSuffix !== '') out.nameSuffix = k.nameSuffix;
  if (k.namespace !== '') out.namespace = k.namespace;
  return out;
}

function helmOptionsOf(source: ApplicationSource): HelmSourceOptions {
  const h = source.helm;
  if (!h) return {};
  const out: Record<string, unknown> = {
    valueFiles: h.valueFiles,
    parameters: h.parameters.map((p) => ({
      name: p.name,
      value: p.value,
      forceString: p.forceString,
    })),
    fileParameters: h.fileParameters.map((p) => ({ name: p.name, path: p.path })),
    ignoreMissingValueFiles: h.ignoreMissingValueFiles,
    skipCrds: h.skipCrds,
    skipSchemaValidation: h.skipSchemaValidation,
    skipTests: h.skipTests,
    apiVersions: h.apiVersions,
  };
  for (const [k, v] of [
    ['releaseName', h.releaseName],
    ['values', h.values],
    ['valuesObjectJson', h.valuesObjectJson],
    ['namespace', h.namespace],
    ['kubeVersion', h.kubeVersion],
  ] as const) {
    if (v !== '') out[k] = v;
  }
  return out;
}

/** Container images named anywhere in the objects (pod templates, pods, jobs). */
function imagesOf(objects: readonly ManifestObject[]): string[] {
  const images = new Set<string>();
  const walk = (v: unknown, depth: number): void => {
    if (depth > 12) return;
    if (Array.isArray(v)) {
      for (const x of v) walk(x, depth + 1);
      return;
    }
    if (!isRecord(v)) return;
    for (const key of ['containers', 'initContainers', 'ephemeralContainers']) {
      const list = v[key];
      if (Array.isArray(list))
        for (const c of list) if (isRecord(c) && typeof c.image === 'string') images.add(c.image);
    }
    for (const [k, x] of Object.entries(v)) if (k !== 'metadata') walk(x, depth + 1);
  };
  for (const o of objects) walk(o, 0);
  return [...images].sort();
}

/** Flattens Helm values into `a.b[0].c` parameters, as Argo CD shows them. */
function flattenValues(
  value: unknown,
  prefix: string,
  out: { name: string; value: string }[],
): void {
  if (out.length >= 10_000) return;
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      flattenValues(v, `${prefix}[${i}]`, out);
    });
  } else if (isRecord(value)) {
    for (const [k, v] of Object.entries(value))
      flattenValues(v, prefix === '' ? k : `${prefix}.${k}`, out);
  } else if (prefix !== '') {
    out.push({
      name: prefix,
      value:
        value === null || value === undefined
          ? ''
          : typeof value === 'string'
            ? value
            : JSON.stringify(value),
    });
  }
}

/** See the module comment. */
export class RepoService {
  readonly #d: RepoServiceDeps;
  readonly #limit: Semaphore;
  readonly #inflight = new Map<string, Promise<RenderResult>>();
  readonly #oob = new Map<string, Promise<OutOfBoundsSymlink | undefined>>();
  readonly #kustomizeChecks = new Map<string, Promise<void>>();

  constructor(deps: RepoServiceDeps) {
    this.#d = deps;
    this.#limit = new Semaphore(deps.settings.parallelismLimit);
  }

  /** Renders the manifests of an application source at a revision. */
  async generateManifest(req: ManifestRequest, signal?: AbortSignal): Promise<ManifestResponse> {
    const { fields, result } = await this.#generate(req, signal);
    return create(ManifestResponseSchema, { ...fields, manifests: [...result.manifests] });
  }

  /**
   * The same answer as `generateManifest`, with the manifests pre-encoded for a protobuf binary
   * codec (wire.ts): a cache hit then costs no encoding. Never give it to a JSON codec.
   */
  async generateManifestBinary(
    req: ManifestRequest,
    signal?: AbortSignal,
  ): Promise<ManifestResponse> {
    const { fields, result } = await this.#generate(req, signal);
    return withEncodedManifests(fields, result.encoded);
  }

  async #generate(
    req: ManifestRequest,
    signal: AbortSignal | undefined,
  ): Promise<{ fields: ManifestResponseFields; result: RenderResult }> {
    return this.#guard(
      'GenerateManifest',
      req.repo,
      { revision: req.revision, path: req.applicationSource?.path },
      async () => {
        const access = this.#access(req.repo);
        const src = req.applicationSource ?? create(ApplicationSourceSchema);
        const revision = opt(req.revision) ?? opt(src.targetRevision) ?? 'HEAD';
        const sha = await this.#d.git.resolveRevision(access, revision, {
          noCache: req.noRevisionCache,
          ...(signal ? { signal } : {}),
        });
        const input: RenderInput = {
          access,
          sha,
          source: src,
          appName: req.appName,
          namespace: req.namespace,
          kubeVersion: req.kubeVersion,
          apiVersions: req.apiVersions,
          enabled: req.enabledSourceTypes,
          helmOptions: req.helmOptions,
          kustomizeOptions: req.kustomizeOptions,
          ...(signal ? { signal } : {}),
        };
        const key = this.#manifestKey(input);
        let cached = false;
        let result: RenderResult | undefined;
        if (!req.noCache) {
          const hit = this.#d.cache.get(key);
          if (hit?.kind === 'manifests') {
            result = hit.value;
            cached = true;
          }
          this.#d.metrics.manifestCache(result ? 'hit' : 'miss');
        }
        if (!result) {
          let running = req.noCache ? undefined : this.#inflight.get(key);
          if (!running) {
            running = this.#limit.run(() => this.#render(input));
            if (!req.noCache) this.#inflight.set(key, running);
          }
          try {
            result = await running;
          } finally {
            if (this.#inflight.get(key) === running) this.#inflight.delete(key);
          }
          // the strings (two bytes a character at worst) and their encoded copy
          const bytes = result.manifests.reduce(
            (n, m) => n + m.length * 2,
            256 + (result.encoded?.length ?? 0),
          );
          this.#d.cache.set(key, { kind: 'manifests', value: result }, bytes);
        }
        return {
          fields: {
            namespace: req.namespace,
            revision: sha,
            sourceType: result.sourceType,
            commands: [...result.commands],
            cached,
          },
          result,
        };
      },
    );
  }

  /** Resolves a branch, tag, HEAD or SHA to a commit SHA. */
  async resolveRevision(
    req: ResolveRevisionRequest,
    signal?: AbortSignal,
  ): Promise<ResolveRevisionResponse> {
    return this.#guard(
      'ResolveRevision',
      req.repo,
      { revision: req.ambiguousRevision },
      async () => {
        const access = this.#access(req.repo);
        const rev = opt(req.ambiguousRevision.trim()) ?? 'HEAD';
        const sha = await this.#d.git.resolveRevision(access, rev, {
          noCache: req.noRevisionCache,
          ...(signal ? { signal } : {}),
        });
        return create(ResolveRevisionResponseSchema, {
          revision: sha,
          ambiguousRevision: rev === sha ? sha : `${rev} (${sha})`,
        });
      },
    );
  }

  /** Lists branches and tags. */
  async listRefs(req: ListRefsRequest, signal?: AbortSignal): Promise<Refs> {
    return this.#guard('ListRefs', req.repo, {}, async () => {
      const access = this.#access(req.repo);
      const refs = await this.#d.git.listRefs(access, {
        noCache: req.noRevisionCache,
        ...(signal ? { signal } : {}),
      });
      return create(RefsSchema, listBranchesAndTags(refs));
    });
  }

  /** Checks that the repository answers with the given credentials (never cached). */
  async testRepository(
    req: TestRepositoryRequest,
    signal?: AbortSignal,
  ): Promise<TestRepositoryResponse> {
    return this.#guard('TestRepository', req.repo, {}, async () => {
      const access = this.#access(req.repo);
      await this.#d.git.listRefs(access, { noCache: true, ...(signal ? { signal } : {}) });
      return create(TestRepositoryResponseSchema, { verifiedRepository: true });
    });
  }

  /** Author, date, message and tags of a commit. */
  async getRevisionMetadata(
    req: RepoServerRevisionMetadataRequest,
    signal?: AbortSignal,
  ): Promise<RevisionMetadata> {
    return this.#guard('GetRevisionMetadata', req.repo, { revision: req.revision }, async () => {
      const access = this.#access(req.repo);
      const sha = await this.#d.git.resolveRevision(access, opt(req.revision) ?? 'HEAD', {
        noCache: req.noRevisionCache,
        ...(signal ? { signal } : {}),
      });
      const refs = await this.#d.git.listRefs(access, { ...(signal ? { signal } : {}) });
      const key = manifestCacheKey('metadata', { repo: access.url.cacheKey, sha });
      const hit = this.#d.cache.get(key);
      let meta: RevisionMetadata;
      if (hit?.kind === 'metadata') {
        meta = hit.value;
      } else {
        const m = await this.#d.git.commitMetadata(access, sha, signal);
        meta = create(RevisionMetadataSchema, {
          author: m.author,
          date: m.date,
          message: m.message,
          revision: sha,
        });
        this.#d.cache.set(key, { kind: 'metadata', value: meta }, 512 + m.message.length * 2);
      }
      return create(RevisionMetadataSchema, { ...meta, tags: tagsAt(refs, sha) });
    });
  }

  /** Lists the directories holding Helm charts or Kustomizations at a revision. */
  async listApps(req: ListAppsRequest, signal?: AbortSignal): Promise<AppList> {
    return this.#guard('ListApps', req.repo, { revision: req.revision }, async () => {
      const access = this.#access(req.repo);
      const sha = await this.#d.git.resolveRevision(access, opt(req.revision) ?? 'HEAD', {
        noCache: req.noRevisionCache,
        ...(signal ? { signal } : {}),
      });
      return this.#withCheckout(access, sha, signal, async (lease) => {
        const apps = await discoverApps(lease.dir, req.enabledSourceTypes);
        return create(AppListSchema, { apps: Object.fromEntries(apps) });
      });
    });
  }

  /** The detected source type and its parameters. */
  async getAppDetails(
    req: RepoServerAppDetailsQuery,
    signal?: AbortSignal,
  ): Promise<RepoAppDetailsResponse> {
    const src = req.source;
    return this.#guard(
      'GetAppDetails',
      req.repo,
      { revision: src?.targetRevision, path: src?.path },
      async () => {
        const access = this.#access(req.repo);
        if (!src)
          throw new RepoServerError(
            'ERR_INVALID_REQUEST',
            'the source is required: set source.path and source.targetRevision',
          );
        const sha = await this.#d.git.resolveRevision(access, opt(src.targetRevision) ?? 'HEAD', {
          noCache: req.noRevisionCache,
          ...(signal ? { signal } : {}),
        });
        const input: RenderInput = {
          access,
          sha,
          source: src,
          appName: req.appName,
          namespace: '',
          kubeVersion: '',
          apiVersions: [],
          enabled: req.enabledSourceTypes,
          helmOptions: req.helmOptions,
          kustomizeOptions: req.kustomizeOptions,
          ...(signal ? { signal } : {}),
        };
        const key = manifestCacheKey('details', { manifest: this.#manifestKey(input) });
        if (!req.noCache) {
          const hit = this.#d.cache.get(key);
          if (hit?.kind === 'details') return hit.value;
        }
        const details = await this.#limit.run(() =>
          this.#withCheckout(access, sha, signal, async (lease) => {
            const appDir = await this.#checkedAppDir(lease, input);
            const type = await this.#detect(appDir, src, req.enabledSourceTypes);
            const out = create(RepoAppDetailsResponseSchema, { type, revision: sha });
            if (type === 'Directory') {
              out.directory = create(DirectoryAppSpecSchema);
            } else if (type === 'Kustomize') {
              const kOptions = kustomizeOptionsOf(src);
              const workDir = hasSourceOptions(kOptions) ? await this.#workDir() : undefined;
              try {
                const { objects } = await renderKustomize({
                  root: lease.dir,
                  appDir,
                  workDir,
                  home: await this.#toolHome(),
                  tool: this.#d.tools.kustomize,
                  options: kOptions,
                  buildOptions: this.#buildOptions(req.kustomizeOptions),
                  toolLimits: this.#d.settings.toolLimits,
                  manifestLimits: this.#d.settings.manifestLimits,
                  checkReferences: this.#kustomizeCheck(lease.dir, appDir),
                  ...(signal ? { signal } : {}),
                });
                out.kustomize = create(KustomizeAppSpecSchema, { images: imagesOf(objects) });
              } finally {
                if (workDir !== undefined) await this.#removeWorkDir(workDir);
              }
            } else {
              out.helm = await this.#helmDetails(appDir);
            }
            return out;
          }),
        );
        this.#d.cache.set(key, { kind: 'details', value: details }, 4096);
        return details;
      },
    );
  }

  async #helmDetails(appDir: string): Promise<RepoAppDetailsResponse['helm']> {
    const limits = this.#d.settings.manifestLimits;
    const chartText = await readFile(join(appDir, 'Chart.yaml'), 'utf8').catch(() => '');
    let name = '';
    try {
      const chart: unknown = parseYaml(chartText.slice(0, MAX_VALUES_TEXT), {
        maxAliasCount: limits.maxAliasCount,
      });
      if (isRecord(chart) && typeof chart.name === 'string') name = chart.name;
    } catch {
      // a broken Chart.yaml shows no name here; helm template reports it when rendering
    }
    const entries = await readdir(appDir);
    const valueFiles = entries.filter((f) => /values.*\.ya?ml$/.test(f)).sort();
    let values = await readFile(join(appDir, 'values.yaml'), 'utf8').catch(() => '');
    if (values.length > MAX_VALUES_TEXT) values = '';
    const parameters: { name: string; value: string }[] = [];
    if (values !== '') {
      try {
        flattenValues(parseYaml(values, { maxAliasCount: limits.maxAliasCount }), '', parameters);
      } catch (err) {
        throw new RepoServerError(
          'ERR_MANIFEST_PARSE',
          `failed to parse values.yaml: ${err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)}`,
        );
      }
    }
    return create(HelmAppSpecSchema, {
      name,
      valueFiles,
      values,
      parameters: parameters.map((p) => create(HelmParameterSchema, p)),
    });
  }

  /** Runs `fn`; logs and counts refusals that carry a security classification. */
  async #guard<T>(
    method: string,
    repo: Repository | undefined,
    ctx: { revision?: string | undefined; path?: string | undefined },
    fn: () => Promise<T>,
  ): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isRepoServerError(err) && err.security) {
        securityEvent(this.#d.logger, {
          level: err.security.level,
          cwe: err.security.cwe,
          message: err.message,
          fields: {
            method,
            repo: repo ? sanitizeUrl(repo.repo) : undefined,
            revision: ctx.revision === '' ? undefined : ctx.revision,
            path: ctx.path === '' ? undefined : ctx.path,
            code: err.code,
          },
        });
        this.#d.metrics.securityEvent(err.security.cwe);
      }
      throw err;
    }
  }

  #access(repo: Repository | undefined): RepoAccess {
    if (!repo || repo.repo.trim() === '')
      throw new RepoServerError(
        'ERR_INVALID_REQUEST',
        'the repository is required: set repo.repo to the repository URL',
      );
    if (repo.type !== '' && repo.type !== 'git')
      throw new RepoServerError(
        'ERR_UNSUPPORTED',
        `repositories of type "${repo.type}" are not served yet: only git repositories are`,
      );
    const url = parseRepoUrl(repo.repo, {
      allowHttp: repo.insecure,
      allowFileRepos: this.#d.settings.allowFileRepos,
    });
    if (url.urlPassword !== undefined) {
      securityEvent(this.#d.logger, {
        level: SecurityLevel.Medium,
        cwe: Cwe.CredentialsInLogs,
        message:
          'repository URL carries a password; it was moved to the credential helper (use the username and password fields instead)',
        fields: { repo: url.display },
      });
      this.#d.metrics.securityEvent(Cwe.CredentialsInLogs);
    }
    if (repo.depth < 0 || repo.depth > 1_000_000)
      throw new RepoServerError(
        'ERR_INVALID_REQUEST',
        `repo.depth ${repo.depth} is not valid: use 0 (the default) or a positive depth`,
      );
    return {
      url,
      credentials: credentialsOf(repo),
      ...(repo.depth > 0 ? { depth: repo.depth } : {}),
    };
  }

  #manifestKey(input: RenderInput): string {
    const tools = this.#d.tools;
    const s = input.source;
    return manifestCacheKey('manifests', {
      repo: input.access.url.cacheKey,
      sha: input.sha,
      path: s.path,
      chart: s.chart,
      helm: s.helm
        ? Buffer.from(toBinary(ApplicationSourceHelmSchema, s.helm)).toString('base64')
        : '',
      kustomize: s.kustomize
        ? Buffer.from(toBinary(ApplicationSourceKustomizeSchema, s.kustomize)).toString('base64')
        : '',
      directory: s.directory
        ? Buffer.from(toBinary(ApplicationSourceDirectorySchema, s.directory)).toString('base64')
        : '',
      appName: input.appName,
      namespace: input.namespace,
      kubeVersion: input.kubeVersion,
      apiVersions: input.apiVersions,
      enabled: input.enabled,
      valuesFileSchemes: input.helmOptions ? input.helmOptions.valuesFileSchemes : null,
      buildOptions: input.kustomizeOptions?.buildOptions ?? '',
      kustomizeTool: tools.kustomize ? `${tools.kustomize.display} ${tools.kustomize.version}` : '',
      helmTool: tools.helm ? `${tools.helm.display} ${tools.helm.version}` : '',
      settings: [
        this.#d.settings.maxCombinedDirectoryManifestsBytes,
        this.#d.settings.allowOutOfBoundsSymlinks,
        this.#d.settings.manifestLimits.maxDocumentBytes,
        this.#d.settings.manifestLimits.maxAliasCount,
      ],
    });
  }

  async #withCheckout<T>(
    access: RepoAccess,
    sha: string,
    signal: AbortSignal | undefined,
    fn: (lease: CheckoutLease) => Promise<T>,
  ): Promise<T> {
    const lease = await this.#d.git.checkout(access, sha, signal);
    try {
      return await fn(lease);
    } finally {
      lease.release();
    }
  }

  /** The app directory after the path and out-of-bounds symlink checks. */
  async #checkedAppDir(lease: CheckoutLease, input: RenderInput): Promise<string> {
    const appDir = await resolveAppPath(lease.dir, input.source.path);
    if (!this.#d.settings.allowOutOfBoundsSymlinks) {
      let walk = this.#oob.get(lease.dir);
      if (!walk) {
        walk = findOutOfBoundsSymlink(lease.dir);
        if (this.#oob.size >= MAX_OOB_RESULTS) {
          const first = this.#oob.keys().next();
          if (!first.done) this.#oob.delete(first.value);
        }
        this.#oob.set(lease.dir, walk);
        walk.catch(() => this.#oob.delete(lease.dir));
      }
      const found = await walk;
      if (found) {
        throw new RepoServerError(
          'ERR_OOB_SYMLINK',
          `repository contains an out-of-bounds symlink: "${found.file}" points outside the repository; symlinks must stay inside it`,
          { security: Refusal.oobSymlink },
        );
      }
    }
    return appDir;
  }

  /**
   * Memoises a check of an immutable checkout (the map is bounded; a failed check is kept too, so
   * a refused checkout is refused again without redoing the work).
   */
  #memo<T>(map: Map<string, Promise<T>>, key: string, fn: () => Promise<T>): Promise<T> {
    let p = map.get(key);
    if (!p) {
      p = fn();
      if (map.size >= MAX_OOB_RESULTS) {
        const first = map.keys().next();
        if (!first.done) map.delete(first.value);
      }
      map.set(key, p);
    }
    return p;
  }

  #kustomizeCheck(root: string, appDir: string): () => Promise<void> {
    return () =>
      this.#memo(this.#kustomizeChecks, `${root}\u0000${appDir}`, () =>
        checkKustomizationReferences(root, appDir, this.#d.settings.manifestLimits),
      );
  }

  async #detect(
    appDir: string,
    src: ApplicationSource,
    enabled: EnabledSourceTypes,
  ): Promise<SourceType> {
    return detectSourceType(
      appDir,
      {
        helm: present(ApplicationSourceHelmSchema, src.helm),
        kustomize: present(ApplicationSourceKustomizeSchema, src.kustomize),
        directory: present(ApplicationSourceDirectorySchema, src.directory),
      },
      enabled,
    );
  }

  #buildOptions(k: KustomizeOptions | undefined): string[] {
    return (k?.buildOptions ?? '').split(/\s+/).filter((x) => x !== '');
  }

  #home: Promise<string> | undefined;

  /** The shared HOME of Kustomize runs (created once). */
  #toolHome(): Promise<string> {
    this.#home ??= (async () => {
      const dir = join(this.#d.settings.workDir, 'kustomize-home');
      await mkdir(dir, { recursive: true, mode: 0o700 });
      return dir;
    })();
    return this.#home;
  }

  async #workDir(): Promise<string> {
    const dir = join(this.#d.settings.workDir, randomBytes(12).toString('hex'));
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return dir;
  }

  async #removeWorkDir(dir: string): Promise<void> {
    try {
      await rm(dir, { recursive: true, force: true });
    } catch (err) {
      securityEvent(this.#d.logger, {
        level: SecurityLevel.Critical,
        cwe: Cwe.IncompleteCleanup,
        message: 'failed to remove a manifest generation work directory; it may hold inline values',
        fields: { dir, error: err instanceof Error ? err.message : String(err) },
      });
    }
  }

  async #render(input: RenderInput): Promise<RenderResult> {
    return this.#withCheckout(input.access, input.sha, input.signal, async (lease) => {
      const started = performance.now();
      const appDir = await this.#checkedAppDir(lease, input);
      const src = input.source;
      const type = await this.#detect(appDir, src, input.enabled);
      let objects: ManifestObject[];
      const commands: string[] = [];
      if (type === 'Directory') {
        const include = opt(src.directory?.include);
        const exclude = opt(src.directory?.exclude);
        objects = await renderDirectory(appDir, {
          recurse: src.directory?.recurse ?? false,
          ...(include ? { include } : {}),
          ...(exclude ? { exclude } : {}),
          maxCombinedBytes: this.#d.settings.maxCombinedDirectoryManifestsBytes,
          limits: this.#d.settings.manifestLimits,
        });
      } else {
        const kOptions = kustomizeOptionsOf(src);
        // a Kustomize app without source options needs no private directory at all
        const workDir =
          type === 'Helm' || hasSourceOptions(kOptions) ? await this.#workDir() : undefined;
        try {
          if (type === 'Kustomize') {
            const r = await renderKustomize({
              root: lease.dir,
              appDir,
              workDir,
              home: await this.#toolHome(),
              tool: this.#d.tools.kustomize,
              options: kOptions,
              buildOptions: this.#buildOptions(input.kustomizeOptions),
              toolLimits: this.#d.settings.toolLimits,
              manifestLimits: this.#d.settings.manifestLimits,
              checkReferences: this.#kustomizeCheck(lease.dir, appDir),
              ...(input.signal ? { signal: input.signal } : {}),
            });
            objects = r.objects;
            commands.push(r.command);
          } else {
            if (workDir === undefined) throw new TypeError('a Helm run needs a work directory');
            const r = await renderHelm({
              root: lease.dir,
              appDir,
              workDir,
              tool: this.#d.tools.helm,
              options: helmOptionsOf(src),
              appName: input.appName,
              namespace: input.namespace,
              ...(input.kubeVersion !== '' ? { kubeVersion: input.kubeVersion } : {}),
              apiVersions: input.apiVersions,
              valuesFileSchemes: input.helmOptions
                ? input.helmOptions.valuesFileSchemes
                : DEFAULT_VALUES_FILE_SCHEMES,
              toolLimits: this.#d.settings.toolLimits,
              manifestLimits: this.#d.settings.manifestLimits,
              ...(input.signal ? { signal: input.signal } : {}),
            });
            objects = r.objects;
            commands.push(r.command);
          }
        } finally {
          if (workDir !== undefined) await this.#removeWorkDir(workDir);
        }
      }
      const manifests = objects.map((o) => JSON.stringify(o));
      const seconds = (performance.now() - started) / 1000;
      this.#d.metrics.manifestGenerated(type, seconds);
      this.#d.logger.info(
        {
          repo: input.access.url.display,
          revision: input.sha,
          path: src.path,
          sourceType: type,
          resources: manifests.length,
          durationMs: Math.round(seconds * 10000) / 10,
        },
        'generated manifests',
      );
      return { manifests, encoded: encodeManifests(manifests), sourceType: type, commands };
    });
  }
}
