/**
 * Builds the CustomResourceDefinitions of manifests/crds/ from the same schemas that type and
 * validate the objects, so the three never drift (scripts/gen-crds.ts writes them; CI checks the
 * committed files are current). The conversion makes the JSON Schema structural as Kubernetes
 * requires: maps become `additionalProperties`, free-form nodes keep unknown fields.
 */
import type { TSchema } from 'typebox';
import { isRecord } from '../lib/index.js';
import { ApplicationSchema } from './application.js';
import { AppProjectSchema } from './appproject.js';
import { ApplicationSetSchema } from './applicationset.js';
import { API_GROUP, API_VERSION } from './constants.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

const PRESERVE = 'x-kubernetes-preserve-unknown-fields';
const INT_OR_STRING = 'x-kubernetes-int-or-string';

/** Converts one JSON Schema node (from typebox) into a structural CRD schema node. */
export function toStructural(node: unknown): JsonObject {
  if (!isRecord(node)) return { [PRESERVE]: true };
  const n = node as JsonObject;
  const out: JsonObject = {};
  if (n[INT_OR_STRING] === true) {
    return { [INT_OR_STRING]: true, anyOf: [{ type: 'integer' }, { type: 'string' }] };
  }
  if (Array.isArray(n.anyOf)) {
    // typebox unions we use are T | null (e.g. creationTimestamp): keep T, mark nullable
    const types = n.anyOf.filter((s) => !(isRecord(s) && s.type === 'null'));
    if (types.length === 1) {
      return { ...toStructural(types[0]), nullable: true };
    }
    return { [PRESERVE]: true };
  }
  for (const key of [
    'type',
    'format',
    'description',
    'enum',
    'minimum',
    'maximum',
    'minLength',
    'maxLength',
    'pattern',
    'minItems',
    'maxItems',
    'nullable',
  ] as const) {
    const v = n[key];
    if (v !== undefined) out[key] = v;
  }
  if (n[PRESERVE] === true) out[PRESERVE] = true;
  if (n.type === 'object') {
    if (isRecord(n.properties)) {
      const props: JsonObject = {};
      for (const [k, v] of Object.entries(n.properties)) props[k] = toStructural(v);
      out.properties = props;
      if (Array.isArray(n.required) && n.required.length > 0) out.required = n.required;
    }
    if (isRecord(n.patternProperties)) {
      const [value] = Object.values(n.patternProperties);
      const inner = toStructural(value);
      const freeForm = Object.keys(inner).length === 1 && inner[PRESERVE] === true;
      if (freeForm) out[PRESERVE] = true;
      else out.additionalProperties = inner;
    }
    if (
      out.properties === undefined &&
      out.additionalProperties === undefined &&
      out[PRESERVE] !== true
    ) {
      out[PRESERVE] = true;
    }
  }
  if (n.type === 'array') out.items = toStructural(n.items);
  if (out.type === undefined && out[PRESERVE] !== true) out[PRESERVE] = true;
  return out;
}

/** The openAPIV3Schema for a top-level kind: metadata is left to the API server. */
function topLevelSchema(schema: TSchema): JsonObject {
  const s = toStructural(JSON.parse(JSON.stringify(schema)));
  const props = s.properties as JsonObject;
  props.metadata = { type: 'object' };
  s.required = ['metadata', 'spec'];
  return s;
}

interface CrdOptions {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  schema: TSchema;
  statusSubresource: boolean;
  printerColumns: JsonObject[];
}

function crd(o: CrdOptions): JsonObject {
  const version: JsonObject = {
    name: API_VERSION,
    served: true,
    storage: true,
    schema: { openAPIV3Schema: topLevelSchema(o.schema) },
  };
  if (o.printerColumns.length > 0) version.additionalPrinterColumns = o.printerColumns;
  if (o.statusSubresource) version.subresources = { status: {} };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${o.plural}.${API_GROUP}`,
      labels: {
        'app.kubernetes.io/name': `${o.plural}.${API_GROUP}`,
        'app.kubernetes.io/part-of': 'argocd',
      },
    },
    spec: {
      group: API_GROUP,
      names: {
        kind: o.kind,
        listKind: `${o.kind}List`,
        plural: o.plural,
        singular: o.singular,
        shortNames: o.shortNames,
      },
      scope: 'Namespaced',
      versions: [version],
    },
  };
}

/** The three CRDs as plain objects, in install order. */
export function buildCrds(): { name: string; crd: JsonObject }[] {
  return [
    {
      name: 'application-crd',
      crd: crd({
        kind: 'Application',
        plural: 'applications',
        singular: 'application',
        shortNames: ['app', 'apps'],
        schema: ApplicationSchema,
        // Argo CD's Application has no status subresource: status is written with the object.
        statusSubresource: false,
        printerColumns: [
          { name: 'Sync Status', type: 'string', jsonPath: '.status.sync.status' },
          { name: 'Health Status', type: 'string', jsonPath: '.status.health.status' },
          { name: 'Revision', type: 'string', jsonPath: '.status.sync.revision', priority: 10 },
          { name: 'Project', type: 'string', jsonPath: '.spec.project', priority: 10 },
        ],
      }),
    },
    {
      name: 'appproject-crd',
      crd: crd({
        kind: 'AppProject',
        plural: 'appprojects',
        singular: 'appproject',
        shortNames: ['appproj', 'appprojs'],
        schema: AppProjectSchema,
        statusSubresource: false,
        printerColumns: [],
      }),
    },
    {
      name: 'applicationset-crd',
      crd: crd({
        kind: 'ApplicationSet',
        plural: 'applicationsets',
        singular: 'applicationset',
        shortNames: ['appset', 'appsets'],
        schema: ApplicationSetSchema,
        statusSubresource: true,
        printerColumns: [],
      }),
    },
  ];
}
