/**
 * ApplicationSets, read-only: `GET /api/v1/applicationsets` (filters `projects`, `selector`,
 * `appsetNamespace`; `fields`; pagination) and `GET /api/v1/applicationsets/{name}`. RBAC resource
 * `applicationsets`, object `<project of the template>/<name>`; as for applications, a missing and a
 * forbidden ApplicationSet give the same 403. Without the ApplicationSet CRD the list is empty.
 */
import { DEFAULT_PROJECT } from '../../apis/index.js';
import { applicationObject } from '../../rbac/index.js';
import { ApiError } from '../errors.js';
import { Cwe, logSecurityEvent, Security } from '../logging.js';
import { paginate } from '../pagination.js';
import { stripLastApplied } from '../redact.js';
import type { ApiRoutes } from '../service.js';
import { permissionDenied } from './access.js';
import { parseFields } from './fields.js';
import { parseLabelSelector } from './selector.js';
import type { AppState, StoredApplicationSet } from './state.js';

function projectOfSet(s: StoredApplicationSet): string {
  const p = s.spec.template.spec.project;
  return p === '' ? DEFAULT_PROJECT : p;
}

function view(s: StoredApplicationSet): StoredApplicationSet {
  const { managedFields: _m, ...meta } = s.metadata;
  return { ...s, metadata: stripLastApplied(meta) };
}

function checkNamespace(state: AppState, ns: string | undefined): void {
  if (ns !== undefined && ns !== '' && ns !== state.namespace)
    throw new ApiError(
      'ERR_API_PERMISSION_DENIED',
      `ApplicationSet namespace "${ns.slice(0, 63)}" is not permitted: this server manages ApplicationSets in "${state.namespace}" only`,
    );
}

export function registerAppSetRoutes(routes: ApiRoutes, state: AppState): void {
  const objectOf = (s: StoredApplicationSet): string =>
    applicationObject(projectOfSet(s), s.metadata.name ?? '', state.namespace, state.namespace);

  routes.route({
    method: 'GET',
    path: '/api/v1/applicationsets',
    handler: async (ctx, req) => {
      checkNamespace(state, req.query.get('appsetNamespace'));
      const projects = new Set(req.query.all('projects', true));
      const selector = parseLabelSelector(req.query.get('selector'));
      const fields = parseFields(req.query.all('fields'));
      const served = await state.appsetsReady();
      const items = (served ? state.appsets.list() : []).filter(
        (s) =>
          (projects.size === 0 || projects.has(projectOfSet(s))) &&
          selector.matches(s.metadata.labels) &&
          ctx.can('applicationsets', 'get', objectOf(s)),
      );
      const page = paginate(items, (s) => s.metadata.name ?? '', req.query);
      const body = { metadata: page.metadata, items: page.items.map(view) };
      return fields.empty ? body : fields.apply(body);
    },
  });

  routes.route({
    method: 'GET',
    path: '/api/v1/applicationsets/:name',
    handler: async (ctx, req) => {
      checkNamespace(state, req.query.get('appsetNamespace'));
      const name = req.params.name ?? '';
      const served = await state.appsetsReady();
      const set = served ? state.appsets.get(name) : undefined;
      const object = set ? objectOf(set) : applicationObject(DEFAULT_PROJECT, name);
      const allowed = ctx.can('applicationsets', 'get', object);
      if (!set || !allowed) {
        logSecurityEvent(state.deps.log, {
          security: Security.MEDIUM,
          CWE: Cwe.IMPROPER_AUTHORIZATION,
          msg: `permission denied: ${ctx.actor} tried to get applicationset ${name} which they do not have access to (or which does not exist)`,
          fields: { subject: ctx.caller.subject, requestId: ctx.requestId },
        });
        throw permissionDenied();
      }
      return view(set);
    },
  });
}
