/**
 * Helm applications: `helm template <chart> --name-template <release> --namespace <ns> ...` with
 * value files resolved by the rules of `paths.ts` (URLs only with an allowed scheme; local files
 * strictly inside the repository), inline values written to a 0600 file in the run's private work
 * directory, and `--set`/`--set-string`/`--set-file` parameters (commas in values escaped, except
 * `{a,b}` lists, as Argo CD does). Chart dependencies must be vendored under `charts/`: the repo
 * server works offline and dependency repositories would bypass the project's source allow-list.
 */
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parse } from 'yaml';
import { isRecord } from '../../lib/index.js';
import { RepoServerError } from '../errors.js';
import { Refusal } from '../security.js';
import { parseYamlManifests, type ManifestLimits, type ManifestObject } from './manifests.js';
import { resolveValueFile } from './paths.js';
import { requireTool, runTool, type ToolInfo, type ToolLimits } from './tools.js';

export interface HelmParameter {
  readonly name: string;
  readonly value: string;
  readonly forceString?: boolean;
}

export interface HelmSourceOptions {
  readonly releaseName?: string;
  readonly valueFiles?: readonly string[];
  readonly values?: string;
  /** valuesObject as JSON text; wins over `values` */
  readonly valuesObjectJson?: string;
  readonly parameters?: readonly HelmParameter[];
  readonly fileParameters?: readonly { readonly name: string; readonly path: string }[];
  readonly ignoreMissingValueFiles?: boolean;
  readonly skipCrds?: boolean;
  readonly skipSchemaValidation?: boolean;
  readonly skipTests?: boolean;
  readonly namespace?: string;
  readonly kubeVersion?: string;
  readonly apiVersions?: readonly string[];
}

export interface HelmRun {
  readonly root: string;
  readonly appDir: string;
  readonly workDir: string;
  /** undefined when helm is not installed: the checks still run, then the run fails */
  readonly tool: ToolInfo | undefined;
  readonly options: HelmSourceOptions;
  /** application name: the default release name */
  readonly appName: string;
  /** destination namespace (when the source sets none) */
  readonly namespace: string;
  readonly kubeVersion?: string;
  readonly apiVersions?: readonly string[];
  /** helm.valuesFileSchemes */
  readonly valuesFileSchemes: readonly string[];
  readonly toolLimits: ToolLimits;
  readonly manifestLimits: ManifestLimits;
  readonly signal?: AbortSignal;
}

/** Escapes a `--set` value as Argo CD does: commas are escaped unless the value is `{...}`. */
export function escapeSetValue(value: string): string {
  if (value.startsWith('{') && value.endsWith('}')) return value;
  return value.replace(/,/g, '\\,');
}

function checkParamName(name: string): void {
  if (name === '' || name.startsWith('-') || /[\p{Cc}=]/u.test(name))
    throw new RepoServerError('ERR_INVALID_REQUEST', `helm parameter name "${name}" is not valid`, {
      security: Refusal.argumentInjection,
    });
}

/** The argument list of `helm template` (after the `template` verb). */
export function helmTemplateArgs(input: {
  readonly chartDir: string;
  readonly releaseName: string;
  readonly namespace: string;
  readonly valueFiles: readonly string[];
  readonly parameters: readonly HelmParameter[];
  readonly fileParameters: readonly { readonly name: string; readonly path: string }[];
  readonly kubeVersion?: string;
  readonly apiVersions?: readonly string[];
  readonly skipCrds?: boolean;
  readonly skipSchemaValidation?: boolean;
  readonly skipTests?: boolean;
}): string[] {
  if (input.releaseName.startsWith('-'))
    throw new RepoServerError(
      'ERR_INVALID_REQUEST',
      `helm release name "${input.releaseName}" is not valid`,
      { security: Refusal.argumentInjection },
    );
  // without a release name (and no application name) helm uses its default, "release-name"
  const args =
    input.releaseName === ''
      ? [input.chartDir]
      : [input.chartDir, '--name-template', input.releaseName];
  if (input.namespace !== '') args.push('--namespace', input.namespace);
  if (input.kubeVersion) args.push('--kube-version', input.kubeVersion);
  for (const v of input.apiVersions ?? []) args.push('--api-versions', v);
  for (const f of input.valueFiles) args.push('--values', f);
  for (const p of input.parameters) {
    checkParamName(p.name);
    args.push(p.forceString ? '--set-string' : '--set', `${p.name}=${escapeSetValue(p.value)}`);
  }
  for (const p of input.fileParameters) {
    checkParamName(p.name);
    args.push('--set-file', `${p.name}=${p.path}`);
  }
  if (!input.skipCrds) args.push('--include-crds');
  if (input.skipSchemaValidation) args.push('--skip-schema-validation');
  if (input.skipTests) args.push('--skip-tests');
  return args;
}

