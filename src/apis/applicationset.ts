/**
 * ApplicationSet (argoproj.io/v1alpha1): generators are kept free-form (their many shapes are
 * validated by the controller that runs them); the template is a full Application template.
 */
import { Type, type Static } from 'typebox';
import { ApplicationSpecSchema, FreeForm } from './application.js';
import { ObjectMetaSchema } from './meta.js';

const OptStr = Type.Optional(Type.String());
const OptBool = Type.Optional(Type.Boolean());
const StrMap = Type.Record(Type.String(), Type.String());

export const ApplicationSetTemplateSchema = Type.Object({
  metadata: Type.Object({
    name: OptStr,
    namespace: OptStr,
    labels: Type.Optional(StrMap),
    annotations: Type.Optional(StrMap),
    finalizers: Type.Optional(Type.Array(Type.String())),
  }),
  spec: ApplicationSpecSchema,
});

export const ApplicationSetSpecSchema = Type.Object({
  goTemplate: OptBool,
  goTemplateOptions: Type.Optional(Type.Array(Type.String())),
  generators: Type.Array(
    Type.Record(Type.String(), Type.Unknown(), { 'x-kubernetes-preserve-unknown-fields': true }),
  ),
  template: ApplicationSetTemplateSchema,
  syncPolicy: Type.Optional(
    Type.Object({ preserveResourcesOnDeletion: OptBool, applicationsSync: OptStr }),
  ),
  strategy: Type.Optional(FreeForm),
  preservedFields: Type.Optional(FreeForm),
  templatePatch: OptStr,
  ignoreApplicationDifferences: Type.Optional(Type.Array(FreeForm)),
  applyNestedSelectors: OptBool,
});

export const ApplicationSetStatusSchema = Type.Object({
  conditions: Type.Optional(
    Type.Array(
      Type.Object({
        type: Type.String(),
        message: Type.String(),
        status: Type.String(),
        reason: Type.String(),
        lastTransitionTime: OptStr,
      }),
    ),
  ),
  applicationStatus: Type.Optional(Type.Array(FreeForm)),
  resources: Type.Optional(Type.Array(FreeForm)),
  resourcesCount: Type.Optional(Type.Integer()),
});

export const ApplicationSetSchema = Type.Object({
  apiVersion: OptStr,
  kind: OptStr,
  metadata: ObjectMetaSchema,
  spec: ApplicationSetSpecSchema,
  status: Type.Optional(ApplicationSetStatusSchema),
});
export type ApplicationSet = Static<typeof ApplicationSetSchema>;
