/**
 * Application (argoproj.io/v1alpha1): the schema is the single source for the TypeScript type, the
 * runtime validator of untrusted input and the CRD's openAPIV3Schema (scripts/gen-crds.ts).
 * Field names and shapes follow Argo CD's types.go; see docs/spec/application.md.
 */
import { Type, type Static } from 'typebox';
import { ObjectMetaSchema } from './meta.js';

const Str = Type.String();
const OptStr = Type.Optional(Type.String());
const OptBool = Type.Optional(Type.Boolean());
const StrMap = Type.Record(Type.String(), Type.String());
const StrList = Type.Array(Type.String());
/** Kubernetes int-or-string (`x-kubernetes-int-or-string`). */
export const IntOrString = Type.Union([Type.Integer(), Type.String()], {
  'x-kubernetes-int-or-string': true,
});
/** Free-form JSON kept as is (`x-kubernetes-preserve-unknown-fields`). */
export const FreeForm = Type.Unknown({ 'x-kubernetes-preserve-unknown-fields': true });
const FreeObject = Type.Record(Type.String(), Type.Unknown(), {
  'x-kubernetes-preserve-unknown-fields': true,
});

export const HelmParameterSchema = Type.Object({
  name: OptStr,
  value: OptStr,
  forceString: OptBool,
});

export const ApplicationSourceHelmSchema = Type.Object({
  valueFiles: Type.Optional(StrList),
  parameters: Type.Optional(Type.Array(HelmParameterSchema)),
  releaseName: OptStr,
  values: OptStr,
  fileParameters: Type.Optional(Type.Array(Type.Object({ name: OptStr, path: OptStr }))),
  version: OptStr,
  passCredentials: OptBool,
  ignoreMissingValueFiles: OptBool,
  skipCrds: OptBool,
  skipSchemaValidation: OptBool,
  skipTests: OptBool,
  valuesObject: Type.Optional(FreeObject),
  namespace: OptStr,
  kubeVersion: OptStr,
  apiVersions: Type.Optional(StrList),
});

export const ApplicationSourceKustomizeSchema = Type.Object({
  namePrefix: OptStr,
  nameSuffix: OptStr,
  images: Type.Optional(StrList),
  commonLabels: Type.Optional(StrMap),
  version: OptStr,
  commonAnnotations: Type.Optional(StrMap),
  forceCommonLabels: OptBool,
  forceCommonAnnotations: OptBool,
  namespace: OptStr,
  commonAnnotationsEnvsubst: OptBool,
  replicas: Type.Optional(Type.Array(Type.Object({ name: Str, count: IntOrString }))),
  patches: Type.Optional(Type.Array(FreeObject)),
  components: Type.Optional(StrList),
  ignoreMissingComponents: OptBool,
  labelWithoutSelector: OptBool,
  labelIncludeTemplates: OptBool,
  kubeVersion: OptStr,
  apiVersions: Type.Optional(StrList),
});

const JsonnetVar = Type.Object({ name: Str, value: Str, code: OptBool });
export const ApplicationSourceDirectorySchema = Type.Object({
  recurse: OptBool,
  jsonnet: Type.Optional(
    Type.Object({
      extVars: Type.Optional(Type.Array(JsonnetVar)),
      tlas: Type.Optional(Type.Array(JsonnetVar)),
      libs: Type.Optional(StrList),
    }),
  ),
  exclude: OptStr,
  include: OptStr,
});

export const ApplicationSourcePluginSchema = Type.Object({
  name: OptStr,
  env: Type.Optional(Type.Array(Type.Object({ name: Str, value: Str }))),
  parameters: Type.Optional(Type.Array(FreeObject)),
});

export const ApplicationSourceSchema = Type.Object({
  repoURL: Str,
  path: OptStr,
  targetRevision: OptStr,
  helm: Type.Optional(ApplicationSourceHelmSchema),
  kustomize: Type.Optional(ApplicationSourceKustomizeSchema),
  directory: Type.Optional(ApplicationSourceDirectorySchema),
  plugin: Type.Optional(ApplicationSourcePluginSchema),
  chart: OptStr,
  ref: OptStr,
  name: OptStr,
});
export type ApplicationSource = Static<typeof ApplicationSourceSchema>;

