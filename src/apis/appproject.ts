/** AppProject (argoproj.io/v1alpha1): schema, type and CRD source. See docs/spec/appproject.md. */
import { Type, type Static } from 'typebox';
import { ObjectMetaSchema } from './meta.js';

const Str = Type.String();
const OptStr = Type.Optional(Type.String());
const OptBool = Type.Optional(Type.Boolean());
const StrList = Type.Array(Type.String());

export const JwtTokenSchema = Type.Object({
  iat: Type.Integer({ format: 'int64' }),
  exp: Type.Optional(Type.Integer({ format: 'int64' })),
  id: OptStr,
});
export type JwtToken = Static<typeof JwtTokenSchema>;

export const ProjectRoleSchema = Type.Object({
  name: Str,
  description: OptStr,
  policies: Type.Optional(StrList),
  jwtTokens: Type.Optional(Type.Array(JwtTokenSchema)),
  groups: Type.Optional(StrList),
});
export type ProjectRole = Static<typeof ProjectRoleSchema>;

export const GroupKindSchema = Type.Object({ group: Str, kind: Str });
export const ClusterResourceRestrictionSchema = Type.Object({
  group: Str,
  kind: Str,
  name: OptStr,
});
export type GroupKind = Static<typeof GroupKindSchema>;
export type ClusterResourceRestriction = Static<typeof ClusterResourceRestrictionSchema>;

export const ApplicationDestinationRuleSchema = Type.Object({
  server: OptStr,
  namespace: OptStr,
  name: OptStr,
});

export const SyncWindowSchema = Type.Object({
  kind: OptStr,
  schedule: OptStr,
  duration: OptStr,
  applications: Type.Optional(StrList),
  namespaces: Type.Optional(StrList),
  clusters: Type.Optional(StrList),
  manualSync: OptBool,
  timeZone: OptStr,
  andOperator: OptBool,
  description: OptStr,
});
export type SyncWindow = Static<typeof SyncWindowSchema>;

export const AppProjectSpecSchema = Type.Object({
  sourceRepos: Type.Optional(StrList),
  destinations: Type.Optional(Type.Array(ApplicationDestinationRuleSchema)),
  description: OptStr,
  roles: Type.Optional(Type.Array(ProjectRoleSchema)),
  clusterResourceWhitelist: Type.Optional(Type.Array(ClusterResourceRestrictionSchema)),
  namespaceResourceBlacklist: Type.Optional(Type.Array(GroupKindSchema)),
  orphanedResources: Type.Optional(
    Type.Object({
      warn: OptBool,
      ignore: Type.Optional(Type.Array(Type.Object({ group: OptStr, kind: OptStr, name: OptStr }))),
    }),
  ),
  syncWindows: Type.Optional(Type.Array(SyncWindowSchema)),
  namespaceResourceWhitelist: Type.Optional(Type.Array(GroupKindSchema)),
  signatureKeys: Type.Optional(Type.Array(Type.Object({ keyID: Str }))),
  clusterResourceBlacklist: Type.Optional(Type.Array(ClusterResourceRestrictionSchema)),
  sourceNamespaces: Type.Optional(StrList),
  permitOnlyProjectScopedClusters: OptBool,
  destinationServiceAccounts: Type.Optional(
    Type.Array(Type.Object({ server: Str, namespace: OptStr, defaultServiceAccount: Str })),
  ),
});
export type AppProjectSpec = Static<typeof AppProjectSpecSchema>;

export const AppProjectStatusSchema = Type.Object({
  jwtTokensByRole: Type.Optional(
    Type.Record(Type.String(), Type.Object({ items: Type.Optional(Type.Array(JwtTokenSchema)) })),
  ),
});

export const AppProjectSchema = Type.Object({
  apiVersion: OptStr,
  kind: OptStr,
  metadata: ObjectMetaSchema,
  spec: AppProjectSpecSchema,
  status: Type.Optional(AppProjectStatusSchema),
});
export type AppProject = Static<typeof AppProjectSchema>;

/** Project role names (Argo CD's regex). */
export const PROJECT_ROLE_NAME = /^[a-zA-Z0-9]([-_a-zA-Z0-9]*[a-zA-Z0-9])?$/;
