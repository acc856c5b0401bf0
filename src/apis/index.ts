/**
 * apis: the wire types of argocd-ts and Argo CD: the `argoproj.io/v1alpha1` kinds (Application,
 * AppProject, ApplicationSet), the ConfigMaps and Secrets the system reads, status vocabularies,
 * label/annotation keys, and runtime validators for untrusted input.
 *
 * Input from outside the process is `unknown` until `validate(Schema, value, what)` narrows it; a
 * failure is a `ValidationError` whose message names each bad field.
 *
 * @example
 * import { ApplicationSchema, validate } from '../apis/index.js';
 * const app = validate(ApplicationSchema, JSON.parse(body), 'Application');
 */
export {
  API_GROUP,
  API_VERSION,
  API_GROUP_VERSION,
  Kinds,
  Resources,
  Labels,
  SecretTypes,
  Annotations,
  Finalizers,
  ConfigNames,
  IN_CLUSTER_SERVER,
  IN_CLUSTER_NAME,
  DEFAULT_NAMESPACE,
  DEFAULT_PROJECT,
  type ArgoKind,
  type SecretType,
} from './constants.js';
export {
  SyncStatusCodes,
  HealthStatusCodes,
  healthOrder,
  OperationPhases,
  SyncPhases,
  syncPhaseOrder,
  HookTypes,
  HookDeletePolicies,
  ResultCodes,
  ApplicationConditionTypes,
  RefreshTypes,
  SourceTypes,
  type SyncStatusCode,
  type HealthStatusCode,
  type OperationPhase,
  type SyncPhase,
  type HookType,
  type HookDeletePolicy,
  type ResultCode,
  type ApplicationConditionType,
  type RefreshType,
  type ApplicationSourceType,
} from './vocab.js';
export {
  ObjectMetaSchema,
  decodeSecretData,
  encodeSecretData,
  type ObjectMeta,
  type KubeObject,
  type KubeList,
  type ConfigMap,
  type Secret,
} from './meta.js';
export {
  ApplicationSchema,
  ApplicationSpecSchema,
  ApplicationSourceSchema,
  ApplicationDestinationSchema,
  SyncPolicySchema,
  OperationSchema,
  SyncOperationSchema,
  RetryStrategySchema,
  ResourceIgnoreDifferencesSchema,
  getSources,
  type Application,
  type ApplicationSpec,
  type ApplicationSource,
  type ApplicationDestination,
  type ApplicationStatus,
  type ApplicationCondition,
  type SyncPolicy,
  type Operation,
  type OperationState,
  type SyncOperation,
  type SyncOperationResource,
  type RetryStrategy,
  type ResourceIgnoreDifferences,
  type ResourceStatus,
  type ResourceResult,
  type RevisionHistory,
} from './application.js';
export {
  AppProjectSchema,
  AppProjectSpecSchema,
  ProjectRoleSchema,
  JwtTokenSchema,
  PROJECT_ROLE_NAME,
  type AppProject,
  type AppProjectSpec,
  type ProjectRole,
  type JwtToken,
  type GroupKind,
  type ClusterResourceRestriction,
  type SyncWindow,
} from './appproject.js';
export { ApplicationSetSchema, type ApplicationSet } from './applicationset.js';
export {
  validate,
  tryValidate,
  checkSchema,
  pointerToPath,
  ValidationError,
  type FieldError,
  type ValidationErrorCode,
} from './validate.js';
export {
  parseArgoCdConfigMap,
  parseRbacConfigMap,
  DEFAULT_SETTINGS,
  type ArgoCdSettings,
  type RbacConfig,
  type LocalAccount,
  type AccountCapability,
  type ResourceFilter,
  type SettingsProblem,
} from './settings.js';
export {
  repositoryFromSecret,
  repositoryToSecretData,
  sanitizeRepository,
  clusterFromSecret,
  inClusterCluster,
  sanitizeCluster,
  ClusterConfigSchema,
  type Repository,
  type RepositoryType,
  type Cluster,
  type ClusterConfig,
} from './credentials.js';
export { buildCrds, toStructural } from './crd.js';
export type {
  ApplicationTree,
  ResourceNode,
  ResourceRef,
  ResourceHealth,
  InfoItem,
  ResourceNetworkingInfo,
  LoadBalancerIngress,
  HostInfo,
  HostResourceInfo,
  ResourceDiffWire,
} from './tree.js';
export {
  parseArgoCdSecret,
  AccountTokenSchema,
  type ArgoCdSecret,
  type AccountSecret,
  type AccountToken,
} from './argocd-secret.js';
