/**
 * Watches a few small files for content changes, the way Kubernetes updates mounted Secrets: the
 * kubelet writes a new timestamped directory and swaps the `..data` symlink, so the files' own inodes
 * never change. We therefore watch the parent directories (any event there may mean a swap) and also
 * poll (fs.watch misses events on some filesystems and across symlink swaps), debounce bursts, read
 * every file, and report only when the combined content differs from the last content seen.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { errorMessage } from '../lib/index.js';
import { contentFingerprint } from './validate.js';

/** File contents by path; `undefined` when the file does not exist. */
export type FileContents = ReadonlyMap<string, string | undefined>;

export interface FileWatchOptions {
  /** how often to re-read the files even without a watch event (default 5000 ms) */
  readonly pollIntervalMs?: number;
  /** how long to wait after a watch event for the writer to finish (default 100 ms) */
  readonly debounceMs?: number;
}

export const DEFAULT_POLL_INTERVAL_MS = 5_000;
export const DEFAULT_DEBOUNCE_MS = 100;

/** Reads files; a missing file is `undefined`, any other read error is thrown. */
export async function readFiles(paths: readonly string[]): Promise<FileContents> {
  const out = new Map<string, string | undefined>();
  await Promise.all(
    paths.map(async (p) => {
      try {
        out.set(p, await readFile(p, 'utf8'));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') out.set(p, undefined);
        else throw err;
      }
    }),
  );
  return out;
}

/** The fingerprint of a set of file contents (order of `paths`). */
export function contentsFingerprint(paths: readonly string[], contents: FileContents): string {
  return contentFingerprint(paths.map((p) => contents.get(p)));
}

/**
 * Calls `onChange` with the new contents whenever the content of `paths` changes (compared with the
 * content passed as `initial`). `onChange` runs one at a time; errors reading the files go to
 * `onError` and are retried at the next poll.
 */
export class FileWatcher {
  private readonly paths: readonly string[];
  private readonly dirs: readonly string[];
  private readonly pollIntervalMs: number;
  private readonly debounceMs: number;
  private readonly watchers = new Map<string, FSWatcher>();
  private lastFingerprint: string;
  private debounceTimer: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  private readonly onChange: (contents: FileContents) => void;
  private readonly onError: (err: unknown) => void;

  constructor(
    paths: readonly string[],
    initial: FileContents,
    onChange: (contents: FileContents) => void,
    onError: (err: unknown) => void,
    options: FileWatchOptions = {},
  ) {
    this.onChange = onChange;
    this.onError = onError;
    if (paths.length === 0) throw new TypeError('FileWatcher needs at least one path');
    this.paths = [...paths];
    this.dirs = [...new Set(paths.map((p) => dirname(p)))];
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.debounceMs = options.debounceMs ?? DEFAULT_DEBOUNCE_MS;
    this.lastFingerprint = contentsFingerprint(this.paths, initial);
    this.watchDirs();
    if (this.pollIntervalMs > 0) {
      this.pollTimer = setInterval(() => {
        this.watchDirs();
        this.trigger();
      }, this.pollIntervalMs);
      this.pollTimer.unref();
    }
  }

  /** Re-reads the files now (after the debounce delay); used by watch events and polling. */
  schedule(): void {
    if (this.closed) return;
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
    this.debounceTimer = setTimeout(() => {
      this.debounceTimer = undefined;
      this.trigger();
    }, this.debounceMs);
    this.debounceTimer.unref();
  }

  /** Reads the files now and reports a change; resolves when done (tests, forced checks). */
  async check(): Promise<void> {
    this.trigger();
    while (this.running) await this.running;
  }

  close(): void {
    this.closed = true;
    if (this.debounceTimer) clearTimeout(this.debounceTimer);
    if (this.pollTimer) clearInterval(this.pollTimer);
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  private trigger(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.readOnce().finally(() => {
      this.running = undefined;
      if (this.again && !this.closed) {
        this.again = false;
        this.trigger();
      }
    });
  }

  private async readOnce(): Promise<void> {
    let contents: FileContents;
    try {
      contents = await readFiles(this.paths);
    } catch (err) {
      this.onError(err);
      return;
    }
    if (this.closed) return;
    const fp = contentsFingerprint(this.paths, contents);
    if (fp === this.lastFingerprint) return;
    this.lastFingerprint = fp;
    this.onChange(contents);
  }

  /** (Re)creates directory watches; a directory that does not exist yet is left to polling. */
  private watchDirs(): void {
    if (this.closed) return;
    for (const dir of this.dirs) {
      if (this.watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: false }, () => {
          this.schedule();
        });
        w.on('error', (err) => {
          // the directory went away (an unmounted volume): drop the watch, polling continues and
          // re-creates it when the directory is back
          w.close();
          this.watchers.delete(dir);
          this.onError(new Error(`stopped watching ${dir}: ${errorMessage(err)}`));
        });
        this.watchers.set(dir, w);
      } catch {
        // ENOENT and friends: polling covers it and retries the watch on the next tick
      }
    }
  }
}
