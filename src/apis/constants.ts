/** API group, versions, kinds and the well-known keys Argo CD puts on objects. Values are Argo CD's. */
export const API_GROUP = 'argoproj.io';
export const API_VERSION = 'v1alpha1';
export const API_GROUP_VERSION = `${API_GROUP}/${API_VERSION}` as const;

export const Kinds = {
  Application: 'Application',
  AppProject: 'AppProject',
  ApplicationSet: 'ApplicationSet',
} as const;
export type ArgoKind = (typeof Kinds)[keyof typeof Kinds];

/** Plural resource names as served under /apis/argoproj.io/v1alpha1. */
export const Resources = {
  applications: 'applications',
  appprojects: 'appprojects',
  applicationsets: 'applicationsets',
} as const;

export const Labels = {
  secretType: 'argocd.argoproj.io/secret-type',
  partOf: 'app.kubernetes.io/part-of',
  instance: 'app.kubernetes.io/instance',
} as const;

/** Values of the `argocd.argoproj.io/secret-type` label. */
export const SecretTypes = {
  repository: 'repository',
  repoCreds: 'repo-creds',
  repositoryWrite: 'repository-write',
  repoWriteCreds: 'repo-write-creds',
  cluster: 'cluster',
  scmCreds: 'scm-creds',
} as const;
export type SecretType = (typeof SecretTypes)[keyof typeof SecretTypes];

export const Annotations = {
  refresh: 'argocd.argoproj.io/refresh',
  trackingId: 'argocd.argoproj.io/tracking-id',
  /** `installationID` of argocd-cm on the objects an instance manages (several instances, one cluster) */
  installationId: 'argocd.argoproj.io/installation-id',
  syncWave: 'argocd.argoproj.io/sync-wave',
  syncOptions: 'argocd.argoproj.io/sync-options',
  compareOptions: 'argocd.argoproj.io/compare-options',
  hook: 'argocd.argoproj.io/hook',
  hookDeletePolicy: 'argocd.argoproj.io/hook-delete-policy',
  helmHook: 'helm.sh/hook',
  helmHookDeletePolicy: 'helm.sh/hook-delete-policy',
  helmHookWeight: 'helm.sh/hook-weight',
  manifestGeneratePaths: 'argocd.argoproj.io/manifest-generate-paths',
  lastAppliedConfiguration: 'kubectl.kubernetes.io/last-applied-configuration',
} as const;

export const Finalizers = {
  resources: 'resources-finalizer.argocd.argoproj.io',
  resourcesBackground: 'resources-finalizer.argocd.argoproj.io/background',
  resourcesForeground: 'resources-finalizer.argocd.argoproj.io/foreground',
} as const;

/** Names of the ConfigMaps and Secrets the system reads, in its own namespace. */
export const ConfigNames = {
  cm: 'argocd-cm',
  rbacCm: 'argocd-rbac-cm',
  cmdParamsCm: 'argocd-cmd-params-cm',
  secret: 'argocd-secret',
  initialAdminSecret: 'argocd-initial-admin-secret',
  serverTls: 'argocd-server-tls',
  repoServerTls: 'argocd-repo-server-tls',
  dexServerTls: 'argocd-dex-server-tls',
  tlsCertsCm: 'argocd-tls-certs-cm',
  sshKnownHostsCm: 'argocd-ssh-known-hosts-cm',
} as const;

/** Argo CD's name for the cluster the control plane runs in. */
export const IN_CLUSTER_SERVER = 'https://kubernetes.default.svc';
export const IN_CLUSTER_NAME = 'in-cluster';
export const DEFAULT_NAMESPACE = 'argocd';
export const DEFAULT_PROJECT = 'default';
