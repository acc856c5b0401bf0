/**
 * Repository URLs: which ones git may be pointed at, and the key of each repository's cache.
 *
 * Allowed: `https://`, `http://` (only when the repository is marked insecure), `ssh://` (and git's
 * `git+ssh://`/`ssh+git://` spellings), scp-style `user@host:path`, and `file://` or an absolute
 * path only when the server runs with `--dangerously-allow-file-repos`. Refused: anything that
 * starts with `-` (it would be read as an option), git's `<transport>::<address>` remote-helper
 * syntax (`ext::sh -c ...`), `git://`, other schemes, control characters and whitespace.
 *
 * Credentials written into an https URL (`https://user:pass@host/...`) are moved out of it: git is
 * given the bare URL and the credentials through its askpass helper, so they never show in a
 * process list, the cache, a log line or an error.
 *
 * The cache key follows Argo CD's normalisation where it is safe: the scheme and host are
 * lower-cased, userinfo is dropped, a trailing `/` and `.git` are removed. The path keeps its case:
 * on a case-sensitive git host `org/App` and `org/app` are different repositories and must never
 * share a cache (one could read the other's commits).
 */
import { sanitizeUrl } from '../../lib/index.js';
import { RepoServerError, type SecurityClass } from '../errors.js';
import { Refusal } from '../security.js';

export type RepoUrlKind = 'https' | 'http' | 'ssh' | 'scp' | 'file';

export interface ParsedRepoUrl {
  readonly kind: RepoUrlKind;
  /** the URL handed to git: no password, no token */
  readonly gitUrl: string;
  /** the cache key (see the module comment) */
  readonly cacheKey: string;
  /** the URL without any credentials, for logs and errors */
  readonly display: string;
  /** lower-cased host name ('' for file repositories) */
  readonly host: string;
  /** credentials that were written into the URL, moved out of it */
  readonly urlUsername?: string;
  readonly urlPassword?: string;
}

export interface RepoUrlPolicy {
  /** allow plain http:// (the repository is marked insecure) */
  readonly allowHttp: boolean;
  /** allow file:// and absolute local paths (tests and local demos only) */
  readonly allowFileRepos: boolean;
}

const CONTROL_OR_SPACE = /[\p{Cc}\s]/u;
const REMOTE_HELPER = /^[A-Za-z][A-Za-z0-9+.-]*::/;
const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const SCP = /^(?:([^@/:]+)@)?(\[[^\]]+\]|[^:/]+):(.*)$/;

function invalid(message: string, security?: SecurityClass): RepoServerError {
  return new RepoServerError('ERR_INVALID_REPO_URL', message, security ? { security } : {});
}

