/**
 * Runs an external program (git, kustomize, kubectl, helm) the way the threat model asks: no shell,
 * an explicit scrubbed environment, a working directory chosen by the caller, a time limit that
 * kills the whole process group, a cap on stdout (the command is killed when it is exceeded) and a
 * small cap on stderr. Nothing here sanitises: callers pass stderr through `sanitizeText` with the
 * request's secrets before it reaches an error.
 */
import { spawn } from 'node:child_process';

export interface RunOptions {
  readonly cwd: string;
  /** the complete environment of the child; nothing is inherited */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** stdout beyond this many bytes kills the process and fails the run */
  readonly maxStdoutBytes: number;
  /** stderr beyond this many bytes is dropped (the run goes on) */
  readonly maxStderrBytes?: number;
  readonly signal?: AbortSignal;
  /** bytes written to stdin (then closed); stdin is /dev/null otherwise */
  readonly input?: string | Buffer;
}

export type RunOutcome =
  | {
      readonly kind: 'exited';
      readonly code: number;
      readonly stdout: Buffer;
      readonly stderr: string;
    }
  | { readonly kind: 'timeout'; readonly stderr: string }
  | { readonly kind: 'output-limit'; readonly stderr: string }
  | { readonly kind: 'aborted'; readonly stderr: string }
  | { readonly kind: 'spawn-error'; readonly error: NodeJS.ErrnoException };

const DEFAULT_MAX_STDERR = 64 * 1024;

function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    // the child leads its own process group (detached), so this also reaches its children
    process.kill(-pid, 'SIGKILL');
  } catch {
    // the group is already gone: nothing left to stop
  }
}

/** Runs `file args` and resolves with how it ended; never rejects. */
export function runProcess(
  file: string,
  args: readonly string[],
  options: RunOptions,
): Promise<RunOutcome> {
  return new Promise((resolve) => {
    if (options.signal?.aborted) {
      resolve({ kind: 'aborted', stderr: '' });
      return;
    }
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: { ...options.env },
      detached: true,
      shell: false,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const maxErr = options.maxStderrBytes ?? DEFAULT_MAX_STDERR;
    const out: Buffer[] = [];
    let outBytes = 0;
    const err: Buffer[] = [];
    let errBytes = 0;
    let ended: 'timeout' | 'output-limit' | 'aborted' | undefined;
    let settled = false;

    const finish = (outcome: RunOutcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const stop = (why: 'timeout' | 'output-limit' | 'aborted'): void => {
      if (ended) return;
      ended = why;
      killGroup(child.pid);
      // a grandchild that left the group could keep the pipes open: do not wait for it forever
      setTimeout(() => {
        finish({ kind: why, stderr: Buffer.concat(err).toString('utf8') });
      }, 2000).unref();
    };
    const onAbort = (): void => {
      stop('aborted');
    };
    const timer = setTimeout(() => {
      stop('timeout');
    }, options.timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout?.on('data', (chunk: Buffer) => {
      if (ended) return;
      outBytes += chunk.length;
      if (outBytes > options.maxStdoutBytes) {
        stop('output-limit');
        return;
      }
      out.push(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      if (errBytes >= maxErr) return;
      const room = maxErr - errBytes;
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      err.push(part);
      errBytes += part.length;
    });
    if (options.input !== undefined && child.stdin) {
      child.stdin.on('error', () => {
        // the child may exit before reading its input; its exit status tells what happened
      });
      child.stdin.end(options.input);
    }
    child.on('error', (error: NodeJS.ErrnoException) => {
      finish({ kind: 'spawn-error', error });
    });
    child.on('close', (code, signal) => {
      const stderr = Buffer.concat(err).toString('utf8');
      if (ended) {
        finish({ kind: ended, stderr });
        return;
      }
      finish({
        kind: 'exited',
        code: code ?? (signal ? 128 : 1),
        stdout: Buffer.concat(out),
        stderr,
      });
    });
  });
}