export const ApplicationDestinationSchema = Type.Object({
  server: OptStr,
  namespace: OptStr,
  name: OptStr,
});
export type ApplicationDestination = Static<typeof ApplicationDestinationSchema>;

export const BackoffSchema = Type.Object({
  duration: OptStr,
  factor: Type.Optional(Type.Integer()),
  maxDuration: OptStr,
});

export const RetryStrategySchema = Type.Object({
  limit: Type.Optional(Type.Integer()),
  backoff: Type.Optional(BackoffSchema),
  refresh: OptBool,
});
export type RetryStrategy = Static<typeof RetryStrategySchema>;

export const SyncPolicySchema = Type.Object({
  automated: Type.Optional(
    Type.Object({ prune: OptBool, selfHeal: OptBool, allowEmpty: OptBool, enabled: OptBool }),
  ),
  syncOptions: Type.Optional(StrList),
  retry: Type.Optional(RetryStrategySchema),
  managedNamespaceMetadata: Type.Optional(
    Type.Object({ labels: Type.Optional(StrMap), annotations: Type.Optional(StrMap) }),
  ),
});
export type SyncPolicy = Static<typeof SyncPolicySchema>;

export const ResourceIgnoreDifferencesSchema = Type.Object({
  group: OptStr,
  kind: Str,
  name: OptStr,
  namespace: OptStr,
  jsonPointers: Type.Optional(StrList),
  jqPathExpressions: Type.Optional(StrList),
  managedFieldsManagers: Type.Optional(StrList),
});
export type ResourceIgnoreDifferences = Static<typeof ResourceIgnoreDifferencesSchema>;

export const ApplicationSpecSchema = Type.Object({
  source: Type.Optional(ApplicationSourceSchema),
  sources: Type.Optional(Type.Array(ApplicationSourceSchema)),
  sourceHydrator: Type.Optional(FreeObject),
  destination: ApplicationDestinationSchema,
  project: Str,
  syncPolicy: Type.Optional(SyncPolicySchema),
  ignoreDifferences: Type.Optional(Type.Array(ResourceIgnoreDifferencesSchema)),
  info: Type.Optional(Type.Array(Type.Object({ name: Str, value: Str }))),
  revisionHistoryLimit: Type.Optional(Type.Integer()),
});
export type ApplicationSpec = Static<typeof ApplicationSpecSchema>;

export const SyncOperationResourceSchema = Type.Object({
  group: OptStr,
  kind: Str,
  name: Str,
  namespace: OptStr,
});
export type SyncOperationResource = Static<typeof SyncOperationResourceSchema>;

export const SyncStrategySchema = Type.Object({
  apply: Type.Optional(Type.Object({ force: OptBool })),
  hook: Type.Optional(Type.Object({ force: OptBool })),
});

export const SyncOperationSchema = Type.Object({
  revision: OptStr,
  prune: OptBool,
  dryRun: OptBool,
  syncStrategy: Type.Optional(SyncStrategySchema),
  resources: Type.Optional(Type.Array(SyncOperationResourceSchema)),
  source: Type.Optional(ApplicationSourceSchema),
  manifests: Type.Optional(StrList),
  syncOptions: Type.Optional(StrList),
  sources: Type.Optional(Type.Array(ApplicationSourceSchema)),
  revisions: Type.Optional(StrList),
  autoHealAttemptsCount: Type.Optional(Type.Integer()),
});
export type SyncOperation = Static<typeof SyncOperationSchema>;

export const OperationInitiatorSchema = Type.Object({ username: OptStr, automated: OptBool });

export const OperationSchema = Type.Object({
  sync: Type.Optional(SyncOperationSchema),
  initiatedBy: Type.Optional(OperationInitiatorSchema),
  info: Type.Optional(Type.Array(Type.Object({ name: Str, value: Str }))),
  retry: Type.Optional(RetryStrategySchema),
});
export type Operation = Static<typeof OperationSchema>;

export const HealthStatusSchema = Type.Object({
  status: OptStr,
  message: OptStr,
  lastTransitionTime: OptStr,
});

export const ResourceStatusSchema = Type.Object({
  group: OptStr,
  version: OptStr,
  kind: OptStr,
  namespace: OptStr,
  name: OptStr,
  status: OptStr,
  health: Type.Optional(HealthStatusSchema),
  hook: OptBool,
  requiresPruning: OptBool,
  syncWave: Type.Optional(Type.Integer()),
  requiresDeletionConfirmation: OptBool,
});
export type ResourceStatus = Static<typeof ResourceStatusSchema>;

