/**
 * The process supervisor of `npm start`: starts each component as its own process (in its own
 * process group, so a Ctrl-C reaches only `npm start`, which then stops them in order), sends its
 * output to its own log file, polls its readiness check, and stops every process it started by PID
 * (SIGTERM, then SIGKILL after a grace period). A component that exits during start-up, or does
 * not become ready in time, fails with an error naming it and showing its last log lines; one that
 * exits later is reported through `onExit`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, renameSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import { CodedError } from '../lib/index.js';

export type LocalErrorCode =
  | 'ERR_LOCAL_COMPONENT_EXITED'
  | 'ERR_LOCAL_COMPONENT_NOT_READY'
  | 'ERR_LOCAL_PORT_BUSY'
  | 'ERR_LOCAL_ALREADY_RUNNING'
  | 'ERR_LOCAL_CLUSTER'
  | 'ERR_LOCAL_SETUP';

/** Errors of `npm start`; `component` names the process at fault when there is one. */
export class LocalError extends CodedError<LocalErrorCode> {
  readonly code: LocalErrorCode;
  readonly component: string | undefined;
  constructor(
    code: LocalErrorCode,
    message: string,
    options: { cause?: unknown; component?: string } = {},
  ) {
    super(message, options.cause === undefined ? {} : { cause: options.cause });
    this.code = code;
    this.component = options.component;
  }
}

export interface ComponentSpec {
  /** `argocd-server`, ... */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** the whole environment of the process (nothing else is inherited) */
  readonly env: Readonly<Record<string, string>>;
  readonly logFile: string;
  /** resolves true once the component answers its readiness check */
  readonly ready: () => Promise<boolean>;
}

export interface RunningComponent {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  /** milliseconds from spawn to ready */
  readonly readyMs: number;
}

export interface SupervisorOptions {
  readonly readyTimeoutMs: number;
  /** between SIGTERM and SIGKILL; default 10 s */
  readonly stopGraceMs?: number;
  /** poll interval of readiness checks; default 100 ms */
  readonly pollMs?: number;
}

/** The last `lines` lines of a log file ('(empty log)' / '(no log)' otherwise). */
export function tailFile(path: string, lines = 20): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return '(no log)';
  }
  const out = text.trimEnd();
  return out === '' ? '(empty log)' : out.split('\n').slice(-lines).join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

interface Entry {
  readonly spec: ComponentSpec;
  readonly child: ChildProcess;
  readonly pid: number;
  exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  readonly exited: Promise<void>;
  stopping: boolean;
}

