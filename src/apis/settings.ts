/**
 * Typed readings of the ConfigMaps Argo CD is configured by (`argocd-cm`, `argocd-rbac-cm`). Parsing
 * never throws: a malformed key falls back to its default and is reported in `problems`, so one bad
 * value cannot take the system down, and the operator is told which key to fix and how.
 */
import { parse as parseYaml } from 'yaml';
import { errorMessage, isRecord, parseDuration } from '../lib/index.js';

export interface SettingsProblem {
  readonly key: string;
  readonly message: string;
}

export type AccountCapability = 'login' | 'apiKey';

export interface LocalAccount {
  readonly name: string;
  readonly capabilities: readonly AccountCapability[];
  readonly enabled: boolean;
}

export interface ResourceFilter {
  readonly apiGroups: readonly string[];
  readonly kinds: readonly string[];
  readonly clusters: readonly string[];
}

export interface ArgoCdSettings {
  readonly url: string | undefined;
  readonly additionalUrls: readonly string[];
  readonly anonymousEnabled: boolean;
  readonly sessionDurationMs: number;
  readonly adminEnabled: boolean;
  /** local accounts other than admin, from `accounts.<name>` keys */
  readonly accounts: readonly LocalAccount[];
  readonly passwordPattern: string;
  /** raw YAML of `oidc.config`, if any */
  readonly oidcConfig: string | undefined;
  /** raw YAML of `dex.config`, if any */
  readonly dexConfig: string | undefined;
  readonly resourceExclusions: readonly ResourceFilter[];
  readonly resourceInclusions: readonly ResourceFilter[];
  readonly reconciliationTimeoutMs: number;
  readonly reconciliationJitterMs: number;
  readonly hardReconciliationTimeoutMs: number;
  readonly statusBadgeEnabled: boolean;
  readonly kustomizeEnabled: boolean;
  readonly helmEnabled: boolean;
  readonly kustomizeBuildOptions: string | undefined;
  readonly helmValuesFileSchemes: readonly string[];
  readonly webhookMaxPayloadSizeMB: number;
  readonly instanceLabelKey: string;
  readonly trackingMethod: 'annotation' | 'label' | 'annotation+label';
  /** `installationID`: written on managed objects; '' = none (see engine tracking) */
  readonly installationId: string;
  readonly execEnabled: boolean;
  readonly inClusterEnabled: boolean;
  readonly sensitiveMaskAnnotations: readonly string[];
}

export const DEFAULT_SETTINGS: ArgoCdSettings = Object.freeze({
  url: undefined,
  additionalUrls: [],
  anonymousEnabled: false,
  sessionDurationMs: 24 * 3_600_000,
  adminEnabled: true,
  accounts: [],
  passwordPattern: '^.{8,32}$',
  oidcConfig: undefined,
  dexConfig: undefined,
  resourceExclusions: [],
  resourceInclusions: [],
  reconciliationTimeoutMs: 120_000,
  reconciliationJitterMs: 60_000,
  hardReconciliationTimeoutMs: 0,
  statusBadgeEnabled: false,
  kustomizeEnabled: true,
  helmEnabled: true,
  kustomizeBuildOptions: undefined,
  helmValuesFileSchemes: ['https', 'http'],
  webhookMaxPayloadSizeMB: 50,
  instanceLabelKey: 'app.kubernetes.io/instance',
  trackingMethod: 'annotation',
  installationId: '',
  execEnabled: false,
  inClusterEnabled: true,
  sensitiveMaskAnnotations: [],
});

function parseBool(
  data: Record<string, string>,
  key: string,
  def: boolean,
  problems: SettingsProblem[],
): boolean {
  const v = data[key];
  if (v === undefined || v.trim() === '') return def;
  const t = v.trim().toLowerCase();
  if (t === 'true') return true;
  if (t === 'false') return false;
  problems.push({ key, message: `"${v}" is not a boolean: write "true" or "false"` });
  return def;
}

