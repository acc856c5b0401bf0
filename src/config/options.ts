/**
 * Declarative options: each binary lists its flags once, with the environment variable that sets
 * it (as Argo CD's manifests do from `argocd-cmd-params-cm`), the `argocd-cmd-params-cm` key, a
 * default (a named constant) and a parser. `resolveOptions` applies flag > env > default, validates
 * everything at start-up and returns a frozen object; nothing reads process.env after that.
 */
import { Command, Option } from 'commander';
import { CodedError, errorMessage, parseByteQuantity, parseDuration } from '../lib/index.js';

export class ConfigError extends CodedError<'ERR_INVALID_OPTION'> {
  readonly code = 'ERR_INVALID_OPTION';
}

export interface OptionSpec<T> {
  /** flag name without dashes, e.g. `tlsminversion` */
  readonly flag: string;
  readonly description: string;
  readonly default: T;
  /** parses the flag/env text; throws (any error) with a message saying what is expected */
  readonly parse: (raw: string) => T;
  readonly env?: string;
  /** key of argocd-cmd-params-cm that the manifests map to `env` */
  readonly cmdParamsKey?: string;
  /** boolean flags may be given bare (`--insecure`) */
  readonly boolean?: boolean;
  /** never print the value (help shows no default, errors hide the input) */
  readonly secret?: boolean;
  readonly hidden?: boolean;
  /** shown in help instead of the default value */
  readonly defaultDescription?: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec<unknown>>>;
export type ResolvedOptions<S extends OptionSpecs> = {
  readonly [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never;
};

/** Typed helpers for common option kinds. */
export const opt = {
  string(
    flag: string,
    description: string,
    def: string,
    extra: Partial<OptionSpec<string>> = {},
  ): OptionSpec<string> {
    return { flag, description, default: def, parse: (s) => s, ...extra };
  },
  optionalString(
    flag: string,
    description: string,
    extra: Partial<OptionSpec<string | undefined>> = {},
  ): OptionSpec<string | undefined> {
    return {
      flag,
      description,
      default: undefined,
      parse: (s) => (s === '' ? undefined : s),
      ...extra,
    };
  },
  bool(
    flag: string,
    description: string,
    def: boolean,
    extra: Partial<OptionSpec<boolean>> = {},
  ): OptionSpec<boolean> {
    return { flag, description, default: def, boolean: true, parse: parseBoolean, ...extra };
  },
  int(
    flag: string,
    description: string,
    def: number,
    extra: Partial<OptionSpec<number>> & { min?: number; max?: number } = {},
  ): OptionSpec<number> {
    const { min, max, ...rest } = extra;
    return {
      flag,
      description,
      default: def,
      parse: (s) => {
        const n = Number(s);
        if (!Number.isInteger(n)) throw new TypeError('expected a whole number');
        if (min !== undefined && n < min) throw new TypeError(`must be at least ${min}`);
        if (max !== undefined && n > max) throw new TypeError(`must be at most ${max}`);
        return n;
      },
      ...rest,
    };
  },
  /** a Go duration (`90s`, `3m`), resolved to milliseconds */
  durationMs(
    flag: string,
    description: string,
    def: number,
    extra: Partial<OptionSpec<number>> = {},
  ): OptionSpec<number> {
    return { flag, description, default: def, parse: parseDuration, ...extra };
  },
  /** a byte quantity (`10M`, `512Ki`), resolved to bytes */
  bytes(
    flag: string,
    description: string,
    def: number,
    extra: Partial<OptionSpec<number>> = {},
  ): OptionSpec<number> {
    return { flag, description, default: def, parse: parseByteQuantity, ...extra };
  },
  list(
    flag: string,
    description: string,
    def: readonly string[],
    sep = ',',
    extra: Partial<OptionSpec<readonly string[]>> = {},
  ): OptionSpec<readonly string[]> {
    return {
      flag,
      description,
      default: def,
      parse: (s) =>
        s
          .split(sep)
          .map((x) => x.trim())
          .filter(Boolean),
      ...extra,
    };
  },
  oneOf<T extends string>(
    flag: string,
    description: string,
    values: readonly T[],
    def: T,
    extra: Partial<OptionSpec<T>> = {},
  ): OptionSpec<T> {
    return {
      flag,
      description,
      default: def,
      parse: (s) => {
        if ((values as readonly string[]).includes(s)) return s as T;
        throw new TypeError(`expected one of ${values.join(', ')}`);
      },
      ...extra,
    };
  },
};

export function parseBoolean(s: string): boolean {
  const t = s.trim().toLowerCase();
  if (t === 'true' || t === '1' || t === 'yes') return true;
  if (t === 'false' || t === '0' || t === 'no') return false;
  throw new TypeError('expected true or false');
}

function describeDefault(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (Array.isArray(v)) return v.map((x) => String(x)).join(',');
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function camel(flag: string): string {
  return flag.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** Adds the options to a commander command (help text shows env vars and defaults). */
export function bindOptions(cmd: Command, specs: OptionSpecs): Command {
  for (const spec of Object.values(specs)) {
    const flags = spec.boolean ? `--${spec.flag} [bool]` : `--${spec.flag} <value>`;
    let desc = spec.description;
    if (spec.env) desc += ` (env ${spec.env})`;
    if (!spec.secret) {
      // commander prints a default only for a defined default value, which would hide whether the
      // flag was given (flag > env > default): show it in the description instead
      const shown = spec.defaultDescription ?? describeDefault(spec.default);
      if (shown !== '') desc += ` (default: ${shown})`;
    }
    const o = new Option(flags, desc);
    if (spec.hidden) o.hideHelp();
    cmd.addOption(o);
  }
  return cmd;
}

/**
 * Resolves options from commander's parsed values (`cmd.opts()`) and the environment: flag > env >
 * default. Throws ConfigError naming the flag (and env var) and what was expected.
 */
export function resolveOptions<S extends OptionSpecs>(
  specs: S,
  flagValues: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv = process.env,
): ResolvedOptions<S> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const fromFlag = flagValues[camel(spec.flag)];
    let raw: string | undefined;
    let source: string;
    if (fromFlag !== undefined) {
      raw =
        typeof fromFlag === 'string'
          ? fromFlag
          : fromFlag === true
            ? 'true'
            : JSON.stringify(fromFlag);
      source = `--${spec.flag}`;
    } else if (spec.env && env[spec.env] !== undefined && env[spec.env] !== '') {
      raw = env[spec.env];
      source = `environment variable ${spec.env}`;
    } else {
      out[key] = spec.default;
      continue;
    }
    try {
      out[key] = spec.parse(raw ?? '');
    } catch (err) {
      const shown = spec.secret ? '' : ` "${raw ?? ''}"`;
      throw new ConfigError(`invalid value${shown} for ${source}: ${errorMessage(err)}`);
    }
  }
  return Object.freeze(out) as ResolvedOptions<S>;
}

/** Maps argocd-cmd-params-cm data to the environment variables the specs read (for launchers). */
export function envFromCmdParams(
  specs: OptionSpecs,
  data: Readonly<Record<string, string>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const spec of Object.values(specs)) {
    if (spec.cmdParamsKey && spec.env && data[spec.cmdParamsKey] !== undefined)
      out[spec.env] = data[spec.cmdParamsKey] ?? '';
  }
  return out;
}

/** A commander program with the house conventions (help on error, version, exit codes). */
export function newProgram(name: string, description: string, version: string): Command {
  return new Command(name)
    .description(description)
    .version(`${name}: v${version}`, '--version', 'print the version and exit')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError('(run with --help for usage)')
    .allowExcessArguments(false);
}
