/**
 * The git cache: one bare repository per normalised repository URL, each in a directory with a
 * random name (a map in memory goes from URL to directory, so no path is ever derived from a URL
 * and one repository cannot guess where another one lives), and read-only checkouts per commit.
 *
 * - Refs come from `git ls-remote` with the request's credentials, cached for
 *   `--revision-cache-expiration` per (repository, credentials): a request with other (or wrong)
 *   credentials never reuses what a previous request was allowed to see.
 * - Commits are fetched with `--depth 1` by SHA where the server allows it (protocol v2 servers
 *   do), else with a full fetch of branches and tags. Every change to a bare repository happens
 *   under that repository's lock.
 * - Checkouts are git worktrees in `checkouts/<random>`, one per (repository, commit), shared by
 *   concurrent requests for the same commit (readers hold a lease), and evicted least recently
 *   used beyond `maxCheckouts`. Callers never modify a checkout except to add and remove a
 *   randomly named hidden directory of their own (the Kustomize overlay).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { errorMessage } from '../../lib/index.js';
import { KeyedMutex } from '../concurrency.js';
import { RepoServerError, isRepoServerError } from '../errors.js';
import type { GitRunner, RepoAccess } from './git.js';
import { parseLsRemote, resolveAgainstRefs, type RemoteRefs } from './refs.js';
import { isCommitSha, isShortSha, validateRevision } from './url.js';

export type GitRequestKind = 'ls-remote' | 'fetch';

export interface GitCacheOptions {
  readonly runner: GitRunner;
  /** where bare repositories and checkouts live (created 0700) */
  readonly cacheDir: string;
  /** how long ls-remote results are reused (`--revision-cache-expiration`) */
  readonly revisionCacheTtlMs: number;
  /** time limit of ls-remote (`--git-request-timeout`) */
  readonly lsRemoteTimeoutMs: number;
  /** time limit of fetch and checkout (`--exec-timeout`) */
  readonly fetchTimeoutMs: number;
  /** checkouts kept on disk (least recently used beyond this are removed) */
  readonly maxCheckouts: number;
  readonly logger: Logger;
  /** clock in ms (tests) */
  readonly now?: () => number;
  /** called for each request to a remote (metrics) */
  readonly onGitRequest?: (kind: GitRequestKind, repo: string) => void;
}

export interface CallOptions {
  /** skip the revision cache */
  readonly noCache?: boolean;
  readonly signal?: AbortSignal;
}

/** A checkout held by one request; call `release()` when done reading it. */
export interface CheckoutLease {
  readonly dir: string;
  readonly sha: string;
  release(): void;
}

export interface CommitMetadata {
  readonly author: string;
  /** RFC 3339 */
  readonly date: string;
  readonly message: string;
}

interface RepoEntry {
  readonly dir: string;
  readonly ready: Promise<void>;
}

interface CheckoutEntry {
  readonly repoKey: string;
  readonly repoDir: string;
  readonly dir: string;
  readonly ready: Promise<void>;
  refs: number;
  lastUsed: number;
}

const MAX_REVISION_CACHE_ENTRIES = 2048;

/** See the module comment. */
export class GitCache {
  readonly #o: GitCacheOptions;
  readonly #now: () => number;
  readonly #hmacKey = randomBytes(32);
  readonly #repos = new Map<string, RepoEntry>();
  readonly #locks = new KeyedMutex();
  readonly #refs = new Map<string, { expires: number; refs: RemoteRefs }>();
  readonly #inflight = new Map<string, Promise<RemoteRefs>>();
  readonly #checkouts = new Map<string, CheckoutEntry>();

  private constructor(o: GitCacheOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
  }

  static async create(o: GitCacheOptions): Promise<GitCache> {
    for (const sub of ['', 'repos', 'checkouts'])
      await mkdir(join(o.cacheDir, sub), { recursive: true, mode: 0o700 });
    return new GitCache(o);
  }

  /** Number of checkouts on disk (tests, metrics). */
  get checkoutCount(): number {
    return this.#checkouts.size;
  }