export const ComparedToSchema = Type.Object({
  source: Type.Optional(ApplicationSourceSchema),
  destination: ApplicationDestinationSchema,
  sources: Type.Optional(Type.Array(ApplicationSourceSchema)),
  ignoreDifferences: Type.Optional(Type.Array(ResourceIgnoreDifferencesSchema)),
});

export const SyncStatusSchema = Type.Object({
  status: Str,
  comparedTo: Type.Optional(ComparedToSchema),
  revision: OptStr,
  revisions: Type.Optional(StrList),
});

export const RevisionHistorySchema = Type.Object({
  revision: OptStr,
  deployedAt: Str,
  id: Type.Integer(),
  source: Type.Optional(ApplicationSourceSchema),
  deployStartedAt: OptStr,
  sources: Type.Optional(Type.Array(ApplicationSourceSchema)),
  revisions: Type.Optional(StrList),
  initiatedBy: Type.Optional(OperationInitiatorSchema),
});
export type RevisionHistory = Static<typeof RevisionHistorySchema>;

export const ApplicationConditionSchema = Type.Object({
  type: Str,
  message: Str,
  lastTransitionTime: OptStr,
});
export type ApplicationCondition = Static<typeof ApplicationConditionSchema>;

export const ResourceResultSchema = Type.Object({
  group: Str,
  version: Str,
  kind: Str,
  namespace: Str,
  name: Str,
  status: OptStr,
  message: OptStr,
  hookType: OptStr,
  hookPhase: OptStr,
  syncPhase: OptStr,
  images: Type.Optional(StrList),
});
export type ResourceResult = Static<typeof ResourceResultSchema>;

export const SyncOperationResultSchema = Type.Object({
  resources: Type.Optional(Type.Array(ResourceResultSchema)),
  revision: Str,
  source: Type.Optional(ApplicationSourceSchema),
  sources: Type.Optional(Type.Array(ApplicationSourceSchema)),
  revisions: Type.Optional(StrList),
  managedNamespaceMetadata: Type.Optional(FreeObject),
});

export const OperationStateSchema = Type.Object({
  operation: OperationSchema,
  phase: Str,
  message: OptStr,
  syncResult: Type.Optional(SyncOperationResultSchema),
  startedAt: Str,
  finishedAt: OptStr,
  retryCount: Type.Optional(Type.Integer()),
});
export type OperationState = Static<typeof OperationStateSchema>;

export const ApplicationStatusSchema = Type.Object({
  resources: Type.Optional(Type.Array(ResourceStatusSchema)),
  sync: Type.Optional(SyncStatusSchema),
  health: Type.Optional(HealthStatusSchema),
  history: Type.Optional(Type.Array(RevisionHistorySchema)),
  conditions: Type.Optional(Type.Array(ApplicationConditionSchema)),
  reconciledAt: OptStr,
  observedAt: OptStr,
  operationState: Type.Optional(OperationStateSchema),
  sourceType: OptStr,
  sourceTypes: Type.Optional(StrList),
  summary: Type.Optional(
    Type.Object({ externalURLs: Type.Optional(StrList), images: Type.Optional(StrList) }),
  ),
  resourceHealthSource: OptStr,
  controllerNamespace: OptStr,
  sourceHydrator: Type.Optional(FreeObject),
});
export type ApplicationStatus = Static<typeof ApplicationStatusSchema>;

export const ApplicationSchema = Type.Object({
  apiVersion: OptStr,
  kind: OptStr,
  metadata: ObjectMetaSchema,
  spec: ApplicationSpecSchema,
  operation: Type.Optional(OperationSchema),
  status: Type.Optional(ApplicationStatusSchema),
});
export type Application = Static<typeof ApplicationSchema>;

/** The sources of an app whether it uses `source` or `sources` (multi-source), in order. */
export function getSources(spec: Pick<ApplicationSpec, 'source' | 'sources'>): ApplicationSource[] {
  if (spec.sources && spec.sources.length > 0) return spec.sources;
  return spec.source ? [spec.source] : [];
}
