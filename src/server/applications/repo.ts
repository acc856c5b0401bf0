/**
 * The applications API's calls to the repo server (over the wire, `src/reposerver/client.ts`):
 * manifests of an app's sources, revision resolution (the SHA a sync writes and its audit event
 * names) and revision metadata. Credentials are looked up as Argo CD does: the `repository` Secret
 * whose URL equals the source's (normalised), else the `repo-creds` template with the longest
 * matching prefix; HTTPS CAs from `argocd-tls-certs-cm`, SSH known hosts from
 * `argocd-ssh-known-hosts-cm`. They travel only inside the request; nothing here logs or returns
 * them (errors pass `redactText` with the credential values).
 */
import {
  ConfigNames,
  SecretTypes,
  repositoryFromSecret,
  type ApplicationSource,
  type Repository,
} from '../../apis/index.js';
import { normalizeRepoUrl } from '../../engine/index.js';
import type {
  ApplicationSourceInit,
  RepoServerClient,
  RepositoryInit,
} from '../../reposerver/client.js';
import { ApiError } from '../errors.js';
import { redactText } from '../redact.js';
import type { SettingsStore } from '../state/settings-store.js';

/** The repo server's ApplicationSource message for an app source. */
export function toRepoSource(s: ApplicationSource, revision?: string): ApplicationSourceInit {
  const out: ApplicationSourceInit = {
    repoUrl: s.repoURL,
    path: s.path ?? '',
    targetRevision: revision ?? s.targetRevision ?? '',
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
  const k = s.kustomize;
  if (k)
    out.kustomize = {
      namePrefix: k.namePrefix ?? '',
      nameSuffix: k.nameSuffix ?? '',
      images: k.images ?? [],
      commonLabels: k.commonLabels ?? {},
      commonAnnotations: k.commonAnnotations ?? {},
      namespace: k.namespace ?? '',
      replicas: (k.replicas ?? []).map((r) => ({ name: r.name, count: Number(r.count) })),
      components: k.components ?? [],
      ignoreMissingComponents: k.ignoreMissingComponents ?? false,
    };
  const h = s.helm;
  if (h)
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
  return out;
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return /^[^@/]+@([^:/]+):/.exec(url)?.[1];
  }
}

/** The repository definition (with credentials) used for `repoURL`, if any. */
export function findRepository(store: SettingsStore, repoURL: string): Repository | undefined {
  const want = normalizeRepoUrl(repoURL);
  const read = (type: string): Repository[] =>
    store.secretsOfType(type).flatMap((s) => {
      try {
        return [repositoryFromSecret(s)];
      } catch {
        return [];
      }
    });
  const exact = read(SecretTypes.repository).find((r) => normalizeRepoUrl(r.url) === want);
  if (exact) return exact;
  let best: Repository | undefined;
  for (const r of read(SecretTypes.repoCreds)) {
    const prefix = normalizeRepoUrl(r.url);
    if (want.startsWith(prefix) && (!best || prefix.length > normalizeRepoUrl(best.url).length))
      best = r;
  }
  return best;
}

/** The repo server's Repository message for `repoURL`, credentials included (never log it). */
export function repositoryFor(store: SettingsStore, repoURL: string): RepositoryInit {
  const r = findRepository(store, repoURL);
  const out: RepositoryInit = { repo: repoURL, type: r?.type ?? 'git' };
  if (r) {
    if (r.name !== undefined) out.name = r.name;
    if (r.username !== undefined) out.username = r.username;
    if (r.password !== undefined) out.password = r.password;
    if (r.bearerToken !== undefined) out.bearerToken = r.bearerToken;
    if (r.sshPrivateKey !== undefined) out.sshPrivateKey = r.sshPrivateKey;
    if (r.tlsClientCertData !== undefined) out.tlsClientCertData = r.tlsClientCertData;
    if (r.tlsClientCertKey !== undefined) out.tlsClientCertKey = r.tlsClientCertKey;
    out.insecure = r.insecure;
    out.insecureIgnoreHostKey = r.insecureIgnoreHostKey;
    out.forceHttpBasicAuth = r.forceHttpBasicAuth;
    if (r.depth !== undefined) out.depth = r.depth;
  }
  const host = hostOf(repoURL);
  const ca =
    host !== undefined ? store.configMaps.get(ConfigNames.tlsCertsCm)?.data?.[host] : undefined;
  if (ca) out.tlsCaData = ca;
  const known = store.configMaps.get(ConfigNames.sshKnownHostsCm)?.data?.ssh_known_hosts;
  if (known) out.sshKnownHosts = known;
  return out;
}