  /** The refs of a repository, from the revision cache or `git ls-remote`. */
  async listRefs(access: RepoAccess, opts: CallOptions = {}): Promise<RemoteRefs> {
    const key = `${access.url.cacheKey}\u0000${this.#fingerprint(access)}`;
    if (!opts.noCache) {
      const hit = this.#refs.get(key);
      if (hit && hit.expires > this.#now()) return hit.refs;
      const running = this.#inflight.get(key);
      if (running) return running;
    }
    const p = this.#lsRemote(access, opts.signal).then((refs) => {
      this.#refs.delete(key);
      if (this.#refs.size >= MAX_REVISION_CACHE_ENTRIES) {
        const oldest = this.#refs.keys().next();
        if (!oldest.done) this.#refs.delete(oldest.value);
      }
      this.#refs.set(key, { expires: this.#now() + this.#o.revisionCacheTtlMs, refs });
      return refs;
    });
    this.#inflight.set(key, p);
    try {
      return await p;
    } finally {
      if (this.#inflight.get(key) === p) this.#inflight.delete(key);
    }
  }

  /**
   * Resolves a branch, tag, `HEAD`, full ref or (abbreviated) SHA to a commit SHA. Always checks
   * access with the request's credentials first (ls-remote, cached).
   */
  async resolveRevision(
    access: RepoAccess,
    revision: string,
    opts: CallOptions = {},
  ): Promise<string> {
    const rev = revision.trim() === '' ? 'HEAD' : revision.trim();
    validateRevision(rev);
    const remote = await this.listRefs(access, opts);
    const sha = resolveAgainstRefs(remote, rev);
    if (sha !== undefined) return sha;
    if (isShortSha(rev)) {
      const full = await this.#resolveShortSha(access, rev, opts.signal);
      if (full !== undefined) return full;
    }
    throw new RepoServerError(
      'ERR_REVISION_NOT_FOUND',
      `failed to resolve revision "${rev}" in repository ${access.url.display}: no branch, tag or commit of that name`,
    );
  }

