/**
 * Commands are declared as data (`CommandDef`): name, arguments, options, a summary, at least one
 * example, and an action loaded lazily (the module with the work is imported only when the command
 * runs, so `argocd version` does not pay for Kubernetes or certificate code). `buildCommand` turns
 * the tree into commander commands; tests walk the same tree (help, completion).
 */
import { Command, Option } from 'commander';
import type { CommandContext } from './context.js';
import { usageError } from './errors.js';

/** Parsed option values of one command (commander's `opts()`), with typed accessors. */
export class Opts {
  readonly #raw: Readonly<Record<string, unknown>>;
  constructor(raw: Readonly<Record<string, unknown>>) {
    this.#raw = raw;
  }
  /** a string option; undefined when not given */
  string(key: string): string | undefined {
    const v = this.#raw[key];
    return typeof v === 'string' ? v : undefined;
  }
  /** a boolean option (`--x`, `--x=false`, `--no-x`); undefined when not given */
  bool(key: string): boolean | undefined {
    const v = this.#raw[key];
    return typeof v === 'boolean' ? v : undefined;
  }
  flag(key: string): boolean {
    return this.bool(key) === true;
  }
  /** a repeatable option (empty when not given) */
  list(key: string): string[] {
    const v = this.#raw[key];
    if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
    return typeof v === 'string' ? [v] : [];
  }
  /** a whole-number option; a usage error names the flag when it is not one */
  int(key: string, flag: string, min = Number.MIN_SAFE_INTEGER): number | undefined {
    const s = this.string(key);
    if (s === undefined) return undefined;
    const n = Number(s.trim());
    if (s.trim() === '' || !Number.isInteger(n) || n < min)
      throw usageError(
        `invalid value "${s}" for ${flag}: expected a whole number${min > Number.MIN_SAFE_INTEGER ? ` >= ${min}` : ''}`,
      );
    return n;
  }
  has(key: string): boolean {
    return this.#raw[key] !== undefined;
  }
}

export type ActionResult = number | undefined;
export type ActionFn = (
  ctx: CommandContext,
  args: readonly string[],
  opts: Opts,
) => Promise<ActionResult>;

/** An action in a module that is imported when the command runs. */
export interface LazyAction {
  readonly load: () => Promise<ActionFn>;
}

/**
 * @example
 * action: lazy(() => import('./app-actions.js'), 'appGet')
 */
export function lazy<M, K extends keyof M>(
  load: () => Promise<M>,
  key: K,
): M[K] extends ActionFn ? LazyAction : never {
  const out: LazyAction = {
    load: async () => (await load())[key] as unknown as ActionFn,
  };
  return out as M[K] extends ActionFn ? LazyAction : never;
}

export interface OptionDef {
  /** commander flags: `-o, --output <format>`, `--prune`, `--label <key=value>` */
  readonly flags: string;
  readonly description: string;
  readonly default?: string | boolean;
  /** may be given several times; the value is a list */
  readonly repeatable?: boolean;
  readonly choices?: readonly string[];
  readonly hidden?: boolean;
}

export interface ArgDef {
  /** `<name>`, `[revision]`, `<names...>` */
  readonly name: string;
  readonly description: string;
}

export interface CommandDef {
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly args?: readonly ArgDef[];
  readonly summary: string;
  /** longer help text (defaults to the summary) */
  readonly description?: string;
  /** one or more examples, `# what it does` comment lines followed by the command */
  readonly examples: string;
  readonly options?: readonly OptionDef[];
  readonly action?: LazyAction;
  readonly subcommands?: readonly CommandDef[];
}

/** What runs an action: builds the context, calls it, turns errors into exit codes. */
export type ActionRunner = (
  def: CommandDef,
  cmd: Command,
  args: readonly string[],
) => Promise<void>;

function collect(value: string, previous: unknown): string[] {
  return [...(Array.isArray(previous) ? (previous as string[]) : []), value];
}

/** The long name of a boolean flag definition (`--prune` → `prune`), else undefined. */
export function booleanFlagName(flags: string): string | undefined {
  if (/[<[]/.test(flags)) return undefined;
  const m = /--([a-z0-9][a-z0-9-]*)/.exec(flags);
  return m?.[1];
}

/** Builds the commander command for a definition (recursively). */
export function buildCommand(def: CommandDef, run: ActionRunner): Command {
  const cmd = new Command(def.name);
  for (const a of def.aliases ?? []) cmd.alias(a);
  cmd.summary(def.summary);
  cmd.description(def.description ?? def.summary);
  for (const a of def.args ?? []) cmd.argument(a.name, a.description);
  for (const o of def.options ?? []) {
    const opt = new Option(o.flags, o.description);
    if (o.repeatable) opt.argParser(collect);
    if (o.choices) opt.choices(o.choices);
    if (o.default !== undefined) opt.default(o.default);
    if (o.hidden) opt.hideHelp();
    cmd.addOption(opt);
    const bool = booleanFlagName(o.flags);
    if (bool !== undefined && !bool.startsWith('no-'))
      cmd.addOption(new Option(`--no-${bool}`, `do not ${bool}`).hideHelp());
  }
  cmd.addHelpText('after', `\nExamples:\n${indent(def.examples.trim())}\n`);
  for (const sub of def.subcommands ?? []) cmd.addCommand(buildCommand(sub, run));
  if (def.action) {
    cmd.action(async (...params: unknown[]) => {
      // commander passes the declared arguments, then the options object, then the command
      const self = params[params.length - 1] as Command;
      const args = params
        .slice(0, def.args?.length ?? 0)
        .flatMap((p) =>
          Array.isArray(p)
            ? p.filter((x): x is string => typeof x === 'string')
            : typeof p === 'string'
              ? [p]
              : [],
        );
      await run(def, self, args);
    });
  }
  return cmd;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => (l === '' ? '' : `  ${l}`))
    .join('\n');
}
