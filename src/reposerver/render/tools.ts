/**
 * Config management tools: detection at start-up and sandboxed runs.
 *
 * Kustomize is `kustomize build` when a `kustomize` binary is on the PATH, else `kubectl kustomize`
 * (kubectl embeds kustomize); Helm is `helm template`. Detection records each tool's absolute path
 * and version (the version is part of the manifest cache key). A tool that is needed but absent
 * gives `ERR_TOOL_NOT_INSTALLED` naming it.
 *
 * Runs: no shell, a fresh per-run HOME (and XDG/Helm dirs inside it), `KUBECONFIG=/dev/null`, a
 * fixed PATH, no proxy or credential variables, the working directory inside the checkout, a time
 * limit (`--exec-timeout`, 90 s) that kills the process group, and a stdout cap
 * (`--max-tool-output-size`). stderr is sanitised before it reaches an error.
 */
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import { delimiter, dirname, join } from 'node:path';
import { sanitizeText } from '../../lib/index.js';
import { RepoServerError } from '../errors.js';
import { Refusal } from '../security.js';
import { runProcess } from '../process.js';

export type ToolName = 'kustomize' | 'helm';

export interface ToolInfo {
  readonly name: ToolName;
  /** absolute path of the executable */
  readonly command: string;
  /** arguments before the target (`['build']`, `['kustomize']`, `['template']`) */
  readonly prefix: readonly string[];
  /** e.g. `v5.5.0` */
  readonly version: string;
  /** how it is shown in commands and errors: `kubectl kustomize`, `helm template` */
  readonly display: string;
}

export interface ToolSet {
  readonly kustomize?: ToolInfo;
  readonly helm?: ToolInfo;
}

export interface ToolLimits {
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
}

const SAFE_PATH = ['/usr/local/bin', '/usr/bin', '/bin'];
const DETECT_TIMEOUT_MS = 15_000;

