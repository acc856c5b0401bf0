/**
 * The `argocd` program: the root command with the global flags, every command definition, and
 * `runCli`, which parses the arguments, runs the action and returns the exit code (never calls
 * process.exit, so tests can drive it).
 */
import type { Command } from 'commander';
import { CommanderError, Option } from 'commander';
import { newProgram, VERSION } from '../config/index.js';
import { accountCommand } from './commands/account.js';
import { adminCommand } from './commands/admin.js';
import { appCommand } from './commands/app.js';
import { clusterCommand } from './commands/cluster.js';
import { completionCommand } from './commands/completion.js';
import { projCommand } from './commands/proj.js';
import { repoCommand, repocredsCommand } from './commands/repo.js';
import {
  contextCommand,
  loginCommand,
  logoutCommand,
  reloginCommand,
  versionCommand,
} from './commands/session.js';
import { CommandContext } from './context.js';
import {
  booleanFlagName,
  buildCommand,
  Opts,
  type ActionRunner,
  type CommandDef,
} from './define.js';
import { exitCodeFor, ExitCodes, formatError, usageError, type CliError } from './errors.js';
import { globalOptionDefs, resolveGlobals, splitArgocdOpts } from './global-options.js';
import { processIo, type CliIo } from './io.js';

/** Every top-level command, in help order. */
export const commandDefs: readonly CommandDef[] = [
  loginCommand,
  logoutCommand,
  reloginCommand,
  contextCommand,
  versionCommand,
  appCommand,
  projCommand,
  repoCommand,
  repocredsCommand,
  clusterCommand,
  accountCommand,
  adminCommand,
  completionCommand,
];

function applyRecursively(cmd: Command, f: (c: Command) => void): void {
  f(cmd);
  for (const c of cmd.commands) applyRecursively(c, f);
}

/** The commander tree (actions call `run`). */
export function buildProgram(run: ActionRunner, io?: CliIo): Command {
  const program = newProgram(
    'argocd',
    'argocd controls an Argo CD (or argocd-ts) server: applications, projects, repositories, clusters, accounts.',
    VERSION,
  ).allowExcessArguments(false);
  for (const o of globalOptionDefs) {
    const opt = new Option(o.flags, o.description);
    if (o.repeatable)
      opt.argParser((v: string, prev: unknown) => [
        ...(Array.isArray(prev) ? (prev as string[]) : []),
        v,
      ]);
    if (o.choices) opt.choices(o.choices);
    if (o.default !== undefined) opt.default(o.default);
    program.addOption(opt);
  }
  for (const def of commandDefs) program.addCommand(buildCommand(def, run));
  applyRecursively(program, (c) => {
    c.exitOverride();
    c.configureHelp({ showGlobalOptions: true, sortSubcommands: false });
    c.showHelpAfterError('(run with --help for usage)');
    if (io)
      c.configureOutput({
        writeOut: (s) => {
          io.stdout.write(s);
        },
        writeErr: (s) => {
          io.stderr.write(s);
        },
      });
  });
  return program;
}

/** Every boolean long flag of the tree (for `--flag=true|false` rewriting). */
function booleanFlags(program: Command): Set<string> {
  const out = new Set<string>(['insecure', 'plaintext', 'grpc-web']);
  applyRecursively(program, (c) => {
    for (const o of c.options) {
      const name = o.long ? booleanFlagName(o.flags) : undefined;
      if (name && !name.startsWith('no-')) out.add(name);
    }
  });
  return out;
}

/**
 * Rewrites cobra-style `--flag=true|false` of boolean flags to `--flag` / `--no-flag`, which
 * commander understands (`argocd app delete x --cascade=false`).
 */
export function rewriteBooleanFlags(argv: readonly string[], flags: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const a of argv) {
    if (a === '--') {
      out.push(...argv.slice(out.length));
      break;
    }
    // --no-proxy is a value flag of repo add (commander would read it as "not --proxy")
    if (a === '--no-proxy' || a.startsWith('--no-proxy=')) {
      out.push(a.replace('--no-proxy', '--noproxy'));
      continue;
    }
    const m = /^--([a-z0-9][a-z0-9-]*)=(.*)$/i.exec(a);
    if (m && flags.has(m[1] ?? '')) {
      const v = (m[2] ?? '').toLowerCase();
      if (v === 'true' || v === '1' || v === 't') out.push(`--${m[1] ?? ''}`);
      else if (v === 'false' || v === '0' || v === 'f') out.push(`--no-${m[1] ?? ''}`);
      else out.push(a);
    } else out.push(a);
  }
  return out;
}

/**
 * Argo CD flags this CLI deliberately does not implement, with what to do instead (a usage error
 * that explains beats commander's "unknown option").
 */
const UNSUPPORTED_FLAGS: Readonly<Record<string, string>> = {
  core: "--core is not supported: this CLI always talks to an API server; run 'argocd login <server>' (npm start runs one locally)",
  'port-forward':
    '--port-forward is not supported: forward a port yourself (kubectl port-forward -n argocd svc/argocd-server 8080:443) and pass --server 127.0.0.1:8080',
  'port-forward-namespace':
    '--port-forward-namespace is not supported: forward a port yourself (kubectl port-forward -n <namespace> svc/argocd-server 8080:443) and pass --server 127.0.0.1:8080',
};

/** The usage error for the first unsupported Argo CD flag in `argv` (before `--`), if any. */
export function unsupportedFlag(argv: readonly string[]): CliError | undefined {
  for (const a of argv) {
    if (a === '--') return undefined;
    const m = /^--([a-z-]+)(=.*)?$/.exec(a);
    const why = m ? UNSUPPORTED_FLAGS[m[1] ?? ''] : undefined;
    if (why !== undefined) return usageError(why);
  }
  return undefined;
}

/** Runs `argocd <argv>`; returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let exitCode: number = ExitCodes.ok;
  const run: ActionRunner = async (def, cmd, args) => {
    let ctx: CommandContext | undefined;
    try {
      ctx = new CommandContext(io, resolveGlobals(cmd.optsWithGlobals(), io.env), program);
      if (!def.action) throw new TypeError(`command ${def.name} has no action`);
      const fn = await def.action.load();
      exitCode = (await fn(ctx, args, new Opts(cmd.opts()))) ?? ExitCodes.ok;
    } catch (err) {
      io.stderr.write(formatError(err, ctx?.secrets ?? []));
      exitCode = exitCodeFor(err);
    } finally {
      if (ctx) {
        try {
          await ctx.close();
        } catch (err) {
          io.stderr.write(formatError(err, ctx.secrets));
          if (exitCode === 0) exitCode = exitCodeFor(err);
        }
      }
    }
  };
  const program = buildProgram(run, io);
  let args: string[];
  try {
    args = rewriteBooleanFlags(
      [...splitArgocdOpts(io.env.ARGOCD_OPTS), ...argv],
      booleanFlags(program),
    );
    const unsupported = unsupportedFlag(args);
    if (unsupported) throw unsupported;
  } catch (err) {
    io.stderr.write(formatError(err));
    return exitCodeFor(err);
  }
  try {
    if (args.length === 0) {
      program.outputHelp();
      return ExitCodes.ok;
    }
    await program.parseAsync(args, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.help' ||
        err.code === 'commander.version'
      )
        return ExitCodes.ok;
      return ExitCodes.usage;
    }
    io.stderr.write(formatError(err));
    return exitCodeFor(err);
  }
  return exitCode;
}
