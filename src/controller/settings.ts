/**
 * The controller's view of `argocd-cm`, reloaded live: reconciliation timeout and jitter (argocd-cm
 * wins over the flags when it sets them), hard reconciliation, resource exclusions/inclusions,
 * the tracking method, instance label and installation id, whether the in-cluster cluster is enabled.
 */
import { parseArgoCdConfigMap, type ArgoCdSettings, type SettingsProblem } from '../apis/index.js';
import { ResourceFilterSet } from '../kube/index.js';

export interface ControllerSettings {
  readonly reconciliationTimeoutMs: number;
  readonly reconciliationJitterMs: number;
  readonly hardReconciliationTimeoutMs: number;
  readonly filter: ResourceFilterSet;
  readonly trackingMethod: ArgoCdSettings['trackingMethod'];
  readonly instanceLabelKey: string;
  /** `installationID` ('' = none): written on managed objects; others' objects are left alone */
  readonly installationId: string;
  readonly inClusterEnabled: boolean;
  readonly problems: readonly SettingsProblem[];
  /** a digest of the filter settings (a change re-plans which kinds are watched) */
  readonly filterDigest: string;
}

export interface SettingsDefaults {
  readonly reconciliationTimeoutMs: number;
  readonly reconciliationJitterMs: number;
  readonly hardReconciliationTimeoutMs: number;
}

/** Settings from argocd-cm data (undefined = the ConfigMap does not exist) and the flag defaults. */
export function controllerSettings(
  data: Readonly<Record<string, string>> | undefined,
  defaults: SettingsDefaults,
): ControllerSettings {
  const { settings, problems } = parseArgoCdConfigMap(data);
  const has = (k: string): boolean =>
    data?.[k] !== undefined && data[k].trim() !== '' && !problems.some((p) => p.key === k);
  return {
    reconciliationTimeoutMs: has('timeout.reconciliation')
      ? settings.reconciliationTimeoutMs
      : defaults.reconciliationTimeoutMs,
    reconciliationJitterMs: has('timeout.reconciliation.jitter')
      ? settings.reconciliationJitterMs
      : defaults.reconciliationJitterMs,
    hardReconciliationTimeoutMs: has('timeout.hard.reconciliation')
      ? settings.hardReconciliationTimeoutMs
      : defaults.hardReconciliationTimeoutMs,
    filter: ResourceFilterSet.fromSettings(settings),
    trackingMethod: settings.trackingMethod,
    instanceLabelKey: settings.instanceLabelKey,
    installationId: settings.installationId,
    inClusterEnabled: settings.inClusterEnabled,
    problems,
    filterDigest: JSON.stringify([settings.resourceExclusions, settings.resourceInclusions]),
  };
}