async function checkVendoredDependencies(
  appDir: string,
  root: string,
  limits: ManifestLimits,
): Promise<void> {
  const chartText = await readFile(join(appDir, 'Chart.yaml'), 'utf8').catch(() => undefined);
  if (chartText === undefined) return;
  let chart: unknown;
  try {
    chart = parse(chartText, { maxAliasCount: limits.maxAliasCount });
  } catch (err) {
    throw new RepoServerError(
      'ERR_MANIFEST_PARSE',
      `failed to parse ${relative(root, join(appDir, 'Chart.yaml'))}: ${err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)}`,
    );
  }
  const deps = isRecord(chart) && Array.isArray(chart.dependencies) ? chart.dependencies : [];
  if (deps.length === 0) return;
  const vendored = new Set(await readdir(join(appDir, 'charts')).catch(() => [] as string[]));
  for (const d of deps) {
    const name = isRecord(d) && typeof d.name === 'string' ? d.name : undefined;
    if (name === undefined) continue;
    const found =
      vendored.has(name) ||
      [...vendored].some((f) => f.startsWith(`${name}-`) && f.endsWith('.tgz'));
    if (!found)
      throw new RepoServerError(
        'ERR_UNSUPPORTED',
        `chart dependency "${name}" is not vendored under charts/: the repo server works offline; run "helm dependency build" and commit charts/`,
      );
  }
}

/** Runs helm template for a chart directory; returns the manifests and the command shown. */
export async function renderHelm(
  run: HelmRun,
): Promise<{ objects: ManifestObject[]; command: string }> {
  const o = run.options;
  await checkVendoredDependencies(run.appDir, run.root, run.manifestLimits);
  const valueFiles: string[] = [];
  const shownValueFiles: string[] = [];
  for (const vf of o.valueFiles ?? []) {
    const r = await resolveValueFile(run.root, run.appDir, vf, run.valuesFileSchemes);
    if (r.kind === 'missing') {
      if (o.ignoreMissingValueFiles) continue;
      throw new RepoServerError(
        'ERR_PATH_NOT_FOUND',
        `value file "${vf}" does not exist in the repository`,
      );
    }
    valueFiles.push(r.kind === 'url' ? r.url : r.path);
    shownValueFiles.push(vf);
  }
  const inline = o.valuesObjectJson && o.valuesObjectJson !== '' ? o.valuesObjectJson : o.values;
  if (inline !== undefined && inline.trim() !== '') {
    const p = join(run.workDir, 'values.yaml');
    await writeFile(p, inline, { mode: 0o600 });
    valueFiles.push(p);
    shownValueFiles.push('<values>');
  }
  const fileParameters: { name: string; path: string }[] = [];
  for (const fp of o.fileParameters ?? []) {
    const r = await resolveValueFile(run.root, run.appDir, fp.path, []);
    if (r.kind !== 'file')
      throw new RepoServerError(
        'ERR_PATH_NOT_FOUND',
        `helm file parameter "${fp.name}" names "${fp.path}", which does not exist`,
      );
    fileParameters.push({ name: fp.name, path: r.path });
  }
  const releaseName = o.releaseName && o.releaseName !== '' ? o.releaseName : run.appName;
  const common = {
    releaseName,
    namespace: o.namespace && o.namespace !== '' ? o.namespace : run.namespace,
    parameters: o.parameters ?? [],
    skipCrds: o.skipCrds ?? false,
    skipSchemaValidation: o.skipSchemaValidation ?? false,
    skipTests: o.skipTests ?? false,
    ...((o.kubeVersion ?? run.kubeVersion)
      ? { kubeVersion: o.kubeVersion ?? run.kubeVersion }
      : {}),
    apiVersions:
      o.apiVersions && o.apiVersions.length > 0 ? o.apiVersions : (run.apiVersions ?? []),
  };
  const args = helmTemplateArgs({ ...common, chartDir: run.appDir, valueFiles, fileParameters });
  const tool = requireTool(run.tool ? { helm: run.tool } : {}, 'helm');
  const home = join(run.workDir, 'home');
  await mkdir(home, { recursive: true, mode: 0o700 });
  const out = await runTool(tool, args, {
    cwd: run.root,
    home,
    limits: run.toolLimits,
    ...(run.signal ? { signal: run.signal } : {}),
  });
  const shown = helmTemplateArgs({
    ...common,
    chartDir: relative(run.root, run.appDir) || '.',
    valueFiles: shownValueFiles,
    fileParameters: (o.fileParameters ?? []).map((f) => ({ name: f.name, path: f.path })),
  });
  return {
    objects: parseYamlManifests(out, `${tool.display} output`, run.manifestLimits),
    command: [tool.display, ...shown].join(' '),
  };
}