/** See the module comment. */
export class Supervisor {
  readonly #options: Required<SupervisorOptions>;
  readonly #entries: Entry[] = [];
  #onExit: ((name: string, message: string) => void) | undefined;
  #stopping = false;
  readonly #killAll = (): void => {
    for (const e of this.#entries) {
      if (e.exit === undefined) {
        try {
          process.kill(e.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  };

  constructor(options: SupervisorOptions) {
    this.#options = { stopGraceMs: 10_000, pollMs: 100, ...options };
    // last resort when this process exits without stop(): never leave components behind
    process.on('exit', this.#killAll);
  }

  /** Called when a ready component exits while the system runs (not during stop()). */
  onExit(handler: (name: string, message: string) => void): void {
    this.#onExit = handler;
  }

  /** Name → PID of every process still running. */
  pids(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.#entries) if (e.exit === undefined) out[e.spec.name] = e.pid;
    return out;
  }

  /**
   * Starts a component and waits until it is ready. The previous log file is kept as `<log>.1`.
   * Throws LocalError (naming the component, with its last log lines) when it exits first or is
   * not ready within the timeout; the process is then stopped. When `signal` aborts, it stops
   * waiting and throws `signal.reason` (the process stays tracked: stopAll() stops it).
   */
  async start(spec: ComponentSpec, signal?: AbortSignal): Promise<RunningComponent> {
    if (existsSync(spec.logFile)) renameSync(spec.logFile, `${spec.logFile}.1`);
    const fd = openSync(spec.logFile, 'a', 0o600);
    const t0 = performance.now();
    let child: ChildProcess;
    try {
      child = spawn(spec.command, [...spec.args], {
        stdio: ['ignore', fd, fd],
        env: { ...spec.env },
        // its own process group: a Ctrl-C in the terminal reaches npm start only, which stops
        // the components in order instead of all of them dying at once
        detached: true,
      });
    } finally {
      closeSync(fd);
    }
    const pid = child.pid;
    if (pid === undefined) {
      const err = await new Promise<Error>((resolve) => child.once('error', resolve));
      throw new LocalError(
        'ERR_LOCAL_COMPONENT_EXITED',
        `failed to start ${spec.name}: ${err.message}`,
        { cause: err, component: spec.name },
      );
    }
    child.unref();
    let resolveExited: () => void = () => undefined;
    const entry: Entry = {
      spec,
      child,
      pid,
      exit: undefined,
      exited: new Promise<void>((r) => {
        resolveExited = r;
      }),
      stopping: false,
    };
    this.#entries.push(entry);
    let ready = false;
    child.once('exit', (code, signal) => {
      entry.exit = { code, signal };
      resolveExited();
      if (ready && !entry.stopping && !this.#stopping)
        this.#onExit?.(
          spec.name,
          `${spec.name} (PID ${pid}) exited with ${signal ?? `code ${String(code)}`}; last lines of ${spec.logFile}:\n${indent(tailFile(spec.logFile))}`,
        );
    });
    const deadline = Date.now() + this.#options.readyTimeoutMs;
    for (;;) {
      if (entry.exit !== undefined) {
        throw new LocalError(
          'ERR_LOCAL_COMPONENT_EXITED',
          `failed to start ${spec.name}: it exited with ${entry.exit.signal ?? `code ${String(entry.exit.code)}`} before it was ready; last lines of ${spec.logFile}:\n${indent(tailFile(spec.logFile))}`,
          { component: spec.name },
        );
      }
      if (signal?.aborted) throw signal.reason;
      if (await spec.ready().catch(() => false)) break;
      if (Date.now() > deadline) {
        await this.#stopEntry(entry);
        throw new LocalError(
          'ERR_LOCAL_COMPONENT_NOT_READY',
          `failed to start ${spec.name}: not ready after ${Math.round(this.#options.readyTimeoutMs / 1000)} s (raise --ready-timeout if this machine is busy); last lines of ${spec.logFile}:\n${indent(tailFile(spec.logFile))}`,
          { component: spec.name },
        );
      }
      await sleep(this.#options.pollMs);
    }
    ready = true;
    return { name: spec.name, pid, logFile: spec.logFile, readyMs: performance.now() - t0 };
  }

  async #stopEntry(entry: Entry): Promise<void> {
    entry.stopping = true;
    if (entry.exit !== undefined || !alive(entry.pid)) return;
    try {
      process.kill(entry.pid, 'SIGTERM');
    } catch {
      return; // exited between the check and the signal
    }
    // the grace timer is cancelled when the process exits, so it does not hold npm start's exit
    const grace = new AbortController();
    const graceful = await Promise.race([
      entry.exited.then(() => true),
      sleep(this.#options.stopGraceMs, false, { signal: grace.signal }).catch(() => false),
    ]);
    grace.abort();
    if (graceful) return;
    try {
      process.kill(entry.pid, 'SIGKILL');
    } catch {
      // exited just now
    }
    await entry.exited;
  }

  /**
   * Stops every process it started, by PID: SIGTERM to all at once, SIGKILL to those still running
   * after the grace period. Returns what was stopped and how.
   */
  async stopAll(): Promise<{ name: string; pid: number; how: string }[]> {
    this.#stopping = true;
    const running = this.#entries.filter((e) => e.exit === undefined);
    await Promise.all(running.map((e) => this.#stopEntry(e)));
    process.off('exit', this.#killAll);
    return running.map((e) => ({
      name: e.spec.name,
      pid: e.pid,
      how:
        e.exit?.signal === 'SIGKILL'
          ? 'killed after the grace period'
          : e.exit?.code === 0
            ? 'stopped'
            : `exited with ${e.exit?.signal ?? `code ${String(e.exit?.code)}`}`,
    }));
  }
}

export interface ProbeTls {
  readonly ca: string;
  /** client certificate for servers that demand one (mutual TLS) */
  readonly cert?: string;
  readonly key?: string;
}

/**
 * GET `url` once (2 s timeout) and resolve the status code, or 0 when nothing answered. An https
 * URL is verified against `tls.ca`; the client certificate is presented when given.
 */
export function probeStatus(url: string, tls?: ProbeTls): Promise<number> {
  return new Promise((resolve) => {
    const u = new URL(url);
    const options = {
      host: u.hostname,
      port: u.port,
      path: `${u.pathname}${u.search}`,
      method: 'GET',
      timeout: 2000,
      ...(u.protocol === 'https:' && tls
        ? {
            ca: tls.ca,
            ...(tls.cert !== undefined && tls.key !== undefined
              ? { cert: tls.cert, key: tls.key }
              : {}),
          }
        : {}),
    };
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(options, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => {
      resolve(0);
    });
    req.on('timeout', () => {
      req.destroy();
      resolve(0);
    });
    req.end();
  });
}