  /** A read-only checkout of a commit; fetches it first when needed. */
  async checkout(access: RepoAccess, sha: string, signal?: AbortSignal): Promise<CheckoutLease> {
    if (!isCommitSha(sha)) throw new TypeError(`checkout needs a full commit SHA, got "${sha}"`);
    const repo = await this.#repo(access);
    const key = `${repo.dir}\u0000${sha}`;
    let entry = this.#checkouts.get(key);
    if (!entry) {
      const dir = join(this.#o.cacheDir, 'checkouts', randomBytes(12).toString('hex'));
      const created: CheckoutEntry = {
        repoKey: access.url.cacheKey,
        repoDir: repo.dir,
        dir,
        ready: this.#createCheckout(access, repo.dir, sha, dir, signal),
        refs: 0,
        lastUsed: this.#now(),
      };
      entry = created;
      this.#checkouts.set(key, created);
    }
    const held = entry;
    held.refs++;
    held.lastUsed = this.#now();
    try {
      await held.ready;
    } catch (err) {
      held.refs--;
      if (this.#checkouts.get(key) === held) this.#checkouts.delete(key);
      throw err;
    }
    let released = false;
    return {
      dir: held.dir,
      sha,
      release: () => {
        if (released) return;
        released = true;
        held.refs--;
        held.lastUsed = this.#now();
        void this.#evict();
      },
    };
  }

  /** Author, date and message of a commit (fetched when needed). */
  async commitMetadata(
    access: RepoAccess,
    sha: string,
    signal?: AbortSignal,
  ): Promise<CommitMetadata> {
    if (!isCommitSha(sha))
      throw new TypeError(`commitMetadata needs a full commit SHA, got "${sha}"`);
    const repo = await this.#repo(access);
    await this.#locks.run(repo.dir, () => this.#ensureCommit(access, repo.dir, sha, signal));
    const out = await this.#o.runner.run(
      ['log', '-1', '--no-show-signature', '--format=%an <%ae>%x00%aI%x00%B', sha, '--'],
      {
        cwd: repo.dir,
        timeoutMs: this.#o.fetchTimeoutMs,
        action: 'read commit metadata of',
        ...(signal ? { signal } : {}),
      },
    );
    const [author = '', date = '', message = ''] = out.split('\u0000');
    return { author, date, message: message.replace(/\n+$/, '') };
  }

  /** Removes every checkout (the cache directory itself belongs to the caller). */
  async close(): Promise<void> {
    const entries = [...this.#checkouts.values()];
    this.#checkouts.clear();
    for (const e of entries) await rm(e.dir, { recursive: true, force: true });
  }

  #fingerprint(access: RepoAccess): string {
    const c = access.credentials;
    const material = JSON.stringify([
      access.url.gitUrl,
      access.url.urlUsername ?? '',
      access.url.urlPassword ?? '',
      c.username ?? '',
      c.password ?? '',
      c.bearerToken ?? '',
      c.forceHttpBasicAuth ?? false,
      c.sshPrivateKey ?? '',
      c.sshKnownHosts ?? '',
      c.insecureIgnoreHostKey ?? false,
      c.tlsClientCertData ?? '',
      c.tlsClientCertKey ?? '',
      c.tlsCaData ?? '',
      c.insecure ?? false,
    ]);
    return createHmac('sha256', this.#hmacKey).update(material).digest('hex');
  }

  async #lsRemote(access: RepoAccess, signal?: AbortSignal): Promise<RemoteRefs> {
    this.#o.onGitRequest?.('ls-remote', access.url.display);
    const out = await this.#o.runner.run(['ls-remote', '--symref', '--', access.url.gitUrl], {
      cwd: this.#o.cacheDir,
      timeoutMs: this.#o.lsRemoteTimeoutMs,
      remote: access,
      action: 'list refs of',
      ...(signal ? { signal } : {}),
    });
    return parseLsRemote(out);
  }

  async #repo(access: RepoAccess): Promise<RepoEntry> {
    const existing = this.#repos.get(access.url.cacheKey);
    if (existing) {
      await existing.ready;
      return existing;
    }
    const dir = join(this.#o.cacheDir, 'repos', randomBytes(12).toString('hex'));
    const entry: RepoEntry = {
      dir,
      ready: (async () => {
        await mkdir(dir, { mode: 0o700 });
        await this.#o.runner.run(['init', '--bare', '--quiet', dir], {
          cwd: this.#o.cacheDir,
          timeoutMs: this.#o.fetchTimeoutMs,
          action: 'initialise the cache of',
        });
      })(),
    };
    this.#repos.set(access.url.cacheKey, entry);
    try {
      await entry.ready;
    } catch (err) {
      this.#repos.delete(access.url.cacheKey);
      throw err;
    }
    return entry;
  }

  async #hasCommit(repoDir: string, rev: string): Promise<string | undefined> {
    try {
      const out = await this.#o.runner.run(
        ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`],
        {
          cwd: repoDir,
          timeoutMs: this.#o.fetchTimeoutMs,
          action: 'look up a commit in the cache of',
        },
      );
      const sha = out.trim();
      return isCommitSha(sha) ? sha : undefined;
    } catch (err) {
      if (isRepoServerError(err, 'ERR_GIT')) return undefined;
      throw err;
    }
  }

  async #fetch(
    access: RepoAccess,
    repoDir: string,
    args: string[],
    signal?: AbortSignal,
  ): Promise<void> {
    this.#o.onGitRequest?.('fetch', access.url.display);
    await this.#o.runner.run(['fetch', '--quiet', '--no-tags', '--no-write-fetch-head', ...args], {
      cwd: repoDir,
      timeoutMs: this.#o.fetchTimeoutMs,
      remote: access,
      action: 'fetch from',
      ...(signal ? { signal } : {}),
    });
  }

  /**
   * Arguments of a fetch of every branch and tag. A cache that earlier got one commit with
   * `--depth 1` is shallow: without `--unshallow` the older history would never arrive.
   */
  async #fullFetchArgs(access: RepoAccess, repoDir: string): Promise<string[]> {
    const shallow = await this.#o.runner.run(['rev-parse', '--is-shallow-repository'], {
      cwd: repoDir,
      timeoutMs: this.#o.fetchTimeoutMs,
      action: 'inspect the cache of',
    });
    return [
      ...(shallow.trim() === 'true' ? ['--unshallow'] : []),
      '--',
      access.url.gitUrl,
      '+refs/heads/*:refs/heads/*',
      '+refs/tags/*:refs/tags/*',
    ];
  }

  /** Makes sure a commit is in the bare repository; call under the repository's lock. */
  async #ensureCommit(
    access: RepoAccess,
    repoDir: string,
    sha: string,
    signal?: AbortSignal,
  ): Promise<void> {
    if ((await this.#hasCommit(repoDir, sha)) !== undefined) return;
    try {
      await this.#fetch(
        access,
        repoDir,
        ['--depth', String(access.depth ?? 1), '--', access.url.gitUrl, sha],
        signal,
      );
    } catch (err) {
      // servers without protocol v2 (or with uploadpack restrictions) refuse a want by SHA
      this.#o.logger.debug(
        { repo: access.url.display, err: errorMessage(err) },
        'fetch by SHA refused; fetching all refs',
      );
      await this.#fetch(access, repoDir, await this.#fullFetchArgs(access, repoDir), signal);
    }
    if ((await this.#hasCommit(repoDir, sha)) === undefined) {
      await this.#fetch(access, repoDir, await this.#fullFetchArgs(access, repoDir), signal);
      if ((await this.#hasCommit(repoDir, sha)) === undefined) {
        throw new RepoServerError(
          'ERR_REVISION_NOT_FOUND',
          `failed to fetch commit ${sha} from repository ${access.url.display}: the repository does not have it`,
        );
      }
    }
  }

  async #resolveShortSha(
    access: RepoAccess,
    short: string,
    signal?: AbortSignal,
  ): Promise<string | undefined> {
    const repo = await this.#repo(access);
    return this.#locks.run(repo.dir, async () => {
      const local = await this.#hasCommit(repo.dir, short);
      if (local !== undefined) return local;
      await this.#fetch(access, repo.dir, await this.#fullFetchArgs(access, repo.dir), signal);
      return this.#hasCommit(repo.dir, short);
    });
  }

  async #createCheckout(
    access: RepoAccess,
    repoDir: string,
    sha: string,
    dir: string,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.#locks.run(repoDir, async () => {
      await this.#ensureCommit(access, repoDir, sha, signal);
      await this.#o.runner.run(['worktree', 'add', '--detach', '--force', '--quiet', dir, sha], {
        cwd: repoDir,
        timeoutMs: this.#o.fetchTimeoutMs,
        action: `check out commit ${sha} of`,
      });
    });
  }

  async #evict(): Promise<void> {
    while (this.#checkouts.size > this.#o.maxCheckouts) {
      let victimKey: string | undefined;
      let victim: CheckoutEntry | undefined;
      for (const [k, e] of this.#checkouts) {
        if (e.refs > 0) continue;
        if (!victim || e.lastUsed < victim.lastUsed) {
          victim = e;
          victimKey = k;
        }
      }
      if (!victim || victimKey === undefined) return;
      this.#checkouts.delete(victimKey);
      const gone = victim;
      await this.#locks.run(gone.repoDir, async () => {
        try {
          await this.#o.runner.run(['worktree', 'remove', '--force', gone.dir], {
            cwd: gone.repoDir,
            timeoutMs: this.#o.fetchTimeoutMs,
            action: 'remove a checkout of',
          });
        } catch (err) {
          this.#o.logger.warn(
            { err: errorMessage(err) },
            'git worktree remove failed; deleting the checkout directly',
          );
          await rm(gone.dir, { recursive: true, force: true });
          await this.#o.runner
            .run(['worktree', 'prune'], {
              cwd: gone.repoDir,
              timeoutMs: this.#o.fetchTimeoutMs,
              action: 'prune checkouts of',
            })
            // the directory is gone already; a stale worktree entry only costs a line in
            // .git/worktrees and is pruned on the next successful removal
            .catch(() => undefined);
        }
      });
    }
  }
}