function trimRepoPath(path: string): string {
  let p = path;
  while (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  if (p.endsWith('.git')) p = p.slice(0, -4);
  while (p.length > 1 && p.endsWith('/')) p = p.slice(0, -1);
  return p;
}

function checkHost(host: string, shown: string): void {
  if (host === '') throw invalid(`repository URL "${shown}" has no host`);
  if (host.startsWith('-'))
    throw invalid(
      `repository URL "${shown}" has a host starting with "-", which git would read as an option`,
      Refusal.argumentInjection,
    );
}

/**
 * Validates a repository URL against the policy and splits it into what git gets and what the
 * cache is keyed by. Throws `RepoServerError` `ERR_INVALID_REPO_URL` saying what is wrong.
 * @example
 * parseRepoUrl('https://bob:pw@Git.Example/org/App.git/', { allowHttp: false, allowFileRepos: false })
 * // { kind: 'https', gitUrl: 'https://Git.Example/org/App.git/', cacheKey: 'https://git.example/org/App', urlUsername: 'bob', ... }
 */
export function parseRepoUrl(raw: string, policy: RepoUrlPolicy): ParsedRepoUrl {
  const url = raw.trim();
  if (url === '') {
    throw new RepoServerError('ERR_INVALID_REQUEST', 'repository URL is empty: set the repo URL');
  }
  const shown = sanitizeUrl(url);
  if (url.startsWith('-'))
    throw invalid(
      `repository URL "${shown}" starts with "-", which git would read as an option`,
      Refusal.argumentInjection,
    );
  if (CONTROL_OR_SPACE.test(url))
    throw invalid(
      `repository URL "${shown}" contains whitespace or control characters`,
      Refusal.argumentInjection,
    );
  if (REMOTE_HELPER.test(url))
    throw invalid(
      `repository URL "${shown}" uses git's "<transport>::" remote-helper syntax, which is not allowed`,
      Refusal.argumentInjection,
    );

  const scheme = SCHEME.exec(url)?.[1]?.toLowerCase();
  if (scheme !== undefined) return parseSchemeUrl(url, scheme, shown, policy);

  if (url.startsWith('/')) {
    if (!policy.allowFileRepos)
      throw invalid(
        `local repository path "${shown}" is not allowed: only https, ssh and scp-style URLs are (file repositories need --dangerously-allow-file-repos)`,
        Refusal.disallowedTransport,
      );
    const path = trimRepoPath(url);
    return { kind: 'file', gitUrl: url, cacheKey: `file://${path}`, display: url, host: '' };
  }

  const scp = SCP.exec(url);
  if (scp) {
    const user = scp[1];
    const host = (scp[2] ?? '').toLowerCase();
    const path = scp[3] ?? '';
    checkHost(host, shown);
    if (user?.startsWith('-'))
      throw invalid(
        `repository URL "${shown}" has a user starting with "-"`,
        Refusal.argumentInjection,
      );
    if (path === '') throw invalid(`repository URL "${shown}" has no path`);
    return {
      kind: 'scp',
      gitUrl: url,
      cacheKey: `scp:${host}:${trimRepoPath(path)}`,
      display: url,
      host,
    };
  }
  throw invalid(
    `repository URL "${shown}" is not a URL git can use: expected https://host/path, ssh://user@host/path or user@host:path`,
  );
}

function parseSchemeUrl(
  url: string,
  scheme: string,
  shown: string,
  policy: RepoUrlPolicy,
): ParsedRepoUrl {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalid(`repository URL "${shown}" cannot be parsed`);
  }
  const host = u.hostname.toLowerCase();
  const port = u.port === '' ? '' : `:${u.port}`;
  switch (scheme) {
    case 'https':
    case 'http': {
      if (scheme === 'http' && !policy.allowHttp)
        throw invalid(
          `repository URL "${shown}" uses plain http: use https, or mark the repository insecure to allow it`,
          Refusal.disallowedTransport,
        );
      checkHost(host, shown);
      const urlUsername = u.username === '' ? undefined : decodeURIComponent(u.username);
      const urlPassword = u.password === '' ? undefined : decodeURIComponent(u.password);
      u.username = '';
      u.password = '';
      u.hash = '';
      const path = trimRepoPath(u.pathname);
      const parsed: ParsedRepoUrl = {
        kind: scheme,
        gitUrl: u.toString(),
        cacheKey: `${scheme}://${host}${port}${path}${u.search}`,
        display: sanitizeUrl(u.toString()),
        host,
      };
      return {
        ...parsed,
        ...(urlUsername === undefined ? {} : { urlUsername }),
        ...(urlPassword === undefined ? {} : { urlPassword }),
      };
    }
    case 'ssh':
    case 'git+ssh':
    case 'ssh+git': {
      checkHost(host, shown);
      if (u.username.startsWith('-'))
        throw invalid(
          `repository URL "${shown}" has a user starting with "-"`,
          Refusal.argumentInjection,
        );
      u.password = '';
      const path = trimRepoPath(u.pathname);
      if (path === '' || path === '/') throw invalid(`repository URL "${shown}" has no path`);
      return {
        kind: 'ssh',
        gitUrl: u.toString(),
        cacheKey: `ssh://${host}${port}${path}`,
        display: sanitizeUrl(u.toString()),
        host,
      };
    }
    case 'file': {
      if (!policy.allowFileRepos)
        throw invalid(
          `repository URL "${shown}" uses file://, which is not allowed (start the repo server with --dangerously-allow-file-repos for local tests)`,
          Refusal.disallowedTransport,
        );
      if (host !== '' && host !== 'localhost')
        throw invalid(
          `repository URL "${shown}" names a host; file:// URLs must be local`,
          Refusal.disallowedTransport,
        );
      const path = trimRepoPath(decodeURIComponent(u.pathname));
      return { kind: 'file', gitUrl: url, cacheKey: `file://${path}`, display: url, host: '' };
    }
    case 'git':
      throw invalid(
        `repository URL "${shown}" uses git://, which has neither authentication nor integrity: use https or ssh`,
        Refusal.disallowedTransport,
      );
    default:
      throw invalid(
        `repository URL "${shown}" uses the scheme "${scheme}", which is not allowed: use https or ssh`,
        Refusal.ssrf,
      );
  }
}

/** A full commit id (SHA-1 or SHA-256), lower-case hex. */
export function isCommitSha(revision: string): boolean {
  return /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(revision);
}

/** An abbreviated commit id (at least 7 hex characters). */
export function isShortSha(revision: string): boolean {
  return /^[0-9a-f]{7,39}$/.test(revision);
}

/**
 * Checks a revision before it is used: a branch, tag, full ref, `HEAD` or a SHA. Refuses anything
 * git could read as an option or that is not a valid ref name (`git check-ref-format` rules).
 */
export function validateRevision(revision: string): void {
  const r = revision;
  const bad = (why: string, security?: SecurityClass): RepoServerError =>
    new RepoServerError(
      'ERR_INVALID_REVISION',
      `revision "${r.slice(0, 100)}" is not valid: ${why}; use a branch, tag, HEAD or commit SHA`,
      security ? { security } : {},
    );
  if (r.length > 255) throw bad('it is longer than 255 characters');
  if (r.startsWith('-')) throw bad('it starts with "-"', Refusal.argumentInjection);
  if (/[\p{Cc}\s~^:?*[\\]/u.test(r))
    throw bad('it contains a character git does not allow in refs');
  if (r.includes('..') || r.includes('@{') || r.includes('//'))
    throw bad('it contains "..", "@{" or "//"');
  if (r.endsWith('.') || r.endsWith('/') || r.endsWith('.lock') || r.startsWith('/'))
    throw bad('it starts or ends with "/" or ends with "." or ".lock"');
  if (r.split('/').some((part) => part.startsWith('.'))) throw bad('a component starts with "."');
}
