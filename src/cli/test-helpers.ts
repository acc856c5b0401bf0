/**
 * Test support for the CLI's unit tests (imported only by `*.test.ts`): an in-memory terminal
 * that captures stdout/stderr and serves stdin line by line, to drive `runCli` in-process.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from './io.js';
import { runCli } from './program.js';

export interface CapturedIo extends CliIo {
  readonly out: string[];
  readonly err: string[];
  stdoutText(): string;
  stderrText(): string;
}

/** A terminal whose stdin is `stdin` (lines) and whose HOME is a fresh temp directory. */
export function captureIo(
  options: {
    stdin?: string;
    env?: Record<string, string>;
    interactive?: boolean;
    home?: string;
  } = {},
): CapturedIo {
  const out: string[] = [];
  const err: string[] = [];
  let rest = options.stdin ?? '';
  const home = options.home ?? mkdtempSync(join(tmpdir(), 'argocd-cli-unit-'));
  const line = (): Promise<string | undefined> => {
    if (rest === '') return Promise.resolve(undefined);
    const nl = rest.indexOf('\n');
    const l = nl === -1 ? rest : rest.slice(0, nl);
    rest = nl === -1 ? '' : rest.slice(nl + 1);
    return Promise.resolve(l);
  };
  return {
    out,
    err,
    stdoutText: () => out.join(''),
    stderrText: () => err.join(''),
    stdout: { write: (t) => void out.push(t) },
    stderr: { write: (t) => void err.push(t) },
    env: { HOME: home, ARGOCD_CONFIG_DIR: join(home, 'argocd'), ...(options.env ?? {}) },
    interactive: options.interactive ?? false,
    stdoutIsTty: false,
    homeDir: home,
    cwd: home,
    readLine: line,
    readSecret: line,
    readAll: () => {
      const r = rest;
      rest = '';
      return Promise.resolve(r);
    },
    now: () => new Date('2026-01-02T03:04:05Z'),
  };
}

/** Runs `argocd <args>` in-process; returns the exit code and the captured output. */
export async function runArgocdInProcess(
  args: readonly string[],
  options: Parameters<typeof captureIo>[0] = {},
): Promise<{ code: number; stdout: string; stderr: string; io: CapturedIo }> {
  const io = captureIo(options);
  const code = await runCli(args, io);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText(), io };
}