/** Credential values of a repository, for redacting repo server errors. */
function secretsOf(repo: RepositoryInit): string[] {
  return [repo.password, repo.bearerToken, repo.sshPrivateKey, repo.tlsClientCertKey].filter(
    (v): v is string => typeof v === 'string' && v !== '',
  );
}

/** The repo server client, or 503 when the server runs without one. */
export function repoServerOf(client: RepoServerClient | undefined, what: string): RepoServerClient {
  if (!client)
    throw new ApiError(
      'ERR_API_UNAVAILABLE',
      `failed to ${what}: no repo server is configured (--repo-server)`,
    );
  return client;
}

async function call<T>(repo: RepositoryInit, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Error) err.message = redactText(err.message, secretsOf(repo));
    throw err;
  }
}

/** A resolved revision and how to show it (`HEAD (<sha>)`, as Argo CD's audit events do). */
export interface ResolvedRevision {
  readonly revision: string;
  readonly display: string;
}

/** Resolves `ambiguous` (branch, tag, HEAD, SHA) of a source to a commit SHA. */
export async function resolveRevision(
  client: RepoServerClient,
  store: SettingsStore,
  source: ApplicationSource,
  ambiguous: string,
): Promise<ResolvedRevision> {
  const target = ambiguous === '' ? 'HEAD' : ambiguous;
  if (source.chart !== undefined && source.chart !== '')
    return { revision: target, display: target };
  if (/^[0-9a-f]{40}$/.test(target)) return { revision: target, display: target };
  const repo = repositoryFor(store, source.repoURL);
  const res = await call(repo, () => client.resolveRevision({ repo, ambiguousRevision: target }));
  return {
    revision: res.revision,
    display: res.revision === target ? target : `${target} (${res.revision})`,
  };
}

/** Manifests of one source (JSON strings, unmasked: mask before returning them). */
export async function generateManifests(
  client: RepoServerClient,
  store: SettingsStore,
  source: ApplicationSource,
  ctx: { appName: string; namespace: string; revision?: string; noCache?: boolean },
): Promise<{ manifests: string[]; revision: string; sourceType: string; namespace: string }> {
  const repo = repositoryFor(store, source.repoURL);
  const revision = ctx.revision ?? source.targetRevision ?? 'HEAD';
  const res = await call(repo, () =>
    client.generateManifest({
      repo,
      revision,
      noCache: ctx.noCache === true,
      appName: ctx.appName,
      namespace: ctx.namespace,
      applicationSource: toRepoSource(source, revision),
    }),
  );
  return {
    manifests: res.manifests,
    revision: res.revision,
    sourceType: res.sourceType,
    namespace: res.namespace,
  };
}

/** Commit metadata of a revision of a source. */
export async function revisionMetadata(
  client: RepoServerClient,
  store: SettingsStore,
  source: ApplicationSource,
  revision: string,
): Promise<{ author: string; date: string; tags: string[]; message: string }> {
  const repo = repositoryFor(store, source.repoURL);
  const res = await call(repo, () => client.getRevisionMetadata({ repo, revision }));
  return { author: res.author, date: res.date, tags: [...res.tags], message: res.message };
}

/** Checks that a source's path renders (Argo CD's `validate=true` on create/update). */
export async function validateSource(
  client: RepoServerClient,
  store: SettingsStore,
  source: ApplicationSource,
  appName: string,
): Promise<void> {
  const repo = repositoryFor(store, source.repoURL);
  await call(repo, () => client.getAppDetails({ repo, source: toRepoSource(source), appName }));
}