function parseDur(
  data: Record<string, string>,
  key: string,
  def: number,
  problems: SettingsProblem[],
): number {
  const v = data[key];
  if (v === undefined || v.trim() === '') return def;
  try {
    const ms = parseDuration(v);
    if (ms < 0) throw new TypeError('negative');
    return ms;
  } catch {
    problems.push({ key, message: `"${v}" is not a duration: write e.g. 120s, 3m or 24h` });
    return def;
  }
}

function parseStringList(
  raw: string | undefined,
  key: string,
  problems: SettingsProblem[],
): string[] | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  try {
    const v: unknown = parseYaml(raw);
    if (typeof v === 'string')
      return v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v;
  } catch (err) {
    problems.push({ key, message: `not valid YAML: ${errorMessage(err)}` });
    return undefined;
  }
  problems.push({ key, message: 'expected a YAML list of strings' });
  return undefined;
}

function parseFilters(
  raw: string | undefined,
  key: string,
  problems: SettingsProblem[],
): ResourceFilter[] {
  if (raw === undefined || raw.trim() === '') return [];
  let v: unknown;
  try {
    v = parseYaml(raw);
  } catch (err) {
    problems.push({ key, message: `not valid YAML: ${errorMessage(err)}` });
    return [];
  }
  if (!Array.isArray(v)) {
    problems.push({ key, message: 'expected a YAML list of {apiGroups, kinds, clusters}' });
    return [];
  }
  const out: ResourceFilter[] = [];
  v.forEach((item, i) => {
    const list = (name: string): string[] => {
      if (!isRecord(item)) return [];
      const x = item[name];
      return Array.isArray(x) ? x.filter((s): s is string => typeof s === 'string') : [];
    };
    if (!isRecord(item)) {
      problems.push({ key, message: `entry ${i} is not a mapping` });
      return;
    }
    out.push({ apiGroups: list('apiGroups'), kinds: list('kinds'), clusters: list('clusters') });
  });
  return out;
}

const ACCOUNT_KEY = /^accounts\.([^.]+)$/;

