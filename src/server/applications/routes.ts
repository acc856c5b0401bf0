/**
 * The applications service of argocd-server (Argo CD's `ApplicationService` REST surface) and the
 * read-only ApplicationSet service. Endpoints, RBAC checks and behaviour: docs/server.md,
 * "Applications". The routes live in crud-routes.ts, operation-routes.ts, resource-routes.ts and
 * appset-routes.ts; the shared watch cache and live state in state.ts and live.ts.
 */
import type { ApiService } from '../service.js';
import { registerAppSetRoutes } from './appset-routes.js';
import { registerCrudRoutes } from './crud-routes.js';
import { registerLogsRoutes } from './logs-routes.js';
import { registerOperationRoutes } from './operation-routes.js';
import { registerResourceRoutes } from './resource-routes.js';
import { registerApplicationRpc } from './rpc.js';
import { appStateFor } from './state.js';

export const applicationsService: ApiService = {
  name: 'applications',
  register(routes, deps) {
    const state = appStateFor(deps, routes);
    const crud = registerCrudRoutes(routes, state);
    const operations = registerOperationRoutes(routes, state);
    const resources = registerResourceRoutes(routes, state);
    registerLogsRoutes(routes, state);
    // the same handlers over gRPC, gRPC-Web and Connect
    registerApplicationRpc(routes, state, { ...crud, ...operations, ...resources });
  },
};

export const applicationSetsService: ApiService = {
  name: 'applicationsets',
  register(routes, deps) {
    registerAppSetRoutes(routes, appStateFor(deps, routes));
  },
};
