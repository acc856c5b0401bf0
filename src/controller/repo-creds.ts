/**
 * Repository credentials for manifest requests, as Argo CD finds them: a `repository` Secret whose
 * URL equals the app's repository (after normalisation), else the `repo-creds` template with the
 * longest URL prefix of it; the CA for an HTTPS host from `argocd-tls-certs-cm` (key = host name)
 * and SSH known hosts from `argocd-ssh-known-hosts-cm`. Credentials stay in this process: they are
 * sent to the repo server in each request (it persists none) and never logged.
 */
import {
  repositoryFromSecret,
  type ConfigMap,
  type KubeObject,
  type Repository,
} from '../apis/index.js';
import type { RepositoryInit } from '../reposerver/client.js';
import { normalizeRepoUrl } from '../engine/index.js';

interface Entry {
  readonly secret: string;
  readonly url: string;
  readonly repo: Repository;
}

/** Repository and repo-creds Secrets plus the TLS/SSH ConfigMaps, kept current by the caller. */
export class RepoCredentials {
  private readonly repos = new Map<string, Entry>();
  private readonly creds = new Map<string, Entry>();
  private tlsCerts: Readonly<Record<string, string>> = {};
  private knownHosts = '';
  /** bumped on every change (part of manifest cache keys) */
  generation = 0;

  /** Adds or replaces a Secret labelled `repository` or `repo-creds`; invalid ones are dropped. */
  upsertSecret(secret: KubeObject, type: string): string | undefined {
    const name = secret.metadata.name ?? '';
    this.deleteSecret(name);
    let repo: Repository;
    try {
      repo = repositoryFromSecret(secret);
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
    const entry = { secret: name, url: normalizeRepoUrl(repo.url), repo };
    (type === 'repo-creds' ? this.creds : this.repos).set(name, entry);
    this.generation++;
    return undefined;
  }

  deleteSecret(name: string): void {
    if (this.repos.delete(name) || this.creds.delete(name)) this.generation++;
  }

  setTlsCerts(cm: ConfigMap | undefined): void {
    this.tlsCerts = cm?.data ?? {};
    this.generation++;
  }

  setKnownHosts(cm: ConfigMap | undefined): void {
    this.knownHosts = cm?.data?.ssh_known_hosts ?? '';
    this.generation++;
  }

  /** The repository definition (with credentials) used for `repoURL`. */
  find(repoURL: string): Repository | undefined {
    const want = normalizeRepoUrl(repoURL);
    for (const e of this.repos.values()) if (e.url === want) return e.repo;
    let best: Entry | undefined;
    for (const e of this.creds.values())
      if (want.startsWith(e.url) && (!best || e.url.length > best.url.length)) best = e;
    return best?.repo;
  }

  /** The repo server's Repository message for `repoURL` (credentials included). */
  forRequest(repoURL: string): RepositoryInit {
    const r = this.find(repoURL);
    const out: Record<string, unknown> = { repo: repoURL, type: r?.type ?? 'git' };
    if (r) {
      const copy: (keyof Repository)[] = [
        'name',
        'username',
        'password',
        'bearerToken',
        'sshPrivateKey',
        'tlsClientCertData',
        'tlsClientCertKey',
        'insecure',
        'insecureIgnoreHostKey',
        'forceHttpBasicAuth',
        'depth',
      ];
      for (const k of copy) if (r[k] !== undefined) out[k] = r[k];
    }
    const host = hostOf(repoURL);
    const ca = host !== undefined ? this.tlsCerts[host] : undefined;
    if (ca) out.tlsCaData = ca;
    if (this.knownHosts) out.sshKnownHosts = this.knownHosts;
    return out;
  }
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    const scp = /^[^@]+@([^:]+):/.exec(url);
    return scp?.[1];
  }
}