async function findExecutable(name: string, dirs: readonly string[]): Promise<string | undefined> {
  for (const dir of dirs) {
    if (dir === '' || !dir.startsWith('/')) continue;
    const p = join(dir, name);
    try {
      await access(p, constants.X_OK);
      return p;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

async function capture(
  command: string,
  args: readonly string[],
  home: string,
): Promise<string | undefined> {
  const outcome = await runProcess(command, args, {
    cwd: home,
    env: { PATH: SAFE_PATH.join(':'), HOME: home, KUBECONFIG: '/dev/null', LANG: 'C' },
    timeoutMs: DETECT_TIMEOUT_MS,
    maxStdoutBytes: 1024 * 1024,
  });
  return outcome.kind === 'exited' && outcome.code === 0
    ? outcome.stdout.toString('utf8')
    : undefined;
}

function firstVersion(text: string | undefined): string | undefined {
  return /v?\d+\.\d+\.\d+[^\s"',}]*/.exec(text ?? '')?.[0];
}

/**
 * Finds kustomize (or kubectl) and helm on the given PATH (directories separated by `:`).
 * `home` is an empty directory used as HOME while asking versions.
 */
export async function detectTools(pathEnv: string, home: string): Promise<ToolSet> {
  const dirs = pathEnv.split(delimiter);
  await mkdir(home, { recursive: true, mode: 0o700 });
  let kustomize: ToolInfo | undefined;
  const kz = await findExecutable('kustomize', dirs);
  if (kz) {
    const version = firstVersion(await capture(kz, ['version'], home)) ?? 'unknown';
    kustomize = {
      name: 'kustomize',
      command: kz,
      prefix: ['build'],
      version,
      display: 'kustomize build',
    };
  } else {
    const kubectl = await findExecutable('kubectl', dirs);
    if (kubectl) {
      const out = await capture(kubectl, ['version', '--client', '-o', 'json'], home);
      let version = 'unknown';
      try {
        const parsed = JSON.parse(out ?? '{}') as { kustomizeVersion?: unknown };
        if (typeof parsed.kustomizeVersion === 'string') version = parsed.kustomizeVersion;
      } catch {
        version = firstVersion(out) ?? 'unknown';
      }
      kustomize = {
        name: 'kustomize',
        command: kubectl,
        prefix: ['kustomize'],
        version,
        display: 'kubectl kustomize',
      };
    }
  }
  let helm: ToolInfo | undefined;
  const h = await findExecutable('helm', dirs);
  if (h) {
    const version = firstVersion(await capture(h, ['version', '--short'], home)) ?? 'unknown';
    helm = { name: 'helm', command: h, prefix: ['template'], version, display: 'helm template' };
  }
  return { ...(kustomize ? { kustomize } : {}), ...(helm ? { helm } : {}) };
}

/** Returns the tool or throws ERR_TOOL_NOT_INSTALLED naming it. */
export function requireTool(tools: ToolSet, name: ToolName): ToolInfo {
  const tool = tools[name];
  if (tool) return tool;
  const hint =
    name === 'kustomize'
      ? 'install kustomize or kubectl (which embeds it) on the repo server PATH'
      : 'install helm on the repo server PATH';
  throw new RepoServerError(
    'ERR_TOOL_NOT_INSTALLED',
    `failed to generate manifests: ${name} is not installed on the repo server; ${hint}, or disable ${name}.enable`,
  );
}

/** The environment of a tool run: nothing from the repo server's own environment leaks in. */
export function toolEnv(tool: ToolInfo, home: string): Record<string, string> {
  const path = [dirname(tool.command), ...SAFE_PATH.filter((d) => d !== dirname(tool.command))];
  return {
    PATH: path.join(':'),
    HOME: home,
    LANG: 'C',
    LC_ALL: 'C',
    KUBECONFIG: '/dev/null',
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_CACHE_HOME: join(home, '.cache'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    HELM_CONFIG_HOME: join(home, '.config', 'helm'),
    HELM_CACHE_HOME: join(home, '.cache', 'helm'),
    HELM_DATA_HOME: join(home, '.local', 'share', 'helm'),
    GIT_TERMINAL_PROMPT: '0',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
  };
}

/** Runs a tool; returns stdout, or throws ERR_TOOL_FAILED / ERR_TIMEOUT / ERR_MANIFEST_TOO_LARGE. */
export async function runTool(
  tool: ToolInfo,
  args: readonly string[],
  opts: {
    cwd: string;
    home: string;
    limits: ToolLimits;
    signal?: AbortSignal;
    secrets?: readonly string[];
  },
): Promise<string> {
  const outcome = await runProcess(tool.command, [...tool.prefix, ...args], {
    cwd: opts.cwd,
    env: toolEnv(tool, opts.home),
    timeoutMs: opts.limits.timeoutMs,
    maxStdoutBytes: opts.limits.maxOutputBytes,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const clean = (text: string): string =>
    sanitizeText(text, opts.secrets ?? [])
      .split(opts.cwd)
      .join('.')
      .split('\n')
      .map((l) => l.replace(/^[EWIF]\d{4} [\d:.]+\s+\d+ [\w.-]+:\d+\] /, '').trim())
      .filter((l) => l !== '')
      .slice(-8)
      .join('; ');
  switch (outcome.kind) {
    case 'exited':
      if (outcome.code === 0) return outcome.stdout.toString('utf8');
      throw new RepoServerError(
        'ERR_TOOL_FAILED',
        `failed to run ${tool.display}: ${clean(outcome.stderr) || `exit status ${outcome.code}`}`,
      );
    case 'timeout':
      throw new RepoServerError(
        'ERR_TIMEOUT',
        `failed to run ${tool.display}: it did not finish within ${Math.round(opts.limits.timeoutMs / 1000)}s (--exec-timeout)`,
      );
    case 'output-limit':
      throw new RepoServerError(
        'ERR_MANIFEST_TOO_LARGE',
        `failed to run ${tool.display}: its output is over the limit of ${opts.limits.maxOutputBytes} bytes (--max-tool-output-size)`,
        { security: Refusal.sizeLimit },
      );
    case 'aborted':
      throw new RepoServerError('ERR_CANCELLED', `failed to run ${tool.display}: cancelled`);
    case 'spawn-error':
      throw new RepoServerError(
        'ERR_TOOL_NOT_INSTALLED',
        `failed to run ${tool.display}: ${outcome.error.code ?? outcome.error.message}`,
      );
    default: {
      const never: never = outcome;
      return never;
    }
  }
}
