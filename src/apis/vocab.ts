/**
 * Wire vocabularies: string-literal unions with `as const` objects, byte for byte Argo CD's values.
 * Orderings are explicit arrays.
 */
export const SyncStatusCodes = {
  Synced: 'Synced',
  OutOfSync: 'OutOfSync',
  Unknown: 'Unknown',
} as const;
export type SyncStatusCode = (typeof SyncStatusCodes)[keyof typeof SyncStatusCodes];

export const HealthStatusCodes = {
  Healthy: 'Healthy',
  Progressing: 'Progressing',
  Degraded: 'Degraded',
  Suspended: 'Suspended',
  Missing: 'Missing',
  Unknown: 'Unknown',
} as const;
export type HealthStatusCode = (typeof HealthStatusCodes)[keyof typeof HealthStatusCodes];

/** From best to worst: an app's health is the worst of its resources' (gitops-engine healthOrder). */
export const healthOrder: readonly HealthStatusCode[] = [
  'Healthy',
  'Suspended',
  'Progressing',
  'Missing',
  'Degraded',
  'Unknown',
];

export const OperationPhases = {
  Running: 'Running',
  Terminating: 'Terminating',
  Failed: 'Failed',
  Error: 'Error',
  Succeeded: 'Succeeded',
} as const;
export type OperationPhase = (typeof OperationPhases)[keyof typeof OperationPhases];

export const SyncPhases = {
  PreSync: 'PreSync',
  Sync: 'Sync',
  PostSync: 'PostSync',
  SyncFail: 'SyncFail',
} as const;
export type SyncPhase = (typeof SyncPhases)[keyof typeof SyncPhases];
export const syncPhaseOrder: readonly SyncPhase[] = ['PreSync', 'Sync', 'PostSync', 'SyncFail'];

export const HookTypes = {
  PreSync: 'PreSync',
  Sync: 'Sync',
  PostSync: 'PostSync',
  SyncFail: 'SyncFail',
  Skip: 'Skip',
} as const;
export type HookType = (typeof HookTypes)[keyof typeof HookTypes];

export const HookDeletePolicies = {
  HookSucceeded: 'HookSucceeded',
  HookFailed: 'HookFailed',
  BeforeHookCreation: 'BeforeHookCreation',
} as const;
export type HookDeletePolicy = (typeof HookDeletePolicies)[keyof typeof HookDeletePolicies];

/** Result of one resource in a sync (`status.operationState.syncResult.resources[].status`). */
export const ResultCodes = {
  Synced: 'Synced',
  SyncFailed: 'SyncFailed',
  Pruned: 'Pruned',
  PruneSkipped: 'PruneSkipped',
} as const;
export type ResultCode = (typeof ResultCodes)[keyof typeof ResultCodes];

export const ApplicationConditionTypes = {
  ComparisonError: 'ComparisonError',
  InvalidSpecError: 'InvalidSpecError',
  SyncError: 'SyncError',
  UnknownError: 'UnknownError',
  SharedResourceWarning: 'SharedResourceWarning',
  RepeatedResourceWarning: 'RepeatedResourceWarning',
  ExcludedResourceWarning: 'ExcludedResourceWarning',
  OrphanedResourceWarning: 'OrphanedResourceWarning',
  OperationError: 'OperationError',
  DeletionError: 'DeletionError',
} as const;
export type ApplicationConditionType =
  (typeof ApplicationConditionTypes)[keyof typeof ApplicationConditionTypes];

export const RefreshTypes = { normal: 'normal', hard: 'hard' } as const;
export type RefreshType = (typeof RefreshTypes)[keyof typeof RefreshTypes];

export const SourceTypes = {
  Helm: 'Helm',
  Kustomize: 'Kustomize',
  Directory: 'Directory',
  Plugin: 'Plugin',
} as const;
export type ApplicationSourceType = (typeof SourceTypes)[keyof typeof SourceTypes];
