/**
 * argocd: the composition root of the command-line client. Everything lives in src/cli; this only
 * runs it with the real terminal.
 */
import { processIo, runCli } from '../cli/index.js';

/** Runs `argocd <argv>`; returns the exit code. */
export function runArgocd(argv: readonly string[]): Promise<number> {
  return runCli(argv, processIo());
}
