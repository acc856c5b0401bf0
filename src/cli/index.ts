/**
 * cli: the `argocd` command-line client (≈ `cmd/argocd`), Argo CD's commands and flags over the
 * REST API (`src/client`), plus the admin commands that work on the cluster and on files directly
 * (ADR 0001: `rbac`, `tls`, `kube`).
 *
 * - `runCli(argv, io?)`: parses, runs, returns the exit code (never exits the process). Exit codes:
 *   `ExitCodes` (0 ok, 1 command-specific result, 2 usage, 11 connection, 12 refused, 13 not
 *   found, 20 other).
 * - Commands are data (`CommandDef` in `commands/*.ts`) with lazily imported actions; the same tree
 *   gives `--help` (with examples) and `completion bash|zsh`.
 * - The config file is Argo CD's (`localconfig.ts`), written 0600 in a 0700 directory.
 * - Output: tables for people (`output/table.ts`), `-o json|yaml` for machines, unified diffs.
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2));
 */
export { runCli, buildProgram, commandDefs, rewriteBooleanFlags } from './program.js';
export {
  ExitCodes,
  CliError,
  exitCodeFor,
  formatError,
  type ExitCode,
  type CliErrorCode,
} from './errors.js';
export { processIo, type CliIo, type Output } from './io.js';
export { bashCompletion, zshCompletion, commandNodes } from './completion.js';
export {
  parseLocalConfig,
  serializeLocalConfig,
  readLocalConfig,
  writeLocalConfig,
  defaultConfigDir,
  type LocalConfig,
} from './localconfig.js';
export {
  ssoLogin,
  refreshSsoToken,
  ssoProviderFromSettings,
  type SsoTokens,
  type SsoLoginOptions,
  type SsoContext,
} from './sso.js';
export { CommandContext } from './context.js';
export { resolveGlobals } from './global-options.js';