/** Reads `argocd-cm` data into settings with defaults; never throws. */
export function parseArgoCdConfigMap(data: Readonly<Record<string, string>> | undefined): {
  settings: ArgoCdSettings;
  problems: SettingsProblem[];
} {
  const d: Record<string, string> = { ...(data ?? {}) };
  const problems: SettingsProblem[] = [];
  const def = DEFAULT_SETTINGS;

  const accounts: LocalAccount[] = [];
  for (const [key, value] of Object.entries(d)) {
    const m = ACCOUNT_KEY.exec(key);
    if (!m?.[1]) continue;
    const name = m[1];
    if (name === 'admin') continue;
    const caps: AccountCapability[] = [];
    for (const c of value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      if (c === 'login' || c === 'apiKey') caps.push(c);
      else problems.push({ key, message: `unknown capability "${c}": use apiKey and/or login` });
    }
    accounts.push({
      name,
      capabilities: caps,
      enabled: parseBool(d, `accounts.${name}.enabled`, true, problems),
    });
  }
  accounts.sort((a, b) => a.name.localeCompare(b.name));

  let trackingMethod = def.trackingMethod;
  const tm = d['application.resourceTrackingMethod'];
  if (tm !== undefined && tm.trim() !== '') {
    if (tm === 'annotation' || tm === 'label' || tm === 'annotation+label') trackingMethod = tm;
    else
      problems.push({
        key: 'application.resourceTrackingMethod',
        message: `"${tm}" is not one of annotation, label, annotation+label`,
      });
  }

  let webhookMax = def.webhookMaxPayloadSizeMB;
  const wm = d['webhook.maxPayloadSizeMB'];
  if (wm !== undefined && wm.trim() !== '') {
    const n = Number(wm);
    if (Number.isInteger(n) && n > 0) webhookMax = n;
    else
      problems.push({
        key: 'webhook.maxPayloadSizeMB',
        message: `"${wm}" is not a positive whole number of megabytes`,
      });
  }

  const passwordPattern = d.passwordPattern?.trim() ? d.passwordPattern : def.passwordPattern;
  try {
    new RegExp(passwordPattern);
  } catch {
    problems.push({ key: 'passwordPattern', message: 'is not a valid regular expression' });
  }

  const settings: ArgoCdSettings = {
    url: d.url?.trim() ? d.url.trim().replace(/\/+$/, '') : undefined,
    additionalUrls: (parseStringList(d.additionalUrls, 'additionalUrls', problems) ?? []).map((u) =>
      u.replace(/\/+$/, ''),
    ),
    anonymousEnabled: parseBool(d, 'users.anonymous.enabled', false, problems),
    sessionDurationMs: parseDur(d, 'users.session.duration', def.sessionDurationMs, problems),
    adminEnabled: parseBool(d, 'admin.enabled', true, problems),
    accounts,
    passwordPattern,
    oidcConfig: d['oidc.config']?.trim() ? d['oidc.config'] : undefined,
    dexConfig: d['dex.config']?.trim() ? d['dex.config'] : undefined,
    resourceExclusions: parseFilters(d['resource.exclusions'], 'resource.exclusions', problems),
    resourceInclusions: parseFilters(d['resource.inclusions'], 'resource.inclusions', problems),
    reconciliationTimeoutMs: parseDur(
      d,
      'timeout.reconciliation',
      def.reconciliationTimeoutMs,
      problems,
    ),
    reconciliationJitterMs: parseDur(
      d,
      'timeout.reconciliation.jitter',
      def.reconciliationJitterMs,
      problems,
    ),
    hardReconciliationTimeoutMs: parseDur(d, 'timeout.hard.reconciliation', 0, problems),
    statusBadgeEnabled: parseBool(d, 'statusbadge.enabled', false, problems),
    kustomizeEnabled: parseBool(d, 'kustomize.enable', true, problems),
    helmEnabled: parseBool(d, 'helm.enable', true, problems),
    kustomizeBuildOptions: d['kustomize.buildOptions']?.trim()
      ? d['kustomize.buildOptions'].trim()
      : undefined,
    helmValuesFileSchemes:
      parseStringList(d['helm.valuesFileSchemes'], 'helm.valuesFileSchemes', problems) ??
      def.helmValuesFileSchemes,
    webhookMaxPayloadSizeMB: webhookMax,
    instanceLabelKey: d['application.instanceLabelKey']?.trim()
      ? d['application.instanceLabelKey'].trim()
      : def.instanceLabelKey,
    trackingMethod,
    installationId: d.installationID?.trim() ?? '',
    execEnabled: parseBool(d, 'exec.enabled', false, problems),
    inClusterEnabled: parseBool(d, 'cluster.inClusterEnabled', true, problems),
    sensitiveMaskAnnotations:
      parseStringList(
        d['resource.sensitive.mask.annotations'],
        'resource.sensitive.mask.annotations',
        problems,
      ) ?? [],
  };
  return { settings, problems };
}

export interface RbacConfig {
  /** `policy.csv` followed by every `policy.<x>.csv`, in key order */
  readonly policyCsv: string;
  readonly policyDefault: string;
  readonly scopes: readonly string[];
  readonly matchMode: 'glob' | 'regex';
}

/** Reads `argocd-rbac-cm` data; never throws. */
export function parseRbacConfigMap(data: Readonly<Record<string, string>> | undefined): {
  config: RbacConfig;
  problems: SettingsProblem[];
} {
  const d = data ?? {};
  const problems: SettingsProblem[] = [];
  const extra = Object.keys(d)
    .filter((k) => /^policy\..+\.csv$/.test(k))
    .sort();
  const parts = [d['policy.csv'] ?? '', ...extra.map((k) => d[k] ?? '')].filter(
    (p) => p.trim() !== '',
  );
  let matchMode: 'glob' | 'regex' = 'glob';
  const mm = d['policy.matchMode'];
  if (mm !== undefined && mm.trim() !== '') {
    if (mm.trim() === 'glob' || mm.trim() === 'regex') matchMode = mm.trim() as 'glob' | 'regex';
    else problems.push({ key: 'policy.matchMode', message: `"${mm}" is not glob or regex` });
  }
  return {
    config: {
      policyCsv: parts.join('\n'),
      policyDefault: (d['policy.default'] ?? '').trim(),
      scopes: parseStringList(d.scopes, 'scopes', problems) ?? ['groups'],
      matchMode,
    },
    problems,
  };
}
